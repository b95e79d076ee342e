"""School calendars: which calendar applies, and the clock's open intervals, hand-worked in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fits.models import School
from servicelevels import calendars
from servicelevels.calendars import (
    AROUND_THE_CLOCK,
    business_calendar,
    calendar_create,
    calendar_for,
    calendar_roll_over,
    closure_add,
    working_hours_set,
)
from servicelevels.ical import term_dates_import_ics
from servicelevels.models import Calendar, Closure, TermDate

FIXTURES = Path(__file__).parent / "fixtures"
WEEKDAYS_8_TO_4 = {day: [(time(8), time(16))] for day in range(5)}


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def total(intervals) -> timedelta:
    return sum((hi - lo for lo, hi in intervals), timedelta())


@pytest.fixture
def bolton_calendar(bolton, consultant):
    calendar = calendar_create(actor=consultant, authority=bolton, name="Bolton schools")
    working_hours_set(calendar=calendar, actor=consultant, hours=WEEKDAYS_8_TO_4)
    term_dates_import_ics(
        calendar=calendar, actor=consultant, data=(FIXTURES / "bolton_terms_2026_27.ics").read_bytes()
    )
    return calendar


# --- Which calendar applies --------------------------------------------------------------------


def test_default_calendar_is_weekdays_8_to_4_minus_bank_holidays(westfield):
    """No calendar anywhere: Mon-Fri 08:00-16:00 all year. Week of Mon 4 May 2026 (May Day, in BST)."""
    assert calendar_for(westfield) is None
    clock = business_calendar(westfield)
    got = clock.open_intervals(utc(2026, 5, 4), utc(2026, 5, 11))
    assert got == [(utc(2026, 5, day, 7), utc(2026, 5, day, 15)) for day in (5, 6, 7, 8)]


def test_school_calendar_overrides_authority_part_by_part(bolton_calendar, highfield, riverside, netmgr, tech2):
    own = calendar_create(actor=netmgr, school=highfield, name="Highfield")
    split_day = {day: [(time(8), time(12)), (time(13), time(17))] for day in range(5)}
    working_hours_set(calendar=own, actor=netmgr, hours=split_day)
    closure_add(calendar=own, actor=netmgr, kind=Closure.Kind.CLOSURE, name="Snow", starts=date(2026, 11, 24))

    assert calendar_for(highfield) == own
    assert calendar_for(riverside) == bolton_calendar
    # Highfield: its own split hours; the authority's terms (own has none); both sets of closures.
    clock = business_calendar(highfield, term_time_only=True)
    assert clock.open_intervals(utc(2026, 11, 23), utc(2026, 11, 24)) == [
        (utc(2026, 11, 23, 8), utc(2026, 11, 23, 12)),
        (utc(2026, 11, 23, 13), utc(2026, 11, 23, 17)),
    ]
    assert clock.open_intervals(utc(2026, 11, 24), utc(2026, 11, 25)) == []  # Highfield's snow day
    assert business_calendar(riverside).open_intervals(utc(2026, 11, 24), utc(2026, 11, 25)) == [
        (utc(2026, 11, 24, 8), utc(2026, 11, 24, 16))
    ]
    # Half-term (authority's terms) applies at Highfield too.
    assert clock.open_intervals(utc(2026, 10, 26), utc(2026, 10, 31)) == []
    with pytest.raises(PermissionDenied):
        calendar_create(actor=tech2, school=riverside, name="Riverside")
    with pytest.raises(ValidationError, match="already has a calendar"):
        calendar_create(actor=netmgr, school=highfield, name="Again")


def test_nation_bank_holidays(bolton, consultant, highfield):
    """St Andrew's Day (Mon 30 Nov 2026) is a bank holiday in Scotland only."""
    monday = (utc(2026, 11, 30), utc(2026, 12, 1))
    assert total(business_calendar(highfield).open_intervals(*monday)) == timedelta(hours=8)
    bolton.nation = "SCT"
    bolton.save()
    highfield.refresh_from_db()
    assert business_calendar(highfield).open_intervals(*monday) == []
    calendar_create(actor=consultant, authority=bolton, name="Bolton", nation="ENG")
    assert total(business_calendar(highfield).open_intervals(*monday)) == timedelta(hours=8)


# --- Term time, half-term, INSET, the clocks changing ------------------------------------------


