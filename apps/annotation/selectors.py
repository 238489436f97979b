"""Read paths of annotation: who sees which queue, progress, and the agreement report."""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations

from django.db.models import Count, Q, QuerySet

from agents.schema_fields import FieldSpec
from apps.annotation import agreement
from apps.annotation.models import AnnotationQueue, Assignment, Label, QueueItem

AGREEMENT_KINDS = (Label.Kind.HUMAN, Label.Kind.LLM_JUDGE, Label.Kind.GOLD)


def queues_for(user) -> QuerySet[AnnotationQueue]:
    """Admins see every queue; annotators only the queues they are on or lead."""
    qs = AnnotationQueue.objects.select_related("schema", "lead")
    if user.is_admin:
        return qs
    if user.role == "annotator":
        return qs.filter(Q(annotators=user) | Q(lead=user)).distinct()
    return qs.none()


def queue_for(user, queue_id: int) -> AnnotationQueue | None:
    return queues_for(user).filter(pk=queue_id).first()


def progress(queue: AnnotationQueue) -> dict:
    """Items by status; per annotator, slots done / skipped / held; per LLM judge, items labelled."""
    by_status = dict(queue.items.values_list("status").annotate(n=Count("id")))
    scored = [f.name for f in queue.schema.scored_fields]
    judges: dict[str, dict] = {}
    for rater, value in (Label.objects.filter(item__queue=queue, kind=Label.Kind.LLM_JUDGE)
                         .order_by("rater").values_list("rater", "value")):
        row = judges.setdefault(rater, {"rater": rater, "labelled": 0, "unreadable": 0})
        row["labelled"] += 1
        row["unreadable"] += not any((value or {}).get(name) is not None for name in scored)
    rows = (Assignment.objects.filter(item__queue=queue).values("annotator__username")
            .annotate(done=Count("id", filter=Q(status="done")),
                      skipped=Count("id", filter=Q(status="skipped")),
                      held=Count("id", filter=Q(status="reserved"))).order_by("annotator__username"))
    total = sum(by_status.values())
    return {"total": total, "by_status": by_status, "annotators": list(rows),
            "target_labels": total * queue.n_per_item, "judges": list(judges.values())}


MY_LABELS_SHOWN = 20


def my_labels(queue: AnnotationQueue, user) -> list[Label]:
    """The annotator's latest labels in the queue, with their items (to revise them)."""
    return list(Label.objects.filter(item__queue=queue, annotator=user, kind=Label.Kind.HUMAN)
                .select_related("item").order_by("-id")[:MY_LABELS_SHOWN])


def visible_labels(item: QueueItem, user) -> list[Label]:
    """Other people's labels on an item, unless the queue is blind (then none)."""
    if item.queue.blind:
        return []
    return list(item.labels.filter(kind=Label.Kind.HUMAN).exclude(annotator=user))


def disputed_items(queue: AnnotationQueue) -> QuerySet[QueueItem]:
    return queue.items.filter(status=QueueItem.Status.DISPUTED)


def _units(field: FieldSpec, item_id: int, value) -> list[tuple[tuple, object]]:
    """A label's value for one field as (unit, code) pairs; a step field gives one unit per step."""
    if field.kind == "steps":
        return [((item_id, i), v) for i, v in enumerate(value or [])]
    return [((item_id,), value)]


def _pair(table: dict, units: list, a: str, b: str, n_options: int, level: str) -> dict:
    """Cohen's κ (linear-weighted on ordinal scales) and raw agreement of two raters."""
    shared = [u for u in units if a in table[u] and b in table[u]]
    xs, ys = [table[u][a] for u in shared], [table[u][b] for u in shared]
    return {"n": len(shared), "kappa": agreement.cohen_kappa(
        xs, ys, labels=list(range(n_options)), weights="linear" if level == "ordinal" else None),
        "agreement": agreement.percent_agreement(xs, ys)}


def agreement_report(queue: AnnotationQueue) -> dict:
    """Per scored field: Fleiss' κ, Krippendorff's α, pairwise Cohen's κ, and each rater
    against the rest and against gold. Humans, LLM judges and gold are all raters here."""
    labels = list(Label.objects.filter(item__queue=queue, kind__in=AGREEMENT_KINDS)
                  .values_list("item_id", "rater", "value"))
    raters = sorted({rater for _, rater, _ in labels})
    gold = [r for r in raters if r.startswith("gold:")]
    dims = []
    for field in queue.schema.scored_fields:
        options = field.options
        code = {option: i for i, option in enumerate(options)}
        table: dict[tuple, dict[str, int]] = defaultdict(dict)
        for item_id, rater, value in labels:
            for unit, v in _units(field, item_id, (value or {}).get(field.name)):
                if v in code:
                    table[unit][rater] = code[v]
        units = sorted(table)
        level = "ordinal" if field.ordinal else "nominal"
        people = [r for r in raters if r not in gold]
        alpha = agreement.krippendorff_alpha(
            [[table[u].get(r) for u in units] for r in people], level=level, n_values=len(options))
        n = queue.n_per_item
        full = [u for u in units if sum(r in table[u] for r in people) >= n >= 2]
        counts = [[[table[u][r] for r in people if r in table[u]][:n].count(k)
                   for k in range(len(options))] for u in full]
        fleiss = agreement.fleiss_kappa(counts) if counts else None

        pairs = [{"a": a, "b": b, **_pair(table, units, a, b, len(options), level)}
                 for a, b in combinations(raters, 2)]
        per_rater = []
        for r in people:
            others = [p for p in pairs if r in (p["a"], p["b"]) and not (
                p["a"] in gold or p["b"] in gold) and p["n"] and p["kappa"] is not None]
            vs_gold = _pair(table, units, r, gold[0], len(options), level) if gold else None
            per_rater.append({
                "rater": r,
                "labels": sum(r in table[u] for u in units),
                "kappa_rest": (sum(p["kappa"] for p in others) / len(others)) if others else None,
                "gold": vs_gold if vs_gold and vs_gold["n"] else None})
        dims.append({"field": field, "level": level, "units": len(units), "alpha": alpha,
                     "fleiss": fleiss, "fleiss_units": len(full), "pairs": pairs,
                     "raters": per_rater})
    return {"raters": raters, "dimensions": dims}


def progress_of(queue: AnnotationQueue, user) -> dict:
    """One annotator's progress: labels given, items skipped, items in the queue."""
    mine = Assignment.objects.filter(item__queue=queue, annotator=user)
    return {"done": mine.filter(status="done").count(), "skipped": mine.filter(status="skipped").count(),
            "total": queue.items.count()}


def thumbs_given(user, turn_ids) -> dict[int, str]:
    """The thumbs (`up` / `down`) this person gave each of these turns, by turn id."""
    labels = Label.objects.filter(kind=Label.Kind.FEEDBACK, annotator=user, turn_id__in=turn_ids)
    return {turn_id: value.get("thumbs", "") for turn_id, value in labels.values_list("turn_id", "value")}
