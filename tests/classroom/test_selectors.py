"""The teacher's figures, computed from stored turns: per-student stats and the misconception heatmap."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.models import Classroom, Enrolment, School
from apps.classroom import selectors
from apps.classroom.alerts import alerts_for
from apps.learners.services import record_reward
from apps.problems.models import Problem
from apps.tutoring.models import Turn
from apps.tutoring.selectors import problems_for
from tests.classroom.factories import detection, dialogue
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

ADD = detection("adds_instead_of_multiplying")
UNITS = detection("ignores_units", 0.6)


@pytest.fixture
def stored(classroom, alice, bob, problem):
    """alice: two sessions (one solved), a hint, a telling, two 'adds' turns; bob: one 'units'."""
    other = Problem.objects.create(statement="2 x 5?", gold_answer="10", source="gsm8k/test",
                                   source_key="t2", skills=["multiplication"])
    dialogue(alice, problem, classroom, [
        ("student", "3 + 6 = 9", {"detections": [ADD, UNITS], "is_correct": False}),
        ("tutor", "How many bags?", {"move": "probing"}),
        ("student", "9 again", {"detections": [ADD], "is_correct": False}),
        ("tutor", "It is 18.", {"move": "telling"}),
    ])
    dialogue(alice, other, classroom, [
        ("student", "10", {"is_correct": True}), ("tutor", "Well done", {"move": "generic"}),
    ], status="solved")
    dialogue(bob, problem, classroom, [
        ("student", "18 apples kg", {"detections": [UNITS, ADD]}),
        ("tutor", "Why kg?", {"move": "focus"}),
    ])
    # noise that must not count: another class's student with the same misconception
    room = Classroom.objects.create(school=classroom.school, name="7B", teacher=classroom.teacher)
    carol = make_user("carol")
    Enrolment.objects.create(classroom=room, student=carol)
    dialogue(carol, problem, room, [("student", "9", {"detections": [ADD]})])


def test_student_rows_count_tries_solves_hints_and_tellings_in_three_queries(
        stored, classroom, alice, bob, django_assert_num_queries):
    record_reward(alice, "multiplication", 1.0, "paired")
    for _ in range(3):
        record_reward(bob, "multiplication", 0.0, "paired")
    with django_assert_num_queries(3):
        rows = {row.student.username: row for row in selectors.student_rows(classroom)}
    assert set(rows) == {"alice", "bob"}
    a, b = rows["alice"], rows["bob"]
    assert (a.tried, a.solved, a.hints, a.tellings) == (2, 1, 1, 1)
    assert (b.tried, b.solved, b.hints, b.tellings) == (1, 0, 1, 0)
    assert a.last_activity is not None
    # a problem without skills counts towards "general", as run_turn records it
    assert (a.lanes, b.lanes) == ({"general": "paired", "multiplication": "paired"},
                                  {"general": "paired", "multiplication": "coach"})


def test_student_rows_query_count_does_not_grow_with_the_class(
        stored, classroom, problem, django_assert_num_queries):
    for i in range(5):
        student = make_user(f"extra{i}")
        Enrolment.objects.create(classroom=classroom, student=student)
        dialogue(student, problem, classroom, [("student", "9", {}), ("tutor", "?", {"move": "focus"})])
    with django_assert_num_queries(3):
        assert len(selectors.student_rows(classroom)) == 7


def test_heatmap_counts_top_detections_per_student(stored, classroom, alice, bob,
                                                   django_assert_num_queries):
    with django_assert_num_queries(2):
        heatmap = selectors.misconception_heatmap(classroom)
    assert heatmap.misconceptions == [("adds_instead_of_multiplying", "adds instead of multiplying"),
                                      ("ignores_units", "ignores units")]
    assert heatmap.counts == {("adds_instead_of_multiplying", alice.pk): 2,
                              ("ignores_units", bob.pk): 1}
    rows = heatmap.rows()
    assert [(s.username, n, shade) for s, n, shade in rows[0][2]] == [("alice", 2, 1.0), ("bob", 0, 0.0)]
    assert [(s.username, n) for s, n, _ in rows[1][2]] == [("alice", 0), ("bob", 1)]


def test_heatmap_respects_the_period(stored, classroom, alice):
    first = Turn.objects.filter(author_user=alice, text="3 + 6 = 9")
    first.update(created_at=timezone.now() - timedelta(days=10))
    recent = selectors.misconception_heatmap(classroom, since=timezone.now() - timedelta(days=2))
    assert recent.counts[("adds_instead_of_multiplying", alice.pk)] == 1
    old = selectors.misconception_heatmap(classroom, until=timezone.now() - timedelta(days=2))
    assert old.counts == {("adds_instead_of_multiplying", alice.pk): 1}


def test_heatmap_cell_lists_the_turns_behind_it(stored, classroom, alice, bob):
    turns = selectors.heatmap_cell_turns(classroom, "adds_instead_of_multiplying", alice.pk)
    assert [t.text for t in turns] == ["3 + 6 = 9", "9 again"]
    # bob's turn has 'adds' only as its second detection: not behind the cell
    assert not selectors.heatmap_cell_turns(classroom, "adds_instead_of_multiplying", bob.pk).exists()


def test_alerts_struggling_repeated_misconception_and_frustration(stored, alice):
    turns = list(Turn.objects.filter(session__student=alice, session__status="active"))
    kinds = {a.kind: a.message for a in alerts_for(turns, struggle_after=2)}
    assert kinds == {"struggling": "2 attempts without a correct answer",
                     "misconception": "adds instead of multiplying ×2"}
    assert alerts_for(turns, struggle_after=3) == [a for a in alerts_for(turns) if a.kind != "struggling"]
    angry = Turn(author="student", text="This is stupid, I give up", detections=[])
    assert [a.message for a in alerts_for([angry])] == ["said: stupid, give up"]
    assert alerts_for([Turn(author="student", text="I hated none of it? no: 'hatch'", detections=[])]) == []


def test_problems_for_honours_the_allowed_problem_sets(classroom, alice, problem):
    demo = Problem.objects.create(statement="1+1", gold_answer="2", source="demo", source_key="d")
    assert set(problems_for(alice)) == {problem, demo}
    classroom.allowed_problem_sources = ["demo"]
    classroom.save()
    assert list(problems_for(alice)) == [demo]
    assert set(problems_for(classroom.teacher)) == {problem, demo}
    other = Classroom.objects.create(school=School.objects.create(name="S2"), name="x",
                                     teacher=classroom.teacher)
    Enrolment.objects.create(classroom=other, student=alice)  # an unrestricted class opens all
    assert set(problems_for(alice)) == {problem, demo}


def test_heatmap_command_prints_the_figures(stored, classroom, capsys):
    from django.core.management import call_command

    call_command("classroom_heatmap", str(classroom.pk))
    lines = capsys.readouterr().out.splitlines()
    print("\n".join(lines))
    assert lines[0].split() == ["misconception", "alice", "bob", "total"]
    assert lines[1].split() == ["adds_instead_of_multiplying", "2", "0", "2"]
    assert lines[2].split() == ["ignores_units", "0", "1", "1"]
