"""The SLA clock: business-time arithmetic over a calendar, pausing while a ticket waits on the caller.

Pure module (``datetime`` only, no Django models). All instants are timezone-aware; results are UTC.

Protocol a calendar must meet (H6's adapter binds term_time_only / hours when it is built)::

    class BusinessCalendar(Protocol):
        def open_intervals(self, start, end) -> list[tuple[datetime, datetime]]:
            '''Sorted, non-overlapping aware-UTC periods within [start, end) when the clock runs.'''

Public API:
    business_time_between(calendar, start, end, pauses=()) -> timedelta
    add_business_time(calendar, start, duration, pauses=()) -> datetime
    pauses_from_history(changes, until=None) -> list[Interval]
    due_time(calendar, start, target, changes=()) -> datetime | None   (None while the clock is stopped)
    time_used(calendar, start, now, changes=()) -> timedelta
    running_intervals(calendar, start, end, pauses=()) -> list[Interval]
    wall_clock_intervals(day, opens, closes, tz) -> list[Interval]   (for calendar adapters; DST-correct)
    merge_intervals / subtract_intervals / clip_intervals / total
    ClockError (calendar never opens within HORIZON), ClockStopped (paused with no end)
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Protocol

Interval = tuple[datetime, datetime]


class BusinessCalendar(Protocol):
    def open_intervals(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """Sorted, non-overlapping aware-UTC periods within [start, end) when the clock runs."""


#: Fetch the calendar in windows that start at this size and double each time.
FIRST_WINDOW = timedelta(days=14)
#: Give up (ClockError) when this much calendar time after the start holds too little running time.
HORIZON = timedelta(days=3 * 366)
#: End of time, for a pause that has not ended (a ticket still on hold when nothing says until when).
FOREVER = datetime.max.replace(tzinfo=UTC)

#: Status history rule (see ``pauses_from_history``). Plain strings: this module imports no models.
ON_HOLD = "on_hold"
AWAITING_CALLER = "awaiting_caller"
PAUSING_STATUSES = frozenset({"resolved", "closed"})


class ClockError(ValueError):
    """The due time cannot be worked out (calendar never opens within the horizon, or the clock is stopped)."""


class ClockStopped(ClockError):
    """The clock is paused with no known end, so a due time does not exist yet."""


def _utc(instant: datetime, name: str = "instant") -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {instant!r}")
    return instant.astimezone(UTC)


# ---------------------------------------------------------------------------------------------------------------
# Interval helpers. An interval is a half-open (start, end) pair of aware datetimes; empty ones are dropped.
# ---------------------------------------------------------------------------------------------------------------


def merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-overlapping UTC intervals covering the same time; touching intervals are joined."""
    items = sorted((_utc(a, "interval start"), _utc(b, "interval end")) for a, b in intervals)
    merged: list[Interval] = []
    for a, b in items:
        if b <= a:
            continue
        if merged and a <= merged[-1][1]:
            if b > merged[-1][1]:
                merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged


def clip_intervals(intervals: Iterable[Interval], start: datetime, end: datetime) -> list[Interval]:
    """The merged parts of ``intervals`` that lie within [start, end)."""
    start, end = _utc(start, "start"), _utc(end, "end")
    clipped = []
    for a, b in merge_intervals(intervals):
        a, b = max(a, start), min(b, end)
        if a < b:
            clipped.append((a, b))
    return clipped


def subtract_intervals(intervals: Iterable[Interval], removals: Iterable[Interval]) -> list[Interval]:
    """The parts of ``intervals`` not covered by any of ``removals`` (both merged first)."""
    cuts = merge_intervals(removals)
    result: list[Interval] = []
    i = 0
    for a, b in merge_intervals(intervals):
        while i < len(cuts) and cuts[i][1] <= a:
            i += 1
        j, cursor = i, a
        while j < len(cuts) and cuts[j][0] < b:
            if cuts[j][0] > cursor:
                result.append((cursor, cuts[j][0]))
            cursor = max(cursor, cuts[j][1])
            j += 1
        if cursor < b:
            result.append((cursor, b))
    return result


