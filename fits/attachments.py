"""Files attached to records (DESIGN.md 4.3): checked by content, stored under random names, served as downloads.

Every process uses the same three steps: `check_upload()` says whether a file may be kept (size,
and a type recognised from its first bytes, never from the name the uploader chose),
`attachments_add()` stores a batch of them on a record and writes one timeline entry, and
`as_download()` answers a request for one, after the caller's view has checked that the person
may see the record. The allowed types are the ones people send to a service desk: screenshots
and photos (PNG, JPEG, GIF, WebP), PDF, plain text, and Word and Excel documents.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import rules
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.http import FileResponse
from django.template.defaultfilters import filesizeformat

from fits import access, activity
from fits.models import Activity, Attachment, User

MAX_FILES = 5  # at a time: a screenshot or two and a document, not a photo album
SNIFF_BYTES = 8192
NAME_LENGTH = 120
# Archive bombs (a .docx or .xlsx is a ZIP): what its members may add up to once unpacked, how many there may be,
# and how much smaller than its unpacked size a large member may be (real documents compress 2 to 20 times).
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_MEMBERS = 2000
MAX_RATIO = 100
# Imports (CSV, iCalendar, Excel) read whole into memory: at most this much.
IMPORT_MAX_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class FileType:
    media_type: str
    label: str
    extensions: tuple[str, ...]  # the first is added to a name that does not end in one of them


PNG = FileType("image/png", "PNG image", (".png",))
JPEG = FileType("image/jpeg", "JPEG image", (".jpg", ".jpeg"))
GIF = FileType("image/gif", "GIF image", (".gif",))
WEBP = FileType("image/webp", "WebP image", (".webp",))
PDF = FileType("application/pdf", "PDF document", (".pdf",))
TEXT = FileType("text/plain", "text file", (".txt", ".log", ".csv"))
DOCX = FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word document", (".docx",))
XLSX = FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel workbook", (".xlsx",))

ALLOWED_TYPES = (PNG, JPEG, GIF, WEBP, PDF, TEXT, DOCX, XLSX)
ALLOWED_DESCRIPTION = "screenshots and photos (PNG, JPEG, GIF, WebP), PDF, plain text, Word (.docx) or Excel (.xlsx)"
# What the file input offers; the server decides from the content, never from this.
ACCEPT = ",".join(ext for kind in ALLOWED_TYPES for ext in kind.extensions) + ",image/*"


def max_bytes() -> int:
    return settings.FITS_ATTACHMENT_MAX_BYTES


def size_text(size: int) -> str:
    """ "2.0 KB", with a plain space: these words go into timelines and e-mails as well as pages."""
    return filesizeformat(size).replace("\xa0", " ")


# =============================================================================
# Recognising a file by its content
# =============================================================================


def _office_type(data: Any) -> FileType | None:
    """A .docx or .xlsx is a ZIP holding [Content_Types].xml and a word/ or xl/ folder."""
    try:
        with zipfile.ZipFile(data) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if any(name.startswith("word/") for name in names):
        return DOCX
    if any(name.startswith("xl/") for name in names):
        return XLSX
    return None


def archive_problem(data: Any) -> str | None:
    """Why a ZIP-based file (Word, Excel) may not be unpacked here, from its directory alone; None when it may.

    Nothing is decompressed: the sizes its members declare are checked (total, count, ratio). openpyxl and any
    later reader trust those sizes to stop, so a member that lies about them fails in zipfile, not in memory.
    """
    try:
        with zipfile.ZipFile(data) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return "it is not a readable Word or Excel file"
    finally:
        if hasattr(data, "seek"):
            data.seek(0)
    if len(members) > MAX_MEMBERS:
        return f"it holds {len(members)} files (at most {MAX_MEMBERS})"
    unpacked = sum(member.file_size for member in members)
    if unpacked > MAX_UNPACKED_BYTES:
        return f"it would unpack to {size_text(unpacked)} (at most {size_text(MAX_UNPACKED_BYTES)})"
    for member in members:
        if member.file_size > 1024 * 1024 and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            return f"it is compressed {member.file_size // max(member.compress_size, 1)} times (an archive bomb?)"
    return None


def _is_text(head: bytes) -> bool:
    """UTF-8 (or ASCII) text without control characters other than tabs, line and page breaks."""
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 4:  # not just a character cut in half at the end of the sample
            return False
        text = head[: error.start].decode("utf-8")
    return not any(ord(ch) < 32 and ch not in "\t\n\r\f" for ch in text) and "\x7f" not in text


def _is_8bit_text(upload: Any) -> bool:
    """Text in a single-byte encoding: no NUL bytes and no control characters but tabs, line and page breaks."""
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    return bool(head) and not any(byte < 32 and byte not in b"\t\n\r\f" for byte in head) and b"\x7f" not in head


def sniff(upload: Any) -> FileType | None:
    """The type of an uploaded file, from its first bytes (magic numbers); None if it is not an allowed one."""
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"PK\x03\x04"):
        found = _office_type(upload)
        upload.seek(0)
        return found
    if head and _is_text(head):
        return TEXT
    return None


def clean_name(name: str, kind: FileType) -> str:
    """The uploader's file name made safe to show and to offer as a download name.

    No folders, no control characters, at most NAME_LENGTH characters, and an extension that
    matches the content (a PNG called report.html is offered as report.html.png).
    """
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    name = re.sub(r"\s+", " ", name) or "attachment"
    stem, dot, ext = name.rpartition(".")
    if not dot or f".{ext.lower()}" not in kind.extensions:
        stem, ext = name, kind.extensions[0].lstrip(".")
    stem = stem[: NAME_LENGTH - len(ext) - 1].rstrip(" .") or "attachment"
    return f"{stem}.{ext}"


def check_upload(upload: Any) -> FileType:
    """The file's type if it may be kept; ValidationError naming the file and what is wrong otherwise."""
    name = getattr(upload, "name", "") or "The file"
    if upload.size == 0:
        raise ValidationError(f"{name} is empty.", code="empty")
    if upload.size > max_bytes():
        raise ValidationError(
            f"{name} is {size_text(upload.size)}: files can be at most {size_text(max_bytes())} each.",
            code="too_big",
        )
    kind = sniff(upload)
    if kind is None:
        raise ValidationError(
            f"{name} is not a type we accept. Attach {ALLOWED_DESCRIPTION}.",
            code="type",
        )
    if kind in (DOCX, XLSX) and (problem := archive_problem(upload)):
        raise ValidationError(f"{name} is refused: {problem}.", code="archive")
    return kind