def test_half_term_pauses_term_time_clock(bolton_calendar, highfield):
    """Fri 23 Oct 2026 (BST) then half-term, then Mon 2 Nov (GMT, clocks went back on 25 Oct)."""
    clock = business_calendar(highfield, term_time_only=True)
    assert clock.open_intervals(utc(2026, 10, 23), utc(2026, 11, 3)) == [
        (utc(2026, 10, 23, 7), utc(2026, 10, 23, 15)),
        (utc(2026, 11, 2, 8), utc(2026, 11, 2, 16)),
    ]
    # Not term-time only: the half-term weekdays count.
    assert total(business_calendar(highfield).open_intervals(utc(2026, 10, 23), utc(2026, 11, 3))) == timedelta(
        hours=8 * 7
    )


def test_inset_day_is_a_working_day_for_support_but_snow_is_not(bolton_calendar, highfield, consultant):
    """Tue 1 Sep 2026: INSET day before term starts on Wed 2 Sep. It counts, even in term time only."""
    clock = business_calendar(highfield, term_time_only=True)
    assert clock.open_intervals(utc(2026, 8, 31), utc(2026, 9, 2)) == [(utc(2026, 9, 1, 7), utc(2026, 9, 1, 15))]
    closure_add(
        calendar=bolton_calendar, actor=consultant, kind=Closure.Kind.CLOSURE, name="Snow", starts=date(2026, 9, 1)
    )
    assert business_calendar(highfield, term_time_only=True).open_intervals(utc(2026, 8, 31), utc(2026, 9, 2)) == []


def test_bank_holiday_worked_by_override(bolton_calendar, highfield, consultant):
    closure_add(
        calendar=bolton_calendar,
        actor=consultant,
        kind=Closure.Kind.BANK_HOLIDAY,
        name="Boxing Day (observed) worked",
        starts=date(2026, 12, 28),
        staff_working=True,
    )
    got = business_calendar(highfield).open_intervals(utc(2026, 12, 25), utc(2026, 12, 30))
    assert got == [(utc(2026, 12, 28, 8), utc(2026, 12, 28, 16)), (utc(2026, 12, 29, 8), utc(2026, 12, 29, 16))]


def test_spring_forward_29_march_2026(bolton, consultant, highfield):
    """Term over the weekend: around the clock in term time, Sun 29 Mar is 23 hours long."""
    calendar = calendar_create(actor=consultant, authority=bolton, name="Bolton")
    calendars.TermDate.objects.create(
        calendar=calendar, school_year="2025-26", name="Spring 2", starts=date(2026, 3, 23), ends=date(2026, 3, 29)
    )
    clock = business_calendar(highfield, term_time_only=True, hours=AROUND_THE_CLOCK)
    got = clock.open_intervals(utc(2026, 3, 28), utc(2026, 4, 1))
    # Sat 28 00:00 GMT -> Mon 30 00:00 BST (= Sun 29 23:00 UTC): 47 hours, one merged span.
    assert got == [(utc(2026, 3, 28), utc(2026, 3, 29, 23))]
    # School hours: Fri 27 Mar 08:00 GMT = 08:00 UTC; Mon 30 Mar 08:00 BST = 07:00 UTC (default hours).
    hours = business_calendar(highfield).open_intervals(utc(2026, 3, 27), utc(2026, 3, 31))
    assert hours == [(utc(2026, 3, 27, 8), utc(2026, 3, 27, 16)), (utc(2026, 3, 30, 7), utc(2026, 3, 30, 15))]


def test_fall_back_25_october_2026(bolton, consultant, highfield):
    """Sun 25 Oct 2026 is 25 hours long: Sat 24 Oct 23:00 UTC to Mon 26 Oct 00:00 UTC."""
    calendar = calendar_create(actor=consultant, authority=bolton, name="Bolton")
    calendars.TermDate.objects.create(
        calendar=calendar, school_year="2026-27", name="Autumn 1", starts=date(2026, 9, 2), ends=date(2026, 10, 25)
    )
    clock = business_calendar(highfield, term_time_only=True, hours=AROUND_THE_CLOCK)
    got = clock.open_intervals(utc(2026, 10, 25), utc(2026, 10, 27))
    assert got == [(utc(2026, 10, 25), utc(2026, 10, 26))]
    assert clock.open_intervals(utc(2026, 10, 24, 12), utc(2026, 10, 27)) == [
        (utc(2026, 10, 24, 12), utc(2026, 10, 26))
    ]
    assert total(clock.open_intervals(utc(2026, 10, 24, 23), utc(2026, 10, 27))) == timedelta(hours=25)


