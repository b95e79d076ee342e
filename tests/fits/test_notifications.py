"""Notifications (fits.notifications): who is told, what the e-mail looks like, school wording in a
sandbox, and the daily digest. Celery runs eagerly here, into the locmem outbox."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fits import notifications
from fits.models import EmailFrequency, Notification, NotificationTemplate
from fits.notifications import notify
from fits.tasks import notification_digest_task, notification_email_task
from incidents import services
from incidents.models import SupportGroup
from tests.conftest import make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def act(django_capture_on_commit_callbacks):
    """Run a service as its committed transaction would: the e-mails go out afterwards."""

    def run(service, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    return run


@pytest.fixture
def ticket(highfield, desk, staff, tech, log_incident):
    """A projector fault staff rang the desk about, with tech on it."""
    incident = log_incident(highfield, by=desk, reporter=staff, channel="phone", title="Projector in Room 12")
    return services.incident_assign(incident=incident, assignee=tech, actor=desk)


def told(event: str | None = None) -> dict[str, list[str]]:
    """{username: [events]} of the in-app notifications."""
    rows = Notification.objects.select_related("recipient").order_by("pk")
    if event:
        rows = rows.filter(event=event)
    people: dict[str, list[str]] = {}
    for row in rows:
        people.setdefault(row.recipient.username, []).append(row.event)
    return people


def mailed() -> list[str]:
    return sorted(message.to[0] for message in mail.outbox)


# =============================================================================
# Who is told
# =============================================================================


def test_the_caller_and_the_technician_hear_of_a_comment_in_the_app_and_by_email(ticket, desk, staff, tech, act):
    Notification.objects.all().delete()
    act(services.incident_comment, incident=ticket, author=desk, text="The engineer comes at 2.")
    assert told() == {"staff": ["commented"], "tech": ["commented"]}
    assert mailed() == sorted([staff.email, tech.email])  # one e-mail each, never a shared To:
    row = Notification.objects.get(recipient=staff)
    assert row.title == f"{ticket.reference} new comment: Projector in Room 12"
    assert row.text == "Desk: The engineer comes at 2."
    assert row.url == f"/incidents/{ticket.pk}/" and row.school_id == ticket.school_id and row.read_at is None
    assert row.emailed_at is not None


def test_the_actor_never_hears_of_their_own_act(ticket, tech, staff, act):
    Notification.objects.all().delete()
    act(services.incident_comment, incident=ticket, author=tech, text="On my way.")
    assert told() == {"staff": ["commented"]}
    assert mailed() == [staff.email]


def test_who_hears_of_each_step_of_the_lifecycle(highfield, desk, tech, staff, log_incident, act):
    incident = act(log_incident, school=highfield, by=desk, reporter=staff, channel="phone")
    assert told("logged") == {"staff": ["logged"]}
    incident = act(services.incident_assign, incident=incident, assignee=tech, actor=desk)
    assert told("assigned") == {"tech": ["assigned"]}
    incident = act(services.incident_transition, incident=incident, action="start", actor=tech)
    incident = act(
        services.incident_transition,
        incident=incident,
        action="hold",
        actor=tech,
        note="Lamp ordered",
        hold_reason="awaiting_parts",
    )
    assert told("hold") == {"staff": ["hold"]}
    incident = act(services.incident_transition, incident=incident, action="resume", actor=tech)
    incident = act(
        services.incident_transition,
        incident=incident,
        action="resolve",
        actor=tech,
        note="New lamp",
        resolution_code="replaced",
    )
    assert told("resolved") == {"staff": ["resolved"]}
    incident = act(services.incident_transition, incident=incident, action="reopen", actor=staff, note="Flickers")
    assert told("reopened") == {"tech": ["reopened"]}
    incident = act(
        services.incident_transition,
        incident=incident,
        action="resolve",
        actor=tech,
        note="Seated",
        resolution_code="fixed",
    )
    act(services.incident_transition, incident=incident, action="close", actor=staff)
    assert told("closed") == {"tech": ["closed"]}
    # Starting and resuming work tell nobody; nor does anything tell the person who did it.
    assert set(Notification.objects.values_list("event", flat=True)) == {
        "logged",
        "assigned",
        "hold",
        "resolved",
        "reopened",
        "closed",
    }


def test_a_caller_who_logs_in_the_portal_gets_no_receipt_but_one_who_emails_does(highfield, staff, log_incident, act):
    act(log_incident, school=highfield, by=staff, title="Logged in the portal")
    assert told() == {} and mail.outbox == []
    act(log_incident, school=highfield, by=staff, title="Sent by e-mail", channel="email")
    assert told() == {"staff": ["logged"]}
    (receipt,) = mail.outbox
    assert receipt.to == [staff.email] and "Sent by e-mail" in receipt.subject


def test_a_ticket_with_a_group_and_no_one_on_it_tells_the_groups_people(
    highfield, desk, tech, netmgr, staff, log_incident, act
):
    group = SupportGroup.objects.create(school=highfield, name="ICT team")
    group.members.add(tech, netmgr)
    incident = log_incident(highfield, by=desk, reporter=staff, channel="phone")
    act(services.incident_assign, incident=incident, assignee=None, actor=desk, group=group)
    assert told("assigned") == {"netmgr": ["assigned"], "tech": ["assigned"]}


def test_nobody_is_told_of_a_record_they_cannot_see(highfield, staff, tech, tech2, log_incident):
    incident = log_incident(highfield, by=staff)
    other_user = make_person("mr.jones", school=highfield, role="ict_user")
    rows = notify(incident, "commented", [tech, tech2, other_user, None, tech], context={})
    assert [row.recipient for row in rows] == [tech]  # tech2 (riverside) and another ICT user cannot see it


def test_a_change_that_rolls_back_tells_nobody(highfield, staff, log_incident):
    with pytest.raises(PermissionDenied):
        services.incident_transition(
            incident=log_incident(highfield, by=staff),
            action="resolve",
            actor=staff,
            note="Fixed?",
            resolution_code="fixed",
        )
    assert not Notification.objects.filter(event="resolved").exists() and mail.outbox == []


def test_nothing_is_emailed_before_the_change_commits(ticket, desk):
    Notification.objects.all().delete()
    services.incident_comment(incident=ticket, author=desk, text="Uncommitted.")  # the test never commits
    assert Notification.objects.count() == 2  # in the app at once, inside the transaction
    assert mail.outbox == []


def test_each_person_chooses_each_daily_or_no_email(ticket, desk, staff, tech, act):
    staff.email_frequency, tech.email_frequency = EmailFrequency.DAILY, EmailFrequency.NONE
    staff.save(), tech.save()
    act(services.incident_comment, incident=ticket, author=desk, text="News.")
    assert told("commented") == {"staff": ["commented"], "tech": ["commented"]}  # in the app regardless
    assert mail.outbox == []
    assert not Notification.objects.filter(emailed_at__isnull=False, event="commented").exists()


def test_machines_and_our_own_address_are_never_mailed(highfield, ticket, desk, staff, tech, act):
    highfield.support_email = "ict@highfield.example.sch.uk"
    highfield.save()
    staff.email, tech.email = "noreply@highfield.example.sch.uk", "ICT@highfield.example.sch.uk"
    staff.save(), tech.save()
    act(services.incident_comment, incident=ticket, author=desk, text="News.")
    assert told("commented") == {"staff": ["commented"], "tech": ["commented"]}
    assert mail.outbox == []


def test_in_the_app_only_when_asked(ticket, staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        rows = notify(ticket, "commented", [staff], context={"comment": {"text": "From an auto-reply"}}, email=False)
    assert len(rows) == 1 and mail.outbox == []


def test_the_context_takes_plain_values_only(ticket, staff, tech):
    with pytest.raises(TypeError, match="plain values"):
        notify(ticket, "commented", [staff], context={"comment": tech})


def test_an_event_nobody_worded_is_sent_as_an_update(ticket, staff, act, caplog):
    rows = act(notify, record=ticket, event="coffee_spilt", recipients=[staff], context={"text": "Keyboard wet."})
    assert rows[0].event == "coffee_spilt" and rows[0].title.startswith(f"{ticket.reference} update:")
    (message,) = mail.outbox
    assert message.subject == f"[{ticket.reference}] Update: Projector in Room 12"
    assert "Keyboard wet." in message.body
    assert "coffee_spilt" in caplog.text


# =============================================================================
# The e-mail: threading, sender, automatic, HTML
# =============================================================================


def test_the_email_threads_on_the_ticket_and_says_it_is_automatic(highfield, ticket, desk, staff, act):
    highfield.support_email = "ictsupport@highfield.example.sch.uk"
    highfield.save()
    Notification.objects.all().delete()
    act(services.incident_comment, incident=ticket, author=desk, text="Engineer booked.")
    first, second = sorted(mail.outbox, key=lambda m: m.to[0])
    for message in (first, second):
        headers = message.message()
        assert message.subject.startswith(f"[{ticket.reference}] ")
        assert re.fullmatch(rf"<fits\.{ticket.pk}\.[0-9a-f]{{32}}@highfield\.example\.sch\.uk>", headers["Message-ID"])
        assert headers["In-Reply-To"] == headers["References"] == f"<fits.{ticket.pk}@highfield.example.sch.uk>"
        assert headers["Auto-Submitted"] == "auto-generated"
        assert headers["X-Auto-Response-Suppress"] == "All"
        assert headers["From"] == "Highfield Primary School ICT support <ictsupport@highfield.example.sch.uk>"
        assert message.reply_to == ["ictsupport@highfield.example.sch.uk"]
    assert first.message()["Message-ID"] != second.message()["Message-ID"]


def test_the_sender_is_the_default_address_replying_to_the_school_when_configured(
    settings, highfield, ticket, desk, act
):
    settings.FITS_EMAIL_FROM_SCHOOL = False
    settings.DEFAULT_FROM_EMAIL = "FITS Service Desk <servicedesk@bolton.example.gov.uk>"
    highfield.support_email = "ictsupport@highfield.example.sch.uk"
    highfield.save()
    act(services.incident_comment, incident=ticket, author=desk, text="News.")
    message = mail.outbox[0]
    assert message.from_email == "FITS Service Desk <servicedesk@bolton.example.gov.uk>"
    assert message.reply_to == ["Highfield Primary School ICT support <ictsupport@highfield.example.sch.uk>"]


def test_a_school_without_a_support_address_sends_from_the_default(settings, ticket, desk, act):
    settings.DEFAULT_FROM_EMAIL = "FITS Service Desk <servicedesk@bolton.example.gov.uk>"
    act(services.incident_comment, incident=ticket, author=desk, text="News.")
    message = mail.outbox[0]
    assert message.from_email == settings.DEFAULT_FROM_EMAIL and message.reply_to == []
    assert message.message()["References"] == f"<fits.{ticket.pk}@bolton.example.gov.uk>"


def test_other_records_thread_apart_from_tickets(highfield, tech):
    from problems.services import problem_log

    problem = problem_log(school=highfield, logged_by=tech, title="Lamps fail early")
    assert notifications.thread_id(problem) == f"fits.problems-problem.{problem.pk}"  # never matched as a ticket


def test_the_html_alternative_escapes_what_people_wrote(highfield, desk, staff, tech, log_incident, act):
    incident = log_incident(
        highfield, by=desk, reporter=staff, channel="phone", title="<script>alert('title')</script>"
    )
    incident = services.incident_assign(incident=incident, assignee=tech, actor=desk)
    mail.outbox.clear()
    act(
        services.incident_comment,
        incident=incident,
        author=desk,
        text='<img src=x onerror="alert(1)"> see https://example.sch.uk/help',
    )
    message = next(m for m in mail.outbox if m.to == [staff.email])
    html, media_type = message.alternatives[0]
    assert media_type == "text/html"
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert '<a href="https://example.sch.uk/help" rel="nofollow">' in html  # links made clickable
    assert f'href="http://127.0.0.1:8000/incidents/{incident.pk}/"' in html  # the button to the ticket
    assert "<script>alert('title')</script>" in message.subject  # plain text stays as written
    assert '<img src=x onerror="alert(1)">' in message.body


def test_a_safeguarding_concern_is_told_without_its_details(highfield, desk, staff, tech, log_incident, act):
    incident = log_incident(
        highfield, by=desk, reporter=staff, channel="phone", title="Pupil searched self-harm", safeguarding=True
    )
    incident = services.incident_assign(incident=incident, assignee=tech, actor=desk)
    Notification.objects.all().delete()
    mail.outbox.clear()
    act(services.incident_comment, incident=incident, author=desk, text="The pupil's name is Sam.")
    rows = list(Notification.objects.all())
    assert rows and all("self-harm" not in r.title and "Sam" not in r.text for r in rows)
    assert mail.outbox and all(
        "self-harm" not in m.subject + m.body + m.alternatives[0][0] and "Sam." not in m.body for m in mail.outbox
    )
    assert all(notifications.SAFEGUARDING_TITLE in m.subject for m in mail.outbox)


def test_the_safeguarding_email_has_no_details_even_if_a_school_adds_them(
    highfield, netmgr, leader, staff, log_incident, act
):
    incident = log_incident(highfield, by=staff, title="Pupil searched self-harm", safeguarding=True)
    notifications.notification_template_save(
        school=highfield,
        event="safeguarding",
        actor=netmgr,
        subject="{{ ticket.title }}",
        body="{{ ticket.title }}: {{ note }}",
    )
    act(notify, record=incident, event="safeguarding", recipients=[leader, netmgr], context={"note": "the details"})
    (message,) = mail.outbox  # the network manager may not see the concern: not told
    assert message.to == [leader.email]
    assert "self-harm" not in message.subject + message.body and "the details" not in message.body


# =============================================================================
# A school's own wording, in a sandbox
# =============================================================================


def test_a_schools_own_wording_is_used_and_keeps_the_reference_in_the_subject(highfield, netmgr, ticket, desk, act):
    notifications.notification_template_save(
        school=highfield,
        event="commented",
        actor=netmgr,
        subject="Highfield ICT: news on {{ ticket.title }}",
        body="Hello {{ person.first_name }},\n{{ actor.name }} wrote:\n{{ comment.text|upper }}",
    )
    act(services.incident_comment, incident=ticket, author=desk, text="Engineer booked.")
    message = next(m for m in mail.outbox if m.to == ["staff@example.sch.uk"])
    assert message.subject == f"[{ticket.reference}] Highfield ICT: news on Projector in Room 12"
    assert message.body.startswith("Hello Staff,\nDesk wrote:\nENGINEER BOOKED.")


def test_another_schools_wording_is_not_used(riverside, ticket, desk, act):
    manager = make_person("rnetmgr", school=riverside, role="network_manager")
    notifications.notification_template_save(
        school=riverside, event="commented", actor=manager, subject="Riverside says", body="Riverside"
    )
    act(services.incident_comment, incident=ticket, author=desk, text="News.")
    assert mail.outbox and all("Riverside" not in m.subject + m.body for m in mail.outbox)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("{% load static %}{% static 'x' %}", "{% load %} cannot be used"),
        ("{{ ticket.delete }}", "{{ ticket.delete }} is not a placeholder"),
        ('{% include "base.html" %}', "{% include %} cannot be used"),
        ("{% debug %}", "{% debug %} cannot be used"),
        ("{% extends 'base.html' %}", "{% extends %} cannot be used"),
        ("{{ ticket.title|safe }}", "Invalid filter: 'safe'"),
        (
            "{% for c in ticket.title %}{% for d in ticket.title %}x{% endfor %}{% endfor %}",
            "can only go through a list",
        ),
        ("{% if ticket.clear %}x{% endif %}", "{{ ticket.clear }} is not a placeholder"),
        ("{{ request.user.password }}", "{{ request.user.password }} is not a placeholder"),
        ("{% if ticket.title %}unclosed", "The template cannot be read: Unclosed tag"),
    ],
)
def test_a_template_that_escapes_the_sandbox_is_refused_when_saved(highfield, netmgr, body, problem):
    with pytest.raises(ValidationError) as refused:
        notifications.notification_template_save(
            school=highfield, event="resolved", actor=netmgr, subject="Done", body=body
        )
    assert any(problem in message for message in refused.value.message_dict["body"]), refused.value.message_dict
    assert not NotificationTemplate.objects.exists()


def test_loops_and_conditions_over_the_placeholders_are_fine(highfield, netmgr):
    body = "{% for item in items %}{{ forloop.counter }}. {{ item.title|truncatechars:40 }}{% empty %}None{% endfor %}"
    template = notifications.notification_template_save(
        school=highfield, event="digest", actor=netmgr, subject="{{ count }} update{{ count|pluralize }}", body=body
    )
    assert template.body.startswith("{% for item in items %}")


def test_a_wording_that_breaks_later_falls_back_to_the_default_and_is_logged(highfield, ticket, desk, act, caplog):
    NotificationTemplate.objects.create(school=highfield, event="commented", subject="Hi", body="{% debug %}")
    act(services.incident_comment, incident=ticket, author=desk, text="News.")
    assert mail.outbox and all(m.subject.startswith(f"[{ticket.reference}] New comment:") for m in mail.outbox)
    assert "using the default" in caplog.text


def test_only_the_network_manager_and_the_desk_word_the_schools_emails(highfield, netmgr, desk, tech, leader):
    for person in (netmgr, desk):
        notifications.notification_template_save(school=highfield, event="logged", actor=person, subject="S", body="B")
    for person in (tech, leader):
        with pytest.raises(PermissionDenied):
            notifications.notification_template_save(
                school=highfield, event="logged", actor=person, subject="S", body="B"
            )
        with pytest.raises(PermissionDenied):
            notifications.notification_template_reset(school=highfield, event="logged", actor=person)
    assert NotificationTemplate.objects.get().updated_by == desk


def test_going_back_to_the_default(highfield, netmgr):
    notifications.notification_template_save(school=highfield, event="logged", actor=netmgr, subject="S", body="B")
    assert notifications.wording_for(highfield.pk, "logged").customised
    assert notifications.notification_template_reset(school=highfield, event="logged", actor=netmgr) is True
    assert notifications.wording_for(highfield.pk, "logged") == notifications.default_wording("logged")
    assert notifications.notification_template_reset(school=highfield, event="logged", actor=netmgr) is False


def test_every_event_has_a_default_wording_that_passes_the_sandbox():
    for event in [*notifications.EVENTS, "update"]:
        wording = notifications.default_wording(event)
        notifications.check_wording(event, subject=wording.subject, body=wording.body)
        subject, text = notifications.render_wording(wording, notifications.sample_context(event))
        assert subject and "{" not in subject + text, event


# =============================================================================
# Sending: idempotent, retried, and the daily digest
# =============================================================================


def test_the_email_task_run_twice_sends_once(ticket, staff):
    (row,) = notify(ticket, "commented", [staff], context={"comment": {"text": "Once."}})  # not committed: not sent
    context = {**notifications.record_context(ticket), "comment": {"text": "Once."}}
    args = ([row.pk], "commented", context, notifications.thread_id(ticket))
    assert notification_email_task.apply(args=args).get() == 1
    assert notification_email_task.apply(args=args).get() == 0  # a redelivered message
    assert len(mail.outbox) == 1


def test_a_failed_send_is_tried_again_and_then_sent_once(ticket, staff, monkeypatch):
    (row,) = notify(ticket, "commented", [staff], context={})
    context = notifications.record_context(ticket)
    sent = []

    def flaky(message, fail_silently=False):
        if not sent:
            sent.append("refused")
            raise ConnectionRefusedError("SMTP server down")
        sent.append(message.to)
        return 1

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", flaky)
    with pytest.raises(ConnectionRefusedError):
        notifications.notification_email_send(
            notification_ids=[row.pk], event="commented", context=context, thread=notifications.thread_id(ticket)
        )
    row.refresh_from_db()
    assert row.emailed_at is None  # the claim was undone
    notifications.notification_email_send(
        notification_ids=[row.pk], event="commented", context=context, thread=notifications.thread_id(ticket)
    )
    notifications.notification_email_send(
        notification_ids=[row.pk], event="commented", context=context, thread=notifications.thread_id(ticket)
    )
    assert sent == ["refused", [staff.email]]


def test_the_tasks_survive_a_killed_worker():
    assert notification_email_task.acks_late and notification_digest_task.acks_late
    assert OSError in notification_email_task.autoretry_for


def test_the_daily_digest_gathers_each_persons_notifications(highfield, ticket, desk, staff, tech, netmgr, act):
    for person in (staff, tech):
        person.email_frequency = EmailFrequency.DAILY
        person.save()
    Notification.objects.all().delete()
    act(services.incident_comment, incident=ticket, author=desk, text="First news.")
    act(services.incident_comment, incident=ticket, author=desk, text="Second news.")
    act(services.incident_comment, incident=ticket, author=staff, text="Thanks!")
    old = notify(ticket, "commented", [staff], context={"comment": {"text": "Last week."}})[0]
    Notification.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    assert mail.outbox == []

    assert notification_digest_task.apply().get() == 2
    digests = {m.to[0]: m for m in mail.outbox}
    assert set(digests) == {staff.email, tech.email}
    assert digests[staff.email].subject == "Your service desk updates: 2 since yesterday"
    assert "First news." in digests[staff.email].body and "Second news." in digests[staff.email].body
    assert "Last week." not in digests[staff.email].body
    assert digests[tech.email].subject == "Your service desk updates: 3 since yesterday"
    assert "Staff: Thanks!" in digests[tech.email].body
    assert f"http://127.0.0.1:8000/incidents/{ticket.pk}/" in digests[tech.email].body
    assert digests[tech.email].message()["Auto-Submitted"] == "auto-generated"
    assert "In-Reply-To" not in digests[tech.email].message()

    assert notification_digest_task.apply().get() == 0  # run again (a retry, a second beat): nothing twice
    assert len(mail.outbox) == 2
    assert Notification.objects.get(pk=old.pk).emailed_at is None


def test_the_digest_skips_people_who_want_each_update_or_none(ticket, desk, staff, tech, act):
    tech.email_frequency = EmailFrequency.NONE
    tech.save()
    act(services.incident_comment, incident=ticket, author=desk, text="News.")
    mail.outbox.clear()
    assert notifications.notification_digest_send() == 0
    assert mail.outbox == []
