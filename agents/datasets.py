"""MathDial and GSM8K JSONL files, parsed in one place for the evaluator, the lab and importers.

Every problem a file has raises `DatasetError` with a message a person can act on, naming the
line ("line 12: missing or empty field(s) ground_truth"). Framework-free.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from agents.math import gold_final_answer

GSM8K_FIELDS = ("question", "answer")
MATHDIAL_FIELDS = ("question", "ground_truth", "student_incorrect_solution", "student_profile")
MATHDIAL_PROBLEM_FIELDS = MATHDIAL_FIELDS[:3]  # the lab needs no persona


class DatasetError(ValueError):
    """A dataset file or line that cannot be used; the message names the line and the fix.

    `reason` is the message without the file's path, for a page that names the file itself."""

    def __init__(self, reason: str, *, path: Path | None = None) -> None:
        super().__init__(f"{path}: {reason}" if path else reason)
        self.reason, self.path = reason, path


@dataclass(frozen=True)
class MathDialItem:
    """One MathDial record, with the line of the file it came from."""

    line: int
    qid: str
    question: str
    ground_truth: str
    incorrect_solution: str
    profile: str
    conversation: str = ""

    @property
    def student_name(self) -> str:
        """The persona's first name ("Mariana is a 7th grade student..." → "Mariana")."""
        first = self.profile.split()[0] if self.profile.split() else "there"
        return first.strip(",.") if first[:1].isupper() else "there"

    @property
    def gold(self) -> str:
        """The final answer of the correct solution."""
        return gold_final_answer(self.ground_truth) or ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class GSM8KItem:
    """One GSM8K record: the question, the worked solution ("... #### 18") and its final answer."""

    line: int
    question: str
    answer: str
    gold: str


def parse_record(text: str, line: int, required: Iterable[str] = ()) -> dict:
    """One JSONL line → its object, or DatasetError naming the line and what is wrong."""
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DatasetError(f"line {line}: not valid JSON ({exc.msg} at column {exc.colno})") \
            from None
    if not isinstance(record, dict):
        raise DatasetError(f"line {line}: expected a JSON object, got {type(record).__name__}")
    missing = [f for f in required if not isinstance(record.get(f), str) or not record[f].strip()]
    if missing:
        raise DatasetError(f"line {line}: missing or empty field(s) {', '.join(missing)}")
    return record


def read_jsonl(path: str | Path, required: Iterable[str] = ()) -> list[tuple[int, dict]]:
    """Every non-blank line of a JSONL file as (line number, object); the first bad line raises."""
    path = Path(path)
    required = tuple(required)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DatasetError("cannot read file: there is no such file", path=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"cannot read file: {exc}", path=path) from exc
    rows = [(number, parse_record(line, number, required))
            for number, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not rows:
        raise DatasetError("the file has no records", path=path)
    return rows


def is_mathdial(record: dict) -> bool:
    """Whether a record is MathDial's (it carries the student's incorrect solution)."""
    return "student_incorrect_solution" in record


def parse_mathdial(record: dict, line: int, required: Iterable[str] = MATHDIAL_FIELDS) -> MathDialItem:
    """A MathDial object → an item; its ground truth must end in a final number."""
    missing = [f for f in required if not isinstance(record.get(f), str) or not record[f].strip()]
    if missing:
        raise DatasetError(f"line {line}: missing or empty field(s) {', '.join(missing)}")
    if gold_final_answer(record["ground_truth"]) is None:
        raise DatasetError(f"line {line}: ground_truth has no final number on its last line")
    return MathDialItem(line=line, qid=str(record.get("qid", line)), question=record["question"],
                        ground_truth=record["ground_truth"],
                        incorrect_solution=record["student_incorrect_solution"],
                        profile=str(record.get("student_profile") or ""),
                        conversation=str(record.get("conversation", "")))


def load_mathdial(path: str | Path, limit: int | None = None,
                  required: Iterable[str] = MATHDIAL_FIELDS) -> list[MathDialItem]:
    """The first `limit` (default all) items of a MathDial JSONL file (as data/mathdial/dev.jsonl);
    a line that is not JSON fails the load wherever it is, a bad item among those read too."""
    return [parse_mathdial(record, line, required) for line, record in read_jsonl(path)[:limit]]


def parse_gsm8k(record: dict, line: int) -> GSM8KItem:
    """A GSM8K object → an item; its worked solution must end in "#### <answer>" or a number."""
    missing = [f for f in GSM8K_FIELDS if not isinstance(record.get(f), str) or not record[f].strip()]
    if missing:
        raise DatasetError(f"line {line}: missing or empty field(s) {', '.join(missing)}")
    gold = gold_final_answer(record["answer"])
    if gold is None:
        raise DatasetError(f"line {line}: no final answer in the worked solution")
    return GSM8KItem(line=line, question=record["question"].strip(), answer=record["answer"], gold=gold)


def load_gsm8k(path: str | Path, limit: int | None = None) -> list[GSM8KItem]:
    """The first `limit` (default all) items of a GSM8K JSONL file; the first bad line raises."""
    return [parse_gsm8k(record, line) for line, record in read_jsonl(path)[:limit]]


def load_problems(path: str | Path, limit: int | None = None) -> list[GSM8KItem] | list[MathDialItem]:
    """A GSM8K or a MathDial file, told apart by its first record (MathDial's need no persona)."""
    rows = read_jsonl(path)
    if is_mathdial(rows[0][1]):
        return [parse_mathdial(record, line, MATHDIAL_PROBLEM_FIELDS) for line, record in rows[:limit]]
    return [parse_gsm8k(record, line) for line, record in rows[:limit]]
