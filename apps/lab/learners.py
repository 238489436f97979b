"""ATLAS lanes for human learners: the lane of (learner, skill) sets the tutor's scaffolding."""

from __future__ import annotations

from agents.atlas import Lane, Reward, choose_lane
from apps.lab.memory_store import PostgresMemoryStore
from apps.lab.models import RewardRecord

SCAFFOLDING: dict[str, str] = {
    "auto": "Minimal hints: let the learner work; step in only when asked or stuck.",
    "paired": "Check and nudge: verify each step the learner states and nudge where it slips.",
    "coach": "Step-by-step questioning: guide the learner through one small question at a time.",
}


GENERAL_SKILL = "general"


def skill_of(problem_skills: list[str] | None) -> str:
    """The skill a tutoring session on a problem counts towards (its first; "general" if none)."""
    return (problem_skills or [GENERAL_SKILL])[0]


def learner_key(learner, skill: str) -> str:
    """The learning key of one learner on one skill."""
    return f"learner/{learner.pk}/{skill}"


def lane_for(learner, skill: str) -> tuple[Lane, str]:
    """The lane for (learner, skill) from its reward history, with the probe's reason."""
    return choose_lane(PostgresMemoryStore().history(learner_key(learner, skill)))


def lanes_of(learners, skills) -> dict[tuple[int, str], Lane]:
    """The current lane of every (learner, skill) pair, from one query over their rewards."""
    keys = {learner_key(learner, skill): (learner.pk, skill) for learner in learners
            for skill in skills}
    histories: dict[str, list[float]] = {key: [] for key in keys}
    for key, score in (RewardRecord.objects.filter(key__in=keys).order_by("id")
                       .values_list("key", "score")):
        histories[key].append(score)
    return {pair: choose_lane(histories[key])[0] for key, pair in keys.items()}


def scaffolding_for(lane: Lane) -> str:
    """The tutor instruction that a lane stands for."""
    return SCAFFOLDING[lane]


def record_learner_reward(learner, skill: str, reward: float | Reward, lane: Lane,
                          rationale: str = "") -> None:
    """Append a tutoring session's reward on (learner, skill) with the lane it ran in."""
    if not isinstance(reward, Reward):
        if not 0.0 <= reward <= 1.0:
            raise ValueError(f"reward must lie in [0, 1], got {reward}")
        reward = Reward(score=float(reward), rationale=rationale, source="checker")
    if lane not in SCAFFOLDING:
        raise ValueError(f"unknown lane {lane!r}; choose one of {', '.join(SCAFFOLDING)}")
    PostgresMemoryStore().record_reward(learner_key(learner, skill), reward, lane)


def learner_lanes(learners) -> dict[int, list[dict]]:
    """Per learner id: the current lane, reason and session count of each skill they have rewards on."""
    by_learner: dict[int, list[dict]] = {}
    for learner in learners:
        prefix = f"learner/{learner.pk}/"
        keys = (RewardRecord.objects.filter(key__startswith=prefix).order_by("key")
                .values_list("key", flat=True).distinct())
        rows = []
        for key in keys:
            skill = key[len(prefix):]
            history = PostgresMemoryStore().history(key)
            lane, reason = choose_lane(history)
            rows.append({"skill": skill, "lane": lane, "reason": reason, "sessions": len(history)})
        by_learner[learner.pk] = rows
    return by_learner
