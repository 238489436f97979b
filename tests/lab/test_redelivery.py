"""A redelivered or concurrent step of an experiment does the problem once and fails nothing."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from agents.llm import ScriptedEngine
from apps.lab import services
from apps.lab.models import AtlasSessionRecord, Experiment, MemoryVersion, RewardRecord
from apps.lab.tasks import advance_experiment_task
from apps.traces.models import Run
from tests.lab.conftest import ATLAS_PROBLEMS, atlas_student, atlas_teacher, write_gsm8k


def atlas_experiment(tmp_path, limit: int = 2) -> Experiment:
    dataset = write_gsm8k(tmp_path / "g.jsonl", dict(list(ATLAS_PROBLEMS.items())[:limit]))
    return services.create_experiment("atlas", {"dataset": dataset, "limit": limit,
                                                "student_engine": "scripted", "teacher_engine": "scripted"})


def engines_calling(before_first_reply):
    """The lab's scripted ATLAS engines; `before_first_reply()` runs once, inside the first LLM call."""
    pending = [before_first_reply]

    def reply(messages) -> str:
        if pending:
            pending.pop()()
        return (atlas_student(messages) if messages[0]["content"].startswith("You are a student")
                else atlas_teacher(messages))

    return lambda name: ScriptedEngine(reply)


def assert_problem_saved_once(experiment: Experiment, position: int = 0) -> None:
    rows = AtlasSessionRecord.objects.filter(experiment=experiment, position=position)
    assert sorted(rows.values_list("arm", flat=True)) == ["atlas", "baseline", "self_retry"]
    assert RewardRecord.objects.filter(key=services.learning_key(experiment)).count() == 1
    assert Run.objects.filter(source="atlas", name__endswith=f"problem {position + 1}").count() == 1
    experiment.refresh_from_db()
    assert experiment.status != Experiment.Status.FAILED and experiment.error == ""
    assert experiment.done == 1


@pytest.mark.django_db
def test_a_task_redelivered_while_the_step_runs_saves_the_problem_once(tmp_path):
    experiment = atlas_experiment(tmp_path)
    # the twin (the real task, on the worker's scripted engine) finishes problem 1 first
    outer = services.advance(experiment.pk, engines_calling(lambda: advance_experiment_task(experiment.pk)))
    assert outer is True
    assert_problem_saved_once(experiment)
    # the rows are the twin's: its engine never states an answer, the dropped step's would have
    assert AtlasSessionRecord.objects.get(experiment=experiment, position=0, arm="atlas").correct is False
    # only the twin's memory writes happened: the dropped step wrote nothing
    assert MemoryVersion.objects.filter(key=services.learning_key(experiment)).count() <= 1


@pytest.mark.django_db
def test_a_step_after_the_experiment_failed_leaves_it_failed(tmp_path):
    experiment = atlas_experiment(tmp_path)
    services.fail(experiment, "stopped by hand")
    assert services.advance(experiment.pk, engines_calling(lambda: None)) is False
    experiment.refresh_from_db()
    assert (experiment.status, experiment.error, experiment.done) == ("failed", "stopped by hand", 0)


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_deliveries_run_the_problem_once_and_hold_no_transaction_over_llm_calls(tmp_path):
    experiment = atlas_experiment(tmp_path)
    in_llm, second_done = threading.Event(), threading.Event()
    results, atomic_during_llm = {}, []

    def first_reply() -> None:
        in_llm.set()
        assert second_done.wait(60), "the second delivery never returned"

    def deliver(name, engines) -> None:
        try:
            results[name] = services.advance(experiment.pk, engines)
        finally:
            connection.close()

    def watching(engines):
        def make(name):
            llm = engines(name)
            chat = llm.chat

            def checked_chat(*args, **kwargs):
                atomic_during_llm.append(connection.in_atomic_block)
                return chat(*args, **kwargs)

            llm.chat = checked_chat
            return llm
        return make

    first = threading.Thread(target=deliver, args=("first", watching(engines_calling(first_reply))))
    first.start()
    assert in_llm.wait(60)
    deliver("second", watching(engines_calling(lambda: None)))  # the redelivery, while the first runs
    second_done.set()
    first.join(120)
    assert results == {"first": True, "second": False}
    assert atomic_during_llm and not any(atomic_during_llm)
    assert_problem_saved_once(experiment)
