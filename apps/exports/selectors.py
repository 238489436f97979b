"""Read paths of exports."""

from pathlib import Path

from django.db.models import Q, QuerySet

from apps.accounts.models import AuditEvent
from apps.exports.models import ApiToken, Export


def exports() -> QuerySet[Export]:
    return Export.objects.select_related("created_by")


def recent_audit(limit: int = 20) -> list[AuditEvent]:
    """The latest export and API-token events of the audit log."""
    events = AuditEvent.objects.filter(Q(action__startswith="export.")
                                       | Q(action__startswith="api_token."))
    return list(events.select_related("actor")[:limit])


def tokens_of(user) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user, revoked_at=None).order_by("-created_at")


def downloadable_file(export: Export, name: str) -> Path | None:
    """The path of one of a finished export's files, or None (unknown name, not done)."""
    if export.status != Export.Status.DONE or name not in export.files:
        return None
    path = Path(export.directory) / name
    return path if path.is_file() else None
