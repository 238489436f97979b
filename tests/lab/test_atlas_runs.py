"""ATLAS through the app: Postgres memory store, lanes over a run, stored sessions and report."""

from __future__ import annotations

import json

import pytest

from agents.atlas import AtlasTask, InMemoryStore, LearningMemory, Pamphlet, Reward, run_atlas_session
from agents.llm import ScriptedEngine
from apps.lab import reports, selectors, services
from apps.lab.memory_store import PostgresMemoryStore, memory_diff
from apps.lab.models import AtlasSessionRecord, Experiment, MemoryVersion, RewardRecord
from apps.traces.models import LLMCall, Run
from tests.lab.conftest import ATLAS_PROBLEMS, atlas_student, atlas_teacher, scripted_engines

pytestmark = pytest.mark.django_db


def test_store_keeps_every_version_and_diffs_them():
    store = PostgresMemoryStore()
    assert store.load("k") == LearningMemory()
    store.save("k", LearningMemory(student_pamphlet=Pamphlet("Add units."), version=1), "first")
    store.save("k", LearningMemory(student_pamphlet=Pamphlet("Multiply groups."), version=2), "second")
    store.save("other", LearningMemory(version=1), "elsewhere")

    assert store.load("k").student_pamphlet.text == "Multiply groups."
    rows = list(MemoryVersion.objects.filter(key="k").values_list("version", "reason"))
    assert rows == [(1, "first"), (2, "second")]
    (_, second) = selectors.memory_versions("k")
    assert '-    "text": "Add units."' in second["diff"]
    assert '+    "text": "Multiply groups."' in second["diff"]
    assert memory_diff({"a": 1}, {"a": 1}) == []


def test_store_records_rewards_with_lane_and_rationale_in_order():
    store = PostgresMemoryStore()
    store.record_reward("k", Reward(1.0, "matches gold", "checker"), "paired")
    store.record_reward("k", Reward(0.0, "wrong answer", "checker"), "auto")
    assert store.history("k") == [1.0, 0.0]
    assert list(RewardRecord.objects.values_list("lane", "rationale")) == [
        ("paired", "matches gold"), ("auto", "wrong answer")]


def test_sessions_on_postgres_move_lanes_exactly_as_in_memory():
    """The same scripted sessions give the same lanes, rewards and versions on both stores."""
    def run(store):
        return [run_atlas_session(ScriptedEngine(atlas_student), ScriptedEngine(atlas_teacher),
                                  AtlasTask(q, gold), store, "learner-1:groups")
                for q, (gold, _) in ATLAS_PROBLEMS.items()]

    on_postgres, in_memory = run(PostgresMemoryStore()), run(InMemoryStore())
    lanes = [s.lane for s in on_postgres]
    assert lanes == [s.lane for s in in_memory]
    # three good sessions earn `auto`; alone there, the student's slip on the last one costs it
    assert lanes == ["paired", "paired", "paired", "auto", "auto", "auto"]
    assert PostgresMemoryStore().history("learner-1:groups") == [1.0] * 5 + [0.0]
    assert on_postgres[1].recovered and len(on_postgres[5].attempts) == 1
    assert RewardRecord.objects.filter(key="learner-1:groups").values_list("lane", flat=True)[3] == "auto"
    versions = MemoryVersion.objects.filter(key="learner-1:groups").count()
    assert versions == sum(s.memory_changed for s in in_memory) and versions >= 1


