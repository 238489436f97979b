"""Writes of the lab: launch an experiment, run its next problem, finish it with a report."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime

from django.db import connection, transaction

from agents.atlas import AtlasConfig, AtlasSession, AtlasTask, run_atlas_session, run_student_alone
from agents.atlas.session import Attempt, StudentRun
from agents.graphs.leap import LeapConfig, LeapResult, own_wrong_prefixes, run_independent, run_leap
from agents.llm import LLM
from agents.math import answers_match
from agents.tracing import Tracer
from apps.engines import get_llm
from apps.jobs.queueing import enqueue_on_commit
from apps.lab import reports
from apps.lab.datasets import Item, load_items
from apps.lab.forms import MEMORY_MODES
from apps.lab.memory_store import PendingMemoryStore
from apps.lab.models import AtlasSessionRecord, Experiment, LeapProblemResult
from apps.lab.routing import ADVANCE_TASK
from apps.traces.models import Run
from apps.traces.services import save_run

Engines = Callable[[str], LLM]
UNFINISHED = (Experiment.Status.QUEUED, Experiment.Status.RUNNING)
LOCK_NAMESPACE = 19_001  # pg advisory locks: (namespace, experiment id)


def create_experiment(kind: str, params: dict, user=None) -> Experiment:
    """Save a queued experiment after loading its problems (a bad dataset fails here, not later)."""
    items = load_items(params["dataset"], params["limit"])
    return Experiment.objects.create(kind=kind, params=params, total=len(items), created_by=user)


def launch(experiment: Experiment) -> None:
    """Queue the experiment's first step on a worker once the row is committed."""
    enqueue_on_commit(ADVANCE_TASK, experiment.pk, job=experiment)


def queue_next_step(experiment_id: int) -> None:
    """Queue the step after this one (a broker failure fails the experiment, visibly)."""
    enqueue_on_commit(ADVANCE_TASK, experiment_id, job=Experiment.objects.get(pk=experiment_id))


def advance(experiment_id: int, engines: Engines = get_llm) -> bool:
    """Run the next unfinished problem; finish the experiment after the last. True if more remain.

    Idempotent and safe under redelivery: while one worker holds the experiment (a Postgres
    advisory lock, which needs no open transaction) a second delivery returns at once; the
    problem's LLM calls run outside any transaction; its rows, traces and memory writes are
    saved in one short transaction under the experiment's row lock, and dropped if another
    delivery saved that problem first. A failure marks the experiment failed with the reason.
    """
    with experiment_lock(experiment_id) as held:
        if not held:
            return False  # another delivery is working on it and will queue what follows
        return _advance(experiment_id, engines)


def _advance(experiment_id: int, engines: Engines) -> bool:
    experiment = Experiment.objects.get(pk=experiment_id)
    if experiment.finished:
        return False
    items = load_items(experiment.params["dataset"], experiment.params["limit"])
    done = _done_positions(experiment)
    position = next((i for i in range(len(items)) if i not in done), None)
    if position is None:
        finish(experiment)
        return False
    Experiment.objects.filter(pk=experiment.pk, started_at=None).update(started_at=datetime.now(tz=UTC))
    Experiment.objects.filter(pk=experiment.pk, status=Experiment.Status.QUEUED).update(
        status=Experiment.Status.RUNNING)
    try:
        run_item = _run_atlas_item if experiment.kind == Experiment.Kind.ATLAS else _run_leap_item
        save = run_item(experiment, position, items[position], engines)
        with transaction.atomic():
            experiment = Experiment.objects.select_for_update().get(pk=experiment_id)
            if experiment.finished:
                return False
            done = _done_positions(experiment)
            if position not in done:  # else a redelivered twin saved it first: drop this one
                save()
                done.add(position)
            Experiment.objects.filter(pk=experiment.pk).update(done=len(done),
                                                               progress=len(done) / len(items))
    except Exception as exc:  # noqa: BLE001 - any failure is recorded and shown on the page
        fail(experiment, f"problem {position + 1}: {type(exc).__name__}: {exc}")
        return False
    return True


