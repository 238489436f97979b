"""The reply verifier's rule, reason by reason, and the template replies it falls back to."""

import pytest

from agents.graphs.guard import protected_values
from agents.graphs.reply_templates import (
    FOCUS_GOAL,
    FOCUS_RESULT,
    FOCUS_STEP,
    GENERIC_RIGHT,
    PROBING_PLAIN,
    PROBING_STEP,
    TELLING_PLAIN,
    TELLING_STEP,
    TemplateInput,
    goal_of,
    template_reply,
)
from agents.graphs.verifier import DraftCheck, prefix_is_clean, verify_reply
from agents.math.arithmetic import equations_in, is_false

PROBLEM = "Janet has 3 bags with 6 apples each. How many apples does she have?"
WORK = "I added them: 3 + 6 = 9"


def check(move="focus", correct=False, answer="9", guarded=True, instructions=""):
    protected = protected_values(gold_answer="18", solution="3 * 6 = 18\n 18", problem=PROBLEM,
                                 student_texts=[WORK]) if guarded else None
    return DraftCheck(move=move, student_correct=correct, student_answer=answer,
                      protected=protected, student_texts=(WORK,), instructions=instructions)


def reasons(text, given):
    return [r.reason for r in verify_reply(text, given)]


@pytest.mark.parametrize("reply", [
    "That's right! What did you do next?", "That is correct. Why did you add?",
    "You got it. What comes next?", "Well done! Which step came first?",
    "Great job, now what about the bags?", "Correct! How did you get 9?",
    "Yes, 9 is right. Can you explain it?", "Your answer is indeed correct. Why?",
    "Perfect. What does each bag hold?", "You're absolutely right, so what next?",
    "Exactly! Can you tell me more?", "You're not wrong. What did you do with the bags?",
    "Nice work, you've got it. What comes next?", "That’s spot on. Why add?",
])
def test_affirming_a_wrong_answer_is_a_contradiction(reply):
    assert "contradiction" in reasons(reply, check()), reply


@pytest.mark.parametrize("reply", [
    "That is not right. What does each bag hold?", "That's not quite right: why did you add?",
    "Not quite. What does 'each' tell you?", "Good try! What does each bag hold?",
    "Is that right? What does each bag hold?", "Are you sure 9 is correct?",
    "Hmm, that isn't correct. How many bags are there?", "Nice start. What does each bag hold?",
    "Let's check this step: 3 + 6 = 9. What is 3 + 6?",
])
def test_negations_questions_and_effort_praise_do_not_affirm(reply):
    assert "contradiction" not in reasons(reply, check()), reply


def test_affirming_needs_a_stated_answer():
    assert "contradiction" not in reasons("Good job so far. What will you do first?",
                                          check(answer=None))


@pytest.mark.parametrize("reply", [
    "That's not correct. Why does it work?", "Hmm, that is incorrect.", "That's wrong.",
    "Not quite, try again.", "There is a mistake in your work.", "No, check your steps.",
    "Unfortunately that isn't right.",
])
def test_calling_a_right_answer_wrong_is_a_contradiction(reply):
    assert "contradiction" in reasons(reply, check("generic", correct=True, answer="18")), reply


@pytest.mark.parametrize("reply", [
    "That's right! Why does multiplying work?", "Well done, no mistakes there.",
    "You're not wrong at all. Why does it work?", "Correct. Is there another way?",
])
def test_praising_a_right_answer_is_accepted(reply):
    assert verify_reply(reply, check("generic", correct=True, answer="18")) == [], reply


@pytest.mark.parametrize("reply", ["So she has 18 apples. Why?", "It is eighteen, right?",
                                   "The answer is 36/2. Why?"])
def test_stating_the_protected_answer_is_a_leak(reply):
    assert "leak" in reasons(reply, check()), reply


def test_no_leak_once_telling_is_allowed():
    assert "leak" not in reasons("So there are 18 apples. Can you see why?",
                                 check("telling", guarded=False))


@pytest.mark.parametrize("reply", [
    "150% of 80,000 = 96, so what next?", "Well, 7 x 8 = 54. What next?",
    "Note that 12 / 4 = 4. What next?", "Since 13 − 4 = 8, what do you get?",
    "Remember 5 times 6 is 35. Why?", "We know 2 + 2 = 5. What now?",
])
def test_false_arithmetic_is_rejected(reply):
    assert "false_arithmetic" in reasons(reply, check(guarded=False)), reply


@pytest.mark.parametrize("reply", [
    "Each bag holds 6, and 2 x 6 = 12 for two bags. What about three?",
    "150% of 80,000 = 120,000. What next?", "Since 70/24 = 2.92, how many boxes?",
    "You wrote 3 + 6 = 9. Why did you add?",  # the student's own step is a quote
    "Is 5 times 6 equal to 30?",
])
def test_true_arithmetic_and_quotes_of_the_student_pass(reply):
    assert "false_arithmetic" not in reasons(reply, check(guarded=False)), reply


