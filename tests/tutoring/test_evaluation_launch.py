"""Admins launch tutor_eval from /evaluations/: a run of Celery tasks with progress, compared
side by side with the reply metrics of both tutors."""

import pytest
from django.test import Client

from apps.tutoring import evaluations
from apps.tutoring.models import EvaluationRun
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

FORM = {"dataset": "mathdial/dev.jsonl", "tutor": "tutorgraph", "engine": "scripted",
        "limit": "2", "k_max": "2"}


def test_an_admin_launches_a_run_that_the_workers_play_and_the_page_compares(
        client, django_capture_on_commit_callbacks, monkeypatch):
    queued = []
    monkeypatch.setattr("apps.tutoring.tasks.run_evaluation_dialogue_task.delay",
                        lambda run_id, line: queued.append((run_id, line)))
    client.force_login(make_user("boss", "admin"))
    runs = {}
    for tutor in ("tutorgraph", "baseline"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/evaluations/start/", {**FORM, "tutor": tutor})
        run = EvaluationRun.objects.get(tutor=tutor)
        assert response.status_code == 302 and response["Location"] == f"/evaluations/?a={run.pk}"
        assert (run.total, run.params["k_max"], run.created_by.username) == (2, 2, "boss")
        runs[tutor] = run
    assert sorted(queued) == sorted((r.pk, line) for r in runs.values()
                                    for line in r.params["lines"])  # one task per dialogue
    progress = client.get("/evaluations/progress/").content.decode()
    assert 'value="0" max="2"' in progress and "every 2s" in progress
    for run_id, line in queued:  # what each worker task runs
        evaluations.run_evaluation_dialogue(run_id, line)
    a, b = runs["tutorgraph"], runs["baseline"]
    page = client.get(f"/evaluations/?a={a.pk}&b={b.pk}").content.decode()
    assert 'id="reply-checks"' in page and "verifier accepted" in page
    assert "no verifier" in page  # the baseline row
    a.refresh_from_db()
    assert a.status == "done" and set(a.report["verifier"]) == {"accepted", "regenerated",
                                                                  "template"}
    assert {"contradiction", "false_arithmetic", "leak"} <= set(a.report["reply_checks"])


def test_bad_input_is_named_and_only_admins_may_launch(client):
    client.force_login(make_user("teach", "teacher"))
    assert client.post("/evaluations/start/", FORM).status_code == 403
    client.force_login(make_user("boss", "admin"))
    response = client.post("/evaluations/start/", {**FORM, "dataset": "../../etc/passwd",
                                                   "k_max": "0"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Select a valid choice" in page and "greater than or equal to 1" in page
    assert not EvaluationRun.objects.exists()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(make_user("root", "admin"))
    assert strict.post("/evaluations/start/", FORM).status_code == 403  # CSRF on
