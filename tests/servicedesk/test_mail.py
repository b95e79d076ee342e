"""E-mail intake services (servicedesk/mail.py) and the MTA pipe (`manage.py ingest_email`).

Threading, auto-reply and bounce detection, deduplication, unknown senders, attachments, the
desk's decisions, and what happens when something goes wrong: the message is always kept.
"""

from __future__ import annotations

from email.message import EmailMessage
from io import BytesIO, StringIO

import pytest
from django.core import mail as outbox
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import OperationalError

from fits.models import Activity, Attachment, AuthorityRoleKind, Membership, Role, User
from incidents.models import Channel, Incident
from servicedesk import mail
from servicedesk.models import InboundMessage, Mailbox
from tests.conftest import make_person
from tests.servicedesk.conftest import corpus, message

Outcome = InboundMessage.Outcome

pytestmark = pytest.mark.usefixtures("media")


def receive(school, raw: bytes) -> InboundMessage:
    return mail.message_ingest(school=school, raw=raw, source=InboundMessage.Source.PIPE)


def comments(ticket: Incident):
    return Activity.objects.filter(object_id=ticket.pk, school=ticket.school, kind=Activity.Kind.COMMENT)


# =============================================================================
# New mail
# =============================================================================


def test_new_mail_from_someone_at_the_school_opens_a_ticket_for_them(highfield, staff):
    received = receive(highfield, message(sender="Sam <STAFF@example.SCH.uk>", body="No signal on the projector."))
    assert received.outcome == Outcome.CREATED and received.error == ""
    ticket = received.ticket
    assert (ticket.reporter, ticket.logged_by, ticket.channel) == (staff, staff, Channel.EMAIL)
    assert ticket.title == "Projector in room 12 shows no picture"
    assert ticket.description == "No signal on the projector."
    assert ticket.reference == "INC-000001" and ticket.school == highfield
    created = Activity.objects.get(object_id=ticket.pk, school=highfield, kind=Activity.Kind.CREATED)
    assert created.text == "Logged by e-mail."


def test_a_ticket_needs_a_title_even_without_a_subject(highfield, staff):
    received = receive(highfield, message(subject="", body="\n\nThe printer is out of toner.\nThanks"))
    assert received.ticket.title == "The printer is out of toner."
    received = receive(highfield, message(subject="Re: Fwd:   ", body=""))
    assert received.ticket.title == "E-mail from Sam Okafor <staff@example.sch.uk>"
    assert received.ticket.description == "(The e-mail had no text.)"


def test_an_authority_support_person_is_matched_too(highfield, bolton):
    support = make_person("unit")
    from fits.models import AuthorityRole

    AuthorityRole.objects.create(user=support, authority=bolton, role=AuthorityRoleKind.SUPPORT)
    received = receive(highfield, message(sender="unit@example.sch.uk"))
    assert received.outcome == Outcome.CREATED and received.ticket.reporter == support


def test_someone_who_may_not_log_is_held_for_the_desk(highfield, consultant):
    received = receive(highfield, message(sender="consultant@example.sch.uk"))
    assert received.outcome == Outcome.HELD and received.ticket is None
    assert "could not log it" in received.error
    assert not Incident.objects.exists()


# =============================================================================
# Auto-replies, bounces and loops
# =============================================================================


@pytest.mark.parametrize(
    ("headers", "sender", "reason"),
    [
        ({"Auto-Submitted": "auto-replied"}, None, "Auto-Submitted: auto-replied"),
        ({"Auto-Submitted": "auto-generated"}, None, "Auto-Submitted: auto-generated"),
        ({"Precedence": "bulk"}, None, "Precedence: bulk"),
        ({"Precedence": "junk"}, None, "Precedence: junk"),
        ({"Precedence": "list"}, None, "Precedence: list"),
        ({"Precedence": "auto_reply"}, None, "Precedence: auto_reply"),
        ({"X-Autoreply": "yes"}, None, "X-Autoreply header"),
        ({"X-Autorespond": "Out of office"}, None, "X-Autorespond header"),
        ({}, "MAILER-DAEMON@mail.example.sch.uk", "sent by mailer-daemon"),
        ({}, "Postmaster <postmaster@example.sch.uk>", "sent by postmaster"),
        ({"Return-Path": "<>"}, None, "empty Return-Path (a bounce)"),
    ],
)
def test_auto_replies_and_bounces_never_open_tickets_or_answer(headers, sender, reason, highfield, staff):
    raw = message(headers=headers, **({"sender": sender} if sender else {}))
    received = receive(highfield, raw)
    assert received.outcome == Outcome.AUTO_REPLY and received.error == f"{reason[0].upper()}{reason[1:]}."
    assert not Incident.objects.exists()
    assert outbox.outbox == []  # never answered: no loop


