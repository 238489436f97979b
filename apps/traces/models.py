"""Runs of agent graphs: a tree of spans, and every LLM call with its prompt and completion."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models.functions import Cast

from apps.traces import threads

# What the trace list's search matches, stored in `LLMCall.search` when a call is written: a
# search that matches most calls makes Postgres scan the table, and an expression index would
# leave it to parse every call's text again.
CALL_TEXT = SearchVector("prompt", "completion", Cast("messages", models.TextField()),
                         config="english")


class Run(models.Model):
    class Source(models.TextChoices):
        TUTORING = "tutoring"
        EVALUATION = "evaluation"
        ATLAS = "atlas"
        LEAP = "leap"

    class Status(models.TextChoices):
        OK = "ok"
        FAILED = "failed"

    source = models.CharField(max_length=16, choices=Source.choices)
    name = models.CharField(max_length=80)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OK)
    error = models.TextField(blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="+")
    engine = models.CharField(max_length=40, blank=True)
    model = models.CharField(max_length=200, blank=True)
    subject_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, null=True,
                                     blank=True)
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    thread = models.CharField(
        max_length=threads.MAX_LENGTH, blank=True,
        help_text='What the producer groups runs by, e.g. "tutoring-session:12" (see traces.threads).')
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]
        # The trace list: newest first, on its own or filtered by engine, source or thread.
        indexes = [models.Index(fields=["subject_type", "subject_id"]),
                   models.Index(fields=["-started_at"], name="traces_run_started"),
                   models.Index(fields=["engine", "-started_at"], name="traces_run_engine_started"),
                   models.Index(fields=["source", "-started_at"], name="traces_run_source_started"),
                   models.Index(fields=["thread", "-started_at"], name="traces_run_thread_started")]

    @property
    def duration_ms(self) -> float:
        return (self.ended_at - self.started_at).total_seconds() * 1000

    def __str__(self) -> str:
        return f"run {self.pk} {self.source}/{self.name}"


class Span(models.Model):
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="spans")
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True,
                               related_name="children")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=80)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()
    attributes = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["run", "position"]

    @property
    def duration_ms(self) -> float:
        return (self.ended_at - self.started_at).total_seconds() * 1000

    def __str__(self) -> str:
        return f"span {self.name} of run {self.run_id}"


class LLMCall(models.Model):
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="llm_calls")
    span = models.ForeignKey(Span, on_delete=models.CASCADE, related_name="llm_calls")
    engine = models.CharField(max_length=40)
    model = models.CharField(max_length=200)
    kind = models.CharField(max_length=16)
    messages = models.JSONField(null=True, blank=True)
    prompt = models.TextField(blank=True)
    completion = models.TextField(blank=True)
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    latency_ms = models.FloatField(default=0)
    finish_reason = models.CharField(max_length=32, blank=True)
    params = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    search = models.GeneratedField(expression=CALL_TEXT, output_field=SearchVectorField(),
                                   db_persist=True)

    class Meta:
        ordering = ["id"]
        indexes = [GinIndex(fields=["search"], name="traces_llmcall_search")]

    def __str__(self) -> str:
        return f"{self.kind} call to {self.engine}/{self.model}"
