"""Template replies: what the tutor says when the engine's drafts fail the verifier twice.

Composed from the assessment alone, in the second person, for the move the policy chose:
``focus`` names the located step and asks for its computation ("Let's check this step:
13 − 4 = 8. What is 13 − 4?") or, with no step located, points to the quantity to find;
``probing`` asks why; ``telling`` gives the expected step and asks to finish; ``generic``
praises a right answer and asks why it works. A few phrasings per case, picked by a draw seeded
with the turn, so the same turn always gets the same words and turns do not all sound alike.
No template states a result the student has not written.
"""

from __future__ import annotations

import random
import re
import zlib
from dataclasses import dataclass

from agents.graphs.moves import Move

FOCUS_STEP = (
    "Let's check this step: {step}. What is {lhs}?",
    "Look again at this step: {step}. Can you work out {lhs} once more?",
    "One of your steps needs another look: {step}. What do you get for {lhs}?",
)
FOCUS_RESULT = (
    "Let's look at how you got {rhs}. Which quantity were you working out there?",
    "You wrote {step}. What does that number stand for in the problem?",
    "Let's go back to {step}. Which quantity from the problem does it give you?",
)
FOCUS_GOAL = (
    "The problem asks: {goal}. Which quantity do you need to work out first?",
    "We need to find {goal}. What is the first thing you can work out from the problem?",
    "Let's keep the goal in mind: {goal}. Which number in the problem do you start from?",
)
PROBING_STEP = (
    "You wrote {step}. Why did you use {operation} there?",
    "Can you tell me how you decided on {step}?",
    "Walk me through {step}: which numbers did you use, and why?",
)
PROBING_PLAIN = (
    "Can you walk me through your first step and why you chose it?",
    "Which quantity did you work out first, and how did you get it?",
    "How did you decide which operation to use first?",
)
TELLING_STEP = (
    "Here is the step to use: {expected}. Can you take it from there and finish?",
    "The step you need is {expected}. What do you get when you carry on from it?",
)
TELLING_PLAIN = (
    "Let's redo it one step at a time, starting from the numbers in the problem. "
    "What do you get first?",
)
GENERIC_RIGHT = (
    "Well done, that's right. Why does your method work?",
    "That's correct, nice work. Can you explain why you chose those steps?",
    "Yes, you solved it. How would you check that your answer makes sense?",
)
GENERIC_PLAIN = (
    "Let's work through it together. What is the problem asking you to find?",
    "Tell me what you have so far. Which step are you on?",
)
_OPERATIONS = {"+": "addition", "-": "subtraction", "−": "subtraction", "*": "multiplication",
               "x": "multiplication", "×": "multiplication", "/": "division", "÷": "division"}


@dataclass(frozen=True)
class TemplateInput:
    """What a template reply is made of: the move and the assessment of the student's turn."""

    move: Move
    student_correct: bool
    error_lhs: str | None = None  # the located step's computation ("13 − 4")
    error_rhs: str | None = None  # and the result the student wrote ("8")
    error_miscalculated: bool = False
    expected_step: str | None = None
    goal: str | None = None  # the problem's question ("how many boxes they need")
    seed: str = ""
    avoid: tuple[str, ...] = ()  # the tutor's earlier replies: a phrasing is not repeated


def _draw(options: tuple[str, ...], seed: str, avoid: tuple[str, ...] = (), **fields) -> str:
    """One phrasing, drawn with the seed among those the tutor has not said yet."""
    phrasings = [o.format(**fields) for o in options]
    fresh = [p for p in phrasings if p not in avoid] or phrasings
    return random.Random(zlib.crc32(seed.encode("utf-8"))).choice(fresh)


def goal_of(problem: str) -> str | None:
    """The problem's question without its question mark, for quoting inside a sentence."""
    questions = re.findall(r"[^.!?]*\?", problem)
    if not questions:
        return None
    goal = re.sub(r"\s+", " ", questions[-1]).strip().rstrip("?").strip()
    return goal[:1].lower() + goal[1:] if goal else None


def _operation(lhs: str) -> str:
    for sign, name in _OPERATIONS.items():
        if re.search(rf"\d\s*{re.escape(sign)}\s*[\d(]", lhs):
            return name
    return "that operation"


def template_reply(given: TemplateInput) -> str:
    """The template reply for a move, composed from the assessment (see the module docstring)."""
    seed, avoid = f"{given.seed}|{given.move}", given.avoid
    step = f"{given.error_lhs} = {given.error_rhs}" if given.error_lhs and given.error_rhs else None
    if given.move == Move.GENERIC or given.student_correct:
        return _draw(GENERIC_RIGHT if given.student_correct else GENERIC_PLAIN, seed, avoid)
    if given.move == Move.TELLING:
        if given.expected_step:
            return _draw(TELLING_STEP, seed, avoid, expected=given.expected_step.strip(" ."))
        return _draw(TELLING_PLAIN, seed, avoid)
    if given.move == Move.FOCUS:
        if step and given.error_miscalculated:
            return _draw(FOCUS_STEP, seed, avoid, step=step, lhs=given.error_lhs)
        if step:
            return _draw(FOCUS_RESULT, seed, avoid, step=step, rhs=given.error_rhs)
        if given.goal:
            return _draw(FOCUS_GOAL, seed, avoid, goal=given.goal)
        return _draw(PROBING_PLAIN, seed, avoid)
    if step:
        return _draw(PROBING_STEP, seed, avoid, step=step, operation=_operation(given.error_lhs))
    return _draw(PROBING_PLAIN, seed, avoid)
