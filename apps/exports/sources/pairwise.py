"""Pairwise labels on candidate reply pairs as DPO preference pairs.

The prompt is what the engine saw when it wrote the reply the student was shown (the stored
messages of that tutor turn's call, `dialogue.engine_contexts`): the second candidate was drawn
from the same turn state, so both answer that dialogue. Chosen and rejected follow the
adjudicated decision if there is one, else the majority of human labels. Ties (a `tie`
decision, or humans evenly split) give no pair and are counted as skipped.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from apps.annotation.models import CandidatePair, QueueItem
from apps.exports.filters import ExportFilters
from apps.exports.preferences import pair_from_pairwise_label
from apps.exports.records import PreferencePair, RecordMeta, Skipped
from apps.exports.sources.consensus import day_range, decide, labelled_items
from apps.exports.sources.dialogue import NO_CONTEXT, chunks, engine_contexts
from apps.tutoring.models import Turn

TIE = "pairwise: a tie, or reviewers evenly split and nobody adjudicated"


class CandidatePairPreferences:
    """Candidate pairs of tutoring sessions of one origin (student or evaluation)."""

    def __init__(self, origin: str, source: str) -> None:
        self.origin, self.source = origin, source

    def _items(self, filters: ExportFilters) -> QuerySet[QueueItem]:
        pairs = CandidatePair.objects.filter(turn__session__origin=self.origin,
                                             **day_range(filters, "created_at"))
        if filters.classroom is not None:
            pairs = pairs.filter(turn__session__classroom_id=filters.classroom)
        items = QueueItem.objects.filter(target_type=ContentType.objects.get_for_model(CandidatePair),
                                         target_id__in=pairs.values("pk"))
        return labelled_items(items, "pairwise", filters)

    def count(self, filters: ExportFilters) -> int:
        return self._items(filters).count()

    def records(self, filters: ExportFilters) -> Iterator[PreferencePair | Skipped]:
        for chunk in chunks(self._items(filters)):
            pairs = CandidatePair.objects.select_related("turn__session").in_bulk(
                {item.target_id for item in chunk})
            shown = {t.reply_to_id: t for t in Turn.objects.filter(
                reply_to__in=[p.turn_id for p in pairs.values()], author=Turn.Author.TUTOR,
                status=Turn.Status.DONE)}
            contexts = engine_contexts(shown.values())
            for item in chunk:
                pair, decision = pairs.get(item.target_id), decide(item, "pairwise")
                if pair is None:
                    continue
                if decision is None or decision.value not in ("A", "B"):
                    decision_value = "tie"
                else:
                    decision_value = decision.value.lower()
                session = pair.turn.session
                tutor_turn = shown.get(pair.turn_id)
                context = contexts.get(tutor_turn.pk) if tutor_turn else None
                meta = RecordMeta(conversation_id=f"tutoring-{session.pk}", source=self.source,
                                  created_at=pair.created_at, learner_id=session.student_id,
                                  classroom_id=session.classroom_id, schema=item.queue.schema.name,
                                  agreement=decision.agreement if decision else None,
                                  adjudicated=bool(decision and decision.adjudicated),
                                  engine=context.engine if context else "",
                                  model=context.model if context else "")
                if context is None:
                    yield Skipped(meta, NO_CONTEXT)
                    continue
                record = pair_from_pairwise_label(meta, context.messages, pair.reply_a,
                                                  pair.reply_b, decision_value)
                yield record if record is not None else Skipped(meta, TIE)
