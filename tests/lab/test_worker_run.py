"""`atlas_run` without --inline: the run goes through a real Celery worker, one problem per task."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.lab.models import AtlasSessionRecord, Experiment
from tests.lab.conftest import ATLAS_PROBLEMS, write_gsm8k


@pytest.mark.django_db(transaction=True)
def test_atlas_run_command_runs_on_the_worker_and_writes_the_report(worker, tmp_path):
    dataset = write_gsm8k(tmp_path / "g.jsonl", dict(list(ATLAS_PROBLEMS.items())[:2]))
    out = tmp_path / "report.json"
    call_command("atlas_run", dataset=dataset, limit=2, student_engine="scripted",
                 teacher_engine="scripted", out=str(out))

    experiment = Experiment.objects.get()
    assert experiment.status == "done" and experiment.done == 2
    report = json.loads(out.read_text())
    assert report == experiment.report and report["n"] == 2
    # the worker's scripted engine never states an answer: both arms fail, every row is kept
    assert report["accuracy"] == {"atlas": 0.0, "baseline": 0.0, "self_retry": 0.0}
    assert AtlasSessionRecord.objects.filter(experiment=experiment).count() == 6
    assert set(report["tokens"]["atlas"]) >= {"student", "teacher"}


@pytest.mark.django_db
def test_atlas_run_command_rejects_bad_options(tmp_path):
    with pytest.raises(CommandError, match="student_engine: Select a valid choice"):
        call_command("atlas_run", dataset=str(tmp_path / "x.jsonl"), limit=2, student_engine="gpt-9",
                     out=str(tmp_path / "r.json"), inline=True)
    with pytest.raises(CommandError, match="cannot read file"):
        call_command("atlas_run", dataset=str(tmp_path / "missing.jsonl"), limit=2,
                     out=str(tmp_path / "r.json"), inline=True)
    assert not Experiment.objects.exists()
