"""Builders of normalised records, and loading a finished export with Hugging Face `datasets`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import datasets
import pytest

from apps.exports.records import (
    BinaryFeedback,
    Conversation,
    Message,
    PreferencePair,
    RecordMeta,
    StepSequence,
)

WHEN = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def meta(conversation: int | str, learner: int | None = 1, **kw) -> RecordMeta:
    return RecordMeta(conversation_id=str(conversation), source=kw.pop("source", "tutoring"),
                      created_at=kw.pop("created_at", WHEN), learner_id=learner, **kw)


def conversation(n: int, learner: int | None = 1, text: str = "I think it is 17.", **kw) -> Conversation:
    return Conversation(meta(n, learner, **kw), (
        Message("system", "You are a patient maths tutor."), Message("user", text),
        Message("assistant", "How did you get 17?"), Message("user", "3 times 6 is 18, so 18."),
        Message("assistant", "Well done.")))


def pair(n: int, learner: int | None = 1, **kw) -> PreferencePair:
    return PreferencePair(meta(n, learner, **kw), (Message("user", "I got 17."),),
                          chosen="What did you multiply?", rejected="The answer is 18.")


def feedback(n: int, learner: int | None = 1, good: bool = True, **kw) -> BinaryFeedback:
    return BinaryFeedback(meta(n, learner, **kw), (Message("user", "I got 17."),),
                          completion="What did you multiply?", good=good)


def steps(n: int, learner: int | None = 1, labels=(1, 0, -1), **kw) -> StepSequence:
    return StepSequence(meta(n, learner, **kw), "3 bags of 6 apples: how many?",
                        tuple(f"step {i}" for i in range(len(labels))), tuple(labels))


def load(manifest: dict, directory: Path, cache: Path) -> datasets.DatasetDict:
    """Load an export exactly as its manifest says a user should."""
    file_type = manifest["file_type"]
    files = {f["split"]: str(directory / f["name"]) for f in manifest["files"]}
    return datasets.load_dataset("json" if file_type == "jsonl" else "parquet", data_files=files,
                                 cache_dir=str(cache))


@pytest.fixture
def hf_cache(tmp_path) -> Path:
    return tmp_path / "hf-cache"


@pytest.fixture
def admin(db, settings, tmp_path):
    """An admin whose exports are written under the test's own folder."""
    from tests.conftest import make_user

    settings.EXPORTS_ROOT = tmp_path / "exports"
    return make_user("root", "admin")
