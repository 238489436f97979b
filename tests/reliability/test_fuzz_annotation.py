"""Malformed and adversarial requests to the annotation endpoints, generated.

Each request gets an answer a person can act on (the form again, naming what is wrong, or a
4xx), never a 500, and a refused request writes nothing. The `@example`s are the inputs that
once gave a 500 or an unclear message.
"""

from __future__ import annotations

import itertools
import json
from datetime import timedelta
from types import SimpleNamespace

import pytest
import redis
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from agents.schema_fields import parse_fields
from apps.accounts.models import User
from apps.annotation import services
from apps.annotation.models import (
    Adjudication,
    AnnotationQueue,
    AnnotationSchema,
    Assignment,
    Label,
    QueueItem,
)
from apps.annotation.schema_spec import KINDS, TEXT_MAX_LENGTH, validate_value
from apps.traces.models import Run
from apps.tutoring.models import Turn
from tests.conftest import make_user
from tests.exports.factories import tutoring_session
from tests.reliability.forms import partly_broken_post

pytestmark = pytest.mark.django_db(transaction=True)
FUZZ = settings(max_examples=25, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

FIELDS = [
    {"name": "correct", "kind": "categorical", "label": "Correct", "options": ["No", "Yes"]},
    {"name": "score", "kind": "rating", "label": "Score", "options": [1, 2, 3]},
    {"name": "steps", "kind": "steps", "label": "Step labels"},
    {"name": "preference", "kind": "pairwise", "label": "Better reply"},
    {"name": "comment", "kind": "text", "label": "Comment"},
]
PAYLOAD = {"context": "Student: 3 x 6 = 24", "reply": "Check 3 x 6 again.",
           "steps": ["3 x 6 = 18", "so the answer is 18"], "reply_a": "Try again.", "reply_b": "18."}
N_STEPS = len(PAYLOAD["steps"])
GOOD = {"correct": ["No", "Yes"], "score": ["1", "2", "3"], "steps_0": ["-1", "0", "1"],
        "steps_1": ["-1", "0", "1"], "preference": ["A", "B", "tie"]}
VALID_POST = {"correct": ["Yes"], "score": ["2"], "steps_0": ["1"], "steps_1": ["0"],
              "preference": ["A"], "comment": [""]}
VALID_VALUE = {"correct": "Yes", "score": 2, "steps": [1, 0], "preference": "A", "comment": ""}
NUL = "\x00"  # Postgres stores it neither in text nor in jsonb
_serial = itertools.count()

# What a browser would never send, and some of what it might.
junk = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "yes", "YES ", "1.0", "+1", " 1", "-0", "2", "-2", "1e309", "NaN",
                     "null", "[1]", '{"a": 1}', "tie ", "Ａ", "١", "🙂", "A" * 300]),
    st.tuples(st.text(max_size=8), st.text(max_size=8)).map(NUL.join),
    st.tuples(st.characters(), st.integers(1_000, 100_000)).map(lambda t: t[0] * t[1]),
)


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_serial)}"


@st.composite
def label_posts(draw) -> dict[str, list[str]]:
    """A valid label as the form posts it, with a few fields broken, repeated or left out."""
    post = {key: [draw(st.sampled_from(options))] for key, options in GOOD.items()}
    post["comment"] = [draw(st.text(max_size=60))]
    for key in draw(st.sets(st.sampled_from(sorted(post)), max_size=3)):
        mutation = draw(st.sampled_from(["omit", "junk", "repeat"]))
        if mutation == "omit":
            del post[key]
        elif mutation == "junk":
            post[key] = [draw(junk)]
        else:  # a repeated key: the form reads the last value
            post[key] = draw(st.lists(junk, min_size=1, max_size=2)) + post[key]
    for key in draw(st.sets(st.sampled_from(["steps_2", "steps_-1", "note", "unknown", "value"]),
                            max_size=2)):
        post[key] = [draw(junk)]
    return post


def _last(post: dict, key: str) -> str | None:
    return post[key][-1] if key in post else None


