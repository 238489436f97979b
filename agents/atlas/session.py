"""Value types of one ATLAS session: the task, its configuration and what it produced."""

from __future__ import annotations

from dataclasses import dataclass, field

from agents.atlas.lanes import Lane, LaneThresholds
from agents.atlas.reward import Reward
from agents.atlas.synthesis import GateResult


@dataclass(frozen=True)
class AtlasTask:
    """One problem for the student; `gold` is None where no checker applies."""

    question: str
    gold: str | None = None
    skill: str = ""


@dataclass(frozen=True)
class AtlasConfig:
    """Attempts, per-call token budgets per role, and the probe's thresholds."""

    max_attempts: int = 2
    student_tokens: int = 512
    teacher_tokens: int = 256
    judge_tokens: int = 256
    memory_tokens: int = 800
    judge_runs: int = 3
    thresholds: LaneThresholds = field(default_factory=LaneThresholds)
    forced_lane: Lane | None = None


@dataclass(frozen=True)
class Attempt:
    """One solution by the student; `correct` is None where it was not validated."""

    text: str
    answer: str | None
    correct: bool | None = None
    feedback: str = ""


@dataclass(frozen=True)
class AtlasSession:
    """What one session did and cost; the app persists it."""

    key: str
    task: AtlasTask
    lane: Lane
    probe_reason: str
    plan: str
    plan_guidance: str
    attempts: tuple[Attempt, ...]
    reward: Reward
    succeeded: bool
    tokens: dict[str, int]
    memory_changed: bool
    memory_version: int
    gate: GateResult

    @property
    def first_answer(self) -> str | None:
        """The answer of the first attempt."""
        return self.attempts[0].answer

    @property
    def final_answer(self) -> str | None:
        """The answer of the last attempt, the one the reward scores."""
        return self.attempts[-1].answer

    @property
    def recovered(self) -> bool:
        """A failed first attempt followed by a successful retry: a DPO pair."""
        return len(self.attempts) > 1 and self.attempts[0].correct is False and self.succeeded


@dataclass(frozen=True)
class StudentRun:
    """The student alone on a problem: the baseline."""

    attempt: Attempt
    reward: Reward
    tokens: int
