"""Read paths of the teacher's views, each in a fixed number of queries whatever the class size."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.db.models.fields.json import KT
from django.utils import timezone

from agents.graphs.moves import QUESTION_MOVES, Move
from apps.accounts.models import Classroom, Enrolment, User
from apps.classroom.alerts import Alert, alerts_for
from apps.classroom.models import AlertAcknowledgement
from apps.learners.selectors import SkillLane, lanes_of, learner_lanes, skill_of
from apps.problems.detections import TOP_KEY, TOP_NAME, Detection, detections_of, top_detection
from apps.problems.selectors import DetectionSummary, summarise_detections
from apps.tutoring.models import Turn, TutoringSession

HINT_MOVES = QUESTION_MOVES  # a hint is a reply that asks: focus or probing
MONITOR_CARDS = 60  # the live monitor shows the most recently active sessions, at most this many


def classrooms_for(user) -> QuerySet[Classroom]:
    """Teachers see the classes they teach, admins every class, everyone else none."""
    qs = Classroom.objects.select_related("school", "teacher").order_by("school__name", "name")
    if not user.is_authenticated:
        return qs.none()
    if user.is_admin:
        return qs
    if user.role == "teacher":
        return qs.filter(teacher=user)
    return qs.none()


def classroom_for(user, classroom_id: int) -> Classroom | None:
    return classrooms_for(user).filter(pk=classroom_id).first()


def enrolments_of(classroom: Classroom) -> list[Enrolment]:
    return list(classroom.enrolment_set.select_related("student").order_by("student__username"))


@dataclass
class StudentRow:
    student: User
    tried: int
    solved: int
    hints: int
    tellings: int
    last_activity: datetime | None
    lanes: dict[str, str] = field(default_factory=dict)


def student_rows(classroom: Classroom) -> list[StudentRow]:
    """Per student of the class: problems tried and solved, hints and tellings, last activity,
    and the ATLAS lane on each skill of the class's problems (three queries in all)."""
    in_class = Q(tutoring_sessions__classroom=classroom)
    tutor = Q(tutoring_sessions__turns__author=Turn.Author.TUTOR)
    students = (User.objects.filter(classrooms=classroom).order_by("username").annotate(
        tried=Count("tutoring_sessions__problem", filter=in_class, distinct=True),
        solved=Count("tutoring_sessions__problem", distinct=True,
                     filter=in_class & Q(tutoring_sessions__status=TutoringSession.Status.SOLVED)),
        hints=Count("tutoring_sessions__turns", filter=in_class & tutor & Q(
            tutoring_sessions__turns__move__in=HINT_MOVES)),
        tellings=Count("tutoring_sessions__turns", filter=in_class & tutor & Q(
            tutoring_sessions__turns__move=Move.TELLING)),
        last_activity=Max("tutoring_sessions__updated_at", filter=in_class)))
    skills = sorted({skill_of(skill_list) for skill_list in TutoringSession.objects.filter(
        classroom=classroom).values_list("problem__skills", flat=True).order_by().distinct()})
    students = list(students)
    lanes = lanes_of(students, skills)
    return [StudentRow(s, s.tried, s.solved, s.hints, s.tellings, s.last_activity,
                       {skill: lanes[s.pk, skill] for skill in skills}) for s in students]


def _student_turns_in_period(classroom: Classroom, since: datetime | None,
                             until: datetime | None) -> QuerySet[Turn]:
    turns = Turn.objects.filter(session__classroom=classroom, author=Turn.Author.STUDENT,
                                author_user__classrooms=classroom)
    if since:
        turns = turns.filter(created_at__gte=since)
    if until:
        turns = turns.filter(created_at__lt=until)
    return turns


@dataclass
class Heatmap:
    students: list[User]
    misconceptions: list[tuple[str, str]]  # (key, name), most frequent first
    counts: dict[tuple[str, int], int]  # (misconception key, student id) -> student turns

    def rows(self) -> list[tuple[str, str, list[tuple[User, int, float]]]]:
        """(key, name, [(student, count, shade 0..1)]) per misconception, shaded by the top cell."""
        top = max(self.counts.values(), default=1)
        return [(key, name, [(s, n, round(n / top, 2)) for s in self.students
                             for n in [self.counts.get((key, s.pk), 0)]])
                for key, name in self.misconceptions]


