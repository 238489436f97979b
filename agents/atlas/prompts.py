"""Prompts of the ATLAS student and teacher; pamphlets are appended when a key has them."""

from __future__ import annotations

from agents.atlas.memory import Pamphlet

STUDENT = ("You are a student solving a maths problem. Work step by step, briefly, and end "
           "with a line 'Final answer: <answer>'.")
TEACHER = ("You are a maths teacher supervising a student. Never state the final answer or a "
           "number that gives it away. Keep guidance to at most two sentences.")

PLAN = "Problem: {question}\n\nWrite a short numbered plan for solving it. Do not solve it yet."
REVIEW_PLAN = ("Problem: {question}\n\nThe student's plan:\n{plan}\n\n"
               "Correct the plan in at most two sentences.")
SOLVE = "Problem: {question}"
SOLVE_WITH_PLAN = ("Problem: {question}\n\nYour plan:\n{plan}\n\n"
                   "Your teacher's note on the plan: {guidance}")
FEEDBACK = ("Problem: {question}\n\nThe student's solution:\n{work}\n\nThe final answer is "
            "wrong. In at most two sentences, point to the mistake without giving the answer.")
VERDICT = ("Problem: {question}\n\nThe student's solution:\n{work}\n\nIs the final answer "
           "correct? Reply 'VERDICT: correct' or 'VERDICT: incorrect' on the first line, then "
           "at most two sentences of feedback that do not give the answer.")
RETRY = "Your teacher says: {feedback}\n\nTry again, and end with 'Final answer: <answer>'."
FALLBACK_FEEDBACK = "Your final answer is not right yet; recheck each step of your working."


def with_notes(prompt: str, pamphlet: Pamphlet, heading: str) -> str:
    """A system prompt with the pamphlet (trimmed for injection) under a heading, if any."""
    notes = pamphlet.injected()
    return f"{prompt}\n\n{heading}:\n{notes}" if notes else prompt
