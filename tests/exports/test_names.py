"""Name scrubbing on a table of tricky names: transliteration, separators, endings, ordinary words."""

from __future__ import annotations

import pytest

from apps.exports.names import NameScrubber, Person

PEOPLE = [Person("Zoë", "Müller", "zmueller"), Person("Liam", "Chen", "liam_chen"),
          Person("Maya", "Okafor", "maya.o"), Person("Will", "Hartley", "whartley"),
          Person("May", "Sørensen", "msorensen"), Person("Mark", "O'Neil", "mark99"),
          Person("José", "Núñez", "jnunez"), Person("", "", "teacher")]
SCRUB = NameScrubber(PEOPLE)

TABLE = [
    # account spelled with diacritics, text without (and the other way round)
    ("Zoe Mueller got 18.", "[name] [name] got 18."),
    ("ZOË MULLER wrote it", "[name] [name] wrote it"),
    ("Frau Muller's answer", "Frau [name]'s answer"),
    ("Jose Nunez and José Núñez", "[name] [name] and [name] [name]"),
    ("Soerensen, Sorensen, Sørensen", "[name], [name], [name]"),
    # usernames and separators
    ("ask Liam_Chen or liam.chen or liam-chen", "ask [name] or [name] or [name]"),
    ("logged in as zmueller and mark99", "logged in as [name] and [name]"),
    ("maya.o said hi", "[name] said hi"),
    # possessives and plurals
    ("Mayas and the Chens came; Liam's bag", "[name] and the [name] came; [name]'s bag"),
    ("Zoë’s idea", "[name]’s idea"),
    # first names that are ordinary words: only in a name's position
    ("How many twigs will the bird still need?", "How many twigs will the bird still need?"),
    ("Will you check step 2?", "Will you check step 2?"),
    ("I asked Will to check.", "I asked [name] to check."),
    ("Will Hartley checked it.", "[name] [name] checked it."),
    ("It may rain in May.", "It may rain in [name]."),
    ("May I add them? Mark the step.", "May I add them? Mark the step."),
    ("mark the numbers, then ask Mark O'Neil", "mark the numbers, then ask [name] [name]"),
    # not names: role words, short words, substrings
    ("the teacher and the student", "the teacher and the student"),
    ("Liamson and Chenille", "Liamson and Chenille"),
]


@pytest.mark.parametrize(("text", "expected"), TABLE)
def test_tricky_names(text, expected):
    assert SCRUB.scrub(text) == expected


def test_a_text_without_names_is_returned_as_is():
    text = "3 bags of 6 apples: 18 apples. Will it be more?"
    assert SCRUB.scrub(text) is text or SCRUB.scrub(text) == text
