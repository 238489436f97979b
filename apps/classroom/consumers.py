"""The teacher's live monitor: one websocket joined to the groups of a class's active sessions."""

from __future__ import annotations

import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.template.loader import render_to_string

from apps.classroom import selectors
from apps.classroom.alerts import alerts_for
from apps.tutoring import takeover
from apps.tutoring.consumers import FORBIDDEN
from apps.tutoring.models import Turn, TutoringSession
from apps.tutoring.services import TutoringError

TEACHER_ACTIONS = ("take_over", "hand_back", "teacher_message")


def render_card(classroom, session_id: int, viewer) -> str:
    """A session's monitor card, re-rendered from Postgres, swapped in by id."""
    session = selectors.monitored_session(classroom, session_id)
    if session is None:
        return ""
    return render_to_string("classroom/partials/_card.html", {
        "session": session, "alerts": alerts_for(session.turns.all()), "user": viewer,
        "classroom": classroom, "oob": True})


class MonitorConsumer(AsyncWebsocketConsumer):
    """Sees what the students see (new turns, tokens, takeovers); lets the teacher take over."""

    async def connect(self) -> None:
        user = self.scope["user"]
        self.classroom = await database_sync_to_async(selectors.classroom_for)(
            user, self.scope["url_route"]["kwargs"]["classroom_id"])
        if self.classroom is None:
            await self.close(code=FORBIDDEN)
            return
        sessions = await database_sync_to_async(selectors.active_sessions)(self.classroom)
        self.session_ids = {s.pk for s in sessions}
        self.groups_joined = [s.group_name for s in sessions]
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None):
        try:
            frame = json.loads(text_data or "")
        except ValueError:
            frame = None
        if isinstance(frame, dict) and frame.get("type") == "resume":
            return None  # stream.js asks on every (re)connect; cards are rendered whole instead
        if not isinstance(frame, dict) or frame.get("type") not in TEACHER_ACTIONS:
            return await self.send_error("That message was not understood.")
        try:
            session_id = int(frame.get("session"))
        except (TypeError, ValueError):
            return await self.send_error("Which session? (session id missing)")
        if session_id not in self.session_ids:
            return await self.send_error("That session is not an active session of this class.")
        try:
            await database_sync_to_async(self.act)(frame["type"], session_id, frame.get("text"))
        except TutoringError as exc:
            await self.send_error(str(exc))

    def act(self, kind: str, session_id: int, text: object) -> None:
        session = TutoringSession.objects.get(pk=session_id, classroom=self.classroom)
        teacher = self.scope["user"]
        if kind == "take_over":
            takeover.take_over(session, teacher)
        elif kind == "hand_back":
            takeover.hand_back(session, teacher)
        else:
            takeover.post_teacher_message(session, teacher, text)

    async def session_html(self, message: dict) -> None:
        """Something new in a session (turns, takeover): re-render its card."""
        session_id = int(message.get("group", "session-0").rpartition("-")[2])
        await self.send_card(session_id)

    async def turn_event(self, message: dict) -> None:
        event = message["event"]
        if event["kind"] in ("tokens", "reset"):
            return await self.send(text_data=render_to_string(
                "tutoring/partials/_event.html", {"turn_id": message["turn_id"], "event": event}))
        session_id = await database_sync_to_async(
            lambda: Turn.objects.filter(pk=message["turn_id"])
            .values_list("session_id", flat=True).first())()
        if session_id:
            await self.send_card(session_id)

    async def send_card(self, session_id: int) -> None:
        if session_id not in self.session_ids:
            return
        html = await database_sync_to_async(render_card)(self.classroom, session_id,
                                                         self.scope["user"])
        if html:
            await self.send(text_data=html)

    async def send_error(self, message: str) -> None:
        await self.send(text_data=render_to_string("tutoring/partials/_error.html",
                                                   {"message": message}))
