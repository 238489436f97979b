"""Inter-annotator agreement: Cohen's κ, Fleiss' κ and Krippendorff's α.

Cohen's κ comes from scikit-learn and α from the `krippendorff` package. Fleiss' κ is the
textbook formula (Fleiss 1971), small enough to keep here rather than pull in statsmodels:
with n raters per item, p_j the share of all ratings in category j and
P_i = (Σ_j n_ij² − n) / (n(n − 1)) the agreement on item i,
κ = (mean(P_i) − Σ_j p_j²) / (1 − Σ_j p_j²).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import krippendorff
import numpy as np
from sklearn.metrics import cohen_kappa_score


def _nan_to_none(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def cohen_kappa(a: Sequence, b: Sequence, *, labels: Sequence | None = None,
                weights: str | None = None) -> float | None:
    """Cohen's κ of two raters over the same items (None when undefined, e.g. one category only)."""
    if len(a) != len(b):
        raise ValueError("both raters must rate the same items")
    if not a:
        return None
    if len(set(a) | set(b)) < 2:
        return 1.0 if list(a) == list(b) else None
    with np.errstate(divide="ignore", invalid="ignore"):
        return _nan_to_none(cohen_kappa_score(a, b, labels=labels, weights=weights))


def fleiss_kappa(counts: Sequence[Sequence[int]]) -> float | None:
    """Fleiss' κ from an items × categories table of counts; every item has the same raters."""
    table = np.asarray(counts, dtype=float)
    if table.ndim != 2 or table.shape[0] == 0:
        return None
    n = table.sum(axis=1)
    if not np.all(n == n[0]) or n[0] < 2:
        raise ValueError("Fleiss' κ needs the same number (≥ 2) of ratings on every item")
    n = n[0]
    p_j = table.sum(axis=0) / table.sum()
    p_i = ((table ** 2).sum(axis=1) - n) / (n * (n - 1))
    p_e = (p_j ** 2).sum()
    if p_e == 1:
        return None
    return float((p_i.mean() - p_e) / (1 - p_e))


def krippendorff_alpha(rows: Sequence[Sequence[float | None]], *, level: str = "nominal",
                       n_values: int | None = None) -> float | None:
    """Krippendorff's α from raters × units codes (None = missing); `level` nominal or ordinal."""
    data = np.array([[np.nan if v is None else v for v in row] for row in rows], dtype=float)
    if data.size == 0 or (~np.isnan(data)).sum(axis=0).max(initial=0) < 2:
        return None
    domain = np.arange(n_values) if n_values else None
    if len(np.unique(data[~np.isnan(data)])) < 2 and domain is None:
        return None
    try:
        with np.errstate(divide="ignore", invalid="ignore"):
            return _nan_to_none(krippendorff.alpha(reliability_data=data, level_of_measurement=level,
                                                   value_domain=domain))
    except ValueError:
        return None


def percent_agreement(a: Sequence, b: Sequence) -> float | None:
    """Share of items on which two raters gave the same value."""
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a) if a else None
