from celery import shared_task

from apps.lab import evaluations, services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def advance_experiment_task(experiment_id: int) -> None:
    """Run the experiment's next problem, then queue the one after (idempotent: skips done ones)."""
    if services.advance(experiment_id):
        services.queue_next_step(experiment_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_evaluation_dialogue_task(run_id: int, line: int) -> None:
    """Play one dialogue of a tutor evaluation (idempotent: a stored line is skipped)."""
    evaluations.run_evaluation_dialogue(run_id, line)
