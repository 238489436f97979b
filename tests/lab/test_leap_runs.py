"""LeaP through the app: both methods per problem, prefix traps, the report and the run page data."""

from __future__ import annotations

import json

import pytest

from agents.llm import ScriptedEngine
from apps.lab import routing, selectors, services
from apps.lab.datasets import load_items, wrong_prefix
from apps.lab.models import Experiment, LeapProblemResult
from apps.traces.models import Run
from tests.agents.test_leap import PROBLEM, WRONG, solver

pytestmark = pytest.mark.django_db

PARAMS = {"paths": 3, "every": 8, "top_k": 1, "router": "dispersed", "rounds": 3,
          "summary_tokens": 16, "answer_tokens": 4, "engine": "scripted"}


@pytest.fixture
def mathdial_file(tmp_path) -> str:
    row = {"qid": 1, "question": PROBLEM, "ground_truth": "3 + 4 + 5 = 12\n 12",
           "student_incorrect_solution": WRONG + "Then 8 + 5 = 13.\n 13"}
    path = tmp_path / "mathdial.jsonl"
    path.write_text(json.dumps(row) + "\n" + json.dumps({**row, "qid": 2}) + "\n")
    return str(path)


def test_wrong_prefix_is_the_first_half_of_the_wrong_solution():
    assert wrong_prefix(WRONG + "Then 8 + 5 = 13.\n 13") == WRONG
    assert wrong_prefix("x" * 900) == "x" * 400 + "\n"


def test_a_prefix_trap_run_stores_both_methods_and_reports_recovery(mathdial_file):
    experiment = services.create_experiment("leap", {**PARAMS, "dataset": mathdial_file, "limit": 1,
                                                     "trap_paths": 1, "trap_source": "mathdial"})
    experiment = services.run_inline(experiment, engines=lambda name: ScriptedEngine(solver))
    assert experiment.status == "done", experiment.error

    leap, independent = (LeapProblemResult.objects.get(experiment=experiment, mode=m)
                         for m in ("leap", "independent"))
    assert leap.prefix == WRONG and leap.correct and leap.answer == "12"
    assert [p["prefixed"] for p in leap.paths] == [True, False, False]
    assert leap.paths[0]["answers_by_round"][-1] == "12"
    assert independent.paths[0]["answers_by_round"][-1] == "8" and independent.correct
    assert leap.run.source == Run.Source.LEAP and independent.run.source == Run.Source.LEAP

    methods = experiment.report["methods"]
    assert methods["leap"]["recovery_rate_paths"] == 1.0
    assert methods["independent"]["recovery_rate_paths"] == 0.0
    assert methods["leap"]["recovery_rate_problems"] == 1.0
    assert methods["independent"]["recovery_rate_problems"] == 1.0  # the vote outweighs one trap
    assert methods["leap"]["total_tokens"] == leap.tokens and methods["independent"]["accuracy"] == 1.0
    assert methods["leap"]["pass_at_1"] == 1.0
    assert methods["independent"]["pass_at_1"] == pytest.approx(2 / 3)  # beside the vote's 1.0
    assert methods["leap"]["answer_changes"]["heard"] >= 1

    (problem,) = selectors.leap_page(experiment)["problems"]
    trapped = problem["leap"]["paths"][0]
    assert trapped["prefixed"] and any(s["kind"] == "peers" for s in trapped["segments"])
    assert not any(s["kind"] == "prompt" for s in trapped["segments"])
    assert problem["independent"]["paths"][0]["changed_after_peers"] == []
    assert [m for m, _ in problem["methods"]] == ["leap", "independent"]


def test_without_traps_no_path_is_prefixed_and_recovery_is_none(mathdial_file):
    experiment = services.create_experiment("leap", {**PARAMS, "dataset": mathdial_file, "limit": 2})
    experiment = services.run_inline(experiment, engines=lambda name: ScriptedEngine(solver))
    assert experiment.report["n"] == 2
    assert experiment.report["methods"]["leap"]["recovery_rate_paths"] is None
    assert experiment.report["methods"]["leap"]["accuracy"] == 1.0


def test_vllm_runs_go_to_the_gpu_queue(mathdial_file):
    experiment = services.create_experiment("leap", {**PARAMS, "dataset": mathdial_file, "limit": 1})
    assert routing.queue_for(experiment) == "llm"
    assert celery_queue(experiment) == "llm"
    Experiment.objects.filter(pk=experiment.pk).update(params={**experiment.params, "engine": "vllm"})
    experiment.refresh_from_db()
    assert routing.queue_for(experiment) == "gpu"
    assert celery_queue(experiment) == "gpu"


def celery_queue(experiment) -> str:
    """The queue Celery's own router (settings CELERY_TASK_ROUTES) picks for the next step."""
    from config.celery import app

    return app.amqp.router.route({}, routing.ADVANCE_TASK, (experiment.pk,), {})["queue"].name


def test_load_items_reads_gsm8k_and_names_a_bad_line(tmp_path):
    path = tmp_path / "g.jsonl"
    path.write_text('{"question": "1+1?", "answer": "#### 2"}\n{"question": "x", "answer": "no"}\n')
    assert load_items(str(path), 1)[0].gold == "2"
    with pytest.raises(ValueError, match="line 2"):
        load_items(str(path), 2)


def test_leap_run_page_marks_peer_blocks_and_trapped_paths(client, mathdial_file):
    from tests.conftest import make_user

    experiment = services.create_experiment("leap", {**PARAMS, "dataset": mathdial_file, "limit": 1,
                                                     "trap_paths": 1, "trap_source": "mathdial"})
    services.run_inline(experiment, engines=lambda name: ScriptedEngine(solver))
    client.force_login(make_user("root", "admin"))
    page = client.get(f"/lab/{experiment.pk}/").content.decode()
    assert page.index("<h3>leap: voted 12") < page.index("<h3>independent: voted 12")
    assert '<mark class="peer-block"' in page and "wrong prefix" in page
    assert '<del class="prefix">Wrong start: 3 + 4 = 8.' in page
    assert "Pass@1 (per path)" in page and "Pass@1 0.67" in page


def test_the_default_trap_starts_from_the_models_own_wrong_response(mathdial_file):
    experiment = services.create_experiment("leap", {**PARAMS, "dataset": mathdial_file, "limit": 1,
                                                     "trap_paths": 2})
    experiment = services.run_inline(experiment, engines=lambda name: ScriptedEngine(solver))
    assert experiment.status == "done", experiment.error
    leap = LeapProblemResult.objects.get(experiment=experiment, mode="leap")
    # the solver's own unanswered response "We add the numbers. Still thinking about it all",
    # 9 tokens, keeps its first 15% (1 token)
    assert leap.prefix == "We" and [p["prefixed"] for p in leap.paths] == [True, True, False]
