"""What the teacher's pages store: which alerts a teacher has seen."""

from django.conf import settings
from django.db import models


class AlertAcknowledgement(models.Model):
    """A teacher saw an alert on a session; it stays quiet until the student writes again."""

    session = models.ForeignKey("tutoring.TutoringSession", on_delete=models.CASCADE,
                                related_name="alert_acknowledgements")
    kind = models.CharField(max_length=16, help_text="struggling | misconception | frustration")
    subject = models.CharField(max_length=120, blank=True,
                               help_text="The misconception key, for misconception alerts.")
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                        null=True, related_name="+")
    acknowledged_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "kind", "subject"],
                                               name="uniq_alert_acknowledgement")]

    def __str__(self) -> str:
        return f"{self.kind} alert on session {self.session_id} acknowledged"