def test_auto_submitted_no_is_a_person(highfield, staff):
    assert receive(highfield, message(headers={"Auto-Submitted": "no"})).outcome == Outcome.CREATED


def test_an_auto_reply_to_a_ticket_adds_nothing_to_it(highfield, staff, log_incident):
    ticket = log_incident(highfield, by=staff)
    raw = message(
        subject=f"Automatic reply: [{ticket.reference}] {ticket.title}", headers={"Auto-Submitted": "auto-replied"}
    )
    assert receive(highfield, raw).outcome == Outcome.AUTO_REPLY
    assert not comments(ticket).exists()


def test_a_delivery_report_is_a_bounce(highfield, staff):
    received = receive(highfield, corpus("07_dsn_bounce.eml"))
    assert received.outcome == Outcome.AUTO_REPLY


def test_mail_from_the_support_address_itself_or_our_own_notifications_is_a_loop(highfield, staff):
    highfield.support_email = "ictsupport@highfield.sch.uk"
    highfield.save()
    looped = receive(highfield, message(sender="ICT Support <IctSupport@highfield.sch.uk>"))
    assert looped.outcome == Outcome.AUTO_REPLY and "mail loop" in looped.error
    ours = receive(highfield, message(message_id="<fits.1.abc123@highfield.sch.uk>"))
    assert ours.outcome == Outcome.AUTO_REPLY and "our own notifications" in ours.error
    assert not Incident.objects.exists()


# =============================================================================
# Replies thread onto their ticket
# =============================================================================


def test_a_reference_in_the_subject_adds_a_public_comment_by_the_caller(highfield, staff, log_incident):
    ticket = log_incident(highfield, by=staff)
    raw = message(
        subject=f"RE: [{ticket.reference}] {ticket.title}", body="Still broken.\n\nOn Mon, Tom wrote:\n> fixed?"
    )
    received = receive(highfield, raw)
    assert received.outcome == Outcome.COMMENTED and received.ticket == ticket
    comment = comments(ticket).get()
    assert (comment.actor, comment.public, comment.text) == (staff, True, "Still broken.")
    assert Incident.objects.count() == 1


def test_a_reply_to_a_resolved_ticket_is_added_and_flagged_for_the_desk(highfield, staff, tech, log_incident):
    from incidents import services

    ticket = log_incident(highfield, by=staff)
    services.incident_transition(incident=ticket, action="start", actor=tech)
    services.incident_transition(
        incident=ticket, action="resolve", actor=tech, note="New lamp.", resolution_code="fixed"
    )
    received = receive(highfield, message(subject=f"Re: [{ticket.reference}]", body="It is broken again."))
    assert received.outcome == Outcome.COMMENTED and received.ticket == ticket
    assert received.error == f"{ticket.reference} is resolved: reopen it if the fault is back."
    assert comments(ticket).filter(actor=staff, text="It is broken again.").exists()


def test_a_reference_without_leading_zeros_or_brackets_threads_too(highfield, staff, log_incident):
    ticket = log_incident(highfield, by=staff)
    assert receive(highfield, message(subject="about inc-1 again")).ticket == ticket


def test_another_schools_reference_opens_a_new_ticket(highfield, riverside, staff, tech2, log_incident):
    theirs = log_incident(riverside, by=tech2)
    received = receive(highfield, message(subject=f"[{theirs.reference}] our projector"))
    assert received.outcome == Outcome.CREATED and received.ticket.school == highfield
    assert not comments(theirs).exists()


