from celery import shared_task

from apps.lab import services
from apps.lab.models import Experiment


@shared_task(acks_late=True, reject_on_worker_lost=True)
def advance_experiment_task(experiment_id: int) -> None:
    """Run the experiment's next problem, then queue the one after (idempotent: skips done ones)."""
    if services.advance(experiment_id):
        experiment = Experiment.objects.get(pk=experiment_id)
        advance_experiment_task.apply_async([experiment_id], queue=services.queue_for(experiment))
