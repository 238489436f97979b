"""Who gets what: every HTTP route and websocket route × every role, with object-level checks.

The tables must name every route of the project: a new route fails `test_every_route_is_in_the_matrix`
until its row is added. A row is (method, query or form data, expected per role in ROLES order).
Expected values: an HTTP status, LOGIN (302 to the login page), ADMIN_LOGIN (302 to the admin's),
or for websockets ACCEPT / FORBIDDEN (closed with 4403).
"""

from __future__ import annotations

import pytest
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from agents.tracing import Tracer
from apps.accounts.models import Classroom, Enrolment, School
from apps.classroom.routing import websocket_urlpatterns as classroom_ws
from apps.traces.models import Run
from apps.traces.services import save_run
from apps.tutoring.models import TutoringSession
from apps.tutoring.routing import websocket_urlpatterns as session_ws
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "student", "other_class_student", "teacher", "other_school_teacher",
         "annotator", "admin")
LOGIN, ADMIN_LOGIN, ACCEPT, FORBIDDEN = "login", "admin-login", "accept", "4403"
SETTINGS_FORM = {"telling_budget_turn": "4", "allowed_problem_sources": "",
                 "collect_candidate_pairs": "on", "consent-{alice}": "on"}

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
    "classroom_settings": [("GET", None, (LOGIN, 403, 403, 200, 404, 403, 200)),
                           ("POST", SETTINGS_FORM, (LOGIN, 403, 403, 302, 404, 403, 302))],
    # Django's admin: staff only (the admin user below is staff); one row stands for all its pages
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
def world(classroom, alice, problem):
    """The class of the fixtures, another class of the same school, and another school."""
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
    run = save_run(Tracer(), source=Run.Source.TUTORING, name="tutor_turn", user=alice)
    users = {"anonymous": None, "student": alice, "other_class_student": carol,
             "teacher": classroom.teacher, "other_school_teacher": stranger,
             "annotator": make_user("ann", "annotator"), "admin": admin}
    kwargs = {"session_id": session.pk, "problem_id": problem.pk, "run_id": run.pk,
              "classroom_id": classroom.pk}
    return users, kwargs, {"alice": alice.pk}


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
