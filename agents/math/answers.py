"""Final-answer extraction and equivalence checking for grade-school maths.

Extraction is a small regex layer (GSM8K ``####``, ``\\boxed{}``, "the answer is", number
words, currency, thousands separators); equivalence is decided by ``math_verify`` with an exact
``sympy.Rational`` comparison as the fallback. Nothing here calls an LLM.
"""

from __future__ import annotations

import re
import signal
import threading

import sympy
from math_verify import parse, verify

__all__ = ["answers_match", "extract_answer", "gold_final_answer", "numbers_in"]

# --- numbers written with digits -------------------------------------------------------------

_NUMBER = re.compile(
    r"(?:(?<![\w)\]])(?P<sign>-))?"  # a minus is a sign only when it follows no operand
    r"(?<!\d)(?P<num>\d{1,3}(?:,\d{3})+(?![\d,])|\d+)(?P<dec>\.\d+)?"  # 1,200 / 3.5
    r"(?:\s*/\s*(?P<den>\d+(?:\.\d+)?))?"  # 36/2
    r"(?P<pct>\s*%|\s+percent\b)?",
    re.IGNORECASE,
)

_NUMERIC_FRAC = re.compile(r"\\[dt]?frac\s*\{\s*([\d.]+)\s*\}\s*\{\s*([\d.]+)\s*\}")  # \frac{36}{2}

# --- numbers written with words --------------------------------------------------------------

_UNITS = {
    word: i
    for i, word in enumerate(
        ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
        + ("eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen")
        + ("nineteen",)
    )
}
_TENS = {
    word: 10 * i
    for i, word in enumerate(
        ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"), 2
    )
}
_SCALES = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_WORD = "|".join(sorted([*_UNITS, *_TENS, "hundred", *_SCALES], key=len, reverse=True))
_WORDS = re.compile(
    rf"\b(?:{_WORD})(?:(?:[\s-]+|(?<=hundred)\s+and\s+|(?<=thousand)\s+and\s+"
    rf"|(?<=million)\s+and\s+)(?:{_WORD}))*\b(?P<pct>\s+percent\b)?",
    re.IGNORECASE,
)


def _words_to_ints(phrase: str) -> list[int]:
    """Values of a run of number words; a run such as "five six" yields two numbers."""
    out: list[int] = []
    total = current = 0
    prev = ""  # class of the previous word: "" (start), unit, tens, hundred, scale
    for word in re.findall(r"[a-z]+", phrase.lower()):
        if word in ("and", "percent"):
            continue
        if word in _UNITS or word in _TENS:
            kind = "unit" if word in _UNITS else "tens"
            # "twenty two" joins; "five six", "twenty thirty", "twelve four" start a new number
            if prev == "unit" or (prev == "tens" and (kind == "tens" or _UNITS[word] >= 10)):
                out.append(total + current)
                total = current = 0
            current += _UNITS.get(word, _TENS.get(word, 0))
            prev = kind
        elif word == "hundred":
            if prev == "hundred":
                out.append(total + current)
                total = current = 0
            current = (current or 1) * 100
            prev = "hundred"
        else:
            total += (current or 1) * _SCALES[word]
            current = 0
            prev = "scale"
    out.append(total + current)
    return out


# --- tokens: every number in a text, in order ------------------------------------------------


def _trim(number: str) -> str:
    """Drop a redundant decimal tail: "18.00" -> "18", "3.50" -> "3.5"."""
    if "." in number:
        number = number.rstrip("0").rstrip(".")
    return number or "0"


