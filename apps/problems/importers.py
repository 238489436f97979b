"""Importers for public problem sets: validate the whole file first, then write it at once."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from agents.math import gold_final_answer
from apps.problems.models import Problem


class ImportError_(ValueError):
    """A file that cannot be imported; the message names the line."""


@dataclass(frozen=True)
class ImportResult:
    created: int
    existing: int


def read_jsonl(path: Path, required: Iterable[str]) -> list[tuple[int, dict]]:
    """Parse every line of a JSONL file, failing on the first bad one with its line number."""
    rows = []
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportError_(f"{path}: cannot read file: {exc}") from exc
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ImportError_(f"line {number}: not valid JSON ({exc.msg})") from exc
        if not isinstance(row, dict):
            raise ImportError_(f"line {number}: expected a JSON object")
        for key in required:
            if not isinstance(row.get(key), str) or not row[key].strip():
                raise ImportError_(f"line {number}: `{key}` is missing or empty")
        rows.append((number, row))
    if not rows:
        raise ImportError_(f"{path}: no records found")
    return rows


def import_gsm8k(path: Path, *, source: str = "gsm8k", limit: int | None = None) -> ImportResult:
    """Import GSM8K (`question`, `answer` ending in `#### N`); idempotent, all or nothing."""
    rows = read_jsonl(path, required=("question", "answer"))
    problems = []
    for number, row in rows[:limit]:
        gold = gold_final_answer(row["answer"])
        if "####" not in row["answer"] or gold is None:
            raise ImportError_(f"line {number}: `answer` has no final '#### <number>' line")
        problems.append(Problem(statement=row["question"].strip(), gold_answer=gold,
                                solution=row["answer"], source=source,
                                source_key=_key(row["question"])))
    return _save(problems)


def _key(statement: str) -> str:
    return hashlib.sha256(statement.strip().encode()).hexdigest()[:32]


@transaction.atomic
def _save(problems: list[Problem]) -> ImportResult:
    before = Problem.objects.count()
    Problem.objects.bulk_create(problems, ignore_conflicts=True, batch_size=500)
    created = Problem.objects.count() - before
    return ImportResult(created=created, existing=len(problems) - created)
