"""Who gets what: every HTTP route and websocket route × every role, with object-level checks.

The tables must name every route of the project: a new route fails `test_every_route_is_in_the_matrix`
until its row is added. A row is (method, query or form data, expected per role in ROLES order).
Expected values: an HTTP status, LOGIN (302 to the login page), ADMIN_LOGIN (302 to the admin's),
or for websockets ACCEPT / FORBIDDEN (closed with 4403). The export API authenticates by bearer token,
not by session: its rows say a logged-in session alone gets 401, and `test_export_api_*` covers tokens.
"""

from __future__ import annotations

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from apps.accounts.models import Classroom, Enrolment, School
from apps.annotation import services as annotation
from apps.classroom.routing import websocket_urlpatterns as classroom_ws
from apps.exports import services as exports
from apps.exports.filters import ExportFilters
from apps.exports.models import ApiToken
from apps.lab import services as lab
from apps.lab.forms import AtlasLaunchForm
from apps.lab.models import EvaluationRun
from apps.traces.models import Run
from apps.tutoring import services as tutoring
from apps.tutoring.models import TutoringSession
from apps.tutoring.routing import websocket_urlpatterns as session_ws
from config.celery import app as celery_app
from tests.annotation.conftest import make_queue
from tests.conftest import make_user
from tests.lab.conftest import ATLAS_PROBLEMS, write_gsm8k

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "student", "other_class_student", "teacher", "other_school_teacher",
         "annotator", "admin")
LOGIN, ADMIN_LOGIN, ACCEPT, FORBIDDEN = "login", "admin-login", "accept", "4403"
SETTINGS_FORM = {"telling_budget_turn": "4", "allowed_problem_sources": "",
                 "collect_candidate_pairs": "on", "consent-{alice}": "on"}
LABEL_FORM = {"correct": "Yes", "tone": "ok", "comment": ""}
ATLAS_FORM = {"atlas-dataset": "gsm8k/test.jsonl", "atlas-limit": "2", "atlas-student_engine": "scripted",
              "atlas-teacher_engine": "scripted", "atlas-max_attempts": "2",
              "atlas-student_tokens": "128", "atlas-teacher_tokens": "64",
              "atlas-probe": "llm", "atlas-memory": "live"}
EVALUATION_FORM = {"dataset": "mathdial/dev.jsonl", "tutor": "baseline", "engine": "scripted",
                   "limit": "1", "k_max": "1"}
ADMIN_ONLY = (LOGIN, 403, 403, 403, 403, 403, 200)
ADMIN_REDIRECT = (LOGIN, 403, 403, 403, 403, 403, 302)
NO_TOKEN = (401,) * 7  # bearer-token API: a session cookie is not a credential

