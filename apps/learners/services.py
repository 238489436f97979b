"""Write paths of learners: a checked answer becomes a reward on the learner's skill."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from agents.atlas import Lane
from agents.atlas.lanes import LANES
from apps.learners.models import LearnerReward


def record_reward(learner, skill: str, score: float, lane: Lane, *, rationale: str = "",
                  source: str = "checker", answer_turn_id: int | None = None) -> LearnerReward | None:
    """Append a reward in [0, 1] on (learner, skill) with the lane the tutor ran in.

    With `answer_turn_id` it is recorded once per checked answer: a second call for the same
    turn (a redelivered task, an answer checked during a takeover and again after it) returns
    None and changes nothing.
    """
    if not 0.0 <= score <= 1.0:
        raise ValueError(f"reward must lie in [0, 1], got {score}")
    if lane not in LANES:
        raise ValueError(f"unknown lane {lane!r}; choose one of {', '.join(LANES)}")
    try:
        with transaction.atomic():
            return LearnerReward.objects.create(
                learner=learner, skill=skill, score=float(score), lane=lane, source=source,
                rationale=rationale, answer_turn_id=answer_turn_id)
    except IntegrityError:
        if answer_turn_id is None or not LearnerReward.objects.filter(
                answer_turn_id=answer_turn_id).exists():
            raise
        return None
