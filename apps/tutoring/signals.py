"""What tutoring tells the apps above it; they connect receivers, tutoring imports none of them."""

from __future__ import annotations

import logging

from django.dispatch import Signal

log = logging.getLogger(__name__)

tutor_turn_done = Signal()
"""A tutor turn was stored as done and shown; sent once its transaction committed. Arguments: `turn` (the
tutor turn) and `state` (the tutor graph's input it answered: problem, dialogue, scaffolding)."""


def announce_tutor_turn_done(turn, state: dict) -> None:
    """Send `tutor_turn_done`; a receiver that fails is logged and cannot undo the stored turn."""
    for receiver, result in tutor_turn_done.send_robust(sender=type(turn), turn=turn, state=state):
        if isinstance(result, Exception):
            log.error("tutor_turn_done receiver %s failed for turn %s", receiver, turn.pk,
                      exc_info=result)