def _tokens(text: str) -> list[tuple[int, str, float]]:
    """(position, normalised string, value) for every number in ``text``, in reading order."""
    text = _NUMERIC_FRAC.sub(r"\1/\2", text)
    found: list[tuple[int, str, float]] = []
    for m in _NUMBER.finditer(text):
        num = _trim(m["num"].replace(",", "") + (m["dec"] or ""))
        value = float(num)
        if m["den"] and float(m["den"]):  # "x/0" is not a fraction: keep the numerator only
            den = _trim(m["den"])
            num, value = f"{num}/{den}", value / float(den)
        sign = "-" if m["sign"] else ""
        found.append((m.start(), f"{sign}{num}{'%' if m['pct'] else ''}", -value if sign else value))
    for m in _WORDS.finditer(text):
        values = _words_to_ints(m.group(0))
        pct = "%" if m["pct"] else ""
        for i, v in enumerate(values):
            last = i == len(values) - 1
            found.append((m.start() + i, f"{v}{pct if last else ''}", float(v)))
    return sorted(found)


def numbers_in(text: str) -> list[float]:
    """Every number stated in ``text`` (digits, decimals, fractions as values, number words)."""
    if not isinstance(text, str):
        return []
    return [value for _, _, value in _tokens(text)]


# --- extraction ------------------------------------------------------------------------------

_GSM8K = re.compile(r"####\s*(.*)")
_ANSWER_IS = re.compile(
    r"\banswer\s*(?:is|=|:|would\s+be|will\s+be|should\s+be)\s*:?",
    re.IGNORECASE,
)
_LATEX_FRAC = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_LATEX_NOISE = re.compile(r"\\text\{[^{}]*\}|\\[,;!]|\\\$|\\mathrm\{[^{}]*\}|\\left|\\right")


def _boxed(text: str) -> str | None:
    """Contents of the last ``\\boxed{...}`` (or ``\\fbox{...}``), braces balanced."""
    start = max(text.rfind("\\boxed{"), text.rfind("\\fbox{"))
    if start < 0:
        return None
    i = text.index("{", start) + 1
    depth = 1
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i:j]
    return None


def _first(text: str) -> str | None:
    tokens = _tokens(text)
    return tokens[0][1] if tokens else None


def _last(text: str) -> str | None:
    tokens = _tokens(text)
    return tokens[-1][1] if tokens else None


def extract_answer(text: str) -> str | None:
    """The final answer stated in ``text`` as a normalised string ("18", "36/2", "50%"), or None."""
    if not isinstance(text, str) or not text.strip():
        return None
    if (m := _GSM8K.search(text)) and (found := _first(m.group(1))):
        return found
    if (box := _boxed(text)) is not None:
        plain = _LATEX_NOISE.sub(" ", _LATEX_FRAC.sub(r"\1/\2", box)).replace("\\%", "%")
        if re.fullmatch(r"[\s$]*-?[\d.,]+\s*(?:/\s*[\d.]+)?\s*%?[\s.]*", plain):
            return _first(plain)
        if _tokens(box):
            return box.strip()  # leave real LaTeX (\sqrt{2}, ...) to math_verify
    anchors = list(_ANSWER_IS.finditer(text))
    if anchors and (found := _first(text[anchors[-1].end() :])):
        return found
    return _last(text)


def gold_final_answer(solution: str) -> str | None:
    """Final answer of a GSM8K ("#### 18") or MathDial (last line) worked solution."""
    if not isinstance(solution, str):
        return None
    if m := _GSM8K.search(solution):
        return _first(m.group(1))
    lines = [ln for ln in re.split(r"\n|\\n", solution) if ln.strip()]
    if lines and (found := extract_answer(lines[-1])):
        return found
    return extract_answer(solution)


# --- equivalence -----------------------------------------------------------------------------

_MAX_CHARS = 200  # normalised answers are short; never hand math_verify a wall of text
_PLAIN = re.compile(r"-?\d+(?:\.\d+)?(?:/\d+(?:\.\d+)?)?")
_EXPLOSIVE = re.compile(r"\^|\*\*|!|\\binom|\\prod|\\sum|\\int")  # 9^{9^{9^9}} hangs sympy


def _forms(answer: str) -> list[str]:
    """A "50%" may mean 50 (GSM8K golds drop the sign) or 0.5; anything else is itself."""
    if answer.endswith("%"):
        return [answer[:-1], f"{answer[:-1]}/100"]
    return [answer]


