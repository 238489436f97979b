"""The trace list says why it is empty: nothing traced yet, or nothing matching the search."""

import pytest

from agents.tracing import Tracer
from apps.traces.services import save_run
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
