"""Due times of tickets, hand-worked (issue 5: weekends, bank holidays, half-term, the clocks changing,
with and without on-hold time).

Unless an agreement says otherwise the clock runs in the default school hours, Mon-Fri 08:00-16:00
London time (GMT = UTC in winter, BST = UTC+1 in summer), minus England's bank holidays. Built-in
targets: P1 30 min / 4 h, P2 1 h / 8 h, P3 4 h / 24 h, P4 8 h / 40 h, P5 16 h / 80 h of that clock.
Impact, urgency -> priority: (1, 1) P1, (1, 2) P2, (2, 2) P3, (2, 3) P4, (3, 3) P5.
"""

from __future__ import annotations

from datetime import date, time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents import services
from incidents.models import HoldReason, Incident, Priority, Status, TicketKind
from servicelevels import sla
from servicelevels.calendars import calendar_create, term_date_add, working_hours_set
from servicelevels.models import ITService, SupportHours
from tests.servicelevels.sla_helpers import agreed_sla, frozen, utc

P1, P2, P3, P4, P5 = (1, 1), (1, 2), (2, 2), (2, 3), (3, 3)


@pytest.fixture
def log(highfield, desk, staff):
    def log_at(instant, impact_urgency=P2, **fields):
        impact, urgency = impact_urgency
        with frozen(instant):
            return services.incident_log(
                school=highfield,
                logged_by=desk,
                reporter=staff,
                title="Whiteboard dead",
                description="No picture.",
                impact=impact,
                urgency=urgency,
                **fields,
            )

    return log_at


def move(incident, action, actor, instant, **extra):
    with frozen(instant):
        return services.incident_transition(incident=incident, action=action, actor=actor, **extra)


def fresh(incident) -> Incident:
    return Incident.objects.get(pk=incident.pk)


# --- Built-in targets, school hours -----------------------------------------------------------


def test_built_in_targets_cover_every_priority_in_minutes_of_school_time():
    assert sla.BUILT_IN_TARGETS == {
        Priority.CRITICAL: (30, 240),
        Priority.HIGH: (60, 480),
        Priority.MEDIUM: (240, 3 * 480),
        Priority.LOW: (480, 5 * 480),
        Priority.PLANNING: (2 * 480, 10 * 480),
    }


def test_across_a_weekend(log):
    # P2 logged Fri 21 Nov 2025 14:00 GMT. Respond 1 h: Fri 15:00.
    # Resolve 8 h: Fri 14:00-16:00 = 2 h; Sat, Sun closed; Mon 24 Nov 08:00 + 6 h = 14:00 GMT (= UTC).
    incident = fresh(log(utc(2025, 11, 21, 14)))
    assert incident.agreement is None
    assert incident.response_due_at == utc(2025, 11, 21, 15)
    assert incident.resolution_due_at == utc(2025, 11, 24, 14)
    # Breach detection looks first at the response warning: 75 % of 60 min = 45 min -> Fri 14:45.
    assert incident.clock_check_at == utc(2025, 11, 21, 14, 45)
    assert incident.response_met is None and incident.resolution_met is None


def test_across_a_bank_holiday(log):
    # P3 logged Fri 22 Aug 2025 15:00 BST (14:00 UTC); Mon 25 Aug is the summer bank holiday (England).
    # Respond 4 h: Fri 15:00-16:00 = 1 h; Mon closed; Tue 26 Aug 08:00 + 3 h = 11:00 BST = 10:00 UTC.
    # Resolve 24 h: Fri 1 h, Tue 8 h (9), Wed 8 h (17), Thu 28 Aug 08:00 + 7 h = 15:00 BST = 14:00 UTC.
    incident = fresh(log(utc(2025, 8, 22, 14), P3))
    assert incident.response_due_at == utc(2025, 8, 26, 10)
    assert incident.resolution_due_at == utc(2025, 8, 28, 14)


def test_may_day_2026(log):
    # P4 logged Fri 1 May 2026 12:00 BST (11:00 UTC); Mon 4 May is the early May bank holiday.
    # Respond 8 h: Fri 12:00-16:00 = 4 h; Tue 5 May 08:00 + 4 h = 12:00 BST = 11:00 UTC.
    # Resolve 40 h: Fri 4 h, Tue-Thu 24 h (28), Fri 8 May 8 h (36), Mon 11 May 08:00 + 4 h = 12:00 BST.
    incident = fresh(log(utc(2026, 5, 1, 11), P4))
    assert incident.response_due_at == utc(2026, 5, 5, 11)
    assert incident.resolution_due_at == utc(2026, 5, 11, 11)


