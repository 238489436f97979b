"""The privacy rule every export applies; each manifest repeats it under `privacy`.

1. Students who refused data sharing (`Enrolment.data_sharing_consent` False in ANY
   classroom) are left out entirely: every record whose learner is one of them is dropped.
2. User ids never leave as they are: each becomes a keyed hash (BLAKE2b MAC, like HMAC) of
   the id under a secret drawn for this export, so pseudonyms are stable inside one export
   and unrelated across exports. The secret is never stored. Conversation ids likewise.
3. Text is scrubbed: e-mail addresses become `[email]`; the first name, last name and username
   of every person on the platform become `[name]`, matched Unicode-normalised and
   transliterated (Zoë/Zoe, Müller/Mueller/Muller), across separators (Liam_Chen, liam.chen),
   with possessives and plurals; a name that is also an ordinary word (Will, May, Mark) only
   where it is capitalised mid-sentence or next to that person's other name
   (`apps.exports.names`). Role words (student, teacher, ...) are not names.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field

from apps.exports.names import NameScrubber, Person

RULE = __doc__.split("\n\n", 1)[1].strip()
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


@dataclass
class Privacy:
    """What one export needs to apply the rule: a secret, the people, the opted-out learners."""

    people: tuple[Person, ...] = ()
    opted_out: frozenset[int] = frozenset()
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    def __post_init__(self) -> None:
        self._names = NameScrubber(self.people)

    def excludes(self, learner_id: int | None) -> bool:
        return learner_id is not None and learner_id in self.opted_out

    def pseudonym(self, kind: str, value: object) -> str:
        """Stable within this export, unrelated to any other export."""
        if value is None or value == "":
            return ""
        digest = hashlib.blake2b(f"{kind}:{value}".encode(), key=self.secret, digest_size=8)
        return f"{kind[0]}-{digest.hexdigest()}"

    def scrub(self, text: str) -> str:
        if "@" in text:
            text = EMAIL.sub("[email]", text)
        return self._names.scrub(text)
