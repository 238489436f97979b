"""Plain arithmetic written in text (`9 x 2 = 16`, `150% of 80,000 = 96`), checked with sympy.

One owner for "is this stated computation true": the tutor's assessment uses it to find a
student's miscalculated step and the reply verifier to reject a draft that states a false one.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from decimal import Decimal

import sympy

__all__ = ["Equation", "equations_in", "expression_of", "is_false"]

_OPERAND = r"\d[\d.,]*"
# An equation: an expression made of numbers, operators and brackets, "=" (or a word that
# means it), then the number it claims. The left side starts at a digit or an opening bracket.
_EQUATION = re.compile(
    r"(?P<lhs>[(\d][\d.,\s+\-−–*/x×·⋅÷()%]*?)\s*"
    r"(?:=|\bequals\b|\bis\s+equal\s+to\b|\bis\b|\bmakes\b|\bgives\b)\s*"
    r"(?P<sign>[-−])?\s*\$?\s*(?P<rhs>\d+(?:,\d{3})*(?:\.\d+)?)(?![\d/])",
    re.IGNORECASE,
)
_WORD_OPERATORS = [
    (re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*%\s+of\s+(?=[\d$(])", re.IGNORECASE), r"(\1/100)*"),
    (re.compile(r"(?<=\d)\s+(?:times|multiplied\s+by)\s+(?=[\d$(])", re.IGNORECASE), " * "),
    (re.compile(r"(?<=\d)\s+divided\s+by\s+(?=[\d$(])", re.IGNORECASE), " / "),
    (re.compile(r"(?<=\d)\s+plus\s+(?=[\d$(])", re.IGNORECASE), " + "),
    (re.compile(r"(?<=\d)\s+minus\s+(?=[\d$(])", re.IGNORECASE), " - "),
    (re.compile(r"\\times|\\cdot"), " * "),
    (re.compile(r"\\div"), " / "),
    (re.compile(r"(?<=\d)\$|\$(?=\d)"), ""),  # "$5 x 2 = $10"
]
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")


@dataclass(frozen=True)
class Equation:
    """One `lhs = rhs` computation as written (`text`), with its place in the text."""

    lhs: str
    rhs: str
    text: str
    start: int
    end: int

    @property
    def value(self) -> float:
        """The right side as a number (thousands separators dropped)."""
        return float(self.rhs.replace(",", ""))

    def to_dict(self) -> dict:
        return asdict(self)


def _normalise(text: str) -> str:
    for pattern, replacement in _WORD_OPERATORS:
        text = pattern.sub(replacement, text)
    return text


def expression_of(lhs: str) -> str | None:
    """The left side as a sympy-readable expression, or None when it is no computation."""
    expression = _THOUSANDS.sub("", lhs.strip())
    expression = (expression.replace("x", "*").replace("×", "*").replace("·", "*")
                  .replace("⋅", "*").replace("÷", "/").replace("−", "-").replace("–", "-"))
    expression = re.sub(r"(\d(?:\.\d+)?)\s*%", r"(\1/100)", expression)
    if "," in expression or not re.fullmatch(r"[\d.\s+\-*/()]+", expression):
        return None
    if not re.search(r"\d\s*[)]*\s*[+\-*/]\s*[(]*\s*\d", expression):
        return None  # a bare number ("it is 5") states no computation
    if re.search(r"\d\s+\d", expression):
        return None  # "3 4 + 5": two numbers side by side are a list, not a computation
    return expression


def equations_in(text: str) -> list[Equation]:
    """Every plain computation `a op b = c` the text states, in reading order."""
    if not isinstance(text, str):
        return []
    normalised = _normalise(text)
    out = []
    for match in _EQUATION.finditer(normalised):
        lhs = match.group("lhs")
        # The expression begins at its first digit or bracket; leading spaces are not part of it.
        offset = len(lhs) - len(lhs.lstrip())
        if expression_of(lhs) is None:
            continue
        rhs = ("-" if match.group("sign") else "") + match.group("rhs")
        out.append(Equation(lhs=lhs.strip(), rhs=rhs, text=normalised[match.start() + offset:
                                                                      match.end()].strip(),
                            start=match.start() + offset, end=match.end()))
    return out


def _value(expression: str):
    try:
        value = sympy.sympify(expression, rational=True)
    except (sympy.SympifyError, SyntaxError, TypeError, ZeroDivisionError, ValueError):
        return None
    return value if value.is_number and value.is_finite else None


def is_false(lhs: str, rhs: str) -> bool:
    """Whether `lhs = rhs` is false; a rounded right side (`70/24 = 2.92`) counts as true.

    False too when `lhs` is no plain computation (nothing to check).
    """
    expression = expression_of(lhs)
    if expression is None:
        return False
    value = _value(expression)
    if value is None:
        return False
    claimed = Decimal(rhs.replace(",", "").replace("−", "-"))
    places = max(-claimed.as_tuple().exponent, 0)
    # Exactly right, or right to the decimals written (a tolerance of half a last place).
    tolerance = sympy.Rational(1, 2 * 10 ** places) if places else 0
    difference = abs(value - sympy.Rational(str(claimed)))
    return bool(difference > tolerance) if tolerance else difference != 0
