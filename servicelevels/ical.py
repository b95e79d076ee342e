"""Import term dates, half-terms and INSET days from the iCalendar (.ics) feed an authority publishes.

Events are sorted by the words in their SUMMARY:
- "INSET", "training day", "staff development"  -> Closure (INSET day, staff working: support's clock runs)
- "closed", "closure"                           -> Closure (nobody works)
- "half term", "holiday", "break"               -> a holiday: cut out of the terms it falls in
- "term" (after the above)                      -> TermDate (the span when school is open)
- "bank holiday" and anything else              -> skipped (bank holidays come from the holidays package)
A term with a half-term inside is stored as two spans ("Autumn term (1)", "Autumn term (2)").
All or nothing: a feed that does not parse, or an event without a usable date, saves nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import icalendar
from django.core.exceptions import ValidationError
from django.db import transaction

from fits.models import User
from servicelevels.calendars import LONDON, _require_manage, refresh_clocks, school_year_of
from servicelevels.models import Calendar, Closure, TermDate

INSET_WORDS = ("inset", "training day", "staff development", "teacher day")
CLOSURE_WORDS = ("closed", "closure")
HOLIDAY_WORDS = ("half term", "half-term", "halfterm", "holiday", "break")


@dataclass
class ImportReport:
    imported: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


@dataclass
class _Event:
    line: int
    name: str
    starts: date
    ends: date  # inclusive


def _event_lines(text: str) -> list[int]:
    """The line number (1-based, physical lines) of each BEGIN:VEVENT, in order."""
    return [number for number, line in enumerate(text.splitlines(), start=1) if line.strip().upper() == "BEGIN:VEVENT"]


def _as_date(value, *, end: bool = False) -> date:
    """An ICS DATE or DATE-TIME as a London date; an exclusive end becomes the last day included."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(LONDON)
        if end:
            value -= timedelta(microseconds=1)
        return value.date()
    return value - timedelta(days=1) if end else value


def _events(data: bytes) -> list[_Event]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(f"The file is not UTF-8 text (byte {exc.start}).") from exc
    if not text.lstrip().upper().startswith("BEGIN:VCALENDAR"):
        raise ValidationError("This is not an iCalendar file: it must start with BEGIN:VCALENDAR (line 1).")
    try:
        feed = icalendar.Calendar.from_ical(text.encode())
    except (ValueError, IndexError, KeyError) as exc:
        raise ValidationError(f"The calendar file could not be read: {exc}") from exc
    lines = _event_lines(text)
    events, errors = [], []
    for index, component in enumerate(feed.walk("VEVENT")):
        line = lines[index] if index < len(lines) else 0
        name = str(component.get("SUMMARY", "")).strip()
        where = f"line {line}" + (f' ("{name}")' if name else "")
        if component.errors:
            errors.append(f"{where}: {'; '.join(f'{prop}: {msg}' for prop, msg in component.errors)}")
            continue
        start = component.get("DTSTART")
        if start is None:
            errors.append(f"{where}: the event has no DTSTART.")
            continue
        starts = _as_date(start.dt)
        end = component.get("DTEND")
        if end is not None:
            ends = _as_date(end.dt, end=True)
        elif component.get("DURATION") is not None:
            ends = _as_date(start.dt + component.get("DURATION").dt, end=True)
        else:
            ends = starts
        ends = max(ends, starts) if end is None else ends
        if ends < starts:
            errors.append(f"{where}: the event ends before it starts.")
            continue
        if not name:
            errors.append(f"{where}: the event has no SUMMARY (name).")
            continue
        events.append(_Event(line, name, starts, ends))
    if errors:
        raise ValidationError(errors)
    return events


def _kind(name: str) -> str:
    lowered = name.lower()
    if "bank holiday" in lowered:
        return "bank_holiday"
    if any(word in lowered for word in INSET_WORDS):
        return "inset"
    if any(word in lowered for word in CLOSURE_WORDS):
        return "closure"
    if any(word in lowered for word in HOLIDAY_WORDS):
        return "holiday"
    if "term" in lowered:
        return "term"
    return "other"


def _cut(spans: list[tuple[date, date]], hole: tuple[date, date]) -> list[tuple[date, date]]:
    out = []
    for starts, ends in spans:
        if hole[1] < starts or hole[0] > ends:
            out.append((starts, ends))
            continue
        if starts < hole[0]:
            out.append((starts, hole[0] - timedelta(days=1)))
        if hole[1] < ends:
            out.append((hole[1] + timedelta(days=1), ends))
    return out


@transaction.atomic
def term_dates_import_ics(*, calendar: Calendar, actor: User, data: bytes) -> ImportReport:
    """Import a published .ics feed into `calendar`; report what was imported and skipped, with lines.

    Re-importing the same feed adds nothing. Provisional (rolled-over) terms of a school year the feed
    covers are replaced by the real ones.
    """
    _require_manage(actor, calendar)
    events = _events(data)
    report = ImportReport()
    changed = False  # whether anything was saved: then open tickets' due times follow
    holidays = [e for e in events if _kind(e.name) == "holiday"]
    terms = []
    for event in events:
        kind = _kind(event.name)
        if kind == "term":
            spans = [(event.starts, event.ends)]
            for hole in holidays:
                spans = _cut(spans, (hole.starts, hole.ends))
            names = [event.name] if len(spans) == 1 else [f"{event.name} ({n})" for n in range(1, len(spans) + 1)]
            terms += [(event, name, s, e) for name, (s, e) in zip(names, spans, strict=True)]
        elif kind in ("inset", "closure"):
            inset = kind == "inset"
            _, made = Closure.objects.get_or_create(
                calendar=calendar,
                starts=event.starts,
                ends=event.ends,
                name=event.name,
                defaults={"kind": Closure.Kind.INSET if inset else Closure.Kind.CLOSURE, "staff_working": inset},
            )
            changed |= made
            label = "INSET day" if inset else "closure"
            (report.imported if made else report.skipped).append(
                f"line {event.line}: {event.name} {_span(event.starts, event.ends)} "
                + (f"as {label}" if made else "is already in the calendar")
            )
        elif kind == "holiday":
            report.imported.append(
                f"line {event.line}: {event.name} {_span(event.starts, event.ends)} cut out of the term it falls in"
            )
        elif kind == "bank_holiday":
            report.skipped.append(f"line {event.line}: {event.name}: bank holidays come from the holidays list")
        else:
            report.skipped.append(f"line {event.line}: {event.name}: not a term, holiday, INSET day or closure")
    years = {school_year_of(s) for _, _, s, _ in terms}
    replaced, _ = TermDate.objects.filter(calendar=calendar, school_year__in=years, provisional=True).delete()
    changed |= bool(replaced)
    for event, name, starts, ends in terms:
        _, made = TermDate.objects.get_or_create(
            calendar=calendar,
            starts=starts,
            ends=ends,
            defaults={"name": name, "school_year": school_year_of(starts)},
        )
        changed |= made
        (report.imported if made else report.skipped).append(
            f"line {event.line}: {name} {_span(starts, ends)} " + ("as term" if made else "is already in the calendar")
        )
    if changed:
        refresh_clocks(calendar)
    return report


def _span(starts: date, ends: date) -> str:
    return f"{starts:%d %b %Y}" if starts == ends else f"{starts:%d %b %Y}-{ends:%d %b %Y}"
