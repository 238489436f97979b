"""Numbers read out of gold answers and worked solutions, for the guard, metrics and importers.

`bearing` is MathDial's own reading (Macina et al., 2023; upstream
``interactivetutoring/evaluate.py``): commas stripped, the digit regex ``[0-9]+(\\.[0-9]+)?``
(no signs, no number words), equal to the gold within 1e-7, strings compared when the gold is
not a number. The guard blocks whatever that metric would count, so both read it from here.
"""

from __future__ import annotations

import re

from agents.math.answers import gold_final_answer, numbers_in

_EQUATION_RESULT = re.compile(r"=\s*\$?\s*(-?[\d,]*\.?\d+(?:\s*/\s*\d+)?)")
_UPSTREAM_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def final_value(gold_answer: str) -> float | None:
    """The gold final answer as a number (a bare number, `#### 18`, or a solution's last line)."""
    values = numbers_in(gold_answer.strip().splitlines()[-1] if gold_answer.strip() else "")
    if not values:
        final = gold_final_answer(gold_answer)
        values = numbers_in(final) if final else []
    return values[-1] if values else None


def solution_steps(solution: str) -> list[float]:
    """Result of every computation (`... = value`) in a worked solution, in order."""
    out = []
    for match in _EQUATION_RESULT.finditer(solution.replace("<<", " ").replace(">>", " ")):
        values = numbers_in(match.group(1))
        if values:
            out.append(values[-1])
    return out


def decisive_value(solution: str, final: float | None) -> float | None:
    """The last computed value of the gold solution that is not the final answer."""
    for value in reversed(solution_steps(solution)):
        if final is None or abs(value - final) > 1e-6:
            return value
    return None


def format_number(value: float) -> str:
    """A value as a stored answer is written: `18`, not `18.0`; `2.5` as it is."""
    return str(int(value)) if float(value).is_integer() else str(value)


def gold_number(gold: str | float) -> str | float:
    """The gold final answer as a float where possible (upstream: last line of the solution)."""
    if isinstance(gold, int | float):
        return float(gold)
    last = gold.strip().split("\n")[-1].split("\\n")[-1].strip().replace(",", "")
    try:
        return float(last)
    except ValueError:
        pass
    final = gold_final_answer(gold)  # e.g. "#### 18": not upstream's input, but unambiguous
    if final is not None and (values := numbers_in(final)):
        return values[-1]
    return last


def bearing(utterance: str, gold: str | float, *, lexical: bool = True) -> bool:
    """True when some number stated in ``utterance`` equals the gold final number (±1e-7);
    ``lexical=False`` reads numbers with :func:`numbers_in` instead of upstream's regex."""
    answer = gold_number(gold)
    if lexical:
        found = _UPSTREAM_NUMBER.findall(utterance.replace(",", ""))
        if isinstance(answer, str):
            return answer in found
        return any(abs(float(n) - answer) < 1e-7 for n in found)
    if isinstance(answer, str):
        return False
    return any(abs(n - answer) < 1e-7 for n in numbers_in(utterance))