def _int(raw: str | None) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def expected_problems(post: dict) -> set[str]:
    """The labels of the fields a correct server refuses, worked out from the post alone."""
    bad = {label for label, key in (("Correct", "correct"), ("Score", "score"),
                                    ("Better reply", "preference"))
           if _last(post, key) not in GOOD[key]}
    if any(_int(_last(post, f"steps_{i}")) not in (-1, 0, 1) for i in range(N_STEPS)):
        bad.add("Step labels")
    comment = (_last(post, "comment") or "").strip()
    if NUL in comment or len(comment) > TEXT_MAX_LENGTH:
        bad.add("Comment")
    return bad


def expected_value(post: dict) -> dict:
    return {"correct": _last(post, "correct"), "score": int(_last(post, "score")),
            "steps": [int(_last(post, f"steps_{i}")) for i in range(N_STEPS)],
            "preference": _last(post, "preference"), "comment": (_last(post, "comment") or "").strip()}


def snapshot() -> dict:
    """Every annotation row a request could write, comparable before and after."""
    def rows(model, *fields):
        return [tuple(json.dumps(v, sort_keys=True, default=str) if isinstance(v, dict | list) else v
                      for v in row) for row in model.objects.order_by("pk").values_list("pk", *fields)]

    return {"schemas": rows(AnnotationSchema, "fields"),
            "queues": rows(AnnotationQueue, "name", "filter"),
            "queue_annotators": rows(AnnotationQueue.annotators.through, "user_id"),
            "items": rows(QueueItem, "status"),
            "assignments": rows(Assignment, "status", "skip_reason", "finished_at"),
            "labels": rows(Label, "kind", "rater", "value"),
            "adjudications": rows(Adjudication, "note")}


def messages_of(response) -> list[str]:
    return list(response.context["errors"]) if response.context and "errors" in response.context else []


def names_each(messages: list[str], labels: set[str]) -> bool:
    """Every field label has a message of its own ("Score: choose one of 1, 2, 3")."""
    return all(any(m.startswith(f"{label}:") for m in messages) for label in labels)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def people(classroom, alice, bob):
    ann, ben, cat, dan = (make_user(name, "annotator") for name in ("ann", "ben", "cat", "dan"))
    return SimpleNamespace(ann=ann, ben=ben, cat=cat, dan=dan, admin=make_user("root", "admin"),
                           alice=alice, bob=bob, teacher=classroom.teacher)


def as_(client, people, who: str | None):
    client.logout()
    if who is not None:
        client.force_login(getattr(people, who))
    return client


def refused(response, status: int) -> bool:
    if status == 302:  # anonymous: to the login page
        return response.status_code == 302 and response.url.startswith("/login/")
    return response.status_code == status


def fresh_queue(people, annotators, *, n_per_item: int, lead=None) -> AnnotationQueue:
    """A queue of one item with the fuzz schema (people are made once: hashing is slow)."""
    queue = services.create_queue(
        name=unique("queue"), schema=services.save_schema_version("fuzz", FIELDS),
        target=AnnotationQueue.Target.MRBENCH, filter={}, annotators=annotators,
        created_by=people.admin, n_per_item=n_per_item, lead=lead)
    services.add_items(queue, [("item-0", None, PAYLOAD)])
    return queue


# Labels and skips ----------------------------------------------------------------------------

HOLDER_STATES = ["reserved", "reserved", "reserved", "expired", "labelled", "skipped"]
STATE_MESSAGES = {"expired": "expired", "labelled": "already labelled", "skipped": "skipped"}
# Everyone but the holder, and the answer they get on the holder's assignment.
INTRUDERS = {"ben": 404, "dan": 404, "admin": 404, "alice": 403, "teacher": 403, None: 302}


