from celery import shared_task

from apps.exports import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_export_task(export_id: int) -> None:
    services.run_export(export_id)  # idempotent: a finished export is left alone
