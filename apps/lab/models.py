"""Experiments (ATLAS and LeaP runs), tutor evaluations (MathDial), their per-item results, and
ATLAS learning memory per key."""

from django.conf import settings
from django.db import models

from apps.jobs.models import Job


class Experiment(Job):
    """One launched run over N problems: parameters, problems done, the final report or the error."""

    class Kind(models.TextChoices):
        ATLAS = "atlas"
        LEAP = "leap"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    params = models.JSONField(default=dict)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="experiments")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


class MemoryVersion(models.Model):
    """One saved version of a learning key's memory; versions are never overwritten."""

    key = models.CharField(max_length=200, db_index=True)
    version = models.PositiveIntegerField()
    memory = models.JSONField()
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["key", "version"]
        constraints = [models.UniqueConstraint(fields=["key", "version"], name="uniq_memory_version")]

    def __str__(self) -> str:
        return f"{self.key} v{self.version}"


class RewardRecord(models.Model):
    """A session's reward on a learning key, with the lane it ran in and why it was given."""

    key = models.CharField(max_length=200, db_index=True)
    score = models.FloatField()
    rationale = models.TextField(blank=True)
    source = models.CharField(max_length=20, blank=True)
    lane = models.CharField(max_length=10)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["key", "id"]

    def __str__(self) -> str:
        return f"{self.key}: {self.score:.2f} ({self.lane})"


class AtlasSessionRecord(models.Model):
    """One problem of an ATLAS experiment under one arm.

    atlas: the supervised session (teacher validation without gold); baseline: the student
    alone, one attempt; self_retry: the student rechecking itself on ATLAS's attempt budget;
    oracle: the session with the old in-session checker gate, on its own key.
    """

    class Arm(models.TextChoices):
        ATLAS = "atlas"
        BASELINE = "baseline"
        SELF_RETRY = "self_retry", "self-retry"
        ORACLE = "oracle"

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="atlas_sessions")
    position = models.PositiveIntegerField()
    arm = models.CharField(max_length=10, choices=Arm.choices)
    key = models.CharField(max_length=200, blank=True)
    question = models.TextField()
    gold = models.CharField(max_length=200)
    lane = models.CharField(max_length=10, blank=True)
    probe_reason = models.TextField(blank=True)
    plan = models.TextField(blank=True)
    student_plan = models.TextField(blank=True, help_text="The student's plan before review (coach).")
    probe_alt = models.TextField(blank=True, help_text="The other probe's lane on the same history.")
    attempts = models.JSONField(default=list)
    reward = models.FloatField()
    rationale = models.TextField(blank=True)
    reward_source = models.CharField(max_length=20, blank=True)
    correct = models.BooleanField()
    recovered = models.BooleanField(default=False)
    tokens = models.JSONField(default=dict)
    usage = models.JSONField(default=dict, help_text="Per role: calls, prompt and completion tokens.")
    memory_version = models.PositiveIntegerField(null=True, blank=True)
    gate = models.TextField(blank=True)
    run = models.ForeignKey("traces.Run", null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["experiment", "position", "arm"]
        constraints = [models.UniqueConstraint(fields=["experiment", "position", "arm"],
                                               name="uniq_atlas_session_item")]

    def __str__(self) -> str:
        return f"{self.experiment} problem {self.position + 1} ({self.arm})"


class LeapProblemResult(models.Model):
    """One problem of a LeaP experiment under one method, every path verbatim."""

    class Mode(models.TextChoices):
        LEAP = "leap"
        INDEPENDENT = "independent"

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="leap_results")
    position = models.PositiveIntegerField()
    mode = models.CharField(max_length=12, choices=Mode.choices)
    question = models.TextField()
    gold = models.CharField(max_length=200)
    prefix = models.TextField(blank=True, help_text="The wrong start given to the trapped paths.")
    answer = models.CharField(max_length=200, blank=True)
    correct = models.BooleanField()
    tokens = models.PositiveIntegerField()
    rounds = models.PositiveIntegerField()
    paths = models.JSONField(default=list)
    run = models.ForeignKey("traces.Run", null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["experiment", "position", "mode"]
        constraints = [models.UniqueConstraint(fields=["experiment", "position", "mode"],
                                               name="uniq_leap_problem_mode")]

    def __str__(self) -> str:
        return f"{self.experiment} problem {self.position + 1} ({self.mode})"


class EvaluationRun(Job):
    """One `tutor_eval` run: a tutor on a MathDial file, fanned out one task per dialogue.

    Its progress is the share of `total` dialogues stored; the report is written when the last
    one lands.
    """

    tutor = models.CharField(max_length=16)
    engine = models.CharField(max_length=40)
    model = models.CharField(max_length=120, blank=True)
    student_engine = models.CharField(max_length=40)
    dataset = models.CharField(max_length=500)
    params = models.JSONField(default=dict, help_text="k_max, limit, seed, lines, max_tokens…")
    total = models.PositiveIntegerField(default=0)
    report = models.JSONField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"evaluation {self.pk}: {self.tutor} on {self.engine}"


class EvaluationDialogue(models.Model):
    """One finished dialogue of a run: its session (turns + trace) and its metrics."""

    run = models.ForeignKey(EvaluationRun, on_delete=models.CASCADE, related_name="dialogues")
    line = models.PositiveIntegerField(help_text="Line of the dataset file.")
    qid = models.CharField(max_length=40)
    session = models.OneToOneField("tutoring.TutoringSession", on_delete=models.CASCADE, null=True,
                                   blank=True, related_name="evaluation")
    result = models.JSONField(help_text="s, t, success_at_k, telling_at_k of this dialogue.")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["run", "line"]
        constraints = [models.UniqueConstraint(fields=["run", "line"], name="uniq_eval_line")]

    def __str__(self) -> str:
        return f"line {self.line} of evaluation {self.run_id}"