def misconception_heatmap(classroom: Classroom, since: datetime | None = None,
                          until: datetime | None = None) -> Heatmap:
    """Misconception × student: how many student turns had it as their top detection (the first
    of the stored list), counted in Postgres so memory does not grow with the turns (2 queries)."""
    counts: dict[tuple[str, int], int] = {}
    names: dict[str, str] = {}
    totals: Counter[str] = Counter()
    cells = (_student_turns_in_period(classroom, since, until)
             .annotate(key=KT(TOP_KEY), name=KT(TOP_NAME))
             .exclude(key__isnull=True).exclude(key="")
             .values_list("key", "author_user_id").annotate(turns=Count("pk"), name=Max("name"))
             .order_by())
    for key, student_id, turns, name in cells:
        counts[(key, student_id)] = turns
        totals[key] += turns
        names[key] = names.get(key) or name or key
    students = list(User.objects.filter(classrooms=classroom).order_by("username"))
    order = sorted(totals, key=lambda k: (-totals[k], k))
    return Heatmap(students, [(k, names[k]) for k in order], counts)


def heatmap_cell_turns(classroom: Classroom, key: str, student_id: int,
                       since: datetime | None = None, until: datetime | None = None) -> QuerySet[Turn]:
    """The student turns behind one heatmap cell, oldest first, with their sessions."""
    return (_student_turns_in_period(classroom, since, until)
            .filter(author_user_id=student_id, **{TOP_KEY: key})
            .select_related("session__problem", "author_user").order_by("created_at", "pk"))


def _with_turns(sessions: QuerySet[TutoringSession]) -> list[TutoringSession]:
    return list(sessions.select_related("student", "problem", "taken_over_by")
                .prefetch_related(Prefetch("turns", queryset=Turn.objects.select_related(
                    "author_user").order_by("index")))
                .order_by("student__username", "pk"))


def _active(classroom: Classroom) -> QuerySet[TutoringSession]:
    return TutoringSession.objects.filter(classroom=classroom, status=TutoringSession.Status.ACTIVE)


def active_sessions(classroom: Classroom) -> list[TutoringSession]:
    """The class's most recently active sessions, at most MONITOR_CARDS, with their turns, for
    the live monitor (two queries): sessions left active pile up over a term."""
    recent = _active(classroom).order_by("-updated_at", "-pk").values("pk")[:MONITOR_CARDS]
    return _with_turns(TutoringSession.objects.filter(pk__in=recent))


def active_session_count(classroom: Classroom) -> int:
    """How many sessions of the class are active, shown on the monitor or not."""
    return _active(classroom).count()


def monitored_session(classroom: Classroom, session_id: int) -> TutoringSession | None:
    """One session of the class with its turns, for re-rendering its monitor card."""
    found = _with_turns(TutoringSession.objects.filter(classroom=classroom, pk=session_id))
    return found[0] if found else None


# Alerts ------------------------------------------------------------------------------------

ALERT_WINDOW_DAYS = 7
ALERT_SESSIONS = 200


@dataclass
class SessionAlert:
    session: TutoringSession
    alert: Alert
    acknowledgement: AlertAcknowledgement | None  # set when seen since the student last wrote


