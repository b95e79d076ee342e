"""State and alerts (availability.alerts): one incident per outage, topology-aware correlation, silencing,
and the services' state, on a real CMDB graph (tests/cmdb/small_network: firewall - core - edge - panel -
socket - PC, a printer on the edge switch, a server on the core with the MIS, of high criticality, on it).

Checks' damped states are set directly (the engine's part); time is passed as `now=`.
"""

from __future__ import annotations

import threading
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from availability import alerts
from availability.models import Check, CheckKind, CIState, MonitoringSettings, Outage, State
from changes import services as change_services
from changes.models import ChangeKind, MaintenanceWindow
from cmdb import services as cmdb_services
from cmdb.models import Kind
from fits.models import Activity, User
from incidents import services as incident_services
from incidents.models import Channel, Impact, Incident, Priority, ResolutionCode, Urgency
from incidents.models import Status as IncidentStatus
from tests.changes.conftest import LOW_RISK
from tests.cmdb.small_network import build

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
T0 = datetime(2026, 11, 24, 10, 0, tzinfo=LONDON)  # a Tuesday
MINUTE = timedelta(minutes=1)


@pytest.fixture
def net(highfield, netmgr):
    network = build(highfield, netmgr)
    for key in ("firewall", "core", "edge", "pc", "printer", "server"):
        Check.objects.create(
            school=highfield, ci=network[key], kind=CheckKind.PING, name="Ping", state=State.UP, target="10.0.0.1"
        )
    return network


def report(*items, state: str, message: str = "", at: datetime = T0) -> None:
    """The engine's part: the damped state of every check of `items`."""
    message = message or ("no reply (3 failures)" if state == State.DOWN else "")
    Check.objects.filter(ci__in=items).update(state=state, last_message=message, state_since=at)


def evaluate(net, *keys: str, now: datetime) -> None:
    alerts.evaluate(school_id=net.school.pk, ci_ids=[net[k].pk for k in keys], now=now)


def state_of(ci) -> CIState:
    return CIState.objects.get(ci=ci)


def incidents_of(ci):
    return Incident.objects.filter(ci=ci)


# =============================================================================
# A CI's own state
# =============================================================================


def check(kind: str, state: str, name: str = "") -> Check:
    return Check(kind=kind, name=name or kind, state=state, last_message="")


@pytest.mark.parametrize(
    ("checks", "expected"),
    [
        ([], State.UNKNOWN),
        ([check(CheckKind.PING, State.UNKNOWN)], State.UNKNOWN),
        ([check(CheckKind.PING, State.DOWN), check(CheckKind.HTTP, State.UP)], State.DOWN),
        ([check(CheckKind.PING, State.UP), check(CheckKind.HTTP, State.DOWN)], State.DEGRADED),
        ([check(CheckKind.TCP, State.DOWN), check(CheckKind.HTTP, State.DOWN)], State.DOWN),
        ([check(CheckKind.TCP, State.DOWN), check(CheckKind.HTTP, State.UP)], State.DEGRADED),
        ([check(CheckKind.PING, State.UP), check(CheckKind.SNMP_UPTIME, State.UNKNOWN)], State.UP),
    ],
)
def test_a_cis_own_state_follows_its_reachability_check_first(checks, expected):
    assert alerts.ci_state(checks).state == expected


def test_the_reason_names_the_check_and_what_it_found():
    verdict = alerts.ci_state([Check(kind=CheckKind.PING, name="Ping", state=State.DOWN, last_message="no reply")])
    assert verdict.reason == "Ping down: no reply"


# =============================================================================
# One incident per outage
# =============================================================================


def test_a_device_going_down_opens_one_incident_however_often_evaluate_runs(net):
    report(net["pc"], state=State.DOWN)
    for step in range(4):
        evaluate(net, "pc", now=T0 + step * 5 * MINUTE)
        evaluate(net, "pc", now=T0 + step * 5 * MINUTE)  # a redelivered batch

    outage = Outage.objects.get(ci=net["pc"])
    assert outage.is_open and outage.kind == Outage.Kind.DOWN and outage.started_at == T0
    incident = incidents_of(net["pc"]).get()
    assert outage.incident == incident
    assert incident.title == "HF-C4-PC01 is down" and incident.channel == Channel.MONITORING
    assert incident.reporter == incident.logged_by == User.objects.system_account()
    assert "Ping down: no reply (3 failures)" in incident.description
    assert "Classroom 4" in incident.description  # where it is
    row = state_of(net["pc"])
    assert (row.state, row.since, row.reason) == (State.DOWN, T0, "Ping down: no reply (3 failures)")


