"""A corpus of real-world e-mail fed to `manage.py ingest_email`, as a mail server's pipe would:
nothing crashes, every message is stored, replies thread, auto-replies never open tickets, and
the stored-XSS payloads render inert on the ticket and inbound pages.

The messages (tests/servicedesk/mail_corpus/) are in the order a desk would receive them: the
Outlook message opens INC-000001, the Gmail reply threads onto it by In-Reply-To, the Apple Mail
message opens INC-000002 and the Outlook reply by its [INC-000002] subject...
"""

from __future__ import annotations

import pytest

from fits.models import Activity, Attachment
from incidents.models import Channel, Incident
from servicedesk.models import InboundMessage
from tests.servicedesk.conftest import CORPUS

Outcome = InboundMessage.Outcome

pytestmark = pytest.mark.usefixtures("media")

# file -> (outcome, the ticket it belongs to (its reference), the attachments kept on that ticket by it)
EXPECTED = {
    "01_outlook_inline_image.eml": (Outcome.CREATED, "INC-000001", ["image001.png"]),
    "02_gmail_reply.eml": (Outcome.COMMENTED, "INC-000001", []),
    "03_apple_mail.eml": (Outcome.CREATED, "INC-000002", ["IMG_0042.png"]),
    "04_iso_8859_1.eml": (Outcome.CREATED, "INC-000003", []),
    "05_windows_1252.eml": (Outcome.CREATED, "INC-000004", []),
    "06_rfc2047_subject.eml": (Outcome.CREATED, "INC-000005", []),
    "07_dsn_bounce.eml": (Outcome.AUTO_REPLY, None, []),
    "08_exchange_out_of_office.eml": (Outcome.AUTO_REPLY, None, []),
    "09_pdf_and_docx.eml": (Outcome.CREATED, "INC-000006", ["error report.pdf", "Steps to reproduce – census.docx"]),
    "10_malformed_8bit_headers.eml": (Outcome.CREATED, "INC-000007", ["log.txt"]),
    "11_no_message_id.eml": (Outcome.CREATED, "INC-000008", []),
    "12_huge_subject.eml": (Outcome.CREATED, "INC-000009", []),
    "13_xss_subject.eml": (Outcome.CREATED, "INC-000010", []),
    "14_html_only_outlook.eml": (Outcome.CREATED, "INC-000011", []),
    "15_newsletter_bulk.eml": (Outcome.AUTO_REPLY, None, []),
    "16_unknown_sender.eml": (Outcome.HELD, None, []),
    "17_reply_by_reference_outlook.eml": (Outcome.COMMENTED, "INC-000002", []),
    "18_forwarded_as_attachment.eml": (Outcome.CREATED, "INC-000012", ["Your account will be closed.eml.txt"]),
    "19_duplicate_of_01.eml": (Outcome.DUPLICATE, "INC-000001", []),
}


@pytest.fixture
def received(highfield, staff, leader, desk, tech, ingest):
    """Every message of the corpus through the pipe, in order: {file name: (InboundMessage, printed line)}."""
    highfield.support_email = "ictsupport@highfield.sch.uk"
    highfield.save()
    results = {}
    for path in sorted(CORPUS.glob("*.eml")):
        results[path.name] = ingest(highfield, path.name)
    return results


def test_the_corpus_is_complete():
    assert sorted(path.name for path in CORPUS.glob("*.eml")) == sorted(EXPECTED)


def test_every_message_is_stored_raw_and_gets_its_outcome(received):
    assert InboundMessage.objects.count() == len(EXPECTED)
    problems = []
    for name, (outcome, reference, _files) in EXPECTED.items():
        message, line = received[name]
        if bytes(message.raw) != (CORPUS / name).read_bytes():
            problems.append(f"{name}: the raw message was not kept byte for byte")
        if message.outcome != outcome:
            problems.append(f"{name}: {message.outcome} ({message.error}), expected {outcome}")
        if (message.ticket.reference if message.ticket else None) != reference:
            problems.append(f"{name}: ticket {message.ticket}, expected {reference}")
        if f"Message {message.pk} for highfield" not in line:
            problems.append(f"{name}: the command said {line!r}")
    assert not problems, "\n".join(problems)


def test_new_mail_opens_tickets_by_email_for_the_sender(received, staff, leader):
    ticket = Incident.objects.get(reference="INC-000001")
    assert ticket.channel == Channel.EMAIL
    assert ticket.reporter == staff == ticket.logged_by  # Staff@Example.sch.uk: matched whatever the case
    assert ticket.title == "Projector in room 12 shows no picture"
    assert 'shows "no signal" since this morning' in ticket.description
    assert Incident.objects.get(reference="INC-000002").reporter == leader


