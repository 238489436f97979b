"""What an annotated item finally says: the adjudicated label if any, else the human majority
(the rule is `apps.annotation.decisions`, shared with the queue's completion rule).

Agreement is the share of human labels that give the majority value (per step, averaged, for
step labels), so `min_agreement` can be checked against it.
"""

from __future__ import annotations

from datetime import UTC, datetime, time

from django.db.models import Prefetch, QuerySet

from apps.annotation.decisions import Decision
from apps.annotation.decisions import decide as decide_field
from apps.annotation.models import Label, QueueItem
from apps.exports.filters import ExportFilters

DECIDING_KINDS = (Label.Kind.HUMAN, Label.Kind.ADJUDICATION)


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
    return next(f.name for f in item.queue.schema.specs if f.kind == kind)


def decide(item: QueueItem, kind: str) -> Decision | None:
    """The item's decided value for its `kind` field (`apps.annotation.decisions`, the rule the
    queue's completion uses too); None when humans are evenly split and nobody decided."""
    name = field_name(item, kind)
    final = [label.value.get(name) for label in item.deciding if label.kind == Label.Kind.ADJUDICATION]
    human = [label.value.get(name) for label in item.deciding if label.kind == Label.Kind.HUMAN]
    return decide_field(kind, human, final)


def day_range(filters: ExportFilters, field: str) -> dict:
    """The `date_from` / `date_to` filters as lookups on a datetime field."""
    out = {}
    if filters.date_from:
        out[f"{field}__gte"] = datetime.combine(filters.date_from, time.min, UTC)
    if filters.date_to:
        out[f"{field}__lte"] = datetime.combine(filters.date_to, time.max, UTC)
    return out
