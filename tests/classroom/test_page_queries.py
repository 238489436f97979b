"""The teacher's pages cost the same queries for a class of 2 students and 6 sessions as for one
of 12 students and 11 times the sessions (nothing is fetched per row), and long lists are cut."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Enrolment
from apps.classroom import selectors
from apps.learners.services import record_reward
from apps.problems.models import Problem
from apps.tutoring.models import TutoringSession
from tests.classroom.factories import many_sessions
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

# Each adds the session and user look-ups of the request and the classroom's own.
QUERIES = {
    "dashboard": 8,  # student rows (3), heatmap (2)
    "heatmap cell": 6,  # the student, the count of the cell's turns, one page of them
    "monitor": 6,  # the shown sessions, their turns, the count of active sessions
}


@pytest.fixture
def teacher_client(classroom):
    client = Client()
    client.force_login(classroom.teacher)
    return client


@pytest.fixture
def problems(problem):
    problem.skills = ["multiplication"]
    problem.save()
    return [problem, Problem.objects.create(statement="2 x 5?", gold_answer="10", source="gsm8k/test",
                                            source_key="t2", skills=["multiplication", "units"])]


def url_of(page: str, classroom, student) -> str:
    return {
        "dashboard": reverse("classroom_dashboard", args=[classroom.pk]),
        "heatmap cell": reverse("heatmap_cell", args=[classroom.pk])
        + f"?misconception=adds&student={student.pk}",
        "monitor": reverse("classroom_monitor", args=[classroom.pk]),
    }[page]


def rows_of(page: str, html: str) -> int:
    marker = {"dashboard": 'id="student-', "heatmap cell": 'id="cell-turn-',
              "monitor": 'class="card monitor-card"'}[page]
    return html.count(marker)


@pytest.mark.parametrize("page", QUERIES)
def test_teacher_page_costs_the_same_queries_for_a_class_many_times_larger(
        page, teacher_client, classroom, alice, bob, problems, django_assert_num_queries):
    teacher = classroom.teacher
    many_sessions(classroom, [alice, bob], problems, 6, teacher=teacher)
    url = url_of(page, classroom, alice)
    with django_assert_num_queries(QUERIES[page]):
        small = teacher_client.get(url).content.decode()

    students = [alice, bob]
    for i in range(10):
        students.append(make_user(f"student{i}"))
        Enrolment.objects.create(classroom=classroom, student=students[-1])
        record_reward(students[-1], "multiplication", 1.0, "paired")
    many_sessions(classroom, students, problems, 60, teacher=teacher)
    with django_assert_num_queries(QUERIES[page]):
        large = teacher_client.get(url).content.decode()
    # the larger class did show on the page: more students, cell turns and session cards
    assert (rows_of(page, small), rows_of(page, large)) == {
        "dashboard": (2, 12), "heatmap cell": (6, 16), "monitor": (4, 44)}[page]


def test_heatmap_cell_shows_fifty_turns_a_page(teacher_client, classroom, alice, problems,
                                               django_assert_num_queries):
    many_sessions(classroom, [alice], problems, 40)  # 60 student turns whose top is 'adds'
    url = url_of("heatmap cell", classroom, alice)
    first = teacher_client.get(url).content.decode()
    assert rows_of("heatmap cell", first) == 50 and "page 1 of 2 (60 turns)" in first
    with django_assert_num_queries(QUERIES["heatmap cell"]):
        second = teacher_client.get(url + "&page=2").content.decode()
    assert rows_of("heatmap cell", second) == 10 and '<ol id="cell-turns" start="51">' in second
    assert f"?misconception=adds&amp;student={alice.pk}&amp;page=1" in second


def test_monitor_shows_the_most_recently_active_sessions_at_most(
        teacher_client, classroom, alice, bob, problems, django_assert_num_queries):
    sessions = many_sessions(classroom, [alice, bob], problems, selectors.MONITOR_CARDS * 3 // 2 + 3)
    active = [s for s in sessions if s.status == "active"]
    stale = active[-1]
    TutoringSession.objects.filter(pk=stale.pk).update(updated_at=timezone.now() - timedelta(days=30))
    with django_assert_num_queries(QUERIES["monitor"]):
        page = teacher_client.get(url_of("monitor", classroom, alice)).content.decode()
    assert rows_of("monitor", page) == selectors.MONITOR_CARDS
    assert (f"Showing the {selectors.MONITOR_CARDS} most recently active of the class's "
            f"{len(active)} active sessions") in page
    # the stale session and the one least recently active are left out
    assert {int(pk) for pk in re.findall(r'id="card-(\d+)"', page)} == {s.pk for s in active[1:-1]}