def test_the_incident_hears_from_monitoring_at_most_once_an_hour(net):
    report(net["pc"], state=State.DOWN)
    evaluate(net, "pc", now=T0)
    for minutes in (5, 30, 59, 61, 90, 120, 121, 125):
        evaluate(net, "pc", now=T0 + minutes * MINUTE)

    incident = incidents_of(net["pc"]).get()
    notes = Activity.objects.filter(object_id=incident.pk, kind=Activity.Kind.COMMENT).order_by("pk")
    assert [n.public for n in notes] == [False, False]  # internal notes, at 61 and 121 minutes
    assert notes[0].text.startswith("Monitoring: HF-C4-PC01 is still down after 1 h 1 min (since 10:00")
    assert "Latest: Ping down: no reply" in notes[1].text
    assert Outage.objects.get().incident_updated_at == T0 + 121 * MINUTE


def test_recovery_ends_the_outage_and_resolves_the_incident(net):
    report(net["pc"], state=State.DOWN)
    evaluate(net, "pc", now=T0)
    report(net["pc"], state=State.UP, at=T0 + 23 * MINUTE)
    evaluate(net, "pc", now=T0 + 23 * MINUTE)
    evaluate(net, "pc", now=T0 + 28 * MINUTE)

    outage = Outage.objects.get()
    assert outage.ended_at == T0 + 23 * MINUTE
    incident = outage.incident
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED and incident.resolution_code == ResolutionCode.FIXED
    assert incident.resolution == "Recovered at 10:23 on Tue 24 Nov; down for 23 min."
    row = state_of(net["pc"])
    assert (row.state, row.since) == (State.UP, T0 + 23 * MINUTE)


def test_a_second_outage_opens_a_second_incident(net):
    for start in (T0, T0 + 60 * MINUTE):
        report(net["pc"], state=State.DOWN)
        evaluate(net, "pc", now=start)
        report(net["pc"], state=State.UP)
        evaluate(net, "pc", now=start + 10 * MINUTE)
    assert Outage.objects.filter(ci=net["pc"]).count() == 2
    assert incidents_of(net["pc"]).filter(status=IncidentStatus.RESOLVED).count() == 2


def test_an_incident_a_person_resolved_is_left_alone_on_recovery(net, tech):
    report(net["pc"], state=State.DOWN)
    evaluate(net, "pc", now=T0)
    incident = incidents_of(net["pc"]).get()
    incident_services.incident_transition(
        incident=incident, action="resolve", actor=tech, note="Replaced the lead.", resolution_code="replaced"
    )
    evaluate(net, "pc", now=T0 + 90 * MINUTE)  # no hourly note on a resolved incident
    report(net["pc"], state=State.UP)
    evaluate(net, "pc", now=T0 + 95 * MINUTE)

    incident.refresh_from_db()
    assert incident.resolution == "Replaced the lead." and incident.resolution_code == ResolutionCode.REPLACED
    assert not Activity.objects.filter(object_id=incident.pk, kind=Activity.Kind.COMMENT).exists()
    assert Outage.objects.get().ended_at == T0 + 95 * MINUTE


def test_checks_without_an_answer_do_not_end_an_outage(net):
    report(net["pc"], state=State.DOWN)
    evaluate(net, "pc", now=T0)
    report(net["pc"], state=State.UNKNOWN, message="no SNMP answer")
    evaluate(net, "pc", now=T0 + 5 * MINUTE)
    assert state_of(net["pc"]).state == State.DOWN
    assert Outage.objects.get().is_open and incidents_of(net["pc"]).get().is_open


def test_no_incident_when_the_school_turned_alerts_off(net, highfield):
    MonitoringSettings.objects.create(school=highfield, alerts_enabled=False)
    report(net["pc"], state=State.DOWN)
    evaluate(net, "pc", now=T0)
    assert Outage.objects.get(ci=net["pc"]).incident is None
    assert not Incident.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_workers_evaluating_one_outage_at_once_open_one_incident(net):
    if connection.vendor != "postgresql":
        pytest.skip("row locks (select_for_update) need PostgreSQL; SQLite runs one writer at a time anyway")
    report(net["pc"], net["printer"], state=State.DOWN)
    start, errors = threading.Barrier(4), []

    def worker(step: int) -> None:
        try:
            start.wait()
            with transaction.atomic():
                evaluate(net, "pc", "printer", now=T0 + step * MINUTE)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(step,)) for step in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Outage.objects.count() == 2 and Incident.objects.count() == 2
    assert {o.incident.ci for o in Outage.objects.select_related("incident__ci")} == {net["pc"], net["printer"]}


