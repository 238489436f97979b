"""What an annotated item finally says: the adjudicated label if any, else the human majority.

Agreement is the share of human labels that give the majority value (per step, averaged, for
step labels), so `min_agreement` can be checked against it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, time

from django.db.models import Prefetch, QuerySet

from apps.annotation.models import Label, QueueItem
from apps.exports.filters import ExportFilters

DECIDING_KINDS = (Label.Kind.HUMAN, Label.Kind.ADJUDICATION)


@dataclass(frozen=True)
class Decision:
    value: object
    agreement: float | None
    adjudicated: bool


def labelled_items(qs: QuerySet[QueueItem], field_kind: str, filters: ExportFilters) -> QuerySet:
    """Items of queues whose schema has a `field_kind` field, with their deciding labels prefetched."""
    qs = qs.filter(queue__schema__fields__contains=[{"kind": field_kind}],
                   labels__kind__in=DECIDING_KINDS).distinct()
    if filters.schema:
        qs = qs.filter(queue__schema__name=filters.schema)
    if filters.adjudicated_only:
        qs = qs.filter(status=QueueItem.Status.ADJUDICATED)
    deciding = Label.objects.filter(kind__in=DECIDING_KINDS).order_by("id")
    return (qs.select_related("queue__schema").order_by("pk")
            .prefetch_related(Prefetch("labels", queryset=deciding, to_attr="deciding")))


def field_name(item: QueueItem, kind: str) -> str:
    return next(f["name"] for f in item.queue.schema.fields if f["kind"] == kind)


def decide(item: QueueItem, kind: str) -> Decision | None:
    """The item's value for its `kind` field; None when humans are evenly split and nobody decided."""
    name = field_name(item, kind)
    final = [label.value.get(name) for label in item.deciding if label.kind == Label.Kind.ADJUDICATION]
    human = [label.value.get(name) for label in item.deciding if label.kind == Label.Kind.HUMAN]
    if kind == "steps":
        return _decide_steps(final, human)
    counts = Counter(human).most_common()
    agreement = counts[0][1] / len(human) if human else None
    if final:
        return Decision(final[-1], agreement, True)
    if not counts or (len(counts) > 1 and counts[0][1] == counts[1][1]):
        return None
    return Decision(counts[0][0], agreement, False)


def _decide_steps(final: list, human: list) -> Decision | None:
    """Per step, the majority; an evenly split step takes the lowest value it was given (a step
    reviewers disagree on is not rewarded)."""
    human = [h for h in human if isinstance(h, list)]
    lengths = {len(h) for h in human}
    agreement = None
    if human and len(lengths) == 1:
        per_step = [Counter(h[i] for h in human).most_common() for i in range(lengths.pop())]
        agreement = (sum(c[0][1] for c in per_step) / (len(per_step) * len(human))) if per_step else None
    else:
        per_step = []
    if final:
        return Decision(final[-1], agreement, True)
    if not human or not per_step:
        return None
    majority = []
    for counts in per_step:
        top = counts[0][1]
        majority.append(min(value for value, n in counts if n == top))
    return Decision(majority, agreement, False)


def day_range(filters: ExportFilters, field: str) -> dict:
    """The `date_from` / `date_to` filters as lookups on a datetime field."""
    out = {}
    if filters.date_from:
        out[f"{field}__gte"] = datetime.combine(filters.date_from, time.min, UTC)
    if filters.date_to:
        out[f"{field}__lte"] = datetime.combine(filters.date_to, time.max, UTC)
    return out