@pytest.mark.parametrize("header", ["In-Reply-To", "References"])
def test_a_reply_to_one_of_our_notifications_threads_by_its_message_id(header, highfield, staff, log_incident):
    ticket = log_incident(highfield, by=staff)
    ids = {
        "In-Reply-To": f"<fits.{ticket.pk}.5d41402abc4b2a76@highfield.sch.uk>",
        "References": f"<other@example.com> <fits.{ticket.pk}@highfield.sch.uk>",
    }
    received = receive(highfield, message(subject="Re: your ticket", headers={header: ids[header]}))
    assert received.outcome == Outcome.COMMENTED and received.ticket == ticket


def test_a_notification_id_of_another_schools_ticket_does_not_thread(highfield, riverside, staff, tech2, log_incident):
    theirs = log_incident(riverside, by=tech2)
    raw = message(headers={"In-Reply-To": f"<fits.{theirs.pk}.abc@riverside.sch.uk>"})
    received = receive(highfield, raw)
    assert received.outcome == Outcome.CREATED and received.ticket.school == highfield


def test_a_reply_to_a_message_that_opened_a_ticket_threads_by_in_reply_to(highfield, staff, tech):
    first = receive(highfield, message(message_id="<first@example.sch.uk>"))
    raw = message(
        sender="tech@example.sch.uk", subject="Re: projector", headers={"In-Reply-To": "<first@example.sch.uk>"}
    )
    reply = receive(highfield, raw)
    assert reply.outcome == Outcome.COMMENTED and reply.ticket == first.ticket
    comment = comments(first.ticket).get()
    assert comment.actor == tech and comment.public  # support staff of the school comment publicly


def test_a_reply_from_someone_else_is_an_internal_note_saying_who_wrote(highfield, staff, log_incident):
    ticket = log_incident(highfield, by=staff)
    other = make_person("ms.clarke", school=highfield, role=Role.ICT_USER)
    received = receive(highfield, message(sender=f"Ms Clarke <{other.email}>", subject=f"[{ticket.reference}] me too"))
    note = comments(ticket).get()
    assert received.outcome == Outcome.COMMENTED and "internal note" in received.error
    assert not note.public and note.actor is None
    assert note.text.startswith(f"E-mail from Ms.clarke ({other.email}):")
    supplier = receive(
        highfield, message(sender="Acme Support <calls@acme.example.com>", subject=f"[{ticket.reference}]")
    )
    assert supplier.outcome == Outcome.COMMENTED
    assert comments(ticket).filter(text__startswith="E-mail from Acme Support <calls@acme.example.com>:").exists()


# =============================================================================
# Duplicates
# =============================================================================


def test_the_same_message_twice_is_a_duplicate_and_opens_one_ticket(highfield, staff):
    raw = message(message_id="<once@example.sch.uk>")
    first, second = receive(highfield, raw), receive(highfield, raw)
    assert (first.outcome, second.outcome) == (Outcome.CREATED, Outcome.DUPLICATE)
    assert second.ticket == first.ticket and second.error == f"Already received as message {first.pk}."
    assert Incident.objects.count() == 1 and InboundMessage.objects.count() == 2


def test_the_same_message_id_at_another_school_is_not_a_duplicate(highfield, riverside, staff):
    make_person("both", school=riverside, role=Role.ICT_USER)
    Membership.objects.create(user=User.objects.get(username="both"), school=highfield, role=Role.ICT_USER)
    raw = message(sender="both@example.sch.uk", message_id="<shared@example.sch.uk>")
    assert receive(highfield, raw).outcome == receive(riverside, raw).outcome == Outcome.CREATED


def test_a_message_that_failed_is_processed_when_it_comes_again(highfield, staff, monkeypatch):
    raw = message(message_id="<again@example.sch.uk>")
    with monkeypatch.context() as patch:
        patch.setattr(mail, "_open_ticket", lambda *args, **kwargs: 1 / 0)
        assert receive(highfield, raw).outcome == Outcome.FAILED
    assert receive(highfield, raw).outcome == Outcome.CREATED


