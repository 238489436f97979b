"""Importers for public problem sets: validate the whole file first, then write it at once."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from agents.math import gold_final_answer
from apps.problems.models import Problem, StudentSolution


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


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def mathdial_records(item) -> tuple[Problem, StudentSolution]:
    """The problem and the incorrect solution one MathDial item describes (unsaved)."""
    from agents.graphs.guard import final_value

    problem = Problem(statement=item.question.strip(), gold_answer=_number(final_value(
        item.ground_truth)), solution=item.ground_truth, source="mathdial",
        source_key=str(item.qid))
    key = hashlib.sha256(f"{item.qid}\n{item.incorrect_solution}".encode()).hexdigest()[:32]
    solution = StudentSolution(text=item.incorrect_solution, profile=item.profile,
                               source="mathdial", source_key=key)
    return problem, solution


@transaction.atomic
def save_mathdial_item(item) -> tuple[Problem, StudentSolution]:
    """Get or create one item's problem and incorrect solution (idempotent)."""
    problem, solution = mathdial_records(item)
    problem, _ = Problem.objects.get_or_create(
        source=problem.source, source_key=problem.source_key,
        defaults={"statement": problem.statement, "gold_answer": problem.gold_answer,
                  "solution": problem.solution})
    solution, _ = StudentSolution.objects.get_or_create(
        source=solution.source, source_key=solution.source_key,
        defaults={"problem": problem, "text": solution.text, "profile": solution.profile})
    return problem, solution


def import_mathdial(path: Path, *, limit: int | None = None) -> ImportResult:
    """Import MathDial dialogues as problems (one per qid) with their incorrect student
    solutions and personas; idempotent, all or nothing, errors name the line."""
    from agents.eval.tutor_eval import DatasetError, load_dataset

    try:
        items = load_dataset(path)[:limit]
    except DatasetError as exc:
        raise ImportError_(str(exc)) from exc
    before = Problem.objects.count() + StudentSolution.objects.count()
    with transaction.atomic():
        for item in items:
            save_mathdial_item(item)
    created = Problem.objects.count() + StudentSolution.objects.count() - before
    return ImportResult(created=created, existing=0)
