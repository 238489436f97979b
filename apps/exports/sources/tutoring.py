"""Tutoring (and evaluation) sessions as conversations for SFT and OpenAI chat exports.

Each tutor turn an engine wrote is trained on its own context: the messages stored with its LLM
call (`dialogue.engine_contexts`), verbatim, followed by the turn's reply. A turn whose whole
conversation (context and reply) is the start of a later turn's context is left out, since the
later record holds it with the same system prompt; with the tutor graph every turn renders its
own system prompt, so in practice there is one record per tutor turn. Teacher turns and an
evaluation's greeting are context of later turns, never targets.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time

from django.contrib.contenttypes.models import ContentType
from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from apps.exports.filters import ExportFilters
from apps.exports.records import Conversation, Message, RecordMeta, Skipped
from apps.exports.sources.dialogue import NO_CONTEXT, chunks, engine_contexts
from apps.traces.models import Run
from apps.tutoring.models import Turn, TutoringSession


def with_engine(qs: QuerySet[TutoringSession]) -> QuerySet[TutoringSession]:
    """Sessions annotated with the engine and model that tutored them: an evaluation's are on the
    run whose subject is the session, a student session's on its tutor turns' runs."""
    session_runs = Run.objects.filter(subject_type=ContentType.objects.get_for_model(TutoringSession),
                                      subject_id=OuterRef("pk")).order_by("-started_at")
    turn_runs = Run.objects.filter(
        subject_type=ContentType.objects.get_for_model(Turn),
        subject_id__in=Turn.objects.filter(session=OuterRef(OuterRef("pk"))).values("pk"),
    ).exclude(engine="").order_by("-started_at")
    return qs.annotate(**{field: Coalesce(Subquery(session_runs.values(field)[:1]),
                                          Subquery(turn_runs.values(field)[:1]))
                          for field in ("engine", "model")})


def sessions_matching(origin: str, filters: ExportFilters) -> QuerySet[TutoringSession]:
    qs = TutoringSession.objects.filter(origin=origin)
    if filters.date_from:
        qs = qs.filter(created_at__gte=datetime.combine(filters.date_from, time.min, UTC))
    if filters.date_to:
        qs = qs.filter(created_at__lte=datetime.combine(filters.date_to, time.max, UTC))
    if filters.classroom is not None:
        qs = qs.filter(classroom_id=filters.classroom)
    if filters.engine or filters.model:
        qs = with_engine(qs)
        if filters.engine:
            qs = qs.filter(engine=filters.engine)
        if filters.model:
            qs = qs.filter(model=filters.model)
    return qs


def targets(contexts: list[tuple[Turn, tuple[Message, ...]]]) -> list[tuple[Turn, tuple[Message, ...]]]:
    """The turns' whole conversations, less those a later one starts with."""
    kept = []
    for i, (turn, whole) in enumerate(contexts):
        later = [w for _, w in contexts[i + 1:]]
        if not any(len(w) > len(whole) and w[:len(whole)] == whole for w in later):
            kept.append((turn, whole))
    return kept


class TutoringConversations:
    """Sessions of one origin (student tutoring or evaluation): one record per tutor turn."""

    def __init__(self, origin: str, source: str) -> None:
        self.origin, self.source = origin, source

    def _turns(self, filters: ExportFilters) -> QuerySet[Turn]:
        return (Turn.objects.filter(session__in=sessions_matching(self.origin, filters).values("pk"),
                                    author__in=[Turn.Author.TUTOR, Turn.Author.TEACHER],
                                    status=Turn.Status.DONE)
                .exclude(text="").select_related("session").order_by("session_id", "index"))

    def count(self, filters: ExportFilters) -> int:
        return self._turns(filters).count()

    def records(self, filters: ExportFilters) -> Iterator[Conversation | Skipped]:
        rows: list = []  # the current session's turns with a context; a session may span chunks
        for chunk in chunks(self._turns(filters)):
            contexts = engine_contexts(chunk)
            for turn in chunk:
                if rows and rows[-1][0].session_id != turn.session_id:
                    yield from self._targets(rows)
                    rows = []
                session = turn.session
                context = contexts.get(turn.pk)
                meta = RecordMeta(conversation_id=f"tutoring-{session.pk}", source=self.source,
                                  created_at=session.created_at, learner_id=session.student_id,
                                  classroom_id=session.classroom_id,
                                  engine=context.engine if context else "",
                                  model=context.model if context else "")
                if context is None:
                    yield Skipped(meta, NO_CONTEXT)
                    continue
                rows.append((turn, meta, (*context.messages, Message("assistant", turn.text))))
        yield from self._targets(rows)

    @staticmethod
    def _targets(rows: list) -> Iterator[Conversation]:
        metas = {turn.pk: meta for turn, meta, _ in rows}
        for turn, whole in targets([(turn, whole) for turn, _, whole in rows]):
            yield Conversation(meta=metas[turn.pk], messages=whole)
