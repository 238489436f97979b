"""ATLAS lanes per skill, read from apps.lab when it is installed; a dash otherwise."""

from __future__ import annotations

from django.apps import apps

NO_LANE = "—"


def lane_for(learner, skill: str) -> str:
    """The learner's current ATLAS lane on a skill, or a dash when the lab is not installed."""
    if not apps.is_installed("apps.lab"):
        return NO_LANE
    from apps.lab.selectors import lane_for as lab_lane_for

    return lab_lane_for(learner, skill) or NO_LANE
