"""Data for export tests made by the real producers: live tutor turns through the tutoring
services with the scripted engine, `tutor_eval`, ATLAS and LeaP runs, labels through services."""

from __future__ import annotations

import json
from unittest import mock

from django.core.management import call_command
from django.test import TestCase

from agents.llm import ScriptedEngine
from apps.annotation import candidates
from apps.lab import services as lab
from apps.tutoring import services as tutoring
from apps.tutoring.models import TutoringSession
from config.celery import app as celery_app
from tests.conftest import DATA


def take_turns(session: TutoringSession, exchanges, *, replies=None) -> ScriptedEngine:
    """Each (student text, scripted tutor reply) posted and answered by `services.run_turn`, as the
    worker does; returns the engine, whose `calls` are what it received. `replies` overrides the
    engine's script (e.g. to interleave second candidates, whose task runs here, eagerly)."""
    engine = ScriptedEngine(replies if replies is not None else [reply for _, reply in exchanges])
    eager, celery_app.conf.task_always_eager = celery_app.conf.task_always_eager, True
    try:
        with (mock.patch.object(tutoring, "get_llm", lambda: engine),
              mock.patch.object(candidates, "get_llm", lambda: engine)):
            for text, _ in exchanges:
                _, tutor_turn = tutoring.post_student_message(session, text)
                with TestCase.captureOnCommitCallbacks(execute=True):  # a candidate pair's task
                    tutoring.run_turn(tutor_turn.pk)
    finally:
        celery_app.conf.task_always_eager = eager
    return engine


def tutoring_session(student, problem, *, classroom=None, turns=None) -> TutoringSession:
    """A live session: `turns` alternate student / tutor text, the tutor's scripted by its reply."""
    session = TutoringSession.objects.create(student=student, problem=problem, classroom=classroom)
    turns = turns or [("student", "I got 17."), ("tutor", "How did you get 17?")]
    students = [text for author, text in turns if author == "student"]
    tutors = [text for author, text in turns if author == "tutor"]
    take_turns(session, list(zip(students, tutors, strict=False)))
    return session


def evaluation_sessions(tmp_path, *, tutor: str, n: int = 1, k_max: int = 2) -> list[TutoringSession]:
    """`tutor_eval` on the first `n` MathDial dialogues with the scripted engine, inline."""
    path = tmp_path / f"mathdial-{tutor}.jsonl"
    with open(DATA / "mathdial" / "dev.jsonl") as dev:
        path.write_text("".join(next(dev) for _ in range(n)))
    # `tutorgraph`: k_max pairs with an early stop (tutor_eval's default became `mathdial`: 4 pairs)
    call_command("tutor_eval", "--dataset", str(path), "--engine", "scripted", "--tutor", tutor,
                 "--protocol", "tutorgraph", "--k-max", str(k_max), "--inline",
                 "--out", str(tmp_path / f"report-{tutor}.json"))
    return list(TutoringSession.objects.filter(origin="evaluation").order_by("pk"))


def atlas_experiment(tmp_path, user=None):
    """An ATLAS run over the lab tests' six problems with the scripted student and teacher."""
    from tests.lab.conftest import ATLAS_PROBLEMS, scripted_engines, write_gsm8k

    dataset = write_gsm8k(tmp_path / "gsm8k.jsonl", ATLAS_PROBLEMS)
    params = {"dataset": dataset, "limit": 6, "student_engine": "scripted",
              "teacher_engine": "scripted", "max_attempts": 2, "student_tokens": 64,
              "teacher_tokens": 64}
    experiment = lab.run_inline(lab.create_experiment("atlas", params, user=user),
                                engines=scripted_engines)
    assert experiment.status == "done", experiment.error
    return experiment


def leap_experiment(tmp_path, *, problems: int = 1):
    """A LeaP run (with its independent baseline) on the lab tests' problem, one trapped path."""
    from tests.agents.test_leap import PROBLEM, WRONG, solver

    row = {"qid": 1, "question": PROBLEM, "ground_truth": "3 + 4 + 5 = 12\n 12",
           "student_incorrect_solution": WRONG + "Then 8 + 5 = 13.\n 13"}
    path = tmp_path / "mathdial-leap.jsonl"
    path.write_text("".join(json.dumps({**row, "qid": i + 1}) + "\n" for i in range(problems)))
    params = {"paths": 3, "every": 8, "top_k": 1, "router": "dispersed", "rounds": 3,
              "summary_tokens": 16, "answer_tokens": 4, "engine": "scripted", "dataset": str(path),
              "limit": problems, "trap_paths": 1}
    experiment = lab.run_inline(lab.create_experiment("leap", params),
                                engines=lambda name: ScriptedEngine(solver))
    assert experiment.status == "done", experiment.error
    return experiment


def export(admin, fmt: str, *, file_type: str = "jsonl", **filters):
    """Request and run an export as an admin; returns it and its rows by split, loaded with `datasets`."""
    from pathlib import Path

    import datasets

    from apps.exports import services
    from apps.exports.filters import ExportFilters

    filters.setdefault("validation_fraction", 0)
    request = services.request_export(admin, format_name=fmt, file_type=file_type,
                                      filters=ExportFilters(**filters), enqueue=False)
    done = services.run_export(request.pk)
    assert done.status == "done", done.error
    files = {f["split"]: str(Path(done.directory) / f["name"]) for f in done.manifest["files"]}
    if not files:
        return done, {}
    loaded = datasets.load_dataset("json" if file_type == "jsonl" else "parquet", data_files=files,
                                   cache_dir=str(Path(done.directory).parent / ".hf-cache"))
    return done, {split: list(loaded[split]) for split in loaded}


def as_pairs(messages) -> list[tuple[str, str]]:
    """Messages as (role, content) pairs, for comparing prompts."""
    return [(m["role"], m["content"]) for m in messages]
