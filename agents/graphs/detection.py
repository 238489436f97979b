"""What the tutor needs from a misconception detector, and the detector that finds nothing."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Protocol

from agents.tracing import Tracer


@dataclass(frozen=True)
class Detection:
    """One catalogue misconception found in a student's work, with the words that show it."""

    key: str
    name: str
    description: str
    score: float
    evidence: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


class MisconceptionDetector(Protocol):
    def detect(self, problem: str, gold_solution: str, student_work: str, *,
               tracer: Tracer | None = None) -> list[Detection]:
        """Ranked detections, best first; an empty list means none."""
        ...


class NoDetector:
    """Keeps the tutor graph whole where no catalogue is configured."""

    def detect(self, problem: str, gold_solution: str, student_work: str, *,
               tracer: Tracer | None = None) -> list[Detection]:
        """Find nothing."""
        return []
