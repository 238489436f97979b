"""The one way to queue a job's task: after the transaction commits, and never silently lost.

Tasks are named (`"apps.lab.tasks.advance_experiment_task"`) so that services need not import
their app's tasks module; which queue a task goes to is decided only by `CELERY_TASK_ROUTES`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from celery import Task, current_app
from django.db import transaction

from apps.jobs.models import Job

log = logging.getLogger(__name__)
QUEUE_FAILED_PREFIX = "could not queue: "


def enqueue_on_commit(task: str | Task, *args, job: Job | None = None,
                      on_failure: Callable[[BaseException], None] | None = None) -> None:
    """Send `task(*args)` once the current transaction commits (at once outside one).

    If the broker cannot take the message, the `job` row is marked failed with
    "could not queue: <reason>" instead of waiting as "queued" forever, and `on_failure(error)`
    is called: work that is not a job (a tutoring turn) says there how it is failed visibly.
    With neither, the error propagates.
    """

    def send() -> None:
        try:
            _send(task, args)
        except Exception as exc:  # kombu raises many kinds; all mean the task was not queued
            if job is None and on_failure is None:
                raise
            log.error("could not queue %s for %s: %s", task_name(task), job if job is not None else args, exc)
            if job is not None:
                record_queue_failure(job, exc)
            if on_failure is not None:
                on_failure(exc)

    transaction.on_commit(send)


def record_queue_failure(job: Job, exc: BaseException) -> None:
    """Mark an unfinished job failed because its task never reached the broker."""
    error = f"{QUEUE_FAILED_PREFIX}{type(exc).__name__}: {exc}"[:2000]
    now = datetime.now(tz=UTC)
    unfinished = (Job.Status.QUEUED, Job.Status.RUNNING)
    if type(job)._default_manager.filter(pk=job.pk, status__in=unfinished).update(
            status=Job.Status.FAILED, error=error, finished_at=now):
        job.status, job.error, job.finished_at = Job.Status.FAILED, error, now


def _send(task: str | Task, args: tuple) -> None:
    if isinstance(task, str):
        if not current_app.conf.task_always_eager:
            current_app.send_task(task, args=args)
            return
        # send_task ignores CELERY_TASK_ALWAYS_EAGER; run it here, as a task object would.
        current_app.loader.import_default_modules()
        task = current_app.tasks[task]
    task.apply_async(args)


def task_name(task: str | Task) -> str:
    return task if isinstance(task, str) else task.name
