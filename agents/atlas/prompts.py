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
# Upstream's teacher prompts (atlas-sdk prompts/system.py, 123ab40), maths wording for "task".
VALIDATION = """You are a maths teacher supervising a student. Never state the final answer or a
number that gives it away.

Validate whether the student's execution is acceptable.

You have the same knowledge, tools, and context as the student. Your focus is assessing whether
their work correctly completes the assigned step or task.

Evaluate the student's output:
- Does it correctly complete what the step or task requested?
- Is it accurate given the context and requirements?
- Are there critical errors or failures?

Make your validation decision:
- valid=true: The output is acceptable, proceed to next step or task
- valid=false: The output needs correction

If validation fails (valid=false), provide guidance for correction:
- Be specific about what's wrong
- Reference the exact issue in the student's output
- State what needs to be fixed
- Keep guidance focused and actionable

Return JSON only. Format:
{"valid": bool, "guidance": string | null}"""
PLAN_REVIEW = """You are a maths teacher supervising a student. Never state the final answer or a
number that gives it away.

Review the student's proposed plan for this task.

You have the same knowledge, tools, and context as the student. Your focus is assessing whether
their plan adequately addresses the user's request.

Evaluate:
1. Completeness: Does the plan cover all parts of the task?
2. Feasibility: Can the plan be executed with available tools and capabilities?
3. Structure: Are dependencies between steps clear and logical?
4. Scope: Is the plan appropriately sized - neither missing steps nor overly complex?

Provide your assessment along with the corrected plan if changes are needed (otherwise return the
original plan) and call out any concerns about gaps or risks.

Return JSON only. Format:
{"steps": [{"id": integer, "description": string}], "concerns": [string] | null}"""
SOLVE_WITH_REVIEWED_PLAN = ("Problem: {question}\n\nFollow this plan, reviewed by your teacher:\n"
                            "{plan}")
SELF_RETRY = ("Check your solution step by step. If you find a mistake, fix it; then end with "
              "'Final answer: <answer>'.")
RETRY = "Your teacher says: {feedback}\n\nTry again, and end with 'Final answer: <answer>'."
FALLBACK_FEEDBACK = "Your final answer is not right yet; recheck each step of your working."


def with_notes(prompt: str, pamphlet: Pamphlet, heading: str) -> str:
    """A system prompt with the pamphlet (trimmed for injection) under a heading, if any."""
    notes = pamphlet.injected()
    return f"{prompt}\n\n{heading}:\n{notes}" if notes else prompt