def test_school_hours_when_the_clocks_go_forward(log):
    # P2 logged Fri 27 Mar 2026 15:00 GMT (15:00 UTC); the clocks go forward on Sun 29 Mar.
    # Resolve 8 h: Fri 1 h; Mon 30 Mar 08:00 BST (07:00 UTC) + 7 h = 15:00 BST = 14:00 UTC.
    incident = fresh(log(utc(2026, 3, 27, 15)))
    assert incident.resolution_due_at == utc(2026, 3, 30, 14)


# --- Half-term: an agreement whose clock stops outside term ---------------------------------


@pytest.fixture
def term_calendar(highfield, netmgr):
    calendar = calendar_create(actor=netmgr, school=highfield, name="Highfield")
    working_hours_set(calendar=calendar, actor=netmgr, hours={day: [(time(8), time(16))] for day in range(5)})
    term_date_add(calendar=calendar, actor=netmgr, name="Autumn 1", starts=date(2026, 9, 3), ends=date(2026, 10, 23))
    term_date_add(calendar=calendar, actor=netmgr, name="Autumn 2", starts=date(2026, 11, 2), ends=date(2026, 12, 18))
    return calendar


def test_across_half_term_term_time_only(log, term_calendar, highfield, leader):
    agreement = agreed_sla(highfield, leader, term_time_only=True, targets=[(Priority.MEDIUM, 60, 16 * 60)])
    # P3 logged Thu 22 Oct 2026 14:00 BST (13:00 UTC), the last Thursday before half-term.
    # Respond 1 h: 15:00 BST = 14:00 UTC.
    # Resolve 16 h: Thu 14:00-16:00 = 2 h; Fri 23 Oct 8 h (10); half-term 26-30 Oct (and the clocks going
    # back on Sun 25 Oct) skipped; Mon 2 Nov 08:00 GMT + 6 h = 14:00 GMT = 14:00 UTC.
    incident = fresh(log(utc(2026, 10, 22, 13), P3))
    assert incident.agreement == agreement
    assert incident.response_due_at == utc(2026, 10, 22, 14)
    assert incident.resolution_due_at == utc(2026, 11, 2, 14)


def test_half_term_counts_when_the_agreement_runs_all_year(log, term_calendar, highfield, leader):
    agreed_sla(highfield, leader, term_time_only=False, targets=[(Priority.MEDIUM, 60, 16 * 60)])
    # Same ticket, clock all year: Thu 2 h, Fri 8 h (10), Mon 26 Oct 08:00 GMT + 6 h = 14:00 UTC.
    incident = fresh(log(utc(2026, 10, 22, 13), P3))
    assert incident.resolution_due_at == utc(2026, 10, 26, 14)


# --- Around the clock, the clocks changing ---------------------------------------------------


def test_around_the_clock_when_the_clocks_go_forward(log, highfield, leader):
    agreed_sla(highfield, leader, hours=SupportHours.AROUND_THE_CLOCK, targets=[(Priority.CRITICAL, 30, 240)])
    # P1 logged Sun 29 Mar 2026 00:30 GMT (00:30 UTC). 4 h of real time -> 04:30 UTC, which the wall
    # clock shows as 05:30 BST: the hour from 01:00 to 02:00 never happened.
    incident = fresh(log(utc(2026, 3, 29, 0, 30), P1))
    assert incident.response_due_at == utc(2026, 3, 29, 1)
    assert incident.resolution_due_at == utc(2026, 3, 29, 4, 30)


def test_around_the_clock_when_the_clocks_go_back(log, highfield, leader):
    agreed_sla(highfield, leader, hours=SupportHours.AROUND_THE_CLOCK, targets=[(Priority.CRITICAL, 30, 240)])
    # P1 logged Sun 25 Oct 2026 00:30 BST (Sat 24 Oct 23:30 UTC). 4 h of real time -> 03:30 UTC = 03:30
    # GMT: the wall clock moved only 3 h because 01:00-02:00 came twice.
    incident = fresh(log(utc(2026, 10, 24, 23, 30), P1))
    assert incident.resolution_due_at == utc(2026, 10, 25, 3, 30)


