"""The reply verifier: the pedagogy is decided by code, the engine only phrases it.

Every tutor draft is checked against what the graph already knows before any of it reaches
the page. The rule (what :func:`verify_reply` enforces) — a draft is **rejected** when it:

* ``contradiction`` — contradicts the checker: affirms an answer the checker marked wrong
  ("that's right", "you got it", "well done", "correct!", "great, …", "you're not wrong",
  "the correct answer is indeed 56"), or
  calls a right answer wrong ("that is not right", "incorrect", "there's a mistake", "try
  again"). Negations are read first ("that is not right" is a negative, "not bad" and "not
  wrong" are affirmations), and a clause that is a question ("Is that right?") asserts nothing.
  Praise of effort ("good try", "nice start") is neither. Affirming needs a stated answer: a
  student who has stated none has nothing to affirm.
* ``leak`` — states what the telling guard protects (:func:`agents.graphs.guard.find_leaks`),
  while the telling budget still forbids it.
* ``false_arithmetic`` — states a computation ``a op b = c`` (also "a times b is c", "p% of
  b = c") that sympy finds false. Quoting the student's own step ("you wrote 13 − 4 = 8") is
  not a claim and is allowed.
* ``third_person`` — speaks about the student ("the student", "the learner", "this pupil")
  instead of to them.
* ``prompt_echo`` — repeats the system prompt's instructions (any run of six words of the
  instructions, or a tutor's self-description such as "as your tutor, I must").
* ``off_move`` — a ``focus`` or ``probing`` reply does not end with exactly one question;
  any reply runs past three sentences or 320 characters, or is empty.

:func:`prefix_is_clean` applies the rules that hold for any prefix of a draft (all but "ends
with one question"), so the sentence holdback can stream a draft while it stays acceptable.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from agents.graphs.guard import Protected, find_leaks
from agents.graphs.moves import QUESTION_MOVES, Move
from agents.math.arithmetic import equations_in, expression_of, is_false

REASONS = ("contradiction", "leak", "false_arithmetic", "third_person", "prompt_echo",
           "off_move")
MAX_SENTENCES = 3
MAX_CHARS = 320
ECHO_WORDS = 6


@dataclass(frozen=True)
class Rejection:
    """Why a draft was rejected: one of REASONS and what was found."""

    reason: str
    detail: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class DraftCheck:
    """What the verifier knows of the turn: the assessment, the move and the prompt."""

    move: Move
    student_correct: bool
    student_answer: str | None = None
    protected: Protected | None = None  # None when the telling budget allows telling
    student_texts: Sequence[str] = ()
    instructions: str = ""  # system prompt text the draft must not echo (not the problem)
    exempt_phrases: Sequence[str] = field(default_factory=tuple)  # e.g. the quoted step


# --- reading affirmations and negatives ------------------------------------------------------

_CONTRACTIONS = [(r"\b(that|it|this|what|there|here)'s\b", r"\1 is"), (r"\byou're\b", "you are"),
                 (r"\b(is|are|was|were|does|do|did|has|have)n't\b", r"\1 not"),
                 (r"\bcan't\b", "can not"), (r"\bwon't\b", "will not"), (r"\byou've\b", "you have"),
                 (r"\bi'm\b", "i am")]
_NEGATIVE = re.compile(
    r"\bnot\s+(?:\w+\s+)?(?:right|correct|true|accurate)\b|\bis\s+not\s+it\b|\bincorrect\b"
    r"|\bwrong\b|\bmistakes?\b|\berrors?\b|\bnot\s+quite\b|\bnot\s+the\s+answer\b"
    r"|\btry\s+again\b|\bdoes\s+not\s+(?:look|seem|add\s+up)|\bis\s+off\b|\bslipped\b"
    r"|\bunfortunately\b|\bnope\b|^\s*no\b")
_NOT_NEGATIVE = re.compile(  # phrases that contain a negative word but affirm
    r"\bnot\s+wrong\b|\bno\s+(?:mistakes?|errors?)\b|\bwithout\s+(?:any\s+)?(?:mistakes?|errors?)"
    r"|\bnothing\s+wrong\b|\bnot\s+bad\b|\bmistake[- ]free\b|\bno\s+problem\b")
_AFFIRM = re.compile(
    r"\b(?:is|are|was)\s+(?:\w+\s+)?(?:right|correct|spot\s+on|perfect)\b"
    r"|\byou\s+(?:have\s+)?got\s+it\b|\bwell\s+done\b|\bnailed\s+it\b|\bbingo\b"
    r"|\b(?:great|good|nice|excellent|amazing|awesome|fantastic|super|brilliant)\s+"
    r"(?:job|work|answer)\b|\bspot\s+on\b|\byou\s+(?:did|solved|cracked)\s+it\b"
    r"|\byou\s+have\s+(?:solved|found)\b|\b(?:that|you)\s+(?:is|are)\s+it\b"
    r"|\bnot\s+wrong\b|\bnot\s+bad\b|\bno\s+(?:mistakes?|errors?)\b|\bnothing\s+wrong\b"
    r"|\bcongratulations\b|\bindeed\b|\b(?:correct|right)\s+answer\s+is\b"
    r"|^\s*(?:yes|yep|yeah|correct|right|exactly|perfect|excellent|great"
    r"|good|nice|awesome|brilliant|wonderful|fantastic)\s*[!.]*\s*$")
_NOT_AFFIRM = re.compile(  # praise of effort, and negated affirmations
    r"\b(?:good|nice|great)\s+(?:try|effort|start|attempt|thinking|question|point)\b"
    r"|\bnot\s+(?:\w+\s+)?(?:right|correct|perfect|exactly|quite|well)\b")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n+")
_CLAUSE_BREAK = re.compile(r"(?<=[,;:])\s+|\s+(?=but\b)")
_THIRD_PERSON = re.compile(
    r"\b(?:the|this|that|our|your)\s+(?:student|learner|pupil|child|kid)s?(?:'s)?\b"
    r"|\bstudent's\b|\bthe\s+user\b", re.IGNORECASE)
_SELF_DESCRIPTION = re.compile(
    r"\bas\s+(?:a|an|your)\s+(?:patient\s+)?(?:maths?\s+)?tutor\b|\bmy\s+instructions?\b"
    r"|\bi\s+(?:am|was)\s+(?:told|instructed|asked)\s+to\b|\bsystem\s+prompt\b"
    r"|\bnudge\s+where\b|\bverify\s+each\s+step\b", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9']+")
_QUESTION_WORD = re.compile(r"\s*(?:is|are|was|were|do|does|did|can|could|would|will|should|"
                            r"what|how|why|which|where|when|who)\b")


def _plain(text: str) -> str:
    text = text.lower().replace("’", "'").replace("‘", "'")
    for pattern, replacement in _CONTRACTIONS:
        text = re.sub(pattern, replacement, text)
    return text


def _clauses(text: str) -> list[tuple[str, bool]]:
    """(clause, is_question): a clause asks when it ends with "?", or when its sentence ends
    with "?" and the clause is its last or opens with a question word."""
    out = []
    for sentence in sentences(_plain(text)):
        asks = sentence.rstrip(" \"')*_").endswith("?")
        parts = [p for p in _CLAUSE_BREAK.split(sentence) if p.strip()]
        for i, part in enumerate(parts):
            question = part.rstrip().endswith("?") or (asks and (
                i == len(parts) - 1 or bool(_QUESTION_WORD.match(part))))
            out.append((part.strip(" ,;:"), question))
    return out


def affirmations(text: str) -> list[str]:
    """Clauses that tell the student they are right (questions and effort praise excluded)."""
    found = []
    for clause, question in _clauses(text):
        if question:
            continue
        cleaned = _NOT_AFFIRM.sub(" ", clause)
        if _AFFIRM.search(cleaned) and not (_NEGATIVE.search(_NOT_NEGATIVE.sub(" ", clause))):
            found.append(clause)
    return found


def negatives(text: str) -> list[str]:
    """Clauses that tell the student they are wrong (questions excluded)."""
    found = []
    for clause, question in _clauses(text):
        if question:
            continue
        if _NEGATIVE.search(_NOT_NEGATIVE.sub(" ", clause)):
            found.append(clause)
    return found


# --- the other rules -------------------------------------------------------------------------

def _step_key(lhs: str, rhs: str) -> tuple[str, str]:
    return (re.sub(r"\s+", "", expression_of(lhs) or lhs), rhs.replace(",", "").lstrip("+"))


def false_equations(text: str, student_texts: Sequence[str] = ()) -> list[str]:
    """Every false computation the text states that is not a quote of the student's work."""
    quoted = {_step_key(e.lhs, e.rhs) for t in student_texts for e in equations_in(t)}
    return [e.text for e in equations_in(text)
            if is_false(e.lhs, e.rhs) and _step_key(e.lhs, e.rhs) not in quoted]


