"""Finding the names of the platform's people in free text, however they were typed.

Each person's first name, last name and username are matched:
- Unicode-normalised and transliterated (`anyascii`), with the German (and Nordic) spellings
  of umlauts as well: an account "Zoë Müller" matches Zoe, ZOË, Müller, Mueller and Muller;
- across separators: `Liam_Chen`, `liam.chen`, `liam-chen` and `liam99` are one name;
- with a possessive or plural ending: Zoë's, Mayas, the Chens.
A name that is also an ordinary English word (Will, May, Mark, Rose, ...; `ORDINARY_WORDS`) is
a name only where it is capitalised in the middle of a sentence or stands next to another name
of the same person ("Will Chen", "chen will"): "How many twigs will the bird need" is left alone.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from anyascii import anyascii

MIN_NAME_LENGTH = 3
NOT_NAMES = frozenset({"student", "teacher", "annotator", "admin", "tutor", "user", "assistant",
                       "name"})
# First names (and surnames) that are common words; matched only in a name's position.
ORDINARY_WORDS = frozenset([
    "will", "may", "mark", "bill", "pat", "rose", "grace", "hope", "joy", "faith", "art", "sue", "rob",
    "jack", "frank", "guy", "ray", "dawn", "summer", "june", "april", "august", "amber", "ruby", "penny",
    "sandy", "drew", "chase", "hunter", "gene", "cliff", "glen", "dale", "lily", "iris", "holly",
    "ivy", "jade", "pearl", "violet", "sky", "river", "brook", "wade", "miles", "carol",
    "dean", "forest", "hazel", "heath", "herb", "gay", "honor", "lane", "max", "nick",
    "norm", "page", "reed", "rich", "skip", "sterling", "stone",
    "bell", "king", "young", "white", "black", "brown", "green", "long", "little", "read", "wood", "hall",
    "rice", "west", "ford", "cook", "well", "love", "star", "win", "sunny", "angel",
])

COMPOUND = re.compile(r"[^\W_]+(?:[._\-'’][^\W_]+)*")  # words joined by separators, no spaces
PART = re.compile(r"([._\-'’]?)([^\W_]+)")
JOINERS = "._-"
SENTENCE_END = re.compile(r"(?:^|[.!?:\n])[\s\"'“‘(\[]*$")
UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue",
                         "ß": "ss", "ø": "oe", "Ø": "Oe", "æ": "ae", "Æ": "Ae", "å": "aa", "Å": "Aa"})
CONTRACTED = re.compile(r"(?<=[a-z])([aou])e")
PLACEHOLDER = "[name]"
POSSESSIVE = re.compile(r"['’]s$", re.IGNORECASE)
SEPARATORS = re.compile(r"[._\-'’]")
NOT_LETTERS = re.compile(r"[\W\d_]+")
# bytes.translate + split tokenises ASCII text ~3x faster than a regex: letters to lower case,
# everything else to a space.
ASCII_LETTERS = bytes(ord(chr(c).lower()) if chr(c).isalpha() else 32 for c in range(128)) + b" " * 128


def fold(text: str) -> str:
    """Lower-case ASCII form: NFKC, transliterated, diacritics dropped."""
    return anyascii(unicodedata.normalize("NFKC", text)).lower()


@lru_cache(maxsize=65_536)
def spellings(word: str) -> frozenset[str]:
    """The ASCII forms a word of text may stand for (Müller: muller and mueller)."""
    return frozenset({fold(word), fold(word.translate(UMLAUTS))})


def name_spellings(word: str) -> frozenset[str]:
    """The spellings of a name's word, with the umlaut digraphs also contracted (Mueller: muller)."""
    forms = set(spellings(word))
    forms |= {CONTRACTED.sub(r"\1", form) for form in forms}
    return frozenset(forms)


def name_words(value: str) -> list[str]:
    """The words of a name or username: split at separators and digits, 3+ letters, no role words."""
    words = []
    for word in NOT_LETTERS.split(value or ""):
        if len(word) >= MIN_NAME_LENGTH and fold(word) not in NOT_NAMES:
            words.append(word)
    return words


@dataclass(frozen=True)
class Person:
    first_name: str = ""
    last_name: str = ""
    username: str = ""


