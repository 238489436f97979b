"""Running an export from the database: consent, scrubbing, audit rows, failure, idempotence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied

from apps.accounts.models import AuditEvent, Enrolment, User
from apps.exports import services
from apps.exports.filters import ExportFilters
from apps.exports.models import Export
from apps.exports.pipeline import ExportError
from apps.exports.records import Conversation
from apps.exports.sources import _REGISTRY, register_source
from tests.conftest import make_user
from tests.exports.factories import tutoring_session

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def exports_root(settings, tmp_path) -> Path:
    settings.EXPORTS_ROOT = tmp_path / "exports"
    return settings.EXPORTS_ROOT


@pytest.fixture
def admin(db) -> User:
    return make_user("root", "admin")


def export_now(user, fmt="sft", file_type="jsonl", **filters) -> Export:
    export = services.request_export(user, format_name=fmt, file_type=file_type,
                                     filters=ExportFilters(**filters), enqueue=False)
    return services.run_export(export.pk)


def exported_text(export: Export) -> str:
    return "".join((Path(export.directory) / name).read_text() for name in export.files)


def test_opted_out_student_never_appears_even_if_they_consented_elsewhere(admin, alice, bob, problem,
                                                                          classroom):
    User.objects.filter(pk=bob.pk).update(first_name="Robert", last_name="Tables")
    tutoring_session(alice, problem, classroom=classroom,
                     turns=[("student", "Bob told me 17, mail bob@x.org"), ("tutor", "Why 17?")])
    tutoring_session(bob, problem, classroom=classroom,
                     turns=[("student", "secret answer 99"), ("tutor", "Why 99?")])
    Enrolment.objects.filter(student=bob).update(data_sharing_consent=False)
    export = export_now(admin, validation_fraction=0)
    assert export.status == Export.Status.DONE, export.error
    assert export.counts["excluded_opted_out"] == 1 and export.counts["train"] == 1
    text = exported_text(export)
    assert "secret answer 99" not in text and "Why 99" not in text
    assert "[name] told me 17, mail [email]" in text
    assert "bob" not in text.lower() and "alice" not in text.lower()


def test_a_done_export_has_its_files_manifest_and_audit_rows(admin, alice, problem, classroom):
    for _ in range(5):
        tutoring_session(alice, problem, classroom=classroom)
    export = export_now(admin, "openai_chat", "jsonl", validation_fraction=0.5)
    assert export.status == Export.Status.DONE and export.progress == 1.0
    assert export.files[-1] == "manifest.json" and export.records_read == 5
    manifest = json.loads((Path(export.directory) / "manifest.json").read_text())
    assert manifest == export.manifest and manifest["export_id"] == export.pk
    actions = list(AuditEvent.objects.order_by("pk").values_list("actor__username", "action", "target_id"))
    assert actions == [("root", "export.requested", str(export.pk)),
                       ("root", "export.completed", str(export.pk))]
    completed = AuditEvent.objects.get(action="export.completed")
    assert completed.details["counts"]["read"] == 5 and completed.details["filters"] == {
        "validation_fraction": 0.5}


class Exploding:
    def count(self, filters):
        return 3000

    def records(self, filters):
        from tests.exports.conftest import conversation

        for i in range(2500):
            yield conversation(i)
        raise RuntimeError("disk full")


@pytest.fixture
def exploding_source():
    register_source("leap", Conversation, Exploding())
    yield
    del _REGISTRY[("leap", Conversation)]


def test_a_failing_job_leaves_no_done_export_and_no_file(admin, exploding_source, exports_root):
    export = export_now(admin, sources=("leap",))
    assert export.status == Export.Status.FAILED and "disk full" in export.error
    assert export.files == [] and not Path(export.directory).exists()
    assert list(exports_root.iterdir()) == []  # no .partial left behind either
    assert AuditEvent.objects.filter(action="export.failed", target_type="exports.export",
                                     target_id=str(export.pk)).exists()


def test_running_a_finished_export_again_does_nothing(admin, alice, problem):
    tutoring_session(alice, problem)
    export = export_now(admin)
    manifest_file = Path(export.directory) / "manifest.json"
    before = manifest_file.stat().st_mtime_ns
    again = services.run_export(export.pk)
    assert again.status == Export.Status.DONE and manifest_file.stat().st_mtime_ns == before
    assert AuditEvent.objects.filter(action="export.completed").count() == 1


def test_a_redelivered_running_export_starts_over_cleanly(admin, alice, problem):
    tutoring_session(alice, problem)
    export = services.request_export(admin, format_name="sft", file_type="jsonl",
                                     filters=ExportFilters(), enqueue=False)
    Path(export.directory).mkdir(parents=True)
    (Path(export.directory) / "train.jsonl").write_text("half a line")
    Export.objects.filter(pk=export.pk).update(status=Export.Status.RUNNING)
    export = services.run_export(export.pk)
    assert export.status == Export.Status.DONE and "half a line" not in exported_text(export)


def test_only_admins_can_export(alice, teacher_user):
    for user in (alice, teacher_user, make_user("ann", "annotator")):
        with pytest.raises(PermissionDenied):
            services.request_export(user, format_name="sft", file_type="jsonl",
                                    filters=ExportFilters(), enqueue=False)
    assert not Export.objects.exists()


def test_a_format_no_source_feeds_yet_is_refused_with_a_reason(admin):
    with pytest.raises(ExportError, match="no source provides PreferencePair records for dpo from leap"):
        services.request_export(admin, format_name="dpo", file_type="jsonl",
                                filters=ExportFilters(sources=("leap",)), enqueue=False)


def test_api_tokens_are_stored_hashed_and_can_be_revoked(admin):
    token, raw = services.issue_token(admin, "training box")
    assert raw not in token.key_hash and services.user_for_token(raw) == admin
    assert services.user_for_token(raw + "x") is None
    services.revoke_token(admin, token.pk)
    assert services.user_for_token(raw) is None


@pytest.fixture
def teacher_user(classroom) -> User:
    return classroom.teacher