def total(intervals: Iterable[Interval]) -> timedelta:
    return sum((b - a for a, b in intervals), timedelta(0))


# ---------------------------------------------------------------------------------------------------------------
# Wall-clock hours -> UTC, correct on the days the clocks change (for calendar adapters).
# ---------------------------------------------------------------------------------------------------------------


def wall_clock_intervals(day: date, opens: time, closes: time, tz: tzinfo) -> list[Interval]:
    """UTC periods of the local ``day`` whose wall-clock time is in [opens, closes).

    ``closes == time(0)`` means midnight at the end of the day; otherwise ``closes <= opens`` gives nothing.
    On a spring-forward day the missing hour is simply not there (08:00-16:00 is still 8 hours; 00:00-03:00
    is 2 hours in London); on an autumn day the repeated hour counts twice when it is inside the hours.
    """
    if closes != time(0) and closes <= opens:
        return []
    start_utc = datetime.combine(day, time(0), tz).astimezone(UTC)
    end_utc = datetime.combine(day + timedelta(days=1), time(0), tz).astimezone(UTC)
    pieces = _fixed_offset_pieces(start_utc, end_utc, tz)
    lo = datetime.combine(day, opens)
    hi = datetime.combine(day + timedelta(days=1), time(0)) if closes == time(0) else datetime.combine(day, closes)
    out = []
    for a, b, offset in pieces:
        # Within a piece, UTC = local wall time - offset (a straight line), so map the hours and clip.
        lo_utc = (lo - offset).replace(tzinfo=UTC)
        hi_utc = (hi - offset).replace(tzinfo=UTC)
        a2, b2 = max(a, lo_utc), min(b, hi_utc)
        if a2 < b2:
            out.append((a2, b2))
    return merge_intervals(out)


def _fixed_offset_pieces(start: datetime, end: datetime, tz: tzinfo) -> list[tuple[datetime, datetime, timedelta]]:
    """Split [start, end) (UTC, at most a day or two) where the UTC offset of ``tz`` changes."""
    pieces = []
    a = start
    while a < end:
        offset = a.astimezone(tz).utcoffset()
        last = end - timedelta(microseconds=1)
        if last.astimezone(tz).utcoffset() == offset:
            pieces.append((a, end, offset))
            break
        # offset(a) == offset, offset(last) differs: find the first whole second with the new offset.
        lo, hi = 0, int((last - a).total_seconds()) + 1
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if (a + timedelta(seconds=mid)).astimezone(tz).utcoffset() == offset:
                lo = mid
            else:
                hi = mid
        change = min(a + timedelta(seconds=hi), end)
        pieces.append((a, change, offset))
        a = change
    return pieces


# ---------------------------------------------------------------------------------------------------------------
# The clock.
# ---------------------------------------------------------------------------------------------------------------


def running_intervals(
    calendar: BusinessCalendar, start: datetime, end: datetime, pauses: Iterable[Interval] = ()
) -> list[Interval]:
    """When the clock ran within [start, end): the calendar's open time minus the pauses."""
    start, end = _utc(start, "start"), _utc(end, "end")
    if end <= start:
        return []
    open_time = clip_intervals(calendar.open_intervals(start, end), start, end)
    return subtract_intervals(open_time, clip_intervals(pauses, start, end))


def business_time_between(
    calendar: BusinessCalendar, start: datetime, end: datetime, pauses: Iterable[Interval] = ()
) -> timedelta:
    """Time the clock ran from ``start`` to ``end`` (zero when ``end <= start``), not counting pauses."""
    return total(running_intervals(calendar, start, end, pauses))


