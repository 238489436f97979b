"""Misconception detection on CogTutorBugs: items, a leak-free split, top-k accuracy and MAP@3."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ACTIONS = {
    "ADD_SIDE": "add {input} to both sides",
    "SUB_SIDE": "subtract {input} from both sides",
    "MUL_SIDE": "multiply both sides by {input}",
    "DIV_SIDE": "divide both sides by {input}",
    "COMBINE_ADD": "simplify by adding/subtracting terms, writing {input}",
    "COMBINE_MUL": "simplify by multiplying/dividing, writing {input}",
}
REQUIRED = ("eq1", "action", "Input", "eq2", "Label Name")
COGTUTOR_KEY_PREFIX = "cogtutor:"


class DatasetError(ValueError):
    """A labelled set that cannot be read; the message names the record and field."""


@dataclass(frozen=True)
class LabelledItem:
    """One student step with the catalogue key a tutor attached to it."""

    problem: str
    gold_solution: str
    student_work: str
    label: str
    group: str  # items of one group stay on one side of the split


def cogtutor_work(record: dict) -> str:
    """The student's step as the detector sees it: equation, move, result (no feedback)."""
    action = ACTIONS.get(record["action"], record["action"].lower().replace("_", " ") + " {input}")
    after = f" (after choosing to {record['Previous Action']})" if record.get("Previous Action") else ""
    return (f"Equation: {record['eq1']}\nStep: {action.format(input=record['Input'])}{after}\n"
            f"Result: {record['eq2']}")


def cogtutor_problem(eq1: str) -> str:
    """The task the student was solving."""
    variables = sorted(set(re.findall(r"[a-z]", eq1)))
    return f"Solve {eq1} for {variables[0] if variables else 'the unknown'}."


def read_cogtutor_bugs(path: Path) -> list[LabelledItem]:
    """CogTutorBugs `bugs.json` as labelled items; `Feedback` fields are never read."""
    try:
        records = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: cannot read file: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from exc
    if not isinstance(records, list) or not records:
        raise DatasetError(f"{path}: expected a non-empty JSON array of CogTutorBugs records")
    items = []
    for number, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise DatasetError(f"record {number}: expected a JSON object")
        for field in REQUIRED:
            if not isinstance(record.get(field), str) or not record[field].strip():
                raise DatasetError(f"record {number}: `{field}` is missing or empty")
        items.append(LabelledItem(problem=cogtutor_problem(record["eq1"]), gold_solution="",
                                  student_work=cogtutor_work(record),
                                  label=COGTUTOR_KEY_PREFIX + record["Label Name"],
                                  group=record["eq1"]))
    return items


def split_of(group: str, *, test_share: int = 5) -> str:
    """`test` for one group in `test_share` by a stable hash of the group, else `dev`."""
    digest = int(hashlib.sha256(group.encode()).hexdigest()[:8], 16)
    return "test" if digest % test_share == 0 else "dev"


def select_items(items: Sequence[LabelledItem], split: str, *, exclude_groups: Iterable[str] = (),
                 limit: int | None = None) -> list[LabelledItem]:
    """A deterministic sample of one split, without groups the catalogue shows as examples."""
    excluded = set(exclude_groups)
    chosen = [i for i in items if split_of(i.group) == split and i.group not in excluded]
    chosen.sort(key=lambda i: hashlib.sha256((i.group + i.student_work).encode()).hexdigest())
    return chosen[:limit] if limit else chosen


def rank_of(label: str, ranking: Sequence[str]) -> int | None:
    """1-based rank of the label in a ranking, None when absent."""
    return ranking.index(label) + 1 if label in ranking else None


def scores(results: Sequence[tuple[str, Sequence[str]]]) -> dict[str, float]:
    """top-1 and top-3 accuracy and MAP@3 (one gold label: 1/rank within the top 3) over items."""
    n = len(results)
    if not n:
        return {"n": 0, "top1": 0.0, "top3": 0.0, "map3": 0.0, "none_rate": 0.0}
    ranks = [rank_of(label, ranking) for label, ranking in results]
    return {
        "n": n,
        "top1": sum(r == 1 for r in ranks) / n,
        "top3": sum(r is not None and r <= 3 for r in ranks) / n,
        "map3": sum(1.0 / r for r in ranks if r is not None and r <= 3) / n,
        "none_rate": sum(not ranking for _, ranking in results) / n,
    }
