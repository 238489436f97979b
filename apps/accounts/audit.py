"""The audit log: one call records who did what to which object."""

from __future__ import annotations

from django.db import models

from apps.accounts.models import AuditEvent


def record(actor, action: str, target: models.Model | None = None, **details) -> AuditEvent:
    """Store one audit event; `details` must be JSON-serialisable."""
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None, action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "", details=details)
