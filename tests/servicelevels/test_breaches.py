"""Breach detection: warnings, breaches and escalations recorded exactly once, and told to the right people.

Tickets are P2 logged Mon 17 Nov 2025 09:00 GMT with the built-in targets in school hours
(Mon-Fri 08:00-16:00): respond 1 h (warning at 75 % = 09:45, breach 10:00, escalation at 150 % = 10:30),
resolve 8 h (warning 6 h = 15:00, breach Tue 18 Nov 09:00, escalation 12 h = Tue 13:00).
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from fits import notifications
from fits.models import Activity, AuthorityRole, AuthorityRoleKind, Notification
from incidents import services
from incidents.models import Incident
from servicelevels import breaches
from servicelevels.models import ClockEvent
from tests.servicelevels.sla_helpers import frozen, utc

MON_9 = utc(2025, 11, 17, 9)


@pytest.fixture
def log(highfield, desk, staff):
    def log_at(instant=MON_9, **fields):
        with frozen(instant):
            return services.incident_log(
                school=highfield,
                logged_by=desk,
                reporter=staff,
                title="Whiteboard dead",
                description="No picture.",
                impact=1,
                urgency=2,
                **fields,
            )

    return log_at


def events(incident) -> list[tuple[str, str]]:
    return sorted(ClockEvent.objects.filter(incident=incident).values_list("clock", "level"))


def test_warning_then_breach_then_escalation_each_once(log, tech, netmgr, consultant):
    incident = log()
    assert breaches.detect_breaches(now=utc(2025, 11, 17, 9, 44)) == 0
    assert breaches.detect_breaches(now=utc(2025, 11, 17, 9, 46)) == 1
    assert events(incident) == [("response", "warning")]
    assert Incident.objects.get(pk=incident.pk).clock_check_at == utc(2025, 11, 17, 10)
    assert breaches.detect_breaches(now=utc(2025, 11, 17, 9, 46)) == 0  # again: nothing new
    assert breaches.detect_breaches(now=utc(2025, 11, 17, 10, 31)) == 2  # breach and escalation
    assert events(incident) == [("response", "breach"), ("response", "escalation"), ("response", "warning")]
    breach = ClockEvent.objects.get(incident=incident, level="breach")
    assert breach.due_at == breach.reached_at == utc(2025, 11, 17, 10)
    # Nobody holds it: the school's technicians hear of the warning; the network manager of the breach;
    # the LEA consultant of the escalation.
    told = {
        level: set(Notification.objects.filter(event=f"sla_{level}").values_list("recipient__username", flat=True))
        for level in ("warning", "breach", "escalation")
    }
    assert told["warning"] == {"tech", "netmgr"}
    assert told["breach"] == {"tech", "netmgr"}
    assert told["escalation"] == {"tech", "netmgr", "consultant"}
    entries = Activity.objects.filter(object_id=incident.pk, changes__has_key="sla")
    assert entries.count() == 3 and not entries.filter(public=True).exists()
    # The resolution clock's warning comes next, at 15:00.
    assert Incident.objects.get(pk=incident.pk).clock_check_at == utc(2025, 11, 17, 15)


def test_assignee_and_group_are_told_of_the_warning(log, tech, netmgr, highfield):
    from fits.models import Role
    from incidents.models import SupportGroup
    from tests.conftest import make_person

    group = SupportGroup.objects.create(school=highfield, name="ICT team")
    group.members.add(tech, make_person("tech3", school=highfield, role=Role.TECHNICIAN))
    incident = log()
    with frozen(utc(2025, 11, 17, 9, 5)):
        services.incident_assign(incident=incident, assignee=tech, actor=netmgr, group=group)
    # Assigning at 09:05 was the first response (met), so only the resolution warning comes, at 15:00.
    assert breaches.detect_breaches(now=utc(2025, 11, 17, 15, 1)) == 1
    assert events(incident) == [("resolution", "warning")]
    told = set(Notification.objects.filter(event="sla_warning").values_list("recipient__username", flat=True))
    assert told == {"tech", "tech3"}  # the assignee and the group; the network manager hears of breaches


def test_a_responded_ticket_has_no_response_events(log, tech):
    incident = log()
    with frozen(utc(2025, 11, 17, 9, 10)):
        services.incident_transition(incident=incident, action="start", actor=tech)
    assert breaches.detect_breaches(now=utc(2025, 11, 17, 15, 1)) == 1
    assert events(incident) == [("resolution", "warning")]
    assert set(Notification.objects.filter(event="sla_warning").values_list("recipient__username", flat=True)) == {
        "tech"
    }


def test_a_ticket_waiting_on_the_caller_is_not_checked(log, tech):
    incident = log()
    with frozen(utc(2025, 11, 17, 9, 10)):
        services.incident_transition(incident=incident, action="start", actor=tech)
    with frozen(utc(2025, 11, 17, 9, 20)):
        services.incident_transition(
            incident=incident, action="hold", actor=tech, note="Which room?", hold_reason="awaiting_caller"
        )
    assert Incident.objects.get(pk=incident.pk).clock_check_at is None
    assert breaches.detect_breaches(now=utc(2025, 11, 20, 9)) == 0


def test_a_run_that_fails_midway_leaves_the_rest_to_the_next_run(log, monkeypatch, tech, netmgr):
    tickets = [log() for _ in range(5)]
    real = notifications.notify
    calls = {"n": 0}

    def flaky(record, event, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("mail server down")
        return real(record, event, *args, **kwargs)

    monkeypatch.setattr(notifications, "notify", flaky)
    with pytest.raises(RuntimeError):
        breaches.detect_breaches(now=utc(2025, 11, 17, 9, 46))
    assert ClockEvent.objects.count() == 4  # the third ticket rolled back whole; the others went ahead
    third = tickets[2]
    assert events(third) == []
    assert not Activity.objects.filter(object_id=third.pk, changes__has_key="sla").exists()
    assert Incident.objects.get(pk=third.pk).clock_check_at == utc(2025, 11, 17, 9, 45)
    monkeypatch.setattr(notifications, "notify", real)
    assert breaches.detect_breaches(now=utc(2025, 11, 17, 9, 46)) == 1
    assert breaches.detect_breaches(now=utc(2025, 11, 17, 9, 46)) == 0
    for ticket in tickets:
        assert events(ticket) == [("response", "warning")]
        assert Notification.objects.filter(event="sla_warning", url=ticket.get_absolute_url()).count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_record_each_event_once(highfield, desk, staff, tech, netmgr):
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED needs PostgreSQL")
    tickets = []
    for _ in range(20):
        with frozen(MON_9):
            tickets.append(
                services.incident_log(
                    school=highfield, logged_by=desk, reporter=staff, title="Dead", description="x", impact=1, urgency=2
                )
            )
    results, errors = [], []

    def run():
        try:
            results.append(breaches.detect_breaches(now=utc(2025, 11, 17, 10, 31)))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(results) == 20 * 3
    assert ClockEvent.objects.count() == 20 * 3
    assert Notification.objects.filter(event="sla_warning").count() == 20 * 2


def test_escalation_goes_to_the_authority(log, consultant, bolton, tech):
    from tests.conftest import make_person

    unit = make_person("unit")
    AuthorityRole.objects.create(user=unit, authority=bolton, role=AuthorityRoleKind.SUPPORT)
    incident = log()
    people = {p.username for p in breaches.recipients(Incident.objects.get(pk=incident.pk), "escalation")}
    assert {"consultant", "unit", "tech"} <= people


def test_beat_runs_detection_every_minute():
    from fits.schedules import DEFAULT_SCHEDULES
    from servicelevels import tasks

    entry = next(s for s in DEFAULT_SCHEDULES if s.task == "servicelevels.tasks.detect_breaches")
    assert entry.crontab == "* * * * *"
    assert tasks.detect_breaches.name == "servicelevels.tasks.detect_breaches"


def test_the_task_runs_detection(log, tech, monkeypatch):
    from servicelevels import tasks

    incident = log()
    monkeypatch.setattr(breaches.timezone, "now", lambda: utc(2025, 11, 17, 9, 50))
    assert tasks.detect_breaches.delay().get() == 1
    assert events(incident) == [("response", "warning")]


def test_the_agreement_sets_the_warning_share_and_may_never_escalate(log, highfield, leader, tech):
    from tests.servicelevels.sla_helpers import agreed_sla

    agreed_sla(highfield, leader, warning_percent=50, escalation_percent=None, targets=[(2, 60, 480)])
    incident = log()
    # Respond 60 min: warning at 50 % = 09:30; breach 10:00; no escalation however late.
    assert Incident.objects.get(pk=incident.pk).clock_check_at == utc(2025, 11, 17, 9, 30)
    assert breaches.detect_breaches(now=utc(2025, 11, 19, 9)) == 4  # both clocks: warning and breach
    assert events(incident) == [
        ("resolution", "breach"),
        ("resolution", "warning"),
        ("response", "breach"),
        ("response", "warning"),
    ]
    assert Incident.objects.get(pk=incident.pk).clock_check_at is None
