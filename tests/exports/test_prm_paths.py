"""Point 2: PRM rows are solutions. Real `atlas_run` / `leap_eval` runs with the scripted engine go
into a step-label queue, are labelled through the annotation services, and are exported."""

from __future__ import annotations

import pytest

from apps.annotation import services as annotation
from apps.annotation.schema_spec import DEFAULT_SCHEMAS
from apps.exports.formats import PRM_TRAINER
from apps.lab.models import AtlasSessionRecord, LeapProblemResult
from tests.conftest import make_user
from tests.exports.factories import atlas_experiment, export, leap_experiment
from tests.lab.conftest import MEMORY

pytestmark = pytest.mark.django_db


def step_queue(admin, raters):
    schema = annotation.save_schema_version("reasoning-steps", DEFAULT_SCHEMAS["reasoning-steps"])
    return annotation.create_queue(name="steps", schema=schema, target="run", filter={},
                                   annotators=raters, created_by=admin, lead=admin, n_per_item=1)


def label_every_item(queue, rater, value) -> None:
    for _ in range(queue.items.count()):
        held = annotation.reserve_next(queue, rater)
        annotation.submit_label(held.pk, rater, {"steps": value(held.item), "comment": ""})


def test_atlas_and_leap_runs_give_one_record_per_solution_path_of_reasoning_only(admin, tmp_path):
    atlas_experiment(tmp_path)
    leap_experiment(tmp_path)
    rater = make_user("annotator1", "annotator")
    queue = step_queue(admin, [rater])
    items = list(queue.items.order_by("pk"))
    attempts = sum(len(r.attempts) for r in AtlasSessionRecord.objects.filter(arm="atlas"))
    paths = sum(len(r.paths) for r in LeapProblemResult.objects.all())
    assert len(items) == attempts + paths == 7 + 6  # 6 ATLAS problems, one retried; 2 × 3 paths

    teacher_says = "Check whether you should add or multiply"
    for item in items:
        steps = item.payload["steps"]
        assert sum("final answer" in s.lower() for s in steps) <= 1  # one path, one answer
        assert not any(teacher_says in s or s.lstrip().startswith("{") or MEMORY["student_pamphlet"] in s
                       or "numbered plan" in s or s.startswith(("System:", "User:", "Assistant:"))
                       or "<summarize>" in s or "<comment>" in s for s in steps), steps
    atlas_items = [i for i in items if i.payload["source"] == "atlas"]
    records = {r.question: r for r in AtlasSessionRecord.objects.filter(arm="atlas")}
    for item in atlas_items:
        record = records[item.payload["question"]]  # the problem, not the teacher's prompt
        assert "\n".join(item.payload["steps"]) in [a["text"] for a in record.attempts]

    label_every_item(queue, rater, lambda item: [1] * (len(item.payload["steps"]) - 1) + [-1])
    done, rows = export(admin, "prm", file_type="parquet")
    rows = rows["train"]
    assert len(rows) == len(items)
    problems = {i.payload["question"] for i in items}
    assert {r["prompt"] for r in rows} == problems
    assert all(r["labels"][-1] is False and all(r["labels"][:-1]) for r in rows)
    assert done.manifest["prm_trainer"] == PRM_TRAINER and "trl<1.14" in PRM_TRAINER


def test_leap_and_independent_paths_of_one_problem_never_straddle_the_split(admin, tmp_path):
    leap_experiment(tmp_path, problems=1)
    atlas_experiment(tmp_path)
    rater = make_user("annotator1", "annotator")
    queue = step_queue(admin, [rater])
    label_every_item(queue, rater, lambda item: [0] * len(item.payload["steps"]))
    _, rows = export(admin, "prm", validation_fraction=0.5, seed=3)
    assert set(rows) == {"train", "validation"}
    where = {}
    for split, split_rows in rows.items():
        for row in split_rows:
            where.setdefault(row["prompt"], set()).add(split)
    assert all(len(splits) == 1 for splits in where.values()), where
    leap_problem = LeapProblemResult.objects.first().question
    leap_rows = [r for split_rows in rows.values() for r in split_rows if r["prompt"] == leap_problem]
    assert len(leap_rows) == 6 and len({r["conversation"] for r in leap_rows}) == 1
