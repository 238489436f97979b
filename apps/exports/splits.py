"""Train / validation split by group, never by row: a deterministic hash of the group's id.

A group is a conversation for dialogues (every turn of a session on one side) and a problem for
lab runs (`problem_group`): ATLAS attempts, and the LeaP and independent runs of one problem,
never land on both sides.
"""

import hashlib

TRAIN, VALIDATION = "train", "validation"


def split_of(conversation_id: str, *, seed: int, validation_fraction: float) -> str:
    """The split a group belongs to; the same for every record of it, run after run."""
    digest = hashlib.blake2b(f"{seed}:{conversation_id}".encode(), digest_size=8).digest()
    return VALIDATION if int.from_bytes(digest) / 2**64 < validation_fraction else TRAIN


def problem_group(question: str) -> str:
    """The group of every record about one problem, whichever run or method produced it."""
    text = " ".join(question.split()).casefold()
    return "problem-" + hashlib.blake2b(text.encode(), digest_size=8).hexdigest()
