"""Normalised records every source adapter yields and every format builder reads.

A record knows nothing about Django: adapters turn rows of any app (tutoring sessions,
annotation labels, ATLAS retries) into these, and the exporter never looks further.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True, slots=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True, slots=True)
class RecordMeta:
    """Where a record came from; the filters and the split read only this."""

    conversation_id: str  # records of one conversation always land in the same split
    source: str  # tutoring | evaluation | atlas | leap
    created_at: datetime
    learner_id: int | None = None  # the student whose work this is (consent, pseudonyms)
    classroom_id: int | None = None
    engine: str = ""
    model: str = ""
    schema: str = ""  # annotation schema the labels follow, if any
    agreement: float | None = None  # inter-annotator agreement on the item, if measured
    adjudicated: bool = False
    rating: float | None = None


@dataclass(frozen=True, slots=True)
class Conversation:
    """A whole dialogue, for supervised fine-tuning."""

    meta: RecordMeta
    messages: tuple[Message, ...]


@dataclass(frozen=True, slots=True)
class PreferencePair:
    """Two replies to the same prompt, one preferred (pairwise label or a successful retry)."""

    meta: RecordMeta
    prompt: tuple[Message, ...]
    chosen: str
    rejected: str


@dataclass(frozen=True, slots=True)
class BinaryFeedback:
    """One reply judged good or bad on its own (thumbs, a rating over a threshold)."""

    meta: RecordMeta
    prompt: tuple[Message, ...]
    completion: str
    good: bool
    rater_role: str = ""  # whose votes these are (student, teacher, ...)
    votes: int = 1  # how many of that role's votes the label is the majority of


@dataclass(frozen=True, slots=True)
class StepSequence:
    """A worked solution split into steps, each labelled −1 (wrong), 0 (neutral) or +1 (good)."""

    meta: RecordMeta
    prompt: str
    steps: tuple[str, ...]
    step_labels: tuple[int, ...] = field(default=())

    def __post_init__(self) -> None:
        if len(self.steps) != len(self.step_labels):
            raise ValueError(f"{len(self.steps)} steps but {len(self.step_labels)} labels")
        if any(label not in (-1, 0, 1) for label in self.step_labels):
            raise ValueError(f"step labels must be -1, 0 or +1, got {self.step_labels}")


@dataclass(frozen=True, slots=True)
class Skipped:
    """A row a source read but cannot turn into a record, and why: counted, never silent."""

    meta: RecordMeta
    reason: str


Record = Conversation | PreferencePair | BinaryFeedback | StepSequence
