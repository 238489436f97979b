"""Step labels (−1 / 0 / +1) on the reasoning steps of traced ATLAS and LeaP runs, for PRM.

The prompt is the question the run answered, the steps are exactly those annotators saw (the
item's snapshot), and the labels are the adjudicated ones if any, else the per-step majority of
human labels. The format maps them to TRL's booleans (see `formats.PRM_LABEL_RULE`).
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet

from apps.annotation.models import AnnotationQueue, QueueItem
from apps.exports.filters import ExportFilters
from apps.exports.records import RecordMeta, StepSequence
from apps.exports.sources.consensus import day_range, decide, labelled_items
from apps.exports.sources.dialogue import CHUNK


class RunStepLabels:
    """Labelled step items of runs of one source (atlas or leap); runs have no learner."""

    def __init__(self, source: str) -> None:
        self.source = source

    def _items(self, filters: ExportFilters) -> QuerySet[QueueItem]:
        items = QueueItem.objects.filter(queue__target=AnnotationQueue.Target.RUN,
                                         payload__source=self.source,
                                         **day_range(filters, "created_at"))
        if filters.classroom is not None:
            return items.none()
        return labelled_items(items, "steps", filters)

    def count(self, filters: ExportFilters) -> int:
        return self._items(filters).count()

    def records(self, filters: ExportFilters) -> Iterator[StepSequence]:
        for item in self._items(filters).iterator(chunk_size=CHUNK):
            decision = decide(item, "steps")
            steps = tuple(item.payload.get("steps", ()))
            if decision is None or len(decision.value) != len(steps):
                continue
            meta = RecordMeta(conversation_id=f"run-{item.payload.get('run_id', item.target_id)}",
                              source=self.source, created_at=item.created_at,
                              schema=item.queue.schema.name, agreement=decision.agreement,
                              adjudicated=decision.adjudicated)
            yield StepSequence(meta, item.payload.get("question", ""), steps, tuple(decision.value))