@contextmanager
def experiment_lock(experiment_id: int) -> Iterator[bool]:
    """Hold the experiment for this connection without a transaction; yields False if taken."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, experiment_id])
        held = cursor.fetchone()[0]
    try:
        yield held
    finally:
        if held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, experiment_id])


def run_inline(experiment: Experiment, engines: Engines = get_llm,
               on_progress: Callable[[Experiment], None] | None = None) -> Experiment:
    """Run every problem in this process (the shell commands' `--inline`)."""
    while advance(experiment.pk, engines):
        if on_progress:
            on_progress(Experiment.objects.get(pk=experiment.pk))
    experiment.refresh_from_db()
    return experiment


def finish(experiment: Experiment) -> None:
    """Write the report and mark the experiment done."""
    Experiment.objects.filter(pk=experiment.pk, status__in=UNFINISHED).update(
        status=Experiment.Status.DONE, report=reports.build(experiment),
        done=experiment.total, progress=1.0, finished_at=datetime.now(tz=UTC))


def fail(experiment: Experiment, reason: str) -> None:
    """Mark an unfinished experiment failed with a reason a person can read."""
    Experiment.objects.filter(pk=experiment.pk, status__in=UNFINISHED).update(
        status=Experiment.Status.FAILED, error=reason[:2000], finished_at=datetime.now(tz=UTC))


def _done_positions(experiment: Experiment) -> set[int]:
    if experiment.kind == Experiment.Kind.ATLAS:
        rows = experiment.atlas_sessions.filter(arm=AtlasSessionRecord.Arm.ATLAS)
    else:
        rows = experiment.leap_results.filter(mode=LeapProblemResult.Mode.LEAP)
    return set(rows.values_list("position", flat=True))


# --- ATLAS -------------------------------------------------------------------------------------

def learning_key(experiment: Experiment) -> str:
    """The key whose memory the run's sessions share (one per experiment unless given)."""
    return experiment.params.get("key") or f"lab/{experiment.pk}/{experiment.params['dataset']}"


def oracle_key(experiment: Experiment) -> str:
    """The oracle arm learns on its own key, so the two arms' memories never mix."""
    return f"{learning_key(experiment)}/oracle"


def atlas_config(params: dict, *, oracle: bool = False) -> AtlasConfig:
    """The session configuration from an experiment's parameters."""
    apply, update = MEMORY_MODES[params.get("memory", "live")]
    return AtlasConfig(max_attempts=params.get("max_attempts", 2),
                       student_tokens=params.get("student_tokens", 256),
                       teacher_tokens=params.get("teacher_tokens", 128),
                       memory_tokens=params.get("memory_tokens", 256),
                       probe=params.get("probe", "llm"), oracle=oracle,
                       apply_to_prompts=apply, update_enabled=update,
                       prices={role: tuple(p) for role, p in (params.get("prices") or {}).items()})


def _run_atlas_item(experiment: Experiment, position: int, item: Item,
                    engines: Engines) -> Callable[[], None]:
    """Run the problem's sessions and baselines; return what saves them (with their memory writes)."""
    params = experiment.params
    student, teacher = engines(params["student_engine"]), engines(params["teacher_engine"])
    task = AtlasTask(question=item.question, gold=item.gold, skill=params.get("skill", ""))
    config = atlas_config(params)
    alone = run_student_alone(student, task, max_tokens=config.student_tokens)
    self_retry = run_student_alone(student, task, max_tokens=config.student_tokens,
                                   attempts=config.max_attempts)
    arms = [(AtlasSessionRecord.Arm.ATLAS, learning_key(experiment), config)]
    if params.get("oracle_arm"):
        arms.append((AtlasSessionRecord.Arm.ORACLE, oracle_key(experiment),
                     atlas_config(params, oracle=True)))
    store = PendingMemoryStore()
    sessions = []
    for arm, key, arm_config in arms:
        tracer = Tracer()
        sessions.append((arm, tracer, run_atlas_session(student, teacher, task, store, key,
                                                        arm_config, tracer)))

    def save() -> None:  # the memory and reward writes go with the records, or not at all
        store.flush()
        for arm, tracer, session in sessions:
            run = save_run(tracer, source=Run.Source.ATLAS,
                           name=f"{arm} #{experiment.pk} problem {position + 1}",
                           subject=experiment, user=experiment.created_by,
                           engine=f"{params['student_engine']}/{params['teacher_engine']}",
                           model=getattr(student, "model", ""))
            _save_session(experiment, position, item, session, run, arm)
        _save_baseline(experiment, position, item, alone, AtlasSessionRecord.Arm.BASELINE)
        _save_baseline(experiment, position, item, self_retry, AtlasSessionRecord.Arm.SELF_RETRY)

    return save


def _save_session(experiment: Experiment, position: int, item: Item, session: AtlasSession, run,
                  arm: str = AtlasSessionRecord.Arm.ATLAS) -> None:
    AtlasSessionRecord.objects.create(
        experiment=experiment, position=position, arm=arm, key=session.key,
        question=item.question, gold=item.gold, lane=session.lane, probe_reason=session.probe_reason,
        probe_alt=session.probe_alt, plan=session.plan, student_plan=session.student_plan,
        attempts=[asdict(a) for a in session.attempts],
        reward=session.reward.score, rationale=session.reward.rationale,
        reward_source=session.reward.source, correct=session.succeeded, recovered=session.recovered,
        tokens=dict(session.tokens), usage=session.usage, memory_version=session.memory_version,
        gate=session.gate.verdict, run=run)


def _save_baseline(experiment, position, item, run: StudentRun, arm: str) -> None:
    attempt: Attempt = run.attempt
    AtlasSessionRecord.objects.create(
        experiment=experiment, position=position, arm=arm,
        question=item.question, gold=item.gold, attempts=[asdict(a) for a in run.attempts],
        reward=run.reward.score, rationale=run.reward.rationale, reward_source=run.reward.source,
        correct=attempt.answer is not None and answers_match(attempt.answer, item.gold),
        tokens={"student": run.tokens}, usage=run.usage)


# --- LeaP --------------------------------------------------------------------------------------

def leap_config(params: dict) -> LeapConfig:
    """The LeaP configuration from an experiment's parameters (it validates them too)."""
    return LeapConfig(n_paths=params["paths"], every_tokens=params["every"], top_k=params["top_k"],
                      router=params["router"], max_rounds=params["rounds"],
                      summary_tokens=params.get("summary_tokens", 48),
                      answer_tokens=params.get("answer_tokens", 32), seed=params.get("seed", 0),
                      prompt_style=params.get("prompt_style", "plain"))


def trap_prefixes(llm: LLM, item: Item, config: LeapConfig, params: dict) -> list[str]:
    """The wrong starts of the trapped paths: the model's own wrong responses (as the paper),
    cut at 15% of their tokens and used in turn, or the MathDial student's wrong solution."""
    trapped = min(params.get("trap_paths", 0), config.n_paths)
    if not trapped:
        return []
    if params.get("trap_source", "own") == "mathdial":
        return [item.wrong_prefix] * trapped if item.wrong_prefix else []
    own = own_wrong_prefixes(llm, item.question, item.gold, config, samples=config.n_paths,
                             max_tokens=config.every_tokens * config.max_rounds)
    return [own[i % len(own)] for i in range(trapped)] if own else []


def _run_leap_item(experiment: Experiment, position: int, item: Item,
                   engines: Engines) -> Callable[[], None]:
    """Run both methods on the problem; return what saves their results and traces."""
    params = experiment.params
    llm = engines(params["engine"])
    config = leap_config(params)
    prefixes = trap_prefixes(llm, item, config, params)
    outcomes = []
    for mode, run_method in (("leap", run_leap), ("independent", run_independent)):
        tracer = Tracer()
        result = run_method(llm, item.question, config, tracer=tracer, prefixes=prefixes)
        outcomes.append((mode, tracer, result))

    def save() -> None:
        for mode, tracer, result in outcomes:
            run = save_run(tracer, source=Run.Source.LEAP,
                           name=f"{mode} #{experiment.pk} problem {position + 1}",
                           subject=experiment, user=experiment.created_by, engine=params["engine"],
                           model=getattr(llm, "model", ""))
            _save_leap(experiment, position, item, mode, result, run, prefixes[0] if prefixes else "")

    return save


def _save_leap(experiment, position: int, item: Item, mode: str, result: LeapResult, run,
               prefix: str) -> None:
    LeapProblemResult.objects.create(
        experiment=experiment, position=position, mode=mode, question=item.question, gold=item.gold,
        prefix=prefix, answer=(result.answer or "")[:200],
        correct=result.answer is not None and answers_match(result.answer, item.gold),
        tokens=result.total_tokens, rounds=result.rounds,
        paths=[asdict(p) for p in result.paths], run=run)
