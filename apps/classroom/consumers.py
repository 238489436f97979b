"""The teacher's live monitor: one websocket joined to the groups of a class's active sessions,
and to the class's group, where new sessions are announced."""

from __future__ import annotations

from channels.db import database_sync_to_async
from django.template.loader import render_to_string

from apps.classroom import selectors
from apps.classroom.alerts import alerts_for
from apps.tutoring import takeover
from apps.tutoring.consumers import FORBIDDEN, FrameError, StreamConsumer, parse_frame
from apps.tutoring.models import Turn, TutoringSession
from apps.tutoring.services import TutoringError
from apps.tutoring.socket_guard import signed_in_user

TEACHER_ACTIONS = ("take_over", "hand_back", "teacher_message")


def render_card(classroom, session_id: int, viewer, *, oob: bool = True) -> str:
    """A session's monitor card, re-rendered from Postgres, swapped in by id."""
    session = selectors.monitored_session(classroom, session_id)
    if session is None:
        return ""
    return render_to_string("classroom/partials/_card.html", {
        "session": session, "alerts": alerts_for(session.turns.all()), "user": viewer,
        "classroom": classroom, "oob": oob})


class MonitorConsumer(StreamConsumer):
    """Sees what the students see (new turns, tokens, takeovers, new sessions); lets the
    teacher take over. Every action re-checks that the teacher still has the class."""

    async def connect(self) -> None:
        self.classroom_id = self.scope["url_route"]["kwargs"]["classroom_id"]
        self.classroom = await database_sync_to_async(selectors.classroom_for)(
            self.scope["user"], self.classroom_id)
        if self.classroom is None:
            await self.close(code=FORBIDDEN)
            return
        self.session_ids: set[int] = set()
        self.class_group = f"classroom-{self.classroom.pk}"
        await self.channel_layer.group_add(self.class_group, self.channel_name)
        for session in await database_sync_to_async(selectors.active_sessions)(self.classroom):
            await self.watch(session.pk)
        await self.accept()
        self.start_stream()

    async def watch(self, session_id: int) -> None:
        if session_id not in self.session_ids:
            self.session_ids.add(session_id)
            await self.channel_layer.group_add(f"session-{session_id}", self.channel_name)

    async def disconnect(self, code: int) -> None:
        if getattr(self, "classroom", None) is None:
            return
        self.stop_stream()
        await self.channel_layer.group_discard(self.class_group, self.channel_name)
        for session_id in self.session_ids:
            await self.channel_layer.group_discard(f"session-{session_id}", self.channel_name)

    def still_allowed(self) -> bool:
        """Signed in, and the class still theirs (it may have moved to another teacher)."""
        user = signed_in_user(self.scope)
        return user is not None and selectors.classroom_for(user, self.classroom_id) is not None

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None):
        try:
            frame = parse_frame(text_data)
        except FrameError as exc:
            return await self.send_error(str(exc))
        kind = frame.get("type")
        if kind != "resume" and kind not in TEACHER_ACTIONS:
            return await self.send_error("That message was not understood.")
        if not await database_sync_to_async(self.still_allowed)():
            return await self.refuse()
        if kind == "resume":
            return await self.resume()
        try:
            session_id = int(frame.get("session"))
        except (TypeError, ValueError):
            return await self.send_error("Which session? (session id missing)")
        if session_id not in self.session_ids:
            return await self.send_error("That session is not an active session of this class.")
        try:
            await database_sync_to_async(self.act)(kind, session_id, frame.get("text"))
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

    async def resume(self) -> None:
        """A (re)connected monitor gets every card as Postgres has it now (sessions started
        while it was away included), then each streaming turn's events from the first, then
        the live events held meanwhile: nothing missed, nothing twice."""
        self.close_gate_for_resume()
        sessions = await database_sync_to_async(selectors.active_sessions)(self.classroom)
        for session in sessions:
            new = session.pk not in self.session_ids
            await self.watch(session.pk)
            html = await database_sync_to_async(render_card)(
                self.classroom, session.pk, self.scope["user"], oob=not new)
            await self.send(text_data=self.prepend(html) if new else html)
        streaming = await database_sync_to_async(lambda: list(
            Turn.objects.filter(session_id__in=self.session_ids,
                                status__in=[Turn.Status.PENDING, Turn.Status.STREAMING])
            .values_list("pk", flat=True)))()
        for turn_id in streaming:
            self.sent.pop(turn_id, None)  # the card came with an empty body: start from 1
            await self.replay(turn_id, 0)
        await self.open_gate()

    @staticmethod
    def prepend(card_html: str) -> str:
        return f'<div id="monitor-grid" hx-swap-oob="afterbegin">{card_html}</div>'

    async def session_started(self, message: dict) -> None:
        """A student of the class opened a session: watch it and add its card."""
        session_id = int(message["session_id"])
        if session_id in self.session_ids:
            return
        await self.watch(session_id)
        html = await database_sync_to_async(render_card)(self.classroom, session_id,
                                                         self.scope["user"], oob=False)
        if html:
            await self.send(text_data=self.prepend(html))

    async def session_html(self, message: dict) -> None:
        """Something new in a session (turns, takeover): re-render its card."""
        session_id = int(message.get("group", "session-0").rpartition("-")[2])
        await self.send_card(session_id)

    async def deliver_event(self, turn_id: int, event: dict) -> None:
        if event["kind"] in ("tokens", "reset"):
            return await self.send(text_data=render_to_string(
                "tutoring/partials/_event.html", {"turn_id": turn_id, "event": event}))
        session_id = await database_sync_to_async(
            lambda: Turn.objects.filter(pk=turn_id).values_list("session_id", flat=True).first())()
        if session_id:
            await self.send_card(session_id)

    async def send_card(self, session_id: int) -> None:
        if session_id not in self.session_ids:
            return
        html = await database_sync_to_async(render_card)(self.classroom, session_id,
                                                         self.scope["user"])
        if html:
            await self.send(text_data=html)
