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
* **Asserted results** (v2, measured on MRBench, where people call a reply revealing when it
  hands over the result the student is working towards, whatever the gold): a reply leaks when
  it *asserts* a value — after a cue such as "is actually", "should be", "we get", "equals",
  "the correct answer is", "is called", in "X, not Y" / "X instead of Y", or as the result of a
  computation it writes (``5 x 14 = 70``) — that the student has not stated and the problem
  does not contain. Values may be numbers or words ("is actually called a pentagon"); a gold
  answer that is a word (``gold_answer="pentagon"``) is protected like a number.
* When the telling budget allows telling, the graph does not call the guard at all.

Two choices were measured both ways on ``data/mrbench/MRBench_V1.json`` (``manage.py
guard_eval --variant``): a final answer that also appears in the problem stays protected, and
a value the student already stated stays exempt (see ``DEFAULT_VARIANT`` and the figures in
:mod:`agents.eval.guard_eval`).

:class:`SentenceHoldback` applies the rule while a reply streams: text is released to the page
only up to the last sentence boundary of a clean prefix, so a leaking sentence is never shown.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from agents.math import numbers_in
from agents.math.values import bearing, decisive_value, final_value, solution_steps


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
    final_words: tuple[str, ...] = ()  # a gold answer that is a word ("pentagon")
    exempt_words: frozenset[str] = frozenset()  # words the student or the problem used
    assertions: bool = True  # v2: asserted results the student has not stated are leaks
    stated_exempt: bool = True  # a value the student stated may be repeated
    final_in_problem_exempt: bool = False  # a final answer the problem also states is free
    gold_steps: tuple[float, ...] | None = None  # the gold path's values; None: no gold known


VARIANTS = {  # measured both ways on MRBench: see agents/eval/guard_eval.py
    "v1": {"assertions": False},
    "v2": {},
    "v2-protect-stated": {"stated_exempt": False},
    "v2-final-in-problem-free": {"final_in_problem_exempt": True},
}
DEFAULT_VARIANT = "v2"

# A value: a number, or a word after an article or in quotes ("a pentagon", "'hundreds'").
_VALUE = (r"(?P<value>-?\$?\s?\d[\d,]*(?:\.\d+)?(?:\s*/\s*\d+)?\s*%?"
          r"|(?:(?:a|an|the)\s+|[\"'‘“])(?P<word>[a-z][a-z-]{3,}))")
_CUE = re.compile(
    r"\b(?:is\s+actually|are\s+actually|was\s+actually|actually\s+(?:is|are|equals?|gets?|"
    r"makes?|has|have|get|gives?|means)|actually|actual\s+\w+(?:\s+\w+){0,5}\s+is|indeed|"
    r"should\s+(?:be|have\s+been|get|give)|would\s+(?:be|get|give)|correct\s+\w+(?:\s+\w+){0,5}?"
    r"\s+(?:is|would\s+be|should\s+be)|(?:is|are)\s+called|the\s+answer\s+(?:is|would\s+be)|"
    r"we\s+get|you\s+get|you'll\s+get|you\s+will\s+get|giving\s+(?:us|you)|gives?\s+(?:us|you)|"
    r"equals?|equal\s+to|is\s+the\s+same\s+as|results?\s+in|which\s+is|that\s+is|"
    r"(?:round|rounds|rounded)\s+(?:up\s+|down\s+)?to|making\s+it|so\s+(?:it|that)\s+is|"
    r"total\s+(?:is|of)|(?:result|answer|sum|product|difference|quotient)\s+(?:is|would\s+be)|"
    r"(?:called|named|term\s+is|word\s+is|name\s+is|spelled))"
    r"\s+(?:\w+\s+){0,2}?" + _VALUE, re.IGNORECASE)
_NOT_INSTEAD = re.compile(_VALUE + r"[\s°\w]{0,12}?,?\s+(?:not|instead\s+of|rather\s+than)\s+", re.IGNORECASE)
_FILLER = frozenset((  # words that follow a cue without being an answer
    "that", "this", "what", "which", "there", "here", "then", "with", "your", "they", "them",
    "their", "more", "less", "same", "good", "great", "right", "correct", "wrong", "answer",
    "number", "total", "result", "step", "steps", "part", "time", "again", "close", "careful",
    "true", "also", "just", "really", "much", "very", "first", "next", "last", "sure", "okay",
    "look", "check", "think", "looking", "recheck", "about", "like", "when", "because", "need",
    "going",
))


