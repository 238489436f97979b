from celery import shared_task

from apps.annotation import candidates, judging


@shared_task(acks_late=True, reject_on_worker_lost=True)
def judge_queue_task(queue_id: int, engine: str | None = None, limit: int | None = None) -> int:
    return judging.judge_queue(queue_id, engine, limit)  # idempotent: skips items already judged


@shared_task(acks_late=True, reject_on_worker_lost=True)
def candidate_pair_task(tutor_turn_id: int, state: dict) -> None:
    candidates.make_candidate_pair(tutor_turn_id, state)  # idempotent: one pair per student turn
