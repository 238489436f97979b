"""Pairwise labels on candidate reply pairs as DPO preference pairs.

The prompt is the dialogue up to and including the student turn both candidates answer; chosen
and rejected follow the adjudicated decision if there is one, else the majority of human
labels. Ties (a `tie` decision, or humans evenly split) give no pair.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from apps.annotation.models import CandidatePair, QueueItem
from apps.exports.filters import ExportFilters
from apps.exports.preferences import pair_from_pairwise_label
from apps.exports.records import PreferencePair, RecordMeta
from apps.exports.sources.consensus import day_range, decide, labelled_items
from apps.exports.sources.dialogue import chunks, prompts_for


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

    def records(self, filters: ExportFilters) -> Iterator[PreferencePair]:
        for chunk in chunks(self._items(filters)):
            pairs = CandidatePair.objects.select_related("turn__session__problem").in_bulk(
                {item.target_id for item in chunk})
            prompts = prompts_for((pair.turn for pair in pairs.values()), including=True)
            for item in chunk:
                pair, decision = pairs.get(item.target_id), decide(item, "pairwise")
                if pair is None or decision is None or decision.value not in ("A", "B", "tie"):
                    continue
                session = pair.turn.session
                meta = RecordMeta(conversation_id=f"tutoring-{session.pk}", source=self.source,
                                  created_at=pair.created_at, learner_id=session.student_id,
                                  classroom_id=session.classroom_id, schema=item.queue.schema.name,
                                  agreement=decision.agreement, adjudicated=decision.adjudicated)
                record = pair_from_pairwise_label(meta, prompts[pair.turn_id], pair.reply_a,
                                                  pair.reply_b, decision.value.lower())
                if record is not None:
                    yield record
