"""Misconception detections: the one type, where they are stored, and how they are read.

A detection describes the work of the student turn it was found in, so it is stored on that
STUDENT turn (`Turn.detections`, best first, each `Detection.to_dict()`); nothing else writes
or parses that field. Tutor turns carry none.
"""

from __future__ import annotations

from collections.abc import Iterable

from agents.graphs.detection import Detection

__all__ = ["Detection", "TOP_KEY", "TOP_NAME", "detections_of", "stored", "top_detection"]

# The best detection of a student turn, as ORM paths into the stored list (for Postgres-side counts).
TOP_KEY = "detections__0__key"
TOP_NAME = "detections__0__name"


def stored(detections: Iterable[Detection | dict] | None) -> list[dict]:
    """What goes into `Turn.detections`: each detection as `Detection.to_dict()`, best first."""
    return [_parse(d).to_dict() for d in detections or []]


def _parse(value: Detection | dict) -> Detection:
    if isinstance(value, Detection):
        return value
    if not isinstance(value, dict) or not value.get("key"):
        raise ValueError(f"not a detection: {value!r}")
    return Detection(key=str(value["key"]), name=str(value.get("name") or value["key"]),
                     description=str(value.get("description") or ""),
                     score=float(value.get("score") or 0.0), evidence=str(value.get("evidence") or ""))


def detections_of(turn) -> list[Detection]:
    """The detections stored on a student turn, best first ([] for tutor turns and old rows)."""
    raw = getattr(turn, "detections", None)
    if not isinstance(raw, list):
        return []
    return [_parse(d) for d in raw if isinstance(d, dict) and d.get("key")]


def top_detection(turn) -> Detection | None:
    """The best detection of a student turn, or None."""
    found = detections_of(turn)
    return found[0] if found else None
