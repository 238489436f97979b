"""Token streaming from a worker to the pages watching a session.

Tokens are batched, numbered and appended to a Redis list (for pages that reconnect) before
they are sent to the session's channel-layer group. The stream is best effort: Postgres holds
the finished turn, so a Redis outage degrades the live view but never the stored work.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time
from functools import cache

import redis
from channels.layers import get_channel_layer
from django.conf import settings

log = logging.getLogger(__name__)
SEND_TIMEOUT_S = 5


@cache
def _sender_loop(pid: int) -> asyncio.AbstractEventLoop:
    """This process's event loop for channel-layer sends from sync code (one per pid: a
    forked worker starts its own). It keeps the layer's Redis connections open between
    sends, where `async_to_sync` would build a loop and connect anew for every batch."""
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, name="channel-layer-sender", daemon=True).start()
    return loop


def group_send(group: str, message: dict) -> None:
    """Send to a channel-layer group from sync code; raises what the layer raises.

    A send that finds its pooled connection dead (Redis restarted) is tried once more, on a
    fresh connection."""
    for attempt in (1, 2):
        coroutine = get_channel_layer().group_send(group, message)
        try:
            asyncio.run_coroutine_threadsafe(coroutine, _sender_loop(os.getpid())).result(
                SEND_TIMEOUT_S)
            return
        except (redis.ConnectionError, OSError):
            if attempt == 2:
                raise


@cache
def redis_client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2, socket_connect_timeout=2)


def replay_key(turn_id: int) -> str:
    return f"{settings.CHANNEL_LAYERS['default']['CONFIG']['prefix']}:stream:{turn_id}"


def replay_events(turn_id: int, after: int) -> list[dict]:
    """Events of a turn with a sequence number above `after`, in order."""
    raw = redis_client().lrange(replay_key(turn_id), 0, -1)
    return [e for e in map(json.loads, raw) if e["seq"] > after]


class TurnStream:
    """Publishes one tutor turn's events: `tokens` batches, then `reset`, `done` or `failed`."""

    def __init__(self, session_id: int, turn_id: int, *, batch_tokens: int = 4,
                 batch_s: float = 0.015) -> None:
        self.group = f"session-{session_id}"
        self.turn_id = turn_id
        self.key = replay_key(turn_id)
        self.batch_tokens, self.batch_s = batch_tokens, batch_s
        self.live = True
        try:
            self.seq = redis_client().llen(self.key)
        except redis.RedisError as exc:
            self._lose_live_view(exc)
            self.seq = 0
        self._buffer: list[str] = []
        self._last_flush = time.monotonic()

    def token(self, text: str) -> None:
        """Buffer one token; flush when the batch is full or `batch_s` has passed since the
        last flush (a slow engine's tokens go out one by one, a fast one's in batches)."""
        self._buffer.append(text)
        if (len(self._buffer) >= self.batch_tokens
                or time.monotonic() - self._last_flush >= self.batch_s):
            self.flush()

    def flush(self) -> None:
        if self._buffer:
            text, self._buffer = "".join(self._buffer), []
            self.publish("tokens", text=text)
        self._last_flush = time.monotonic()

    def publish(self, kind: str, **payload) -> None:
        self.seq += 1
        if not self.live:
            return
        event = {"seq": self.seq, "kind": kind, **payload}
        try:
            pipe = redis_client().pipeline()
            pipe.rpush(self.key, json.dumps(event))
            pipe.expire(self.key, settings.STREAM_REPLAY_TTL_S)
            pipe.execute()
            group_send(self.group, {"type": "turn.event", "turn_id": self.turn_id,
                                    "event": event})
        except (redis.RedisError, OSError, TimeoutError) as exc:
            self._lose_live_view(exc)

    def _lose_live_view(self, exc: Exception) -> None:
        """Stop streaming this turn; the page gets the stored turn when it reconnects."""
        log.warning("live stream of turn %s lost: %s", self.turn_id, exc)
        self.live = False

    def finish(self, kind: str, **payload) -> None:
        """Flush what is buffered and close the stream with a final event."""
        self.flush()
        self.publish(kind, **payload)


def publish_html(group: str, html: str) -> None:
    """Send a ready HTML fragment to every page watching a group; best effort, like the token
    stream: a page that misses it gets the stored state when it reconnects."""
    publish_to_group(group, {"type": "session.html", "html": html, "group": group})


def publish_to_group(group: str, message: dict) -> None:
    """Send a channel-layer message to a group, best effort (see `publish_html`)."""
    try:
        group_send(group, message)
    except (redis.RedisError, OSError, TimeoutError) as exc:
        log.warning("could not send an update to %s: %s", group, exc)
