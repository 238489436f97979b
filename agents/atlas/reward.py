"""Session reward: the answer checker first, an LLM-judge ensemble only where no gold exists."""

from __future__ import annotations

from dataclasses import dataclass
from statistics import fmean, pstdev
from typing import Literal

from agents.llm.structured import parse_json_object
from agents.llm.types import LLM, LLMError
from agents.math import answers_match, extract_answer

JUDGE_TEMPERATURES = (0.2, 0.5, 0.8)
MAX_SPREAD = 0.15
MAX_UNCERTAINTY = 0.3

JUDGE_PROMPT = """You grade a student's solution to a maths problem.
Derive 2-3 weighted principles a correct, well-reasoned solution must meet, then score the
solution against them. Reply with JSON only:
{"principles": [{"name": "...", "weight": 0.5}], "score": <0..1>, "uncertainty": <0..1>,
 "rationale": "<one or two sentences>"}"""

ARBITER_PROMPT = """You settle a disagreement between graders of a student's maths solution.
Read the problem, the solution and the graders' notes, then reply with JSON only:
{"score": <0..1>, "rationale": "<one or two sentences>"}"""


@dataclass(frozen=True)
class Reward:
    """A session's score in [0, 1], always with the reason it was given."""

    score: float
    rationale: str
    source: Literal["checker", "judge", "arbiter"]


@dataclass(frozen=True)
class _Verdict:
    score: float
    uncertainty: float
    rationale: str


def score_answer(output: str, gold: str) -> Reward:
    """Score a solution 1.0/0.0 by checking its final answer against the gold answer."""
    answer = extract_answer(output)
    if answer is None:
        return Reward(0.0, "no final answer found", "checker")
    if answers_match(answer, gold):
        return Reward(1.0, f"final answer {answer} matches the gold answer", "checker")
    return Reward(0.0, f"final answer {answer} does not match the gold answer {gold}", "checker")


def judge_reward(llm_small: LLM, llm_large: LLM, task: str, output: str, runs: int = 3,
                 *, max_tokens: int = 256) -> Reward:
    """Score a solution with `runs` small judges; a spread or unsure ensemble goes to the large one.

    A run whose reply cannot be parsed (or whose engine fails) counts as fully uncertain.
    """
    work = f"Problem:\n{task}\n\nSolution:\n{output}"
    verdicts, notes = [], []
    for i in range(runs):
        temperature = JUDGE_TEMPERATURES[i % len(JUDGE_TEMPERATURES)]
        verdict = _judge_once(llm_small, JUDGE_PROMPT, work, temperature, max_tokens)
        notes.append(f"judge {i + 1} (t={temperature}): " + (
            f"{verdict.score:.2f} ±{verdict.uncertainty:.2f}, {verdict.rationale}"
            if verdict else "unusable reply"))
        if verdict:
            verdicts.append(verdict)
    scores = [v.score for v in verdicts]
    spread = pstdev(scores) if len(scores) > 1 else 0.0
    settled = (len(verdicts) == runs and spread <= MAX_SPREAD
               and all(v.uncertainty <= MAX_UNCERTAINTY for v in verdicts))
    if settled:
        return Reward(fmean(scores), f"mean of {runs} judges; " + "; ".join(notes), "judge")
    arbiter = _judge_once(llm_large, ARBITER_PROMPT, work + "\n\nGraders:\n" + "\n".join(notes),
                          0.2, max_tokens)
    why = f"judges disagree or are unsure (spread {spread:.2f}); "
    if arbiter:
        return Reward(arbiter.score, why + f"arbiter: {arbiter.rationale}", "arbiter")
    if scores:
        return Reward(fmean(scores), why + "arbiter unusable, mean of usable judges; "
                      + "; ".join(notes), "judge")
    return Reward(0.0, "no judge or arbiter returned a usable score; " + "; ".join(notes),
                  "arbiter")


def _judge_once(llm: LLM, system: str, work: str, temperature: float,
                max_tokens: int) -> _Verdict | None:
    try:
        reply = llm.chat([{"role": "system", "content": system}, {"role": "user", "content": work}],
                         max_tokens=max_tokens, temperature=temperature).completion
    except LLMError:
        return None
    data = parse_json_object(reply) or {}
    score = _unit(data.get("score"))
    if score is None:
        return None
    uncertainty = _unit(data.get("uncertainty"))
    return _Verdict(score, 1.0 if uncertainty is None else uncertainty,
                    str(data.get("rationale") or "").strip() or "no rationale given")


def _unit(value: object) -> float | None:
    """A number in [0, 1], or None for anything else (strings, bools, out-of-range numbers)."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if 0.0 <= number <= 1.0 else None
