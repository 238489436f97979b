from datetime import date

from django.contrib.postgres.search import SearchQuery
from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from apps.traces.models import LLMCall, Run, Span


def runs(source: str = "", status: str = "", *, engine: str = "", user: str = "",
         since: date | None = None, until: date | None = None, text: str = "",
         thread: str = "") -> QuerySet[Run]:
    """Runs filtered by source, outcome, engine, user, start date, thread (one conversation, as
    its producer keys it), and a full-text search (Postgres, English stemming) over their LLM
    calls' prompts and completions."""
    qs = Run.objects.select_related("user")
    if source:
        qs = qs.filter(source=source)
    if status:
        qs = qs.filter(status=status)
    if engine:
        qs = qs.filter(engine=engine)
    if user:
        qs = qs.filter(user__username=user)
    if since:
        qs = qs.filter(started_at__date__gte=since)
    if until:
        qs = qs.filter(started_at__date__lte=until)
    if thread:
        qs = qs.filter(thread=thread)
    if text:
        matching = LLMCall.objects.filter(
            run=OuterRef("pk"), search=SearchQuery(text, config="english", search_type="websearch"))
        qs = qs.filter(Exists(matching))
    return qs


def engines() -> list[str]:
    return list(Run.objects.exclude(engine="").values_list("engine", flat=True).distinct().order_by("engine"))


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
