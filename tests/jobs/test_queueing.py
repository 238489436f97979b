"""`enqueue_on_commit`: sent after commit, and a broker that is down fails the job row, visibly."""

import pytest

from apps.exports.filters import ExportFilters
from apps.exports.models import Export
from apps.exports.services import RUN_EXPORT_TASK, request_export
from apps.jobs.queueing import QUEUE_FAILED_PREFIX, enqueue_on_commit
from apps.lab import services as lab
from apps.lab.models import Experiment
from tests.lab.conftest import ATLAS_PROBLEMS, write_gsm8k

pytestmark = pytest.mark.django_db


def new_experiment(tmp_path) -> Experiment:
    dataset = write_gsm8k(tmp_path / "g.jsonl", ATLAS_PROBLEMS)
    return lab.create_experiment("leap", {"dataset": dataset, "limit": 1, "engine": "scripted"})


def test_an_experiment_queued_while_the_broker_is_down_is_failed_with_the_reason(
        tmp_path, broker_down, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        experiment = new_experiment(tmp_path)
        lab.launch(experiment)
    experiment.refresh_from_db()
    assert experiment.status == Experiment.Status.FAILED and experiment.finished_at is not None
    assert experiment.error.startswith(QUEUE_FAILED_PREFIX)


def test_an_export_queued_while_the_broker_is_down_is_failed_with_the_reason(
        broker_down, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        export = request_export(None, format_name="sft", file_type="jsonl", filters=ExportFilters())
    export.refresh_from_db()
    assert export.status == Export.Status.FAILED and export.error.startswith(QUEUE_FAILED_PREFIX)


def test_nothing_is_sent_before_the_transaction_commits(tmp_path, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        experiment = new_experiment(tmp_path)
        lab.launch(experiment)
    assert len(callbacks) == 1
    assert Experiment.objects.get(pk=experiment.pk).status == Experiment.Status.QUEUED


def test_a_finished_job_is_not_marked_failed_by_a_late_queue_error(
        tmp_path, broker_down, django_capture_on_commit_callbacks):
    experiment = new_experiment(tmp_path)
    Experiment.objects.filter(pk=experiment.pk).update(status=Experiment.Status.DONE)
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit(lab.ADVANCE_TASK, experiment.pk, job=experiment)
    assert Experiment.objects.get(pk=experiment.pk).status == Experiment.Status.DONE


def test_without_a_job_a_queue_error_is_raised(broker_down, django_capture_on_commit_callbacks):
    with pytest.raises(Exception), django_capture_on_commit_callbacks(execute=True):  # noqa: B017,PT011
        enqueue_on_commit("apps.exports.tasks.run_export_task", 0)


def test_work_that_is_not_a_job_is_failed_by_its_callback(broker_down, django_capture_on_commit_callbacks):
    errors = []
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit("apps.exports.tasks.run_export_task", 0, on_failure=errors.append)
    assert len(errors) == 1 and isinstance(errors[0], Exception)


def test_a_task_named_by_string_runs_inline_when_celery_is_eager(
        settings, tmp_path, monkeypatch, django_capture_on_commit_callbacks):
    from config.celery import app

    settings.EXPORTS_ROOT = tmp_path
    monkeypatch.setitem(app.conf, "task_always_eager", True)
    export = request_export(None, format_name="sft", file_type="jsonl", filters=ExportFilters(),
                            enqueue=False)
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit(RUN_EXPORT_TASK, export.pk, job=export)
    export.refresh_from_db()
    assert export.status == Export.Status.DONE, export.error


def test_experiments_and_exports_are_jobs_on_their_old_tables():
    from apps.jobs.models import Job

    assert issubclass(Experiment, Job) and issubclass(Export, Job)
    assert (Experiment._meta.db_table, Export._meta.db_table) == ("lab_experiment", "exports_export")


def test_an_inline_run_records_its_start_and_progress(tmp_path):
    from tests.lab.conftest import scripted_engines

    dataset = write_gsm8k(tmp_path / "g.jsonl", dict(list(ATLAS_PROBLEMS.items())[:2]))
    experiment = lab.create_experiment("atlas", {"dataset": dataset, "limit": 2, "student_engine": "scripted",
                                                 "teacher_engine": "scripted"})
    experiment = lab.run_inline(experiment, engines=scripted_engines)
    assert experiment.status == Experiment.Status.DONE and experiment.progress == 1.0
    assert experiment.started_at is not None and experiment.finished_at >= experiment.started_at
