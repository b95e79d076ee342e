"""The SLA clock, hand-worked: weekends, bank holidays, half-term, the clocks changing, on-hold time."""

import time as walltime
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from servicelevels import clock
from servicelevels.clock import (
    FOREVER,
    ClockError,
    ClockStopped,
    add_business_time,
    business_time_between,
    clip_intervals,
    due_time,
    merge_intervals,
    pauses_from_history,
    subtract_intervals,
    time_used,
    wall_clock_intervals,
)
from tests.servicelevels.test_clock_support import LONDON, MON_FRI, WeekCalendar, days, london, utc

H = timedelta(hours=1)
SCHOOL = WeekCalendar(MON_FRI)
AROUND_THE_CLOCK = WeekCalendar({day: [(time(0), time(0))] for day in range(7)})
# Autumn term 2026 in a made-up authority: October half-term is Mon 26 - Fri 30 October.
HALF_TERM = days(date(2026, 10, 26), date(2026, 10, 30))


# --- hand-worked due times ---------------------------------------------------------------------------------------


def test_friday_afternoon_plus_four_school_hours_is_monday_eleven():
    # Fri 20 Nov 15:00 -> 16:00 (1 h), weekend closed, Mon 23 Nov 08:00 + 3 h = 11:00 (GMT, so 11:00 UTC).
    due = add_business_time(SCHOOL, london(2026, 11, 20, 15), 4 * H)
    assert due == utc(2026, 11, 23, 11)
    assert due.tzinfo is UTC
    assert business_time_between(SCHOOL, london(2026, 11, 20, 15), due) == 4 * H


def test_logged_before_opening_and_at_the_weekend_start_at_opening():
    assert add_business_time(SCHOOL, london(2026, 11, 23, 6, 30), 2 * H) == utc(2026, 11, 23, 10)
    assert add_business_time(SCHOOL, london(2026, 11, 21, 10), 2 * H) == utc(2026, 11, 23, 10)
    # Exactly a school day lands at closing time, not at the next morning's opening.
    assert add_business_time(SCHOOL, london(2026, 11, 23, 8), 8 * H) == utc(2026, 11, 23, 16)


def test_across_a_bank_holiday():
    # Early May bank holiday, Mon 4 May 2026 (BST). Fri 1 May 15:00 + 4 h -> Tue 5 May 11:00 BST = 10:00 UTC.
    cal = WeekCalendar(MON_FRI, closed={date(2026, 5, 4)})
    assert add_business_time(cal, london(2026, 5, 1, 15), 4 * H) == utc(2026, 5, 5, 10)
    assert add_business_time(SCHOOL, london(2026, 5, 1, 15), 4 * H) == utc(2026, 5, 4, 10)
    # Christmas: Fri 25 and Mon 28 Dec (Boxing Day substitute) closed. Thu 24 Dec 15:00 + 4 h -> Tue 29 Dec 11:00.
    xmas = WeekCalendar(MON_FRI, closed={date(2026, 12, 25), date(2026, 12, 28)})
    assert add_business_time(xmas, london(2026, 12, 24, 15), 4 * H) == utc(2026, 12, 29, 11)


def test_over_half_term_when_term_time_only_and_across_the_autumn_clock_change():
    # Fri 23 Oct 15:00 BST; half-term week closed; clocks go back Sun 25 Oct; Mon 2 Nov 08:00 GMT + 3 h.
    term_time = WeekCalendar(MON_FRI, closed=HALF_TERM)
    assert add_business_time(term_time, london(2026, 10, 23, 15), 4 * H) == utc(2026, 11, 2, 11)
    assert business_time_between(term_time, london(2026, 10, 23, 15), london(2026, 11, 2, 11)) == 4 * H
    # A school-hours SLA that runs in the holidays too: Mon 26 Oct 11:00 GMT.
    assert add_business_time(SCHOOL, london(2026, 10, 23, 15), 4 * H) == utc(2026, 10, 26, 11)


