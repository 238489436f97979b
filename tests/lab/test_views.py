"""Lab pages: admin only, CSRF, validated launch forms, the run pages and teachers' lane view."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.lab import routing, services
from apps.lab.models import Experiment
from tests.conftest import make_user
from tests.lab.conftest import scripted_engines

pytestmark = pytest.mark.django_db

ATLAS_POST = {"atlas-dataset": "gsm8k/test.jsonl", "atlas-limit": "5", "atlas-student_engine": "scripted",
              "atlas-teacher_engine": "embedded", "atlas-max_attempts": "2",
              "atlas-student_tokens": "128", "atlas-teacher_tokens": "64", "atlas-probe": "llm",
              "atlas-memory": "live"}
LEAP_POST = {"leap-dataset": "gsm8k/test.jsonl", "leap-limit": "4", "leap-engine": "vllm",
             "leap-paths": "4", "leap-every": "64", "leap-top_k": "2", "leap-router": "hybrid",
             "leap-rounds": "2", "leap-trap_paths": "0", "leap-context_tokens": "4096",
             "leap-summary_tokens": "256", "leap-prompt_style": "upstream"}


@pytest.fixture
def admin_client(client):
    client.force_login(make_user("root", "admin"))
    return client


def test_lab_is_for_admins_only(client):
    assert client.get("/lab/").status_code == 302  # to the login page
    client.force_login(make_user("tina", "teacher"))
    assert client.get("/lab/").status_code == 403
    assert client.post("/lab/launch/atlas/", ATLAS_POST).status_code == 403
    assert not Experiment.objects.exists()


def test_launch_needs_csrf():
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(make_user("root", "admin"))
    assert csrf_client.post("/lab/launch/atlas/", ATLAS_POST).status_code == 403


def test_admin_launches_runs_and_they_are_queued(admin_client, django_capture_on_commit_callbacks):
    page = admin_client.get("/lab/")
    assert b"Launch ATLAS" in page.content and b"Launch LeaP" in page.content
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post("/lab/launch/atlas/", ATLAS_POST)
        leap = admin_client.post("/lab/launch/leap/", LEAP_POST)
    atlas_run, leap_run = Experiment.objects.order_by("id")
    assert response.url == f"/lab/{atlas_run.pk}/" and leap.url == f"/lab/{leap_run.pk}/"
    assert (atlas_run.kind, atlas_run.total, atlas_run.params["teacher_engine"]) == ("atlas", 5, "embedded")
    assert leap_run.params["router"] == "hybrid" and routing.queue_for(leap_run) == "gpu"
    # T = 64 and 2 rounds fit 4,096 tokens with 256-token summaries; the report states it
    assert (leap_run.params["every"], leap_run.params["summary_tokens"]) == (64, 256)
    assert "context 4096 tokens" in leap_run.params["budget"]
    assert len(callbacks) == 2
    detail = admin_client.get(response.url)
    assert b'hx-trigger="every 2s"' in detail.content and b"0 / 5 problems" in detail.content


@pytest.mark.parametrize(("kind", "changes", "message"), [
    ("atlas", {"atlas-limit": "0"}, "greater than or equal to 1"),
    ("atlas", {"atlas-student_engine": "gpt-9"}, "Select a valid choice"),
    ("atlas", {"atlas-dataset": "../../etc/passwd"}, "Select a valid choice"),
    ("leap", {"leap-top_k": "4"}, "k must be below the number of paths"),
    ("leap", {"leap-router": "nearest"}, "Select a valid choice"),
    ("atlas", {"atlas-memory": "melted"}, "Select a valid choice"),
    ("atlas", {"atlas-prices": "student=cheap"}, "write role=prompt/completion"),
    ("leap", {"leap-every": "2"}, "greater than or equal to 8"),
    ("leap", {"leap-trap_paths": "2", "leap-trap_source": "mathdial"},
     "MathDial prefixes need a MathDial file"),
])
def test_launch_form_errors_say_what_to_fix(admin_client, kind, changes, message):
    data = {**(ATLAS_POST if kind == "atlas" else LEAP_POST), **changes}
    response = admin_client.post(f"/lab/launch/{kind}/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Experiment.objects.exists()


def test_run_page_shows_results_lanes_memory_and_the_failure(admin_client, gsm8k_file):
    experiment = services.create_experiment("atlas", {
        "dataset": gsm8k_file, "limit": 6, "student_engine": "scripted", "teacher_engine": "scripted"})
    services.run_inline(experiment, engines=scripted_engines)
    page = admin_client.get(f"/lab/{experiment.pk}/").content.decode()
    assert "every 2s" not in page and "6 / 6 problems" in page
    assert 'id="lane-windows"' in page and "<td>1–6</td><td>3</td><td>3</td><td>0</td>" in page
    assert "high streak of 3" in page and "I add them" in page and "Learning memory versions" in page
    assert "+    &quot;text&quot;: &quot;Multiply the number of groups" in page
    assert "student self-retry" in page and "sent back" in page  # the teacher's verdict, no gold
    assert "other probe: auto: high streak of 3" in page
    assert "the llm probe chose the lane; the other agreed in 6 of 6 sessions" in page

    # fail() spares a finished run, so put it back to running first
    Experiment.objects.filter(pk=experiment.pk).update(status=Experiment.Status.RUNNING)
    services.fail(experiment, "problem 3: LLMError: engine down")
    progress = admin_client.get(f"/lab/{experiment.pk}/progress/").content.decode()
    assert "Failed: problem 3: LLMError: engine down" in progress
    assert admin_client.get("/lab/99999/").status_code == 404
