"""Terms as periods, and the dashboard figures: worked by hand from a small history, and the authority table
at a fixed number of queries whatever the number of schools."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from cmdb.models import ConfigurationItem, Kind
from fits.models import School
from servicelevels import calendars as cal
from servicelevels import periods
from servicelevels.figures import authority_table, school_summary, school_trend, service_availability
from servicelevels.models import ClockEvent
from servicelevels.rollups import rollup
from tests.servicelevels.history import at, autumn_history

pytestmark = pytest.mark.django_db

TERMS = [
    ("Autumn 1", date(2026, 9, 2), date(2026, 10, 23)),
    ("Autumn 2", date(2026, 11, 2), date(2026, 12, 18)),
    ("Spring 1", date(2027, 1, 5), date(2027, 2, 12)),
    ("Spring 2", date(2027, 2, 22), date(2027, 3, 26)),
    ("Summer 1", date(2027, 4, 12), date(2027, 5, 28)),
    ("Summer 2", date(2027, 6, 7), date(2027, 7, 21)),
]


@pytest.fixture
def bolton_terms(bolton, admin_user):
    calendar = cal.calendar_create(actor=admin_user, authority=bolton, name="Bolton schools")
    for name, starts, ends in TERMS:
        cal.term_date_add(calendar=calendar, actor=admin_user, name=name, starts=starts, ends=ends)
    return calendar


# =============================================================================
# Periods
# =============================================================================


def test_half_terms_fold_into_terms(highfield, bolton_terms):
    terms = periods.terms_of_year(highfield, "2026-27")
    assert [(t.label, t.starts, t.ends) for t in terms] == [
        ("Autumn term 2026-27", date(2026, 9, 2), date(2026, 12, 18)),
        ("Spring term 2026-27", date(2027, 1, 5), date(2027, 3, 26)),
        ("Summer term 2026-27", date(2027, 4, 12), date(2027, 7, 21)),
    ]
    assert periods.term_containing(highfield, date(2026, 10, 28)).key == "2026-27-autumn"  # half-term break


def test_holidays_between_terms(highfield, bolton_terms):
    christmas = periods.term_containing(highfield, date(2026, 12, 25))
    assert (christmas.kind, christmas.label) == ("holiday", "Christmas holiday 2026-27")
    assert (christmas.starts, christmas.ends) == (date(2026, 12, 19), date(2027, 1, 4))
    # "This term" in the holiday is the term just ended.
    chosen = periods.resolve(highfield, "this-term", today=date(2026, 12, 25))
    assert chosen.key == "2026-27-autumn"
    assert periods.resolve(highfield, "last-term", today=date(2027, 2, 1)).key == "2026-27-autumn"


def test_fixed_terms_when_no_dates_are_known(westfield):
    terms = periods.terms_of_year(westfield, "2025-26")
    assert [(t.starts, t.ends) for t in terms] == [
        (date(2025, 9, 1), date(2025, 12, 31)),
        (date(2026, 1, 1), date(2026, 3, 31)),
        (date(2026, 4, 1), date(2026, 7, 31)),
    ]
    august = periods.term_containing(westfield, date(2026, 8, 10))
    assert (august.kind, august.label) == ("holiday", "Summer holiday 2025-26")
    assert (august.starts, august.ends) == (date(2026, 8, 1), date(2026, 8, 31))


def test_previous_terms_cross_school_years(highfield, bolton_terms):
    six = periods.previous_terms(highfield, 6, before=date(2026, 11, 10))
    assert [t.key for t in six] == [
        "2024-25-spring",
        "2024-25-summer",
        "2025-26-autumn",
        "2025-26-spring",
        "2025-26-summer",
        "2026-27-autumn",
    ]
    assert six[-2].starts == date(2026, 4, 1)  # 2025-26 has no dates: the fixed summer term


def test_picker_choices(highfield, bolton_terms):
    today = date(2026, 10, 5)
    year = periods.resolve(highfield, "this-year", today=today)
    assert (year.starts, year.ends, year.kind) == (date(2026, 8, 1), date(2027, 7, 31), "year")
    custom = periods.resolve(highfield, "custom", today=today, starts=date(2026, 9, 30), ends=date(2026, 9, 1))
    assert (custom.starts, custom.ends) == (date(2026, 9, 1), date(2026, 9, 30))
    assert periods.resolve(highfield, "2026-27-spring", today=today).starts == date(2027, 1, 5)
    assert periods.resolve(highfield, "nonsense", today=today).key == "2026-27-autumn"


# =============================================================================
# One school
# =============================================================================


@pytest.fixture
def history(highfield, riverside, staff, tech2, log_incident):
    made = autumn_history(highfield, staff, log_incident) + autumn_history(riverside, tech2, log_incident)
    rollup(start=date(2026, 8, 1), end=date(2026, 12, 31))
    return made


AUTUMN = periods.Period("2026-27-autumn", "Autumn term 2026-27", date(2026, 9, 1), date(2026, 12, 31))
NOW = datetime.fromisoformat("2026-11-02T12:00:00+00:00")


def test_school_summary_by_hand(history, highfield):
    summary = school_summary(highfield, AUTUMN, now=NOW)

    # Seven tickets logged in the term (the August one is not), six answered, five resolved.
    assert (summary["logged"], summary["responded"], summary["resolved"]) == (7, 5, 5)
    assert summary["pct_responded_in_time"] == 80.0  # 4 of 5
    assert summary["pct_resolved_in_time"] == 80.0  # 4 of 5
    assert summary["pct_within_sla"] == 80.0  # 8 of 10 targets
    assert summary["pct_first_time_fix"] == 40.0  # 2 of 5
    assert summary["pct_reopened"] == 20.0
    assert summary["satisfaction_mean"] == pytest.approx(11 / 3, abs=0.01) and summary["satisfaction_count"] == 3
    # 30 min + 52 h + 28.5 h + 2 h + 20 min, over five
    assert summary["mean_resolve_minutes"] == round((30 + 52 * 60 + 36 * 60 + 30 + 120 + 20) / 5)
    assert summary["open_now"] == 2
    assert summary["oldest_open_at"] == at("2026-09-02", 8)
    assert summary["oldest_open_days"] == pytest.approx(61.2, abs=0.1)
    by_priority = {row["priority"]: row for row in summary["by_priority"]}
    assert by_priority[1]["logged"] == 1 and by_priority[3]["logged"] == 3 and by_priority[5]["logged"] == 1
    by_service = {row["name"]: row["logged"] for row in summary["by_service"]}
    assert by_service == {"Wi-Fi": 2, "No service named": 3, "Email": 1, "MIS": 1}
    assert {row["kind"]: row["logged"] for row in summary["by_kind"]} == {"incident": 6, "request": 1}
    assert summary["lights"]["pct_within_sla"] == "amber"


def test_mean_resolve_minutes_is_wall_clock(history, highfield):
    summary = school_summary(highfield, AUTUMN, now=NOW)
    # 23:30 on the 14th to 12:00 on the 16th is 36.5 hours.
    expected = (30 + (52 * 60) + (36 * 60 + 30) + 120 + 20) / 5
    assert summary["mean_resolve_minutes"] == round(expected)


def test_breaches_in_the_period(history, highfield):
    late = next(i for i in history if i.school_id == highfield.pk and i.response_met is False)
    ClockEvent.objects.create(school=highfield, incident=late, clock="response", level="breach",
                              due_at=at("2026-09-07", 12), reached_at=at("2026-09-07", 12))  # fmt: skip
    ClockEvent.objects.create(school=highfield, incident=late, clock="response", level="warning",
                              due_at=at("2026-09-07", 12), reached_at=at("2026-09-07", 11))  # fmt: skip
    assert school_summary(highfield, AUTUMN, now=NOW)["breaches"] == 1
    spring = periods.Period("x", "Spring", date(2027, 1, 1), date(2027, 3, 31))
    assert school_summary(highfield, spring, now=NOW)["breaches"] == 0


def test_availability_counts_p1_downtime_within_hours_of_support(history, highfield):
    found = {row["name"]: row for row in service_availability(highfield, AUTUMN, now=NOW)}

    # The built-in calendar: Mon-Fri 08:00-16:00 (London), less bank holidays; none in 1 Sep - 2 Nov 12:00 UTC.
    weekdays = sum(1 for n in range(62) if (date(2026, 9, 1) + timedelta(days=n)).weekday() < 5)  # to 1 Nov
    support = weekdays * 480 + 4 * 60  # and Monday 2 November 08:00 - 12:00 (GMT)
    wifi = found["Wi-Fi"]
    assert wifi["support_minutes"] == support
    assert wifi["downtime_minutes"] == 120  # 10:00 - 12:00 London on Tuesday 6 October
    assert wifi["availability"] == round(100 * (1 - 120 / support), 2)
    assert wifi["met"] is True and wifi["target"] == 98.0
    assert found["Email"]["availability"] == 100.0


def test_availability_ignores_time_outside_support_hours(highfield, staff, log_incident):
    from tests.servicelevels.history import services_of, ticket

    svc = services_of(highfield)
    # Down from 15:00 to 19:00 London (BST) on a Tuesday: one hour of it in school hours.
    ticket(highfield, staff, log_incident, created=at("2026-10-06", 14), priority=1, service=svc["Email"],
           resolved=at("2026-10-06", 18), resolution_met=True)  # fmt: skip
    # Two overlapping P1s count the overlap once; a P2 is not whole-service downtime.
    ticket(highfield, staff, log_incident, created=at("2026-10-07", 8), priority=1, service=svc["MIS"],
           resolved=at("2026-10-07", 10), resolution_met=True)  # fmt: skip
    ticket(highfield, staff, log_incident, created=at("2026-10-07", 9), priority=1, service=svc["MIS"],
           resolved=at("2026-10-07", 11), resolution_met=True)  # fmt: skip
    ticket(highfield, staff, log_incident, created=at("2026-10-08", 9), priority=2, service=svc["Wi-Fi"],
           resolved=at("2026-10-08", 11), resolution_met=True)  # fmt: skip
    week = periods.Period("w", "A week", date(2026, 10, 5), date(2026, 10, 9))
    found = {row["name"]: row for row in service_availability(highfield, week, now=NOW)}
    assert found["Email"]["downtime_minutes"] == 60
    assert found["MIS"]["downtime_minutes"] == 180
    assert found["Wi-Fi"]["downtime_minutes"] == 0
    assert found["Email"]["support_minutes"] == 5 * 480


def test_trend_over_terms(history, highfield, bolton_terms):
    terms = periods.previous_terms(highfield, 6, before=date(2026, 11, 2))
    trend = school_trend(highfield, terms)
    assert [row["label"] for row in school_trend(highfield, terms[:-1])] == ["Summer term 2025-26"]
    autumn = trend[-1]
    # Calendar terms: 2 Sep - 18 Dec; the ticket of 2 Sep 08:00 UTC is in it.
    assert (autumn["logged"], autumn["resolved"], autumn["pct_within_sla"]) == (7, 5, 80.0)
    # The five terms before the first ticket are left out: nothing to show there.
    assert len(trend) == 1


def test_empty_period_gives_no_rates(highfield):
    summary = school_summary(highfield, AUTUMN, now=NOW)
    assert summary["logged"] == 0
    assert summary["pct_within_sla"] is None and summary["satisfaction_mean"] is None
    assert summary["oldest_open_days"] is None and summary["lights"]["pct_within_sla"] == ""


# =============================================================================
# The authority
# =============================================================================


def test_authority_table_normalises_per_device(history, highfield, riverside):
    ConfigurationItem.objects.bulk_create(
        [ConfigurationItem(school=highfield, kind=Kind.LAPTOP, name=f"L{i}") for i in range(20)]
        + [ConfigurationItem(school=highfield, kind=Kind.SOFTWARE, name="Office")]  # not a device
        + [ConfigurationItem(school=riverside, kind=Kind.DESKTOP, name=f"D{i}") for i in range(70)]
    )
    table = authority_table([highfield, riverside], AUTUMN, now=NOW)
    rows = {row["school"]["slug"]: row for row in table["rows"]}
    assert rows["highfield"]["devices"] == 20 and rows["highfield"]["tickets_per_100_devices"] == 35.0
    assert rows["riverside"]["tickets_per_100_devices"] == 10.0
    assert rows["highfield"]["pct_within_sla"] == 80.0 and rows["highfield"]["pct_first_time_fix"] == 40.0
    assert table["totals"]["logged"] == 14 and table["totals"]["devices"] == 90
    assert table["totals"]["tickets_per_100_devices"] == round(1400 / 90, 1)
    assert table["median"]["tickets_per_100_devices"] == 22.5
    assert rows["highfield"]["oldest_open_days"] == pytest.approx(61.2, abs=0.1)


@pytest.mark.parametrize("n", [3, 30])
def test_authority_table_costs_the_same_whatever_the_number_of_schools(
    n, bolton, highfield, riverside, staff, log_incident, django_assert_max_num_queries
):
    schools = [highfield, riverside] + [
        School.objects.create(slug=f"extra-{i}", name=f"Extra {i}", authority=bolton) for i in range(n - 2)
    ]
    autumn_history(highfield, staff, log_incident)
    rollup(start=date(2026, 8, 1), end=date(2026, 12, 31))
    with django_assert_max_num_queries(4):
        table = authority_table(schools, AUTUMN, now=NOW)
    assert len(table["rows"]) == n
