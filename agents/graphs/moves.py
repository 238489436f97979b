"""MathDial teacher moves and the deterministic policy that picks one for each tutor turn.

Moves (Macina et al., 2023): ``focus`` steers to the step or quantity that went wrong,
``probing`` makes the student reason about their own work, ``telling`` reveals a step or the
answer, ``generic`` is greetings and process talk.

Turns are counted as MathDial counts them: the student's opening message is turn 0. The
telling budget ``telling_budget_turn`` is the first student turn a reply to which may tell;
with the default 5, the earliest telling reply answers the student's sixth message, after
five replies from the student, which keeps telling@5 at zero by construction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

DEFAULT_TELLING_BUDGET_TURN = 5


class Move(StrEnum):
    """The one vocabulary of teacher moves: the graph, ``Turn.move`` and the classroom read it.

    A ``StrEnum`` so a move is its own value in JSON, traces and database rows.
    """

    FOCUS = "focus"
    PROBING = "probing"
    TELLING = "telling"
    GENERIC = "generic"


QUESTION_MOVES = frozenset({Move.FOCUS, Move.PROBING})  # replies that end with one question


@dataclass(frozen=True)
class MoveContext:
    """What the policy looks at; every field comes from the graph state."""

    student_turn: int  # 0-based index of the student's latest turn
    student_correct: bool
    has_error_location: bool  # assess found the first wrong step
    has_misconception: bool  # the detector named a misconception
    previous_moves: Sequence[str] = ()
    turns_without_progress: int = 0  # student turns in a row with the same wrong answer
    telling_budget_turn: int = DEFAULT_TELLING_BUDGET_TURN


def telling_allowed(student_turn: int, telling_budget_turn: int) -> bool:
    """The budget: telling is allowed in replies to student turn `telling_budget_turn` on."""
    return student_turn >= telling_budget_turn


def choose_move(ctx: MoveContext) -> Move:
    """Pick the next move; a pure function of the context.

    1. The student's answer is right → ``generic`` (confirm and close).
    2. Telling is allowed by the budget and the student has made no progress for two turns
       → ``telling``.
    3. The mistake is located (first wrong step or a detected misconception) and the last
       move was not ``focus`` → ``focus`` on it.
    4. Otherwise → ``probing``; focus and probing alternate, as in MathDial's scaffolding.
    """
    if ctx.student_correct:
        return Move.GENERIC
    if (telling_allowed(ctx.student_turn, ctx.telling_budget_turn)
            and ctx.turns_without_progress >= 2):
        return Move.TELLING
    last = ctx.previous_moves[-1] if ctx.previous_moves else None
    if (ctx.has_error_location or ctx.has_misconception) and last != Move.FOCUS:
        return Move.FOCUS
    return Move.PROBING
