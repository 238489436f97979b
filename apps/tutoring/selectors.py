"""Read paths of tutoring, with the access rule for sessions decided in one place."""

from django.db.models import Q, QuerySet

from apps.problems.models import Problem
from apps.tutoring.models import Turn, TutoringSession


def sessions_visible_to(user) -> QuerySet[TutoringSession]:
    """Students see their own sessions, teachers their classes', admins all."""
    qs = TutoringSession.objects.select_related("problem", "student")
    if not user.is_authenticated:
        return qs.none()
    if user.is_admin:
        return qs
    if user.role == "teacher":
        return qs.filter(classroom__teacher=user)
    if user.role == "student":
        return qs.filter(student=user)
    return qs.none()


def session_for(user, session_id: int) -> TutoringSession | None:
    return sessions_visible_to(user).filter(pk=session_id).first()


def can_write(user, session: TutoringSession) -> bool:
    return session.student_id == user.pk


def problems_for(user) -> QuerySet[Problem]:
    """The problem bank, narrowed for a student to the problem sets their classes allow."""
    problems = Problem.objects.filter(Q(source__startswith="gsm8k") | Q(source="demo"))
    if not user.is_authenticated or user.role != "student":
        return problems
    source_lists = list(user.classrooms.values_list("allowed_problem_sources", flat=True))
    if not source_lists or any(not sources for sources in source_lists):
        return problems  # a class without a restriction opens the whole bank
    only = Q()
    for prefix in {prefix for sources in source_lists for prefix in sources}:
        only |= Q(source__startswith=prefix)
    return problems.filter(only)


def turns_of(session: TutoringSession) -> list[Turn]:
    return list(session.turns.select_related("author_user").order_by("index"))


def next_problem_for(student, session: TutoringSession) -> Problem | None:
    """The first problem the student may work on and has not solved, after this session's."""
    if student is None:
        return None
    solved = TutoringSession.objects.filter(student=student, status=TutoringSession.Status.SOLVED)
    todo = problems_for(student).exclude(pk__in=solved.values("problem_id")).order_by("pk")
    return todo.filter(pk__gt=session.problem_id).first() or todo.exclude(
        pk=session.problem_id).first()