# =============================================================================
# Unknown senders: the mailbox's policy
# =============================================================================


def set_policy(school, netmgr, policy: str) -> Mailbox:
    return mail.mailbox_configure(school=school, actor=netmgr, host="imap.example.com", port=993, security="ssl",
                                  username="ictsupport", password="secret", folder="INBOX", unknown_senders=policy,
                                  is_active=False)  # fmt: skip


def test_unknown_senders_are_held_by_default(highfield):
    received = receive(highfield, corpus("16_unknown_sender.eml"))
    assert received.outcome == Outcome.HELD and received.ticket is None
    assert "parent@gmail.example.com" in received.error
    assert not Incident.objects.exists()


def test_unknown_senders_are_rejected_when_the_policy_says_so(highfield, netmgr):
    set_policy(highfield, netmgr, "reject")
    received = receive(highfield, corpus("16_unknown_sender.eml"))
    assert received.outcome == Outcome.REJECTED and not Incident.objects.exists()
    assert outbox.outbox == []  # no bounce back to a possibly forged sender


def test_unknown_senders_become_ict_users_when_the_policy_says_so(highfield, netmgr):
    set_policy(highfield, netmgr, "create_user")
    received = receive(highfield, corpus("16_unknown_sender.eml"))
    person = User.objects.get(email="parent@gmail.example.com")
    assert received.outcome == Outcome.CREATED and received.ticket.reporter == person
    assert person.username == "parent@gmail.example.com" and not person.has_usable_password()
    assert (person.first_name, person.last_name) == ("Parent", "of a pupil")
    assert list(Membership.objects.filter(user=person).values_list("school__slug", "role")) == [
        ("highfield", Role.ICT_USER)
    ]
    # Their next message is theirs, like anyone's.
    assert receive(highfield, message(sender="parent@gmail.example.com")).ticket.reporter == person


def test_a_person_of_another_school_gains_the_role_rather_than_a_second_login(highfield, netmgr, tech2):
    set_policy(highfield, netmgr, "create_user")
    received = receive(highfield, message(sender=tech2.email))
    assert received.ticket.reporter == tech2 and User.objects.filter(email=tech2.email).count() == 1
    assert Membership.objects.filter(user=tech2, school=highfield, role=Role.ICT_USER).exists()


# =============================================================================
# Attachments
# =============================================================================


def test_attachments_over_the_limit_or_of_other_types_are_skipped_and_noted(highfield, desk, settings):
    settings.FITS_ATTACHMENT_MAX_BYTES = 200
    received = receive(highfield, corpus("09_pdf_and_docx.eml"))
    ticket = received.ticket
    assert [a.name for a in Attachment.objects.filter(object_id=ticket.pk, school=highfield)] == ["error report.pdf"]
    note = comments(ticket).get()
    assert not note.public and "- Steps to reproduce – census.docx is 529 bytes: files can be at most" in note.text
    # The type is recognised from the content, never from the name or the declared type.
    email = EmailMessage()
    email["From"], email["Subject"], email["Message-ID"] = desk.email, "Invoice", "<invoice@example.sch.uk>"
    email.set_content("See the invoice.")
    email.add_attachment(b"MZ\x90\x00\x03" + bytes(100), maintype="application", subtype="pdf", filename="invoice.pdf")
    received = receive(highfield, email.as_bytes())
    assert not Attachment.objects.filter(object_id=received.ticket_id, school=highfield).exists()
    assert "invoice.pdf is not a type we accept" in comments(received.ticket).get().text


def test_attachments_of_a_public_reply_are_public_and_of_a_note_internal(highfield, staff, desk, log_incident):
    ticket = log_incident(highfield, by=staff)
    raw = corpus("09_pdf_and_docx.eml").replace(b"Subject: MIS export", f"Subject: [{ticket.reference}] MIS".encode())
    receive(highfield, raw)  # from desk: public
    kept = Attachment.objects.filter(object_id=ticket.pk, school=highfield)
    assert kept.count() == 2 and all(a.public and a.uploaded_by == desk for a in kept)
    raw = raw.replace(b"desk@example.sch.uk", b"stranger@example.com").replace(b"attachments-0001", b"attachments-2")
    receive(highfield, raw)
    assert kept.filter(public=False, uploaded_by=None).count() == 2


