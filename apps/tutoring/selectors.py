"""Read paths of tutoring, with the access rule for sessions decided in one place."""

from django.db.models import Count, Q, QuerySet

from agents.eval.tutor_eval import build_report
from apps.problems.models import Problem
from apps.tutoring.models import EvaluationRun, Turn, TutoringSession


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


def evaluation_runs() -> QuerySet[EvaluationRun]:
    """Every evaluation run, newest first, with its count of stored dialogues."""
    return EvaluationRun.objects.annotate(done=Count("dialogues")).order_by("-created_at")


def default_comparison() -> tuple[EvaluationRun | None, EvaluationRun | None]:
    """The latest TutorGraph run and the latest baseline run."""
    runs = evaluation_runs()
    return (runs.filter(tutor="tutorgraph").first(), runs.filter(tutor="baseline").first())


def side_by_side(a: EvaluationRun | None, b: EvaluationRun | None) -> list[dict]:
    """Dialogues of two runs paired by dataset line (a line one run lacks shows empty)."""
    rows: dict[int, dict] = {}
    for key, run in (("a", a), ("b", b)):
        if run is None:
            continue
        for dialogue in run.dialogues.select_related("session"):
            rows.setdefault(dialogue.line, {"line": dialogue.line, "qid": dialogue.qid})
            rows[dialogue.line][key] = dialogue
    return [rows[line] for line in sorted(rows)]


def run_report(run: EvaluationRun) -> dict:
    """The finished report, or one computed from the dialogues stored so far."""
    if run.report:
        return run.report
    return report_of(run)


def next_problem_for(student, session: TutoringSession) -> Problem | None:
    """The first problem the student may work on and has not solved, after this session's."""
    if student is None:
        return None
    solved = TutoringSession.objects.filter(student=student, status=TutoringSession.Status.SOLVED)
    todo = problems_for(student).exclude(pk__in=solved.values("problem_id")).order_by("pk")
    return todo.filter(pk__gt=session.problem_id).first() or todo.exclude(
        pk=session.problem_id).first()


def report_of(run: EvaluationRun) -> dict:
    """The run's report from its stored dialogues (failed dialogues are counted, not scored)."""
    stored = list(run.dialogues.all())
    scored = [d.result for d in stored if not d.error]
    report = build_report(scored, tutor=run.tutor, engine=run.engine, model=run.model,
                          k_max=run.params["k_max"], seed=run.params["seed"],
                          params={**run.params, "dataset": run.dataset,
                                  "student_engine": run.student_engine, "run_id": run.pk})
    report["failed"] = [{"line": d.line, "error": d.error} for d in stored if d.error]
    return report