def test_replies_thread_onto_their_ticket_as_comments(received, staff):
    first = Incident.objects.get(reference="INC-000001")
    comments = Activity.objects.filter(object_id=first.pk, kind=Activity.Kind.COMMENT, school=first.school)
    gmail = comments.get(actor=staff)
    assert gmail.public
    # The new words only, not the quoted conversation below "On ... wrote:".
    assert gmail.text == "It works again after the caretaker reset the switch by the whiteboard – thanks!"
    second = Incident.objects.get(reference="INC-000002")
    outlook = Activity.objects.get(object_id=second.pk, kind=Activity.Kind.COMMENT, school=second.school)
    # Sam is not the caller of INC-000002 (Helen is) and an ICT user: an internal note saying who wrote.
    assert not outlook.public and outlook.actor is None
    assert (
        outlook.text.startswith("E-mail from Staff (staff@example.sch.uk):") and "staff@example.sch.uk" in outlook.text
    )
    assert "also warm to the touch" in outlook.text and "Original Message" not in outlook.text


def test_auto_replies_and_bounces_never_open_tickets(received):
    assert Incident.objects.count() == 12
    for name in ("07_dsn_bounce.eml", "08_exchange_out_of_office.eml", "15_newsletter_bulk.eml"):
        message, _ = received[name]
        assert message.ticket is None and message.error, name
    first = Incident.objects.get(reference="INC-000001")
    # The out-of-office answers a notification of INC-000001 (In-Reply-To <fits.1....>): still no comment.
    assert not Activity.objects.filter(object_id=first.pk, kind=Activity.Kind.COMMENT, actor__isnull=True).exists()


def test_charsets_and_encoded_headers_are_decoded(received):
    assert "café order for £12.50" in Incident.objects.get(reference="INC-000003").description
    assert (
        "“server room” unit is beeping – the quote was €450 …"
        in Incident.objects.get(reference="INC-000004").description
    )
    assert Incident.objects.get(reference="INC-000005").title == "Wi-Fi in the hôll drops à noon 📶"
    malformed = Incident.objects.get(reference="INC-000007")
    assert malformed.title == "Interactive whiteboard pen – not working in Year 4 (café)"
    assert "Café – tried new batteries" in malformed.description
    message, _ = received["10_malformed_8bit_headers.eml"]
    assert message.message_id == "<malformed-0001@example.sch.uk>"  # despite the stray line in the headers


def test_html_is_converted_to_text_never_kept_as_markup(received):
    description = Incident.objects.get(reference="INC-000011").description
    assert "The visualiser in Year 2 flickers" in description and "- Restarted the PC" in description
    assert "(https://support.example.com/kb/123)" in description
    for markup in ("<p>", "<style", "color: red", "Ignore me", "alert('x')"):
        assert markup not in description


def test_long_subjects_are_cut_to_fit(received):
    message, _ = received["12_huge_subject.eml"]
    ticket = message.ticket
    assert len(ticket.title) == 200 and ticket.title.endswith("…")
    assert len(message.subject) <= 500


def test_attachments_are_kept_on_the_ticket_under_random_names(received):
    problems = []
    for name, (_outcome, _reference, files) in EXPECTED.items():
        if not files:
            continue
        message, _ = received[name]
        kept = Attachment.objects.filter(object_id=message.ticket_id, school=message.school).order_by("pk")
        names = [attachment.name for attachment in kept]
        if names != files:
            problems.append(f"{name}: kept {names}, expected {files}")
        for attachment in kept:
            if attachment.name in attachment.file.name or not attachment.file.storage.exists(attachment.file.name):
                problems.append(f"{name}: {attachment.name} stored as {attachment.file.name}")
    assert not problems, "\n".join(problems)
    pdf = Attachment.objects.get(name="error report.pdf")
    assert pdf.media_type == "application/pdf" and pdf.file.read().startswith(b"%PDF-1.4")


def test_the_xss_subject_and_body_render_inert(received, client_for, desk, staff):
    message, _ = received["13_xss_subject.eml"]
    for user in (desk, staff):
        page = client_for(user).get(message.ticket.get_absolute_url()).content.decode()
        assert "<script>alert(1)</script>" not in page and "<img src=x onerror=alert(1)>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    for url in ("/mail/inbound/", f"/mail/inbound/{message.pk}/"):
        page = client_for(desk).get(url).content.decode()
        assert "<script>alert(1)</script>" not in page and "<img src=x onerror=alert(1)>" not in page, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url
    html_only, _ = received["14_html_only_outlook.eml"]
    page = client_for(desk).get(html_only.ticket.get_absolute_url()).content.decode()
    assert "<img src=x onerror=alert(1)>" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
