"""ATLAS sessions the student got wrong first and right on a retry, as DPO preference pairs.

The prompt is the question; the first successful attempt is `chosen` and each earlier failed
attempt `rejected`. An attempt's stored `correct` is used where it was validated, else its
answer is checked against the gold answer.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet

from agents.math import answers_match
from apps.exports.filters import ExportFilters
from apps.exports.preferences import pairs_from_retries
from apps.exports.records import Message, PreferencePair, RecordMeta
from apps.exports.sources.consensus import day_range
from apps.exports.sources.dialogue import CHUNK
from apps.lab.models import AtlasSessionRecord
from apps.lab.selectors import scored_atlas_sessions


def _succeeded(attempt: dict, gold: str) -> bool:
    if attempt.get("correct") is not None:
        return bool(attempt["correct"])
    return bool(attempt.get("answer")) and answers_match(attempt["answer"], gold)


class AtlasRetryPairs:
    """Recovered ATLAS sessions; they have no learner or classroom."""

    def _sessions(self, filters: ExportFilters) -> QuerySet[AtlasSessionRecord]:
        qs = scored_atlas_sessions(recovered_only=True).filter(**day_range(filters, "created_at"))
        if filters.classroom is not None:
            return qs.none()
        if filters.engine:
            qs = qs.filter(run__engine=filters.engine)
        if filters.model:
            qs = qs.filter(run__model=filters.model)
        return qs.order_by("pk")

    def count(self, filters: ExportFilters) -> int:
        return self._sessions(filters).count()

    def records(self, filters: ExportFilters) -> Iterator[PreferencePair]:
        for row in self._sessions(filters).iterator(chunk_size=CHUNK):
            meta = RecordMeta(conversation_id=f"atlas-{row.pk}", source="atlas",
                              created_at=row.created_at, engine=row.run.engine if row.run else "",
                              model=row.run.model if row.run else "", rating=row.reward)
            attempts = [(a.get("text", ""), _succeeded(a, row.gold)) for a in row.attempts]
            yield from pairs_from_retries(meta, (Message("user", row.question),), attempts)