# --- On hold: the clock stops only while the caller is awaited --------------------------------


def test_on_hold_awaiting_the_caller_stops_the_clock(log, tech):
    # P2 logged Mon 17 Nov 2025 09:00 GMT. Started 09:30 (the first response, within the 1 h).
    incident = log(utc(2025, 11, 17, 9))
    move(incident, "start", tech, utc(2025, 11, 17, 9, 30))
    # On hold awaiting the caller at 11:00 (2 h of the 8 h used): no resolution due while it waits.
    move(incident, "hold", tech, utc(2025, 11, 17, 11), note="Asked for the error", hold_reason="awaiting_caller")
    held = fresh(incident)
    assert held.resolution_due_at is None
    assert held.response_due_at == utc(2025, 11, 17, 10)  # responded: measured against its due
    assert held.response_met is True
    assert held.clock_check_at is None  # nothing to check while the clock is stopped
    # Resumed Tue 18 Nov 10:00: 6 h left -> Tue 16:00.
    move(incident, "resume", tech, utc(2025, 11, 18, 10))
    assert fresh(incident).resolution_due_at == utc(2025, 11, 18, 16)


def test_on_hold_for_a_supplier_keeps_the_clock_running(log, tech):
    # Same ticket waiting for a supplier: 09:00 + 8 h = Mon 09:00-16:00 (7 h) + Tue 08:00-09:00.
    incident = log(utc(2025, 11, 17, 9))
    move(incident, "start", tech, utc(2025, 11, 17, 9, 30))
    move(incident, "hold", tech, utc(2025, 11, 17, 11), note="Part ordered", hold_reason=HoldReason.AWAITING_PARTS)
    assert fresh(incident).resolution_due_at == utc(2025, 11, 18, 9)


def test_resolved_keeps_its_due_and_reopening_restarts_the_clock(log, tech, staff):
    # P2 logged Mon 17 Nov 2025 09:00: resolution due Tue 09:00 (as above).
    incident = log(utc(2025, 11, 17, 9))
    move(incident, "resolve", tech, utc(2025, 11, 17, 12), note="Reseated the cable", resolution_code="fixed")
    resolved = fresh(incident)
    assert resolved.resolution_due_at == utc(2025, 11, 18, 9)
    assert resolved.resolution_met is True
    assert resolved.response_met is False  # the resolution at 12:00 was the first response, due 10:00
    assert resolved.clock_check_at is None
    # Reopened Tue 18 Nov 08:00: the resolved spell (Mon 12:00-16:00, 4 h) did not count, so the due
    # moves 4 h on: Tue 09:00 + 4 h = 13:00; not met (yet) again.
    move(incident, "reopen", staff, utc(2025, 11, 18, 8), note="Still blank")
    reopened = fresh(incident)
    assert reopened.reopen_count == 1
    assert reopened.resolution_met is None
    assert reopened.resolution_due_at == utc(2025, 11, 18, 13)
    # Resolved again late, Wed 19 Nov 10:00: missed.
    move(reopened, "resolve", tech, utc(2025, 11, 19, 10), note="New board", resolution_code="replaced")
    assert fresh(incident).resolution_met is False


def test_a_late_first_response_is_missed(log, tech):
    incident = log(utc(2025, 11, 17, 9))
    move(incident, "start", tech, utc(2025, 11, 17, 10, 30))  # due 10:00
    assert fresh(incident).response_met is False


def test_resolved_at_first_contact(highfield, tech, staff):
    with frozen(utc(2025, 11, 17, 9)):
        incident = services.incident_submit(
            school=highfield,
            logged_by=tech,
            reporter=staff,
            title="Forgot password",
            description="Locked out.",
            impact=3,
            urgency=2,
            resolution="Reset it with them on the phone.",
            resolution_code="fixed",
        )
    incident = fresh(incident)
    assert incident.resolved_at_first_contact is True
    assert incident.resolution_met is True and incident.response_met is True


