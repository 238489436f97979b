"""The move policy and the telling budget."""

import pytest

from agents.graphs.moves import QUESTION_MOVES, Move, MoveContext, choose_move, telling_allowed


def ctx(**kw):
    base = dict(student_turn=1, student_correct=False, has_error_location=True,
                has_misconception=False)
    return MoveContext(**{**base, **kw})


def test_a_right_answer_gets_a_generic_close():
    assert choose_move(ctx(student_correct=True, student_turn=9,
                           turns_without_progress=5)) == "generic"


def test_a_located_mistake_gets_focus_then_probing_alternates():
    assert choose_move(ctx(previous_moves=[])) == "focus"
    assert choose_move(ctx(previous_moves=["focus"])) == "probing"
    assert choose_move(ctx(previous_moves=["focus", "probing"])) == "focus"
    assert choose_move(ctx(has_error_location=False, has_misconception=True)) == "focus"
    assert choose_move(ctx(has_error_location=False)) == "probing"


@pytest.mark.parametrize(("turn", "budget", "allowed"),
                         [(0, 5, False), (4, 5, False), (5, 5, True), (7, 5, True),
                          (2, 2, True), (1, 2, False), (0, 0, True)])
def test_the_budget_allows_telling_from_its_turn_on(turn, budget, allowed):
    assert telling_allowed(turn, budget) is allowed


def test_telling_needs_the_budget_and_a_stuck_student():
    stuck = dict(turns_without_progress=3, previous_moves=["focus"])
    assert choose_move(ctx(student_turn=4, **stuck)) == "probing"  # budget not reached
    assert choose_move(ctx(student_turn=5, **stuck)) == "telling"
    assert choose_move(ctx(student_turn=5, turns_without_progress=1,
                           previous_moves=["focus"])) == "probing"  # progressing: no telling
    assert choose_move(ctx(student_turn=2, telling_budget_turn=2, **stuck)) == "telling"


def test_moves_are_one_vocabulary_and_focus_and_probing_ask():
    assert [m.value for m in Move] == ["focus", "probing", "telling", "generic"]
    assert {Move.FOCUS, Move.PROBING} == QUESTION_MOVES and "probing" in QUESTION_MOVES
    assert isinstance(choose_move(ctx()), Move)
