"""The telling guard: a deterministic check that a tutor reply does not give the answer away.

The rule (what :func:`find_leaks` enforces):

* **Protected values** are the gold final answer and the *decisive intermediate value* (the
  result of the gold solution's second-to-last computation, e.g. ``15`` in
  ``12+3=15 / 15-5=10``).
* A reply **leaks** when some number it states equals a protected value within 1e-6. Numbers
  are read in every form :func:`agents.math.numbers_in` knows (``18``, ``$18``, ``18.0``,
  ``x = 18``, ``18 apples``, ``eighteen``, ``36/2`` read as its value, ``1,800``) and, for the
  final answer, also the way MathDial's own metric reads them (any digit run, commas
  stripped), so that whatever the telling@k metric would count, the guard blocks first.
* **Not a leak**: a protected value the student has already stated (repeating their own
  number gives nothing away), and a *decisive intermediate* value that appears in the problem
  statement. Other numbers (from the problem, from the student's work) are never protected.
  The final answer stays protected even if the problem happens to mention the same number,
  because the metric cannot tell the two apart.
* When the telling budget allows telling, the graph does not call the guard at all.

:class:`SentenceHoldback` applies the rule while a reply streams: text is released to the page
only up to the last sentence boundary of a clean prefix, so a leaking sentence is never shown.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from agents.eval.dialogue_metrics import bearing
from agents.math import gold_final_answer, numbers_in

_EQUATION_RESULT = re.compile(r"=\s*\$?\s*(-?[\d,]*\.?\d+(?:\s*/\s*\d+)?)")
SAFE_PROBING_QUESTION = ("Let's look at your work step by step. Which quantity did you work out "
                         "first, and how did you get it?")


@dataclass(frozen=True)
class Leak:
    """One protected value found in a reply, with the role it plays."""

    kind: str  # "final" or "decisive"
    value: float
    reason: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Protected:
    """What a reply must not state: the final answer and the decisive intermediate value."""

    final: float | None
    decisive: float | None = None
    exempt: tuple[float, ...] = ()  # values the student already stated
    problem_numbers: tuple[float, ...] = ()


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


def protected_values(*, gold_answer: str, solution: str, problem: str,
                     student_texts: Sequence[str]) -> Protected:
    """Build the guard's input from the problem, its gold solution and the student's turns."""
    final = final_value(gold_answer)
    stated = tuple(v for text in student_texts for v in numbers_in(text))
    return Protected(final=final, decisive=decisive_value(solution, final) if solution else None,
                     exempt=stated, problem_numbers=tuple(numbers_in(problem)))


def _contains(values: Sequence[float], value: float) -> bool:
    return any(abs(v - value) < 1e-6 for v in values)


def find_leaks(reply: str, protected: Protected) -> list[Leak]:
    """Every protected value the reply states, per the rule in this module's docstring."""
    leaks: list[Leak] = []
    stated = numbers_in(reply)
    final = protected.final
    if final is not None and not _contains(protected.exempt, final):
        if _contains(stated, final):
            leaks.append(Leak("final", final, "states the final answer"))
        elif bearing(reply, final):
            leaks.append(Leak("final", final, "contains the final answer's digits"))
    decisive = protected.decisive
    if (decisive is not None and not _contains(protected.exempt, decisive)
            and not _contains(protected.problem_numbers, decisive) and _contains(stated, decisive)):
        leaks.append(Leak("decisive", decisive, "states the decisive intermediate value"))
    return leaks


_BOUNDARY = re.compile(r"[.!?:;](?=\s)|\n")


class SentenceHoldback:
    """Releases streamed text to `sink` sentence by sentence, only while the text is clean.

    `is_clean(prefix)` judges the whole text up to a sentence boundary; once it says no,
    nothing more is released (`tripped`), and the caller replaces the reply.
    """

    def __init__(self, sink: Callable[[str], None] | None,
                 is_clean: Callable[[str], bool]) -> None:
        self.sink, self.is_clean = sink, is_clean
        self.text = ""
        self.released = 0
        self.tripped = False

    def feed(self, token: str) -> None:
        """Take one streamed token; release the clean prefix up to the last sentence end."""
        self.text += token
        if self.tripped:
            return
        ends = [m.end() for m in _BOUNDARY.finditer(self.text, self.released)]
        if ends:
            self._release_to(ends[-1])

    def close(self) -> bool:
        """The stream ended: release the rest if the whole reply is clean; True if it was."""
        if not self.tripped:
            self._release_to(len(self.text))
        return not self.tripped

    def _release_to(self, end: int) -> None:
        if end <= self.released:
            return
        if not self.is_clean(self.text[:end]):
            self.tripped = True
            return
        if self.sink is not None:
            self.sink(self.text[self.released:end])
        self.released = end
