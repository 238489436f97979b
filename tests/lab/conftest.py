"""Scripted engines and small dataset files for the lab tests."""

from __future__ import annotations

import json

import pytest

from agents.llm import ScriptedEngine
from apps.engines import get_llm

# question: (gold, the student's wrong first answer or None if it gets it right at once)
ATLAS_PROBLEMS = {
    "Tom has 3 bags with 4 apples each. How many apples?": ("12", None),
    "Ann reads 5 pages a day for 6 days. How many pages?": ("30", "11"),
    "A box holds 7 pens. How many pens are in 3 boxes?": ("21", None),
    "Sam saves 8 dollars a week for 5 weeks. How many dollars?": ("40", None),
    "A bus has 9 rows of 4 seats. How many seats?": ("36", None),
    "Each of 6 kids has 2 kites. How many kites?": ("12", "8"),
}
MEMORY = {"student_pamphlet": "Multiply the number of groups by the size of each group.",
          "teacher_pamphlet": "Ask how many groups there are and how big each one is.",
          "entries": []}


def write_gsm8k(path, problems) -> str:
    path.write_text("".join(json.dumps({"question": q, "answer": f"Work.\n#### {gold}"}) + "\n"
                            for q, (gold, _) in problems.items()))
    return str(path)


def atlas_student(messages) -> str:
    last = messages[-1]["content"]
    if "numbered plan" in last:
        return "1. Count the groups. 2. Multiply."
    question = messages[1]["content"].removeprefix("Problem: ").split("\n")[0]
    gold, wrong = ATLAS_PROBLEMS[question]
    if wrong is None or "Your teacher says" in last:
        return f"Groups times size.\nFinal answer: {gold}"
    return f"I add them.\nFinal answer: {wrong}"


def atlas_teacher(messages) -> str:
    """A teacher that judges by the work's content (it never sees the gold answer) and a probe
    that moves a key to `auto` after three perfect sessions."""
    system, last = messages[0]["content"], messages[-1]["content"]
    if system.startswith("You keep the learning memory"):
        return json.dumps(MEMORY)
    if system.startswith("Role: Adaptive execution router"):
        history = json.loads(last)["learning_history"]
        good = history["recent_high_score_streak"] >= 3
        return json.dumps({"mode": "auto" if good else "paired", "confidence": 0.9 if good else 0.7})
    if "Validate whether" in system:
        valid = "Groups times size" in json.loads(last.removesuffix("\nReturn json."))["student_response"]
        return json.dumps({"valid": valid, "guidance": None if valid else
                           "Check whether you should add or multiply."})
    return "Check whether you should add or multiply the numbers."


def scripted_engines(name: str):
    """Engines by role name for in-process runs: 'student' and 'teacher' scripts, else settings'."""
    if name == "scripted":
        return ScriptedEngine(lambda m: atlas_student(m) if m[0]["content"].startswith("You are a student")
                              else atlas_teacher(m))
    return get_llm(name)


@pytest.fixture
def gsm8k_file(tmp_path) -> str:
    return write_gsm8k(tmp_path / "gsm8k.jsonl", ATLAS_PROBLEMS)
