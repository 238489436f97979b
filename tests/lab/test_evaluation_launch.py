"""Admins launch tutor_eval from /lab/evaluations/: a run of Celery tasks with progress, compared
side by side with the reply metrics of both tutors; a broker that is down fails the run."""

import pytest
from django.test import Client

from apps.jobs.queueing import QUEUE_FAILED_PREFIX
from apps.lab import evaluations
from apps.lab.models import EvaluationRun
from config.celery import app as celery_app
from tests.conftest import DATA, make_user

pytestmark = pytest.mark.django_db

FORM = {"dataset": "mathdial/dev.jsonl", "tutor": "tutorgraph", "engine": "scripted",
        "limit": "2", "k_max": "2"}


def test_an_admin_launches_a_run_that_the_workers_play_and_the_page_compares(
        client, django_capture_on_commit_callbacks, monkeypatch):
    queued = []
    monkeypatch.setattr(celery_app, "send_task",
                        lambda name, args: queued.append((name, *args)))
    client.force_login(make_user("boss", "admin"))
    runs = {}
    for tutor in ("tutorgraph", "baseline"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/lab/evaluations/start/", {**FORM, "tutor": tutor})
        run = EvaluationRun.objects.get(tutor=tutor)
        assert response.status_code == 302 and response["Location"] == f"/lab/evaluations/?a={run.pk}"
        assert (run.total, run.params["k_max"], run.created_by.username) == (2, 2, "boss")
        assert (run.status, run.progress) == ("queued", 0.0)
        runs[tutor] = run
    assert sorted(queued) == sorted((evaluations.DIALOGUE_TASK, r.pk, line) for r in runs.values()
                                    for line in r.params["lines"])  # one task per dialogue
    progress = client.get("/lab/evaluations/progress/").content.decode()
    assert 'value="0" max="2"' in progress and "every 2s" in progress
    a, b = runs["tutorgraph"], runs["baseline"]
    (_, first_id, first_line), *rest = sorted(queued, key=lambda q: q[1] != a.pk)
    evaluations.run_evaluation_dialogue(first_id, first_line)  # what each worker task runs
    a.refresh_from_db()
    assert (a.status, a.progress, a.report) == ("running", 0.5, None) and a.started_at is not None
    for _, run_id, line in rest:
        evaluations.run_evaluation_dialogue(run_id, line)
    page = client.get(f"/lab/evaluations/?a={a.pk}&b={b.pk}").content.decode()
    assert 'id="reply-checks"' in page and "verifier accepted" in page
    assert "no verifier" in page  # the baseline row
    a.refresh_from_db()
    assert (a.status, a.progress) == ("done", 1.0) and a.finished_at >= a.started_at
    assert set(a.report["verifier"]) == {"accepted", "regenerated", "template"}
    assert {"contradiction", "false_arithmetic", "leak"} <= set(a.report["reply_checks"])


def test_a_run_queued_while_the_broker_is_down_is_failed_with_the_reason(
        broker_down, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = evaluations.start_evaluation(dataset=DATA / "mathdial" / "dev.jsonl", tutor="baseline",
                                           engine="scripted", limit=2, k_max=1)
    run.refresh_from_db()
    assert run.status == EvaluationRun.Status.FAILED and run.finished_at is not None
    assert run.error.startswith(QUEUE_FAILED_PREFIX)
    evaluations.run_evaluation_dialogue(run.pk, run.params["lines"][0])  # a task that got through
    assert not run.dialogues.exists()


def test_bad_input_is_named_and_only_admins_may_launch(client):
    client.force_login(make_user("teach", "teacher"))
    assert client.post("/lab/evaluations/start/", FORM).status_code == 403
    client.force_login(make_user("boss", "admin"))
    response = client.post("/lab/evaluations/start/", {**FORM, "dataset": "../../etc/passwd",
                                                       "k_max": "0"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Select a valid choice" in page and "greater than or equal to 1" in page
    assert not EvaluationRun.objects.exists()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(make_user("root", "admin"))
    assert strict.post("/lab/evaluations/start/", FORM).status_code == 403  # CSRF on
