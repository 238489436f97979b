"""Step labels (−1 / 0 / +1) on the reasoning steps of traced ATLAS and LeaP runs, for PRM.

The prompt is the problem the run solved and the steps are one solution (an ATLAS student attempt
or one LeaP path) exactly as annotators saw it (the item's snapshot); the labels are the
adjudicated ones if any, else the per-step majority of human labels. Records are grouped by
problem for the split, so the LeaP and independent paths of one problem stay on one side. The
format maps them to TRL's booleans (see `formats.PRM_LABEL_RULE`).
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet

from apps.annotation.models import AnnotationQueue, QueueItem
from apps.exports.filters import ExportFilters
from apps.exports.records import RecordMeta, StepSequence
from apps.exports.sources.consensus import day_range, decide, labelled_items
from apps.exports.sources.dialogue import chunks
from apps.exports.splits import problem_group
from apps.traces.models import Run


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
        for chunk in chunks(self._items(filters)):
            runs = Run.objects.only("engine", "model").in_bulk(
                {item.payload.get("run_id") for item in chunk} - {None})
            yield from self._records(chunk, runs)

    def _records(self, chunk, runs: dict[int, Run]) -> Iterator[StepSequence]:
        for item in chunk:
            run = runs.get(item.payload.get("run_id"))
            decision = decide(item, "steps")
            steps = tuple(item.payload.get("steps", ()))
            if decision is None or len(decision.value) != len(steps):
                continue
            question = item.payload.get("question", "")
            meta = RecordMeta(conversation_id=problem_group(question),
                              source=self.source, created_at=item.created_at,
                              schema=item.queue.schema.name, agreement=decision.agreement,
                              adjudicated=decision.adjudicated, engine=run.engine if run else "",
                              model=run.model if run else "")
            yield StepSequence(meta, question, steps, tuple(decision.value))
