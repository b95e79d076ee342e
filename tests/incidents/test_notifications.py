"""Keeping people informed: e-mails queued after commit (Celery runs eagerly here, into the locmem outbox)."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied

from incidents import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def act(django_capture_on_commit_callbacks):
    """Run a service as its own committed transaction would: the notifications go out afterwards."""

    def run(service, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    return run


def sent_to(address: str) -> list[mail.EmailMessage]:
    return [message for message in mail.outbox if address in message.to]


def test_nothing_is_sent_before_the_change_commits(highfield, staff, log_incident):
    log_incident(highfield, by=staff)  # the test's transaction never commits
    assert mail.outbox == []


def test_the_caller_hears_that_the_incident_is_logged(settings, highfield, desk, staff, log_incident, act):
    settings.FITS_BASE_URL = "https://desk.example.sch.uk"
    incident = act(log_incident, school=highfield, by=desk, reporter=staff, title="Printer jammed")
    (message,) = mail.outbox
    assert message.to == [staff.email]
    assert message.subject == f"[{incident.reference}] Logged: Printer jammed"
    assert f"https://desk.example.sch.uk/incidents/{incident.pk}/" in message.body
    assert "Highfield Primary School" in message.body


def test_the_caller_is_mailed_the_resolution_with_a_link(settings, highfield, tech, staff, log_incident, act):
    settings.FITS_BASE_URL = "https://servicedesk.highfield.example.sch.uk"
    incident = log_incident(highfield, by=staff, title="Projector shows no picture")
    note = "Replaced the HDMI cable behind the desk."
    act(
        services.incident_transition,
        incident=incident,
        action="resolve",
        actor=tech,
        note=note,
        resolution_code="fixed",
    )

    (message,) = sent_to(staff.email)
    assert message.subject == f"[{incident.reference}] Resolved: Projector shows no picture"
    assert note in message.body
    assert f"https://servicedesk.highfield.example.sch.uk/incidents/{incident.pk}/" in message.body
    assert "reopen the incident" in message.body
    assert "has been resolved by Tech" in message.body


def test_the_assignee_hears_of_the_assignment(highfield, desk, tech, staff, log_incident, act):
    incident = log_incident(highfield, by=staff, title="Wi-Fi drops in the hall")
    act(services.incident_assign, incident=incident, assignee=tech, actor=desk)
    (message,) = mail.outbox
    assert message.to == [tech.email]
    assert message.subject == f"[{incident.reference}] Assigned to {tech}: Wi-Fi drops in the hall"
    assert "is now yours" in message.body
    assert f"/incidents/{incident.pk}/" in message.body


def test_a_public_comment_reaches_the_caller_and_the_technician(highfield, desk, tech, staff, log_incident, act):
    incident = services.incident_assign(incident=log_incident(highfield, by=staff), assignee=tech, actor=desk)
    act(services.incident_comment, incident=incident, author=desk, text="Coming at break time.")
    assert sorted(m.to[0] for m in mail.outbox) == sorted([staff.email, tech.email])  # one e-mail each
    assert all(m.subject.startswith(f"[{incident.reference}] New comment:") for m in mail.outbox)
    assert all("Coming at break time." in m.body for m in mail.outbox)


def test_the_author_of_a_comment_is_not_told_of_it(highfield, desk, tech, staff, log_incident, act):
    incident = services.incident_assign(incident=log_incident(highfield, by=staff), assignee=tech, actor=desk)
    act(services.incident_comment, incident=incident, author=tech, text="Coming at break time.")
    (message,) = mail.outbox
    assert message.to == [staff.email]


def test_an_internal_note_sends_nothing(highfield, tech, staff, log_incident, act):
    incident = log_incident(highfield, by=staff)
    act(services.incident_comment, incident=incident, author=tech, text="Supplier is slow.", public=False)
    assert mail.outbox == []


def test_starting_work_sends_nothing(highfield, tech, staff, log_incident, act):
    act(services.incident_transition, incident=log_incident(highfield, by=staff), action="start", actor=tech)
    assert mail.outbox == []


def test_putting_on_hold_tells_the_caller_why(highfield, tech, staff, log_incident, act):
    incident = services.incident_transition(incident=log_incident(highfield, by=staff), action="start", actor=tech)
    act(
        services.incident_transition,
        incident=incident,
        action="hold",
        actor=tech,
        note="Waiting for a part.",
        hold_reason="awaiting_parts",
    )
    (message,) = mail.outbox
    assert message.to == [staff.email]
    assert "On hold" in message.subject


def test_a_reopened_incident_alerts_its_technician(highfield, tech, staff, log_incident, act):
    incident = services.incident_transition(
        incident=log_incident(highfield, by=staff), action="resolve", actor=tech, note="Fixed.", resolution_code="fixed"
    )
    act(services.incident_transition, incident=incident, action="reopen", actor=staff, note="Still no picture.")
    (message,) = mail.outbox  # the caller reopened it: only the technician is told
    assert message.to == [tech.email]
    assert "Reopened" in message.subject
    assert "Still no picture." in message.body


def test_a_caller_without_an_email_address_is_skipped(highfield, desk, tech, log_incident, act):
    from tests.conftest import make_person

    caller = make_person("mrs.patel", school=highfield, role="ict_user")
    caller.email = ""
    caller.save()
    incident = act(log_incident, school=highfield, by=desk, reporter=caller)
    assert mail.outbox == []
    act(
        services.incident_transition,
        incident=incident,
        action="resolve",
        actor=tech,
        note="Fixed.",
        resolution_code="fixed",
    )
    assert mail.outbox == []


def test_a_refused_change_sends_nothing(highfield, staff, log_incident, act):
    incident = log_incident(highfield, by=staff)
    with pytest.raises(PermissionDenied):
        act(services.incident_transition, incident=incident, action="resolve", actor=staff, note="Fixed?")
    assert mail.outbox == []


def test_sending_for_a_deleted_incident_is_a_no_op(highfield, staff, log_incident):
    incident = log_incident(highfield, by=staff)
    pk = incident.pk
    from fits.models import Activity

    Activity.objects.filter(object_id=pk).delete()
    incident.delete()
    assert services.incident_send_notifications(incident_id=pk, event="resolve") == 0
    assert mail.outbox == []
