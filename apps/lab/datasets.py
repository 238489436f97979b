"""Problems for a lab run, read from a GSM8K or MathDial JSONL file in file order (by agents.datasets)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from agents.datasets import MathDialItem, load_problems

PREFIX_MAX_CHARS = 400


@dataclass(frozen=True)
class Item:
    """One problem: its text, gold answer and (MathDial only) a wrong start for prefix traps."""

    question: str
    gold: str
    wrong_prefix: str = ""


def dataset_choices() -> list[tuple[str, str]]:
    """The datasets the launch form offers: (path relative to LAB_DATA_DIR, label)."""
    return [("gsm8k/test.jsonl", "GSM8K test"), ("mathdial/dev.jsonl", "MathDial dev (prefix traps)")]


def resolve(path: str) -> Path:
    """An absolute path as given, or one relative to LAB_DATA_DIR."""
    candidate = Path(path)
    return candidate if candidate.is_absolute() else Path(settings.LAB_DATA_DIR) / candidate


def load_items(path: str, limit: int) -> list[Item]:
    """The first `limit` problems of the file; a bad line fails the whole load (DatasetError)."""
    return [Item(row.question.strip(), row.gold, wrong_prefix(row.incorrect_solution))
            if isinstance(row, MathDialItem) else Item(row.question, row.gold)
            for row in load_problems(resolve(path), limit)]


def wrong_prefix(solution: str) -> str:
    """The first half of a wrong solution's lines (at most 400 characters, cut at a sentence)."""
    lines = [ln for ln in solution.strip().splitlines() if ln.strip()]
    text = "\n".join(lines[: max(1, len(lines) // 2)])
    if len(text) > PREFIX_MAX_CHARS:
        cut = text[:PREFIX_MAX_CHARS]
        ends = [m.end() for m in re.finditer(r"[.!?\n]", cut)]
        text = cut[: ends[-1]] if ends else cut
    return text.strip() + "\n"
