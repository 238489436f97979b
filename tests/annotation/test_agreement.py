"""Agreement statistics against published worked examples."""

import pytest

from apps.annotation.agreement import cohen_kappa, fleiss_kappa, krippendorff_alpha, percent_agreement


def test_cohen_kappa_matches_the_textbook_two_by_two_example():
    # 50 proposals, two readers: yes/yes 20, yes/no 5, no/yes 10, no/no 15 -> κ = 0.4 (Wikipedia).
    a = ["y"] * 25 + ["n"] * 25
    b = ["y"] * 20 + ["n"] * 5 + ["y"] * 10 + ["n"] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4)
    assert percent_agreement(a, b) == pytest.approx(0.7)


def test_fleiss_kappa_matches_fleiss_worked_example():
    # 10 subjects, 14 raters, 5 categories: κ = 0.210 (Fleiss 1971 as worked on Wikipedia).
    table = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
             [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
    assert fleiss_kappa(table) == pytest.approx(0.20993, abs=1e-4)


def test_fleiss_kappa_refuses_items_with_different_numbers_of_ratings():
    with pytest.raises(ValueError, match="same number"):
        fleiss_kappa([[2, 0], [1, 2]])


def test_krippendorff_alpha_matches_krippendorffs_nominal_example():
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability": 4 observers,
    # 12 units, missing values; nominal α = 0.743.
    rows = [[1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
            [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
            [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
            [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None]]
    assert krippendorff_alpha(rows, level="nominal") == pytest.approx(0.743, abs=1e-3)


def test_ordinal_alpha_credits_near_misses_that_nominal_alpha_does_not():
    rows = [[0, 1, 2, 0, 1, 2, 0, 2], [0, 2, 2, 1, 1, 2, 0, 1]]
    nominal = krippendorff_alpha(rows, level="nominal", n_values=3)
    ordinal = krippendorff_alpha(rows, level="ordinal", n_values=3)
    assert ordinal > nominal


def test_perfect_agreement_is_one_and_undefined_cases_are_none():
    assert cohen_kappa(["a", "b", "a"], ["a", "b", "a"]) == 1.0
    assert cohen_kappa([], []) is None
    assert krippendorff_alpha([[1, None], [None, 2]]) is None  # no unit has two ratings