def _words(text: str) -> set[str]:
    return {w.rstrip("s") for w in re.findall(r"[a-z][a-z-]+", text.lower())}


def protected_values(*, gold_answer: str, solution: str, problem: str,
                     student_texts: Sequence[str], variant: str = DEFAULT_VARIANT) -> Protected:
    """Build the guard's input from the problem, its gold solution and the student's turns."""
    final = final_value(gold_answer)
    words: tuple[str, ...] = ()
    if final is None and re.fullmatch(r"\s*[A-Za-z][A-Za-z -]{1,40}\s*", gold_answer or ""):
        words = (gold_answer.strip().lower(),)  # a word answer ("pentagon", "right angle")
    stated = tuple(v for text in student_texts for v in numbers_in(text))
    exempt_words = frozenset(_words(problem) | {w for t in student_texts for w in _words(t)})
    return Protected(final=final, decisive=decisive_value(solution, final) if solution else None,
                     exempt=stated, problem_numbers=tuple(numbers_in(problem)),
                     gold_steps=(tuple(solution_steps(solution)) + ((final,) if final is not None
                                                                  else ())) if solution else None,
                     final_words=words, exempt_words=exempt_words, **VARIANTS[variant])


def _contains(values: Sequence[float], value: float) -> bool:
    return any(abs(v - value) < 1e-6 for v in values)


def asserted_values(reply: str) -> list[tuple[float | None, str]]:
    """(number, "") or (None, word) for every value the reply asserts as a result."""
    from agents.math.arithmetic import equations_in, is_false

    out: list[tuple[float | None, str]] = []
    # A question asserts nothing ("what number divided by 3 gives us 8?").
    reply = " ".join(s for s in re.split(r"(?<=[.!?])\s+", reply) if not s.rstrip(" \"')").endswith("?"))
    for match in [*_CUE.finditer(reply), *_NOT_INSTEAD.finditer(reply)]:
        if match.group("word"):
            out.append((None, match.group("word").lower()))
        elif values := numbers_in(match.group("value")):
            out.append((values[0], ""))
    for equation in equations_in(reply):
        if not is_false(equation.lhs, equation.rhs):
            out.append((equation.value, ""))
    return out


def _asserted_leaks(reply: str, protected: Protected) -> list[Leak]:
    leaks = []
    for value, word in asserted_values(reply):
        if value is not None:
            if _contains(protected.problem_numbers, value) or (
                    protected.stated_exempt and _contains(protected.exempt, value)) or (
                    protected.gold_steps is not None and not _contains(protected.gold_steps,
                                                                       value)):
                continue  # with a gold solution, only a value on its path is handed over
            leaks.append(Leak("asserted", value, "asserts a result the student has not stated"))
        elif (protected.gold_steps is None and word.rstrip("s") not in protected.exempt_words
              and word not in _FILLER and not word.endswith(("ing", "ly", "ed"))):
            leaks.append(Leak("asserted", float("nan"), f"asserts the word {word!r}"))
        if leaks:
            break
    return leaks


def find_leaks(reply: str, protected: Protected) -> list[Leak]:
    """Every protected value the reply states, per the rule in this module's docstring."""
    leaks: list[Leak] = []
    stated = numbers_in(reply)
    final = protected.final
    free = ((protected.stated_exempt and final is not None and _contains(protected.exempt, final))
            or (protected.final_in_problem_exempt and final is not None
                and _contains(protected.problem_numbers, final)))
    lowered = reply.lower()
    for word in protected.final_words:
        if re.search(rf"\b{re.escape(word)}s?\b", lowered) and (
                not protected.stated_exempt or word.rstrip("s") not in protected.exempt_words):
            leaks.append(Leak("final", float("nan"), f"states the answer {word!r}"))
    if final is not None and not free:
        if _contains(stated, final):
            leaks.append(Leak("final", final, "states the final answer"))
        elif bearing(reply, final):
            leaks.append(Leak("final", final, "contains the final answer's digits"))
    decisive = protected.decisive
    if (decisive is not None
            and not (protected.stated_exempt and _contains(protected.exempt, decisive))
            and not _contains(protected.problem_numbers, decisive) and _contains(stated, decisive)):
        leaks.append(Leak("decisive", decisive, "states the decisive intermediate value"))
    if protected.assertions and not leaks:
        leaks.extend(_asserted_leaks(reply, protected))
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
