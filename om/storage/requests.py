"""The Service Desk catalogue's "Restore a file or folder" item, carried out by Storage Management
(servicedesk/handlers.py): when the request is ready, a RestoreRequest is recorded with its target time, and the
user's ticket is told what to expect. A restore from further back than the backups keep is refused at once (the
request is not logged: the ValidationError reaches the user's form)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError

from om.storage import services
from om.storage.models import BackupJob, RestoreKind

# The answer keys the catalogue item's form uses (om/storage/demo.py makes the item).
KIND_WORDS = {
    "file": RestoreKind.FILE,
    "folder": RestoreKind.FOLDER,
    "share": RestoreKind.SHARE,
    "drive": RestoreKind.SHARE,
    "mailbox": RestoreKind.MAILBOX,
    "e-mail": RestoreKind.MAILBOX,
    "server": RestoreKind.SYSTEM,
    "system": RestoreKind.SYSTEM,
}
FORM_FIELDS = [
    {"name": "what", "label": "What should be restored?", "type": "text", "required": True,
     "help": "The file or folder name, as exactly as you can."},
    {"name": "kind", "label": "Is it", "type": "choice", "required": True,
     "choices": ["A file or a few files", "A folder", "A whole shared drive", "A mailbox or e-mails"]},
    {"name": "location", "label": "Where was it?", "type": "text", "required": True,
     "help": "The drive and folder, e.g. S:\\Science\\Year 9."},
    {"name": "restore_from", "label": "As it was on", "type": "date", "required": False,
     "help": "The last day it was right. Leave empty for the latest copy."},
]  # fmt: skip


def _kind(value: Any) -> str:
    text = str(value or "").lower()
    for word, kind in KIND_WORDS.items():
        if word in text:
            return kind
    return RestoreKind.FILE


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError as error:
        raise ValidationError({"restore_from": f"“{value}” is not a date."}) from error


def _job_for(school, location: str) -> BackupJob | None:
    """The job protecting the share the location names (\\\\server\\share or the share's name), if one does."""
    words = location.lower().replace("/", "\\")
    for job in BackupJob.objects.filter(school=school, is_active=True).prefetch_related("shares"):
        for share in job.shares.all():
            if share.name.lower().rstrip("$") in words or share.path.lower().replace("/", "\\") in words:
                return job
    return None


def restore(*, service_request, event: str) -> None:
    """The handler: on "ready" record the restore request; on "declined" there is nothing to undo."""
    if event != "ready":
        return
    answers = service_request.answers or {}
    school = service_request.school
    location = str(answers.get("location") or "")
    services.restore_request_log(
        school=school,
        ticket=service_request.ticket,
        kind=_kind(answers.get("kind")),
        what=str(answers.get("what") or service_request.ticket.title),
        location=location,
        restore_from=_date(answers.get("restore_from")),
        job=_job_for(school, location),
        requested_at=service_request.ticket.created_at,
    )
