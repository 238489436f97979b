from django.db.models import Prefetch, QuerySet

from apps.traces.models import LLMCall, Run, Span


def runs(source: str = "", status: str = "") -> QuerySet[Run]:
    qs = Run.objects.select_related("user", "subject_type")
    if source:
        qs = qs.filter(source=source)
    if status:
        qs = qs.filter(status=status)
    return qs


def run_with_tree(run_id: int) -> tuple[Run, list[tuple[Span, int]]]:
    """A run and its spans in tree order, each with its depth; calls prefetched."""
    run = Run.objects.select_related("user").get(pk=run_id)
    spans = list(run.spans.prefetch_related(Prefetch("llm_calls", LLMCall.objects.order_by("id"))))
    children: dict[int | None, list[Span]] = {}
    for span in spans:
        children.setdefault(span.parent_id, []).append(span)
    ordered: list[tuple[Span, int]] = []

    def walk(parent_id, depth):
        for span in children.get(parent_id, []):
            ordered.append((span, depth))
            walk(span.pk, depth + 1)

    walk(None, 0)
    return run, ordered
