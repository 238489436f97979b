"""The websocket of one tutoring session: student messages in, tutor tokens out."""

from __future__ import annotations

import asyncio
import json
import logging

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.template.loader import render_to_string

from apps.tutoring import selectors, services
from apps.tutoring.models import Turn
from apps.tutoring.rate_limits import allow_llm_call
from apps.tutoring.socket_guard import signed_in_user
from apps.tutoring.streaming import replay_events

log = logging.getLogger(__name__)
FORBIDDEN = 4403
MAX_FRAME_CHARS = 16_384
MAX_FRAME_DEPTH = 6
# Live events wait this long for the page's `resume` (sent as the socket opens) so that what a
# reconnecting page missed reaches it first, in order; a client that never resumes gets them then.
RESUME_WAIT_S = 2.0
SIGNED_OUT = "You are signed out or no longer have access here; reload the page."


class FrameError(ValueError):
    """A frame that is not a JSON object this socket understands."""


def parse_frame(text_data: str | None) -> dict:
    """The frame as a dict, or FrameError with a message a person can act on."""
    if text_data is None:
        raise FrameError("Send text frames holding a JSON object.")
    if len(text_data) > MAX_FRAME_CHARS:
        raise FrameError(f"That frame is {len(text_data)} characters; the limit is "
                         f"{MAX_FRAME_CHARS}.")
    try:
        frame = json.loads(text_data)
    except RecursionError:
        raise FrameError("That message was not understood (JSON nested too deeply).") from None
    except ValueError:
        raise FrameError("That message was not understood (expected JSON).") from None
    if not isinstance(frame, dict):
        raise FrameError("That message was not understood (expected a JSON object).")
    if _depth(frame) > MAX_FRAME_DEPTH:
        raise FrameError("That message was not understood (JSON nested too deeply).")
    return frame


def _depth(value) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > MAX_FRAME_DEPTH:
            break
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        stack.extend((child, level + 1) for child in children
                     if isinstance(child, dict | list))
    return deepest


def render_error(message: str) -> str:
    return render_to_string("tutoring/partials/_error.html", {"message": message})