def held_assignment(people, state: str) -> Assignment:
    """ann's slot on a one-item queue of ann and ben, in the given state."""
    held = services.reserve_next(fresh_queue(people, [people.ann, people.ben], n_per_item=1), people.ann)
    if state == "expired":
        Assignment.objects.filter(pk=held.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    elif state == "labelled":
        services.submit_label(held.pk, people.ann, VALID_VALUE)
    elif state == "skipped":
        services.skip(held.pk, people.ann, "unclear")
    return held


@FUZZ
@given(post=label_posts(), state=st.sampled_from(HOLDER_STATES), htmx=st.booleans())
@example(post=VALID_POST | {"comment": ["ok\x00"]}, state="reserved", htmx=True)  # was a 500
@example(post=VALID_POST | {"comment": ["x" * 100_000]}, state="reserved", htmx=False)  # was stored
@example(post=VALID_POST, state="labelled", htmx=True)  # said "your reservation has expired"
def test_label_is_stored_whole_or_refused_naming_each_bad_field(client, people, post, state, htmx):
    held = held_assignment(people, state)
    before, before_labels = snapshot(), Label.objects.filter(assignment=held).count()
    response = as_(client, people, "ann").post(f"/annotation/assignments/{held.pk}/label/", post,
                                               headers={"HX-Request": "true"} if htmx else {})
    event("stored" if Label.objects.filter(assignment=held).count() > before_labels else "refused")
    assert response.status_code == 200
    problems = expected_problems(post)
    if state != "reserved":
        assert snapshot() == before
        assert STATE_MESSAGES[state] in " ".join(messages_of(response))
    elif problems:
        assert snapshot() == before, f"refused label {post} wrote rows"
        assert names_each(messages_of(response), problems), (messages_of(response), problems)
        assert 'role="alert"' in response.content.decode()
    else:
        assert Label.objects.get(assignment=held).value == expected_value(post)
        assert Assignment.objects.get(pk=held.pk).status == Assignment.Status.DONE


@FUZZ
@given(post=label_posts(), who=st.sampled_from(list(INTRUDERS)), endpoint=st.sampled_from(["label", "skip"]))
def test_someone_elses_assignment_is_refused_and_left_alone(client, people, post, who, endpoint):
    held = held_assignment(people, "reserved")
    before = snapshot()
    response = as_(client, people, who).post(f"/annotation/assignments/{held.pk}/{endpoint}/",
                                             post | {"reason": ["mine now"]})
    assert refused(response, INTRUDERS[who]), response.status_code
    assert snapshot() == before


@FUZZ
@given(reason=junk, state=st.sampled_from(HOLDER_STATES))
@example(reason="why\x00", state="reserved")  # was a 500
def test_skip_needs_a_reason_and_writes_only_when_it_has_one(client, people, reason, state):
    held = held_assignment(people, state)
    before = snapshot()
    response = as_(client, people, "ann").post(f"/annotation/assignments/{held.pk}/skip/",
                                               {"reason": reason})
    assert response.status_code == 200
    errors = " ".join(messages_of(response))
    if not reason.strip() or NUL in reason:  # the reason is looked at first
        assert snapshot() == before
        assert ("say why" in errors) if not reason.strip() else ("null characters" in errors)
    elif state != "reserved":
        assert snapshot() == before and STATE_MESSAGES[state] in errors
    else:
        skipped = Assignment.objects.get(pk=held.pk)
        assert skipped.status == Assignment.Status.SKIPPED
        assert skipped.skip_reason == reason.strip()[:300]


bodies = st.tuples(
    st.binary(max_size=300) | st.text(max_size=100).map(str.encode)
    | st.dictionaries(st.text(max_size=10), st.text(max_size=10)).map(lambda d: json.dumps(d).encode()),
    st.sampled_from(["application/x-www-form-urlencoded", "application/json", "text/plain",
                     "multipart/form-data; boundary=xyz", "multipart/form-data"]))


@FUZZ
@given(body=bodies)
def test_label_endpoint_answers_any_body_without_storing_an_invalid_label(client, people, body):
    held = held_assignment(people, "reserved")
    data, content_type = body
    response = as_(client, people, "ann").post(f"/annotation/assignments/{held.pk}/label/", data,
                                               content_type=content_type)
    assert response.status_code in (200, 400)
    labels = Label.objects.filter(assignment=held)
    for label in labels:
        validate_value(parse_fields(FIELDS), label.value, n_steps=N_STEPS)
    if not labels:
        assert Assignment.objects.get(pk=held.pk).status == Assignment.Status.RESERVED


# Queue pages (reserving by opening the work page) --------------------------------------------

def queue_page_answer(who: str | None, which: str, page: str) -> int:
    """ann and ben label the queue, cat leads it: who gets which page of it."""
    if who is None:
        return 302
    if who == "alice":
        return 403
    if which != "queue" or who == "dan":
        return 404
    if page == "work/":
        return 200 if who in ("ann", "ben") else 403  # the lead and admins do not label
    return 200 if who in ("cat", "admin") else 403


@pytest.fixture
def led_queue(people) -> AnnotationQueue:
    return fresh_queue(people, [people.ann, people.ben], n_per_item=2, lead=people.cat)


@FUZZ
@given(who=st.sampled_from(["ann", "ben", "cat", "dan", "admin", "alice", None]),
       which=st.sampled_from(["queue", "queue", "missing", "huge"]),
       page=st.sampled_from(["", "work/", "agreement/"]))
def test_queue_pages_open_only_to_the_queues_people_and_reserve_only_for_its_annotators(
        client, people, led_queue, who, which, page):
    pk = {"queue": led_queue.pk, "missing": 10**6, "huge": 10**30}[which]
    before = snapshot()
    response = as_(client, people, who).get(f"/annotation/queues/{pk}/{page}")
    assert refused(response, queue_page_answer(who, which, page)), response.status_code
    if response.status_code == 200 and page == "work/":
        held = Assignment.objects.filter(annotator__username=who, status=Assignment.Status.RESERVED)
        assert held.count() == 1 and "Step 1." in response.content.decode()
    else:
        assert snapshot() == before


# Adjudication --------------------------------------------------------------------------------

# Who posts an adjudication, and the refusal they get (None: admins and the lead may adjudicate).
ADJUDICATORS = {"admin": None, "cat": None, "ann": 403, "dan": 404, "alice": 403, None: 302}


def disputed_item(people, state: str) -> QueueItem:
    """The item of a queue of ann and ben, led by cat, on which ann and ben disagree."""
    queue = fresh_queue(people, [people.ann, people.ben], n_per_item=2, lead=people.cat)
    item = queue.items.get()
    for annotator, correct in ((people.ann, "Yes"), (people.ben, "No"))[:1 if state == "open" else 2]:
        held = services.reserve_next(queue, annotator)
        services.submit_label(held.pk, annotator, VALID_VALUE | {"correct": correct})
    if state == "adjudicated":
        services.adjudicate(item.pk, people.admin, VALID_VALUE, "settled")
    return item


@FUZZ
@given(post=label_posts(), note=junk, who=st.sampled_from(list(ADJUDICATORS)),
       state=st.sampled_from(["disputed", "disputed", "open", "adjudicated"]))
@example(post=VALID_POST, note="\x00", who="cat", state="disputed")  # was a 500
@example(post=VALID_POST, note="n" * 5_000, who="admin", state="disputed")  # was stored
def test_adjudication_is_final_whole_or_refused(client, people, post, note, who, state):
    item = disputed_item(people, state)
    before = snapshot()
    response = as_(client, people, who).post(f"/annotation/items/{item.pk}/adjudicate/",
                                             post | {"note": [note]})
    if ADJUDICATORS[who] is not None:
        assert refused(response, ADJUDICATORS[who]), response.status_code
        assert snapshot() == before
        return
    problems = expected_problems(post)
    errors = messages_of(response)
    if state != "disputed":
        assert response.status_code == 200 and snapshot() == before
        assert "not awaiting adjudication" in " ".join(errors)
    elif problems or NUL in note or len(note) > TEXT_MAX_LENGTH:  # the label first, then the note
        assert response.status_code == 200 and snapshot() == before
        assert names_each(errors, problems or {"Note"}), (errors, problems)
    else:
        assert response.status_code == 302 and response.url == f"/annotation/queues/{item.queue_id}/"
        adjudication = Adjudication.objects.get(item=item)
        assert adjudication.label.value == expected_value(post) and adjudication.note == note
        assert QueueItem.objects.get(pk=item.pk).status == QueueItem.Status.ADJUDICATED


# Feedback on tutor turns ---------------------------------------------------------------------

RATERS = ["alice", "alice", "teacher", "bob", "ann", "admin", None]
TURNS = ["tutor", "tutor", "tutor", "student", "streaming", "missing", "huge"]


def feedback_refusal(who: str | None, which: str) -> int | None:
    """The status a rater gets before their thumbs are looked at (None: they are)."""
    if who is None:
        return 302
    if who == "ann":
        return 403
    if which in ("student", "missing", "huge") or who == "bob":
        return 404
    return 403 if who == "admin" else None  # an admin sees the session, but is not a learner


@pytest.fixture
def turns(people, problem, classroom):
    session = tutoring_session(people.alice, problem, classroom=classroom)
    student, tutor = session.turns.order_by("index")
    streaming = Turn.objects.create(session=session, index=2, author="tutor", text="Let me",
                                    status=Turn.Status.STREAMING)
    return {"tutor": tutor.pk, "student": student.pk, "streaming": streaming.pk, "missing": 10**6,
            "huge": 10**30}


@FUZZ
@given(thumbs=st.sampled_from(["up", "down"]) | junk, comment=junk, who=st.sampled_from(RATERS),
       which=st.sampled_from(TURNS))
@example(thumbs="up", comment="\x00", who="alice", which="tutor")  # was a 500
@example(thumbs="up", comment="", who="teacher", which="streaming")  # was stored
def test_feedback_is_refused_or_stored_once_per_rater(client, people, turns, thumbs, comment, who, which):
    before = snapshot()
    response = as_(client, people, who).post(f"/feedback/turns/{turns[which]}/",
                                             {"thumbs": thumbs, "comment": comment})
    if status := feedback_refusal(who, which):
        assert refused(response, status), (who, which, response.status_code)
        assert snapshot() == before
        return
    assert response.status_code == 200
    error = response.context["feedback_error"]
    if which == "streaming":
        assert "finished" in error and snapshot() == before
    elif thumbs not in ("up", "down") or NUL in comment:
        assert snapshot() == before
        assert ("thumbs up or thumbs down" in error) if thumbs not in ("up", "down") else (
            "null characters" in error)
    else:
        user = getattr(people, who)
        label = Label.objects.get(kind=Label.Kind.FEEDBACK, rater=f"user:{who}", turn_id=turns["tutor"])
        assert label.value == {"thumbs": thumbs, "comment": comment.strip()[:1000], "role": user.role}
        assert Label.objects.filter(kind=Label.Kind.FEEDBACK).count() <= 2  # one per rater


# Queue creation ------------------------------------------------------------------------------

def number(low: int, high: int):
    return st.integers(low, high).map(str), st.sampled_from(
        [str(low - 1), str(high + 1), "1.5", "abc", "", "1e3", NUL, "10" * 30])


def optional_text(max_length: int):
    good = st.none() | st.text(st.characters(codec="utf-8", exclude_characters=NUL),
                               max_size=max_length)
    too_long = st.text(min_size=max_length + 1, max_size=max_length + 5).filter(
        lambda s: len(s.strip()) > max_length)
    return good, too_long | st.just("a\x00b")


dates = st.none() | st.dates().map(str)
bad_dates = st.sampled_from(["2026-13-01", "2026-02-30", "yesterday", "0000-01-01", "31/12/2026",
                             "99999-01-01", NUL]) | st.text(max_size=12).filter(
    lambda s: s.strip() and not s.strip()[:1].isdigit())
# Placeholders for rows the fixtures make: `@ann` is an annotator's id, `@alice` a student's.
ANNOTATOR_IDS = ["@ann", "@ben", "@cat"]
STRANGERS = st.sampled_from(["@alice", "@teacher", "@admin", "1000000", "x", "-1", "1.5"])
# Each field: what the form must accept, and what it must refuse (None: it accepts anything).
QUEUE_FIELDS = {
    "name": (st.text(st.characters(codec="utf-8", exclude_characters=NUL), min_size=1,
                     max_size=40).filter(str.strip).map(lambda s: unique(s.strip())),
             st.sampled_from(["", "   ", "taken", "a\x00b", "n" * 121])),
    "schema": (st.just("@schema"), st.sampled_from(["", "x", "1000000", "-1", "1.5"])),
    "target": (st.sampled_from(["turn", "run", "pair"]),
               st.sampled_from(["mrbench", "", "TURN", " turn"]) | st.text(max_size=5).filter(
                   lambda s: s not in ("turn", "run", "pair"))),
    "since": (dates, bad_dates),
    "until": (dates, bad_dates),
    "move": optional_text(16),
    "sources": (st.lists(st.sampled_from(Run.Source.values), max_size=3),
                st.lists(st.text(max_size=8), min_size=1, max_size=2).filter(
                    lambda xs: any(x not in Run.Source.values for x in xs))),
    "engine": optional_text(40),
    "limit": number(1, 5000),
    "annotators": (st.lists(st.sampled_from(ANNOTATOR_IDS), min_size=1, max_size=3, unique=True),
                   st.just([]) | st.lists(STRANGERS, min_size=1, max_size=2)),
    "lead": (st.none() | st.sampled_from(ANNOTATOR_IDS), STRANGERS),
    "n_per_item": number(1, 10),
    "blind": (st.none() | st.sampled_from(["on", "true", "false", "0"]) | junk, None),
    "threshold": (st.floats(0, 1).map(str),
                  st.sampled_from(["-0.1", "1.01", "nan", "inf", "-inf", "", "half", "1e400"])),
    "reservation_minutes": number(1, 240),
}


@st.composite
def queue_posts(draw) -> tuple[dict, set[str]]:
    """A queue form as posted, a few fields broken, and the fields the form must refuse."""
    post, bad = partly_broken_post(draw, QUEUE_FIELDS)
    if not bad & {"annotators", "n_per_item"} and len(post["annotators"]) < int(post["n_per_item"]):
        bad.add("annotators")
    if not bad & {"since", "until"} and post.get("since", "") > post.get("until", "9999-12-31"):
        bad.add("until")
    return post, bad


SWAPPED_DATES = {"name": "swapped", "schema": "@schema", "target": "turn", "since": "2026-05-02",
                 "until": "2026-05-01", "limit": "10", "annotators": ["@ann"], "n_per_item": "1",
                 "threshold": "0", "reservation_minutes": "10"}


@pytest.fixture
def placeholders(people, problem) -> dict[str, str]:
    """The ids behind the placeholders; a queue named `taken`; one finished tutor turn to pick."""
    schema = services.save_schema_version("fuzz", FIELDS)
    tutoring_session(people.alice, problem)
    services.create_queue(name="taken", schema=schema, target=AnnotationQueue.Target.MRBENCH,
                          filter={}, annotators=[people.ann], created_by=people.admin)
    fitting = {target: services.save_schema_version(f"fuzz-{target}", [
        f for f in FIELDS if f["kind"] not in {"steps", "pairwise"} - {kind}])
        for target, kind in (("turn", ""), ("run", "steps"), ("pair", "pairwise"))}
    return ({"@schema": str(schema.pk)} | {f"@schema:{t}": str(s.pk) for t, s in fitting.items()}
            | {f"@{who}": str(getattr(people, who).pk)
               for who in ("ann", "ben", "cat", "alice", "teacher", "admin")})


def resolve(post: dict, placeholders: dict[str, str]) -> dict:
    def one(value):
        return placeholders.get(value, value) if isinstance(value, str) else [one(v) for v in value]

    return {key: one(value) for key, value in post.items()}


@FUZZ
@given(drawn=queue_posts())
@example(drawn=(SWAPPED_DATES, {"until"}))  # made an empty queue without a word
def test_queue_is_created_whole_or_the_form_names_every_bad_field(client, people, placeholders, drawn):
    post, bad = resolve(drawn[0], placeholders), set(drawn[1])
    if drawn[0].get("schema") == "@schema" and post.get("target") in ("turn", "run", "pair"):
        post["schema"] = placeholders[f"@schema:{post['target']}"]  # a schema its items can answer
    if "name" not in bad and AnnotationQueue.objects.filter(name=post["name"].strip()).exists():
        bad.add("name")
    before = snapshot()
    response = as_(client, people, "admin").post("/annotation/queues/new/", post)
    event("refused" if response.status_code == 200 else "accepted")
    if bad:
        assert response.status_code == 200, response.status_code
        assert set(response.context["form"].errors) == bad, (response.context["form"].errors, post)
        assert snapshot() == before
        return
    assert response.status_code == 302, response.context["form"].errors
    queue = AnnotationQueue.objects.get(name=post["name"].strip())
    assert response.url == f"/annotation/queues/{queue.pk}/"
    assert sorted(queue.annotators.values_list("pk", flat=True)) == sorted(map(int, post["annotators"]))
    assert queue.items.count() <= (1 if post["target"] == "turn" else 0)  # one tutor turn exists


# The LLM judge -------------------------------------------------------------------------------

def llm_queue_length() -> int:
    return redis.Redis.from_url(django_settings.CELERY_BROKER_URL).llen("llm")


@FUZZ
@given(post=st.dictionaries(st.sampled_from(["name", "schema", "target", "limit", "annotators",
                                             "n_per_item", "threshold", "engine"]), junk, max_size=6),
       who=st.sampled_from(["ann", "alice", "teacher", None]))
def test_only_admins_create_queues_or_run_the_judge(client, people, placeholders, post, who):
    queue = AnnotationQueue.objects.get(name="taken")
    before, queued = snapshot(), llm_queue_length()
    for url in ("/annotation/queues/new/", f"/annotation/queues/{queue.pk}/judge/"):
        assert refused(as_(client, people, who).post(url, post), 403 if who else 302)
    assert snapshot() == before and llm_queue_length() == queued


@FUZZ
@given(engine=st.none() | st.sampled_from(["scripted", "embedded", "vllm", "openai", " vllm "]) | junk,
       which=st.sampled_from(["taken", "taken", "missing"]))
@example(engine="gpt-5", which="taken")  # was queued, to fail in the worker unseen
def test_judge_runs_only_on_a_known_engine_and_says_so(client, people, placeholders, engine, which):
    pk = AnnotationQueue.objects.get(name="taken").pk if which == "taken" else 10**6
    queued = llm_queue_length()
    response = as_(client, people, "admin").post(f"/annotation/queues/{pk}/judge/",
                                                 {} if engine is None else {"engine": engine},
                                                 follow=True)
    if which == "missing":
        assert response.status_code == 404 and llm_queue_length() == queued
        return
    assert response.status_code == 200
    page = response.content.decode()
    if (engine or "").strip() in ("", "scripted", "embedded", "vllm", "openai"):
        assert "The LLM judge is labelling this queue" in page
        assert llm_queue_length() == queued + 1
    else:
        assert "unknown LLM engine" in page
        assert llm_queue_length() == queued


# Schema upload (the admin site) --------------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.text(max_size=6), inner, max_size=3), max_leaves=8)
schema_fields = st.fixed_dictionaries({}, optional={
    "name": st.sampled_from(["tone", "correct", "a_b", "1x", "", "a b", NUL]) | json_values,
    "kind": st.sampled_from(KINDS) | json_scalars,
    "label": st.sampled_from(["Tone", "", " ", NUL]) | json_values,
    "options": st.lists(json_scalars, max_size=4) | json_values,
    "ordinal": json_values,
    "question": json_values,
})
schema_json = st.one_of(
    st.lists(schema_fields, max_size=4).map(json.dumps),
    json_values.map(json.dumps),
    st.text(max_size=40),
    st.integers(1, 3_000).map(lambda n: "[" * n + "]" * n),
)


@pytest.fixture
def superuser(people):
    user = User.objects.create_superuser("super", password="super-pw", role="admin")
    people.super = user
    return user


def usable(fields: list[dict]) -> None:
    """A stored schema can take labels: its fields are complete and it judges any value."""
    for field in fields:
        assert isinstance(field.get("label"), str) and field["label"].strip(), field
        assert field["kind"] in KINDS and field["name"].isidentifier(), field
    for value in ({}, {f["name"]: "x" for f in fields}, {"x\x00": None}):
        try:
            validate_value(parse_fields(fields), value, n_steps=1)
        except ValidationError as exc:
            assert exc.messages


@FUZZ
@given(name=st.sampled_from(["tutor-turn", "fuzz", "", "n" * 81]) | st.text(max_size=10),
       fields=schema_json)
@example(name="no-label", fields='[{"name": "tone", "kind": "text"}]')  # labels then gave a 500
@example(name="list-name", fields='[{"name": [1], "kind": "text", "label": "T"}]')  # a 500
@example(name="nul", fields='[{"name": "t", "kind": "text", "label": "T\\u0000"}]')  # a 500
@example(name="deep", fields="[" * 3000 + "]" * 3000)  # a 500 (RecursionError)
def test_schema_upload_stores_only_a_usable_schema(client, people, superuser, name, fields):
    before = snapshot()
    response = as_(client, people, "super").post("/admin/annotation/annotationschema/add/",
                                                 {"name": name, "description": "", "fields": fields})
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 200:
        assert snapshot() == before
        assert response.context["adminform"].form.errors
    else:
        usable(AnnotationSchema.objects.order_by("-pk").first().fields)
