"""Problems for a lab run, read from a GSM8K or MathDial JSONL file in file order."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from agents.math import gold_final_answer
from apps.problems.importers import ImportError_, read_jsonl

GSM8K_FIELDS = ("question", "answer")
MATHDIAL_FIELDS = ("question", "ground_truth", "student_incorrect_solution")
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
    """The first `limit` problems of the file; a bad line fails the whole load with its number."""
    file = resolve(path)
    first = read_jsonl(file, required=("question",))[0][1]
    if "student_incorrect_solution" in first:
        rows = read_jsonl(file, required=MATHDIAL_FIELDS)[:limit]
        return [Item(row["question"].strip(), _gold(number, row["ground_truth"]),
                     wrong_prefix(row["student_incorrect_solution"])) for number, row in rows]
    rows = read_jsonl(file, required=GSM8K_FIELDS)[:limit]
    return [Item(row["question"].strip(), _gold(number, row["answer"])) for number, row in rows]


def wrong_prefix(solution: str) -> str:
    """The first half of a wrong solution's lines (at most 400 characters, cut at a sentence)."""
    lines = [ln for ln in solution.strip().splitlines() if ln.strip()]
    text = "\n".join(lines[: max(1, len(lines) // 2)])
    if len(text) > PREFIX_MAX_CHARS:
        cut = text[:PREFIX_MAX_CHARS]
        ends = [m.end() for m in re.finditer(r"[.!?\n]", cut)]
        text = cut[: ends[-1]] if ends else cut
    return text.strip() + "\n"


def _gold(number: int, solution: str) -> str:
    gold = gold_final_answer(solution)
    if gold is None:
        raise ImportError_(f"line {number}: no final answer in the worked solution")
    return gold
