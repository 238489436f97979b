"""Assessment fixes found in use: what a student states, a loss's sign, where the error is."""

import pytest

from agents.graphs.tutor import assess, check_answer, locate_error
from agents.math import stated_answer

JANET_GOLD = ("Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\n"
              "She makes 9 * 2 = $<<9*2=18>>18 every day at the farmer’s market.\n#### 18")


@pytest.mark.parametrize(("message", "answer"), [
    ("Oh wait, 13 − 4 is 9 not 8? … multiply by 2", None),  # a question and an instruction
    ("Is it 18?", None),
    ("then divide by 3", None),
    ("The answer is 9 not 8", "9"),
    ("I'm not 100% sure, but it is 5", "5"),
    ("So she makes 9 x 2 = 18 dollars", "18"),
    ("16 divided by 2 is 8", "8"),
    ("I think it is 18. Should I multiply by 2?", "18"),
])
def test_a_number_in_a_question_or_instruction_is_not_a_stated_answer(message, answer):
    assert stated_answer(message) == answer


def test_a_loss_keeps_its_sign():
    assert stated_answer("So he lost $10,000") == "-10000"
    assert check_answer("So he lost $10,000", "-10000") == ("-10000", True)
    assert check_answer("So he lost $10,000", "10000", "How much money did he lose?")[1]
    assert not check_answer("So he lost $10,000", "10000", "What was his profit?")[1]


def test_a_correct_computation_is_never_the_first_error():
    # a correct step taken in another order than the gold solution's is not an error
    assert locate_error("16 - 3 = 13. 13 - 4 = 9. 9 x 2 = 18", JANET_GOLD) is None
    # the first miscalculated step wins over an earlier correct one off the gold path
    error = locate_error("16 - 3 = 13. 13 - 4 = 8. 8 x 2 = 16", JANET_GOLD)
    assert (error["lhs"], error["rhs"], error["miscalculated"]) == ("13 - 4", "8", True)
    # with no miscalculation: the first quantity that cannot lead to the gold path
    error = locate_error("16 + 3 = 19, then 19 x 2 = 38", JANET_GOLD)
    assert (error["lhs"], error["rhs"], error["miscalculated"]) == ("16 + 3", "19", False)


def test_assess_reads_the_question_message_as_no_answer_and_keeps_the_located_step():
    state = assess({"problem": "Janet's ducks lay 16 eggs...", "gold_answer": "18",
                    "gold_solution": JANET_GOLD,
                    "dialogue": [{"role": "user", "content": "16 - 3 = 13. 13 - 4 = 8. 8 x 2 = 16"}],
                    "student_message": "Oh wait, 13 − 4 is 9 not 8? … multiply by 2"})
    assert state["student_answer"] is None and state["student_correct"] is False
    assert state["error_step"]["lhs"] == "13 - 4"  # from the latest work with a computation
