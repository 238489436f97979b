"""Dataset exports, the audit log of sensitive actions, and admins' API tokens for scripts."""

from django.conf import settings
from django.db import models

from apps.jobs.models import Job


class Export(Job):
    """One dataset export: its format, filters, files and manifest; status and progress as a Job."""

    class FileType(models.TextChoices):
        JSONL = "jsonl"
        PARQUET = "parquet"

    format = models.CharField(max_length=32)
    file_type = models.CharField(max_length=16, choices=FileType.choices, default=FileType.JSONL)
    filters = models.JSONField(default=dict, blank=True)
    records_read = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    manifest = models.JSONField(default=dict, blank=True)
    files = models.JSONField(default=list, blank=True, help_text="File names in `directory`.")
    directory = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"export {self.pk} {self.format}/{self.file_type} ({self.status})"


class ApiToken(models.Model):
    """A bearer token for scripts; only its SHA-256 is stored, the token is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, help_text="First characters, to recognise it.")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…) of {self.user}"
