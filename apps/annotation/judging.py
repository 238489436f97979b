"""Run an LLM judge over a queue as one more annotator; each item's calls are traced."""

from __future__ import annotations

import json

from django.db import transaction

from agents.eval.label_judge import judge_item
from agents.tracing import TracedLLM, Tracer
from apps.accounts.selectors import withdrawn_learner_ids
from apps.annotation.models import AnnotationQueue, Label, QueueItem
from apps.engines import get_llm
from apps.jobs.queueing import enqueue_on_commit
from apps.traces.models import Run
from apps.traces.services import save_run

JUDGE_TASK = "apps.annotation.tasks.judge_queue_task"


def queue_judge(queue_id: int, engine: str | None = None, limit: int | None = None) -> None:
    """Queue the judge over a queue once the transaction commits; a broker that cannot take it
    raises here, so the person who asked is told."""
    enqueue_on_commit(JUDGE_TASK, queue_id, engine, limit)


def judge_rater(llm) -> str:
    return f"llm:{llm.engine}/{llm.model}"


def judge_queue(queue_id: int, engine: str | None = None, limit: int | None = None,
                on_progress=None) -> int:
    """Label up to `limit` items the judge has not labelled yet; returns how many it labelled.

    Idempotent: an item the judge already labelled is skipped, so a retried task resumes.
    """
    queue = AnnotationQueue.objects.select_related("schema").get(pk=queue_id)
    llm = get_llm(engine)
    rater = judge_rater(llm)
    items = (QueueItem.objects.filter(queue=queue).exclude(labels__rater=rater)
             .exclude(learner__in=withdrawn_learner_ids()).order_by("id"))
    if limit:
        items = items[:limit]
    done = 0
    for item in items:
        tracer = Tracer()
        error = ""
        try:
            with tracer.span("llm_judge", queue=queue.pk, item=item.pk):
                judgement = judge_item(TracedLLM(llm, tracer), item.payload, queue.schema.specs)
        except Exception as exc:  # the failed call is in the trace; the item stays unlabelled
            error = f"{type(exc).__name__}: {exc}"
        with transaction.atomic():
            save_run(tracer, source=Run.Source.EVALUATION, name="llm_judge", subject=item,
                     engine=llm.engine, model=llm.model, error=error)
            if not error:
                Label.objects.get_or_create(
                    item=item, rater=rater,
                    defaults={"kind": Label.Kind.LLM_JUDGE, "schema": queue.schema,
                              "value": judgement.value, "raw_output": json.dumps(judgement.raw)})
                done += 1
        if on_progress:
            on_progress(done)
    return done
