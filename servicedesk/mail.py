"""E-mail intake (FITS Service Desk): the school's support address as one more way to reach the single
point of contact, creating the same records through the same services as the portal.

Every message is kept raw first, in its own transaction, whatever becomes of it; then it is read
(robustly: any charset, broken headers, HTML-only mail) and becomes one outcome:

- an auto-reply or a bounce (Auto-Submitted, Precedence, X-Autoreply, mailer-daemon, DSN reports,
  an empty Return-Path) is kept and ignored: it never opens a ticket and is never answered, so two
  robots cannot talk to each other through the desk;
- a message already received (same Message-ID at the school) is a duplicate;
- a reply (a reference such as [INC-000123] in the subject, or In-Reply-To / References naming a
  message of a ticket or one of our notifications, `<fits.{ticket pk}.…@…>`) adds a comment to that
  ticket: a public one by the sender when they are its caller or support staff, otherwise an
  internal note saying who wrote;
- new mail from someone with a role at the school opens a ticket for them (incidents.services.incident_log,
  channel e-mail); from anyone else it follows the mailbox's unknown-sender policy: held for the desk
  (accept for a person, or discard), a new ICT user created for the sender, or rejected;
- a message that cannot be read is failed, with the error, and listed for the desk: never lost.

Attachments become `fits.Attachment` rows on the ticket (random storage names; over-size ones are
skipped and noted). Subjects and bodies are untrusted text: stored as text, autoescaped by the pages.
"""

from __future__ import annotations

import logging
import re
import socket
import ssl
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser
from typing import Any

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.validators import validate_email
from django.db import connection, models, transaction
from django.utils import timezone

from fits import access, activity, attachments
from fits.models import Activity, Attachment, AuthorityRoleKind, Membership, Role, School, User
from incidents.models import Channel, Impact, Incident, Urgency
from incidents.services import incident_comment, incident_log
from servicedesk.models import InboundMessage, Mailbox, UnknownSenderPolicy

logger = logging.getLogger(__name__)

Outcome = InboundMessage.Outcome

# Files kept from one message (each checked like the portal's: FITS_ATTACHMENT_MAX_BYTES, allowed types).
MAX_ATTACHMENTS = 20
# A ticket's description holds at most this much of the message; the whole message stays on the inbound page.
MAX_DESCRIPTION = 50_000
IMAP_TIMEOUT = 30  # seconds, for connecting and for each IMAP command
POLL_LIMIT = 200  # messages fetched by one poll of one mailbox; the rest wait for the next poll
FETCH_CHUNK = 20  # messages fetched per IMAP command
POLL_LOCK_SECONDS = 15 * 60