def _signal_timeout() -> int | None:
    """Seconds for math_verify's SIGALRM timeout, or None where using it would do harm.

    signal.alarm only works in the main thread, and math_verify's ``alarm(0)`` cancels any
    timer the host already armed (pytest-timeout, servers), so use it only when nobody else is.
    """
    if threading.current_thread() is not threading.main_thread():
        return None
    return None if signal.getitimer(signal.ITIMER_REAL)[0] > 0 else 3


def _mv_parse(expr: str, timeout: int | None) -> list:
    parsed = parse(expr, parsing_timeout=timeout)
    return parsed or parse(f"${expr}$", parsing_timeout=timeout)


def _same(cand: str, gold: str) -> bool:
    if cand == gold:
        return True
    timeout = _signal_timeout()
    if timeout or not (_EXPLOSIVE.search(cand) or _EXPLOSIVE.search(gold)):
        try:
            if verify(_mv_parse(gold, timeout), _mv_parse(cand, timeout), timeout_seconds=timeout):
                return True
        except Exception:  # math_verify on odd input: fall through to sympy
            pass
    if _PLAIN.fullmatch(cand) and _PLAIN.fullmatch(gold):
        return sympy.Rational(cand) == sympy.Rational(gold)
    return False


def answers_match(candidate: str | None, gold: str | None) -> bool:
    """True when ``candidate`` states the same final answer as ``gold`` (math_verify, sympy)."""
    if not isinstance(candidate, str) or not isinstance(gold, str):
        return False
    try:
        cand, ref = extract_answer(candidate), extract_answer(gold)
        if cand is None or ref is None or max(len(cand), len(ref)) > _MAX_CHARS:
            return False
        return any(_same(c, g) for c in _forms(cand) for g in _forms(ref))
    except Exception:  # garbage in, False out: never raise into the tutor graph
        return False


# --- the answer a student states in a chat message --------------------------------------------

_QUESTION = re.compile(r"[^.!?\n]*\?")
_INSTRUCTION = re.compile(  # "multiply by 2", "then add 3 to it": a number to use, not a result
    r"\b(?:multiply|multiplied|divide|divided|add|subtract|take\s+away|times|double|halve|split)"
    r"\b[^.!?\n\d]{0,20}?\b(?:by|to|from|with|into|away|in)?\s*\$?\d[\d,.]*",
    re.IGNORECASE)
_NOT_THIS = re.compile(r"\b(?:not|instead\s+of|rather\s+than)\s+\$?-?\d[\d,.]*(?:\s*%)?",
                       re.IGNORECASE)
_LOSS = re.compile(r"\b(?:lost|lose|loses|losing|loss(?:\s+of)?|down\s+by|owes?|debt\s+of|"
                   r"short\s+by|decreased\s+by|fell\s+by|dropped\s+by)\s+(?:of\s+)?(?:about\s+)?"
                   r"\$?\s*(?=\d)", re.IGNORECASE)


def stated_answer(message: str) -> str | None:
    """The answer a student's chat message states, or None.

    Unlike :func:`extract_answer` (for a solution's final line), a number inside a question
    ("13 − 4 is 9 not 8?"), an instruction ("multiply by 2") or a correction ("9 not 8": the 8)
    is not a stated answer, and a loss keeps its sign ("he lost $10,000" is -10000).
    """
    if not isinstance(message, str) or not message.strip():
        return None
    text = _QUESTION.sub(" ", message)
    text = _INSTRUCTION.sub(" ", text)
    text = _NOT_THIS.sub(" ", text)
    text = _LOSS.sub(" -", text)
    text = re.sub(r"-\s+(?=\d)", "-", text)
    return extract_answer(text)


def loss_question(problem: str) -> bool:
    """Whether the problem's question asks for a loss (then "he lost 50" answers +50)."""
    questions = _QUESTION.findall(problem or "")
    return bool(questions) and bool(re.search(r"\b(?:lose|lost|loss)\b", questions[-1],
                                              re.IGNORECASE))
