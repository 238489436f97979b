"""Answer extraction and equivalence (agents.math)."""

import json
import signal
import threading
from pathlib import Path

import pytest

from agents.math import answers_match, extract_answer, gold_final_answer, numbers_in
from tests.conftest import DATA


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Natalia sold 48/2 = 24 clips in May.\n#### 72", "72"),
        ("... #### 1,200", "1200"),
        ("12+3=15 spoons.\n15-5=10 spoons.\n 10", "10"),
        ("So the total is $\\boxed{18}$.", "18"),
        ("$\\boxed{\\frac{36}{2}}$", "36/2"),
        ("\\boxed{\\$18.00}", "18"),
        ("\\boxed{\\sqrt{2}}", "\\sqrt{2}"),
        ("I think the answer is 36/2", "36/2"),
        ("The answer is 18. Then 17 more arrive.", "18"),
        ("Answer: 1,234,567", "1234567"),
        ("x = 18", "18"),
        ("$18.00", "18"),
        ("18 dollars", "18"),
        ("eighteen", "18"),
        ("She has twenty-two muffins left.", "22"),
        ("one hundred and five", "105"),
        ("three thousand four hundred and twelve", "3412"),
        ("1,200", "1200"),
        ("3.5", "3.5"),
        ("0.50", "0.5"),
        ("1/2", "1/2"),
        ("50%", "50%"),
        ("fifty percent", "50%"),
        ("It is -5 degrees", "-5"),
        ("12-3=9", "9"),
        ("What is your answer? I think 5", "5"),
        ("First 3, then 4, finally 7", "7"),
        ("no idea", None),
        ("", None),
        ("   ", None),
    ],
)
def test_extract_answer(text, expected):
    assert extract_answer(text) == expected


EQUIVALENT_TO_18 = [
    "18",
    "$18.00",
    "18 dollars",
    "x = 18",
    "36/2",
    "18.0",
    "eighteen",
    "Eighteen apples",
    "The answer is 18.",
    "\\boxed{18}",
    "$\\frac{36}{2}$",
    "#### 18",
    "I first got 17, but the answer is 18",
    "So she has 18 left!",
]
NOT_EQUIVALENT_TO_18 = [
    "17",
    "180",
    "1.8",
    "18.5",
    "-18",
    "1/18",
    "eight",
    "I had 18 but now I think it is 17",
    "",
    None,
    "no idea",
]


@pytest.mark.parametrize("candidate", EQUIVALENT_TO_18)
def test_answers_match_equivalent(candidate):
    assert answers_match(candidate, "18") is True


@pytest.mark.parametrize("candidate", NOT_EQUIVALENT_TO_18)
def test_answers_match_not_equivalent(candidate):
    assert answers_match(candidate, "18") is False


@pytest.mark.parametrize(
    ("candidate", "gold", "expected"),
    [
        ("50%", "50", True),  # GSM8K golds drop the percent sign
        ("50%", "0.5", True),
        ("0.5", "1/2", True),
        ("1,200", "1200", True),
        ("twelve hundred", "1200", True),
        ("\\boxed{\\sqrt{4}}", "2", True),  # real LaTeX goes to math_verify
        ("It's 72", "Natalia sold 48/2 = 24 clips in May.\n#### 72", True),
        ("It's 24", "Natalia sold 48/2 = 24 clips in May.\n#### 72", False),
        ("10", "12+3=15 spoons.\n15-5=10 spoons.\n 10", True),
        ("51", "50%", False),
        ("18", None, False),
        (None, None, False),
    ],
)
def test_answers_match_pairs(candidate, gold, expected):
    assert answers_match(candidate, gold) is expected


@pytest.mark.parametrize(
    "garbage",
    [123, b"18", ["18"], "\\boxed{", "}{}{\\frac{", "1" * 5000, "\\boxed{9^{9^{9^{9}}}}", "\x00\xff"],
)
def test_answers_match_never_raises(garbage):
    assert answers_match(garbage, "18") is False
    assert answers_match("18", garbage) is False


def test_answers_match_from_worker_thread():
    results: list[bool] = []

    def work():
        results.extend(
            [answers_match("36/2", "18"), answers_match("17", "18"), answers_match("\\boxed{\\sqrt{4}}", "2")]
        )

    worker = threading.Thread(target=work)
    worker.start()
    worker.join(timeout=30)
    assert results == [True, False, True]


def test_answers_match_leaves_host_timer_alone():
    # math_verify's signal timeout ends with alarm(0), which would cancel pytest-timeout's timer.
    armed_here = signal.getitimer(signal.ITIMER_REAL)[0] == 0
    if armed_here:
        signal.setitimer(signal.ITIMER_REAL, 120)
    try:
        assert answers_match("36/2", "18")
        assert signal.getitimer(signal.ITIMER_REAL)[0] > 0
    finally:
        if armed_here:
            signal.setitimer(signal.ITIMER_REAL, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("She sold 3/4 of 48 muffins, so 36 are gone.", [0.75, 48.0, 36.0]),
        ("1,200 apples and 3.5 kg", [1200.0, 3.5]),
        ("$18.00 or 50%", [18.0, 50.0]),
        ("twenty-two, one hundred and five", [22.0, 105.0]),
        ("between two and three", [2.0, 3.0]),
        ("so $\\frac{36}{2}$", [18.0]),
        ("It is -5 but 12-3=9", [-5.0, 12.0, 3.0, 9.0]),
        ("3, 4 and 5", [3.0, 4.0, 5.0]),
        ("no numbers here", []),
    ],
)
def test_numbers_in(text, expected):
    assert numbers_in(text) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("solution", "expected"),
    [
        ("Natalia sold 48/2 = 24 clips in May.\n#### 72", "72"),
        ("Weng earns 12/60 = $0.2 per minute.\n#### 10", "10"),
        ("12+3=15 spoons.\nSo 15-5=10 spoons.\n 10", "10"),
        ("Total is 5\\n 1,000", "1000"),
        ("no answer", None),
    ],
)
def test_gold_final_answer(solution, expected):
    assert gold_final_answer(solution) == expected


def _rows(path: Path, limit: int) -> list[dict]:
    if not path.exists():
        pytest.skip(f"{path} not available")
    with path.open() as fh:
        return [json.loads(line) for _, line in zip(range(limit), fh, strict=False)]


def test_gsm8k_gold_answers_round_trip():
    for row in _rows(DATA / "gsm8k" / "test.jsonl", 300):
        final = row["answer"].split("####")[-1].strip().replace(",", "")
        assert gold_final_answer(row["answer"]) == final
        assert answers_match(f"The answer is {final}.", row["answer"])


def test_mathdial_gold_is_last_line():
    for row in _rows(DATA / "mathdial" / "dev.jsonl", 429):
        last = row["ground_truth"].strip().split("\n")[-1].strip().replace(",", "")
        assert float(gold_final_answer(row["ground_truth"])) == pytest.approx(float(last))
