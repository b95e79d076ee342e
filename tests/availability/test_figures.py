"""Availability figures from outages, within the hours that count, from when monitoring first saw the CI.

November 2026 is GMT, so London wall-clock hours are UTC; 2 Nov 2026 is a Monday. The default calendar is
Mon-Fri 08:00-16:00.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from availability import figures
from availability.models import Check, CheckKind, CheckResult, CIState, Outage, ResultRollup, State
from cmdb.models import ConfigurationItem, Relationship
from servicelevels.models import ITService

pytestmark = pytest.mark.django_db

SINCE = datetime(2026, 11, 1, tzinfo=UTC)
UNTIL = datetime(2026, 12, 1, tzinfo=UTC)
NOW = datetime(2026, 11, 21, tzinfo=UTC)


def at(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def device(school, name: str, kind: str = "server", *, watched_from: datetime | None = SINCE) -> ConfigurationItem:
    ci = ConfigurationItem.objects.create(school=school, name=name, kind=kind)
    if watched_from is not None:
        CIState.objects.create(school=school, ci=ci, state=State.UP, since=watched_from)
    return ci


def outage(ci, start: datetime, end: datetime | None, **extra) -> Outage:
    return Outage.objects.create(school=ci.school, ci=ci, started_at=start, ended_at=end, **extra)


def test_a_ci_no_service_names_is_measured_around_the_clock_up_to_now(highfield):
    server = device(highfield, "File server")
    outage(server, at(10, 10), at(10, 12))
    outage(server, at(11, 20), at(11, 21), planned=True, silenced_by="Maintenance window")
    outage(server, at(25), None)  # after now: not yet

    found = figures.ci_availability([server.pk], SINCE, UNTIL, now=NOW)[server.pk]

    assert found["hours"] == "around the clock"
    assert found["planned_minutes"] == 60
    assert found["measured_minutes"] == 20 * 24 * 60 - 60
    assert found["downtime_minutes"] == 120
    assert found["outages"] == 1
    assert found["availability"] == round(100 * (28740 - 120) / 28740, 2) == 99.58
    assert found["monitored"] is True


def test_an_open_outage_runs_to_now(highfield):
    server = device(highfield, "MIS server")
    outage(server, at(20, 12), None)

    found = figures.ci_availability([server.pk], SINCE, UNTIL, now=NOW)[server.pk]

    assert found["downtime_minutes"] == 12 * 60
    assert found["outages"] == 1


def test_a_ci_first_checked_yesterday_is_measured_over_one_day_not_the_month(highfield):
    switch = device(highfield, "New switch", "switch", watched_from=None)
    check = Check.objects.create(school=highfield, ci=switch, kind=CheckKind.PING, name="Ping")
    CheckResult.objects.create(school=highfield, for_check=check, checked_at=at(20), state=State.UP)
    CheckResult.objects.create(school=highfield, for_check=check, checked_at=at(20, 6), state=State.DOWN)
    outage(switch, at(20, 6), at(20, 9))

    found = figures.ci_availability([switch.pk], SINCE, UNTIL, now=NOW)[switch.pk]

    assert found["measured_from"] == at(20)
    assert found["measured_minutes"] == 24 * 60
    assert found["downtime_minutes"] == 180
    assert found["availability"] == 87.5


def test_rollups_keep_the_start_of_history_after_raw_results_are_pruned(highfield):
    switch = device(highfield, "Core switch", "switch", watched_from=at(19))
    check = Check.objects.create(school=highfield, ci=switch, kind=CheckKind.PING, name="Ping")
    ResultRollup.objects.create(school=highfield, for_check=check, period="day", starts_at=at(5), runs=288, up=288)

    assert figures.ci_availability([switch.pk], SINCE, UNTIL, now=NOW)[switch.pk]["measured_from"] == at(5)


def test_a_ci_monitoring_never_saw_has_no_figure(highfield):
    printer = device(highfield, "Library printer", "printer", watched_from=None)

    found = figures.ci_availability([printer.pk], SINCE, UNTIL, now=NOW)[printer.pk]

    assert found["availability"] is None
    assert found["measured_minutes"] == 0
    assert found["monitored"] is False


def test_a_ci_is_measured_in_the_widest_hours_of_the_services_that_depend_on_it(highfield):
    server = device(highfield, "MIS server")
    mis = device(highfield, "MIS", "service")
    Relationship.objects.create(school=highfield, source=mis, target=server, kind="runs_on")
    ITService.objects.create(school=highfield, name="MIS", ci=mis, hours="school_hours")
    outage(server, at(10, 15), at(10, 18))  # Tuesday: one hour of it in school hours

    found = figures.ci_availability([server.pk], SINCE, UNTIL, now=NOW)[server.pk]

    assert found["hours"] == "school hours"
    assert found["measured_minutes"] == 15 * 8 * 60  # 2-20 Nov: three weeks of five days
    assert found["downtime_minutes"] == 60

    # A second service on the same server supported around the clock widens its hours (through two levels).
    portal = device(highfield, "Parent portal", "service")
    web = device(highfield, "Web server")
    Relationship.objects.create(school=highfield, source=portal, target=web, kind="depends_on")
    Relationship.objects.create(school=highfield, source=web, target=server, kind="runs_on")
    ITService.objects.create(school=highfield, name="Parent portal", ci=portal, hours="around_the_clock")

    found = figures.ci_availability([server.pk], SINCE, UNTIL, now=NOW)[server.pk]

    assert found["hours"] == "around the clock"
    assert found["downtime_minutes"] == 180


def test_a_calendar_given_measures_every_ci_in_its_hours(highfield):
    from servicelevels.calendars import business_calendar

    server = device(highfield, "File server")
    outage(server, at(14), at(15))  # Saturday: outside school hours

    found = figures.ci_availability(
        [server.pk], SINCE, UNTIL, now=NOW, calendar=business_calendar(highfield, hours="school_hours")
    )[server.pk]

    assert found["downtime_minutes"] == 0
    assert found["outages"] == 0
    assert found["availability"] == 100.0


def test_a_service_is_measured_from_its_service_ci_within_its_hours_against_its_target(highfield):
    server = device(highfield, "Email server", watched_from=None)
    check = Check.objects.create(school=highfield, ci=server, kind=CheckKind.TCP, name="SMTP", port=25)
    CheckResult.objects.create(school=highfield, for_check=check, checked_at=at(9, 8), state=State.UP)
    email = device(highfield, "Email", "service", watched_from=at(16, 11))  # its state changed on the 16th
    Relationship.objects.create(school=highfield, source=email, target=server, kind="runs_on")
    service = ITService.objects.create(
        school=highfield, name="Email", ci=email, hours="school_hours", availability_target=99
    )
    outage(email, at(16, 9), at(16, 11), cause=server)

    found = figures.service_availability(service, SINCE, UNTIL, now=NOW)

    # Measured from the first check of what it runs on (Mon 9 Nov 08:00), not from its last state change.
    assert found["measured_from"] == at(9, 8)
    assert found["measured_minutes"] == 10 * 8 * 60
    assert found["downtime_minutes"] == 120
    assert found["availability"] == 97.5
    assert found["target"] == 99.0
    assert found["met"] is False
    assert found["light"] == "amber"
    assert found["source"] == "monitoring"
    assert found["hours"] == "school hours"

    days = figures.daily_availability(service, SINCE, UNTIL, now=NOW)
    by_day = {row["day"].day: row for row in days}
    assert len(days) == 20
    assert by_day[16]["availability"] == 75.0
    assert by_day[17]["availability"] == 100.0
    assert by_day[14]["availability"] is None  # a Saturday: no hours of support
    assert by_day[2]["availability"] is None  # before monitoring saw it


def test_a_service_without_a_service_ci_has_no_figure(highfield):
    service = ITService.objects.create(school=highfield, name="Wi-Fi")

    found = figures.service_availability(service, SINCE, UNTIL, now=NOW)

    assert found["availability"] is None
    assert found["met"] is None
    assert found["monitored"] is False
    assert figures.daily_availability(service, SINCE, UNTIL, now=NOW) == []


def test_many_cis_cost_the_same_queries_as_one(highfield, riverside):
    def build(school, n: int) -> list[int]:
        ids = []
        for i in range(n):
            ci = device(school, f"Server {i}")
            mis = device(school, f"Service {i}", "service")
            Relationship.objects.create(school=school, source=mis, target=ci, kind="runs_on")
            ITService.objects.create(school=school, name=f"Service {i}", ci=mis, hours="school_hours")
            outage(ci, at(10, 9), at(10, 10))
            ids.append(ci.pk)
        return ids

    one = build(highfield, 1)
    many = build(riverside, 12)
    with CaptureQueriesContext(connection) as small:
        figures.ci_availability(one, SINCE, UNTIL, now=NOW)
    with CaptureQueriesContext(connection) as large:
        found = figures.ci_availability(many, SINCE, UNTIL, now=NOW)
    assert len(large) == len(small)
    assert all(row["downtime_minutes"] == 60 for row in found.values())
