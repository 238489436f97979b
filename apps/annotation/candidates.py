"""Candidate pairs: a second tutor reply, never shown, kept with the shown one for pairwise labels.

Tutoring knows nothing of this: `queue_candidate_pair` receives its `tutor_turn_done` signal and
queues `candidate_pair_task`, which makes the second reply with the same graph input.
"""

from __future__ import annotations

import logging
import random

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.dispatch import receiver

from agents.graphs.tutor import run_tutor_turn
from agents.llm import LLMError
from agents.tracing import Tracer
from apps.accounts.selectors import shares_data
from apps.annotation import item_sources
from apps.annotation.models import AnnotationQueue, CandidatePair
from apps.annotation.services import add_items
from apps.engines import get_llm
from apps.jobs.queueing import enqueue_on_commit
from apps.problems.detector import get_detector
from apps.traces.models import Run
from apps.traces.services import save_run
from apps.tutoring.models import Turn
from apps.tutoring.signals import tutor_turn_done

log = logging.getLogger(__name__)
CANDIDATE_PAIR_TASK = "apps.annotation.tasks.candidate_pair_task"


def wants_candidate_pair(session, rng: random.Random | None = None) -> bool:
    """Whether a tutoring turn of this session gets a second candidate reply for pairwise labels.

    The class's `collect_candidate_pairs` is the switch (on for the demo class); of a collecting
    class's turns the share `CANDIDATE_PAIR_SHARE` (default all) is sampled; a learner who
    withdrew data-sharing consent in any class never gets one.
    """
    if not (session.classroom and session.classroom.collect_candidate_pairs):
        return False
    return shares_data(session.student_id) and should_record_candidate_pair(rng)


def should_record_candidate_pair(rng: random.Random | None = None) -> bool:
    """Whether this turn is in the sampled share (`CANDIDATE_PAIR_SHARE`) that gets two candidates."""
    return (rng or random).random() < settings.CANDIDATE_PAIR_SHARE


@transaction.atomic
def record_candidate_pair(turn, reply_a: str, reply_b: str, shown: str) -> CandidatePair | None:
    """Keep both candidate replies to a student turn and queue them in every pairwise queue;
    None (nothing kept) when the learner withdrew data-sharing consent."""
    if shown not in ("A", "B"):
        raise ValidationError("`shown` must be A or B")
    if not shares_data(turn.session.student_id):
        return None
    pair = CandidatePair.objects.create(turn=turn, reply_a=reply_a, reply_b=reply_b, shown=shown)
    item = item_sources.pair_item(pair)
    for queue in AnnotationQueue.objects.filter(target=AnnotationQueue.Target.PAIR):
        add_items(queue, [item])
    return pair


@receiver(tutor_turn_done)
def queue_candidate_pair(sender, turn: Turn, state: dict, **kwargs) -> None:
    """Queue a second reply to a finished tutor turn when its session is sampled for pairs."""
    if wants_candidate_pair(turn.session):
        enqueue_on_commit(CANDIDATE_PAIR_TASK, turn.pk, state)


def make_candidate_pair(tutor_turn_id: int, state: dict) -> CandidatePair | None:
    """Run the tutor graph again on the `state` the shown turn answered and keep both replies.

    Idempotent: a pair already kept for the student turn is returned as is, so a redelivered
    task makes no second pair. None when the engine fails or the learner withdrew consent.
    """
    turn = Turn.objects.select_related("session", "reply_to").get(pk=tutor_turn_id)
    kept = CandidatePair.objects.filter(turn_id=turn.reply_to_id).first()
    if kept is not None:
        return kept
    tracer, llm = Tracer(), get_llm()
    try:
        other = run_tutor_turn(llm, state, tracer=tracer, detector=get_detector(),
                               max_tokens=settings.TUTOR_REPLY_MAX_TOKENS)
    except LLMError as exc:
        log.warning("no candidate pair for turn %s: %s", turn.pk, exc)
        return None
    if not other.get("reply"):
        return None
    with transaction.atomic():
        Turn.objects.select_for_update().filter(pk=turn.reply_to_id).exists()  # one pair per turn
        kept = CandidatePair.objects.filter(turn_id=turn.reply_to_id).first()
        if kept is not None:
            return kept
        pair = record_candidate_pair(turn.reply_to, turn.text, other["reply"], shown="A")
        if pair is not None:
            save_run(tracer, source=Run.Source.TUTORING, name="candidate_reply", subject=turn,
                     user=turn.session.student, engine=llm.engine, model=llm.model,
                     thread=turn.session.trace_thread)
    return pair