def test_across_the_spring_clock_change():
    # Fri 27 Mar 2026 15:00 GMT + 4 h -> Mon 30 Mar 11:00 BST = 10:00 UTC.
    assert add_business_time(SCHOOL, london(2026, 3, 27, 15), 4 * H) == utc(2026, 3, 30, 10)
    # A whole school day is 8 hours either side of the change.
    for y, m, d in ((2026, 3, 27), (2026, 3, 30), (2026, 10, 23), (2026, 10, 26)):
        assert business_time_between(SCHOOL, london(y, m, d), london(y, m, d, 23)) == 8 * H


def test_around_the_clock_days_are_23_and_25_hours_when_the_clocks_change():
    spring = business_time_between(AROUND_THE_CLOCK, london(2026, 3, 28, 12), london(2026, 3, 29, 12))
    autumn = business_time_between(AROUND_THE_CLOCK, london(2026, 10, 24, 12), london(2026, 10, 25, 12))
    assert (spring, autumn) == (23 * H, 25 * H)
    # 24 hours of running time from Saturday noon is Sunday 13:00 local in spring, 11:00 local in autumn.
    assert add_business_time(AROUND_THE_CLOCK, london(2026, 3, 28, 12), 24 * H) == london(2026, 3, 29, 13)
    assert add_business_time(AROUND_THE_CLOCK, london(2026, 10, 24, 12), 24 * H) == london(2026, 10, 25, 11)


def test_wall_clock_hours_on_the_days_the_clocks_change():
    spring, autumn = date(2026, 3, 29), date(2026, 10, 25)
    assert wall_clock_intervals(spring, time(8), time(16), LONDON) == [(utc(2026, 3, 29, 7), utc(2026, 3, 29, 15))]
    # 00:00-03:00 local skips 01:00-02:00 in spring (2 h) and repeats it in autumn (4 h).
    assert wall_clock_intervals(spring, time(0), time(3), LONDON) == [(utc(2026, 3, 29, 0), utc(2026, 3, 29, 2))]
    assert wall_clock_intervals(autumn, time(0), time(3), LONDON) == [(utc(2026, 10, 24, 23), utc(2026, 10, 25, 3))]
    assert wall_clock_intervals(spring, time(1, 30), time(2), LONDON) == []
    assert wall_clock_intervals(autumn, time(1, 30), time(2), LONDON) == [
        (utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1)),
        (utc(2026, 10, 25, 1, 30), utc(2026, 10, 25, 2)),
    ]
    assert wall_clock_intervals(spring, time(16), time(8), LONDON) == []


# --- pauses (on hold, waiting for the caller) --------------------------------------------------------------------


def history(*changes):
    return [(london(*at), status, reason) for at, status, reason in changes]


def test_on_hold_waiting_for_the_caller_pushes_the_due_time_on():
    # Logged Mon 23 Nov 09:00 with an 8 h target: Tue 09:00. Waiting for the caller 10:00-14:00: Tue 13:00.
    changes = history(
        ((2026, 11, 23, 9), "new", None),
        ((2026, 11, 23, 10), "on_hold", "awaiting_caller"),
        ((2026, 11, 23, 14), "in_progress", None),
    )
    pauses = pauses_from_history(changes)
    assert pauses == [(utc(2026, 11, 23, 10), utc(2026, 11, 23, 14))]
    start = london(2026, 11, 23, 9)
    assert add_business_time(SCHOOL, start, 8 * H) == utc(2026, 11, 24, 9)
    assert add_business_time(SCHOOL, start, 8 * H, pauses) == utc(2026, 11, 24, 13)
    assert business_time_between(SCHOOL, start, london(2026, 11, 24, 13), pauses) == 8 * H


def test_on_hold_for_the_desks_own_reasons_does_not_pause():
    changes = history(
        ((2026, 11, 23, 9), "assigned", None),
        ((2026, 11, 23, 10), "on_hold", "awaiting_supplier"),
        ((2026, 11, 23, 12), "on_hold", "awaiting_parts"),
        ((2026, 11, 23, 14), "in_progress", None),
    )
    assert pauses_from_history(changes) == []


