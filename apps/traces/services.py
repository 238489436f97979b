"""Persist what a graph run's tracer collected: one run, its spans, its LLM calls."""

from __future__ import annotations

from datetime import UTC, datetime

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction

from agents.tracing import Tracer
from apps.traces.models import LLMCall, Run, Span


def _at(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


def _json_safe(value):
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _next_ids(model: type[models.Model], n: int) -> list[int]:
    """Reserve `n` primary keys, so rows can name their parent in the same bulk insert."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
                       "FROM generate_series(1, %s)", [model._meta.db_table, n])
        return [row[0] for row in cursor.fetchall()]


@transaction.atomic
def save_run(tracer: Tracer, *, source: str, name: str, subject: models.Model | None = None,
             user=None, engine: str = "", model: str = "", error: str = "", thread: str = "") -> Run:
    """Write the tracer's spans and calls in one transaction: the run, then one bulk insert
    of spans (ids reserved up front, so parents need no second pass) and one of calls.
    `thread` groups the run with the producer's others (`apps.traces.threads`)."""
    spans = tracer.spans
    now = datetime.now(tz=UTC).timestamp()
    calls = tracer.calls
    run = Run.objects.create(
        source=source, name=name, status=Run.Status.FAILED if error else Run.Status.OK,
        error=error, user=user, engine=engine, model=model, thread=thread,
        subject_type=ContentType.objects.get_for_model(subject) if subject else None,
        subject_id=subject.pk if subject else None,
        started_at=_at(min((s.started_at for s in spans), default=now)),
        ended_at=_at(max((s.ended_at or s.started_at for s in spans), default=now)),
        prompt_tokens=sum(c.usage.prompt_tokens for c in calls),
        completion_tokens=sum(c.usage.completion_tokens for c in calls),
    )
    ids = _next_ids(Span, len(spans)) if spans else []
    Span.objects.bulk_create(
        Span(id=ids[i], run=run, position=i, name=s.name,
             parent_id=ids[s.parent] if s.parent is not None else None,
             started_at=_at(s.started_at), ended_at=_at(s.ended_at or s.started_at),
             attributes=_json_safe(s.attributes), error=s.error)
        for i, s in enumerate(spans))
    LLMCall.objects.bulk_create(
        LLMCall(run=run, span_id=ids[i], engine=c.engine, model=c.model, kind=c.kind,
                messages=c.messages, prompt=c.prompt or "", completion=c.completion,
                prompt_tokens=c.usage.prompt_tokens, completion_tokens=c.usage.completion_tokens,
                latency_ms=c.latency_s * 1000, finish_reason=c.finish_reason or "",
                params=_json_safe(c.params), error=c.error)
        for i, s in enumerate(spans) for c in s.calls)
    return run
