"""The Celery tasks of Incident Management, run by a real worker on the configured broker.

With REDIS_URL set the broker is Redis; otherwise the embedded filesystem:// broker of `make run`.
The worker runs in this process (pool="solo"), so the locmem outbox it sends to is the test's.
"""

import time
import uuid
from pathlib import Path

import pytest
from django.core import mail

from fits.celery import app
from fits.tasks import notification_email_task
from incidents import services
from incidents.tasks import incident_notify_task

WAIT_SECONDS = 8


def wait_for_mail(predicate, what: str) -> mail.EmailMessage:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        found = [m for m in mail.outbox if predicate(m)]
        if found:
            return found[0]
        time.sleep(0.05)
    pytest.fail(f"The worker did not send {what} within {WAIT_SECONDS} s (outbox: {[m.subject for m in mail.outbox]})")


@pytest.fixture
def broker(monkeypatch):
    """The configured broker, checked first so that an unreachable one fails fast instead of hanging.

    Tasks go to a queue of this test's own, so no other worker on the same broker takes them.
    """
    conf = {
        name: app.conf[name]
        for name in (
            "task_always_eager",
            "worker_hijack_root_logger",
            "worker_enable_remote_control",
            "broker_transport_options",
        )
    }
    app.conf.update(
        task_always_eager=False,
        worker_hijack_root_logger=False,
        worker_enable_remote_control=False,  # no pidbox: nothing left behind on the broker
        # The filesystem broker polls its folder once a second by default; a test need not wait that long.
        broker_transport_options={**conf["broker_transport_options"], "polling_interval": 0.1},
    )
    queue = f"fits-test-{uuid.uuid4().hex[:12]}"
    consume_from = app.amqp.queues._consume_from
    try:
        try:
            with app.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, interval_start=0, timeout=3)
        except Exception as error:  # noqa: BLE001 - any failure means the same thing here
            pytest.fail(f"Cannot reach the Celery broker at {app.conf.broker_url!r}: {error}")
        # The incident's task and the e-mail task it leads to (fits.notifications queues it after commit).
        for task in (incident_notify_task, notification_email_task):
            monkeypatch.setattr(task, "queue", queue, raising=False)
            monkeypatch.setattr(task, "_exec_options", None)  # Celery caches the routing options
        yield queue
    finally:
        app.amqp.queues._consume_from = consume_from
        app.conf.update(conf)
        control_folder = conf["broker_transport_options"].get("control_folder")
        if app.conf.broker_url.startswith("filesystem://") and control_folder:
            (Path(control_folder) / f"{queue}.exchange").unlink(missing_ok=True)


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_the_notifications(broker, highfield, staff, desk, tech, settings):
    from celery.contrib.testing.worker import start_worker

    settings.FITS_BASE_URL = "https://desk.example.sch.uk"
    with start_worker(app, pool="solo", perform_ping_check=False, queues=[broker], shutdown_timeout=10):
        # Logging commits, and the notification is queued on commit: the caller hears of it.
        incident = services.incident_log(
            school=highfield,
            logged_by=desk,
            reporter=staff,
            title="Projector shows no picture",
            description="It says 'no signal'.",
            impact=2,
            urgency=1,
        )
        logged = wait_for_mail(lambda m: "Logged" in m.subject, "the 'logged' e-mail")
        assert logged.to == [staff.email]

        # A task queued by hand for the committed incident, as a retry or a tool would.
        incident.assignee = tech
        incident.save(update_fields=["assignee"])
        incident_notify_task.delay(incident.pk, "assigned")
        assigned = wait_for_mail(lambda m: "Assigned to" in m.subject, "the 'assigned' e-mail")
        assert assigned.to == [tech.email]
        assert f"https://desk.example.sch.uk/incidents/{incident.pk}/" in assigned.body

    assert len(mail.outbox) == 2


def test_the_notify_task_takes_ids_and_calls_the_service(monkeypatch):
    calls = []
    monkeypatch.setattr(
        services, "incident_send_notifications", lambda **kwargs: calls.append(kwargs) or 1, raising=True
    )
    assert incident_notify_task.run(42, "resolve") == 1
    assert calls == [{"incident_id": 42, "event": "resolve", "actor_id": None}]


def test_the_tasks_survive_a_killed_worker():
    """acks_late: a message is acknowledged after the work, so a worker killed mid-task loses nothing."""
    from incidents.tasks import incident_close_unconfirmed_task

    assert incident_notify_task.acks_late
    assert incident_close_unconfirmed_task.acks_late
    assert app.conf.task_reject_on_worker_lost
