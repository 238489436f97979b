from celery import shared_task

from apps.tutoring import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_tutor_turn_task(turn_id: int) -> None:
    services.run_turn(turn_id)  # idempotent: returns at once if the turn is finished
