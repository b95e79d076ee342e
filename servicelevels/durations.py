"""Target durations as people write them ("30 min", "4 h", "2 d", "1 d 4 h") and read them back in words.

A target counts minutes of its agreement's clock. A *day* of that clock is a working day of 8 hours
when the clock runs in school hours, and 24 hours when it runs around the clock, so "2 d" means
16 hours of school time, or 48 hours around the clock.
"""

from __future__ import annotations

import re

from servicelevels.models import SupportHours

SCHOOL_DAY_MINUTES = 8 * 60
CLOCK_DAY_MINUTES = 24 * 60

_UNITS = {
    "m": 1, "min": 1, "mins": 1, "minute": 1, "minutes": 1,
    "h": 60, "hr": 60, "hrs": 60, "hour": 60, "hours": 60,
    "d": None, "day": None, "days": None,
}  # fmt: skip
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]*)")


def day_minutes(hours: str) -> int:
    """Minutes in a day of a clock that runs in `hours` (SupportHours)."""
    return CLOCK_DAY_MINUTES if hours == SupportHours.AROUND_THE_CLOCK else SCHOOL_DAY_MINUTES


def parse_duration(text: str | int, *, hours: str = SupportHours.SCHOOL_HOURS) -> int:
    """Minutes in "30 min", "4 h", "2 d", "1 d 4 h", "1.5 h" or a bare number of minutes. ValueError if unreadable."""
    if isinstance(text, int):
        if text < 1:
            raise ValueError("A target must be at least one minute.")
        return text
    cleaned = str(text).strip().lower().replace(",", " ")
    if not cleaned:
        raise ValueError("Give a duration, e.g. 30 min, 4 h or 2 d.")
    total = 0.0
    position = 0
    for match in _PART.finditer(cleaned):
        if cleaned[position : match.start()].strip():
            break
        number, unit = float(match.group(1)), match.group(2) or "min"
        if unit not in _UNITS:
            raise ValueError(f"Unknown unit {unit!r}: use min, h or d (e.g. 30 min, 4 h, 2 d).")
        factor = _UNITS[unit] or day_minutes(hours)
        total += number * factor
        position = match.end()
    if position == 0 or cleaned[position:].strip():
        raise ValueError(f"Cannot read {text!r} as a duration: use e.g. 30 min, 4 h or 2 d.")
    minutes = round(total)
    if minutes < 1:
        raise ValueError("A target must be at least one minute.")
    return minutes


def duration_words(minutes: int | None, *, hours: str = SupportHours.SCHOOL_HOURS) -> str:
    """ "30 min", "4 h", "2 d 4 h" for a number of minutes of a clock that runs in `hours`."""
    if minutes is None:
        return ""
    per_day = day_minutes(hours)
    days, rest = divmod(int(minutes), per_day)
    whole_hours, mins = divmod(rest, 60)
    parts = [f"{days} d"] if days else []
    if whole_hours:
        parts.append(f"{whole_hours} h")
    if mins or not parts:
        parts.append(f"{mins} min")
    return " ".join(parts)


def day_note(hours: str) -> str:
    """What a day means on a form, for this clock."""
    if hours == SupportHours.AROUND_THE_CLOCK:
        return "A day (d) is 24 hours: the clock runs around the clock."
    return "A day (d) is 8 hours of school time: the clock runs in school hours."
