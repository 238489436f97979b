"""Malformed and adversarial requests to the export pages and the bearer-token API, generated.

Each request gets a clear answer, never a 500; a refused request writes no Export, no audit
event and no file; an accepted one runs to a whole dataset, never a partial one.
"""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import DisallowedRedirect
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from apps.accounts.models import AuditEvent
from apps.exports import services
from apps.exports.filters import SOURCES, ExportFilters
from apps.exports.formats import FORMATS
from apps.exports.models import ApiToken, Export
from apps.exports.sources import sources_for
from tests.conftest import make_user
from tests.exports.factories import tutoring_session
from tests.reliability.forms import partly_broken_post

pytestmark = pytest.mark.django_db(transaction=True)
FUZZ = settings(max_examples=25, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
NUL = "\x00"

junk = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", " ", "nan", "inf", "-inf", "1e400", "-1", "0x10", "1,5", "true", "null",
                     "[1]", "🙂", "Ａ", "١"]),
    st.tuples(st.text(max_size=6), st.text(max_size=6)).map(NUL.join),
    st.integers(1_000, 50_000).map(lambda n: "9" * n),
)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def exports_root(settings, tmp_path) -> Path:
    settings.EXPORTS_ROOT = tmp_path / "exports"
    return settings.EXPORTS_ROOT


@pytest.fixture
def people(classroom, alice, problem):
    tutoring_session(alice, problem, classroom=classroom)
    return SimpleNamespace(admin=make_user("root", "admin"), other_admin=make_user("root2", "admin"),
                           alice=alice, teacher=classroom.teacher, ann=make_user("ann", "annotator"))


def as_(client, people, who: str | None):
    client.logout()
    if who is not None:
        client.force_login(getattr(people, who))
    return client


def snapshot() -> dict:
    """Every export-side row a request could write."""
    return {"exports": list(Export.objects.order_by("pk").values_list("pk", "status", "files")),
            "audit": list(AuditEvent.objects.order_by("pk").values_list("pk", "action")),
            "tokens": list(ApiToken.objects.order_by("pk").values_list("pk", "revoked_at", "last_used_at"))}


