"""In-memory calendars for the SLA clock tests (no database, no calendar models). Holds no tests itself."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from servicelevels.clock import clip_intervals, wall_clock_intervals

LONDON = ZoneInfo("Europe/London")
SCHOOL_DAY = [(time(8), time(16))]
MON_FRI = {day: SCHOOL_DAY for day in range(5)}


class WeekCalendar:
    """Weekly wall-clock hours in Europe/London (``{weekday: [(opens, closes)]}``) minus a set of closed dates.

    ``closes == time(0)`` means midnight at the end of the day. Implements the clock's BusinessCalendar.
    """

    def __init__(self, hours, closed=(), tz=LONDON):
        self.hours = {day: list(spans) for day, spans in hours.items()}
        self.closed = set(closed)
        self.tz = tz
        self.calls = 0

    def open_intervals(self, start, end):
        self.calls += 1
        out = []
        day = start.astimezone(self.tz).date() - timedelta(days=1)
        last = end.astimezone(self.tz).date() + timedelta(days=1)
        while day <= last:
            if day not in self.closed:
                for opens, closes in self.hours.get(day.weekday(), ()):
                    out += wall_clock_intervals(day, opens, closes, self.tz)
            day += timedelta(days=1)
        return clip_intervals(out, start, end)

    def is_open(self, instant):
        """Oracle by a different route: is the local wall time of ``instant`` inside the hours of an open day?"""
        local = instant.astimezone(self.tz)
        if local.date() in self.closed:
            return False
        now = local.time().replace(tzinfo=None)
        spans = self.hours.get(local.weekday(), ())
        return any(opens <= now and (closes == time(0) or now < closes) for opens, closes in spans)


def london(*args):
    """An aware London wall-clock instant, e.g. london(2026, 11, 20, 15)."""
    return datetime(*args, tzinfo=LONDON)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def days(first: date, last: date):
    """Every date from ``first`` to ``last`` inclusive (e.g. a half-term)."""
    return {first + timedelta(days=n) for n in range((last - first).days + 1)}
