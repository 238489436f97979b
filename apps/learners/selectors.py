"""Read paths of learners: the ATLAS lane of each (learner, skill) and the scaffolding it means."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from agents.atlas import Lane, choose_lane
from apps.learners.models import LearnerReward

SCAFFOLDING: dict[Lane, str] = {
    "auto": "Minimal hints: let the learner work; step in only when asked or stuck.",
    "paired": "Check and nudge: verify each step the learner states and nudge where it slips.",
    "coach": "Step-by-step questioning: guide the learner through one small question at a time.",
}
GENERAL_SKILL = "general"


@dataclass(frozen=True)
class SkillLane:
    """Where one learner stands on one skill."""

    skill: str
    lane: Lane
    reason: str
    sessions: int


def skill_of(problem_skills: list[str] | None) -> str:
    """The skill a tutoring session on a problem counts towards (its first; "general" if none)."""
    return (problem_skills or [GENERAL_SKILL])[0]


def scaffolding_for(lane: Lane) -> str:
    """The tutor instruction that a lane stands for."""
    return SCAFFOLDING[lane]


def _histories(learner_ids: Iterable[int], skills: Iterable[str] | None = None
               ) -> dict[tuple[int, str], list[float]]:
    """Reward scores per (learner id, skill), oldest first, from one query."""
    rows = LearnerReward.objects.filter(learner_id__in=list(learner_ids))
    if skills is not None:
        rows = rows.filter(skill__in=list(skills))
    histories: dict[tuple[int, str], list[float]] = defaultdict(list)
    for learner_id, skill, score in rows.order_by("id").values_list("learner_id", "skill", "score"):
        histories[learner_id, skill].append(score)
    return histories


def lane_for(learner, skill: str) -> tuple[Lane, str]:
    """The lane for (learner, skill) from its reward history, with the probe's reason."""
    return choose_lane(_histories([learner.pk], [skill]).get((learner.pk, skill), []))


def lanes_of(learners, skills) -> dict[tuple[int, str], Lane]:
    """The current lane of every (learner, skill) pair, from one query over their rewards."""
    learners, skills = list(learners), list(skills)
    histories = _histories([learner.pk for learner in learners], skills)
    return {(learner.pk, skill): choose_lane(histories.get((learner.pk, skill), []))[0]
            for learner in learners for skill in skills}


def learner_lanes(learners) -> dict[int, list[SkillLane]]:
    """Per learner id: the lane, reason and count of scored turns of each skill they have
    rewards on, by skill name; one query for all of them."""
    learners = list(learners)
    histories = _histories(learner.pk for learner in learners)
    by_learner: dict[int, list[SkillLane]] = {learner.pk: [] for learner in learners}
    for (learner_id, skill), history in sorted(histories.items()):
        lane, reason = choose_lane(history)
        by_learner[learner_id].append(SkillLane(skill, lane, reason, len(history)))
    return by_learner