def files_under(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")} if root.exists() else set()


def assert_whole_datasets_only(root: Path) -> None:
    """Every directory under EXPORTS_ROOT is a finished export holding exactly its listed files."""
    done = {Path(e.directory).name: e for e in Export.objects.filter(status=Export.Status.DONE)}
    for directory in root.iterdir() if root.exists() else ():
        assert ".partial" not in directory.name, f"partial export left behind: {directory.name}"
        assert directory.name in done, f"{directory.name} is not a finished export"
        assert sorted(p.name for p in directory.iterdir()) == sorted(done[directory.name].files)


# The export form -----------------------------------------------------------------------------

def optional_float(low: float | None = None, high: float | None = None):
    good = st.none() | st.floats(low, high, allow_nan=False, allow_infinity=False).map(repr)
    out_of_range = ([repr(low - 0.5)] if low is not None else []) + (
        [repr(high + 0.5)] if high is not None else [])
    return good, st.sampled_from(["nan", "inf", "-inf", "1e400", "abc", "1,5", NUL, *out_of_range])


def optional_text(max_length: int):
    good = st.none() | st.text(st.characters(codec="utf-8", exclude_characters=NUL), max_size=max_length)
    too_long = st.text(min_size=max_length + 1, max_size=max_length + 5).filter(
        lambda s: len(s.strip()) > max_length)
    return good, too_long | st.just("a\x00b")


dates = st.none() | st.dates().map(str)
bad_dates = st.sampled_from(["2026-13-01", "2026-02-30", "tomorrow", "0000-01-01", "31/12/2026",
                             "99999-01-01", NUL])
not_a_source = st.sampled_from(["", "web", "Tutoring", "tutoring\x00"]) | junk
# Each field: what the form must accept, and what it must refuse (None: it accepts anything).
EXPORT_FIELDS = {
    "format": (st.sampled_from(sorted(FORMATS)),
               st.sampled_from(["", "SFT", "sft ", "csv", "../sft"]) | st.text(max_size=6).filter(
                   lambda s: s not in FORMATS)),
    "file_type": (st.sampled_from(["jsonl", "parquet"]),
                  st.sampled_from(["", "csv", "JSONL", "parquet\x00"])),
    "sources": (st.just([]) | st.lists(st.sampled_from(SOURCES), max_size=3, unique=True),
                st.lists(not_a_source, min_size=1, max_size=2).filter(
                    lambda xs: any(x not in SOURCES for x in xs))),
    "date_from": (dates, bad_dates),
    "date_to": (dates, bad_dates),
    "classroom": (st.none() | st.just("@classroom"),
                  st.sampled_from(["1000000", "x", "-1", "1.5", str(10**30)])),
    "schema": optional_text(100),
    "min_agreement": optional_float(-1, 1),
    "adjudicated_only": (st.none() | junk, None),
    "min_rating": optional_float(),
    "max_rating": optional_float(),
    "engine": optional_text(40),
    "model": optional_text(200),
    "validation_fraction": optional_float(0, 0.5),
    "seed": (st.none() | st.integers(0, 10**40).map(str),
             st.sampled_from(["-1", "1.5", "abc", NUL, "9" * 5000])),
}


@st.composite
def export_posts(draw) -> tuple[dict, set[str]]:
    """The export form as posted, a few fields broken, and the fields the form must refuse."""
    post, bad = partly_broken_post(draw, EXPORT_FIELDS)
    if not bad & {"date_from", "date_to"} and post.get("date_from", "") > post.get("date_to", "9999-12-31"):
        bad.add("date_to")
    low, high = post.get("min_rating"), post.get("max_rating")
    if not bad & {"min_rating", "max_rating"} and low and high and float(low) > float(high):
        bad.add("max_rating")
    return post, bad


def resolve(post: dict, placeholders: dict[str, str]) -> dict:
    return {key: placeholders.get(value, value) if isinstance(value, str) else value
            for key, value in post.items()}


def whole_form_refusal(post: dict) -> str | None:
    """What a post with every field valid is still refused for, as a whole (the first that holds):
    a file type its format does not write, or no source of the records it reads."""
    fmt = FORMATS[post["format"]]
    if post["file_type"] not in fmt.file_types:
        return f"{fmt.name} files are {' or '.join(fmt.file_types)} only"
    if not sources_for(fmt.reads, ExportFilters(sources=tuple(post.get("sources", ())))):
        return "no source provides"
    return None


@FUZZ
@given(drawn=export_posts())
@example(drawn=({"format": "openai_chat", "file_type": "parquet", "sources": []}, set()))
def test_export_form_runs_a_whole_dataset_or_names_every_bad_field(client, people, classroom,
                                                                  exports_root, drawn):
    post, bad = resolve(drawn[0], {"@classroom": str(classroom.pk)}), drawn[1]
    before, files = snapshot(), files_under(exports_root)
    response = as_(client, people, "admin").post("/exports/new/", post)
    event("refused" if response.status_code == 200 else "accepted")
    refusal = None if bad else whole_form_refusal(post)
    if bad or refusal:
        assert response.status_code == 200, response.status_code
        errors = response.context["form"].errors
        assert set(errors) == (bad or {"__all__"}), (errors, post)
        if not bad:
            assert refusal in errors["__all__"][0]
        assert snapshot() == before and files_under(exports_root) == files
        return
    assert response.status_code == 302, response.context["form"].errors
    export = Export.objects.get(pk=int(response.url.strip("/").split("/")[-1]))
    assert AuditEvent.objects.filter(action="export.requested", target_id=str(export.pk)).count() == 1
    assert files_under(exports_root) == files  # nothing is written until the worker runs it
    export = services.run_export(export.pk)  # what the worker does
    assert export.status == Export.Status.DONE, export.error  # an accepted request must not fail later
    assert_whole_datasets_only(exports_root)


def login_redirect_refused(path: str, query: str) -> bool:
    """Whether Django refuses to send a signed-out visitor of this URL to the login page: the
    whole URL travels in `?next=`, and a Location over MAX_URL_REDIRECT_LENGTH is refused. (A
    guess from the query's length alone missed queries just under the limit.)"""
    try:
        redirect_to_login(f"{path}?{query}")
    except DisallowedRedirect:
        return True
    return False


EXPORT_PAGES = [("get", "/exports/"), ("post", "/exports/new/"), ("get", "/exports/@done/"),
                ("get", "/exports/@done/files/train.jsonl"), ("post", "/exports/tokens/"),
                ("post", "/exports/tokens/@token/revoke/")]


@FUZZ
@given(post=st.dictionaries(st.sampled_from(["format", "file_type", "sources", "name", "seed"]), junk,
                            max_size=4),
       who=st.sampled_from(["alice", "teacher", "ann", None]), page=st.sampled_from(EXPORT_PAGES))
@example(post={"format": "9" * 15994}, who=None, page=("get", "/exports/"))  # just under the limit
@example(post={"format": "9" * 16400}, who=None, page=("get", "/exports/"))  # just over it
def test_export_pages_refuse_everyone_but_admins_and_write_nothing(client, people, done_export, post,
                                                                  who, page):
    method, url = page
    url = url.replace("@done", str(done_export.pk)).replace("@token", str(ApiToken.objects.first().pk))
    before = snapshot()
    response = getattr(as_(client, people, who), method)(url, post)
    if who is None and method == "get" and login_redirect_refused(url, response.request["QUERY_STRING"]):
        assert response.status_code == 400  # Django will not put so long a URL in `?next=`
    elif who is None:
        assert response.status_code == 302 and response.url.startswith("/login/")
    else:
        assert response.status_code == 403
    assert snapshot() == before


# Downloads and the bearer-token API ----------------------------------------------------------

@pytest.fixture
def done_export(people) -> Export:
    export = services.request_export(people.admin, format_name="sft", file_type="jsonl",
                                     filters=ExportFilters(validation_fraction=0), enqueue=False)
    services.issue_token(people.other_admin, "someone else's")
    return services.run_export(export.pk)


@pytest.fixture
def exports(people, done_export) -> dict[str, int]:
    queued = services.request_export(people.admin, format_name="sft", file_type="jsonl",
                                     filters=ExportFilters(), enqueue=False)
    failed = services.request_export(people.admin, format_name="dpo", file_type="jsonl",
                                     filters=ExportFilters(), enqueue=False)
    Export.objects.filter(pk=failed.pk).update(status=Export.Status.FAILED, error="boom",
                                               files=["train.jsonl"])
    return {"done": done_export.pk, "queued": queued.pk, "failed": failed.pk, "missing": 10**6,
            "huge": 10**30}


@pytest.fixture
def tokens(people) -> dict[str, str]:
    """Raw tokens: an admin's, a revoked one, one whose holder is no longer an admin or active."""
    _, admin = services.issue_token(people.admin, "box")
    revoked_token, revoked = services.issue_token(people.admin, "old box")
    services.revoke_token(people.admin, revoked_token.pk)
    demoted_user, inactive_user = make_user("was-admin", "admin"), make_user("gone", "admin")
    _, demoted = services.issue_token(demoted_user, "demoted")
    _, inactive = services.issue_token(inactive_user, "inactive")
    demoted_user.role = "teacher"
    demoted_user.save(update_fields=["role"])
    inactive_user.is_active = False
    inactive_user.save(update_fields=["is_active"])
    return {"admin": admin, "revoked": revoked, "demoted": demoted, "inactive": inactive,
            "admin-short": admin[:-1], "admin-upper": admin.upper(), "prefix": admin[:10]}


schemes = st.sampled_from(["Bearer", "bearer", "BEARER", "Token", "Basic", "", "Bearer:"]) | st.text(
    max_size=8)
separators = st.sampled_from([" ", "  ", " \t", "\t", ""])
raw_tokens = st.sampled_from(["@admin", "@admin", "@revoked", "@demoted", "@inactive", "@admin-short",
                              "@admin-upper", "@prefix", "tg_", ""]) | st.text(max_size=50)
headers = st.none() | st.tuples(schemes, separators, raw_tokens, st.sampled_from(["", " ", " x", NUL]))
file_names = st.sampled_from(["train.jsonl", "manifest.json", "validation.jsonl", "..", ".",
                              "train.jsonl ", "TRAIN.JSONL", "%2e%2e"]) | st.text(
    min_size=1, max_size=30).filter(lambda s: "/" not in s)


def authenticated_as(header: str | None, tokens: dict[str, str]) -> str | None:
    """Whose token a header carries: `Bearer <token>`, the scheme in any case, spaces around."""
    if header is None:
        return None
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return next((who for who in ("admin", "demoted") if tokens[who] == raw.strip()), None)


@FUZZ
@given(header=headers, which=st.sampled_from(["done", "done", "queued", "failed", "missing", "huge"]),
       name=st.none() | file_names, method=st.sampled_from(["get", "get", "get", "post"]))
@example(header=("Bearer", " ", "@admin", ""), which="missing", name=None, method="get")  # HTML 404
def test_api_answers_only_an_admin_token_and_always_in_json(client, exports, tokens, header, which, name,
                                                           method):
    if header is not None:
        scheme, separator, raw, suffix = header
        header = scheme + separator + tokens.get(raw.removeprefix("@"), raw) + suffix
    url = f"/exports/api/{exports[which]}/" + ("" if name is None else f"files/{quote(name, safe='')}")
    before = snapshot()
    response = getattr(client, method)(url, headers={} if header is None else {"Authorization": header})
    holder = authenticated_as(header, tokens)
    if method != "get":
        assert response.status_code == 405 and snapshot() == before
        return
    assert response["Content-Type"] == "application/json" or response.status_code == 200 and name
    if holder is None:
        assert response.status_code == 401 and "token" in response.json()["error"]
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert snapshot() == before
        return
    used = ApiToken.objects.get(key_hash=services.hash_token(tokens[holder])).pk
    after = snapshot()
    changed = [t[0] for t, was in zip(after["tokens"], before["tokens"], strict=True) if t != was]
    assert changed == [used]  # only the token used is marked used
    if holder == "demoted":
        assert response.status_code == 403 and "admins" in response.json()["error"]
        assert after["audit"] == before["audit"]
        return
    downloadable = which == "done" and name in ("train.jsonl", "manifest.json")
    if name is None and which in ("done", "queued", "failed"):
        assert response.status_code == 200 and response.json()["id"] == exports[which]
    elif downloadable:
        assert response.status_code == 200 and b"".join(response.streaming_content)
        assert after["audit"][len(before["audit"]):] == [(after["audit"][-1][0], "export.downloaded")]
        return
    else:
        assert response.status_code == 404 and response.json()["error"]
    assert after["audit"] == before["audit"] and after["exports"] == before["exports"]


@FUZZ
@given(which=st.sampled_from(["done", "done", "queued", "failed", "missing", "huge"]), name=file_names)
def test_web_download_serves_only_the_listed_files_of_a_finished_export(client, people, exports, which,
                                                                       name):
    before = snapshot()
    response = as_(client, people, "admin").get(f"/exports/{exports[which]}/files/{quote(name, safe='')}")
    if which == "done" and name in ("train.jsonl", "manifest.json"):
        assert response.status_code == 200 and b"".join(response.streaming_content)
        assert AuditEvent.objects.latest("pk").action == "export.downloaded"
    else:
        assert response.status_code == 404 and snapshot() == before


# API tokens ----------------------------------------------------------------------------------

@FUZZ
@given(name=st.text(max_size=120) | junk)
def test_token_is_issued_for_a_sensible_name_or_the_form_says_why(client, people, name):
    before = snapshot()
    response = as_(client, people, "admin").post("/exports/tokens/", {"name": name})
    assert response.status_code == 200
    if name.strip() and len(name.strip()) <= 100 and NUL not in name:
        token = ApiToken.objects.latest("pk")
        assert token.name == name.strip() and token.user == people.admin
        assert response.context["raw"] and services.user_for_token(response.context["raw"]) == people.admin
    else:
        assert set(response.context["form"].errors) == {"name"} and snapshot() == before


@FUZZ
@given(which=st.sampled_from(["mine", "mine", "revoked", "someone else's", "missing", "huge"]))
@example(which="someone else's")  # said "Token revoked." and did nothing
def test_only_the_owner_revokes_a_token_and_is_told_what_happened(client, people, done_export, which):
    mine, _ = services.issue_token(people.admin, "mine")
    revoked, _ = services.issue_token(people.admin, "revoked")
    services.revoke_token(people.admin, revoked.pk)
    ids = {"mine": mine.pk, "revoked": revoked.pk, "missing": 10**6, "huge": 10**30,
           "someone else's": ApiToken.objects.get(user=people.other_admin).pk}
    before = snapshot()
    response = as_(client, people, "admin").post(f"/exports/tokens/{ids[which]}/revoke/", follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    if which == "mine":
        assert "Token revoked." in page and ApiToken.objects.get(pk=mine.pk).revoked_at is not None
        assert AuditEvent.objects.latest("pk").action == "api_token.revoked"
    else:
        assert "No such token" in page and "Token revoked." not in page
        assert snapshot() == before
        assert ApiToken.objects.get(user=people.other_admin).revoked_at is None



# The command line ----------------------------------------------------------------------------

good_filters = st.sampled_from(["source=tutoring", "sources=tutoring,leap", "seed=3", " seed = 2 ",
                                "date_from=2026-01-01", "validation_fraction=0.2", "min_rating=0"])
bad_filters = st.sampled_from(["source=", "seed=-1", "validation_fraction=0.7", "min_rating=abc",
                               "classroom=999999", "noequals", "=x", "bogus=1"]) | st.tuples(
    st.sampled_from(sorted(EXPORT_FIELDS)), junk).map("=".join)
valid_formats = st.sampled_from(sorted(FORMATS))


@FUZZ
@given(format_name=st.one_of(valid_formats, valid_formats, st.sampled_from(["SFT", ""]) | junk),
       file_type=st.sampled_from(["jsonl", "parquet", "csv"]),
       filters=st.lists(st.one_of(good_filters, good_filters, bad_filters), max_size=3),
       user=st.sampled_from([None, None, "root", "alice", "nobody"]))
def test_export_command_writes_a_whole_dataset_or_says_what_is_wrong(people, tmp_path_factory,
                                                                    format_name, file_type, filters, user):
    out = tmp_path_factory.mktemp("cli") / "dataset"
    args = ["--format", format_name, "--file-type", file_type, "--out", str(out)]
    args += [arg for f in filters for arg in ("--filter", f)] + (["--user", user] if user else [])
    last = Export.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    try:
        call_command("export_dataset", *args, stdout=StringIO())
    except CommandError as exc:
        event("refused")
        assert str(exc).strip()
        failed = Export.objects.filter(pk__gt=last).first()
        if failed is not None:  # refused only once it ran: it is recorded as failed, with why
            assert failed.status == Export.Status.FAILED and failed.error and str(failed.pk) in str(exc)
        assert not out.exists()
    else:
        event("written")
        export = Export.objects.latest("pk")
        assert export.status == Export.Status.DONE and (out / "manifest.json").is_file()
        assert sorted(p.name for p in out.iterdir()) == sorted(export.files)
    assert not [p for p in out.parent.iterdir() if ".partial" in p.name]
