"""An export requested on the page runs on a real Celery worker and the page shows it done."""

from __future__ import annotations

import time

import pytest

from apps.exports.models import Export
from tests.conftest import make_user
from tests.exports.factories import tutoring_session

pytestmark = pytest.mark.worker


def test_requested_export_runs_on_the_worker_and_the_progress_fragment_finishes(
        settings, tmp_path, worker, client, problem, classroom):
    settings.EXPORTS_ROOT = tmp_path / "exports"
    alice = classroom.students.get(username="alice")
    for _ in range(3):
        tutoring_session(alice, problem, classroom=classroom)
    client.force_login(make_user("root", "admin"))
    response = client.post("/exports/new/", {"format": "sft", "file_type": "jsonl",
                                             "validation_fraction": "0"})
    export = Export.objects.get()
    deadline = time.monotonic() + 60
    while export.in_progress and time.monotonic() < deadline:
        time.sleep(0.2)
        export.refresh_from_db()
    assert export.status == Export.Status.DONE, export.error
    assert export.counts["train"] == 3 and (tmp_path / "exports" / f"export-{export.pk}").is_dir()
    fragment = client.get(response.url, headers={"HX-Request": "true"}).content.decode()
    assert "every 1s" not in fragment and "train.jsonl" in fragment