#  route name: [(method, data, (anonymous, student, other class's student, teacher,
#                               other school's teacher, annotator, admin)), ...]
HTTP = {
    "home": [("GET", None, (LOGIN, 302, 302, 302, 302, 302, 302))],
    "login": [("GET", None, (200,) * 7)],
    "logout": [("POST", None, (302,) * 7)],
    "problem_list": [("GET", None, (LOGIN, 200, 200, 200, 200, 403, 200))],
    "start_session": [("POST", None, (LOGIN, 302, 302, 403, 403, 403, 302))],
    "session_detail": [("GET", None, (LOGIN, 200, 404, 200, 404, 403, 200))],
    "trace_list": [("GET", None, (LOGIN, 403, 403, 403, 403, 403, 200))],
    "trace_detail": [("GET", None, (LOGIN, 403, 403, 403, 403, 403, 200))],
    "classroom_list": [("GET", None, (LOGIN, 403, 403, 200, 200, 403, 200))],
    "classroom_dashboard": [("GET", None, (LOGIN, 403, 403, 200, 404, 403, 200))],
    "heatmap_cell": [("GET", {"misconception": "m", "student": "{alice}"},
                      (LOGIN, 403, 403, 200, 404, 403, 200))],
    "classroom_monitor": [("GET", None, (LOGIN, 403, 403, 200, 404, 403, 200))],
    "classroom_alerts": [("GET", None, (LOGIN, 403, 403, 200, 404, 403, 200))],
    "classroom_alert_acknowledge": [("POST", {"session": "{session}", "kind": "struggling"},
                                     (LOGIN, 403, 403, 302, 404, 403, 302))],
    # a learner of the class: its teacher and admins (another teacher's class is a 404)
    "classroom_learner": [("GET", None, (LOGIN, 403, 403, 200, 404, 403, 200))],
    "classroom_settings": [("GET", None, (LOGIN, 403, 403, 200, 404, 403, 200)),
                           ("POST", SETTINGS_FORM, (LOGIN, 403, 403, 302, 404, 403, 302))],
    # Django's admin: staff only (the admin user below is staff); one row stands for all its pages
    "evaluation_list": [("GET", None, ADMIN_ONLY)],
    "evaluation_progress": [("GET", None, ADMIN_ONLY)],
    "start_evaluation": [("POST", EVALUATION_FORM, ADMIN_REDIRECT)],
    # exports: admins only; the API below takes a bearer token, never a session
    "export_list": [("GET", None, ADMIN_ONLY)],
    "export_new": [("GET", None, ADMIN_ONLY), ("POST", {}, ADMIN_ONLY)],  # empty form: re-shown
    "export_detail": [("GET", None, ADMIN_ONLY)],
    "export_download": [("GET", None, ADMIN_ONLY)],
    "export_tokens": [("GET", None, ADMIN_ONLY), ("POST", {"name": "script"}, ADMIN_ONLY)],
    "export_token_revoke": [("POST", None, ADMIN_REDIRECT)],
    "api_export": [("GET", None, NO_TOKEN)],
    "api_export_file": [("GET", None, NO_TOKEN)],
    # lab: admins only, except the lanes of a class, which its teacher sees too
    "experiment_list": [("GET", None, ADMIN_ONLY)],
    "experiment_launch": [("POST", ATLAS_FORM, ADMIN_REDIRECT)],
    "experiment_detail": [("GET", None, ADMIN_ONLY)],
    "experiment_progress": [("GET", None, ADMIN_ONLY)],
    "classroom_lanes": [("GET", None, (LOGIN, 403, 403, 200, 404, 403, 200))],
    # annotation: the annotator works only on queues they are on; the queue's pages for its lead
    # (not this annotator) and admins; admins alone create queues and run the judge
    "annotation_queues": [("GET", None, (LOGIN, 403, 403, 403, 403, 200, 200))],
    "annotation_queue_create": [("GET", None, ADMIN_ONLY), ("POST", {}, ADMIN_ONLY)],
    "annotation_queue": [("GET", None, (LOGIN, 403, 403, 403, 403, 403, 200))],
    # the labelling desk is for the queue's annotators: an admin not on it holds no slot there
    "annotation_work": [("GET", None, (LOGIN, 403, 403, 403, 403, 200, 403))],
    "annotation_agreement": [("GET", None, (LOGIN, 403, 403, 403, 403, 403, 200))],
    "annotation_judge": [("POST", None, ADMIN_REDIRECT)],
    # the assignment is the annotator's own: even an admin cannot label in their name
    "annotation_label": [("POST", LABEL_FORM, (LOGIN, 403, 403, 403, 403, 200, 404))],
    # an annotator revises only their own label: nobody else, not even an admin
    "annotation_revise": [("GET", None, (LOGIN, 403, 403, 403, 403, 200, 404)),
                          ("POST", LABEL_FORM, (LOGIN, 403, 403, 403, 403, 302, 404))],
    "annotation_skip": [("POST", {"reason": "unclear"}, (LOGIN, 403, 403, 403, 403, 200, 404))],
    "annotation_adjudicate": [("GET", None, (LOGIN, 403, 403, 403, 403, 403, 200)),
                              ("POST", LABEL_FORM, (LOGIN, 403, 403, 403, 403, 403, 302))],
    # thumbs on a tutor turn: the session's student or their teacher, nobody else
    "turn_feedback": [("POST", {"thumbs": "up"}, (LOGIN, 200, 404, 200, 404, 403, 403))],
    "admin:index": [("GET", None, (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN,
                                   ADMIN_LOGIN, ADMIN_LOGIN, 200))],
}
WEBSOCKET = {
    "ws/sessions/<int:session_id>/": (FORBIDDEN, ACCEPT, FORBIDDEN, ACCEPT, FORBIDDEN, FORBIDDEN,
                                      ACCEPT),
    "ws/classrooms/<int:classroom_id>/monitor/": (FORBIDDEN, FORBIDDEN, FORBIDDEN, ACCEPT,
                                                  FORBIDDEN, FORBIDDEN, ACCEPT),
}
WEBSOCKET_ROUTES = session_ws + classroom_ws


