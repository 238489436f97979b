"""The Celery app: queues `default` and `llm`, acks late, one message prefetched at a time."""

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("tutorgraph")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue("default"), Queue("llm"), Queue("gpu")]
app.autodiscover_tasks()
