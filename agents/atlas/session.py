"""Value types of one ATLAS session: the task, its configuration and what it produced."""

from __future__ import annotations

from dataclasses import dataclass, field

from agents.atlas.lanes import Lane, LaneThresholds
from agents.atlas.probe import Probe
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
    """Attempts, per-call token budgets per role, the probe, the memory switches.

    `oracle=True` restores the old gate (the checker with the gold answer validates attempts
    in-session): kept only as the comparison arm, since upstream's teacher never sees gold.
    `apply_to_prompts` / `update_enabled` are upstream's learning switches: frozen memory is
    (True, False), a shadow run is (False, True). `prices` (USD per million prompt/completion
    tokens, by role) turn token counts into cost; roles without a price cost 0.
    """

    max_attempts: int = 2
    student_tokens: int = 512
    teacher_tokens: int = 256
    judge_tokens: int = 256
    memory_tokens: int = 800
    probe_tokens: int = 48
    judge_runs: int = 3
    thresholds: LaneThresholds = field(default_factory=LaneThresholds)
    forced_lane: Lane | None = None
    probe: Probe = "llm"
    oracle: bool = False
    apply_to_prompts: bool = True
    update_enabled: bool = True
    prices: dict[str, tuple[float, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class Attempt:
    """One solution by the student.

    `correct` is the in-session verdict (the teacher's, or the checker's in oracle runs; None
    where it was not validated); `checked` is the checker's score after the session, for the
    report only.
    """

    text: str
    answer: str | None
    correct: bool | None = None
    feedback: str = ""
    checked: bool | None = None


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
    student_plan: str = ""
    usage: dict[str, dict] = field(default_factory=dict)
    probe_alt: str = ""

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
    """The student without a teacher: one attempt, or self-retries on the same budget."""

    attempt: Attempt
    reward: Reward
    tokens: int
    attempts: tuple[Attempt, ...] = ()
    usage: dict[str, dict] = field(default_factory=dict)


def usage_cost(usage: dict[str, dict], prices: dict[str, tuple[float, float]]) -> dict[str, float]:
    """USD per role from call usage and prices (per million prompt / completion tokens)."""
    return {role: round((u.get("prompt_tokens", 0) * prices.get(role, (0.0, 0.0))[0]
                         + u.get("completion_tokens", 0) * prices.get(role, (0.0, 0.0))[1]) / 1e6, 6)
            for role, u in usage.items()}
