"""Learning memory of one key: two pamphlets (injected) and playbook entries (tracked only)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Literal, Protocol

from agents.atlas.lanes import Lane
from agents.atlas.probe import HistoryRecord
from agents.atlas.reward import Reward

INJECT_CHARS = 1000
CueKind = Literal["regex", "keyword"]
Status = Literal["active", "provisional", "deprecated", "pruned", "rejected"]
LIVE: tuple[Status, ...] = ("active", "provisional")


@dataclass(frozen=True)
class Pamphlet:
    """Prose guidance injected into a prompt; trimmed to `INJECT_CHARS` when injected."""

    text: str = ""

    @property
    def words(self) -> int:
        """Length in words, the unit of the 600-word cap."""
        return len(self.text.split())

    def injected(self) -> str:
        """The text as it goes into a prompt: at most 1,000 characters, cut at a word."""
        if len(self.text) <= INJECT_CHARS:
            return self.text
        return self.text[:INJECT_CHARS].rsplit(maxsplit=1)[0]


@dataclass(frozen=True)
class Cue:
    """What in a session's text triggers an entry: a regex or a keyword (case-insensitive)."""

    kind: CueKind
    pattern: str

    def matches(self, text: str) -> bool:
        """Whether the cue fires on `text`; an invalid regex never fires."""
        if self.kind == "keyword":
            return self.pattern.lower() in text.lower()
        try:
            return re.search(self.pattern, text, re.IGNORECASE) is not None
        except re.error:
            return False


@dataclass(frozen=True)
class PlaybookEntry:
    """Cue -> action -> expected effect, with the impact counters that decide pruning.

    `observed`: sessions seen while live; `hit_sessions`: of those, sessions the cue fired in;
    `used`: hit sessions whose text shows the action adopted; `helped`/`hurt`: hit sessions whose
    reward beat / fell below the key's baseline; `delta_sum`: the summed reward delta of hit
    sessions; `hit_tasks`: distinct tasks the cue fired on (two are enough to show transfer).
    """

    id: str
    cue: Cue
    action: str
    expected_effect: str = ""
    scope: str = "reinforcement"
    status: Status = "active"
    used: int = 0
    helped: int = 0
    hurt: int = 0
    hit_sessions: int = 0
    observed: int = 0
    delta_sum: float = 0.0
    hit_tasks: tuple[str, ...] = ()
    note: str = ""
    rubric: float | None = None

    @property
    def live(self) -> bool:
        """Active or provisional: still counted, pruned and shown to the memory writer."""
        return self.status in LIVE


@dataclass(frozen=True)
class LearningMemory:
    """Everything a key has learned; `version` counts saves."""

    student_pamphlet: Pamphlet = field(default_factory=Pamphlet)
    teacher_pamphlet: Pamphlet = field(default_factory=Pamphlet)
    entries: tuple[PlaybookEntry, ...] = ()
    version: int = 0

    def to_dict(self) -> dict:
        """A JSON-ready dict, for stores that persist memory as a document."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> LearningMemory:
        """Rebuild a memory from `to_dict` output."""
        entries = tuple(
            PlaybookEntry(**{**e, "cue": Cue(**e["cue"]), "hit_tasks": tuple(e.get("hit_tasks", ()))})
            for e in data.get("entries", ()))
        return cls(Pamphlet(**data.get("student_pamphlet", {})),
                   Pamphlet(**data.get("teacher_pamphlet", {})), entries, data.get("version", 0))


class MemoryStore(Protocol):
    """Where learning memory and rewards live; the app implements it over Postgres."""

    def load(self, key: str) -> LearningMemory:
        """The latest memory of `key` (an empty one if none)."""
        ...

    def save(self, key: str, memory: LearningMemory, reason: str) -> None:
        """Store a new version of `key`'s memory, keeping every earlier one."""
        ...

    def history(self, key: str) -> list[float]:
        """Reward scores of `key`, oldest first."""
        ...

    def record_reward(self, key: str, reward: Reward, lane: Lane) -> None:
        """Append a session's reward and the lane it ran in."""
        ...

    def records(self, key: str) -> list[HistoryRecord]:
        """The key's sessions as the capability probe reads them (score, rationale, lane)."""
        ...


class InMemoryStore:
    """A `MemoryStore` in a dict: for tests and the Python shell."""

    def __init__(self) -> None:
        self.versions: dict[str, list[tuple[LearningMemory, str]]] = {}
        self.rewards: dict[str, list[tuple[Reward, Lane]]] = {}

    def load(self, key: str) -> LearningMemory:
        """The latest memory of `key` (an empty one if none)."""
        versions = self.versions.get(key)
        return versions[-1][0] if versions else LearningMemory()

    def save(self, key: str, memory: LearningMemory, reason: str) -> None:
        """Append a version with the reason it was saved."""
        self.versions.setdefault(key, []).append((memory, reason))

    def history(self, key: str) -> list[float]:
        """Reward scores of `key`, oldest first."""
        return [reward.score for reward, _ in self.rewards.get(key, [])]

    def record_reward(self, key: str, reward: Reward, lane: Lane) -> None:
        """Append a session's reward and lane."""
        self.rewards.setdefault(key, []).append((reward, lane))

    def records(self, key: str) -> list[HistoryRecord]:
        """The key's sessions, oldest first, for the probe."""
        return [HistoryRecord(r.score, r.rationale, lane) for r, lane in self.rewards.get(key, [])]

    def lanes(self, key: str) -> list[Lane]:
        """Lanes of `key`'s sessions, oldest first."""
        return [lane for _, lane in self.rewards.get(key, [])]
