"""Train / validation split by conversation, never by turn: a deterministic hash of its id."""

import hashlib

TRAIN, VALIDATION = "train", "validation"


def split_of(conversation_id: str, *, seed: int, validation_fraction: float) -> str:
    """The split a conversation belongs to; the same for every record of it, run after run."""
    digest = hashlib.blake2b(f"{seed}:{conversation_id}".encode(), digest_size=8).digest()
    return VALIDATION if int.from_bytes(digest) / 2**64 < validation_fraction else TRAIN
