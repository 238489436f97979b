"""Tutoring sessions and their turns, kept verbatim with what the tutor graph derived."""

from django.conf import settings
from django.db import models

from agents.graphs.moves import Move
from apps.problems.models import Problem
from apps.traces import threads

# The kind of trace thread (`apps.traces.threads`) a session's runs are grouped in.
SESSION_THREAD = "tutoring-session"

MOVE_CHOICES = [(m.value, m.value.title()) for m in Move]


class TutoringSession(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active"
        SOLVED = "solved"
        CLOSED = "closed"

    class Origin(models.TextChoices):
        STUDENT = "student"
        EVALUATION = "evaluation"

    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="tutoring_sessions", null=True, blank=True)
    problem = models.ForeignKey(Problem, on_delete=models.PROTECT, related_name="sessions")
    classroom = models.ForeignKey("accounts.Classroom", on_delete=models.SET_NULL, null=True,
                                  blank=True, related_name="sessions")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    origin = models.CharField(max_length=16, choices=Origin.choices, default=Origin.STUDENT)
    taken_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", help_text="The teacher writing in the session; the tutor waits meanwhile.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]

    @property
    def group_name(self) -> str:
        return f"session-{self.pk}"

    @property
    def classroom_group_name(self) -> str:
        """The group of the class's live monitors (new sessions are announced there)."""
        return f"classroom-{self.classroom_id}"

    @property
    def trace_thread(self) -> str:
        """The thread every run traced for this session is saved in (`save_run(thread=...)`)."""
        return threads.key(SESSION_THREAD, self.pk)

    def __str__(self) -> str:
        return f"session {self.pk} on problem {self.problem_id}"


class Turn(models.Model):
    class Author(models.TextChoices):
        STUDENT = "student"
        TUTOR = "tutor"
        TEACHER = "teacher"

    class Status(models.TextChoices):
        PENDING = "pending"
        STREAMING = "streaming"
        DONE = "done"
        FAILED = "failed"

    session = models.ForeignKey(TutoringSession, on_delete=models.CASCADE, related_name="turns")
    index = models.PositiveIntegerField()
    author = models.CharField(max_length=16, choices=Author.choices)
    author_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+")
    text = models.TextField(blank=True, help_text="Verbatim, as typed or generated.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DONE)
    reply_to = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="replies")
    # What the tutor graph derived, stored next to the text, never instead of it.
    student_answer = models.CharField(max_length=200, blank=True)
    is_correct = models.BooleanField(null=True, blank=True)
    move = models.CharField(max_length=16, blank=True, choices=MOVE_CHOICES)
    guard = models.JSONField(default=list, blank=True,
                             help_text="Guard interventions, each with the original text verbatim.")
    detections = models.JSONField(default=list, blank=True,
                                  help_text="Misconception detections (Detection.to_dict()).")
    verdict = models.JSONField(default=dict, blank=True, help_text=(
        "The reply verifier's verdict: outcome (accepted / regenerated / template), the reasons "
        "drafts were rejected, and how many drafts the engine wrote."))
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    client_id = models.CharField(
        max_length=64, blank=True,
        help_text="The page's id for a student message: a resend of it is stored once.")
    lease_expires_at = models.DateTimeField(
        null=True, blank=True,
        help_text="While a worker runs the turn it renews this; past it, the worker is gone.")
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["session", "index"]
        constraints = [
            models.UniqueConstraint(fields=["session", "index"], name="uniq_turn_index"),
            models.UniqueConstraint(fields=["reply_to"], condition=models.Q(author="tutor"),
                                    name="one_tutor_reply_per_turn"),
            models.UniqueConstraint(fields=["session", "client_id"],
                                    condition=~models.Q(client_id=""), name="uniq_turn_client_id"),
        ]

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.STREAMING)

    def __str__(self) -> str:
        return f"turn {self.index} ({self.author}) of session {self.session_id}"