# =============================================================================
# Topology
# =============================================================================


def test_devices_behind_a_dead_switch_are_unreachable_with_no_incident_of_their_own(net):
    report(net["edge"], net["pc"], net["printer"], state=State.DOWN)
    evaluate(net, "pc", "edge", "printer", now=T0)

    assert state_of(net["edge"]).state == State.DOWN
    for key in ("pc", "printer"):
        row = state_of(net[key])
        assert (row.state, row.cause) == (State.UNREACHABLE, net["edge"])
        assert row.reason.startswith("Behind HF-EDGE-JUN, which is down.")
        outage = Outage.objects.get(ci=net[key])
        assert (outage.kind, outage.cause, outage.incident) == (Outage.Kind.UNREACHABLE, net["edge"], None)
    incident = Incident.objects.get()
    assert incident.ci == net["edge"]
    assert "2 device(s) behind it: HF-C4-PC01, HF-OFF-PRN" in incident.description
    assert "rooms: Classroom 4, School office" in incident.description


def test_a_device_failing_behind_a_switch_already_down_is_unreachable(net):
    report(net["edge"], state=State.DOWN)
    evaluate(net, "edge", now=T0)
    report(net["pc"], state=State.DOWN)
    evaluate(net, "pc", now=T0 + 5 * MINUTE)
    evaluate(net, "pc", now=T0 + 10 * MINUTE)

    row = state_of(net["pc"])
    assert (row.state, row.cause, row.since) == (State.UNREACHABLE, net["edge"], T0 + 5 * MINUTE)
    assert Incident.objects.get().ci == net["edge"]


def test_the_cause_is_the_failure_furthest_upstream(net):
    report(net["core"], net["edge"], net["pc"], state=State.DOWN)
    evaluate(net, "pc", "edge", "core", now=T0)
    assert state_of(net["core"]).state == State.DOWN
    assert state_of(net["edge"]).cause == state_of(net["pc"]).cause == net["core"]
    assert Incident.objects.get().ci == net["core"]


def test_a_device_down_first_is_converted_when_its_switch_goes_down(net):
    report(net["pc"], state=State.DOWN)
    evaluate(net, "pc", now=T0)
    own = incidents_of(net["pc"]).get()
    report(net["edge"], state=State.DOWN)
    evaluate(net, "edge", now=T0 + 5 * MINUTE)

    switch = incidents_of(net["edge"]).get()
    outage = Outage.objects.get(ci=net["pc"])
    assert (outage.kind, outage.cause, outage.started_at, outage.is_open) == (
        Outage.Kind.UNREACHABLE,
        net["edge"],
        T0,
        True,
    )
    own.refresh_from_db()
    assert own.status == IncidentStatus.RESOLVED and own.resolution_code == ResolutionCode.NO_FAULT
    assert f"unreachable behind HF-EDGE-JUN, which is down: see {switch.reference}" in own.resolution
    assert state_of(net["pc"]).cause == net["edge"]
    evaluate(net, "pc", "edge", now=T0 + 10 * MINUTE)
    assert Incident.objects.count() == 2 and Outage.objects.filter(ended_at__isnull=True).count() == 2


def test_when_the_switch_recovers_the_devices_behind_it_wait_for_their_own_checks(net):
    report(net["edge"], net["pc"], net["printer"], state=State.DOWN)
    evaluate(net, "pc", "edge", "printer", now=T0)
    report(net["edge"], net["printer"], state=State.UP)  # the printer has answered again; the PC not yet
    evaluate(net, "edge", now=T0 + 20 * MINUTE)

    assert state_of(net["printer"]).state == State.UP
    pc = state_of(net["pc"])
    assert pc.state == State.UNKNOWN and "waiting for its next check" in pc.reason
    assert not Outage.objects.filter(ended_at__isnull=True).exists()
    assert Incident.objects.get().status == IncidentStatus.RESOLVED
    evaluate(net, "pc", now=T0 + 25 * MINUTE)  # its check still fails: now it is down in its own right
    assert state_of(net["pc"]).state == State.DOWN and incidents_of(net["pc"]).count() == 1


