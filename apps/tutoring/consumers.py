"""The websocket of one tutoring session: student messages in, tutor tokens out."""

from __future__ import annotations

import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.template.loader import render_to_string

from apps.tutoring import selectors, services
from apps.tutoring.models import Turn
from apps.tutoring.rate_limits import allow_llm_call
from apps.tutoring.streaming import replay_events

FORBIDDEN = 4403


class SessionConsumer(AsyncWebsocketConsumer):
    """Thin edge: parse the frame, check access, call a service, send HTML fragments."""

    async def connect(self) -> None:
        user = self.scope["user"]
        self.session = await database_sync_to_async(selectors.session_for)(
            user, self.scope["url_route"]["kwargs"]["session_id"])
        if self.session is None:
            await self.close(code=FORBIDDEN)
            return
        self.can_write = selectors.can_write(user, self.session)
        self.sent: dict[int, int] = {}
        await self.channel_layer.group_add(self.session.group_name, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if getattr(self, "session", None):
            await self.channel_layer.group_discard(self.session.group_name, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None):
        try:
            frame = json.loads(text_data or "")
        except ValueError:
            frame = None
        if not isinstance(frame, dict):
            return await self.send_error("That message was not understood (expected JSON).")
        kind = frame.get("type", "message")
        if kind == "resume":
            return await self.resume(frame.get("turns"))
        if kind != "message":
            return await self.send_error(f"Unknown message type {kind!r}.")
        if not self.can_write:
            return await self.send_error("Only the student of this session can write here.")
        try:
            await database_sync_to_async(self.post_message)(frame.get("text"))
        except services.TutoringError as exc:
            await self.send_error(str(exc))

    def post_message(self, text: object) -> None:
        """Count the call against the student's rate limit, then store the message (one hop
        to a sync thread for both)."""
        if not allow_llm_call(self.scope["user"].pk):
            raise services.TutoringError("You are sending messages too fast; wait a minute.")
        services.post_student_message(self.session, text)

    async def resume(self, turns: object) -> None:
        """Send what a reconnecting page missed: events after the last sequence it saw."""
        if not isinstance(turns, dict):
            return await self.send_error("resume needs {turn id: last sequence number}.")
        for turn_id, after in turns.items():
            try:
                turn_id, after = int(turn_id), int(after)
            except (TypeError, ValueError):
                return await self.send_error("resume needs {turn id: last sequence number}.")
            turn = await database_sync_to_async(
                Turn.objects.filter(pk=turn_id, session=self.session).first)()
            if turn is None:
                continue
            self.sent[turn_id] = after
            if not turn.in_progress:  # finished while away: Postgres has the whole turn
                await self.send_turn(turn)
                continue
            for event in await database_sync_to_async(replay_events)(turn_id, after):
                await self.send_event(turn_id, event)

    async def session_html(self, message: dict) -> None:
        await self.send(text_data=message["html"])

    async def turn_event(self, message: dict) -> None:
        await self.send_event(message["turn_id"], message["event"])

    async def send_event(self, turn_id: int, event: dict) -> None:
        """Send each event once per connection, in sequence order."""
        if event["seq"] <= self.sent.get(turn_id, 0):
            return
        self.sent[turn_id] = event["seq"]
        if event["kind"] in ("done", "failed"):  # the stored turn, rendered by the worker
            return await self.send(text_data=event["html"])
        await self.send(text_data=render_to_string("tutoring/partials/_event.html",
                                                   {"turn_id": turn_id, "event": event}))

    async def send_turn(self, turn: Turn) -> None:
        """Replace a turn on the page with its stored form."""
        await self.send(text_data=services.final_html(turn))

    async def send_error(self, message: str) -> None:
        await self.send(text_data=render_to_string("tutoring/partials/_error.html",
                                                   {"message": message}))
