"""An export requested on the page runs on a real Celery worker and the page shows it done."""

from __future__ import annotations

import json
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


def test_turns_answered_by_the_worker_export_the_system_prompt_the_engine_received(
        settings, tmp_path, worker, alice, problem):
    from apps.exports import services as exports
    from apps.exports.filters import ExportFilters
    from apps.traces.models import LLMCall
    from apps.tutoring import services as tutoring
    from apps.tutoring.models import Turn, TutoringSession

    settings.EXPORTS_ROOT = tmp_path / "exports"
    session = TutoringSession.objects.create(student=alice, problem=problem)
    for text in ("I added: 3 + 6 = 9", "3 x 6 = 17?"):
        _, tutor_turn = tutoring.post_student_message(session, text)  # queued for the worker
        deadline = time.monotonic() + 60
        while (Turn.objects.get(pk=tutor_turn.pk).status in ("pending", "streaming")
               and time.monotonic() < deadline):
            time.sleep(0.2)
        assert Turn.objects.get(pk=tutor_turn.pk).status == "done"
    export = exports.request_export(make_user("root", "admin"), format_name="sft", file_type="jsonl",
                                    filters=ExportFilters(validation_fraction=0), enqueue=False)
    export = exports.run_export(export.pk)
    rows = [json.loads(line) for line in (tmp_path / "exports" / f"export-{export.pk}" / "train.jsonl")
            .read_text(encoding="utf-8").splitlines()]
    received = [call.messages for call in LLMCall.objects.filter(
        run__subject_id__in=session.turns.values("pk"), span__name__in=("respond", "guard")).order_by("id")]
    assert len(rows) == len(received) == 2
    for row, messages in zip(rows, received, strict=True):
        assert row["messages"][0]["role"] == "system"
        assert row["messages"][0]["content"].encode() == messages[0]["content"].encode()
        assert row["messages"][:-1] == messages
