"""Write paths of a teacher's takeover: take a session over, write in it, hand it back.

While a teacher holds a session the tutor pauses: a student's message is stored and shown,
but no tutor turn is queued (`services.post_student_message`); at hand-back the tutor answers
the student's last message if nobody did. Every step is broadcast to the session's group and
audited.
"""

from __future__ import annotations

from django.db import transaction
from django.template.loader import render_to_string

from agents.tracing import Tracer
from apps.accounts.audit import record
from apps.traces.models import Run
from apps.traces.services import save_run
from apps.tutoring.models import Turn, TutoringSession
from apps.tutoring.services import (
    TutoringError,
    next_turn_index,
    publish_new_turns,
    reply_to_waiting_student,
    validate_message,
)
from apps.tutoring.streaming import publish_html


def _locked(session: TutoringSession) -> TutoringSession:
    return TutoringSession.objects.select_for_update().get(pk=session.pk)


def _publish_banner(session: TutoringSession) -> None:
    session = TutoringSession.objects.select_related("taken_over_by").get(pk=session.pk)
    html = render_to_string("tutoring/partials/_takeover_banner.html",
                            {"session": session, "oob": True})
    transaction.on_commit(lambda: publish_html(session.group_name, html))


def take_over(session: TutoringSession, teacher) -> TutoringSession:
    """The teacher takes the session; the tutor pauses until they hand it back."""
    with transaction.atomic():
        session = _locked(session)
        if session.status != TutoringSession.Status.ACTIVE:
            raise TutoringError("This session is closed.")
        if session.taken_over_by_id not in (None, teacher.pk):
            raise TutoringError("Another teacher is already writing in this session.")
        session.taken_over_by = teacher
        session.save(update_fields=["taken_over_by", "updated_at"])
        record(teacher, "session.take_over", session)
        _publish_banner(session)
    return session


def hand_back(session: TutoringSession, teacher) -> TutoringSession:
    """Give the session back to the AI tutor, which answers a student message left waiting."""
    with transaction.atomic():
        session = _locked(session)
        if session.taken_over_by_id is None:
            return session
        session.taken_over_by = None
        session.save(update_fields=["taken_over_by", "updated_at"])
        record(teacher, "session.hand_back", session)
        _publish_banner(session)
        reply_to_waiting_student(session)
    return session


def post_teacher_message(session: TutoringSession, teacher, text: object) -> Turn:
    """Store the teacher's turn, show it to everyone watching, and trace it."""
    text = validate_message(text)
    tracer = Tracer()
    with transaction.atomic():
        session = _locked(session)
        if session.taken_over_by_id != teacher.pk:
            raise TutoringError("Take over the session before writing in it.")
        with tracer.span("teacher_message", session_id=session.pk, chars=len(text)):
            turn = Turn.objects.create(session=session, index=next_turn_index(session), text=text,
                                       author=Turn.Author.TEACHER, author_user=teacher)
        session.save(update_fields=["updated_at"])
        save_run(tracer, source=Run.Source.TUTORING, name="teacher_message", subject=turn,
                 user=teacher, thread=session.trace_thread)
        publish_new_turns(session, [turn])
    return turn
