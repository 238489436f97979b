"""Write paths of exports: request one, run it, record it in the audit log; API tokens."""

from __future__ import annotations

import hashlib
import logging
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from apps.accounts.audit import record as audit
from apps.accounts.models import User
from apps.accounts.selectors import withdrawn_learner_ids
from apps.exports.filters import ExportFilters
from apps.exports.formats import FORMATS
from apps.exports.models import ApiToken, Export
from apps.exports.names import Person
from apps.exports.pipeline import ExportError, write_dataset
from apps.exports.privacy import Privacy
from apps.exports.records import Record
from apps.exports.sources import sources_for
from apps.jobs.queueing import enqueue_on_commit

log = logging.getLogger(__name__)
TOKEN_PREFIX = "tg_"
RUN_EXPORT_TASK = "apps.exports.tasks.run_export_task"


def request_export(user: User | None, *, format_name: str, file_type: str, filters: ExportFilters,
                   directory: Path | None = None, enqueue: bool = True) -> Export:
    """Record an export an admin asked for (and queue it); `user` None means the shell."""
    if user is not None and not user.is_admin:
        raise PermissionDenied("only admins can export data")
    check_exportable(format_name, file_type, filters)
    with transaction.atomic():
        export = Export.objects.create(format=format_name, file_type=file_type,
                                       filters=filters.to_json(), created_by=user)
        export.directory = str(directory or Path(settings.EXPORTS_ROOT) / f"export-{export.pk}")
        export.save(update_fields=["directory"])
        audit(user, "export.requested", export, format=format_name,
              file_type=file_type, filters=export.filters, via="shell" if user is None else "web")
        if enqueue:
            enqueue_on_commit(RUN_EXPORT_TASK, export.pk, job=export)
    return export


def check_exportable(format_name: str, file_type: str, filters: ExportFilters) -> None:
    """Raise ExportError with a message a person can act on if nothing could be exported."""
    fmt = FORMATS.get(format_name)
    if fmt is None:
        raise ExportError(f"unknown format {format_name!r}; choose one of {', '.join(FORMATS)}")
    if file_type not in Export.FileType.values:
        raise ExportError(f"unknown file type {file_type!r}; choose one of "
                          f"{', '.join(Export.FileType.values)}")
    if file_type not in fmt.file_types:
        raise ExportError(f"{fmt.name} files are {' or '.join(fmt.file_types)} only (OpenAI fine-tuning "
                          f"takes JSONL); choose file type {fmt.file_types[0]}")
    if not sources_for(fmt.reads, filters):
        asked = ", ".join(filters.sources) or "any source"
        raise ExportError(f"no source provides {fmt.reads.__name__} records for {fmt.name} "
                          f"from {asked} yet")


def privacy_for_export() -> Privacy:
    """The names to scrub and the students to leave out, read now, with a fresh secret."""
    people = tuple(Person(first_name=first, last_name=last, username=username) for username, first, last
                   in User.objects.values_list("username", "first_name", "last_name").iterator())
    opted_out = withdrawn_learner_ids()
    return Privacy(people=people, opted_out=frozenset(opted_out))


def run_export(export_id: int) -> Export:
    """Write an export's files; idempotent (a finished export is left alone), never half-done."""
    with transaction.atomic():
        export = Export.objects.select_for_update().get(pk=export_id)
        if export.status in (Export.Status.DONE, Export.Status.FAILED):
            return export
        rerun = export.status == Export.Status.RUNNING  # redelivered after a worker died
        export.status, export.started_at, export.progress = Export.Status.RUNNING, timezone.now(), 0
        export.save(update_fields=["status", "started_at", "progress"])
    directory = Path(export.directory)
    filters = ExportFilters.from_json(export.filters)
    try:
        if rerun and directory.exists():
            shutil.rmtree(directory)  # the last attempt died between its rename and marking done
        manifest = write_dataset(
            _records(export.format, filters), format_name=export.format, file_type=export.file_type,
            out_dir=directory, filters=filters, privacy=privacy_for_export(),
            total=_total(export.format, filters), on_progress=_progress_saver(export.pk),
            about={"export_id": export.pk},
            sources=[name for name, _ in sources_for(FORMATS[export.format].reads, filters)])
    except Exception as exc:
        log.exception("export %s failed", export.pk)
        Export.objects.filter(pk=export.pk).update(
            status=Export.Status.FAILED, error=f"{type(exc).__name__}: {exc}", finished_at=timezone.now())
        audit(export.created_by, "export.failed", export, error=str(exc))
        export.refresh_from_db()
        return export
    try:
        with transaction.atomic():
            Export.objects.filter(pk=export.pk).update(
                status=Export.Status.DONE, progress=1.0, counts=manifest["counts"], manifest=manifest,
                files=[f["name"] for f in manifest["files"]] + ["manifest.json"],
                records_read=manifest["counts"]["read"], finished_at=timezone.now())
            audit(export.created_by, "export.completed", export,
                  format=export.format, filters=export.filters, counts=manifest["counts"])
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    export.refresh_from_db()
    return export


def _records(format_name: str, filters: ExportFilters) -> Iterator[Record]:
    for _, adapter in sources_for(FORMATS[format_name].reads, filters):
        yield from adapter.records(filters)


def _total(format_name: str, filters: ExportFilters) -> int:
    return sum(adapter.count(filters) for _, adapter in sources_for(FORMATS[format_name].reads, filters))


def _progress_saver(export_id: int):
    def save(done: int, total: int | None) -> None:
        progress = min(done / total, 0.99) if total else 0
        Export.objects.filter(pk=export_id).update(progress=progress, records_read=done)

    return save


def record_download(user: User, export: Export, file_name: str, via: str) -> None:
    audit(user, "export.downloaded", export, file=file_name, via=via)


def issue_token(user: User, name: str) -> tuple[ApiToken, str]:
    """A new API token for an admin; the raw token is returned once and never stored."""
    if not user.is_admin:
        raise PermissionDenied("only admins hold API tokens")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=raw[:10], key_hash=hash_token(raw))
    audit(user, "api_token.issued", token, name=name)
    return token, raw


def revoke_token(user: User, token_id: int) -> bool:
    """Revoke one of the user's active tokens; False when they hold no such token."""
    token = ApiToken.objects.filter(pk=token_id, user=user, revoked_at=None).first()
    if token is None:
        return False
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit(user, "api_token.revoked", token)
    return True


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def user_for_token(raw: str) -> User | None:
    """The active user a bearer token belongs to, or None; marks the token used."""
    token = (ApiToken.objects.select_related("user")
             .filter(key_hash=hash_token(raw), revoked_at=None, user__is_active=True).first())
    if token is None:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user
