"""The trace list says why it is empty (nothing traced yet, or nothing matching the search) and
whose runs a thread filter shows."""

import pytest

from agents.tracing import Tracer
from apps.traces.services import save_run
from apps.tutoring.models import TutoringSession
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_a_search_with_no_hits_says_no_traces_match(client):
    client.force_login(make_user("root", "admin"))
    assert "No traces yet" in client.get("/traces/").content.decode()
    tracer = Tracer()
    with tracer.span("solve"):
        pass
    save_run(tracer, source="atlas", name="atlas_session")
    page = client.get("/traces/", {"q": "zebra"}).content.decode()
    assert "No traces match “zebra”" in page and "No traces yet" not in page


def test_a_thread_lists_its_runs_and_links_back_to_its_producers_page(client, alice, problem):
    client.force_login(make_user("root", "admin"))
    session = TutoringSession.objects.create(student=alice, problem=problem)
    tracer = Tracer()
    with tracer.span("teacher_message"):
        pass
    run = save_run(tracer, source="tutoring", name="teacher_message", thread=session.trace_thread)
    page = client.get("/traces/", {"thread": session.trace_thread}).content.decode()
    assert f'href="/traces/{run.pk}/"' in page
    assert f'Traces of <a href="/sessions/{session.pk}/">session {session.pk}</a>' in page
    assert f'<a href="/sessions/{session.pk}/">session {session.pk}</a>' in client.get(
        f"/traces/{run.pk}/").content.decode()
    page = client.get("/traces/", {"thread": "nobody-registered:7"}).content.decode()
    assert "Traces of nobody-registered:7." in page and "No traces match" in page