def test_a_pause_over_closed_time_only_removes_the_open_part():
    # On hold from Mon 15:00 to Tue 09:00: only Mon 15:00-16:00 and Tue 08:00-09:00 were open, so 2 h pushed on.
    pauses = [(london(2026, 11, 23, 15), london(2026, 11, 24, 9))]
    start = london(2026, 11, 23, 9)
    assert add_business_time(SCHOOL, start, 8 * H, pauses) == utc(2026, 11, 24, 11)


def test_resolved_pauses_until_reopened_and_closed_stops_the_clock():
    changes = history(
        ((2026, 11, 23, 9), "new", None),
        ((2026, 11, 23, 11), "resolved", None),
        ((2026, 11, 24, 9), "reopened", None),
        ((2026, 11, 24, 10), "on_hold", "awaiting_caller"),
        ((2026, 11, 24, 11), "resolved", None),  # straight from on hold to resolved: one pause
        ((2026, 11, 24, 12), "closed", None),
    )
    pauses = pauses_from_history(changes)
    assert pauses == [(utc(2026, 11, 23, 11), utc(2026, 11, 24, 9)), (utc(2026, 11, 24, 10), FOREVER)]
    start = london(2026, 11, 23, 9)
    # The clock ran Mon 09:00-11:00 and Tue 09:00-10:00, and counts nothing after closure.
    assert business_time_between(SCHOOL, start, london(2026, 12, 31), pauses) == 3 * H
    assert add_business_time(SCHOOL, start, 3 * H, pauses) == utc(2026, 11, 24, 10)
    with pytest.raises(ClockStopped, match="paused"):
        add_business_time(SCHOOL, start, 4 * H, pauses)
    # Still on hold "now": the due time assumes the clock restarts now.
    open_pause = pauses_from_history(changes[:4], until=london(2026, 11, 24, 14))
    assert open_pause[-1] == (utc(2026, 11, 24, 10), utc(2026, 11, 24, 14))
    assert add_business_time(SCHOOL, start, 4 * H, open_pause) == utc(2026, 11, 24, 15)


def test_history_order_does_not_matter_and_instants_may_be_in_any_zone():
    changes = history(
        ((2026, 11, 23, 14), "in_progress", None),
        ((2026, 11, 23, 10), "on_hold", "awaiting_caller"),
    )
    changes.append((datetime(2026, 11, 23, 14, tzinfo=ZoneInfo("Asia/Kolkata")), "new", None))
    assert pauses_from_history(changes) == [(utc(2026, 11, 23, 10), utc(2026, 11, 23, 14))]


# --- edges and errors --------------------------------------------------------------------------------------------


def test_zero_and_negative_durations_and_backwards_ranges():
    start = london(2026, 11, 21, 10)  # a Saturday
    assert add_business_time(SCHOOL, start, timedelta(0)) == start
    with pytest.raises(ValueError, match="negative"):
        add_business_time(SCHOOL, start, -H)
    assert business_time_between(SCHOOL, london(2026, 11, 24), london(2026, 11, 23)) == timedelta(0)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business_time(SCHOOL, datetime(2026, 11, 23, 9), H)  # noqa: DTZ001
    with pytest.raises(ValueError, match="timezone-aware"):
        business_time_between(SCHOOL, london(2026, 11, 23), datetime(2026, 11, 24))  # noqa: DTZ001


def test_a_calendar_that_never_opens_raises_a_clear_error_quickly():
    never = WeekCalendar({})
    began = walltime.perf_counter()
    with pytest.raises(ClockError, match="check its hours, term dates and closures"):
        add_business_time(never, london(2026, 11, 23, 9), H)
    assert walltime.perf_counter() - began < 2
    # Growing windows: 14, 28, 56 ... days up to the 3-year horizon is a handful of calendar fetches.
    assert never.calls <= 8


