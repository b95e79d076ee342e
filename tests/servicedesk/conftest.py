"""Fixtures of the Service Desk tests: e-mail intake (the corpus, the MTA pipe, a real IMAP server).

The IMAP server is Debian's Dovecot on loopback, started by scripts/ci/dovecot.sh when it is not
running (tests that need it are skipped, saying why, only when Dovecot is not installed). Each test
gets a folder of its own in the `highfield` IMAP account, so tests never see each other's mail.
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from dataclasses import dataclass
from io import BytesIO, StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

CORPUS = Path(__file__).parent / "mail_corpus"
REPO = Path(__file__).resolve().parents[2]
DOVECOT = Path("/usr/sbin/dovecot")
IMAP_HOST, IMAP_PORT = "127.0.0.1", 1143
IMAP_USER, IMAP_PASSWORD = "highfield", "highfield-imap"  # scripts/ci/dovecot.sh


def corpus(name: str) -> bytes:
    """One message of tests/servicedesk/mail_corpus/, as raw bytes."""
    return (CORPUS / name).read_bytes()


@pytest.fixture
def media(settings, tmp_path):
    """Attachments are written under a temporary MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def ingest():
    """ingest(school, raw or corpus name) -> (InboundMessage, the command's one line): the MTA pipe."""
    from servicedesk.models import InboundMessage

    def run(school, raw: bytes | str):
        raw = corpus(raw) if isinstance(raw, str) else raw
        out = StringIO()
        call_command("ingest_email", school=school.slug, stdin=BytesIO(raw), stdout=out)
        return InboundMessage.objects.order_by("-pk").first(), out.getvalue().strip()

    return run


def message(
    *,
    sender: str = "Sam Okafor <staff@example.sch.uk>",
    subject: str = "Projector in room 12 shows no picture",
    body: str = "It says no signal.",
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    """A small plain-text e-mail, as raw bytes."""
    lines = [
        f"From: {sender}",
        "To: ictsupport@highfield.sch.uk",
        f"Subject: {subject}",
        "Date: Mon, 23 Nov 2026 08:41:10 +0000",
        f"Message-ID: {message_id or f'<{uuid.uuid4().hex}@example.sch.uk>'}",
        *(f"{name}: {value}" for name, value in (headers or {}).items()),
        "Content-Type: text/plain; charset=utf-8",
        "",
        body,
        "",
    ]
    return "\r\n".join(lines).encode()


# =============================================================================
# A real IMAP server: Dovecot on loopback
# =============================================================================


@pytest.fixture(scope="session")
def dovecot():
    """Dovecot answering on 127.0.0.1:1143 (started by scripts/ci/dovecot.sh if it is not running)."""
    if not DOVECOT.exists() or shutil.which("bash") is None:
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd): the IMAP tests need a real server")
    script = REPO / "scripts" / "ci" / "dovecot.sh"
    result = subprocess.run(
        ["bash", str(script), "start"], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
    )
    if result.returncode != 0:
        pytest.fail(f"scripts/ci/dovecot.sh could not start Dovecot:\n{result.stdout}\n{result.stderr}")
    return {"host": IMAP_HOST, "port": IMAP_PORT, "username": IMAP_USER, "password": IMAP_PASSWORD}


@dataclass
class ImapFolder:
    """A folder of the test IMAP account that belongs to one test."""

    host: str
    port: int
    username: str
    password: str
    folder: str

    def _box(self):
        from imap_tools import MailBoxUnencrypted

        return MailBoxUnencrypted(self.host, self.port).login(self.username, self.password, initial_folder=None)

    def append(self, raw: bytes, *, seen: bool = False) -> None:
        from imap_tools import MailMessageFlags

        with self._box() as box:
            box.append(raw, self.folder, flag_set=[MailMessageFlags.SEEN] if seen else [])

    def unseen(self) -> int:
        with self._box() as box:
            return box.folder.status(self.folder)["UNSEEN"]

    def count(self) -> int:
        with self._box() as box:
            return box.folder.status(self.folder)["MESSAGES"]


@pytest.fixture
def imap_folder(dovecot):
    """An empty folder of its own in the `highfield` IMAP account, removed after the test."""
    folder = ImapFolder(**dovecot, folder=f"fits-test-{uuid.uuid4().hex[:12]}")
    with folder._box() as box:
        box.folder.create(folder.folder)
    yield folder
    with folder._box() as box:
        box.folder.delete(folder.folder)


@pytest.fixture
def mailbox(highfield, netmgr, imap_folder):
    """Highfield's support mailbox, set up by its network manager, pointing at the test's IMAP folder."""
    from servicedesk.mail import mailbox_configure

    return mailbox_configure(
        school=highfield,
        actor=netmgr,
        support_email="ictsupport@highfield.sch.uk",
        host=imap_folder.host,
        port=imap_folder.port,
        security="none",
        username=imap_folder.username,
        password=imap_folder.password,
        folder=imap_folder.folder,
        unknown_senders="hold",
        is_active=True,
    )