REFERENCE_RE = re.compile(r"\b(INC|REQ)-(\d{1,9})\b", re.IGNORECASE)
# The Message-ID (and References) of our own notifications: <fits.{ticket pk}.{random}@{domain}>.
NOTIFICATION_ID_RE = re.compile(r"^<?fits\.(\d+)[.@]", re.IGNORECASE)
MESSAGE_ID_RE = re.compile(r"<([^<>\s]+)>")
SUBJECT_PREFIX_RE = re.compile(r"^\s*((re|fw|fwd|aw|sv|vs|antw|wg)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
ROBOT_SENDERS = ("mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon")


class UnreadableMessage(Exception):
    """The bytes are not an e-mail message at all (empty, or no header)."""


class MailboxUnavailable(Exception):
    """The IMAP server could not be reached, refused the login, or has no such folder: the message says which."""


# =============================================================================
# Reading a message (pure functions: no database)
# =============================================================================


@dataclass
class MailAttachment:
    name: str
    media_type: str
    data: bytes = field(repr=False)
    inline: bool = False

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class ParsedMessage:
    """What FITS needs of one e-mail, decoded into plain text."""

    message_id: str = ""
    sender: str = ""  # the From address, lower case ("" when there is none)
    sender_name: str = ""
    subject: str = ""
    date: str = ""
    to: str = ""
    cc: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    text: str = ""
    attachments: list[MailAttachment] = field(default_factory=list)
    headers: list[tuple[str, str]] = field(default_factory=list)
    auto_reply: str = ""  # why it is an auto-reply or a bounce, "" for a person's mail
    defects: list[str] = field(default_factory=list)

    @property
    def sender_display(self) -> str:
        if self.sender_name and self.sender:
            return f"{self.sender_name} <{self.sender}>"
        return self.sender or self.sender_name or "an unknown sender"


def clean_text(text: str) -> str:
    """Text safe to store and show: 8-bit bytes smuggled in as surrogates decoded, no NUL or control characters."""
    if any("\udc80" <= ch <= "\udcff" for ch in text):
        data = text.encode("utf-8", "surrogateescape")
        text = decode_bytes(data, None)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return CONTROL_RE.sub("", text)


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Bytes in a declared (often wrong) charset: the declared one, else UTF-8, else Windows-1252, never failing."""
    candidates = []
    if charset:
        name = charset.strip().strip('"').strip("'").lower()
        # Windows mail labels windows-1252 text as iso-8859-1 (as browsers do, read it as windows-1252).
        candidates.append("cp1252" if name in ("iso-8859-1", "latin-1", "latin1", "iso_8859-1") else name)
    candidates += ["utf-8", "cp1252"]
    for candidate in candidates:
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("latin-1")


def _header_text(value: Any) -> str:
    """A raw header value decoded: RFC 2047 encoded words in any charset, 8-bit bytes, folding."""
    value = str(value or "")
    value = re.sub(r"\r?\n[ \t]+", " ", value)
    try:
        parts = decode_header(value)
    except Exception:  # a malformed encoded word: show it as it came
        return clean_text(value).strip()
    decoded = []
    for chunk, charset in parts:
        decoded.append(decode_bytes(chunk, charset) if isinstance(chunk, bytes) else chunk)
    return clean_text("".join(decoded)).strip()


def _raw_headers(message: Message) -> list[tuple[str, str]]:
    try:
        return [(str(name), str(value)) for name, value in message.raw_items()]
    except Exception:
        return []


def _get(headers: list[tuple[str, str]], name: str) -> str:
    name = name.lower()
    for key, value in headers:
        if key.lower() == name:
            return value
    return ""


def _message_ids(value: str) -> list[str]:
    return [f"<{found}>" for found in MESSAGE_ID_RE.findall(value or "")]


def _address(value: str) -> tuple[str, str]:
    """(display name, address in lower case) of a From-like header; ("", "") when there is no address."""
    try:
        pairs = getaddresses([value])
    except Exception:
        pairs = [parseaddr(value)]
    for name, address in pairs:
        address = clean_text(address).strip().strip("<>").lower()
        if "@" in address and " " not in address:
            return clean_text(name).strip().strip('"'), address
    return "", ""


class _HTMLText(HTMLParser):
    """HTML mail as plain text: the words and the line breaks, no markup, scripts or styles."""

    SKIP = {"script", "style", "head", "title", "template", "noscript"}
    BLOCKS = {
        "p", "div", "br", "tr", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
        "hr", "section", "article", "header", "footer", "address", "dl", "dt", "dd",
    }  # fmt: skip

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.preformatted = 0
        self.link: str | None = None
        self.link_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in self.BLOCKS:
            self.parts.append("\n")
            if tag == "pre":
                self.preformatted += 1
        elif tag in ("td", "th"):
            self.parts.append(" ")
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            self.link = href if href.startswith(("http://", "https://")) else None
            self.link_text = []

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")
            if tag == "pre":
                self.preformatted = max(0, self.preformatted - 1)
        elif tag == "a" and self.link:
            if self.link not in "".join(self.link_text):
                self.parts.append(f" ({self.link[:300]})")
            self.link = None

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        if not self.preformatted:
            data = re.sub(r"\s+", " ", data)
        self.parts.append(data)
        if self.link is not None:
            self.link_text.append(data)

    def text(self) -> str:
        lines = [line.strip() for line in "".join(self.parts).replace("\xa0", " ").split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(html: str) -> str:
    """The readable text of an HTML part (nothing of it is ever kept or shown as markup)."""
    text = _html_text(html, _HTMLText.SKIP)
    if not text and html.strip():  # a broken page that never closes its <head>: read everything but scripts
        text = _html_text(html, {"script", "style"})
    return text


def _html_text(html: str, skip: set[str]) -> str:
    parser = _HTMLText()
    parser.SKIP = skip
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # html.parser is lenient; should it still give up, keep what it read
        pass
    return parser.text()


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:
        name = ""
    return _header_text(name) if name else ""


def _disposition(part: Message) -> str:
    try:
        return (part.get_content_disposition() or "").lower()
    except Exception:
        return ""


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if data is None:
        raw = part.get_payload()
        data = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""
    return data


def _is_body(part: Message) -> bool:
    return (
        part.get_content_type() in ("text/plain", "text/html")
        and not _filename(part)
        and (_disposition(part) != "attachment")
    )


def _part_text(part: Message) -> str:
    text = decode_bytes(_payload(part), part.get_content_charset())
    if part.get_content_type() == "text/html":
        text = html_to_text(text)
    return clean_text(text).strip()


def _best_alternative(parts: list[Message]) -> Message | None:
    """Of the alternatives, plain text first (the sender's own words), else the richest one we can read."""
    for part in parts:
        if not part.is_multipart() and part.get_content_type() == "text/plain" and _is_body(part):
            return part
    for part in parts:
        if part.is_multipart():
            return part
    for part in reversed(parts):
        if not part.is_multipart() and _is_body(part):
            return part
    return parts[-1] if parts else None


def _walk(part: Message, texts: list[str], attachments: list[MailAttachment], depth: int = 0) -> None:
    """Collect the body text and the attachments, choosing one of each multipart/alternative's versions."""
    if depth > 20:  # a message nested absurdly deep: stop rather than recurse for ever
        return
    content_type = part.get_content_type()
    if content_type in ("message/rfc822", "message/global"):
        inner = part.get_payload()
        inner = inner[0] if isinstance(inner, list) and inner else inner
        data = inner.as_bytes(policy=policy.SMTP) if isinstance(inner, Message) else _payload(part)
        name = _filename(part) or "forwarded message.eml"
        attachments.append(MailAttachment(name=name, media_type="message/rfc822", data=data))
        return
    if part.is_multipart():
        children = [child for child in (part.get_payload() or []) if isinstance(child, Message)]
        if content_type == "multipart/alternative":
            best = _best_alternative(children)
            # The other versions may still carry files (an inline image in the HTML version only).
            for child in children:
                if child is best:
                    _walk(child, texts, attachments, depth + 1)
                else:
                    _walk(child, [], attachments, depth + 1)
            return
        for child in children:
            _walk(child, texts, attachments, depth + 1)
        return
    if _is_body(part):
        text = _part_text(part)
        if text:
            texts.append(text)
        return
    data = _payload(part)
    if not data:
        return
    name = _filename(part) or _default_name(part, len(attachments) + 1)
    attachments.append(
        MailAttachment(name=name, media_type=content_type[:100], data=data, inline=_disposition(part) == "inline")
    )


def _default_name(part: Message, number: int) -> str:
    import mimetypes

    extension = mimetypes.guess_extension(part.get_content_type()) or ".bin"
    return f"attachment-{number}{extension}"


def auto_reply_reason(headers: list[tuple[str, str]], content_type: str, sender: str) -> str:
    """Why this message was written by a machine (an auto-reply, a bounce, a list), or "" if by a person."""
    auto_submitted = _header_text(_get(headers, "Auto-Submitted")).lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return f"Auto-Submitted: {auto_submitted}"
    precedence = _header_text(_get(headers, "Precedence")).lower()
    if precedence in ("bulk", "junk", "list", "auto_reply", "auto-reply"):
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply", "X-Autoresponder"):
        if _get(headers, name):
            return f"{name} header"
    if content_type == "multipart/report":
        return "a delivery or read report (multipart/report)"
    local = sender.split("@", 1)[0]
    if local in ROBOT_SENDERS:
        return f"sent by {local}"
    return_path = _get(headers, "Return-Path")
    if return_path and return_path.strip() == "<>":
        return "empty Return-Path (a bounce)"
    return ""


HEADER_LINE_RE = re.compile(rb"^([!-9;-~]+:|[ \t])")
BLANK_LINE_RE = re.compile(rb"\r?\n\r?\n")


def repair_headers(raw: bytes) -> tuple[bytes, int]:
    """Drop the lines of the header block that are neither a header nor its continuation (a stray
    line would otherwise end the headers there and push the rest, Message-ID and MIME structure
    included, into the body). Returns the bytes to parse and how many lines were dropped."""
    end = BLANK_LINE_RE.search(raw)
    head, rest = (raw[: end.start()], raw[end.start() :]) if end else (raw, b"")
    lines = head.splitlines(keepends=True)
    kept = [
        line
        for index, line in enumerate(lines)
        if HEADER_LINE_RE.match(line) and not (index == 0 and line[:1] in b" \t")
    ]
    return b"".join(kept) + rest, len(lines) - len(kept)


def _read(raw: bytes, how: policy.Policy) -> tuple[Message, list[str], list[MailAttachment]]:
    message = BytesParser(policy=how).parsebytes(raw)
    texts: list[str] = []
    attachments: list[MailAttachment] = []
    _walk(message, texts, attachments)
    return message, texts, attachments


def parse_message(raw: bytes) -> ParsedMessage:
    """Read raw RFC 822 bytes into what FITS needs. Raises UnreadableMessage when they are no e-mail at all."""
    if not raw or not raw.strip():
        raise UnreadableMessage("The message is empty.")
    raw, dropped = repair_headers(raw)
    try:
        message, texts, attachments = _read(raw, policy.default)
    except Exception:  # the modern parser choked on a broken header: read it the lenient, old way
        message, texts, attachments = _read(raw, policy.compat32)
    headers = _raw_headers(message)
    if not headers:
        raise UnreadableMessage("No e-mail headers found: this is not an RFC 822 message.")
    name, sender = _address(_header_text(_get(headers, "From")))
    if not sender:  # no usable From: the envelope's Sender or Reply-To say who it is
        name, sender = _address(_header_text(_get(headers, "Sender") or _get(headers, "Reply-To")))
    content_type = message.get_content_type()
    message_ids = _message_ids(_get(headers, "Message-ID"))
    return ParsedMessage(
        message_id=(message_ids[0] if message_ids else clean_text(_get(headers, "Message-ID")).strip())[:500],
        sender=sender[:300],
        sender_name=name[:150],
        subject=_header_text(_get(headers, "Subject")),
        date=_header_text(_get(headers, "Date")),
        to=_header_text(_get(headers, "To")),
        cc=_header_text(_get(headers, "Cc")),
        in_reply_to=_message_ids(_get(headers, "In-Reply-To")),
        references=_message_ids(" ".join(value for key, value in headers if key.lower() == "references")),
        text="\n\n".join(texts).strip(),
        attachments=attachments,
        headers=[(clean_text(key), _header_text(value)) for key, value in headers],
        auto_reply=auto_reply_reason(headers, content_type, sender),
        defects=[type(defect).__name__ for defect in getattr(message, "defects", [])]
        + ([f"{dropped} malformed header line(s) ignored"] if dropped else []),
    )


# Where a reply's own words end and the quoted conversation begins.
QUOTE_MARKERS = [
    re.compile(r"^-{2,}\s*(original message|forwarded message|ursprüngliche nachricht)\s*-{2,}", re.IGNORECASE),
    re.compile(r"^_{8,}\s*$"),
    re.compile(r"^#*\s*-*\s*(please )?(reply|write|type) (above|over) this line", re.IGNORECASE),
]
WROTE_RE = re.compile(r"^(on|le|am|el|il|op)\b.{0,300}\b(wrote|écrit|schrieb|escribió|scritto|schreef)\s*:\s*$", re.I)
OUTLOOK_HEADER_RE = re.compile(r"^\*?(from|de|von):\*?\s", re.IGNORECASE)
OUTLOOK_SENT_RE = re.compile(r"^\*?(sent|date|envoyé|gesendet):\*?\s", re.IGNORECASE)


def reply_text(text: str) -> str:
    """The new words of a reply, without the conversation it quotes below them ("On ... wrote:", Outlook's
    "From: / Sent:" block, "> " lines at the end). The whole text when nothing would be left."""
    lines = text.split("\n")
    cut = len(lines)
    for index, line in enumerate(lines):
        stripped = line.strip()
        joined = f"{stripped} {lines[index + 1].strip()}" if index + 1 < len(lines) else stripped
        if any(marker.match(stripped) for marker in QUOTE_MARKERS) or WROTE_RE.match(stripped):
            cut = index
            break
        if WROTE_RE.match(joined) and not stripped.startswith(">"):  # Gmail wraps "On ..., Name <\naddress> wrote:"
            cut = index
            break
        if OUTLOOK_HEADER_RE.match(stripped) and any(
            OUTLOOK_SENT_RE.match(following.strip()) for following in lines[index + 1 : index + 4]
        ):
            cut = index
            break
    kept = lines[:cut]
    while kept and (not kept[-1].strip() or kept[-1].lstrip().startswith(">")):
        kept.pop()
    result = "\n".join(kept).strip()
    return result or text.strip()


def title_of(parsed: ParsedMessage) -> str:
    """A ticket's summary from the subject (without Re:/Fwd:), else the first words of the message."""
    subject = SUBJECT_PREFIX_RE.sub("", parsed.subject).strip()
    if not subject:
        first_line = next((line.strip() for line in parsed.text.split("\n") if line.strip()), "")
        subject = first_line or f"E-mail from {parsed.sender_display}"
    return subject if len(subject) <= 200 else subject[:199] + "…"


def _headline(raw: bytes) -> tuple[str, str, str]:
    """(Message-ID, sender, subject) for the stored row, read before anything else can fail; blanks if unreadable."""
    try:
        repaired, _ = repair_headers(raw)
        parsed_headers = _raw_headers(BytesParser(policy=policy.compat32).parsebytes(repaired, headersonly=True))
        ids = _message_ids(_get(parsed_headers, "Message-ID"))
        message_id = ids[0] if ids else clean_text(_get(parsed_headers, "Message-ID")).strip()
        name, sender = _address(_header_text(_get(parsed_headers, "From")))
        return message_id[:500], sender[:300], _header_text(_get(parsed_headers, "Subject"))[:500]
    except Exception:
        return "", "", ""


# =============================================================================
# Receiving a message
# =============================================================================


def message_ingest(*, school: School, raw: bytes, source: str) -> InboundMessage:
    """Receive one e-mail for a school: keep it raw, then turn it into a ticket, a comment, or a reason why not.

    The raw message is stored in its own transaction before anything else, so nothing that goes
    wrong later can lose it: a failure leaves it `failed` with the error, for the desk to see.
    Only storing it can raise (the database is down): the caller (the MTA pipe, the poller) must
    then keep the message and try again later.
    """
    message_id, sender, subject = _headline(raw)
    with transaction.atomic():
        message = InboundMessage.objects.create(
            school=school, source=source, raw=raw, message_id=message_id, sender=sender, subject=subject
        )
    _process_safely(message.pk)
    message.refresh_from_db()
    return message


def _process_safely(pk: int, *, actor: User | None = None) -> None:
    try:
        _process(pk, actor=actor)
    except Exception as error:  # never lose a message: keep it, say why, let the desk see it
        logger.exception("Inbound message %s could not be processed", pk)
        with transaction.atomic():
            InboundMessage.objects.filter(pk=pk).update(
                outcome=Outcome.FAILED, error=f"{type(error).__name__}: {error}"[:2000]
            )


def _finish(message: InboundMessage, outcome: str, reason: str = "", ticket: Incident | None = None) -> None:
    message.outcome, message.error = outcome, reason[:2000]
    fields = ["outcome", "error"]
    if ticket is not None:
        message.ticket = ticket
        fields.append("ticket")
    message.save(update_fields=fields)


@transaction.atomic
def _process(pk: int, *, actor: User | None = None) -> None:
    # One message of a school at a time: two deliveries of the same message cannot both open a ticket.
    school_id = InboundMessage.objects.filter(pk=pk).values_list("school_id", flat=True).get()
    School.objects.select_for_update().filter(pk=school_id).values_list("pk", flat=True).first()
    message = InboundMessage.objects.select_for_update().select_related("school").get(pk=pk)
    if message.outcome != Outcome.RECEIVED:
        return  # already dealt with (a retried task)
    try:
        parsed = parse_message(bytes(message.raw))
    except UnreadableMessage as error:
        _finish(message, Outcome.FAILED, str(error))
        return
    message.message_id, message.sender, message.subject = parsed.message_id, parsed.sender, parsed.subject[:500]
    message.save(update_fields=["message_id", "sender", "subject"])
    school = message.school

    earlier = _earlier_copy(message)
    if earlier is not None:
        _finish(message, Outcome.DUPLICATE, f"Already received as message {earlier.pk}.", earlier.ticket)
        return
    if parsed.auto_reply:
        _finish(message, Outcome.AUTO_REPLY, f"{parsed.auto_reply[:1].upper()}{parsed.auto_reply[1:]}.")
        return
    if NOTIFICATION_ID_RE.match(parsed.message_id):
        _finish(message, Outcome.AUTO_REPLY, "One of our own notifications came back (a mail loop).")
        return
    if school.support_email and parsed.sender == school.support_email.lower():
        _finish(message, Outcome.AUTO_REPLY, "Sent from the support address itself (a mail loop).")
        return

    person = sender_at_school(school, parsed.sender)
    ticket = thread_of(school, parsed)
    if ticket is not None:
        _comment_from_mail(message, parsed, ticket, person)
        return
    if person is not None:
        try:
            ticket = _open_ticket(message, parsed, reporter=person, logged_by=person)
        except (PermissionDenied, ValidationError) as error:
            reason = " ".join(getattr(error, "messages", [str(error)])) or "not allowed"
            _finish(message, Outcome.HELD, f"{person} could not log it ({reason}): the desk decides.")
            return
        _finish(message, Outcome.CREATED, "", ticket)
        return
    _unknown_sender(message, parsed, actor=actor)


def _earlier_copy(message: InboundMessage) -> InboundMessage | None:
    if not message.message_id:
        return None
    return (
        InboundMessage.objects.filter(school_id=message.school_id, message_id=message.message_id, pk__lt=message.pk)
        .exclude(outcome__in=(Outcome.RECEIVED, Outcome.FAILED))
        .defer("raw")
        .order_by("pk")
        .first()
    )


def sender_at_school(school: School, address: str) -> User | None:
    """The person with this e-mail address (any case) who holds a role at the school, directly or by authority."""
    if not address:
        return None
    roles = set(Role.values) | set(AuthorityRoleKind.values)
    return User.objects.filter(email__iexact=address).with_role_at(school.pk, roles).order_by("pk").first()


def thread_of(school: School, parsed: ParsedMessage) -> Incident | None:
    """The ticket a reply belongs to: a reference in the subject, else a message it answers
    (In-Reply-To first, then References from the newest): one we received for a ticket, or one of
    our notifications (`<fits.{ticket pk}.…>`). Only tickets of this school."""
    tickets = Incident.objects.filter(school=school)
    for prefix, number in REFERENCE_RE.findall(parsed.subject):
        ticket = tickets.filter(reference=f"{prefix.upper()}-{int(number):06d}").first()
        if ticket is not None:
            return ticket
    for message_id in [*parsed.in_reply_to, *reversed(parsed.references)]:
        ours = NOTIFICATION_ID_RE.match(message_id)
        if ours:
            ticket = tickets.filter(pk=int(ours.group(1))).first()
            if ticket is not None:
                return ticket
            continue
        received = (
            InboundMessage.objects.filter(school=school, message_id=message_id, ticket__isnull=False)
            .select_related("ticket")
            .defer("raw")
            .first()
        )
        if received is not None:
            return received.ticket
    return None


def _comment_from_mail(message: InboundMessage, parsed: ParsedMessage, ticket: Incident, person: User | None) -> None:
    """A reply: a public comment by its caller or the school's support staff, else an internal note saying who wrote."""
    words = reply_text(parsed.text)
    if not words:
        words = f"(An e-mail with {len(parsed.attachments)} attachment(s) and no text.)"
    public = person is not None and access.can_comment_incident.test(person, ticket)
    if public:
        incident_comment(incident=ticket, author=person, text=words[:MAX_DESCRIPTION])
    else:
        who = f"{person} ({parsed.sender})" if person else parsed.sender_display
        text = f"E-mail from {who}:\n\n{words[:MAX_DESCRIPTION]}"
        activity.record_comment(ticket, actor=None, text=text, public=False)
        Incident.objects.filter(pk=ticket.pk).update(updated_at=timezone.now())
    _attach_files(ticket, parsed, public=public, by=person if public else None)
    reasons = [] if public else ["Added as an internal note: the sender may not comment on this ticket."]
    if not ticket.is_open:  # the caller's reply to a resolved ticket may be "thanks" or "still broken"
        reasons.append(f"{ticket.reference} is {ticket.get_status_display().lower()}: reopen it if the fault is back.")
    _finish(message, Outcome.COMMENTED, " ".join(reasons), ticket)


def _open_ticket(message: InboundMessage, parsed: ParsedMessage, *, reporter: User, logged_by: User) -> Incident:
    description = parsed.text or "(The e-mail had no text.)"
    if len(description) > MAX_DESCRIPTION:
        description = description[:MAX_DESCRIPTION] + "\n\n[Shortened: the whole message is on its inbound mail page.]"
    ticket = incident_log(
        school=message.school,
        logged_by=logged_by,
        reporter=reporter,
        title=title_of(parsed),
        description=description,
        impact=Impact.LOW,
        urgency=Urgency.MEDIUM,
        channel=Channel.EMAIL,
    )
    _attach_files(ticket, parsed, public=True, by=reporter)
    return ticket


def _safe_name(name: str) -> str:
    name = clean_text(name).replace("\\", "/").rsplit("/", 1)[-1].strip().strip(".") or "attachment"
    return name[:200]


def _attach_files(ticket: Incident, parsed: ParsedMessage, *, public: bool, by: User | None) -> list[Attachment]:
    """Keep the message's files on the ticket, checked like the portal's uploads (fits.attachments: size,
    and a type recognised from the content); note on the ticket the ones not kept, and why."""
    accepted, skipped = [], []
    for item in parsed.attachments:
        upload = SimpleUploadedFile(_safe_name(item.name), item.data, content_type=item.media_type)
        try:
            attachments.check_upload(upload)
        except ValidationError as error:
            skipped.append(" ".join(error.messages))
            continue
        if len(accepted) >= MAX_ATTACHMENTS:
            skipped.append(f"{upload.name}: more than {MAX_ATTACHMENTS} files in one message.")
            continue
        accepted.append(upload)
    kept: list[Attachment] = []
    for start in range(0, len(accepted), attachments.MAX_FILES):  # the system attaches for the sender
        batch = accepted[start : start + attachments.MAX_FILES]
        kept += attachments.attachments_add(record=ticket, uploads=batch, actor=by, permission=None, public=public)
    if skipped:
        note = "Files of the e-mail not kept:\n" + "\n".join(f"- {line}" for line in skipped)
        note += "\nThe whole message, files included, is on its inbound mail page."
        activity.record_comment(ticket, actor=None, text=note, public=False)
    return kept


def _unknown_sender(message: InboundMessage, parsed: ParsedMessage, *, actor: User | None) -> None:
    school = message.school
    policy_ = Mailbox.objects.filter(school=school).values_list("unknown_senders", flat=True).first()
    policy_ = policy_ or UnknownSenderPolicy.HOLD
    who = parsed.sender or "no sender address"
    if policy_ == UnknownSenderPolicy.REJECT:
        _finish(message, Outcome.REJECTED, f"Nobody at {school} has the address {who}; the mailbox rejects such mail.")
        return
    if policy_ == UnknownSenderPolicy.CREATE_USER and parsed.sender:
        try:
            person = mail_user_create(school=school, address=parsed.sender, name=parsed.sender_name)
        except ValidationError as error:
            _finish(message, Outcome.HELD, f"Could not create a user for {who}: {' '.join(error.messages)}")
            return
        ticket = _open_ticket(message, parsed, reporter=person, logged_by=person)
        _finish(message, Outcome.CREATED, f"New ICT user {person.username} created for {who}.", ticket)
        return
    _finish(message, Outcome.HELD, f"Nobody at {school} has the address {who}.")


# =============================================================================
# The desk's decisions
# =============================================================================


def _username_for(address: str) -> str:
    base = address.lower()[:140]
    candidate, number = base, 1
    while User.objects.filter(username=candidate).exists():
        number += 1
        candidate = f"{base}-{number}"
    return candidate


@transaction.atomic
def mail_user_create(*, school: School, address: str, name: str = "", actor: User | None = None) -> User:
    """Give the sender of an e-mail the ICT user role at the school, creating their login (without a
    usable password: they sign in once the school sets one, or through the directory).

    Called by the mailbox's "create a user" policy (no actor) or by the desk accepting held mail.
    An existing person with the address keeps their login and gains the role here.
    """
    if actor is not None:
        access.require(access.can_triage_mail, actor, school, "Only the service desk and technicians do this.")
    address = (address or "").strip().lower()
    try:
        validate_email(address)
    except ValidationError as error:
        raise ValidationError({"address": f"{address or 'An empty address'} is not an e-mail address."}) from error
    person = User.objects.filter(email__iexact=address).order_by("pk").first()
    if person is None:
        first, _, last = (name or "").strip().partition(" ")
        person = User(username=_username_for(address), email=address, first_name=first[:150], last_name=last[:150])
        person.set_unusable_password()
        person.save()
    Membership.objects.get_or_create(user=person, school=school, role=Role.ICT_USER)
    return person


def _locked(message: InboundMessage) -> InboundMessage:
    return InboundMessage.objects.select_for_update().select_related("school").get(pk=message.pk)


def _note(message: InboundMessage, actor: User | None, old: str, text: str) -> None:
    activity.record(
        message,
        actor=actor,
        kind=Activity.Kind.FIELD,
        text=text,
        public=False,
        changes={"outcome": [old, message.outcome]},
    )


@transaction.atomic
def inbound_accept(
    *, message: InboundMessage, actor: User, reporter: User | None = None, new_user: bool = False
) -> Incident:
    """The desk accepts held mail: it opens a ticket for the person chosen (the desk logs the call for
    them), or for the sender made a new ICT user of the school."""
    message = _locked(message)
    access.require(access.can_triage_mail, actor, message, "Only the service desk and technicians accept mail.")
    if message.outcome != Outcome.HELD:
        raise ValidationError(f"This message is {message.get_outcome_display().lower()}: only held mail is accepted.")
    parsed = parse_message(bytes(message.raw))
    if new_user:
        reporter = mail_user_create(school=message.school, address=parsed.sender, name=parsed.sender_name, actor=actor)
    if reporter is None:
        raise ValidationError({"reporter": "Choose who the ticket is for, or create a user for the sender."})
    if not access.is_member.test(reporter, message.school):
        raise ValidationError({"reporter": f"{reporter} has no role at {message.school}."})
    ticket = _open_ticket(message, parsed, reporter=reporter, logged_by=actor)
    old = message.outcome
    _finish(message, Outcome.CREATED, f"Accepted by {actor} for {reporter}.", ticket)
    _note(message, actor, old, f"Accepted: {ticket.reference} logged for {reporter}.")
    return ticket


@transaction.atomic
def inbound_discard(*, message: InboundMessage, actor: User) -> InboundMessage:
    """The desk discards held (or unreadable) mail: it stays stored, marked discarded."""
    message = _locked(message)
    access.require(access.can_triage_mail, actor, message, "Only the service desk and technicians discard mail.")
    if message.outcome not in (Outcome.HELD, Outcome.FAILED):
        raise ValidationError(f"This message is {message.get_outcome_display().lower()}: only held or failed "
                              "mail is discarded.")  # fmt: skip
    old = message.outcome
    _finish(message, Outcome.DISCARDED, f"Discarded by {actor}.")
    _note(message, actor, old, "Discarded.")
    return message


def inbound_retry(*, message: InboundMessage, actor: User) -> InboundMessage:
    """Read a failed message again (after the cause was fixed): it gets the outcome it would have had."""
    with transaction.atomic():
        message = _locked(message)
        access.require(access.can_triage_mail, actor, message, "Only the service desk and technicians do this.")
        if message.outcome != Outcome.FAILED:
            raise ValidationError("Only a message that could not be read is tried again.")
        message.outcome, message.error = Outcome.RECEIVED, ""
        message.save(update_fields=["outcome", "error"])
    _process_safely(message.pk, actor=actor)
    message.refresh_from_db()
    _note(message, actor, Outcome.FAILED, f"Tried again: {message.get_outcome_display().lower()}.")
    return message


def inbound_for(queryset: models.QuerySet, user: Any) -> models.QuerySet:
    """Narrow inbound mail (already `visible_to(user)`) to what the user may read: never the mail of a
    ticket they may not see (a safeguarding-flagged one)."""
    if user.is_superuser:
        return queryset
    return queryset.filter(models.Q(ticket__isnull=True) | models.Q(ticket__in=Incident.objects.visible_to(user)))


def inbound_order(queryset: models.QuerySet) -> models.QuerySet:
    """Held and failed mail first (the desk has something to do), then the newest."""
    waiting = models.Case(
        models.When(outcome__in=(Outcome.HELD, Outcome.FAILED), then=0),
        default=1,
        output_field=models.IntegerField(),
    )
    return queryset.annotate(waiting=waiting).order_by("waiting", "-received_at", "-pk")


# =============================================================================
# The school's mailbox: settings, connection test, polling over IMAP
# =============================================================================

MAILBOX_FIELDS = ("host", "port", "security", "username", "folder", "unknown_senders", "is_active")


@transaction.atomic
def mailbox_configure(*, school: School, actor: User, password: str = "", support_email: str | None = None,
                      **fields: Any) -> Mailbox:  # fmt: skip
    """Set the school's support mailbox (and support address). A blank password keeps the current one."""
    access.require(access.can_manage_mailbox, actor, school, "Only the network manager sets up the support mailbox.")
    mailbox = Mailbox.objects.filter(school=school).first() or Mailbox(school=school)
    for name in MAILBOX_FIELDS:
        if name in fields:
            value = fields[name]
            setattr(mailbox, name, value.strip() if isinstance(value, str) else value)
    if password:
        mailbox.password = password
    errors = {}
    if not mailbox.host:
        errors["host"] = "Give the IMAP server's name, e.g. outlook.office365.com."
    if not mailbox.username:
        errors["username"] = "Give the mailbox's user name (often its address)."
    if not mailbox.password:
        errors["password"] = "Give the mailbox's password."
    if not (0 < int(mailbox.port or 0) < 65536):
        errors["port"] = "The port is a number from 1 to 65535 (993 for SSL/TLS, 143 for STARTTLS)."
    if errors:
        raise ValidationError(errors)
    mailbox.folder = mailbox.folder or "INBOX"
    mailbox.save()
    if support_email is not None and support_email.strip().lower() != school.support_email:
        school.support_email = support_email.strip().lower()
        school.save(update_fields=["support_email"])
    return mailbox


def _imap_class(security: str):
    from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted

    return {Mailbox.Security.SSL: MailBox, Mailbox.Security.STARTTLS: MailBoxStartTls}.get(security, MailBoxUnencrypted)


def _describe(error: BaseException, mailbox: Mailbox) -> str:
    """The exact reason, in words the network manager can act on."""
    from imap_tools import MailboxFolderSelectError, MailboxLoginError
    from imap_tools.errors import UnexpectedCommandStatusError

    where = f"{mailbox.host}:{mailbox.port}"
    if isinstance(error, MailboxLoginError):
        return f"{where} refused the login of {mailbox.username}: {_server_said(error)}"
    if isinstance(error, MailboxFolderSelectError):
        return f"{where} has no folder {mailbox.folder!r} for {mailbox.username}: {_server_said(error)}"
    if isinstance(error, UnexpectedCommandStatusError):
        return f"{where} answered an error: {_server_said(error)}"
    if isinstance(error, socket.gaierror):
        return f"Cannot find the server {mailbox.host}: {error.strerror or error}"
    if isinstance(error, ssl.SSLError):
        return f"TLS with {where} failed ({error.reason or error}): check the security setting and the port"
    if isinstance(error, TimeoutError | socket.timeout):
        return f"{where} did not answer within {IMAP_TIMEOUT} s"
    if isinstance(error, ConnectionRefusedError):
        return f"{where} refused the connection: is it the right port?"
    if isinstance(error, OSError):
        return f"Cannot connect to {where}: {error.strerror or error}"
    return f"{type(error).__name__}: {error}"


def _server_said(error: BaseException) -> str:
    result = getattr(error, "command_result", None)
    if isinstance(result, tuple) and len(result) == 2:
        data = result[1] if isinstance(result[1], list) else [result[1]]
        words = " ".join(item.decode(errors="replace") if isinstance(item, bytes) else str(item) for item in data)
        return words.strip() or str(error)
    return str(error)


def _connect(mailbox: Mailbox):
    box = _imap_class(mailbox.security)(mailbox.host, int(mailbox.port), timeout=IMAP_TIMEOUT)
    try:
        box.login(mailbox.username, mailbox.password, initial_folder=mailbox.folder or "INBOX")
    except BaseException:
        try:
            box.client.shutdown()
        except Exception:
            pass
        raise
    return box


def mailbox_check(*, mailbox: Mailbox) -> str:
    """Sign in to the mailbox (saved or about to be) and say what is there; MailboxUnavailable says why not."""
    try:
        box = _connect(mailbox)
        try:
            status = box.folder.status(mailbox.folder or "INBOX")
        finally:
            box.logout()
    except Exception as error:
        raise MailboxUnavailable(_describe(error, mailbox)) from error
    return (
        f"Signed in to {mailbox.host} as {mailbox.username}: {mailbox.folder or 'INBOX'} holds "
        f"{status.get('MESSAGES', 0)} messages, {status.get('UNSEEN', 0)} unread."
    )


def _raw_message_class():
    """imap-tools' message, keeping the exact bytes received (we parse them ourselves)."""
    from imap_tools import MailMessage

    class RawMailMessage(MailMessage):
        def __init__(self, fetch_data: list) -> None:
            self.raw, self._raw_uid_data, self._raw_flag_data = self._get_message_data_parts(fetch_data)
            self.obj = Message()

    return RawMailMessage


@dataclass
class PollResult:
    mailbox: Mailbox
    messages: list[InboundMessage] = field(default_factory=list)
    error: str = ""
    skipped: bool = False

    def summary(self) -> str:
        if self.skipped:
            return "skipped: another poll of this mailbox is running"
        counts: dict[str, int] = {}
        for message in self.messages:
            label = message.get_outcome_display().lower()
            counts[label] = counts.get(label, 0) + 1
        text = f"{len(self.messages)} new message(s)"
        if counts:
            text += " (" + ", ".join(f"{n} {label}" for label, n in sorted(counts.items())) + ")"
        return f"{text}; error: {self.error}" if self.error else text


def mailbox_poll(*, mailbox: Mailbox) -> PollResult:
    """Fetch the mailbox's unread mail and receive each message; mark it read only once it is stored.

    One poll per mailbox at a time (a cache lock; a second one is skipped, and a message fetched
    twice anyway is a duplicate by its Message-ID). Connection and login errors are recorded on
    the mailbox (`last_error`), never raised: one school's broken mailbox does not stop the others.
    """
    from imap_tools import AND, MailMessageFlags

    result = PollResult(mailbox=mailbox)
    # Named after the database too: two installations (or test runs) may share one Redis.
    lock = f"fits:mailbox-poll:{connection.settings_dict['NAME']}:{mailbox.pk}"
    if not cache.add(lock, timezone.now().isoformat(), POLL_LOCK_SECONDS):
        result.skipped = True
        return result
    try:
        try:
            box = _connect(mailbox)
            try:
                box.email_message_class = _raw_message_class()
                unread = box.fetch(AND(seen=False), mark_seen=False, bulk=FETCH_CHUNK, limit=POLL_LIMIT)
                for item in unread:
                    message = message_ingest(school=mailbox.school, raw=item.raw, source=InboundMessage.Source.IMAP)
                    result.messages.append(message)
                    box.flag(item.uid, MailMessageFlags.SEEN, True)
            finally:
                try:
                    box.logout()
                except Exception:
                    pass
        except Exception as error:
            result.error = _describe(error, mailbox)
            logger.warning("Polling mailbox %s of %s failed: %s", mailbox.pk, mailbox.school_id, result.error)
        Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=timezone.now(), last_error=result.error)
    finally:
        cache.delete(lock)
    return result
