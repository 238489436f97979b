"""MathDial interactive metrics: success@k and telling@k (Macina et al., 2023).

Port of upstream ``interactivetutoring/evaluate.py`` (eth-nlped/mathdial), as summarised in
shared/papers.md section 1. How we read it (and the upstream code confirms):

* ``bearing(u)``: some number written in ``u`` (commas stripped first, upstream regex
  ``[0-9]+(\\.[0-9]+)?``, so no signs and no number words) equals the gold final number
  within 1e-7. If the gold is not a float, upstream compares strings; so do we.
* ``s`` / ``t``: the 0-based index, **counted among that speaker's own turns only**, of the
  first bearing student / teacher turn; infinity (``None`` in our dicts) if there is none.
  The student's turn 0 is normally their initial (wrong) solution, the teacher's turn 0 the
  opening greeting, so ``s <= k`` means "within k student turns after the first one".
* ``success@k = s <= k`` and ``telling@k = t <= min(s, k)``: a tie ``t == s`` counts as telling
  (with the teacher speaking first, the teacher's turn i precedes the student's turn i).

``bearing`` is :func:`agents.math.values.bearing`, the one reading the guard uses too.
``lexical=False`` swaps the upstream digit regex for :func:`agents.math.numbers_in` (number
words, signs, fractions as values); figures computed that way do not compare with the paper.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from agents.math.values import bearing, gold_number

__all__ = ["aggregate", "bearing", "bootstrap_ci", "first_bearing", "success_and_telling"]

DEFAULT_KS = range(1, 8)


def first_bearing(
    turns: Sequence[tuple[str, str]], speaker: str, gold: str | float, *, lexical: bool = True
) -> float:
    """0-based index among ``speaker``'s own turns of its first bearing turn, else ``inf``."""
    count = 0
    for who, text in turns:
        if who.strip().lower() != speaker:
            continue
        if bearing(text, gold, lexical=lexical):
            return count
        count += 1
    return math.inf


def success_and_telling(
    turns: Sequence[tuple[str, str]],
    gold: str | float,
    ks: Iterable[int] = DEFAULT_KS,
    *,
    lexical: bool = True,
) -> dict:
    """Per-dialogue s, t and success@k / telling@k for ``(speaker, text)`` turns.

    Returns ``{"s": int | None, "t": int | None, "success_at_k": {"1": bool, ...},
    "telling_at_k": {...}}``; ``None`` stands for "never" (infinity), keeping it JSON-safe.
    """
    gold_value = gold_number(gold)
    s = first_bearing(turns, "student", gold_value, lexical=lexical)
    t = first_bearing(turns, "teacher", gold_value, lexical=lexical)
    return {
        "s": None if math.isinf(s) else int(s),
        "t": None if math.isinf(t) else int(t),
        "success_at_k": {str(k): s <= k for k in ks},
        "telling_at_k": {str(k): t <= min(s, k) for k in ks},
    }


def aggregate(per_dialogue: Sequence[dict], ks: Iterable[int] = DEFAULT_KS) -> dict:
    """Mean success@k / telling@k over dialogues, recomputed from each dialogue's s and t.

    Returns ``{"n": N, "success_at_k": {"1": mean, ...}, "telling_at_k": {...}}``; the means
    are ``None`` when there are no dialogues.
    """

    def inf(x: int | None) -> float:
        return math.inf if x is None else x

    n = len(per_dialogue)
    out: dict = {"n": n, "success_at_k": {}, "telling_at_k": {}}
    for k in ks:
        succ = sum(inf(d["s"]) <= k for d in per_dialogue)
        tell = sum(inf(d["t"]) <= min(inf(d["s"]), k) for d in per_dialogue)
        out["success_at_k"][str(k)] = succ / n if n else None
        out["telling_at_k"][str(k)] = tell / n if n else None
    return out


def bootstrap_ci(values: Sequence[float], n_resamples: int = 2000, seed: int = 0) -> tuple[float, float]:
    """95% percentile-bootstrap confidence interval of the mean (deterministic for a seed)."""
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        raise ValueError("bootstrap_ci needs at least one value")
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, data.size, size=(n_resamples, data.size))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(low), float(high)
