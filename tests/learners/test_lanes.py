"""Lanes for human learners: the reward history of (learner, skill) picks the tutor's scaffolding."""

from __future__ import annotations

import pytest

from apps.accounts.models import Classroom, School
from apps.learners.selectors import lane_for, learner_lanes, scaffolding_for
from apps.learners.services import record_reward
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_a_new_learner_is_paired_and_moves_with_rewards(alice, bob):
    assert lane_for(alice, "fractions") == ("paired", "no history")
    for _ in range(3):
        record_reward(alice, "fractions", 1.0, "paired")
    lane, reason = lane_for(alice, "fractions")
    assert lane == "auto" and "high streak of 3" in reason
    record_reward(alice, "fractions", 0.0, "auto", rationale="wrong total")
    assert lane_for(alice, "fractions")[0] == "paired"  # one regression drops out of auto
    for _ in range(3):
        record_reward(alice, "fractions", 0.2, "paired")
    assert lane_for(alice, "fractions")[0] == "coach"
    assert lane_for(alice, "decimals")[0] == "paired" and lane_for(bob, "fractions")[0] == "paired"
    assert "step-by-step" in scaffolding_for("coach").lower()
    assert "minimal hints" in scaffolding_for("auto").lower()


def test_learner_lanes_lists_each_skill_and_bad_input_is_refused(alice, bob):
    record_reward(alice, "fractions", 0.1, "paired")
    record_reward(alice, "area", 0.9, "paired")
    lanes = learner_lanes([alice, bob])
    assert [(r.skill, r.sessions) for r in lanes[alice.pk]] == [("area", 1), ("fractions", 1)]
    assert lanes[bob.pk] == []
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        record_reward(alice, "area", 1.5, "paired")
    with pytest.raises(ValueError, match="unknown lane"):
        record_reward(alice, "area", 0.5, "solo")


def test_each_answer_is_rewarded_once_however_often_it_is_recorded(alice):
    first = record_reward(alice, "area", 1.0, "paired", answer_turn_id=41)
    assert first is not None and record_reward(alice, "area", 1.0, "paired", answer_turn_id=41) is None
    assert learner_lanes([alice])[alice.pk][0].sessions == 1


def test_teachers_see_their_own_learners_lanes_only(client, classroom, alice):
    for _ in range(3):
        record_reward(alice, "fractions", 0.1, "paired")
    client.force_login(classroom.teacher)
    page = client.get(f"/classrooms/{classroom.pk}/lanes/").content.decode()
    assert "alice" in page and "fractions" in page and "lane-coach" in page and "bob" in page
    other = Classroom.objects.create(school=School.objects.create(name="Other"), name="8B",
                                     teacher=make_user("olga", "teacher"))
    assert client.get(f"/classrooms/{other.pk}/lanes/").status_code == 404
    client.force_login(alice)
    assert client.get(f"/classrooms/{classroom.pk}/lanes/").status_code == 403