def route_names(patterns, namespace: str = "") -> set[str]:
    names = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= route_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


def test_every_route_is_in_the_matrix():
    names = {n for n in route_names(get_resolver().url_patterns) if not n.startswith("admin:")}
    assert names - set(HTTP) == set(), "add these routes to HTTP"
    assert set(HTTP) - names - {"admin:index"} == set(), "these rows name no route"
    assert {str(p.pattern) for p in WEBSOCKET_ROUTES} == set(WEBSOCKET)


@pytest.fixture
def world(classroom, alice, problem, settings, tmp_path, monkeypatch):
    """The class of the fixtures, another class of the same school, and another school; a tutor
    turn, an annotation queue with the annotator on it, a finished export, an experiment."""
    settings.EXPORTS_ROOT = tmp_path / "exports"
    settings.LAB_DATA_DIR = str(tmp_path)
    (tmp_path / "gsm8k").mkdir()
    write_gsm8k(tmp_path / "gsm8k" / "test.jsonl", ATLAS_PROBLEMS)
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)  # the judge runs here, not queued
    other_room = Classroom.objects.create(school=classroom.school, name="7B",
                                          teacher=classroom.teacher)
    carol = make_user("carol")
    Enrolment.objects.create(classroom=other_room, student=carol)
    stranger = make_user("stranger", "teacher")
    far_room = Classroom.objects.create(school=School.objects.create(name="Far School"),
                                        name="9C", teacher=stranger)
    Enrolment.objects.create(classroom=far_room, student=make_user("dave"))
    admin = make_user("root", "admin")
    admin.is_staff = True
    admin.save()
    session = TutoringSession.objects.create(student=alice, problem=problem, classroom=classroom)
    # a real turn (scripted engine, run here): exports take the prompt from its traced LLM call
    _, turn = tutoring.post_student_message(session, "I got 17.")
    tutoring.run_turn(turn.pk)
    turn.refresh_from_db()
    run = Run.objects.get(subject_id=turn.pk, name="tutor_turn")
    annotator = make_user("ann", "annotator")
    queue = make_queue([annotator], n_per_item=1)
    assignment = annotation.reserve_next(queue, annotator)
    labelled = make_queue([annotator], name="labelled", n_per_item=1)
    label = annotation.submit_label(annotation.reserve_next(labelled, annotator).pk, annotator,
                                    {"correct": "No", "tone": "ok", "comment": ""})
    disputed = queue.items.create(key="disputed", payload={"context": "2 + 2", "reply": "5"},
                                  status="disputed")
    export = exports.run_export(exports.request_export(
        admin, format_name="sft", file_type="jsonl", filters=ExportFilters(validation_fraction=0),
        enqueue=False).pk)
    token, _ = exports.issue_token(admin, "matrix")
    form = AtlasLaunchForm(ATLAS_FORM, prefix="atlas")
    assert form.is_valid(), form.errors
    experiment = lab.create_experiment("atlas", form.params(), admin)
    EvaluationRun.objects.create(tutor="socratic", engine="scripted", student_engine="scripted",
                                 dataset="mathdial.jsonl", total=1)
    users = {"anonymous": None, "student": alice, "other_class_student": carol,
             "teacher": classroom.teacher, "other_school_teacher": stranger,
             "annotator": annotator, "admin": admin}
    kwargs = {"session_id": session.pk, "problem_id": problem.pk, "run_id": run.pk,
              "classroom_id": classroom.pk, "queue_id": queue.pk, "assignment_id": assignment.pk,
              "item_id": disputed.pk, "turn_id": turn.pk, "export_id": export.pk,
              "name": "train.jsonl", "token_id": token.pk, "experiment_id": experiment.pk,
              "kind": "atlas", "student_id": alice.pk,
              "label_id": label.pk}
    return users, kwargs, {"alice": alice.pk, "session": session.pk}