def test_equations_are_read_in_many_forms():
    found = [(e.lhs, e.rhs) for e in equations_in("3 + 6 = 9, then 9 x 2 = $18 and 5 times 4 is 20")]
    assert found == [("3 + 6", "9"), ("9 x 2", "18"), ("5 * 4", "20")]
    assert is_false("13 − 4", "8") and not is_false("13 − 4", "9")
    assert equations_in("It is 5. Page 3 = chapter one") == []


@pytest.mark.parametrize("reply", [
    "The student's answer is indeed wrong. Why did they add?",
    "The learner should look at the bags. What is in each?",
    "This student added instead of multiplying, didn't they?",
])
def test_third_person_is_rejected(reply):
    assert "third_person" in reasons(reply, check()), reply


def test_echoing_the_instructions_is_rejected():
    instructions = ("Point the student to this step of their work and ask one question about "
                    "it. Speak to the student as you.")
    given = check(instructions=instructions)
    assert "prompt_echo" in reasons(
        "Point the student to this step of their work. What is 3 + 6?", given)
    assert "prompt_echo" in reasons("As your tutor, I must ask: what is in each bag?", given)
    assert "prompt_echo" in reasons("To verify each step you state and nudge where it slips, "
                                    "what did you do?", given)
    assert "prompt_echo" not in reasons("Look at this step of your work. What is 3 + 6?", given)


@pytest.mark.parametrize("reply,why", [
    ("Let's look at the bags.", "no question"),
    ("What is in each bag? And how many bags?", "two questions"),
    ("What is in each bag? Think about it.", "does not end with the question"),
    ("One. Two. Three. What is in each bag?", "four sentences"),
    ("", "empty"),
])
def test_focus_and_probing_must_end_with_one_short_question(reply, why):
    assert "off_move" in reasons(reply, check()), why
    assert "off_move" in reasons(reply, check("probing")) or why == "n/a"


def test_length_bound_holds_for_every_move():
    assert "off_move" in reasons("Yes. " * 4 + "Why?", check("generic", correct=True))
    assert reasons("Well done. Why does it work?", check("generic", correct=True)) == []


def test_a_prefix_is_clean_until_a_rule_breaks():
    given = check()
    assert prefix_is_clean("Let's look at your step.", given)  # no question yet: not final
    assert not prefix_is_clean("Great job!", given)
    assert not prefix_is_clean("Hmm. So 3 x 6 = 18.", given)


# --- templates ----------------------------------------------------------------------------


def given(move, **kw):
    return TemplateInput(move=move, student_correct=kw.pop("correct", False), **kw)


def test_focus_template_names_the_miscalculated_step():
    reply = template_reply(given("focus", error_lhs="13 − 4", error_rhs="8",
                                 error_miscalculated=True, seed="a"))
    assert reply in [t.format(step="13 − 4 = 8", lhs="13 − 4") for t in FOCUS_STEP]
    assert "13 − 4 = 8" in reply


def test_templates_cover_every_move_and_pass_the_verifier():
    goal = goal_of(PROBLEM)
    assert goal == "how many apples does she have"
    cases = [
        (given("focus", error_lhs="3 + 6", error_rhs="9", error_miscalculated=False), FOCUS_RESULT),
        (given("focus", goal=goal), FOCUS_GOAL),
        (given("probing", error_lhs="3 + 6", error_rhs="9"), PROBING_STEP),
        (given("probing"), PROBING_PLAIN),
        (given("telling", expected_step="3 * 6 = 18"), TELLING_STEP),
        (given("telling"), TELLING_PLAIN),
        (given("generic", correct=True), GENERIC_RIGHT),
    ]
    for inputs, family in cases:
        seen = set()
        for seed in range(12):
            reply = template_reply(TemplateInput(**{**inputs.__dict__, "seed": str(seed)}))
            seen.add(reply)
            move_check = check(inputs.move, correct=inputs.student_correct,
                               answer="18" if inputs.student_correct else "9",
                               guarded=inputs.move != "telling")
            assert verify_reply(reply, move_check) == [], reply
        assert seen <= {t.format(step="3 + 6 = 9", lhs="3 + 6", rhs="9", goal=goal,
                                 operation="addition", expected="3 * 6 = 18") for t in family}
        assert len(seen) > 1 or len(family) == 1  # a seeded draw, not one canned line


def test_the_same_turn_always_gets_the_same_template():
    a = template_reply(given("probing", seed="problem|2"))
    assert all(template_reply(given("probing", seed="problem|2")) == a for _ in range(5))


def test_a_template_is_not_repeated_while_another_phrasing_is_left():
    inputs = dict(error_lhs="3 + 6", error_rhs="9", seed="s")
    first = template_reply(given("probing", **inputs))
    second = template_reply(given("probing", **inputs, avoid=(first,)))
    assert second != first
    every = tuple(t.format(step="3 + 6 = 9", operation="addition") for t in PROBING_STEP)
    assert template_reply(given("probing", **inputs, avoid=every)) in every  # all used: any


def test_affirming_with_indeed_or_the_correct_answer_is_a_contradiction():
    assert "contradiction" in reasons("The correct answer is indeed 9: which number did you use?",
                                      check())
