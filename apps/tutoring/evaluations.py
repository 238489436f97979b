"""Write paths of tutoring evaluations: start a run, play one dialogue, finish with a report.

A run fans out one Celery task per dataset line; each task is idempotent (a dialogue already
stored for its line is skipped) and progress is the count of stored dialogues.
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
from apps.problems.importers import save_mathdial_item
from apps.traces.models import Run
from apps.traces.services import save_run
from apps.tutoring.models import EvaluationDialogue, EvaluationRun, Turn, TutoringSession
from apps.tutoring.selectors import report_of

log = logging.getLogger(__name__)


class EvaluationError(ValueError):
    """Parameters a person can fix; the message says how."""


def start_evaluation(*, dataset: str | Path, tutor: str, engine: str,
                     student_engine: str | None = None, k_max: int = 7,
                     limit: int | None = None, seed: int = 0, max_tokens: int = 60,
                     telling_budget_turn: int = 5, user=None,
                     enqueue: bool = True, protocol: str = "tutorgraph") -> EvaluationRun:
    """Validate the dataset and parameters, create the run and queue one task per dialogue."""
    from apps.tutoring.tasks import run_evaluation_dialogue_task

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
    with transaction.atomic():
        run = EvaluationRun.objects.create(
            tutor=tutor, engine=engine, model=llm.model, student_engine=student_engine or engine,
            dataset=str(Path(dataset).resolve()), total=len(items), created_by=user,
            params={"k_max": k_max, "limit": limit, "seed": seed, "max_tokens": max_tokens,
                    "telling_budget_turn": telling_budget_turn, "protocol": protocol,
                    "lines": [item.line for item in items]})
        if enqueue:
            lines = [item.line for item in items]
            transaction.on_commit(lambda: [run_evaluation_dialogue_task.delay(run.pk, line)
                                           for line in lines])
    return run


def _item(run: EvaluationRun, line: int) -> MathDialItem:
    items = {item.line: item for item in load_dataset(run.dataset)}
    if line not in items:
        raise DatasetError(f"line {line}: not in {run.dataset} any more")
    return items[line]


def run_evaluation_dialogue(run_id: int, line: int) -> None:
    """Play and store one dialogue of a run; does nothing if it is already stored."""
    run = EvaluationRun.objects.filter(pk=run_id).first()
    if run is None or run.dialogues.filter(line=line).exists():
        return
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


def _store(run: EvaluationRun, item: MathDialItem, result: dict, tracer: Tracer) -> None:
    problem, _solution = save_mathdial_item(item)
    session = TutoringSession.objects.create(
        problem=problem, origin=TutoringSession.Origin.EVALUATION,
        status=TutoringSession.Status.SOLVED if result["solved"] else
        TutoringSession.Status.CLOSED)
    now = timezone.now()
    Turn.objects.bulk_create(
        Turn(session=session, index=i, text=t["text"], completed_at=now,
             author=Turn.Author.TUTOR if t["speaker"] == "teacher" else Turn.Author.STUDENT,
             move=t.get("move", ""), guard=t.get("guard", []),
             detections=t.get("detections", []), verdict=t.get("verdict", {}))
        for i, t in enumerate(result["turns"]))
    save_run(tracer, source=Run.Source.EVALUATION, name=f"tutor_eval:{run.tutor}",
             subject=session, engine=run.engine, model=run.model)
    EvaluationDialogue.objects.create(
        run=run, line=item.line, qid=item.qid, session=session,
        result={key: result[key] for key in ("s", "t", "success_at_k", "telling_at_k", "line",
                                             "qid", "turns")})


def finish_if_complete(run_id: int) -> EvaluationRun:
    """Write the report and mark the run done once every dialogue is stored."""
    with transaction.atomic():
        run = EvaluationRun.objects.select_for_update().get(pk=run_id)
        if run.status == EvaluationRun.Status.RUNNING and run.dialogues.count() >= run.total:
            run.report = report_of(run)
            run.status = (EvaluationRun.Status.FAILED if not run.report["n"]
                          else EvaluationRun.Status.DONE)
            run.error = "every dialogue failed" if not run.report["n"] else ""
            run.finished_at = timezone.now()
            run.save(update_fields=["report", "status", "error", "finished_at"])
    return run
