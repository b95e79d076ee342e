"""Polling support mailboxes against a real IMAP server: Debian's Dovecot on loopback.

Each test has its own folder of the `highfield` IMAP account (tests/servicedesk/conftest.py), appends
real messages to it with imap-tools, and polls it through the service, the Celery task or the command.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from fits.models import Activity
from fits.schedules import DEFAULT_SCHEDULES
from incidents.models import Channel, Incident
from servicedesk import mail
from servicedesk.models import InboundMessage, Mailbox
from servicedesk.tasks import mailbox_poll_task, mailboxes_poll_task
from tests.servicedesk.conftest import ImapFolder, corpus, message

Outcome = InboundMessage.Outcome

pytestmark = pytest.mark.usefixtures("media")


def test_polling_opens_tickets_and_marks_the_mail_read(mailbox, imap_folder, staff, leader):
    imap_folder.append(corpus("01_outlook_inline_image.eml"))
    imap_folder.append(corpus("03_apple_mail.eml"))
    imap_folder.append(message(subject="Read already, by someone in Outlook"), seen=True)
    result = mail.mailbox_poll(mailbox=mailbox)
    assert result.error == "" and len(result.messages) == 2
    assert result.summary() == "2 new message(s) (2 opened a ticket)"
    tickets = Incident.objects.order_by("reference")
    assert [(t.reference, t.reporter, t.channel) for t in tickets] == [
        ("INC-000001", staff, Channel.EMAIL),
        ("INC-000002", leader, Channel.EMAIL),
    ]
    assert all(m.source == InboundMessage.Source.IMAP for m in result.messages)
    assert bytes(result.messages[0].raw) == corpus("01_outlook_inline_image.eml")  # exactly as the server had it
    assert imap_folder.unseen() == 0 and imap_folder.count() == 3  # marked read, never deleted
    mailbox.refresh_from_db()
    assert mailbox.last_polled_at is not None and mailbox.last_error == ""
    # Nothing new: the next poll fetches nothing.
    assert mail.mailbox_poll(mailbox=mailbox).messages == []


def test_a_reply_polled_later_threads_onto_its_ticket(mailbox, imap_folder, staff):
    imap_folder.append(corpus("01_outlook_inline_image.eml"))
    mail.mailbox_poll(mailbox=mailbox)
    imap_folder.append(corpus("02_gmail_reply.eml"))
    (reply,) = mail.mailbox_poll(mailbox=mailbox).messages
    ticket = Incident.objects.get()
    assert reply.outcome == Outcome.COMMENTED and reply.ticket == ticket
    comment = Activity.objects.get(object_id=ticket.pk, school=ticket.school, kind=Activity.Kind.COMMENT)
    assert comment.actor == staff and comment.text.startswith("It works again")


def test_auto_replies_are_read_but_never_answered(mailbox, imap_folder, staff, mailoutbox):
    imap_folder.append(corpus("08_exchange_out_of_office.eml"))
    imap_folder.append(corpus("07_dsn_bounce.eml"))
    outcomes = [m.outcome for m in mail.mailbox_poll(mailbox=mailbox).messages]
    assert outcomes == [Outcome.AUTO_REPLY, Outcome.AUTO_REPLY]
    assert not Incident.objects.exists() and mailoutbox == [] and imap_folder.unseen() == 0


def test_a_wrong_password_is_recorded_not_raised(mailbox, imap_folder):
    imap_folder.append(message())
    Mailbox.objects.filter(pk=mailbox.pk).update(password="wrong")
    mailbox.refresh_from_db()
    result = mail.mailbox_poll(mailbox=mailbox)
    assert result.messages == [] and "refused the login of highfield" in result.error
    assert "AUTHENTICATIONFAILED" in result.error
    mailbox.refresh_from_db()
    assert mailbox.last_error == result.error and mailbox.last_polled_at is not None
    assert imap_folder.unseen() == 1  # left for the next poll
    # Fixed: the next poll reads it and clears the error.
    Mailbox.objects.filter(pk=mailbox.pk).update(password=imap_folder.password)
    mailbox.refresh_from_db()
    assert len(mail.mailbox_poll(mailbox=mailbox).messages) == 1
    mailbox.refresh_from_db()
    assert mailbox.last_error == ""


def test_a_missing_folder_is_named(mailbox):
    Mailbox.objects.filter(pk=mailbox.pk).update(folder="No such folder")
    mailbox.refresh_from_db()
    assert "has no folder 'No such folder'" in mail.mailbox_poll(mailbox=mailbox).error


def test_one_broken_mailbox_does_not_stop_the_others(mailbox, imap_folder, riverside, tech2, admin_user, dovecot):
    """The beat task queues a poll per mailbox: highfield's wrong password leaves riverside's mail read."""
    Mailbox.objects.filter(pk=mailbox.pk).update(password="wrong")
    imap_folder.append(message())
    account = {**dovecot, "username": "riverside", "password": "riverside-imap"}
    riverside_folder = ImapFolder(**account, folder=f"{imap_folder.folder}-riverside")
    with riverside_folder._box() as box:
        box.folder.create(riverside_folder.folder)
    theirs = message(sender=tech2.email, subject="Riverside's projector")
    riverside_folder.append(theirs)
    server = {"host": dovecot["host"], "port": dovecot["port"], "security": "none", "folder": riverside_folder.folder}
    mail.mailbox_configure(
        school=riverside, actor=admin_user, username="riverside", password="riverside-imap", **server
    )
    try:
        assert mailboxes_poll_task.delay().get() == 2  # eager in tests: both polls ran
        assert Incident.objects.filter(school=riverside, title="Riverside's projector").exists()
        assert Mailbox.objects.get(school=riverside).last_error == ""
        assert "refused the login" in Mailbox.objects.get(pk=mailbox.pk).last_error
    finally:
        with riverside_folder._box() as box:
            box.folder.delete(riverside_folder.folder)


def test_overlapping_polls_do_not_ingest_twice(mailbox, imap_folder, staff):
    imap_folder.append(message(message_id="<overlap@example.sch.uk>"))
    lock = f"fits:mailbox-poll:{connection.settings_dict['NAME']}:{mailbox.pk}"
    cache.add(lock, "another worker", 60)
    try:
        assert mail.mailbox_poll(mailbox=mailbox).skipped
        assert not InboundMessage.objects.exists() and imap_folder.unseen() == 1
    finally:
        cache.delete(lock)
    assert len(mail.mailbox_poll(mailbox=mailbox).messages) == 1
    # A message fetched twice anyway (marked unread again, or a crash before it was marked read) is a duplicate.
    with imap_folder._box() as box:
        box.folder.set(imap_folder.folder)
        box.flag(box.uids(), "\\Seen", False)
    (again,) = mail.mailbox_poll(mailbox=mailbox).messages
    assert again.outcome == Outcome.DUPLICATE and Incident.objects.count() == 1


def test_the_task_skips_a_mailbox_switched_off(mailbox, imap_folder):
    imap_folder.append(message())
    Mailbox.objects.filter(pk=mailbox.pk).update(is_active=False)
    assert mailboxes_poll_task.delay().get() == 0
    assert mailbox_poll_task.delay(mailbox.pk).get() == 0
    assert imap_folder.unseen() == 1


def test_the_command_polls_one_school_and_says_what_happened(mailbox, imap_folder, staff):
    imap_folder.append(message())
    imap_folder.append(corpus("16_unknown_sender.eml"))
    out = StringIO()
    call_command("poll_mailboxes", school="highfield", stdout=out)
    assert out.getvalue().strip() == (
        f"highfield ({mailbox}): 2 new message(s) (1 held: unknown sender, 1 opened a ticket)"
    )
    Mailbox.objects.filter(pk=mailbox.pk).update(password="wrong")
    with pytest.raises(CommandError) as failed:
        call_command("poll_mailboxes", stdout=StringIO())
    assert failed.value.returncode == 1
    with pytest.raises(CommandError, match="no support mailbox"):
        call_command("poll_mailboxes", school="riverside", stdout=StringIO())


def test_the_connection_test_signs_in_and_counts_the_mail(mailbox, imap_folder, netmgr, client_for):
    imap_folder.append(message())
    imap_folder.append(message(), seen=True)
    assert mail.mailbox_check(mailbox=mailbox) == (
        f"Signed in to 127.0.0.1 as highfield: {imap_folder.folder} holds 2 messages, 1 unread."
    )
    data = {
        "school": "highfield",
        "host": "127.0.0.1",
        "security": "none",
        "port": 1143,
        "username": "highfield",
        "password": "",  # the saved one
        "folder": imap_folder.folder,
        "unknown_senders": "hold",
        "action": "test",
    }
    page = client_for(netmgr).post(reverse("mail:mailbox"), data).content.decode()
    assert "holds 2 messages, 1 unread." in page
    page = client_for(netmgr).post(reverse("mail:mailbox"), {**data, "password": "nope"}).content.decode()
    assert "Connection test failed: 127.0.0.1:1143 refused the login of highfield" in page
    mailbox.refresh_from_db()
    assert mailbox.password == imap_folder.password  # a test saves nothing


def test_the_mailboxes_are_polled_every_two_minutes():
    (schedule,) = [s for s in DEFAULT_SCHEDULES if s.task == "servicedesk.tasks.mailboxes_poll_task"]
    assert schedule.crontab == "*/2 * * * *"
