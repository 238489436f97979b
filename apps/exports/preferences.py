"""Turning judgements into preference records, for the adapters of labels and ATLAS retries.

Pure functions on plain values, so an adapter only maps its rows onto them:
- a pairwise label (A, B or tie) on two candidate replies → one `PreferencePair`, none on a tie;
- an ATLAS attempt history → one pair per failed attempt that a later attempt fixed (the first
  success is `chosen`, each earlier failure `rejected`, the prompt the success's own context);
- a thumbs vote or a rating against a threshold → one `BinaryFeedback`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Literal

from apps.exports.records import BinaryFeedback, Message, PreferencePair, RecordMeta


def pair_from_pairwise_label(meta: RecordMeta, prompt: tuple[Message, ...], reply_a: str,
                             reply_b: str, preferred: Literal["a", "b", "tie"]) -> PreferencePair | None:
    """The pair a reviewer's A/B choice makes; a tie says nothing about preference."""
    if preferred == "tie":
        return None
    if preferred not in ("a", "b"):
        raise ValueError(f"preferred must be 'a', 'b' or 'tie', got {preferred!r}")
    chosen, rejected = (reply_a, reply_b) if preferred == "a" else (reply_b, reply_a)
    return PreferencePair(meta, prompt, chosen=chosen, rejected=rejected)


def pairs_from_retries(meta: RecordMeta, prompts: Sequence[tuple[Message, ...]],
                       attempts: Sequence[tuple[str, bool]]) -> Iterator[PreferencePair]:
    """Failed attempts before the first success, each paired against that success; the prompt
    is `prompts[i]`, the context attempt i (the chosen one) was written in."""
    for index, (text, succeeded) in enumerate(attempts):
        if succeeded:
            for failed, _ in attempts[:index]:
                yield PreferencePair(meta, prompts[index], chosen=text, rejected=failed)
            return


def feedback_from_rating(meta: RecordMeta, prompt: tuple[Message, ...], completion: str, *,
                         thumbs_up: bool | None = None, rating: float | None = None,
                         good_from: float | None = None) -> BinaryFeedback | None:
    """A thumbs vote as is, or a rating judged good at `good_from` or above; None without either."""
    if thumbs_up is not None:
        return BinaryFeedback(meta, prompt, completion, good=thumbs_up)
    if rating is not None and good_from is not None:
        return BinaryFeedback(meta, prompt, completion, good=rating >= good_from)
    return None