def url_of(name: str, kwargs: dict) -> str:
    for size in range(len(kwargs) + 1):
        for keys in _subsets(list(kwargs), size):
            try:
                return reverse(name, kwargs={k: kwargs[k] for k in keys})
            except Exception:  # NoReverseMatch: try the next set of arguments
                continue
    raise AssertionError(f"cannot reverse {name}")


def _subsets(items: list, size: int):
    if size == 0:
        yield ()
        return
    for i, item in enumerate(items):
        for rest in _subsets(items[i + 1:], size - 1):
            yield (item, *rest)


def outcome(response) -> object:
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith("/admin/login/"):
            return ADMIN_LOGIN
        if location.startswith(reverse("login")) and "next=" in location:
            return LOGIN
    return response.status_code


def fill(data: dict | None, ids: dict) -> dict | None:
    if data is None:
        return None
    return {k.format(**ids): v.format(**ids) for k, v in data.items()}


def test_http_matrix(world):
    users, kwargs, ids = world
    wrong = []
    for name, rows in HTTP.items():
        url = url_of(name, kwargs)
        for method, data, expected in rows:
            for role, want in zip(ROLES, expected, strict=True):
                client = Client()
                if users[role] is not None:
                    client.force_login(users[role])
                send = client.get if method == "GET" else client.post
                got = outcome(send(url, fill(data, ids)))
                if got != want:
                    wrong.append(f"{method} {url} as {role}: got {got}, expected {want}")
    assert wrong == []


def test_export_api_takes_an_admins_bearer_token_and_nothing_else(world):
    users, kwargs, _ = world
    _, raw = exports.issue_token(users["admin"], "script")
    old, old_raw = exports.issue_token(users["admin"], "old")
    exports.revoke_token(users["admin"], old.pk)
    # issue_token refuses non-admins, so a teacher's token (say, from before a role change) is made here
    ApiToken.objects.create(user=users["teacher"], name="x", prefix="tg_teacher",
                            key_hash=exports.hash_token("tg_teacher"))
    for name in ("api_export", "api_export_file"):
        url = url_of(name, kwargs)
        got = {who: Client().get(url, headers={"Authorization": f"Bearer {token}"}).status_code
               for who, token in (("admin", raw), ("teacher", "tg_teacher"), ("revoked", old_raw),
                                  ("unknown", "tg_nonsense"))}
        assert got == {"admin": 200, "teacher": 403, "revoked": 401, "unknown": 401}, name
        assert Client().get(url, headers={"Authorization": f"Token {raw}"}).status_code == 401


async def _ws_outcome(user, path: str) -> str:
    ws = WebsocketCommunicator(URLRouter(WEBSOCKET_ROUTES), path)
    ws.scope["user"] = user or AnonymousUser()
    connected, code = await ws.connect(timeout=30)
    if connected:
        await ws.disconnect()
        return ACCEPT
    return str(code)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)  # the consumers read through their own connections
async def test_websocket_matrix(world):
    users, kwargs, _ = world
    paths = {"ws/sessions/<int:session_id>/": f"/ws/sessions/{kwargs['session_id']}/",
             "ws/classrooms/<int:classroom_id>/monitor/":
                 f"/ws/classrooms/{kwargs['classroom_id']}/monitor/"}
    wrong = []
    for route, expected in WEBSOCKET.items():
        for role, want in zip(ROLES, expected, strict=True):
            got = await _ws_outcome(users[role], paths[route])
            if got != want:
                wrong.append(f"{route} as {role}: got {got}, expected {want}")
    assert wrong == []


def test_every_post_refuses_a_request_without_csrf_token(world):
    users, kwargs, ids = world
    for name, rows in HTTP.items():
        for method, data, expected in rows:
            if method != "POST":
                continue
            allowed = next(role for role, want in zip(ROLES, expected, strict=True)
                           if want not in (LOGIN, 403, 404) and users[role] is not None)
            client = Client(enforce_csrf_checks=True)
            client.force_login(users[allowed])
            response = client.post(url_of(name, kwargs), fill(data, ids))
            assert response.status_code == 403, f"POST {name} as {allowed} without CSRF token"
