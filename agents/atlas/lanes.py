"""The capability probe, made deterministic: pick a supervision lane from a reward history.

Rules, in order (window = the last `window` rewards, mean = their mean):

1. a forced lane wins;
2. no history -> ``paired``;
3. a low streak (the last `streak` rewards all <= `low`) -> ``coach``;
4. a high streak (the last `streak` rewards all >= `high`) and mean >= `paired` -> ``auto``;
5. at least `streak` rewards, mean >= `auto` and the latest reward >= `high` -> ``auto``
   (a strong record with an old blip, but no regression now);
6. mean >= `paired` -> ``paired``; otherwise ``coach``.

``auto`` always needs the latest reward >= `high`, so one regression drops a key out of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import fmean
from typing import Literal

Lane = Literal["auto", "paired", "coach"]
LANES: tuple[Lane, ...] = ("auto", "paired", "coach")


@dataclass(frozen=True)
class LaneThresholds:
    """Cut-offs of the probe; `auto`/`paired` apply to the window mean, `high`/`low` to rewards."""

    auto: float = 0.85
    paired: float = 0.65
    window: int = 10
    high: float = 0.8
    low: float = 0.4
    streak: int = 3


def choose_lane(history: list[float], thresholds: LaneThresholds = LaneThresholds(),
                forced: Lane | None = None) -> tuple[Lane, str]:
    """Pick the lane for a key from its reward history (oldest first); return it with the reason."""
    t = thresholds
    if forced is not None:
        if forced not in LANES:
            raise ValueError(f"unknown lane {forced!r}; choose one of {', '.join(LANES)}")
        return forced, f"forced to {forced}"
    if not history:
        return "paired", "no history"
    recent = history[-t.window:]
    mean = fmean(recent)
    high, low = streak(recent, lambda r: r >= t.high), streak(recent, lambda r: r <= t.low)
    stats = f"mean {mean:.2f} over last {len(recent)}"
    if low >= t.streak:
        return "coach", f"low streak of {low} (<= {t.low}); {stats}"
    if high >= t.streak and mean >= t.paired:
        return "auto", f"high streak of {high} (>= {t.high}); {stats}"
    if mean >= t.auto and high and len(recent) >= t.streak:
        return "auto", f"{stats} >= {t.auto}, latest reward high"
    if mean >= t.auto and not high:
        return "paired", f"{stats} >= {t.auto}, but the latest reward regressed"
    if mean >= t.paired:
        return "paired", f"{stats} >= {t.paired}"
    return "coach", f"{stats} < {t.paired}"


def streak(rewards: list[float], holds) -> int:
    """How many of the latest rewards in a row satisfy `holds`."""
    count = 0
    for reward in reversed(rewards):
        if not holds(reward):
            break
        count += 1
    return count