def test_reprioritising_recomputes_the_due_times(log, desk):
    incident = log(utc(2025, 11, 17, 9), P4)
    # P4, resolve 40 h: Mon 09:00-16:00 7 h, Tue-Fri 32 h (39), Mon 24 Nov 08:00 + 1 h = 09:00.
    assert fresh(incident).resolution_due_at == utc(2025, 11, 24, 9)
    with frozen(utc(2025, 11, 17, 10)):
        services.incident_reprioritise(incident=incident, actor=desk, impact=1, urgency=1)
    # Now P1, measured from the start: 09:00 + 4 h = 13:00; respond by 09:30 (already past).
    again = fresh(incident)
    assert again.resolution_due_at == utc(2025, 11, 17, 13)
    assert again.response_due_at == utc(2025, 11, 17, 9, 30)
    # The past warning and breach of the response clock are still to be recorded: check at once.
    assert again.clock_check_at == utc(2025, 11, 17, 9, 22, 30)


# --- Which agreement and target --------------------------------------------------------------


@pytest.fixture
def catalogue(highfield):
    default = ITService.objects.create(school=highfield, name="Everything else", is_default=True)
    mis = ITService.objects.create(school=highfield, name="MIS")
    return default, mis


def test_agreement_naming_the_service_wins_and_targets_fall_back(log, highfield, leader, catalogue):
    default, mis = catalogue
    general = agreed_sla(highfield, leader, name="All services", targets=[(Priority.HIGH, 20, 120)])
    for_mis = agreed_sla(
        highfield,
        leader,
        name="MIS",
        services=[mis],
        targets=[
            (Priority.HIGH, 15, 90),
            (Priority.HIGH, 10, 60, mis),
            (Priority.HIGH, 5, 30, mis, TicketKind.REQUEST),
            (Priority.HIGH, 12, 70, None, TicketKind.INCIDENT),
        ],
    )
    # Not the MIS: the general agreement and its P2 target.
    plain = fresh(log(utc(2025, 11, 17, 9)))
    assert plain.service == default and plain.agreement == general
    assert plain.response_due_at == utc(2025, 11, 17, 9, 20)
    # The MIS: its own agreement; service + kind (request) beats service beats kind beats priority alone.
    on_mis = fresh(log(utc(2025, 11, 17, 9), service=mis))
    assert on_mis.agreement == for_mis
    assert on_mis.response_due_at == utc(2025, 11, 17, 9, 10)
    assert sla.target_for(for_mis, priority=2, service_id=mis.pk, kind=TicketKind.REQUEST) == (5, 30)
    assert sla.target_for(for_mis, priority=2, service_id=None, kind=TicketKind.INCIDENT) == (12, 70)
    assert sla.target_for(for_mis, priority=2, service_id=None, kind=TicketKind.REQUEST) == (15, 90)
    # A priority the agreement leaves out: the built-in target.
    assert sla.target_for(for_mis, priority=1, service_id=mis.pk, kind=TicketKind.INCIDENT) == (30, 240)


def test_only_an_agreed_sla_in_force_on_the_day_applies(log, highfield, leader):
    draft = agreed_sla(highfield, leader, name="Draft", targets=[(Priority.HIGH, 5, 50)])
    draft.status = "draft"
    draft.save()
    agreed_sla(highfield, leader, name="Old", ends=date(2025, 6, 30), targets=[(Priority.HIGH, 6, 60)])
    agreed_sla(highfield, leader, name="Next", starts=date(2026, 1, 1), targets=[(Priority.HIGH, 7, 70)])
    agreed_sla(highfield, leader, name="OLA", kind="ola", targets=[(Priority.HIGH, 8, 80)])
    incident = fresh(log(utc(2025, 11, 17, 9)))
    assert incident.agreement is None  # built-in: respond in 1 h
    assert incident.response_due_at == utc(2025, 11, 17, 10)


def test_setting_the_service_moves_the_ticket_under_its_agreement(log, highfield, leader, desk, catalogue):
    _, mis = catalogue
    for_mis = agreed_sla(highfield, leader, name="MIS", services=[mis], targets=[(Priority.HIGH, 10, 60)])
    incident = log(utc(2025, 11, 17, 9))
    assert fresh(incident).agreement is None
    with frozen(utc(2025, 11, 17, 9, 5)):
        services.incident_set_service(incident=incident, actor=desk, service=mis)
    moved = fresh(incident)
    assert moved.service == mis and moved.agreement == for_mis
    assert moved.resolution_due_at == utc(2025, 11, 17, 10)
    assert moved.history.count() == 2  # logged, and the service change; the clock itself writes no history


