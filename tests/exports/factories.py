"""Tutoring sessions with turns, and traces of the tutor's runs, as the live app writes them."""

from __future__ import annotations

from django.utils import timezone

from apps.traces.models import Run
from apps.tutoring.models import Turn, TutoringSession


def tutoring_session(student, problem, *, classroom=None, origin="student", turns=None,
                     engine="embedded", model="smollm2") -> TutoringSession:
    """A session whose turns alternate student / tutor, the tutor's runs traced."""
    session = TutoringSession.objects.create(student=student, problem=problem, classroom=classroom,
                                             origin=origin)
    turns = turns or [("student", "I got 17."), ("tutor", "How did you get 17?")]
    previous = None
    for index, (author, text) in enumerate(turns):
        turn = Turn.objects.create(session=session, index=index, author=author, text=text,
                                   author_user=student if author == "student" else None,
                                   reply_to=previous if author == "tutor" else None)
        if author == "tutor":
            now = timezone.now()
            Run.objects.create(source="tutoring", name="tutor_turn", engine=engine, model=model,
                               subject=turn, started_at=now, ended_at=now)
        previous = turn
    return session