def check_import(upload: Any, *, kinds: tuple[FileType, ...] = (TEXT,), what: str = "a CSV file") -> Any:
    """A file given to an import (CSV, iCalendar, Excel), checked before anything reads it: not empty, at most
    IMPORT_MAX_BYTES, of one of `kinds` by its content (never its name), and no archive bomb. Returns the upload,
    rewound; ValidationError saying what is wrong otherwise. For forms' clean_<field>()."""
    name = getattr(upload, "name", "") or "The file"
    if not upload.size:
        raise ValidationError(f"{name} is empty.", code="empty")
    if upload.size > IMPORT_MAX_BYTES:
        raise ValidationError(
            f"{name} is {size_text(upload.size)}: an import can be at most {size_text(IMPORT_MAX_BYTES)}.",
            code="too_big",
        )
    kind = sniff(upload)
    if kind is None and TEXT in kinds and _is_8bit_text(upload):
        kind = TEXT  # a spreadsheet's CSV in Windows-1252 (a £ sign) is text too, if not UTF-8
    if kind is None or kind not in kinds:
        raise ValidationError(f"{name} is not {what} (judged by its content, not its name).", code="type")
    if kind in (DOCX, XLSX) and (problem := archive_problem(upload)):
        raise ValidationError(f"{name} is refused: {problem}.", code="archive")
    upload.seek(0)
    return upload


def check_uploads(uploads: Iterable[Any]) -> list[tuple[Any, FileType]]:
    """Every file checked (all the problems at once), and no more than MAX_FILES of them."""
    uploads = [upload for upload in uploads if upload]
    errors, checked = [], []
    if len(uploads) > MAX_FILES:
        errors.append(ValidationError(f"Attach at most {MAX_FILES} files at a time ({len(uploads)} chosen)."))
    for upload in uploads:
        try:
            checked.append((upload, check_upload(upload)))
        except ValidationError as error:
            errors.append(error)
    if errors:
        raise ValidationError(errors)
    return checked


# =============================================================================
# Storing and reading
# =============================================================================


@transaction.atomic
def attachments_add(
    *,
    record: models.Model,
    uploads: Iterable[Any],
    actor: User | None,
    permission: rules.Predicate | None,
    public: bool = True,
) -> list[Attachment]:
    """Attach files to `record` (any school-owned record: an incident, a request, a change).

    `permission` is the record's own predicate for adding to it (checked against `actor`; None only
    for the system, e.g. mail intake acting for an unknown sender). Each file is checked by content,
    stored under a random name, and the batch writes one timeline entry.
    """
    if permission is not None:
        access.require(permission, actor, record, "You cannot attach files to this record.")
    checked = check_uploads(uploads)
    if not checked:
        return []
    content_type = ContentType.objects.get_for_model(record)
    added = []
    for upload, kind in checked:
        upload.seek(0)
        attachment = Attachment(
            school_id=record.school_id,
            content_type=content_type,
            object_id=record.pk,
            name=clean_name(getattr(upload, "name", ""), kind),
            media_type=kind.media_type,
            size=upload.size,
            public=public,
            uploaded_by=actor,
        )
        # The storage name is random (fits.models.attachment_path); the given name is only for display.
        attachment.file.save(attachment.name, _as_file(upload), save=False)
        attachment.save()
        added.append(attachment)
    names = ", ".join(f"{a.name} ({size_text(a.size)})" for a in added)
    activity.record(
        record,
        actor=actor,
        kind=Activity.Kind.FIELD,
        text=f"Attached {names}." if len(added) == 1 else f"Attached {len(added)} files: {names}.",
        public=public,
        changes={"attachments": [None, [a.name for a in added]]},
    )
    return added


def _as_file(upload: Any) -> Any:
    if isinstance(upload, UploadedFile):
        return upload
    from django.core.files import File

    return File(upload if hasattr(upload, "read") else io.BytesIO(upload))


def attachments_of(record: models.Model, *, include_internal: bool) -> models.QuerySet[Attachment]:
    """The files of `record`, oldest first; internal ones only when asked for (the caller has checked
    that the person may see the record, as for its timeline)."""
    files = Attachment.objects.filter(
        content_type=ContentType.objects.get_for_model(record), object_id=record.pk, school_id=record.school_id
    ).select_related("uploaded_by")
    return files if include_internal else files.filter(public=True)


def as_download(attachment: Attachment) -> FileResponse:
    """The file as a download: never shown inline, never sniffed into something else, never cached by others."""
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.media_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