def test_service_is_inferred_from_the_ci(highfield, desk, catalogue):
    from cmdb.models import ConfigurationItem, Relationship

    default, mis = catalogue
    server = ConfigurationItem.objects.create(school=highfield, name="MIS server", kind="server")
    mis_ci = ConfigurationItem.objects.create(school=highfield, name="MIS", kind="service")
    Relationship.objects.create(school=highfield, source=mis_ci, target=server, kind=Relationship.Kind.choices[0][0])
    mis.ci = mis_ci
    mis.save()
    laptop = ConfigurationItem.objects.create(school=highfield, name="Laptop 7", kind="laptop")
    assert sla.service_for(school=highfield, ci=mis_ci) == mis
    assert sla.service_for(school=highfield, ci=server) == mis
    assert sla.service_for(school=highfield, ci=laptop) == default
    assert sla.service_for(school=highfield, ci=None) == default


# --- Many at once, and the refresh task --------------------------------------------------------


def test_clocks_refresh_recomputes_open_tickets_after_a_new_agreement(
    log, highfield, leader, tech, django_capture_on_commit_callbacks
):
    first, second = log(utc(2025, 11, 17, 9)), log(utc(2025, 11, 17, 9))
    done = log(utc(2025, 11, 17, 9))
    move(done, "resolve", tech, utc(2025, 11, 17, 9, 10), note="Fixed", resolution_code="fixed")
    agreed_sla(highfield, leader, targets=[(Priority.HIGH, 10, 100)])
    with django_capture_on_commit_callbacks(execute=True):
        sla.schedule_refresh([highfield.pk])
    assert fresh(first).resolution_due_at == fresh(second).resolution_due_at == utc(2025, 11, 17, 10, 40)
    assert fresh(done).agreement is None  # closed and resolved tickets keep what they were measured against


def test_clock_refresh_uses_a_fixed_number_of_queries(log, django_assert_max_num_queries, highfield, leader):
    agreed_sla(highfield, leader, targets=[(Priority.HIGH, 10, 100)])
    incident = log(utc(2025, 11, 17, 9))
    with django_assert_max_num_queries(10):
        sla.clock_refresh(incident)


def test_clocks_refresh_queries_do_not_grow_with_tickets(log, highfield, leader, django_assert_max_num_queries):
    agreed_sla(highfield, leader, targets=[(Priority.HIGH, 10, 100)])
    tickets = [log(utc(2025, 11, 17, 9)) for _ in range(6)]
    with CaptureQueriesContext(connection) as one:
        assert sla.clocks_refresh(Incident.objects.filter(pk=tickets[0].pk)) == 1
    with django_assert_max_num_queries(len(one)):
        assert sla.clocks_refresh(Incident.objects.filter(pk__in=[t.pk for t in tickets])) == 6
    assert len(one) <= 10


# --- What the pages show -------------------------------------------------------------------------


def test_clock_view_words(log, tech):
    incident = log(utc(2025, 11, 17, 9))
    response, resolution = sla.clock_view(fresh(incident), now=utc(2025, 11, 17, 9, 50))
    assert response.state == "warning" and response.percent == 83
    assert response.words == "Due in 10 min of school time"
    assert resolution.state == "on_track" and resolution.words == "Due in 7 h 10 min of school time"
    response, _ = sla.clock_view(fresh(incident), now=utc(2025, 11, 17, 10, 35))
    assert response.state == "breached" and response.words == "Breached 35 min ago"
    move(incident, "start", tech, utc(2025, 11, 17, 10, 40))
    move(incident, "hold", tech, utc(2025, 11, 17, 11), note="Which room?", hold_reason="awaiting_caller")
    response, resolution = sla.clock_view(fresh(incident), now=utc(2025, 11, 17, 12))
    assert response.state == "missed" and response.words == "Missed by 40 min"
    assert resolution.state == "paused" and resolution.words == "Paused: waiting for the caller"
    assert resolution.percent == 25  # 2 h of 8 used before the hold


def test_status_choices_match_the_clock_module():
    from servicelevels import clock

    assert clock.ON_HOLD == Status.ON_HOLD and clock.AWAITING_CALLER == HoldReason.AWAITING_CALLER
    assert clock.PAUSING_STATUSES == {Status.RESOLVED, Status.CLOSED}
