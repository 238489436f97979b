"""Stored sessions and turns for the classroom's counting and query-count tests.

Detections are typed `Detection`s written through `apps.problems.detections.stored`, the one
writer `run_turn` uses, on student turns only. Where a detection comes from (a student's
wrong answer through the socket, the worker and the detector) is tested end to end in
tests/classroom/test_detection_journey.py.
"""

from __future__ import annotations

from apps.problems.detections import Detection, stored
from apps.tutoring.models import Turn, TutoringSession


def detection(key: str, score: float = 0.9) -> Detection:
    return Detection(key=key, name=key.replace("_", " "), description=f"{key} description",
                     score=score, evidence="3 + 6")


def _student_extra(author: str, extra: dict) -> dict:
    if "detections" in extra:
        assert author == "student", "detections describe a student turn"
        extra = {**extra, "detections": stored(extra["detections"])}
    return extra


def dialogue(student, problem, classroom, turns: list[tuple], *, status="active") -> TutoringSession:
    """A session from (author, text, extra fields) tuples, stored in order."""
    session = TutoringSession.objects.create(student=student, problem=problem,
                                             classroom=classroom, status=status)
    for index, (author, text, extra) in enumerate(turns):
        Turn.objects.create(session=session, index=index, author=author, text=text,
                            author_user=student if author == "student" else None,
                            **_student_extra(author, extra))
    return session


def many_sessions(classroom, students, problems, n: int, *, keys=("adds", "units"),
                  teacher=None) -> list[TutoringSession]:
    """`n` sessions spread over the students and problems, in two bulk inserts: a wrong student
    answer with a detection, the tutor's probe and the student's retry; every third session
    solved, the others still active, and with a `teacher` every third taken over by them with
    a message of theirs."""
    sessions = TutoringSession.objects.bulk_create(
        TutoringSession(student=students[i % len(students)], problem=problems[i % len(problems)],
                        classroom=classroom, status="solved" if i % 3 == 0 else "active",
                        taken_over_by=teacher if i % 3 == 1 else None)
        for i in range(n))
    Turn.objects.bulk_create(
        turn for i, session in enumerate(sessions) for turn in (
            Turn(session=session, index=0, author="student", author_user=session.student,
                 text="3 + 6 = 9", is_correct=False, detections=stored([detection(keys[i % len(keys)])])),
            Turn(session=session, index=1, author="tutor", text="How many bags?", move="probing"),
            Turn(session=session, index=2, author="student", author_user=session.student,
                 text="so 18?", is_correct=session.status == "solved",
                 detections=stored([detection(keys[0], 0.5)])),
            *([Turn(session=session, index=3, author="teacher", author_user=teacher,
                    text="Look at the bags again.")] if session.taken_over_by else [])))
    return sessions
