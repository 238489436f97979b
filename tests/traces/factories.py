"""Traced runs as `save_run` stores them (a root span, nested node spans, LLM calls), in bulk."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from apps.traces.models import LLMCall, Run, Span


def traced_runs(subjects, *, spans: int = 3, source: str = "tutoring", engine: str = "embedded",
                user=None, completion: str = "How many bags are there?") -> list[Run]:
    """One run per subject (a turn, in its session's thread, or None): a root span with a chain
    of `spans - 1` node spans under it, each node with an LLM call; one bulk insert per depth."""
    now = timezone.now()
    runs = Run.objects.bulk_create(
        Run(source=source, name="tutor_turn", user=user, engine=engine, model="smollm2",
            subject_type=ContentType.objects.get_for_model(subject) if subject else None,
            subject_id=subject.pk if subject else None,
            thread=subject.session.trace_thread if subject else "", started_at=now + timedelta(seconds=i),
            ended_at=now + timedelta(seconds=i, milliseconds=300), prompt_tokens=120,
            completion_tokens=12)
        for i, subject in enumerate(subjects))
    parents = Span.objects.bulk_create(
        Span(run=run, position=0, name="tutor_turn", started_at=run.started_at,
             ended_at=run.ended_at) for run in runs)
    nodes = []
    for depth in range(1, spans):  # each node under the one before
        parents = Span.objects.bulk_create(
            Span(run=run, parent=parent, position=depth, name=f"node-{depth}",
                 started_at=run.started_at, ended_at=run.ended_at, attributes={"depth": depth})
            for run, parent in zip(runs, parents, strict=True))
        nodes += parents
    LLMCall.objects.bulk_create(
        LLMCall(run_id=node.run_id, span=node, engine=engine, model="smollm2", kind="chat",
                messages=[{"role": "system", "content": "You are a tutor."},
                          {"role": "user", "content": "I got 9 because 3 + 6 = 9."}],
                completion=completion, prompt_tokens=120, completion_tokens=12, latency_ms=280)
        for node in nodes)
    return runs
