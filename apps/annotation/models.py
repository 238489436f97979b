"""Schemas, queues of items to label, reservations of label slots, labels and adjudications."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property

from agents.schema_fields import FieldSpec, parse_fields

ACTIVE = Q(status__in=["reserved", "done"])


class AnnotationSchema(models.Model):
    """One version of a schema; revising a schema adds a version, labels keep theirs."""

    name = models.CharField(max_length=80)
    version = models.PositiveIntegerField(default=1)
    description = models.TextField(blank=True)
    fields = models.JSONField(help_text="List of fields: name, kind, label, options (see schema_spec).")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "-version"]
        constraints = [models.UniqueConstraint(fields=["name", "version"], name="uniq_schema_version")]

    @cached_property
    def specs(self) -> tuple[FieldSpec, ...]:
        """The stored field list, parsed once per row."""
        return parse_fields(self.fields)

    @property
    def scored_fields(self) -> list[FieldSpec]:
        return [f for f in self.specs if f.scored]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class AnnotationQueue(models.Model):
    class Target(models.TextChoices):
        TURN = "turn", "tutor turns"
        RUN = "run", "traced runs (reasoning steps)"
        PAIR = "pair", "candidate reply pairs"
        MRBENCH = "mrbench", "MRBench responses"

    name = models.CharField(max_length=120, unique=True)
    schema = models.ForeignKey(AnnotationSchema, on_delete=models.PROTECT, related_name="queues")
    target = models.CharField(max_length=16, choices=Target.choices)
    filter = models.JSONField(default=dict, blank=True)
    annotators = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="annotation_queues",
                                        blank=True)
    lead = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="led_queues")
    n_per_item = models.PositiveSmallIntegerField(default=2)
    blind = models.BooleanField(default=True)
    threshold = models.FloatField(
        default=0.0, help_text="Adjudicate an item when, on some field, the share of labels that "
                               "differ from the most common value exceeds this (0 = any disagreement).")
    reservation_minutes = models.PositiveSmallIntegerField(default=10)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class QueueItem(models.Model):
    """One thing to label: a snapshot of what annotators see, and the object it came from."""

    class Status(models.TextChoices):
        OPEN = "open"
        COMPLETE = "complete"
        DISPUTED = "disputed"
        ADJUDICATED = "adjudicated"

    queue = models.ForeignKey(AnnotationQueue, on_delete=models.CASCADE, related_name="items")
    key = models.CharField(max_length=200, help_text="Identity of the target within the queue.")
    target_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, null=True, blank=True)
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    payload = models.JSONField(help_text="What annotators see, verbatim: context, reply, steps, A/B.")
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+",
                                help_text="The student whose work this is (consent), if any.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["queue", "id"]
        constraints = [models.UniqueConstraint(fields=["queue", "key"], name="uniq_item_key")]

    @property
    def n_steps(self) -> int:
        return len(self.payload.get("steps", []))

    def __str__(self) -> str:
        return f"item {self.pk} ({self.key}) of {self.queue}"


class Assignment(models.Model):
    """A slot of an item held by one annotator: reserved until it expires, then done or skipped."""

    class Status(models.TextChoices):
        RESERVED = "reserved"
        DONE = "done"
        SKIPPED = "skipped"
        EXPIRED = "expired"

    item = models.ForeignKey(QueueItem, on_delete=models.CASCADE, related_name="assignments")
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                  related_name="assignments")
    slot = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RESERVED)
    expires_at = models.DateTimeField()
    skip_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            # Two people never hold the same slot, and one person never holds two slots of an item.
            models.UniqueConstraint(fields=["item", "slot"], condition=ACTIVE, name="one_holder_per_slot"),
            models.UniqueConstraint(fields=["item", "annotator"], condition=ACTIVE,
                                    name="one_slot_per_annotator"),
        ]
        indexes = [models.Index(fields=["status", "expires_at"])]

    def __str__(self) -> str:
        return f"slot {self.slot} of item {self.item_id} for {self.annotator_id} ({self.status})"


class Label(models.Model):
    """A label as given, verbatim; `rater` names who gave it (person, LLM judge, gold set)."""

    class Kind(models.TextChoices):
        HUMAN = "human"
        LLM_JUDGE = "llm_judge"
        GOLD = "gold"
        FEEDBACK = "feedback"
        ADJUDICATION = "adjudication"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    item = models.ForeignKey(QueueItem, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="labels")
    turn = models.ForeignKey("tutoring.Turn", on_delete=models.CASCADE, null=True, blank=True,
                             related_name="+", help_text="The turn rated, for feedback labels.")
    assignment = models.OneToOneField(Assignment, on_delete=models.SET_NULL, null=True, blank=True,
                                      related_name="label")
    annotator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                  blank=True, related_name="labels")
    rater = models.CharField(max_length=120, help_text="user:NAME, llm:ENGINE/MODEL or gold:SET")
    schema = models.ForeignKey(AnnotationSchema, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+")
    value = models.JSONField()
    raw_output = models.TextField(blank=True, help_text="LLM judge: the completion, verbatim.")
    revisions = models.JSONField(default=list, blank=True,
                                 help_text="Earlier values the annotator replaced: [{value, until}].")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "rater"], condition=Q(item__isnull=False),
                                    name="one_label_per_rater_and_item"),
            models.UniqueConstraint(fields=["turn", "rater"], condition=Q(kind="feedback"),
                                    name="one_feedback_per_rater_and_turn"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} label by {self.rater}"


class Adjudication(models.Model):
    """The final decision on a disputed item, with the labels it overruled."""

    item = models.OneToOneField(QueueItem, on_delete=models.CASCADE, related_name="adjudication")
    label = models.OneToOneField(Label, on_delete=models.PROTECT, related_name="adjudication")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)
    originals = models.JSONField(help_text="The labels as they stood: [{rater, value, label_id}].")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"adjudication of item {self.item_id}"


class CandidatePair(models.Model):
    """Two candidate tutor replies to one student turn; the student saw one of them."""

    turn = models.ForeignKey("tutoring.Turn", on_delete=models.CASCADE, related_name="+",
                             help_text="The student turn both candidates answer.")
    reply_a = models.TextField()
    reply_b = models.TextField()
    shown = models.CharField(max_length=1, choices=[("A", "A"), ("B", "B")])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"candidate pair {self.pk} for turn {self.turn_id}"
