"""Reads of the problem bank and the misconception catalogue."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Max

from agents.graphs.detection import Detection
from agents.graphs.misconception import CatalogueEntry
from apps.problems.models import Misconception


def catalogue_entries(key_prefix: str = "") -> list[CatalogueEntry]:
    """The catalogue (optionally the entries whose key starts with a prefix) as the detector sees it."""
    rows = Misconception.objects.filter(key__startswith=key_prefix).order_by("key")
    return [CatalogueEntry(key=m.key, name=m.name, description=m.description, skill=m.skill,
                           example=m.example_wrong_work) for m in rows]


def catalogue_version() -> tuple:
    """Changes whenever an entry is added, edited or deleted."""
    summary = Misconception.objects.aggregate(n=Count("id"), last=Max("updated_at"))
    return summary["n"], summary["last"]


@dataclass(frozen=True)
class DetectionSummary:
    key: str
    name: str
    turns: int
    best_score: float
    evidence: str


def summarise_detections(detections_per_turn: Iterable[list[Detection]], *,
                         top: int = 1) -> list[DetectionSummary]:
    """How often each misconception led a turn's detections (the `top` best of each turn count),
    most frequent first, with the evidence of its highest-scoring detection; for teacher pages."""
    turns: Counter[str] = Counter()
    best: dict[str, Detection] = {}
    for detections in detections_per_turn:
        for detection in (detections or [])[:top]:
            turns[detection.key] += 1
            if detection.key not in best or detection.score > best[detection.key].score:
                best[detection.key] = detection
    return [DetectionSummary(key=k, name=best[k].name, turns=n, best_score=best[k].score,
                             evidence=best[k].evidence)
            for k, n in sorted(turns.items(), key=lambda kv: (-kv[1], kv[0]))]
