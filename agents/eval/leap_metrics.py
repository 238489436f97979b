"""LeaP evaluation: Pass@1 per path and the vote, tokens, recovery from a wrong prefix, answer
changes after peers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from agents.graphs.leap import LeapResult
from agents.math import answers_match


def is_right(answer: str | None, gold: str) -> bool:
    """Whether an answer is present and equivalent to the gold answer."""
    return answer is not None and answers_match(answer, gold)


def accuracy(results: Sequence[LeapResult], golds: Sequence[str]) -> float:
    """Share of problems whose voted answer matches the gold answer (0.0 for no problems)."""
    pairs = list(zip(results, golds, strict=True))
    return sum(is_right(r.answer, gold) for r, gold in pairs) / len(pairs) if pairs else 0.0


def pass_at_1(results: Sequence[LeapResult], golds: Sequence[str]) -> float:
    """The paper's headline: per problem the share of paths that are right, averaged.

    Each path's own final answer counts, not the vote (0.0 for no problems).
    """
    pairs = list(zip(results, golds, strict=True))
    if not pairs:
        return 0.0
    return sum(sum(is_right(p.answer, gold) for p in r.paths) / len(r.paths) for r, gold in pairs
               if r.paths) / len(pairs)


def path_pass_at_1(result: LeapResult, gold: str) -> float:
    """One problem's Pass@1: the share of its paths whose own answer is right."""
    return sum(is_right(p.answer, gold) for p in result.paths) / len(result.paths) if result.paths else 0.0


def total_tokens(results: Sequence[LeapResult]) -> int:
    """Completion tokens spent on all problems, summaries and forced answers included."""
    return sum(r.total_tokens for r in results)


def recovery_rate(results: Sequence[LeapResult], golds: Sequence[str], *,
                  per: Literal["path", "problem"] = "path") -> float | None:
    """Share of prefixed paths (or of problems with one) that end at the gold answer.

    Per problem, it is the voted answer that counts. None when no path had a prefix.
    """
    outcomes: list[bool] = []
    for result, gold in zip(results, golds, strict=True):
        prefixed = [p for p in result.paths if p.prefixed]
        if per == "path":
            outcomes += [is_right(p.answer, gold) for p in prefixed]
        elif prefixed:
            outcomes.append(is_right(result.answer, gold))
    return sum(outcomes) / len(outcomes) if outcomes else None


@dataclass(frozen=True)
class AnswerChanges:
    """What paths did in the round right after they heard at least one peer."""

    heard: int = 0  # times a path with an answer heard peers
    changed: int = 0  # ... and then gave a different answer
    wrong_to_right: int = 0
    right_to_wrong: int = 0


def answer_changes(results: Sequence[LeapResult], golds: Sequence[str]) -> AnswerChanges:
    """Count answer changes between the round before a peer block and the round after it."""
    heard = changed = wrong_to_right = right_to_wrong = 0
    for result, gold in zip(results, golds, strict=True):
        for path in result.paths:
            for block in path.peer_blocks:
                # answers_by_round[r - 1] is the answer after round r; the block follows round r
                answers = path.answers_by_round[block.round - 1: block.round + 1]
                if not block.peers or len(answers) < 2 or answers[0] is None:
                    continue
                before, after = answers
                heard += 1
                if after is None or answers_match(after, before):
                    continue
                changed += 1
                wrong_to_right += not is_right(before, gold) and is_right(after, gold)
                right_to_wrong += is_right(before, gold) and not is_right(after, gold)
    return AnswerChanges(heard, changed, wrong_to_right, right_to_wrong)