def test_the_topology_walks_stay_few_when_the_state_holds(net, django_assert_max_num_queries):
    report(net["edge"], net["pc"], net["printer"], state=State.DOWN)
    evaluate(net, "pc", "edge", "printer", now=T0)
    with django_assert_max_num_queries(9):  # the steady 7, and whether each cause is still down
        evaluate(net, "pc", "edge", "printer", now=T0 + 5 * MINUTE)


# =============================================================================
# Silencing
# =============================================================================


def test_a_change_in_progress_on_a_device_upstream_silences_the_alert(net, highfield, tech):
    change = change_services.rfc_create(
        school=highfield,
        requester=tech,
        kind=ChangeKind.EMERGENCY,
        title="Replace the junior block switch",
        reason="It drops packets.",
        cis=[net["edge"]],
    )
    change_services.rfc_start(change=change, actor=tech)
    report(net["pc"], state=State.DOWN)  # the switch still answers; the PC lost its link in the work
    evaluate(net, "pc", now=T0)

    outage = Outage.objects.get(ci=net["pc"])
    assert outage.planned and outage.silenced_by == f"{change.reference} in progress"
    assert state_of(net["pc"]).silenced_by == f"{change.reference} in progress"
    assert not Incident.objects.exists()


def test_a_change_scheduled_now_silences_its_own_cis(net, highfield, tech, netmgr):
    change = change_services.rfc_create(
        school=highfield,
        requester=tech,
        title="Printer firmware",
        reason="Security fix.",
        implementation_plan="Upload the image.",
        backout_plan="Load the previous image.",
        cis=[net["printer"]],
    )
    change_services.rfc_assess(change=change, actor=tech, answers=LOW_RISK)
    change_services.rfc_submit(change=change, actor=tech)
    change_services.rfc_approve(change=change, approver=netmgr)
    start = datetime(2027, 3, 3, 16, 0, tzinfo=LONDON)
    change_services.rfc_schedule(change=change, actor=tech, planned_start=start, planned_end=start + 60 * MINUTE)
    report(net["printer"], state=State.DOWN)
    evaluate(net, "printer", now=start - MINUTE)  # before its window: the alert goes out
    assert incidents_of(net["printer"]).count() == 1
    report(net["printer"], state=State.UP)
    evaluate(net, "printer", now=start)
    report(net["printer"], state=State.DOWN)
    evaluate(net, "printer", now=start + 10 * MINUTE)  # inside it: silenced
    silenced = Outage.objects.get(ended_at__isnull=True)
    assert silenced.planned and silenced.silenced_by == f"{change.reference} scheduled"
    assert incidents_of(net["printer"]).count() == 1


def test_a_maintenance_window_silences_and_the_incident_opens_when_it_ends_still_down(net, highfield):
    MaintenanceWindow.objects.create(school=highfield, weekday=2, opens=time(16), closes=time(18))
    wednesday = datetime(2026, 11, 25, 16, 30, tzinfo=LONDON)
    report(net["server"], state=State.DOWN, at=wednesday)
    evaluate(net, "server", now=wednesday)
    evaluate(net, "server", now=wednesday + 60 * MINUTE)

    planned = Outage.objects.get(ci=net["server"])
    assert planned.planned and planned.silenced_by == "Maintenance window Wednesday 16:00-18:00"
    assert not incidents_of(net["server"]).exists()

    evaluate(net, "server", now=wednesday + 95 * MINUTE)  # 18:05: still down after the window
    evaluate(net, "server", now=wednesday + 100 * MINUTE)
    planned.refresh_from_db()
    assert planned.ended_at == wednesday + 95 * MINUTE
    after = Outage.objects.get(ci=net["server"], ended_at__isnull=True)
    assert not after.planned and after.started_at == wednesday + 95 * MINUTE
    incident = incidents_of(net["server"]).get()
    assert after.incident == incident
    assert (
        "It went down at 16:30 on Wed 25 Nov, silenced (Maintenance window Wednesday 16:00-18:00); "
        "still down after the window." in incident.description
    )


