"""Export pages are for admins only; scripts download with a bearer token."""

from __future__ import annotations

import pytest

from apps.accounts.models import AuditEvent
from apps.exports import services
from apps.exports.filters import ExportFilters
from apps.exports.models import Export
from tests.conftest import make_user
from tests.exports.factories import tutoring_session

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def exports_root(settings, tmp_path):
    settings.EXPORTS_ROOT = tmp_path / "exports"


@pytest.fixture
def admin(db):
    return make_user("root", "admin")


@pytest.fixture
def done_export(admin, alice, problem, classroom) -> Export:
    tutoring_session(alice, problem, classroom=classroom)
    export = services.request_export(admin, format_name="sft", file_type="jsonl",
                                     filters=ExportFilters(validation_fraction=0), enqueue=False)
    return services.run_export(export.pk)


def pages(export: Export, token_id: int = 1) -> list[tuple[str, str]]:
    return [("get", "/exports/"), ("get", "/exports/new/"), ("post", "/exports/new/"),
            ("get", f"/exports/{export.pk}/"), ("get", f"/exports/{export.pk}/files/train.jsonl"),
            ("get", "/exports/tokens/"), ("post", "/exports/tokens/"),
            ("post", f"/exports/tokens/{token_id}/revoke/")]


def test_every_exports_page_is_403_for_students_teachers_and_annotators(client, done_export, alice,
                                                                        classroom):
    for user in (alice, classroom.teacher, make_user("ann", "annotator")):
        client.force_login(user)
        for method, url in pages(done_export):
            assert getattr(client, method)(url).status_code == 403, (user, url)
    assert Export.objects.count() == 1


def test_anonymous_is_sent_to_login(client, done_export):
    for method, url in pages(done_export):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response.url.startswith("/login/"), url


def test_admin_creates_an_export_and_it_is_queued_after_commit(client, admin, alice, problem,
                                                               django_capture_on_commit_callbacks):
    tutoring_session(alice, problem)
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post("/exports/new/", {"format": "sft", "file_type": "parquet",
                                                 "sources": ["tutoring"], "validation_fraction": "0.2"})
    export = Export.objects.get()
    assert response.status_code == 302 and response.url == f"/exports/{export.pk}/"
    assert len(callbacks) == 1 and export.status == Export.Status.QUEUED
    assert export.filters == {"sources": ["tutoring"], "validation_fraction": 0.2}
    page = client.get(response.url, headers={"HX-Request": "true"})
    assert b'hx-trigger="every 1s"' in page.content and b"queued" in page.content


def test_the_form_explains_what_is_wrong(client, admin):
    client.force_login(admin)
    page = client.post("/exports/new/", {"format": "dpo", "file_type": "jsonl",
                                         "sources": ["leap"]}).content.decode()
    assert "no source provides PreferencePair records for dpo from leap" in page
    page = client.post("/exports/new/", {"format": "sft", "file_type": "jsonl", "date_from": "2026-05-01",
                                         "date_to": "2026-04-01", "min_agreement": "3"}).content.decode()
    assert "must be on or after date_from" in page and "less than or equal to 1" in page
    assert not Export.objects.exists()


def test_admin_sees_the_finished_export_and_downloads_it(client, admin, done_export):
    client.force_login(admin)
    page = client.get(f"/exports/{done_export.pk}/").content.decode()
    assert "every 1s" not in page and "train.jsonl" in page and "manifest.json" in page
    response = client.get(f"/exports/{done_export.pk}/files/train.jsonl")
    assert response.status_code == 200 and b'"messages"' in b"".join(response.streaming_content)
    assert client.get(f"/exports/{done_export.pk}/files/..%2Fsecrets").status_code == 404
    assert client.get(f"/exports/{done_export.pk}/files/validation.jsonl").status_code == 404
    assert AuditEvent.objects.filter(action="export.downloaded", actor=admin).count() == 1


def test_token_endpoint_needs_a_valid_admin_token(client, admin, done_export, alice):
    url = f"/exports/api/{done_export.pk}/files/train.jsonl"
    assert client.get(url).status_code == 401
    assert client.get(url, headers={"Authorization": "Bearer nonsense"}).status_code == 401
    _, raw = services.issue_token(admin, "box")
    assert client.get(url, headers={"Authorization": f"Token {raw}"}).status_code == 401
    response = client.get(url, headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200 and b"".join(response.streaming_content).count(b"\n") == 1
    info = client.get(f"/exports/api/{done_export.pk}/", headers={"Authorization": f"Bearer {raw}"})
    assert info.json()["status"] == "done" and set(info.json()["files"]) == {"train.jsonl",
                                                                             "manifest.json"}
    alice.role = "admin"
    alice.save()
    _, student_token = services.issue_token(alice, "was admin")
    alice.role = "student"
    alice.save()
    assert client.get(url, headers={"Authorization": f"Bearer {student_token}"}).status_code == 403
    assert AuditEvent.objects.filter(action="export.downloaded", details__via="api").count() == 1


def test_admin_creates_a_token_sees_it_once_and_revokes_it(client, admin):
    client.force_login(admin)
    page = client.post("/exports/tokens/", {"name": "training box"}).content.decode()
    raw = page.split('id="new-token">')[1].split("<")[0]
    assert services.user_for_token(raw) == admin
    assert raw not in client.get("/exports/tokens/").content.decode()
    token = admin.api_tokens.get()
    client.post(f"/exports/tokens/{token.pk}/revoke/")
    assert services.user_for_token(raw) is None
