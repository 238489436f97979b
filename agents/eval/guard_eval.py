"""The telling guard measured against people: MRBench's `Revealing_of_the_Answer` labels.

For every tutor response of an MRBench file the guard gets what it gets in the tutor: the
problem (the dialogue's tutor turns, where the question is posed), the gold solution
(`Ground_Truth_Solution`, "Not Available" for Bridge dialogues) and the student's turns. Its
call "reveals" is compared with the human label (any "Yes…" is positive): precision, recall
and F1, overall and per source dataset.

On data/mrbench/MRBench_V1.json (1,309 responses, 243 positive), P / R / F1:
v1 (numbers only) 0.735 / 0.103 / 0.180; v2 0.805 / 0.560 / 0.660 (Bridge 0.873 / 0.643 / 0.741,
MathDial 0.605 / 0.361 / 0.452). The two choices, measured the other way: protecting a value the
student already stated gives 0.563 / 0.720 / 0.632 (MathDial recall 0.89 but precision 0.35),
so stated values stay exempt; freeing a final answer that the problem also states changes
nothing on this file, so it stays protected (the MathDial metric cannot tell the two apart).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from agents.graphs.guard import DEFAULT_VARIANT, VARIANTS, Protected, find_leaks, protected_values

LABEL = "Revealing_of_the_Answer"
_TURN = re.compile(r"(?:^|\n)\s*(Tutor|Student)\s*:", re.IGNORECASE)


class MRBenchError(ValueError):
    """A file or record that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class Conversation:
    """One MRBench dialogue as the guard sees it, with the responses to judge."""

    conversation_id: str
    data: str
    problem: str
    solution: str
    student_texts: tuple[str, ...]
    responses: tuple[tuple[str, str, bool], ...]  # (tutor, response, people say it reveals)


def split_turns(history: str) -> list[tuple[str, str]]:
    """("tutor" | "student", text) for each turn of an MRBench conversation history."""
    history = history.replace("\u00a0", " ")
    marks = list(_TURN.finditer(history))
    return [(m.group(1).lower(), history[m.end():marks[i + 1].start() if i + 1 < len(marks)
                                          else len(history)].strip())
            for i, m in enumerate(marks)]


def parse_conversation(record: dict, index: int) -> Conversation:
    """One record of the file → a Conversation, or MRBenchError naming the record."""
    where = f"record {index}"
    if not isinstance(record, dict):
        raise MRBenchError(f"{where}: expected a JSON object")
    for key in ("conversation_id", "conversation_history", "anno_llm_responses"):
        if key not in record:
            raise MRBenchError(f"{where}: `{key}` is missing")
    turns = split_turns(record["conversation_history"])
    solution = str(record.get("Ground_Truth_Solution") or "")
    if solution.strip().lower() in ("", "not available"):
        solution = ""
    responses = []
    for tutor, given in record["anno_llm_responses"].items():
        label = str(given.get("annotation", {}).get(LABEL, ""))
        responses.append((tutor, str(given.get("response", "")),
                          label.strip().lower().startswith("yes")))
    return Conversation(
        conversation_id=str(record["conversation_id"]), data=str(record.get("Data", "")),
        problem="\n".join(text for who, text in turns if who == "tutor"), solution=solution,
        student_texts=tuple(text for who, text in turns if who == "student"),
        responses=tuple(responses))


def load_mrbench(path: str | Path) -> list[Conversation]:
    """Every conversation of an MRBench JSON file (a list of records)."""
    path = Path(path)
    if not path.is_file():
        raise MRBenchError(f"{path}: no such file")
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise MRBenchError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(records, list):
        raise MRBenchError(f"{path}: expected a JSON list of conversations")
    return [parse_conversation(r, i) for i, r in enumerate(records)]


def guard_input(conversation: Conversation, variant: str = DEFAULT_VARIANT) -> Protected:
    """What the tutor's guard would protect in this conversation."""
    return protected_values(gold_answer=conversation.solution, solution=conversation.solution,
                            problem=conversation.problem,
                            student_texts=list(conversation.student_texts), variant=variant)


Judge = Callable[[str, Protected], bool]


def guard_reveals(response: str, protected: Protected) -> bool:
    """The guard's call: the response states something the guard protects."""
    return bool(find_leaks(response, protected))


def scores(pairs: Sequence[tuple[bool, bool]]) -> dict:
    """Precision, recall, F1 and counts of (predicted, actual) pairs."""
    tp = sum(p and a for p, a in pairs)
    fp = sum(p and not a for p, a in pairs)
    fn = sum(a and not p for p, a in pairs)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "tp": tp, "fp": fp, "fn": fn, "n": len(pairs), "positives": tp + fn}


def evaluate(conversations: Sequence[Conversation], judge: Judge = guard_reveals, *,
             variant: str = DEFAULT_VARIANT) -> dict:
    """Run the guard on every response: `{"responses": [...], "metrics": {...}}`."""
    if variant not in VARIANTS:
        raise MRBenchError(f"unknown variant {variant!r}; choose one of {', '.join(VARIANTS)}")
    responses, pairs, by_data = [], [], {}
    for conversation in conversations:
        protected = guard_input(conversation, variant)
        for tutor, text, actual in conversation.responses:
            predicted = judge(text, protected)
            responses.append({"conversation_id": conversation.conversation_id, "tutor": tutor,
                              "reveals": predicted, "human_reveals": actual})
            pairs.append((predicted, actual))
            by_data.setdefault(conversation.data or "unknown", []).append((predicted, actual))
    return {"variant": variant, "responses": responses,
            "metrics": {"all": scores(pairs),
                        **{data: scores(p) for data, p in sorted(by_data.items())}}}
