"""Reading the e-mail reports backup software sends, so a school's backups report themselves.

Three common formats are understood:

- Veeam Backup & Replication and Veeam Agent: the subject is "[Success] Job name (N machines)", "[Warning] ..." or
  "[Failed] ..."; the HTML body's summary table gives the start and end time and the total size.
- Windows Server Backup (through the usual scheduled-task mailer on event 4 / 5 / 517 of
  Microsoft-Windows-Backup): "Windows Server Backup: SERVER01 - Success" (or Failed / Warning), and a body saying
  "The backup operation has finished successfully" or "... has failed with following error code".
- Synology Hyper Backup: "[NAS01] Backup task Daily to C2 completed" (or "... has failed", "... partially
  completed"), with "Start time:" and "End time:" lines in the body.

`parse_report(raw)` gives a ParsedReport; anything else raises ReportRejected with a reason a person can act on.
Matching the report to a job (by name) is the service's work (om/storage/services.py, backup_report_receive).
"""

from __future__ import annotations

import email
import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime

from django.utils import timezone

from om.storage.models import ResultStatus, Software

MAX_BYTES = 2 * 1024 * 1024  # a backup report is a few KB; anything over 2 MB is not one


class ReportRejected(ValueError):
    """The message is not a backup report this product reads; the text says why."""


@dataclass(frozen=True)
class ParsedReport:
    software: str
    job_name: str
    status: str
    started_at: datetime | None
    finished_at: datetime
    size_bytes: int | None
    message: str
    subject: str
    sender: str


VEEAM_SUBJECT = re.compile(
    r"^\s*\[(?P<status>success|warning|failed|error)\]\s+(?P<name>.+?)"
    r"(?:\s+\((?P<count>\d+)\s+(?:machines?|vms?|objects?|computers?|servers?)\))?(?:\s+\d+\s+\w+)*\s*$",
    re.IGNORECASE,
)
WSB_SUBJECT = re.compile(
    r"windows\s+server\s+backup\s*(?:on|:|-)\s*(?P<name>[\w.\-]+)\s*(?:[:\-–]\s*(?P<status>\w+))?", re.IGNORECASE
)
HYPER_BACKUP = re.compile(
    r"backup\s+task\s+\[?(?P<name>[^\]\n]+?)\]?\s+(?:on\s+[\w.\-]+\s+)?(?:has\s+|was\s+)?"
    r"(?P<verb>partially\s+completed|completed\s+with\s+warnings?|completed\s+successfully|completed|succeeded|"
    r"failed|been\s+cancelled|been\s+canceled|cancelled|canceled)",
    re.IGNORECASE,
)
SIZE = re.compile(r"(?P<value>\d+(?:[.,]\d+)?)\s*(?P<unit>[KMGT]?i?B)\b", re.IGNORECASE)
UNITS = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}
TIME_FORMATS = (
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%A, %d %B %Y %H:%M:%S",
    "%d %B %Y %H:%M:%S",
    "%d %b %Y %H:%M:%S",
)