def add_business_time(
    calendar: BusinessCalendar, start: datetime, duration: timedelta, pauses: Iterable[Interval] = ()
) -> datetime:
    """The instant (UTC) at which ``duration`` of running time has elapsed after ``start``.

    The due time lands inside or at the end of an open period (never at the opening of the next one), so
    ``add(add(s, a), b) == add(s, a + b)`` and ``business_time_between(s, add(s, d)) == d``. A zero duration
    gives ``start`` itself. Pauses known so far push the due time on. Raises ``ClockStopped`` when a pause
    without an end covers the rest of the time, and ``ClockError`` when the calendar holds too little open
    time within ``HORIZON`` of the start (a calendar that never opens cannot loop forever).
    """
    start = _utc(start, "start")
    if duration < timedelta(0):
        raise ValueError(f"duration must not be negative, got {duration}")
    if duration == timedelta(0):
        return start
    pauses = merge_intervals(pauses)
    limit = start + HORIZON
    remaining, cursor, window = duration, start, FIRST_WINDOW
    while cursor < limit:
        for a, b in pauses:
            if a <= cursor < b and b >= limit:
                raise ClockStopped(f"the clock is paused from {a.isoformat()} with no end, so nothing is due yet")
        stop = min(cursor + window, limit)
        for a, b in running_intervals(calendar, cursor, stop, pauses):
            if b - a >= remaining:
                return a + remaining
            remaining -= b - a
        cursor, window = stop, window * 2
    raise ClockError(
        f"the calendar has only {duration - remaining} of open time in the {HORIZON.days} days after "
        f"{start.isoformat()}, short of {duration}: check its hours, term dates and closures"
    )


def pauses_from_history(
    changes: Iterable[tuple[datetime, str, str | None]], until: datetime | None = None
) -> list[Interval]:
    """Pause intervals from a ticket's status history ``[(instant, status, hold_reason), ...]``.

    The rule: the clock stops while the ticket waits on the caller, that is
      * on hold (``on_hold``) with hold reason ``awaiting_caller`` (any other hold reason, such as waiting for
        a supplier, parts or a change, is the desk's own wait and the clock keeps running), and
      * resolved (awaiting the caller's confirmation) or closed; reopening starts it again.
    Every other status (new, assigned, in progress, reopened, awaiting approval) runs the clock.
    Each change holds from its instant until the next one (the list is sorted by instant here). A pause
    still in force at the end lasts until ``until`` (e.g. now), or for ever (``FOREVER``) when ``until`` is None.
    """
    ordered = sorted(
        ((_utc(at, "change instant"), status, reason) for at, status, reason in changes), key=lambda c: c[0]
    )
    pauses: list[Interval] = []
    paused_since: datetime | None = None
    for at, status, reason in ordered:
        pausing = status in PAUSING_STATUSES or (status == ON_HOLD and reason == AWAITING_CALLER)
        if pausing and paused_since is None:
            paused_since = at
        elif not pausing and paused_since is not None:
            pauses.append((paused_since, at))
            paused_since = None
    if paused_since is not None:
        pauses.append((paused_since, FOREVER if until is None else max(_utc(until, "until"), paused_since)))
    return merge_intervals(pauses)


def due_time(
    calendar: BusinessCalendar,
    start: datetime,
    target: timedelta,
    changes: Iterable[tuple[datetime, str, str | None]] = (),
) -> datetime | None:
    """When a response or resolution target falls due, from the ticket's start and status history so far.

    Returns None while the clock is stopped with the target not yet used up (on hold waiting for the caller,
    resolved or closed): there is no due time until the clock restarts, so recompute on every status change.
    A target used up before the clock stopped keeps its (past) due time, so a breach stays a breach.
    """
    try:
        return add_business_time(calendar, start, target, pauses_from_history(changes))
    except ClockStopped:
        return None


def time_used(
    calendar: BusinessCalendar,
    start: datetime,
    now: datetime,
    changes: Iterable[tuple[datetime, str, str | None]] = (),
) -> timedelta:
    """Running time on the clock from ``start`` to ``now`` (e.g. to compare with 75 % of a target)."""
    return business_time_between(calendar, start, now, pauses_from_history(changes, until=now))
