"""What an annotated item says on one field: its decided value, the one rule for the whole app.

The queue's completion rule (an item is complete only when every scored field has a decided
value) and every export read it from here, so an item annotation calls complete is never
dropped by an export as undecided.

- An adjudicated value wins.
- Otherwise the majority of human labels; humans evenly split on the top value decide nothing.
- Step labels are decided per step by majority; an evenly split step takes the lowest value it
  was given (a step reviewers disagree on is not rewarded).

Agreement is the share of human labels that give the majority value (per step, averaged).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from agents.schema_fields import FieldSpec


@dataclass(frozen=True)
class Decision:
    value: object
    agreement: float | None
    adjudicated: bool


def decide(kind: str, human: list, adjudicated: list | None = None) -> Decision | None:
    """The decided value of one field from its human values (and adjudicated values, latest last);
    None when nobody decided and humans are evenly split (or there are none)."""
    final = list(adjudicated or [])
    if kind == "steps":
        return _decide_steps(final, human)
    counts = Counter(_hashable(v) for v in human).most_common()
    agreement = counts[0][1] / len(human) if human else None
    if final:
        return Decision(final[-1], agreement, True)
    if not counts or (len(counts) > 1 and counts[0][1] == counts[1][1]):
        return None
    return Decision(counts[0][0], agreement, False)


def _hashable(value):
    return tuple(value) if isinstance(value, list) else value


def _decide_steps(final: list, human: list) -> Decision | None:
    human = [h for h in human if isinstance(h, list)]
    lengths = {len(h) for h in human}
    agreement = None
    if human and len(lengths) == 1:
        per_step = [Counter(h[i] for h in human).most_common() for i in range(lengths.pop())]
        agreement = (sum(c[0][1] for c in per_step) / (len(per_step) * len(human))) if per_step else None
    else:
        per_step = []
    if final:
        return Decision(final[-1], agreement, True)
    if not human or not per_step:
        return None
    majority = []
    for counts in per_step:
        tied = [value for value, n in counts if n == counts[0][1] and value is not None]
        majority.append(min(tied) if tied else None)
    return Decision(majority, agreement, False)


def undecided_fields(fields: Sequence[FieldSpec], human_values: list[dict]) -> list[str]:
    """The scored fields (not free text) on which these human labels decide nothing."""
    return [f.name for f in fields if f.scored
            and decide(f.kind, [v.get(f.name) for v in human_values]) is None]