def _text_of(message: EmailMessage) -> str:
    """The body as plain text: the text part if there is one, else the HTML part with its tags taken out."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeDecodeError):
        content = part.get_payload(decode=True).decode("utf-8", errors="replace")
    if part.get_content_subtype() == "html":
        content = re.sub(r"(?is)<(script|style).*?</\1>", " ", content)
        content = re.sub(r"(?i)<br\s*/?>|</(p|div|tr|h\d|li)>", "\n", content)
        content = re.sub(r"(?i)</t[dh]>", " | ", content)
        content = html.unescape(re.sub(r"<[^>]+>", " ", content))
    lines = [re.sub(r"[ \t\xa0]+", " ", line).strip(" |") for line in content.splitlines()]
    return "\n".join(line for line in lines if line)


def _moment(text: str, label: str, default_date: datetime | None) -> datetime | None:
    """The date and time after `label` ("Start time: 24/11/2026 22:00:05" or "Start time | 22:00:05")."""
    match = re.search(rf"{label}\s*[:|]?\s*([^\n|]+)", text, re.IGNORECASE)
    if not match:
        return None
    value = match.group(1).strip().rstrip(".").strip("'\"")
    iso = re.match(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?(Z)?", value)
    if iso:
        moment = datetime.fromisoformat(f"{iso.group(1)} {iso.group(2)}")
        return moment.replace(tzinfo=UTC) if iso.group(4) else timezone.make_aware(moment)
    for fmt in TIME_FORMATS:
        try:
            return timezone.make_aware(datetime.strptime(value, fmt))  # noqa: DTZ007 (local time, made aware)
        except ValueError:
            continue
    only_time = re.match(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$", value)
    if only_time and default_date is not None:
        local = timezone.localtime(default_date)
        hour, minute, second = (int(part or 0) for part in only_time.groups())
        return local.replace(hour=hour, minute=minute, second=second, microsecond=0)
    return None


def _size(text: str, *labels: str) -> int | None:
    for label in labels:
        match = re.search(rf"{label}\s*[:|]?\s*([^\n|]+)", text, re.IGNORECASE)
        found = SIZE.search(match.group(1)) if match else None
        if found:
            unit = found.group("unit").upper().replace("I", "")
            return int(float(found.group("value").replace(",", ".")) * UNITS.get(unit, 1))
    return None


def _sent_at(message: EmailMessage) -> datetime:
    try:
        sent = parsedate_to_datetime(str(message.get("Date", "")))
    except (TypeError, ValueError, IndexError):
        sent = None
    if sent is None:
        return timezone.now()
    return sent if sent.tzinfo else timezone.make_aware(sent)


def _veeam(subject: str, text: str, sent: datetime):
    match = VEEAM_SUBJECT.match(subject)
    assert match is not None
    status = {"success": ResultStatus.SUCCESS, "warning": ResultStatus.WARNING}.get(
        match.group("status").lower(), ResultStatus.FAILED
    )
    name = re.sub(r"^(?:backup|backup copy|agent backup)\s+job:?\s+", "", match.group("name").strip(), flags=re.I)
    started = _moment(text, "Start time", sent)
    finished = _moment(text, "End time", sent)
    size = _size(text, "Total size", "Backup size", "Transferred", "Processed")
    lines = [line for line in text.splitlines() if re.search(r"error|warning|failed", line, re.IGNORECASE)]
    return Software.VEEAM, name, status, started, finished, size if size is not None else None, "\n".join(lines[:10])


def _wsb(subject: str, text: str, sent: datetime):
    match = WSB_SUBJECT.search(subject) or WSB_SUBJECT.search(text)
    assert match is not None
    said = f"{match.group('status') or ''} {text}".lower()
    if re.search(r"\bfail|error code|was not successful|did not complete", said):
        status = ResultStatus.FAILED
    elif re.search(r"warning|completed with|some files", said):
        status = ResultStatus.WARNING
    elif re.search(r"success|finished successfully|completed", said):
        status = ResultStatus.SUCCESS
    else:
        raise ReportRejected(
            f"A Windows Server Backup report for {match.group('name')}, but it says neither success nor failure."
        )
    lines = [line for line in text.splitlines()
             if re.search(r"backup operation|error|warning|0x[0-9a-f]{8}", line, re.IGNORECASE)]  # fmt: skip
    started = _moment(text, "Start time", sent) or _moment(text, "started at", sent)
    finished = _moment(text, "End time", sent)
    return Software.WSB, match.group("name"), status, started, finished, _size(text, "Size", "Data transferred"), \
        "\n".join(lines[:10])  # fmt: skip


def _hyper_backup(subject: str, text: str, sent: datetime):
    match = HYPER_BACKUP.search(subject) or HYPER_BACKUP.search(text)
    assert match is not None
    verb = match.group("verb").lower()
    if "partial" in verb or "warning" in verb:
        status = ResultStatus.WARNING
    elif verb.startswith(("completed", "succeeded")):
        status = ResultStatus.SUCCESS
    else:
        status = ResultStatus.FAILED
    lines = [line for line in text.splitlines() if re.search(r"reason|error|fail|warning|cancel", line, re.IGNORECASE)]
    started = _moment(text, "Start time", sent)
    finished = _moment(text, "End time", sent)
    size = _size(text, "Total size", "Backup size", "Transferred size", "Data transferred")
    return Software.HYPER_BACKUP, match.group("name").strip(), status, started, finished, size, "\n".join(lines[:10])


def parse_report(raw: bytes | str) -> ParsedReport:
    """Read one RFC 822 message as a backup report, or raise ReportRejected saying why it is not one."""
    data = raw.encode("utf-8", errors="replace") if isinstance(raw, str) else bytes(raw or b"")
    if not data.strip():
        raise ReportRejected("The message is empty.")
    if len(data) > MAX_BYTES:
        raise ReportRejected(f"The message is {len(data) // 1024} KB: a backup report is a few KB, so it was refused.")
    message = email.message_from_bytes(data, policy=policy.default)
    subject = " ".join(str(message.get("Subject", "")).split())
    if not subject and not message.get("From"):
        raise ReportRejected("This is not an e-mail message: it has neither a Subject nor a From header.")
    sender = str(message.get("From", ""))[:200]
    text = _text_of(message)
    sent = _sent_at(message)
    if VEEAM_SUBJECT.match(subject):
        parsed = _veeam(subject, text, sent)
    elif WSB_SUBJECT.search(subject) or (
        "windows server backup" in text.lower() and "backup operation" in text.lower() and WSB_SUBJECT.search(text)
    ):
        parsed = _wsb(subject, text, sent)
    elif HYPER_BACKUP.search(subject) or ("hyper backup" in text.lower() and HYPER_BACKUP.search(text)):
        parsed = _hyper_backup(subject, text, sent)
    else:
        raise ReportRejected(
            f"“{subject or '(no subject)'}” is not a backup report this product reads. Expected a Veeam subject "
            "“[Success] Job name (N machines)” ([Warning], [Failed]), “Windows Server Backup: SERVER - Success”, or "
            "a Synology Hyper Backup “Backup task NAME completed / has failed”."
        )
    software, name, status, started, finished, size, note = parsed
    if not name:
        raise ReportRejected(f"“{subject}” names no backup job.")
    finished = finished or sent
    if started and started > finished:
        started = None  # a report that ran past midnight with only times given: keep the end, drop the start
    return ParsedReport(software, name[:150], status, started, finished, size, note.strip()[:2000], subject[:300],
                        sender)  # fmt: skip
