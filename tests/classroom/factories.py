"""Stored sessions and turns for the classroom tests, with detections as the detector writes them."""

from __future__ import annotations

from apps.tutoring.models import Turn, TutoringSession


def detection(key: str, score: float = 0.9) -> dict:
    return {"key": key, "name": key.replace("_", " "), "description": f"{key} description",
            "score": score, "evidence": "3 + 6"}


def dialogue(student, problem, classroom, turns: list[tuple], *, status="active") -> TutoringSession:
    """A session from (author, text, extra fields) tuples, stored in order."""
    session = TutoringSession.objects.create(student=student, problem=problem,
                                             classroom=classroom, status=status)
    for index, (author, text, extra) in enumerate(turns):
        Turn.objects.create(session=session, index=index, author=author, text=text,
                            author_user=student if author == "student" else None, **extra)
    return session