class StreamConsumer(AsyncWebsocketConsumer):
    """What every socket that streams turns shares: each event sent once per connection, in
    sequence order, and live events held back until the page's `resume` has been answered."""

    def start_stream(self) -> None:
        self.sent: dict[int, int] = {}
        self.held: list[tuple[int, dict]] = []
        self.gate_open = False
        self.gate_timer = asyncio.ensure_future(self._open_gate_after(RESUME_WAIT_S))

    async def _open_gate_after(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        await self.open_gate()

    async def open_gate(self) -> None:
        if self.gate_open:
            return
        self.gate_open = True
        held, self.held = self.held, []
        for turn_id, event in held:
            await self.send_event(turn_id, event)

    def close_gate_for_resume(self) -> None:
        if not self.gate_open:
            self.gate_timer.cancel()

    async def replay(self, turn_id: int, after: int) -> None:
        """Send the events of a streaming turn after `after`. If live events of the turn already
        went out on this socket past that point, the page's copy of the turn is rebuilt from its
        first event rather than patched out of order."""
        if after < self.sent.get(turn_id, 0):
            await self.send(text_data=render_to_string(
                "tutoring/partials/_event.html", {"turn_id": turn_id, "event": {"kind": "reset"}}))
            after = 0
        self.sent[turn_id] = after
        for event in await database_sync_to_async(replay_events)(turn_id, after):
            await self.send_event(turn_id, event)

    async def turn_event(self, message: dict) -> None:
        if not self.gate_open:
            self.held.append((message["turn_id"], message["event"]))
            return
        await self.send_event(message["turn_id"], message["event"])

    async def send_event(self, turn_id: int, event: dict) -> None:
        """Send each event once per connection, in sequence order."""
        if event["seq"] <= self.sent.get(turn_id, 0):
            return
        self.sent[turn_id] = event["seq"]
        await self.deliver_event(turn_id, event)

    async def deliver_event(self, turn_id: int, event: dict) -> None:
        if event["kind"] in ("done", "failed"):  # the stored turn, rendered by the worker
            return await self.send(text_data=event["html"])
        await self.send(text_data=render_to_string("tutoring/partials/_event.html",
                                                   {"turn_id": turn_id, "event": event}))

    async def send_error(self, message: str) -> None:
        await self.send(text_data=render_error(message))

    async def refuse(self) -> None:
        """The person lost access since the socket opened: say so and close."""
        await self.send_error(SIGNED_OUT)
        await self.close(code=FORBIDDEN)

    def stop_stream(self) -> None:
        timer = getattr(self, "gate_timer", None)
        if timer is not None:
            timer.cancel()


class SessionConsumer(StreamConsumer):
    """Thin edge: parse the frame, check access, call a service, send HTML fragments."""

    async def connect(self) -> None:
        self.session_id = self.scope["url_route"]["kwargs"]["session_id"]
        self.session = await database_sync_to_async(selectors.session_for)(
            self.scope["user"], self.session_id)
        if self.session is None:
            await self.close(code=FORBIDDEN)
            return
        self.can_write = selectors.can_write(self.scope["user"], self.session)
        await self.channel_layer.group_add(self.session.group_name, self.channel_name)
        await self.accept()
        self.start_stream()
        self.watchdog = asyncio.ensure_future(self._watch_leases())

    async def disconnect(self, code: int) -> None:
        if getattr(self, "session", None):
            self.stop_stream()
            self.watchdog.cancel()
            await self.channel_layer.group_discard(self.session.group_name, self.channel_name)

    async def _watch_leases(self) -> None:
        """While the page is open, a turn whose worker died is retried or failed (the lease)."""
        while True:
            await asyncio.sleep(settings.TUTOR_LEASE_CHECK_S)
            try:
                await database_sync_to_async(services.recover_stalled_turns)(self.session.pk)
            except Exception:  # the next round tries again; the socket stays up
                log.exception("lease check of session %s failed", self.session.pk)

    def still_allowed(self) -> bool:
        """Re-checked before every action: signed in, and the session still theirs to see."""
        user = signed_in_user(self.scope)
        if user is None or selectors.session_for(user, self.session_id) is None:
            return False
        self.can_write = selectors.can_write(user, self.session)
        return True

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None):
        try:
            frame = parse_frame(text_data)
        except FrameError as exc:
            return await self.send_error(str(exc))
        kind = frame.get("type", "message")
        if kind not in ("resume", "message"):
            return await self.send_error(f"Unknown message type {str(kind)[:40]!r}.")
        if not await database_sync_to_async(self.still_allowed)():
            return await self.refuse()
        if kind == "resume":
            return await self.resume(frame.get("turns"), frame.get("last_turn"))
        if not self.can_write:
            return await self.send_error("Only the student of this session can write here.")
        await self.post_message(frame.get("text"), frame.get("client_id"))

    async def post_message(self, text: object, client_id: object) -> None:
        """Store the message (once per client id) and tell the page's outbox what became of it:
        `stored`, `busy` (send again after the reply), `retry` (later) or `rejected`."""
        user_id = self.scope["user"].pk
        try:
            await database_sync_to_async(services.post_student_message)(
                self.session, text, client_id, admit=lambda: allow_llm_call(user_id))
        except services.TutorBusy as exc:
            await self.send_ack(client_id, "busy", str(exc))
        except services.RateLimited as exc:
            await self.send_ack(client_id, "retry", str(exc))
        except services.TutoringError as exc:
            await self.send_ack(client_id, "rejected", str(exc))
        else:
            await self.send_ack(client_id, "stored", "")

    async def send_ack(self, client_id: object, result: str, message: str) -> None:
        if not isinstance(client_id, str) or not client_id:  # a client without an outbox
            return await self.send_error(message) if message else None
        await self.send(text_data=render_to_string("tutoring/partials/_ack.html", {
            "client_id": client_id[:64], "result": result, "message": message}))

    async def resume(self, turns: object, last_turn: object = None) -> None:
        """Send what a reconnecting page missed, then the live events held meanwhile: the events
        of its streaming turns after the last sequence it shows, and turns newer than its last."""
        self.close_gate_for_resume()
        if not isinstance(turns, dict):
            await self.open_gate()
            return await self.send_error("resume needs {turn id: last sequence number}.")
        try:
            wanted = {int(turn_id): int(after) for turn_id, after in turns.items()}
            newer_than = int(last_turn) if last_turn not in (None, "") else None
        except (TypeError, ValueError):
            await self.open_gate()
            return await self.send_error("resume needs {turn id: last sequence number}.")
        for turn_id, after in wanted.items():
            turn = await database_sync_to_async(
                Turn.objects.filter(pk=turn_id, session=self.session).first)()
            if turn is None:
                continue
            if not turn.in_progress:  # finished while away: Postgres has the whole turn
                self.sent[turn_id] = 1 << 30
                await self.send(text_data=services.final_html(turn))
                continue
            await self.replay(turn_id, after)
        if newer_than is not None:
            await self.send_newer_turns(newer_than)
        await self.open_gate()

    async def send_newer_turns(self, last_turn: int) -> None:
        """Turns made while the page was away (it never got their frames), then their events."""
        html, streaming = await database_sync_to_async(self._newer_turns)(last_turn)
        if html:
            await self.send(text_data=html)
        for turn_id in streaming:
            await self.replay(turn_id, 0)

    def _newer_turns(self, last_turn: int) -> tuple[str, list[int]]:
        session = type(self.session).objects.select_related("taken_over_by", "problem").get(
            pk=self.session.pk)
        turns = list(session.turns.select_related("author_user").filter(pk__gt=last_turn)
                     .order_by("index"))
        parts = [render_to_string("tutoring/partials/_takeover_banner.html",
                                  {"session": session, "oob": True})]
        if turns:
            parts.append(render_to_string("tutoring/partials/_new_turns.html", {"turns": turns}))
        if session.status == session.Status.SOLVED:
            parts.append(render_to_string("tutoring/partials/_solved.html", {
                "session": session, "oob": True,
                "next_problem": selectors.next_problem_for(session.student, session)}))
        for turn in turns:
            if not turn.in_progress:
                self.sent[turn.pk] = 1 << 30
        return "".join(parts), [t.pk for t in turns if t.in_progress]

    async def session_html(self, message: dict) -> None:
        await self.send(text_data=message["html"])
