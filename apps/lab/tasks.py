from celery import shared_task

from apps.lab import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def advance_experiment_task(experiment_id: int) -> None:
    """Run the experiment's next problem, then queue the one after (idempotent: skips done ones)."""
    if services.advance(experiment_id):
        services.queue_next_step(experiment_id)