def test_around_the_clock_all_year_is_the_whole_window(highfield):
    clock = business_calendar(highfield, hours=AROUND_THE_CLOCK)
    assert clock.open_intervals(utc(2026, 12, 24, 9), utc(2026, 12, 27)) == [(utc(2026, 12, 24, 9), utc(2026, 12, 27))]
    with pytest.raises(ValueError):
        business_calendar(highfield, hours="office")


def test_a_fortnight_costs_four_queries_then_none(bolton_calendar, highfield, django_assert_num_queries):
    school = School.objects.get(pk=highfield.pk)  # nothing cached: the authority's nation comes with its calendar
    with django_assert_num_queries(4):  # calendars (with the authority), hours, terms, closures
        clock = business_calendar(school, term_time_only=True)
    with django_assert_num_queries(0):
        got = clock.open_intervals(utc(2026, 11, 2), utc(2026, 11, 16))
    assert total(got) == timedelta(hours=8 * 10)


# --- Services --------------------------------------------------------------------------------


def test_working_hours_are_validated(bolton, consultant):
    calendar = calendar_create(actor=consultant, authority=bolton, name="Bolton")
    with pytest.raises(ValidationError) as caught:
        working_hours_set(
            calendar=calendar,
            actor=consultant,
            hours={0: [(time(8), time(12)), (time(11), time(17))], 1: [(time(16), time(8))], 9: [(time(8), time(9))]},
        )
    text = " ".join(caught.value.messages)
    assert "Monday: spans overlap at 11:00" in text
    assert "Tuesday: 16:00-08:00 closes before it opens" in text
    assert "Unknown weekday 9" in text
    assert not calendar.hours.exists()


def test_roll_over_copies_terms_52_weeks_on_as_provisional(bolton_calendar, consultant):
    report = calendar_roll_over(calendar=bolton_calendar, actor=consultant, from_year="2026-27", to_year="2027-28")
    assert not report.already
    assert report.closures_to_add == 1  # the INSET day
    autumn = TermDate.objects.get(
        calendar=bolton_calendar, school_year="2027-28", name__startswith="Autumn", starts__month=9
    )
    assert (autumn.starts, autumn.provisional) == (date(2027, 9, 1), True)  # Wed 2 Sep 2026 -> Wed 1 Sep 2027
    assert calendar_roll_over(
        calendar=bolton_calendar, actor=consultant, from_year="2026-27", to_year="2027-28"
    ).already
    with pytest.raises(ValidationError, match="no term dates for 2019-20"):
        calendar_roll_over(calendar=bolton_calendar, actor=consultant, from_year="2019-20", to_year="2020-21")


def test_only_the_keepers_change_an_authority_calendar(bolton_calendar, netmgr):
    with pytest.raises(PermissionDenied):
        working_hours_set(calendar=bolton_calendar, actor=netmgr, hours=WEEKDAYS_8_TO_4)
    assert Calendar.objects.count() == 1


# --- With the SLA clock (servicelevels.clock) --------------------------------------------------


def test_the_clock_runs_over_a_school_calendar(bolton_calendar, highfield):
    """8 working hours logged Fri 23 Oct 2026 14:00 BST (13:00 UTC), term time only: 2 h that Friday,
    half-term and the clocks going back pass, 6 h on Mon 2 Nov from 08:00 GMT: due 14:00 UTC."""
    from servicelevels.clock import add_business_time, business_time_between

    clock = business_calendar(highfield, term_time_only=True)
    due = add_business_time(clock, utc(2026, 10, 23, 13), timedelta(hours=8))
    assert due == utc(2026, 11, 2, 14)
    assert business_time_between(clock, utc(2026, 10, 23, 13), due) == timedelta(hours=8)
    # All year: 1 h on Thu 24 Dec, Christmas Day and Boxing Day (observed, Mon 28) pass, 1 h on Tue 29 Dec.
    all_year = business_calendar(highfield)
    assert add_business_time(all_year, utc(2026, 12, 24, 15), timedelta(hours=2)) == utc(2026, 12, 29, 9)
