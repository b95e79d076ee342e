"""A real SMTP round trip: Django's SMTP backend sends notifications to an aiosmtpd server on loopback."""

from __future__ import annotations

import email
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller
from django.core import mail

from fits.models import EmailFrequency
from incidents import services

pytestmark = pytest.mark.django_db


class Sink:
    """An SMTP server that keeps what it is sent."""

    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(settings):
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    try:
        yield sink
    finally:
        controller.stop()


def test_notifications_cross_a_real_smtp_server(
    smtp, highfield, desk, staff, tech, log_incident, django_capture_on_commit_callbacks
):
    highfield.support_email = "ictsupport@highfield.example.sch.uk"
    highfield.save()
    incident = log_incident(highfield, by=desk, reporter=staff, channel="phone", title="Whiteboard pen <broken>")
    incident = services.incident_assign(incident=incident, assignee=tech, actor=desk)
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_comment(incident=incident, author=desk, text="A <red> pen is in the post – £2.50.")

    assert mail.outbox == []  # it went over the wire, not to the locmem outbox
    assert sorted(rcpt for e in smtp.envelopes for rcpt in e.rcpt_tos) == sorted([staff.email, tech.email])
    envelope = next(e for e in smtp.envelopes if e.rcpt_tos == [staff.email])
    assert envelope.mail_from == "ictsupport@highfield.example.sch.uk"
    message = email.message_from_bytes(envelope.original_content, policy=policy.default)
    assert message["Subject"] == f"[{incident.reference}] New comment: Whiteboard pen <broken>"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Reply-To"] == "ictsupport@highfield.example.sch.uk"
    assert message["In-Reply-To"] == f"<fits.{incident.pk}@highfield.example.sch.uk>"
    assert message["Message-ID"].strip().startswith(f"<fits.{incident.pk}.")  # folded when long
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "A <red> pen is in the post – £2.50." in text
    assert "A &lt;red&gt; pen is in the post – £2.50." in html and "<red>" not in html


def test_the_digest_crosses_a_real_smtp_server_once(
    smtp, highfield, desk, staff, tech, log_incident, django_capture_on_commit_callbacks
):
    from fits.tasks import notification_digest_task

    staff.email_frequency = EmailFrequency.DAILY
    staff.save()
    incident = log_incident(highfield, by=desk, reporter=staff, channel="phone", title="Projector")
    with django_capture_on_commit_callbacks(execute=True):
        incident = services.incident_assign(incident=incident, assignee=tech, actor=desk)
        services.incident_comment(incident=incident, author=tech, text="On my way.")
    assert [e.rcpt_tos for e in smtp.envelopes] == [[tech.email]]  # tech hears of the assignment at once

    notification_digest_task.apply()
    notification_digest_task.apply()
    digests = [e for e in smtp.envelopes if e.rcpt_tos == [staff.email]]
    assert len(digests) == 1
    body = email.message_from_bytes(digests[0].original_content, policy=policy.default)
    text = body.get_body(("plain",)).get_content()
    assert "logged: Projector" in text and "Tech: On my way." in text
