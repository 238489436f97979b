"""Write paths of tutor evaluations: start a run, play one dialogue, finish with a report.

A run fans out one Celery task per dataset line, queued by name with `enqueue_on_commit` (a
broker that is down fails the run, visibly). Each task is idempotent (a dialogue already stored
for its line is skipped); progress is the share of dialogues stored, updated as each one lands.
"""

from __future__ import annotations

import logging
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils import timezone

from agents.eval.tutor_eval import (
    PROTOCOLS,
    TUTORS,
    DatasetError,
    MathDialItem,
    load_dataset,
    run_dialogue,
    select,
)
from agents.llm import ENGINES, LLMError
from agents.tracing import Tracer
from apps.engines import get_llm
from apps.jobs.queueing import enqueue_on_commit
from apps.lab import reports
from apps.lab.models import EvaluationDialogue, EvaluationRun
from apps.problems.importers import save_mathdial_item
from apps.traces.models import Run
from apps.traces.services import save_run
from apps.tutoring.services import record_played_session

log = logging.getLogger(__name__)
DIALOGUE_TASK = "apps.lab.tasks.run_evaluation_dialogue_task"
RESULT_KEYS = ("s", "t", "success_at_k", "telling_at_k", "line", "qid", "turns")


class EvaluationError(ValueError):
    """Parameters a person can fix; the message says how."""


def start_evaluation(*, dataset: str | Path, tutor: str, engine: str,
                     student_engine: str | None = None, k_max: int = 7,
                     limit: int | None = None, seed: int = 0, max_tokens: int = 60,
                     telling_budget_turn: int = 5, user=None,
                     enqueue: bool = True, protocol: str = "tutorgraph") -> EvaluationRun:
    """Validate the dataset and parameters, create the run and queue one task per dialogue."""
    if tutor not in TUTORS:
        raise EvaluationError(f"unknown tutor {tutor!r}; choose one of {', '.join(TUTORS)}")
    for name in (engine, student_engine or engine):
        if name not in ENGINES:
            raise EvaluationError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
    if protocol not in PROTOCOLS:
        raise EvaluationError(f"unknown protocol {protocol!r}; choose one of {', '.join(PROTOCOLS)}")
    if not 1 <= k_max <= 20:
        raise EvaluationError("k-max must be between 1 and 20")
    if limit is not None and limit < 1:
        raise EvaluationError("limit must be at least 1")
    try:
        items = select(load_dataset(dataset), limit, seed)
    except DatasetError as exc:
        raise EvaluationError(str(exc)) from exc
    llm = get_llm(engine)
    lines = [item.line for item in items]
    with transaction.atomic():
        run = EvaluationRun.objects.create(
            tutor=tutor, engine=engine, model=llm.model, student_engine=student_engine or engine,
            dataset=str(Path(dataset).resolve()), total=len(items), created_by=user,
            params={"k_max": k_max, "limit": limit, "seed": seed, "max_tokens": max_tokens,
                    "telling_budget_turn": telling_budget_turn, "protocol": protocol,
                    "lines": lines})
        if enqueue:
            for line in lines:
                enqueue_on_commit(DIALOGUE_TASK, run.pk, line, job=run)
    return run


def _item(run: EvaluationRun, line: int) -> MathDialItem:
    items = {item.line: item for item in load_dataset(run.dataset)}
    if line not in items:
        raise DatasetError(f"line {line}: not in {run.dataset} any more")
    return items[line]


def run_evaluation_dialogue(run_id: int, line: int) -> None:
    """Play and store one dialogue of a run; does nothing if it is stored or the run is over."""
    run = EvaluationRun.objects.filter(pk=run_id).first()
    if run is None or run.finished or run.dialogues.filter(line=line).exists():
        return
    _mark_started(run)
    params, tracer = run.params, Tracer()
    error, result = "", None
    try:
        item = _item(run, line)
        tutor_llm, student_llm = get_llm(run.engine), get_llm(run.student_engine)
        result = run_dialogue(item, tutor=run.tutor, tutor_llm=tutor_llm,
                              student_llm=student_llm, tracer=tracer, k_max=params["k_max"],
                              max_tokens=params["max_tokens"],
                              telling_budget_turn=params["telling_budget_turn"],
                              protocol=params.get("protocol", "tutorgraph"))
    except (LLMError, DatasetError) as exc:
        log.warning("evaluation %s line %s failed: %s", run_id, line, exc)
        error = str(exc)
    try:
        with transaction.atomic():
            if result is None:
                EvaluationDialogue.objects.create(run=run, line=line, qid="", result={},
                                                  error=error)
            else:
                _store(run, item, result, tracer)
    except IntegrityError:  # a redelivered task stored the same line first
        return
    finish_if_complete(run.pk)


def _mark_started(run: EvaluationRun) -> None:
    EvaluationRun.objects.filter(pk=run.pk, started_at=None).update(started_at=timezone.now())
    EvaluationRun.objects.filter(pk=run.pk, status=EvaluationRun.Status.QUEUED).update(
        status=EvaluationRun.Status.RUNNING)


def _store(run: EvaluationRun, item: MathDialItem, result: dict, tracer: Tracer) -> None:
    problem, _solution = save_mathdial_item(item)
    session = record_played_session(problem, result["turns"], solved=result["solved"])
    save_run(tracer, source=Run.Source.EVALUATION, name=f"tutor_eval:{run.tutor}",
             subject=session, engine=run.engine, model=run.model, thread=session.trace_thread)
    EvaluationDialogue.objects.create(run=run, line=item.line, qid=item.qid, session=session,
                                      result={key: result[key] for key in RESULT_KEYS})


def finish_if_complete(run_id: int) -> EvaluationRun:
    """Record the run's progress; once every dialogue is stored, write the report and finish it.

    The run's row is locked, so progress read by one caller after another never goes down.
    """
    with transaction.atomic():
        run = EvaluationRun.objects.select_for_update().get(pk=run_id)
        if not run.in_progress:
            return run
        stored = run.dialogues.count()
        run.progress = min(stored / run.total, 1.0) if run.total else 1.0
        fields = ["progress"]
        if stored >= run.total:
            run.report = reports.evaluation_report(run)
            failed = not run.report["n"]
            run.status = EvaluationRun.Status.FAILED if failed else EvaluationRun.Status.DONE
            run.error = "every dialogue failed" if failed else ""
            run.finished_at = timezone.now()
            fields += ["report", "status", "error", "finished_at"]
        run.save(update_fields=fields)
    return run
