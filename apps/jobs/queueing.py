"""The one way to queue a job's task: after the transaction commits, and never silently lost.

Tasks are named (`"apps.lab.tasks.advance_experiment_task"`) so that services need not import
their app's tasks module; which queue a task goes to is decided only by `CELERY_TASK_ROUTES`.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from importlib import import_module

from celery import Task, current_app
from django.db import transaction

from apps.jobs.models import Job

log = logging.getLogger(__name__)
QUEUE_FAILED_PREFIX = "could not queue: "


def enqueue_on_commit(task: str | Task, *args, job: Job | None = None) -> None:
    """Send `task(*args)` once the current transaction commits (at once outside one).

    If the broker cannot take the message, the `job` row is marked failed with
    "could not queue: <reason>" instead of waiting as "queued" forever; without a job the
    error propagates.
    """

    def send() -> None:
        try:
            _send(task, args)
        except Exception as exc:  # kombu raises many kinds; all mean the task was not queued
            if job is None:
                raise
            log.error("could not queue %s for %s: %s", task_name(task), job, exc)
            record_queue_failure(job, exc)

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
            # By name through the app: the web process need not import the tasks module.
            current_app.send_task(task, args=args)
            return
        module, _, name = task.rpartition(".")  # eager mode runs it here, as apply_async does
        task = getattr(import_module(module), name)
    task.apply_async(args)


def task_name(task: str | Task) -> str:
    return task if isinstance(task, str) else task.name