def test_an_authoritys_window_applies_and_another_schools_does_not(net, highfield, riverside):
    MaintenanceWindow.objects.create(school=riverside, weekday=1, opens=time(9), closes=time(11))
    report(net["pc"], state=State.DOWN)
    evaluate(net, "pc", now=T0)
    assert not Outage.objects.get(ci=net["pc"]).planned

    MaintenanceWindow.objects.create(authority=highfield.authority, weekday=1, opens=time(9), closes=time(11))
    report(net["printer"], state=State.DOWN)
    evaluate(net, "printer", now=T0)
    assert Outage.objects.get(ci=net["printer"]).silenced_by == "Maintenance window Tuesday 09:00-11:00"


# =============================================================================
# Services
# =============================================================================


def test_a_service_is_down_while_its_server_is_and_up_again_after(net):
    report(net["server"], state=State.DOWN)
    evaluate(net, "server", now=T0)

    mis = state_of(net["mis"])
    assert (mis.state, mis.cause) == (State.DOWN, net["server"])
    assert mis.reason == "It depends on HF-SRV-01, which is down."
    outage = Outage.objects.get(ci=net["mis"])
    assert (outage.kind, outage.cause, outage.incident, outage.started_at) == (
        Outage.Kind.DOWN,
        net["server"],
        None,
        T0,
    )
    incident = Incident.objects.get()
    assert incident.ci == net["server"] and "services: MIS" in incident.description

    report(net["server"], state=State.UP)
    evaluate(net, "server", now=T0 + 40 * MINUTE)
    assert state_of(net["mis"]).state == State.UP
    assert Outage.objects.get(ci=net["mis"]).ended_at == T0 + 40 * MINUTE


def test_a_service_down_behind_a_dead_core_switch_names_the_switch(net):
    report(net["core"], net["server"], state=State.DOWN)
    evaluate(net, "server", "core", now=T0)
    assert state_of(net["server"]).state == State.UNREACHABLE
    mis = state_of(net["mis"])
    assert (mis.state, mis.cause) == (State.DOWN, net["core"])
    assert mis.reason == "It depends on HF-SRV-01, which is unreachable behind HF-CORE-01."


def test_a_service_is_up_when_what_it_depends_on_is(net):
    evaluate(net, "server", "core", "firewall", now=T0)
    assert state_of(net["mis"]).state == State.UP
    assert not Outage.objects.exists()


# =============================================================================
# Importance and priority
# =============================================================================


@pytest.mark.parametrize(
    ("key", "level", "priority"),
    [
        ("firewall", "high", Priority.CRITICAL),  # the school's way out
        ("server", "high", Priority.CRITICAL),  # the MIS (high criticality) runs on it
        ("core", "high", Priority.CRITICAL),  # another switch behind it
        ("edge", "medium", Priority.HIGH),  # a switch with a PC and a printer behind it
        ("pc", "low", Priority.LOW),  # one device
    ],
)
def test_the_incidents_priority_follows_the_cis_importance(net, key, level, priority):
    assert alerts.importance(net[key]).level == level
    report(net[key], state=State.DOWN)
    evaluate(net, key, now=T0)
    assert Incident.objects.get(ci=net[key]).priority == priority


def test_importance_counts_the_devices_behind_a_switch(highfield, netmgr):
    switch = cmdb_services.ci_create(school=highfield, actor=netmgr, kind=Kind.ACCESS_POINT, name="AP-HALL")
    ap = alerts.importance(switch)
    assert (ap.level, ap.impact, ap.urgency) == ("medium", Impact.MEDIUM, Urgency.HIGH)
    printer = cmdb_services.ci_create(school=highfield, actor=netmgr, kind=Kind.PRINTER, name="PRN-1")
    assert alerts.importance(printer).why == "one device, nothing depends on it"


# =============================================================================
# Cost
# =============================================================================


def test_a_steady_batch_costs_the_same_whatever_its_size(highfield, netmgr):
    def batch(size: int) -> list[int]:
        ids = []
        for n in range(size):
            ci = cmdb_services.ci_create(school=highfield, actor=netmgr, kind=Kind.DESKTOP, name=f"PC-{size}-{n}")
            Check.objects.create(school=highfield, ci=ci, kind=CheckKind.PING, name="Ping", state=State.UP)
            ids.append(ci.pk)
        return ids

    counts = []
    for size in (3, 30):
        ids = batch(size)
        alerts.evaluate(school_id=highfield.pk, ci_ids=ids, now=T0)
        with CaptureQueriesContext(connection) as queries:
            alerts.evaluate(school_id=highfield.pk, ci_ids=ids, now=T0 + 5 * MINUTE)
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 7  # CIs, checks, state rows (made, locked), open outages; a savepoint