# =============================================================================
# Nothing is ever lost
# =============================================================================


def test_a_failure_while_processing_keeps_the_message_with_the_error(highfield, staff, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(mail, "_open_ticket", broken)
    raw = message()
    received = receive(highfield, raw)
    assert received.outcome == Outcome.FAILED and received.error == "RuntimeError: the disk is full"
    assert bytes(received.raw) == raw and not Incident.objects.exists()


def test_bytes_that_are_no_email_are_kept_as_failed(highfield, ingest):
    received, line = ingest(highfield, b"\x00\x01 not an e-mail")
    assert received.outcome == Outcome.FAILED and "No e-mail headers" in received.error
    assert bytes(received.raw) == b"\x00\x01 not an e-mail"
    said = f"stored, but could not be read ({received.error}); listed for the desk."
    assert line == f"Message {received.pk} for highfield: {said}"
    empty, _ = ingest(highfield, b"")
    assert empty.outcome == Outcome.FAILED and empty.error == "The message is empty."


def test_the_desk_retries_a_failed_message(highfield, staff, desk, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(mail, "_open_ticket", lambda *args, **kwargs: 1 / 0)
        failed = receive(highfield, message())
    with pytest.raises(PermissionDenied):
        mail.inbound_retry(message=failed, actor=staff)
    retried = mail.inbound_retry(message=failed, actor=desk)
    assert retried.outcome == Outcome.CREATED and retried.ticket.reporter == staff
    with pytest.raises(ValidationError):
        mail.inbound_retry(message=retried, actor=desk)


# =============================================================================
# The MTA pipe: manage.py ingest_email
# =============================================================================


def test_the_pipe_says_what_happened_in_one_line(highfield, staff, ingest):
    received, line = ingest(highfield, message())
    assert line == f"Message {received.pk} for highfield: opened INC-000001 for staff@example.sch.uk."
    reply, line = ingest(highfield, message(subject="[INC-000001] thanks"))
    assert line == f"Message {reply.pk} for highfield: added to INC-000001."
    held, line = ingest(highfield, corpus("16_unknown_sender.eml"))
    assert line.startswith(f"Message {held.pk} for highfield: held: unknown sender (Nobody at Highfield")


def test_the_pipe_reads_a_file_too(highfield, staff, tmp_path):
    path = tmp_path / "message.eml"
    path.write_bytes(message())
    out = StringIO()
    call_command("ingest_email", school="highfield", file=str(path), stdout=out)
    assert "opened INC-000001" in out.getvalue()


def test_the_pipe_asks_the_mail_server_to_retry_when_it_cannot_store(highfield, monkeypatch):
    with pytest.raises(CommandError) as unknown:
        call_command("ingest_email", school="nowhere", stdin=BytesIO(message()), stdout=StringIO())
    assert unknown.value.returncode == 75 and "No school 'nowhere'" in str(unknown.value)

    def database_down(*args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(InboundMessage.objects, "create", database_down)
    with pytest.raises(CommandError) as down:
        call_command("ingest_email", school="highfield", stdin=BytesIO(message()), stdout=StringIO())
    assert down.value.returncode == 75 and "OperationalError: could not connect" in str(down.value)


# =============================================================================
# The desk's decisions on held mail
# =============================================================================


@pytest.fixture
def held(highfield):
    return receive(highfield, corpus("16_unknown_sender.eml"))


def test_the_desk_accepts_held_mail_for_a_person_of_the_school(held, desk, staff):
    ticket = mail.inbound_accept(message=held, actor=desk, reporter=staff)
    held.refresh_from_db()
    assert (held.outcome, held.ticket) == (Outcome.CREATED, ticket)
    assert (ticket.reporter, ticket.logged_by, ticket.channel) == (staff, desk, Channel.EMAIL)
    assert ticket.title == "Cannot log in to the homework site"
    history = Activity.objects.get(object_id=held.pk, school=held.school, kind=Activity.Kind.FIELD)
    assert history.actor == desk and history.changes == {"outcome": ["held", "created"]}


def test_the_desk_accepts_held_mail_for_the_sender_as_a_new_user(held, tech):
    ticket = mail.inbound_accept(message=held, actor=tech, new_user=True)
    assert ticket.reporter.email == "parent@gmail.example.com" and ticket.logged_by == tech


def test_accepting_is_for_the_desk_and_technicians_and_only_for_people_of_the_school(held, staff, leader, tech2, desk):
    for person in (staff, leader):
        with pytest.raises(PermissionDenied):
            mail.inbound_accept(message=held, actor=person, reporter=staff)
    with pytest.raises(ValidationError, match="has no role at"):
        mail.inbound_accept(message=held, actor=desk, reporter=tech2)
    with pytest.raises(ValidationError, match="Choose who"):
        mail.inbound_accept(message=held, actor=desk)
    held.refresh_from_db()
    assert held.outcome == Outcome.HELD and not Incident.objects.exists()


def test_the_desk_discards_held_mail_once(held, desk, staff):
    with pytest.raises(PermissionDenied):
        mail.inbound_discard(message=held, actor=staff)
    mail.inbound_discard(message=held, actor=desk)
    held.refresh_from_db()
    assert held.outcome == Outcome.DISCARDED and bytes(held.raw)  # still stored
    with pytest.raises(ValidationError):
        mail.inbound_discard(message=held, actor=desk)
    with pytest.raises(ValidationError):
        mail.inbound_accept(message=held, actor=desk, reporter=staff)


# =============================================================================
# The mailbox's settings
# =============================================================================


def test_only_the_network_manager_sets_up_the_mailbox(highfield, netmgr, tech, desk):
    for person in (tech, desk):
        with pytest.raises(PermissionDenied):
            set_policy(highfield, person, "hold")
    mailbox = set_policy(highfield, netmgr, "reject")
    assert (mailbox.unknown_senders, mailbox.password) == ("reject", "secret")
    # A blank password keeps the saved one.
    mail.mailbox_configure(school=highfield, actor=netmgr, host="imap2.example.com", password="",
                           support_email="ICT@Highfield.sch.uk")  # fmt: skip
    mailbox.refresh_from_db()
    highfield.refresh_from_db()
    assert (mailbox.host, mailbox.password, highfield.support_email) == (
        "imap2.example.com",
        "secret",
        "ict@highfield.sch.uk",
    )


def test_a_mailbox_needs_its_server_user_and_password(highfield, netmgr):
    with pytest.raises(ValidationError) as error:
        mail.mailbox_configure(school=highfield, actor=netmgr, host="", username="", port=0)
    assert set(error.value.message_dict) == {"host", "username", "password", "port"}
    assert not Mailbox.objects.exists()


def test_an_unreachable_server_is_described_exactly(highfield):
    mailbox = Mailbox(school=highfield, host="127.0.0.1", port=1, security="none", username="x", password="y")
    with pytest.raises(mail.MailboxUnavailable, match=r"127.0.0.1:1 refused the connection"):
        mail.mailbox_check(mailbox=mailbox)
    nowhere = Mailbox(
        school=highfield, host="no-such-host.invalid", port=993, security="ssl", username="x", password="y"
    )
    with pytest.raises(mail.MailboxUnavailable, match="Cannot find the server no-such-host.invalid"):
        mail.mailbox_check(mailbox=nowhere)


def test_nul_and_control_characters_never_reach_the_database(highfield, staff):
    """PostgreSQL refuses NUL in text: a message carrying some is still stored, read and logged."""
    raw = message(subject="Printer\x00 jam\x07", body="Tray 2\x00 is stuck.\x1b[31m")
    raw = raw.replace(b"text/plain", b"text/html")
    received = receive(highfield, raw + b"<p>more\x00</p>")
    assert received.outcome == Outcome.CREATED and received.subject == "Printer jam"
    assert "\x00" not in received.ticket.description and "Tray 2 is stuck." in received.ticket.description
