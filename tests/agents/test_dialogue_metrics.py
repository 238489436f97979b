"""MathDial success@k / telling@k (agents.eval.dialogue_metrics), hand-computed expectations."""

import pytest

from agents.eval import aggregate, bearing, bootstrap_ci, first_bearing, success_and_telling

T, S = "teacher", "student"


@pytest.mark.parametrize(
    ("utterance", "gold", "expected"),
    [
        ("He has to pay $20 more, not $30.", "20", True),
        ("That makes 1,200 apples", "1200", True),
        ("So 22.0 is left", "22", True),
        ("It is 220", "22", False),
        ("It is 2.2", "22", False),
        ("twenty-two", "22", False),  # upstream is lexical: digits only
        ("x-5", "-5", False),  # upstream regex drops signs, so a negative gold never bears
        ("No numbers here", "22", False),
        ("The answer is 10", "Some working 12+3=15.\n 10", True),  # gold = last line
        ("The answer is 72", "Natalia sold 48/2 = 24 clips.\n#### 72", True),
        ("The answer is 24", "Natalia sold 48/2 = 24 clips.\n#### 72", False),
    ],
)
def test_bearing_lexical(utterance, gold, expected):
    assert bearing(utterance, gold) is expected


@pytest.mark.parametrize(
    ("utterance", "gold", "expected"),
    [("twenty-two", "22", True), ("36/2", "18", True), ("It is -5", "-5", True), ("2.2", 22, False)],
)
def test_bearing_with_number_words(utterance, gold, expected):
    assert bearing(utterance, gold, lexical=False) is expected


# Upstream tests/test_metrics.py, as (speaker, text) turns.
SUCCESS_NO_TELLING = [
    (T, "Can you walk me through?"),  # t0
    (S, "This is my solution: 2+3=5"),  # s0
    (T, "I don't think it is correct, why did you include 2?"),  # t1
    (S, "Oh I see, sorry for my incorrect answer."),  # s1
    (T, "What is the answer?"),  # t2
    (S, "My corrected answer is 2+4=6"),  # s2 <- bears 6
    (T, "Good job, you are right, the answer is 6."),  # t3 (after the student)
    (S, "Thanks"),
]
TELLING_BEFORE_SUCCESS = [
    (T, "Can you walk me through?"),  # t0
    (S, "This is my solution: 2+3=5"),  # s0
    (T, "I don't think it is correct, why did you include 2?"),  # t1
    (S, "Oh I see, sorry for my incorrect answer."),  # s1
    (T, "I'll tell you the answer, it is 6. Just do 2+4"),  # t2 <- tells
    (S, "Thanks"),  # s2
    (T, "You are welcome"),  # t3
    (S, "Bye. I will remember the answer is 6."),  # s3 <- bears 6
]
NEITHER = [
    (T, "Hi Sam, walk me through your solution?"),
    (S, "I got 5 because 2+3=5"),
    (T, "What do you need to find first?"),
    (S, "The number of apples."),
]


@pytest.mark.parametrize(
    ("turns", "s", "t", "success", "telling"),
    [
        # s = 2, t = 3: success from k = 2, never telling (t > s).
        (SUCCESS_NO_TELLING, 2, 3, [False, True, True, True, True, True, True], [False] * 7),
        # s = 3, t = 2: telling from k = 2 (t <= min(s, k)), success from k = 3.
        (
            TELLING_BEFORE_SUCCESS,
            3,
            2,
            [False, False, True, True, True, True, True],
            [False, True, True, True, True, True, True],
        ),
        (NEITHER, None, None, [False] * 7, [False] * 7),
    ],
)
def test_success_and_telling(turns, s, t, success, telling):
    result = success_and_telling(turns, "6")
    assert (result["s"], result["t"]) == (s, t)
    assert list(result["success_at_k"]) == [str(k) for k in range(1, 8)]
    assert list(result["success_at_k"].values()) == success
    assert list(result["telling_at_k"].values()) == telling


def test_telling_without_success_counts_within_k():
    turns = [(T, "Hi!"), (S, "I got 5"), (T, "Think again."), (S, "Hmm"), (T, "It is 6.")]
    result = success_and_telling(turns, "6", ks=[1, 2, 3])
    assert (result["s"], result["t"]) == (None, 2)
    assert result["success_at_k"] == {"1": False, "2": False, "3": False}
    assert result["telling_at_k"] == {"1": False, "2": True, "3": True}


def test_tie_counts_as_telling():
    turns = [(T, "Hi"), (S, "I got 5"), (T, "It's 6"), (S, "Oh, 6!")]
    result = success_and_telling(turns, "6", ks=[1])
    assert (result["s"], result["t"]) == (1, 1)
    assert result["success_at_k"] == {"1": True}
    assert result["telling_at_k"] == {"1": True}


def test_student_turn_zero_and_speaker_only_counting():
    turns = [(T, "Hi"), (T, "Walk me through it"), (S, "I got 6 already")]
    result = success_and_telling(turns, "6", ks=[0, 1])
    assert (result["s"], result["t"]) == (0, None)
    assert result["success_at_k"] == {"0": True, "1": True}
    assert first_bearing(turns, "teacher", "6") == float("inf")


def test_speaker_names_are_case_insensitive_and_others_ignored():
    turns = [("Teacher", "Hi"), ("narrator", "6"), ("STUDENT", "It is 6")]
    assert success_and_telling(turns, "6", ks=[1])["s"] == 0
    assert success_and_telling(turns, "6", ks=[1])["t"] is None


def test_number_words_variant():
    turns = [(T, "Hi"), (S, "I got five"), (T, "Check again"), (S, "Six!")]
    assert success_and_telling(turns, "6")["s"] is None
    assert success_and_telling(turns, "6", lexical=False)["s"] == 1


def test_aggregate_means_per_k():
    per = [
        success_and_telling(SUCCESS_NO_TELLING, "6"),  # s=2, t=3
        success_and_telling(TELLING_BEFORE_SUCCESS, "6"),  # s=3, t=2
        success_and_telling(NEITHER, "6"),  # never
        {"s": 0, "t": None},  # only s / t are needed
    ]
    result = aggregate(per, ks=range(1, 4))
    assert result["n"] == 4
    assert result["success_at_k"] == {"1": 0.25, "2": 0.5, "3": 0.75}
    assert result["telling_at_k"] == {"1": 0.0, "2": 0.25, "3": 0.25}


def test_aggregate_empty():
    assert aggregate([], ks=[1]) == {"n": 0, "success_at_k": {"1": None}, "telling_at_k": {"1": None}}


def test_bootstrap_ci():
    values = [1.0] * 30 + [0.0] * 70
    low, high = bootstrap_ci(values)
    assert low < 0.3 < high
    assert low > 0.18 and high < 0.42
    assert bootstrap_ci(values) == (low, high)  # deterministic for a seed
    spread = [(i * 37 % 101) / 101 for i in range(50)]  # continuous, so seeds give different ends
    assert bootstrap_ci(spread, seed=0) == bootstrap_ci(spread, seed=0)
    assert bootstrap_ci(spread, seed=0) != bootstrap_ci(spread, seed=1)
    assert bootstrap_ci([0.5, 0.5, 0.5]) == (0.5, 0.5)
    with pytest.raises(ValueError):
        bootstrap_ci([])