def test_a_scripted_run_through_the_app_stores_sessions_baseline_and_report(gsm8k_file, alice):
    params = {"dataset": gsm8k_file, "limit": 6, "student_engine": "scripted",
              "teacher_engine": "scripted", "max_attempts": 2, "student_tokens": 64,
              "teacher_tokens": 64}
    experiment = services.create_experiment("atlas", params, user=alice)
    assert experiment.total == 6 and experiment.status == "queued"

    experiment = services.run_inline(experiment, engines=scripted_engines)

    assert experiment.status == "done" and experiment.done == 6, experiment.error
    atlas = list(experiment.atlas_sessions.filter(arm="atlas"))
    baseline = list(experiment.atlas_sessions.filter(arm="baseline"))
    assert [r.lane for r in atlas] == ["paired", "paired", "paired", "auto", "auto", "auto"]
    assert [r.correct for r in atlas] == [True, True, True, True, True, False]
    assert [r.correct for r in baseline] == [True, False, True, True, True, False]
    recovered = atlas[1]
    assert recovered.recovered and [a["answer"] for a in recovered.attempts] == ["11", "30"]
    assert recovered.attempts[0]["correct"] is False and "I add them" in recovered.attempts[0]["text"]
    assert [a["checked"] for a in recovered.attempts] == [False, True]
    assert recovered.rationale and recovered.probe_reason
    assert recovered.run.source == Run.Source.ATLAS and LLMCall.objects.filter(run=recovered.run).count() >= 3
    assert set(recovered.tokens) >= {"student", "teacher", "probe"}

    report = experiment.report
    assert report["accuracy"] == {"atlas": pytest.approx(5 / 6), "baseline": pytest.approx(4 / 6),
                                  "self_retry": pytest.approx(4 / 6)}
    self_retry = list(experiment.atlas_sessions.filter(arm="self_retry"))
    assert all(len(r.attempts) == 2 and r.usage["student"]["calls"] == 2 for r in self_retry)
    assert report["arms"]["atlas"]["calls"]["teacher"] == sum(
        r.usage.get("teacher", {}).get("calls", 0) for r in atlas)
    assert report["arms"]["atlas"]["cost_usd"]["student"] == 0.0
    assert report["probes"]["chosen"] == "llm" and report["probes"]["compared"] == 6
    assert report["lanes"] == {"paired": 3, "auto": 3} and report["recovered"] == 1
    assert report["lane_windows"] == reports.lane_windows(atlas, 10)
    assert report["lane_windows"][0] == {"from": 1, "to": 6, "auto": 3, "paired": 3, "coach": 0}
    assert len(report["teacher_tokens_by_third"]) == 3
    assert report["tokens"]["baseline"]["student"] == sum(r.tokens["student"] for r in baseline)
    json.dumps(report)
    assert list(selectors.scored_atlas_sessions(recovered_only=True)) == [recovered]
    assert selectors.scored_atlas_sessions().count() == 6


def test_the_oracle_arm_runs_on_its_own_key_and_memory_can_be_frozen(gsm8k_file):
    params = {"dataset": gsm8k_file, "limit": 2, "student_engine": "scripted",
              "teacher_engine": "scripted", "oracle_arm": True, "memory": "frozen",
              "prices": {"student": [1.0, 2.0]}}
    experiment = services.run_inline(services.create_experiment("atlas", params),
                                     engines=scripted_engines)
    assert experiment.status == "done", experiment.error
    oracle = list(experiment.atlas_sessions.filter(arm="oracle"))
    assert len(oracle) == 2 and all(r.key == services.oracle_key(experiment) for r in oracle)
    assert not MemoryVersion.objects.exists()  # frozen: nothing written on either key
    assert all("frozen" in r.gate for r in experiment.atlas_sessions.filter(arm="atlas"))
    arms = experiment.report["arms"]
    assert set(arms) == {"atlas", "oracle", "self_retry", "baseline"}
    usage = experiment.atlas_sessions.get(position=0, arm="atlas").usage["student"]
    assert usage["prompt_tokens"] > 0 and arms["atlas"]["cost_usd"]["student"] > 0


def test_reruning_a_finished_step_changes_nothing(gsm8k_file):
    params = {"dataset": gsm8k_file, "limit": 2, "student_engine": "scripted",
              "teacher_engine": "scripted"}
    experiment = services.create_experiment("atlas", params)
    assert services.advance(experiment.pk, scripted_engines)
    rewards = RewardRecord.objects.count()
    services.run_inline(experiment, engines=scripted_engines)
    assert services.advance(experiment.pk, scripted_engines) is False
    assert AtlasSessionRecord.objects.filter(experiment=experiment).count() == 6
    assert RewardRecord.objects.count() == rewards + 1


def test_a_failing_engine_marks_the_run_failed_with_the_reason(gsm8k_file):
    params = {"dataset": gsm8k_file, "limit": 3, "student_engine": "scripted",
              "teacher_engine": "scripted"}
    experiment = services.create_experiment("atlas", params)
    services.run_inline(experiment, engines=lambda name: ScriptedEngine([ScriptedEngine.FAIL]))
    experiment.refresh_from_db()
    assert experiment.status == Experiment.Status.FAILED
    assert experiment.error.startswith("problem 1: LLMError")
    assert not AtlasSessionRecord.objects.exists() and not RewardRecord.objects.exists()