def _echo(text: str, instructions: str, exempt: Sequence[str]) -> str:
    """The first run of ECHO_WORDS words the text shares with the instructions, or ""."""
    words = _WORD.findall(text.lower())
    source = " " + " ".join(_WORD.findall(instructions.lower())) + " "
    for phrase in exempt:
        source = source.replace(" " + " ".join(_WORD.findall(phrase.lower())) + " ", " | ")
    for i in range(len(words) - ECHO_WORDS + 1):
        run = " ".join(words[i:i + ECHO_WORDS])
        if f" {run} " in source:
            return run
    return ""


def sentences(text: str) -> list[str]:
    """The text's sentences (a decimal point does not end one)."""
    return [s.strip() for s in _SENTENCE_BREAK.split(text.strip()) if s.strip()]


def _rules(text: str, check: DraftCheck) -> list[Rejection]:
    """The rules that hold for every prefix of a draft."""
    out: list[Rejection] = []
    if check.student_correct:
        if said := negatives(text):
            out.append(Rejection("contradiction", f"calls a right answer wrong: {said[0]!r}"))
    elif check.student_answer is not None and (said := affirmations(text)):
        out.append(Rejection("contradiction",
                             f"affirms the wrong answer {check.student_answer}: {said[0]!r}"))
    if check.protected is not None:
        for leak in find_leaks(text, check.protected):
            out.append(Rejection("leak", leak.reason))  # never the value: it goes to the engine
    for equation in false_equations(text, check.student_texts):
        out.append(Rejection("false_arithmetic", f"false computation: {equation}"))
    if found := _THIRD_PERSON.search(text):
        out.append(Rejection("third_person", f"speaks about the student: {found.group(0)!r}"))
    if found := _SELF_DESCRIPTION.search(text):
        out.append(Rejection("prompt_echo", f"repeats its instructions: {found.group(0)!r}"))
    elif check.instructions and (run := _echo(text, check.instructions, check.exempt_phrases)):
        out.append(Rejection("prompt_echo", f"repeats its instructions: {run!r}"))
    if len(sentences(text)) > MAX_SENTENCES or len(text.strip()) > MAX_CHARS:
        out.append(Rejection("off_move", f"too long: {len(sentences(text))} sentences, "
                                         f"{len(text.strip())} characters (at most "
                                         f"{MAX_SENTENCES} sentences, {MAX_CHARS} characters)"))
    return out


def prefix_is_clean(text: str, check: DraftCheck) -> bool:
    """Whether a streamed prefix breaks no rule that a longer text could not undo."""
    return not _rules(text, check)


def verify_reply(text: str, check: DraftCheck) -> list[Rejection]:
    """Every reason to reject the whole draft, per the rule in this module's docstring; [] to
    accept it."""
    text = text.strip()
    if not text:
        return [Rejection("off_move", "empty reply")]
    out = _rules(text, check)
    if check.move in QUESTION_MOVES:
        questions = text.count("?")
        if questions != 1 or not re.search(r"\?[\s\"')\]”’*_]*$", text):
            out.append(Rejection("off_move", f"a {check.move} reply must end with one question "
                                             f"(it has {questions})"))
    return out


def describe(rejections: Sequence[Rejection]) -> str:
    """One line for the engine: why its draft was rejected."""
    return "; ".join(r.detail for r in rejections)
