"""Property-based tests of the SLA clock over generated school calendars (Europe/London, with DST).

Calendars: random weekly hours on a half-hour grid (any day, 00:00-24:00, so the missing and repeated hours
of 29 March and 25 October 2026 are exercised), random closed dates and a random closed block (a half-term).
Starts, pauses and durations sit on a 5-minute grid so a brute-force oracle can count 5-minute steps.
"""

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicelevels.clock import add_business_time, business_time_between, merge_intervals
from tests.servicelevels.test_clock_support import WeekCalendar

STEP = timedelta(minutes=5)
SPRING, AUTUMN = datetime(2026, 3, 29, 1, tzinfo=UTC), datetime(2026, 10, 25, 1, tzinfo=UTC)
FIRST = datetime(2026, 1, 5, tzinfo=UTC)
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def slot_time(slot):
    return time(0) if slot == 48 else time(slot // 2, 30 * (slot % 2))


@st.composite
def calendars(draw):
    hours = {}
    for weekday in range(7):
        cuts = sorted(draw(st.sets(st.integers(0, 48), max_size=4)))
        spans = [(slot_time(a), slot_time(b)) for a, b in zip(cuts[::2], cuts[1::2], strict=False) if a < b]
        if spans:
            hours[weekday] = spans
    if not hours:  # a calendar that never opens is tested by hand; here at least one half-hour a week
        slot = draw(st.integers(0, 47))
        hours[draw(st.integers(0, 6))] = [(slot_time(slot), slot_time(slot + 1))]
    closed = {FIRST.date() + timedelta(days=n) for n in draw(st.sets(st.integers(0, 400), max_size=25))}
    block_start = FIRST.date() + timedelta(days=draw(st.integers(0, 400)))
    closed |= {block_start + timedelta(days=n) for n in range(draw(st.integers(0, 14)))}
    return WeekCalendar(hours, closed)


def near(instant, days_):
    return st.integers(-days_ * 288, days_ * 288).map(lambda k: instant + k * STEP)


# Starts mostly within a few days of a clock change, otherwise anywhere in 2026.
starts = st.one_of(near(SPRING, 4), near(AUTUMN, 4), st.integers(0, 330 * 288).map(lambda k: FIRST + k * STEP))
durations = st.integers(0, 12 * 40).map(lambda k: k * STEP)  # up to 40 hours of running time


@st.composite
def pause_lists(draw, start):
    pauses = []
    for _ in range(draw(st.integers(0, 3))):
        a = start + draw(st.integers(-288, 14 * 288)) * STEP
        pauses.append((a, a + draw(st.integers(1, 3 * 288)) * STEP))
    return pauses


def oracle_between(calendar, start, end, pauses=()):
    """Count 5-minute steps whose local wall time is open and not paused (a different route from the clock)."""
    pauses = merge_intervals(pauses)
    counted, t = timedelta(0), start
    while t < end:
        if calendar.is_open(t) and not any(a <= t < b for a, b in pauses):
            counted += STEP
        t += STEP
    return counted


@SETTINGS
@given(calendars(), starts, durations, st.data())
def test_inverse_between_of_add_is_the_duration(calendar, start, duration, data):
    pauses = data.draw(pause_lists(start))
    due = add_business_time(calendar, start, duration, pauses)
    assert due >= start
    assert business_time_between(calendar, start, due, pauses) == duration


@SETTINGS
@given(calendars(), starts, starts, durations)
def test_monotonic_in_start(calendar, s1, s2, duration):
    s1, s2 = min(s1, s2), max(s1, s2)
    assert add_business_time(calendar, s1, duration) <= add_business_time(calendar, s2, duration)


@SETTINGS
@given(calendars(), starts, durations, durations, st.data())
def test_monotonic_in_duration_with_pauses(calendar, start, d1, d2, data):
    pauses = data.draw(pause_lists(start))
    d1, d2 = min(d1, d2), max(d1, d2)
    assert add_business_time(calendar, start, d1, pauses) <= add_business_time(calendar, start, d2, pauses)


@SETTINGS
@given(calendars(), starts, durations, durations)
def test_additive(calendar, start, a, b):
    assert add_business_time(calendar, add_business_time(calendar, start, a), b) == add_business_time(
        calendar, start, a + b
    )


@SETTINGS
@given(calendars(), starts, st.integers(0, 4 * 288), st.data())
def test_never_counts_closed_or_paused_time(calendar, start, steps, data):
    # Up to four days, counted step by step from the local wall time: includes the DST nights when near them.
    pauses = data.draw(pause_lists(start))
    end = start + steps * STEP
    measured = business_time_between(calendar, start, end, pauses)
    assert measured == oracle_between(calendar, start, end, pauses)
    assert measured <= end - start


@SETTINGS
@given(calendars(), starts, durations.filter(bool), st.data())
def test_due_time_ends_a_running_step(calendar, start, duration, data):
    # The last 5 minutes before a due time were open and not paused: it never lands in closed time.
    pauses = data.draw(pause_lists(start))
    due = add_business_time(calendar, start, duration, pauses)
    assert calendar.is_open(due - STEP)
    assert not any(a < due <= b for a, b in merge_intervals(pauses))


@SETTINGS
@given(calendars(), st.sampled_from([date(2026, 3, 29), date(2026, 10, 25)]))
def test_a_whole_day_across_a_clock_change_counts_its_wall_clock_hours(calendar, day):
    start = datetime(day.year, day.month, day.day, tzinfo=calendar.tz)
    end = start.astimezone(UTC) + timedelta(hours=25)  # past local midnight on either change
    assert business_time_between(calendar, start, end) == oracle_between(calendar, start.astimezone(UTC), end)