def test_a_long_target_fetches_in_growing_windows():
    cal = WeekCalendar(MON_FRI, closed=HALF_TERM)
    due = add_business_time(cal, london(2026, 9, 1, 8), 8 * H * 60)  # 60 school days
    assert business_time_between(cal, london(2026, 9, 1, 8), due) == 8 * H * 60
    assert cal.calls <= 6


def test_a_calendar_returning_untidy_intervals_is_tidied():
    class Untidy:
        def open_intervals(self, start, end):
            return [
                (utc(2026, 11, 23, 12), utc(2026, 11, 23, 14)),
                (utc(2026, 11, 23, 9), utc(2026, 11, 23, 13)),  # overlaps, out of order
                (utc(2026, 11, 23, 15), utc(2026, 11, 23, 15)),  # empty
                (utc(2026, 11, 23, 16), utc(2026, 11, 23, 17)),
            ]

    assert business_time_between(Untidy(), utc(2026, 11, 23), utc(2026, 11, 24)) == 6 * H
    assert add_business_time(Untidy(), utc(2026, 11, 23), 5 * H + timedelta(minutes=30)) == utc(2026, 11, 23, 16, 30)


# --- interval helpers --------------------------------------------------------------------------------------------


def hours_(*pairs):
    return [(utc(2026, 1, 1, a), utc(2026, 1, 1, b)) for a, b in pairs]


def test_merge_intervals():
    assert merge_intervals(hours_((5, 7), (1, 3), (3, 4), (6, 9), (10, 10))) == hours_((1, 4), (5, 9))
    assert merge_intervals([]) == []


def test_subtract_intervals():
    assert subtract_intervals(hours_((1, 10)), hours_((2, 3), (5, 6))) == hours_((1, 2), (3, 5), (6, 10))
    assert subtract_intervals(hours_((1, 3), (5, 8)), hours_((0, 2), (2, 6))) == hours_((6, 8))
    assert subtract_intervals(hours_((1, 3)), hours_((0, 4))) == []
    assert subtract_intervals(hours_((1, 3)), []) == hours_((1, 3))


def test_clip_intervals():
    assert clip_intervals(hours_((1, 3), (5, 8)), utc(2026, 1, 1, 2), utc(2026, 1, 1, 6)) == hours_((2, 3), (5, 6))
    assert clip_intervals(hours_((1, 3)), utc(2026, 1, 1, 4), utc(2026, 1, 1, 6)) == []


def test_module_imports_no_django():
    source = open(clock.__file__).read()
    assert "django" not in source and "import models" not in source


# --- due times from a status history -----------------------------------------------------------------------------


def test_due_time_and_time_used_follow_the_status_history():
    start = london(2026, 11, 23, 9)  # Monday, 8 h resolution target
    logged = history(((2026, 11, 23, 9), "new", None))
    assert due_time(SCHOOL, start, 8 * H, logged) == utc(2026, 11, 24, 9)
    waiting = [*logged, *history(((2026, 11, 23, 10), "on_hold", "awaiting_caller"))]
    # Waiting for the caller: no due time until the clock restarts; an hour used so far whatever the time now.
    assert due_time(SCHOOL, start, 8 * H, waiting) is None
    assert time_used(SCHOOL, start, london(2026, 11, 25, 12), waiting) == H
    back = [*waiting, *history(((2026, 11, 24, 10), "in_progress", None))]  # Tue 10:00: 7 h left
    assert due_time(SCHOOL, start, 8 * H, back) == utc(2026, 11, 25, 9)
    assert time_used(SCHOOL, start, london(2026, 11, 24, 15), back) == 6 * H
    # A 1 h response target used up before the hold keeps its due time: a breach stays a breach.
    assert due_time(SCHOOL, start, H / 2, waiting) == utc(2026, 11, 23, 9, 30)
    assert due_time(SCHOOL, start, H, waiting) == utc(2026, 11, 23, 10)