def class_alerts(classroom: Classroom, *, now: datetime | None = None) -> list[SessionAlert]:
    """The alerts of the class's sessions active in the last week (at most ALERT_SESSIONS, most
    recent first), each with its acknowledgement if a teacher saw it after the student's last turn
    (three queries)."""
    since = (now or timezone.now()) - timedelta(days=ALERT_WINDOW_DAYS)
    recent = (TutoringSession.objects.filter(classroom=classroom, updated_at__gte=since)
              .order_by("-updated_at", "-pk").values("pk")[:ALERT_SESSIONS])
    sessions = (TutoringSession.objects.filter(pk__in=recent)
                .select_related("student", "problem")
                .prefetch_related(Prefetch("turns", queryset=Turn.objects.order_by("index")),
                                  Prefetch("alert_acknowledgements",
                                           queryset=AlertAcknowledgement.objects.select_related(
                                               "acknowledged_by")))
                .order_by("-updated_at", "-pk"))
    out = []
    for session in sessions:
        turns = list(session.turns.all())
        last_student = max((t.created_at for t in turns if t.author == Turn.Author.STUDENT),
                           default=None)
        seen = {(a.kind, a.subject): a for a in session.alert_acknowledgements.all()}
        for alert in alerts_for(turns):
            ack = seen.get(alert.identity)
            if ack and last_student and ack.acknowledged_at < last_student:
                ack = None  # the student wrote again since: the alert is new again
            out.append(SessionAlert(session, alert, ack))
    return out


# One learner ------------------------------------------------------------------------------

@dataclass
class LearnerSession:
    session: TutoringSession
    turns: list[tuple[Turn, Detection | None]]  # the transcript, each turn with its top detection
    attempts: int
    hints: int
    tellings: int
    misconceptions: list[tuple[Turn, Detection]]  # (student turn, its top detection), in order
    alerts: list[Alert] = field(default_factory=list)

    @property
    def misconception_counts(self) -> list[tuple[str, str, int]]:
        """(key, name, student turns) of this session, most frequent first."""
        counts = Counter(d.key for _, d in self.misconceptions)
        names = {d.key: d.name for _, d in self.misconceptions}
        return [(k, names[k], n) for k, n in counts.most_common()]

    @property
    def first_detected_at(self) -> datetime | None:
        return self.misconceptions[0][0].created_at if self.misconceptions else None


@dataclass
class LearnerPage:
    student: User
    sessions: list[LearnerSession]  # newest first
    tried: int
    solved: int
    hints: int
    tellings: int
    misconceptions: list[DetectionSummary]  # most frequent first
    timeline: list[LearnerSession]  # the sessions with a detected misconception, oldest first
    lanes: list[SkillLane]


def learner_in(classroom: Classroom, student_id: int) -> User | None:
    """A student enrolled in the class, or None."""
    return User.objects.filter(pk=student_id, classrooms=classroom).first()


def learner_page(classroom: Classroom, student: User) -> LearnerPage:
    """One learner's sessions in the class with transcripts, their figures, the misconceptions
    detected in their turns over time and their ATLAS lane per skill."""
    sessions = list(TutoringSession.objects.filter(classroom=classroom, student=student)
                    .select_related("problem", "taken_over_by")
                    .prefetch_related(Prefetch("turns", queryset=Turn.objects.select_related(
                        "author_user").order_by("index")))
                    .order_by("-created_at", "-pk"))
    rows = []
    for session in sessions:
        turns = list(session.turns.all())
        tutor = [t for t in turns if t.author == Turn.Author.TUTOR]
        transcript = [(t, top_detection(t) if t.author == Turn.Author.STUDENT else None)
                      for t in turns]
        found = [(t, d) for t, d in transcript if d is not None]
        rows.append(LearnerSession(
            session, transcript, attempts=sum(t.author == Turn.Author.STUDENT for t in turns),
            hints=sum(t.move in HINT_MOVES for t in tutor),
            tellings=sum(t.move == Move.TELLING for t in tutor), misconceptions=found,
            alerts=alerts_for(turns) if session.status == TutoringSession.Status.ACTIVE else []))
    timeline = sorted((row for row in rows if row.misconceptions),
                      key=lambda row: (row.first_detected_at, row.session.pk))
    return LearnerPage(
        student=student, sessions=rows, tried=len({s.problem_id for s in sessions}),
        solved=len({s.problem_id for s in sessions if s.status == TutoringSession.Status.SOLVED}),
        hints=sum(r.hints for r in rows), tellings=sum(r.tellings for r in rows),
        misconceptions=summarise_detections(
            detections_of(t) for row in timeline for t, _ in row.misconceptions),
        timeline=timeline, lanes=learner_lanes([student])[student.pk])
