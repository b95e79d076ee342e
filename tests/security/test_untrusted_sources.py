"""Stored XSS from outside the building: e-mail, inventory agents, SNMP, file names, and what the product sends
out again (notification e-mails, PDFs). tests/test_untrusted_text.py does the same for what people type.

Every source's payload must come back escaped on the pages that show it, as text in PDFs and e-mails, and the
templates must not switch escaping off except where a reviewed renderer builds the markup itself.
"""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from cmdb import services as cmdb
from cmdb.inventory.services import inventory_receive
from fits.attachments import attachments_add
from incidents.models import Incident
from om.printing import services as printing
from om.printing.models import Supply
from servicedesk.mail import message_ingest
from tests.test_untrusted_text import ACTIVE, PAYLOADS, assert_inert

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]

# Where escaping may be switched off: each renderer was reviewed and builds its markup from escaped text.
REVIEWED_UNESCAPED = {
    "templates/registration/two_factor.html": "the QR code SVG drawn by the qrcode library from the TOTP URI",
    "cmdb/tables.py": "a constant string",
    "fits/strategy/rendering.py": "the strategy Markdown renderer (escapes every piece of text it emits)",
    "servicedesk/templatetags/workbench_ui.py": "the workbench's rows (_html escapes every value)",
}
UNESCAPED = re.compile(r"\|\s*safe\b|\|\s*safeseq\b|autoescape\s+off|mark_safe\(|SafeString\(|allow_tags")


def test_escaping_is_switched_off_only_where_reviewed():
    found = {}
    for path in ROOT.rglob("*"):
        relative = path.relative_to(ROOT).as_posix()
        # Plain-text templates (e-mail subjects and bodies, sent as text/plain) switch escaping off rightly.
        if path.suffix not in (".html", ".py") or relative.startswith((".venv/", "tests/", "var/", "node_")):
            continue
        if UNESCAPED.search(path.read_text(errors="ignore")):
            found[relative] = True
    assert set(found) <= set(REVIEWED_UNESCAPED), (
        f"Escaping switched off in {sorted(set(found) - set(REVIEWED_UNESCAPED))}: build the markup with "
        "format_html, or review it and add it to REVIEWED_UNESCAPED with the reason."
    )


def test_an_email_subject_body_and_file_name_are_inert_on_the_desk_pages(highfield, tech, client_for):
    raw = (
        f"From: =?utf-8?q?Mallory?= <mallory@example.com>\r\nTo: ict@highfield.example.sch.uk\r\n"
        f"Subject: Broken {PAYLOADS[0]}\r\nMessage-ID: <xss.1@example.com>\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        f"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Help</p>{PAYLOADS[1]}{PAYLOADS[3]}\r\n"
        f'--b\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename="{PAYLOADS[2]}.txt"\r\n\r\n'
        f"notes\r\n--b--\r\n"
    ).encode()
    message = message_ingest(school=highfield, raw=raw, source="pipe")
    client = client_for(tech)
    pages = [reverse("mail:inbound_list"), reverse("mail:inbound_detail", args=[message.pk])]
    message.refresh_from_db()
    if message.ticket_id:  # a known sender's mail becomes a ticket; an unknown one is held for the desk
        pages.append(Incident.objects.get(pk=message.ticket_id).get_absolute_url())
    for url in pages:
        assert_inert(client.get(url), url)
    raw_view = client.get(reverse("mail:inbound_raw", args=[message.pk]))
    assert raw_view["Content-Disposition"].startswith("attachment")  # the raw message is never a page
    assert raw_view["X-Content-Type-Options"] == "nosniff"


def test_an_agents_hostname_and_software_are_inert_on_the_cmdb_pages(highfield, tech, client_for):
    body = json.dumps({
        "deviceid": "agent-xss",
        "content": {
            "hardware": {"name": f"PC{PAYLOADS[1]}", "description": PAYLOADS[2]},
            "softwares": [{"name": f"Tool {PAYLOADS[0]}", "version": PAYLOADS[4], "publisher": PAYLOADS[3]}],
        },
    }).encode()  # fmt: skip
    receipt = inventory_receive(school=highfield, body=body)
    submission = receipt.submission
    client = client_for(tech)
    pages = [reverse("cmdb:ci_list"), reverse("cmdb:ci_list") + "?q=PC"]
    if submission.ci_id:
        pages.append(submission.ci.get_absolute_url())
    for url in pages:
        assert_inert(client.get(url), url)


def test_what_a_printer_says_over_snmp_is_inert_on_the_printing_pages(highfield, netmgr, client_for):
    ci = cmdb.ci_create(school=highfield, actor=netmgr, kind="printer", name="Staffroom MFD")
    printer = printing.printer_add(actor=netmgr, ci=ci)
    # prtMarkerSuppliesDescription is free text from the device: a hostile one says this.
    Supply.objects.create(school=highfield, printer=printer, index="1.1", description=f"Toner {PAYLOADS[0]}",
                          level=5, max_capacity=100, percent=5, state="low")  # fmt: skip
    client = client_for(netmgr)
    for url in (reverse("printing:printer_list"), reverse("printing:printer_detail", args=[printer.pk])):
        assert_inert(client.get(url), url)


def test_an_uploaded_file_name_is_inert_and_the_download_is_an_attachment(highfield, tech, client_for, log_incident):
    incident = log_incident(highfield, by=tech)
    upload = SimpleUploadedFile(f"{PAYLOADS[1]}.txt", b"plain notes\n", content_type="text/html")
    [attachment] = attachments_add(record=incident, uploads=[upload], actor=tech, permission=None)
    client = client_for(tech)
    assert_inert(client.get(incident.get_absolute_url()), "incident with the attachment")
    download = client.get(reverse("incidents:attachment", args=[incident.pk, attachment.pk]))
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert not download["Content-Type"].startswith("text/html")


def test_notification_emails_carry_the_payload_as_text(
    highfield, tech, staff, log_incident, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        log_incident(highfield, by=staff, title=f"Broken {PAYLOADS[0]}", description=PAYLOADS[1], channel="email")
    assert mail.outbox, "a caller who e-mailed gets a receipt"
    for message in mail.outbox:
        for html, media_type in getattr(message, "alternatives", []):
            if media_type == "text/html":
                for active in ACTIVE:
                    assert active not in html, f"the HTML e-mail {message.subject!r} carries {active!r} unescaped"
        assert "<script>alert(" not in message.subject or message.subject.startswith("[")  # plain text header


def test_a_recovery_plan_pdf_prints_the_payload_as_text(highfield, netmgr, client_for):
    from pypdf import PdfReader

    from continuity import services as continuity

    service = cmdb.ci_create(
        school=highfield,
        actor=netmgr,
        kind="service",
        name=f"MIS {PAYLOADS[2]}"[:100],
        attributes={"purpose": "teaching"},
    )
    plan = continuity.plan_save(actor=netmgr, school=highfield, service=service, recovery_order=1, rto_minutes=60,
                                rpo_minutes=60, standby=PAYLOADS[3], owner=netmgr,
                                review_date=timezone.localdate() + timedelta(days=90))  # fmt: skip
    continuity.plan_steps_save(plan=plan, actor=netmgr, steps=[{"text": f"Restore {PAYLOADS[0]}", "minutes": 5}])
    client = client_for(netmgr)
    assert_inert(client.get(reverse("continuity:plan_print", args=[plan.pk])), "the printable plan")
    pdf = client.get(reverse("continuity:plan_pdf", args=[plan.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    text = "".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages).split())
    assert "<script>alert('xss-1')</script>" in text  # printed as the text it is
