"""A human learner's checked answers, per skill: the reward history their ATLAS lane is read from."""

from django.conf import settings
from django.db import models

from agents.atlas.lanes import LANES


class LearnerReward(models.Model):
    """One checked answer of a learner on a skill: its reward, the lane the tutor ran in, why."""

    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="rewards")
    skill = models.CharField(max_length=100)
    score = models.FloatField(help_text="0 to 1.")
    lane = models.CharField(max_length=10, choices=[(lane, lane) for lane in LANES])
    source = models.CharField(max_length=20, blank=True, help_text="Who scored it: the checker.")
    rationale = models.TextField(blank=True)
    answer_turn_id = models.BigIntegerField(
        null=True, blank=True, unique=True,
        help_text="The tutoring turn whose answer was checked: one reward per answer, however "
                  "often its task runs.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["learner", "skill", "id"])]

    def __str__(self) -> str:
        return f"{self.learner_id}/{self.skill}: {self.score:.2f} ({self.lane})"
