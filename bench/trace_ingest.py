"""Trace ingest: spans per second into Postgres, batched writes against row-by-row ones.

Synthetic runs shaped like the app's (a root span, nested node spans with JSON attributes,
an LLM call with its messages on every fifth span) go through `apps.traces.services.save_run`
(one transaction: the run, then spans and calls in bulk) and, in the same run as the baseline,
through plain per-row ORM inserts in one transaction per run. Uses the bench database.

    .venv/bin/python bench/trace_ingest.py [--runs 200] [--spans 50]
"""

from __future__ import annotations

import argparse
import resource
import time

from common import percentile, setup_django


def synthetic_tracer(spans: int):
    from agents.llm.types import LLMCall, Usage
    from agents.tracing import Tracer

    tracer = Tracer()
    with tracer.span("leap_problem", problem=1):
        for i in range(spans - 1):
            with tracer.span(f"node-{i % 7}", round=i // 7, path=i % 4,
                             peers=[(i + 1) % 4, (i + 2) % 4], summary="x" * 120) as span:
                if i % 5 == 0:
                    span.calls.append(LLMCall(
                        engine="scripted", model="bench", kind="chat",
                        messages=[{"role": "system", "content": "You are a tutor. " * 20},
                                  {"role": "user", "content": "I got 17 because 3 + 6 = 9."}],
                        prompt=None, completion="What does each bag hold?" * 3,
                        usage=Usage(180, 24), latency_s=0.4, finish_reason="stop"))
    return tracer


def row_by_row(tracer, **run_fields):
    """The baseline: what a save without bulk writes costs."""
    from django.db import transaction

    from apps.traces.models import LLMCall, Run, Span
    from apps.traces.services import _at, _json_safe

    with transaction.atomic():
        run = Run.objects.create(started_at=_at(tracer.spans[0].started_at),
                                 ended_at=_at(tracer.spans[0].ended_at), **run_fields)
        rows = []
        for i, s in enumerate(tracer.spans):
            rows.append(Span.objects.create(
                run=run, position=i, name=s.name, parent=rows[s.parent] if s.parent is not None
                else None, started_at=_at(s.started_at), ended_at=_at(s.ended_at),
                attributes=_json_safe(s.attributes)))
            for c in s.calls:
                LLMCall.objects.create(run=run, span=rows[-1], engine=c.engine, model=c.model,
                                       kind=c.kind, messages=c.messages,
                                       completion=c.completion,
                                       prompt_tokens=c.usage.prompt_tokens,
                                       completion_tokens=c.usage.completion_tokens)


def measure(save, tracers: list) -> tuple[float, float, float, float]:
    """(spans/s, spans per CPU-second of this process, p50 and p95 ms per run) of saving
    every tracer; the CPU figure reads past a machine shared with other work."""
    per_run = []
    started, cpu = time.perf_counter(), time.process_time()
    for tracer in tracers:
        t = time.perf_counter()
        save(tracer, source="leap", name="bench")
        per_run.append((time.perf_counter() - t) * 1000)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    spans = sum(len(t.spans) for t in tracers)
    return spans / wall, spans / cpu, percentile(per_run, 50), percentile(per_run, 95)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--spans", type=int, default=50, help="spans per run")
    args = parser.parse_args()
    setup_django()
    from apps.traces.models import Run
    from apps.traces.services import save_run

    tracers = [synthetic_tracer(args.spans) for _ in range(args.runs)]
    calls = sum(len(t.calls) for t in tracers)
    print(f"{args.runs} runs x {args.spans} spans ({calls} LLM calls in all)")
    print(f"{'writer':>12} {'spans/s':>9} {'per CPU-s':>10} {'run p50 ms':>11} "
          f"{'run p95 ms':>11}")
    measure(save_run, tracers[:10])  # warm-up
    results = {}
    for name, save in (("row by row", row_by_row), ("save_run", save_run)):
        results[name] = measure(save, tracers)
        rate, per_cpu, p50, p95 = results[name]
        print(f"{name:>12} {rate:>9,.0f} {per_cpu:>10,.0f} {p50:>11.1f} {p95:>11.1f}")
    speedup = results["save_run"][0] / results["row by row"][0]
    print(f"batched writes: {speedup:.1f}x the baseline; peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    Run.objects.filter(name="bench").delete()


if __name__ == "__main__":
    main()
