import pytest

from apps.problems.models import Problem
from apps.tutoring.models import TutoringSession

pytestmark = pytest.mark.django_db


def test_student_starts_a_session_and_sees_the_problem(client, alice, problem):
    client.force_login(alice)
    response = client.post(f"/problems/{problem.pk}/start/")
    session = TutoringSession.objects.get(student=alice)
    assert response.status_code == 302 and response.url == f"/sessions/{session.pk}/"
    page = client.get(response.url)
    assert problem.statement in page.content.decode()
    assert session.classroom.name == "7A"


def test_problem_a_student_may_not_open_is_404_and_creates_nothing(client, alice):
    hidden = Problem.objects.create(statement="held out", gold_answer="1", solution="1",
                                    source="mathdial/heldout", source_key="h1")
    client.force_login(alice)
    assert client.post(f"/problems/{hidden.pk}/start/").status_code == 404
    assert client.post("/problems/999999/start/").status_code == 404
    assert not TutoringSession.objects.exists()


def test_student_cannot_open_another_students_session(client, alice, bob, problem):
    session = TutoringSession.objects.create(student=alice, problem=problem)
    client.force_login(bob)
    assert client.get(f"/sessions/{session.pk}/").status_code == 404


def test_start_needs_post_and_csrf(alice, problem):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert strict.get(f"/problems/{problem.pk}/start/").status_code == 405
    assert strict.post(f"/problems/{problem.pk}/start/").status_code == 403


def test_anonymous_is_sent_to_login(client, problem):
    response = client.get("/problems/")
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_traces_are_admin_only(client, alice):
    client.force_login(alice)
    assert client.get("/traces/").status_code == 403
