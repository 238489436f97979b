"""Lanes for human learners: the reward history of (learner, skill) picks the tutor's scaffolding."""

from __future__ import annotations

import pytest

from apps.lab.learners import lane_for, learner_lanes, record_learner_reward, scaffolding_for

pytestmark = pytest.mark.django_db


def test_a_new_learner_is_paired_and_moves_with_rewards(alice, bob):
    assert lane_for(alice, "fractions") == ("paired", "no history")
    for _ in range(3):
        record_learner_reward(alice, "fractions", 1.0, "paired")
    lane, reason = lane_for(alice, "fractions")
    assert lane == "auto" and "high streak of 3" in reason
    record_learner_reward(alice, "fractions", 0.0, "auto", rationale="wrong total")
    assert lane_for(alice, "fractions")[0] == "paired"  # one regression drops out of auto
    for _ in range(3):
        record_learner_reward(alice, "fractions", 0.2, "paired")
    assert lane_for(alice, "fractions")[0] == "coach"
    assert lane_for(alice, "decimals")[0] == "paired" and lane_for(bob, "fractions")[0] == "paired"
    assert "step-by-step" in scaffolding_for("coach").lower()
    assert "minimal hints" in scaffolding_for("auto").lower()


def test_learner_lanes_lists_each_skill_and_bad_input_is_refused(alice, bob):
    record_learner_reward(alice, "fractions", 0.1, "paired")
    record_learner_reward(alice, "area", 0.9, "paired")
    lanes = learner_lanes([alice, bob])
    assert [(r["skill"], r["sessions"]) for r in lanes[alice.pk]] == [("area", 1), ("fractions", 1)]
    assert lanes[bob.pk] == []
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        record_learner_reward(alice, "area", 1.5, "paired")
    with pytest.raises(ValueError, match="unknown lane"):
        record_learner_reward(alice, "area", 0.5, "solo")
