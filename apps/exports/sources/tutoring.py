"""Tutoring (and evaluation) sessions as conversations for SFT and OpenAI chat exports.

Student turns become `user` messages; tutor and teacher turns `assistant` messages (a
teacher who takes over shows the tutor what to say). The system message is the tutor's own
prompt for the problem. Only finished turns with text are kept, verbatim.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time

from django.contrib.contenttypes.models import ContentType
from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from apps.exports.filters import ExportFilters
from apps.exports.records import Conversation, Message, RecordMeta
from apps.exports.sources.dialogue import CHUNK, ROLES, system_message
from apps.traces.models import Run
from apps.tutoring.models import Turn, TutoringSession


class TutoringConversations:
    """Sessions of one origin (student tutoring or evaluation) as `Conversation` records."""

    def __init__(self, origin: str, source: str) -> None:
        self.origin, self.source = origin, source

    def _sessions(self, filters: ExportFilters) -> QuerySet[TutoringSession]:
        tutor_runs = Run.objects.filter(
            subject_type=ContentType.objects.get_for_model(Turn),
            subject_id__in=Turn.objects.filter(session=OuterRef(OuterRef("pk"))).values("pk"),
        ).order_by("-started_at")
        qs = (TutoringSession.objects.filter(origin=self.origin)
              .annotate(engine=Subquery(tutor_runs.values("engine")[:1]),
                        model=Subquery(tutor_runs.values("model")[:1])))
        if filters.date_from:
            qs = qs.filter(created_at__gte=datetime.combine(filters.date_from, time.min, UTC))
        if filters.date_to:
            qs = qs.filter(created_at__lte=datetime.combine(filters.date_to, time.max, UTC))
        if filters.classroom is not None:
            qs = qs.filter(classroom_id=filters.classroom)
        if filters.engine:
            qs = qs.filter(engine=filters.engine)
        if filters.model:
            qs = qs.filter(model=filters.model)
        return qs

    def count(self, filters: ExportFilters) -> int:
        return self._sessions(filters).count()

    def records(self, filters: ExportFilters) -> Iterator[Conversation]:
        turns = Turn.objects.filter(status=Turn.Status.DONE).exclude(text="").order_by("index")
        sessions = (self._sessions(filters).select_related("problem").order_by("pk")
                    .prefetch_related(Prefetch("turns", queryset=turns, to_attr="done_turns")))
        for session in sessions.iterator(chunk_size=CHUNK):
            yield Conversation(
                meta=RecordMeta(conversation_id=f"tutoring-{session.pk}", source=self.source,
                                created_at=session.created_at, learner_id=session.student_id,
                                classroom_id=session.classroom_id, engine=session.engine or "",
                                model=session.model or ""),
                messages=(system_message(session.problem.statement),
                          *(Message(ROLES[t.author], t.text) for t in session.done_turns)))