class NameScrubber:
    """Replaces every platform person's names in a text with `[name]`."""

    def __init__(self, people: Iterable[Person]) -> None:
        self.owners: dict[str, set[int]] = {}  # spelling -> the people it names
        self.ordinary: set[str] = set()
        for index, person in enumerate(people):
            words = [*name_words(person.first_name), *name_words(person.last_name),
                     *name_words(person.username)]
            for value in (person.first_name, person.last_name, person.username):
                whole = re.sub(r"[\W_]+", "", value or "")  # jdoe42, O'Neil as one word too
                if len(whole) >= MIN_NAME_LENGTH and fold(whole) not in NOT_NAMES:
                    words.append(whole)
            for word in words:
                for form in name_spellings(word):
                    self.owners.setdefault(form, set()).add(index)
                    if form in ORDINARY_WORDS:
                        self.ordinary.add(form)
        # ASCII texts skip the full pass unless a word (or its plural) is a spelling.
        self._triggers = frozenset(w.encode() for f in self.owners if f.isascii()
                                   for w in (*re.findall(r"[a-z]+", f), f + "s", f + "es"))

    def __bool__(self) -> bool:
        return bool(self.owners)

    def _owners(self, word: str) -> tuple[set[int], bool]:
        """Who a word of text names (with plural / trailing digits stripped) and whether it is
        also an ordinary word."""
        stem = word.rstrip("0123456789") or word
        candidates = [word, stem] if stem != word else [stem]
        low = stem.lower()
        if low.endswith("es") and len(stem) > MIN_NAME_LENGTH + 1:
            candidates.append(stem[:-2])
        if low.endswith("s") and len(stem) > MIN_NAME_LENGTH:
            candidates.append(stem[:-1])
        for candidate in candidates:
            for form in spellings(candidate):
                if form in self.owners:
                    return self.owners[form], form in self.ordinary
        return set(), False

    def _might_mention(self, text: str) -> bool:
        if not text.isascii():
            return True
        return not self._triggers.isdisjoint(text.encode().translate(ASCII_LETTERS).split())

    def scrub(self, text: str) -> str:
        if not self.owners or not self._might_mention(text):
            return text
        compounds = list(COMPOUND.finditer(text))
        parts_of = [[(sep, word, *self._owners(word)) for sep, word in PART.findall(m[0])]
                    for m in compounds]
        out, last = [], 0
        for i, match in enumerate(compounds):
            core, ending = match[0], ""
            if POSSESSIVE.search(core):
                core, ending = core[:-2], core[-2:]
            joined = SEPARATORS.sub("", core)
            if joined != core:  # O'Neil, liam.chen: the compound as one name
                owners, ordinary = self._owners(joined)
                if owners and not ordinary:
                    out.append(text[last:match.start()] + PLACEHOLDER + ending)
                    last = match.end()
                    continue
            pieces = []
            for j, (sep, word, owners, ordinary) in enumerate(parts_of[i]):
                if owners and ordinary:
                    owners = owners if self._in_name_position(text, compounds, parts_of, i, j,
                                                              owners) else set()
                possessive = bool(sep) and sep in "'’" and word.lower() == "s"
                is_name = bool(owners) and not possessive
                if (is_name and pieces and pieces[-1][1] == PLACEHOLDER
                        and bool(sep) and sep in JOINERS):
                    continue  # Liam_Chen, liam.chen: one name, one placeholder
                pieces.append((sep, PLACEHOLDER if is_name else word))
            out.append(text[last:match.start()])
            out.append("".join(sep + word for sep, word in pieces))
            last = match.end()
        out.append(text[last:])
        return "".join(out)

    def _in_name_position(self, text: str, compounds, parts_of, i: int, j: int,
                          owners: set[int]) -> bool:
        """An ordinary-word name counts where it is capitalised mid-sentence, or next to another
        name of the same person (in the same compound or the neighbouring word)."""
        word = parts_of[i][j][1]
        start = compounds[i].start() + sum(len(s) + len(w) for s, w, *_ in parts_of[i][:j])
        if word[:1].isupper() and not word.isupper() and not SENTENCE_END.search(text[:start]):
            return True
        neighbours = [p for k, p in enumerate(parts_of[i]) if k != j]
        if i > 0 and not text[compounds[i - 1].end():compounds[i].start()].strip():
            neighbours.append(parts_of[i - 1][-1])
        if i + 1 < len(compounds) and not text[compounds[i].end():compounds[i + 1].start()].strip():
            neighbours.append(parts_of[i + 1][0])
        return any(other[2] & owners and not other[3] for other in neighbours)
