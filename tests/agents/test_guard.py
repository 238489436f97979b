"""The telling guard's rule and the sentence holdback that applies it while a reply streams."""

import pytest

from agents.graphs.guard import (
    Protected,
    SentenceHoldback,
    find_leaks,
    protected_values,
)
from agents.math.values import decisive_value

PROBLEM = "Janet has 3 bags with 6 apples each. She eats 0 of them. How many apples does she have?"


def guard(student_texts=("I added them: 3 + 6 = 9",), solution="3 * 6 = 18\n 18"):
    return protected_values(gold_answer="18", solution=solution, problem=PROBLEM,
                            student_texts=list(student_texts))


@pytest.mark.parametrize("reply", [
    "18", "$18", "eighteen", "18.0", "x = 18", "the answer is 36/2", "She has 18 apples.",
    "So that makes Eighteen apples in total!", "It is 18.00 dollars", "Total: 1,8 hmm",
    "You should get $18.", "twelve plus six is eighteen",
])
def test_the_final_answer_in_any_form_is_a_leak(reply):
    leaks = find_leaks(reply, guard())
    assert [leak.kind for leak in leaks] == ["final"], reply


@pytest.mark.parametrize("reply", [
    "How many bags does Janet have? There are 3 bags with 6 apples each.",  # problem numbers
    "You wrote 3 + 6 = 9. Why did you add?",  # the student's own numbers
    "What do you get when you multiply 3 by 6?",  # a question, no result
    "Think about what 'each' means here.",
    "Is 81 right?",  # a digit run that is not the answer
])
def test_non_answers_are_left_alone(reply):
    assert find_leaks(reply, guard()) == []


def test_a_value_the_student_already_stated_is_not_a_leak():
    assert find_leaks("Yes, 18 is right.", guard(["I think it is 18"])) == []


def test_the_decisive_intermediate_value_is_protected_unless_in_the_problem_or_said():
    solution = "12 + 3 = 15 spoons\n15 - 5 = 10 spoons\n 10"
    assert decisive_value(solution, 10) == 15
    protected = protected_values(gold_answer=solution, solution=solution,
                                 problem="She has 12 spoons, used 3; he bought 5.",
                                 student_texts=["12 - 3 = 9, 9 - 5 = 4"])
    assert [leak.kind for leak in find_leaks("So she had 15 spoons.", protected)] == ["decisive"]
    assert find_leaks("She had fifteen.", protected)[0].value == 15
    assert find_leaks("She had 15.", Protected(final=10, decisive=15, exempt=(15,))) == []
    assert find_leaks("She had 15.", Protected(final=10, decisive=15,
                                               problem_numbers=(15,))) == []


def test_holdback_releases_clean_sentences_and_stops_before_a_leak():
    released = []
    hold = SentenceHoldback(released.append, lambda text: not find_leaks(text, guard()))
    for token in ["Good ", "start. ", "Now think: ", "she has ", "18 ", "apples. ", "Right?"]:
        hold.feed(token)
    assert "".join(released) == "Good start. Now think:"
    assert hold.close() is False and hold.tripped
    assert "18" not in "".join(released)


def test_holdback_releases_everything_of_a_clean_reply():
    released = []
    hold = SentenceHoldback(released.append, lambda text: not find_leaks(text, guard()))
    for token in ["What ", "did ", "you ", "do ", "first", "?"]:
        hold.feed(token)
    assert released == []  # no sentence boundary yet: nothing shown
    assert hold.close() is True and "".join(released) == "What did you do first?"


def test_v2_an_asserted_value_on_the_gold_path_leaks_but_other_numbers_do_not():
    solution = "12 + 3 = 15 spoons\n15 - 5 = 10 spoons\n 10"
    protected = protected_values(gold_answer=solution, solution=solution,
                                 problem="She has 12 spoons, used 3; he bought 5.",
                                 student_texts=["12 - 3 = 9, 9 - 5 = 4"])
    assert find_leaks("Adding 3 to 12 actually gives 15, doesn't it.", protected)
    assert not find_leaks("Remember that 2 + 2 = 4 is a different step.", protected)
    assert not find_leaks("What do you get when you add 12 and 3?", protected)


def test_v2_a_word_gold_answer_is_protected_like_a_number():
    protected = protected_values(gold_answer="pentagon", solution="", problem="Name a 5-sided shape.",
                                 student_texts=["an octagon"])
    assert [leak.kind for leak in find_leaks("It is a Pentagon.", protected)] == ["final"]
    assert not find_leaks("How many sides does an octagon have?", protected)


def test_v1_is_kept_for_measurement():
    protected = protected_values(gold_answer="", solution="", problem="What is 9 x 8?",
                                 student_texts=["63"], variant="v1")
    assert not find_leaks("9 x 8 is actually 72.", protected)
    assert find_leaks("9 x 8 is actually 72.", protected_values(
        gold_answer="", solution="", problem="What is 9 x 8?", student_texts=["63"]))
