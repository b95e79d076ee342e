"""Calendars that know schools: which one applies, the services that keep them, and the adapter the
SLA clock (servicelevels.clock) runs over.

Rules (documented in README, "School calendars"):
- A school uses its own calendar, else its authority's, else the built-in default (Mon-Fri 08:00-16:00
  all year, minus bank holidays). A school's calendar overrides its authority's part by part: its own
  working hours if it has any, its own term dates if it has any; the closures of both apply.
- Bank holidays come from the `holidays` package (GB, subdivision = the calendar's nation, else the
  authority's), never stored. A Closure with `staff_working` opens the day even on a bank holiday.
- INSET days are working days for ICT support (`staff_working=True`): pupils are off but staff, and the
  systems they prepare lessons on, are in. Snow days and other closures (`staff_working=False`) stop the clock.
- Term time = inside a TermDate and not a non-working closure; a staff-working closure (an INSET day
  just before term starts) counts as term time too. A calendar with no term dates at all is
  treated as "term all year" (nothing known to exclude).
- Everything is worked out in Europe/London local time and returned as aware UTC instants, so the
  clocks changing (last Sunday of March and of October) are right.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
from django.core.exceptions import ValidationError
from django.db import models, transaction

from fits import access
from fits.models import Nation, School, User
from servicelevels.models import Calendar, Closure, TermDate, WorkingHours

LONDON = ZoneInfo("Europe/London")

SCHOOL_HOURS = "school_hours"
AROUND_THE_CLOCK = "around_the_clock"
HOURS = (SCHOOL_HOURS, AROUND_THE_CLOCK)

# The built-in default: Mon-Fri 08:00-16:00.
DEFAULT_HOURS: tuple[tuple[int, time, time], ...] = tuple((day, time(8), time(16)) for day in range(5))


@functools.lru_cache(maxsize=64)
def bank_holidays(nation: str, year: int) -> dict[date, str]:
    """The bank holidays of one nation (ENG, WLS, SCT, NIR) in one year."""
    return dict(holidays.country_holidays("GB", subdiv=nation or Nation.ENGLAND, years=year).items())


def school_year_of(day: date) -> str:
    """The school year a date falls in: 1 Aug 2026 - 31 Jul 2027 is "2026-27"."""
    first = day.year if day.month >= 8 else day.year - 1
    return f"{first}-{(first + 1) % 100:02d}"


def calendars_for(school: School) -> list[Calendar]:
    """The calendars in force at `school`, most specific first (its own, then its authority's). One query."""
    rows = Calendar.objects.select_related("authority").filter(
        models.Q(school=school) | models.Q(school__isnull=True, authority_id=school.authority_id)
        if school.authority_id
        else models.Q(school=school)
    )
    return sorted(rows, key=lambda row: row.school_id is None)


def calendar_for(school: School) -> Calendar | None:
    """The school's own calendar, else its authority's; None means the built-in default."""
    found = calendars_for(school)
    return found[0] if found else None


# --- The adapter the SLA clock runs over ---------------------------------------------------------


@dataclass
class SchoolCalendar:
    """A school's calendar as the clock sees it (servicelevels.clock.BusinessCalendar).

    Built by `business_calendar(school, ...)`; loads its rows once (three queries) and caches bank
    holidays per year, so measuring a fortnight costs no more queries.
    """

    nation: str
    hours_by_weekday: dict[int, list[tuple[time, time]]]
    terms: list[tuple[date, date]]
    closures: list[tuple[date, date, bool, str]]
    term_time_only: bool = False
    hours: str = SCHOOL_HOURS
    _days: dict[date, bool] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.hours not in HOURS:
            raise ValueError(f"hours must be one of {HOURS}, not {self.hours!r}")

    # A day is "open" when the clock may run on it at all.
    def is_open_day(self, day: date) -> bool:
        if day not in self._days:
            self._days[day] = self._open(day)
        return self._days[day]

    def _open(self, day: date) -> bool:
        override = None
        for starts, ends, staff_working, _ in self.closures:
            if starts <= day <= ends:
                # A non-working closure wins over a working one on the same day.
                override = staff_working if override is None else (override and staff_working)
        if override is False:
            return False
        if override is None and self.term_time_only and self.terms and not any(s <= day <= e for s, e in self.terms):
            return False
        if self.hours == AROUND_THE_CLOCK:
            return True
        if override is None and day in bank_holidays(self.nation, day.year):
            return False
        return bool(self.hours_by_weekday.get(day.weekday()))

    def describe(self, day: date) -> tuple[str, str]:
        """What kind of day `day` is, for the month grid: (kind, label). Kinds: open, inset, closed,
        bank_holiday, holiday (outside terms), weekend (no working hours)."""
        for starts, ends, staff_working, name in self.closures:
            if starts <= day <= ends and not staff_working:
                return "closed", name
        for starts, ends, _, name in self.closures:
            if starts <= day <= ends:
                return "inset", name
        holiday = bank_holidays(self.nation, day.year).get(day)
        if holiday:
            return "bank_holiday", holiday
        if self.terms and not any(s <= day <= e for s, e in self.terms):
            return "holiday", "School holiday"
        if not self.hours_by_weekday.get(day.weekday()):
            return "weekend", "No hours"
        spans = ", ".join(f"{a:%H:%M}–{b:%H:%M}" for a, b in self.hours_by_weekday[day.weekday()])
        return "open", spans

    def open_intervals(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """Sorted, non-overlapping aware-UTC periods within [start, end) when the clock runs."""
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("open_intervals needs timezone-aware datetimes")
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        if end <= start:
            return []
        if self.hours == AROUND_THE_CLOCK and not self.term_time_only:
            return [(start, end)]
        result: list[tuple[datetime, datetime]] = []
        day = start.astimezone(LONDON).date() - timedelta(days=1)
        last = end.astimezone(LONDON).date() + timedelta(days=1)
        while day <= last:
            if self.is_open_day(day):
                for opens, closes in self._spans(day):
                    lo, hi = max(opens, start), min(closes, end)
                    if lo < hi:
                        if result and result[-1][1] >= lo:
                            result[-1] = (result[-1][0], max(result[-1][1], hi))
                        else:
                            result.append((lo, hi))
            day += timedelta(days=1)
        return result

    def _spans(self, day: date) -> list[tuple[datetime, datetime]]:
        if self.hours == AROUND_THE_CLOCK:
            return [(_utc(day, time(0)), _utc(day + timedelta(days=1), time(0)))]
        return [(_utc(day, opens), _utc(day, closes)) for opens, closes in self.hours_by_weekday.get(day.weekday(), [])]


def _utc(day: date, at: time) -> datetime:
    """A London wall-clock time on `day` as UTC (a time in the spring-forward gap moves on an hour)."""
    return datetime.combine(day, at, tzinfo=LONDON).astimezone(UTC)


def business_calendar(school: School, *, term_time_only: bool = False, hours: str = SCHOOL_HOURS) -> SchoolCalendar:
    """The clock's view of `school`'s calendar (its own, its authority's or the default)."""
    return calendar_view(calendars_for(school), school=school, term_time_only=term_time_only, hours=hours)


def calendar_view(
    layers: list[Calendar], *, school: School | None = None, term_time_only: bool = False, hours: str = SCHOOL_HOURS
) -> SchoolCalendar:
    """The clock's view of calendars layered most specific first (a school's, then its authority's)."""
    ids = [row.pk for row in layers]
    authority = next((row.authority for row in layers if row.authority_id), None)  # joined: no query
    if authority is None and school is not None and school.authority_id:
        authority = school.authority
    nation = next((row.nation for row in layers if row.nation), "") or (authority.nation if authority else "")
    nation = nation or Nation.ENGLAND
    hours_by_weekday: dict[int, list[tuple[time, time]]] = {}
    terms: list[tuple[date, date]] = []
    closures: list[tuple[date, date, bool, str]] = []
    hours_owner = None
    if ids:
        rows = list(
            WorkingHours.objects.filter(calendar_id__in=ids).values_list("calendar_id", "weekday", "opens", "closes")
        )
        hours_owner = next((pk for pk in ids if any(row[0] == pk for row in rows)), None)
        for _, weekday, opens, closes in (row for row in rows if row[0] == hours_owner):
            hours_by_weekday.setdefault(weekday, []).append((opens, closes))
        term_rows = list(TermDate.objects.filter(calendar_id__in=ids).values_list("calendar_id", "starts", "ends"))
        terms_owner = next((pk for pk in ids if any(row[0] == pk for row in term_rows)), None)
        terms = [(s, e) for pk, s, e in term_rows if pk == terms_owner]
        closures = list(
            Closure.objects.filter(calendar_id__in=ids).values_list("starts", "ends", "staff_working", "name")
        )
    if not ids or hours_owner is None:  # no working hours set anywhere: the built-in default
        for weekday, opens, closes in DEFAULT_HOURS:
            hours_by_weekday.setdefault(weekday, []).append((opens, closes))
    for spans in hours_by_weekday.values():
        spans.sort()
    return SchoolCalendar(
        nation=nation,
        hours_by_weekday=hours_by_weekday,
        terms=sorted(terms),
        closures=closures,
        term_time_only=term_time_only,
        hours=hours,
    )


# --- Services ------------------------------------------------------------------------------------


def _require_manage(actor: User, calendar: Calendar) -> None:
    access.require(access.can_manage_shared_config, actor, calendar, "You cannot change this calendar.")


def affected_school_ids(calendar: Calendar) -> list[int]:
    """The schools whose clocks a change to `calendar` moves: its school, or every school of its authority
    (a school's own calendar takes only some parts from it, so all of them are refreshed)."""
    if calendar.school_id is not None:
        return [calendar.school_id]
    if calendar.authority_id is not None:
        return list(School.objects.filter(authority_id=calendar.authority_id).values_list("pk", flat=True))
    return []


def refresh_clocks(calendar: Calendar) -> None:
    """Open tickets' due times follow the calendar (servicelevels.sla recomputes them after commit)."""
    from servicelevels import sla

    refresh = getattr(sla, "schedule_refresh", None)
    if refresh is not None:
        refresh(affected_school_ids(calendar))


@transaction.atomic
def calendar_create(
    *, actor: User, name: str, school: School | None = None, authority=None, nation: str = ""
) -> Calendar:
    """A calendar for a school (overriding its authority's) or for an authority (all its schools)."""
    if school is not None:
        authority = None
    calendar = Calendar(school=school, authority=authority, name=name.strip(), nation=nation)
    _require_manage(actor, calendar)
    if not calendar.name:
        raise ValidationError({"name": "Give the calendar a name."})
    if school is None and authority is None:
        raise ValidationError("A calendar belongs to a school or an authority.")
    clash = (
        Calendar.objects.filter(school=school) if school else Calendar.objects.filter(school=None, authority=authority)
    )
    if clash.exists():
        raise ValidationError(f"{school or authority} already has a calendar.")
    if nation and nation not in Nation.values:
        raise ValidationError({"nation": f"Unknown nation {nation!r}."})
    calendar.save()
    return calendar


@transaction.atomic
def working_hours_set(
    *, calendar: Calendar, actor: User, hours: dict[int, list[tuple[time, time]]]
) -> list[WorkingHours]:
    """Replace the calendar's working hours: {weekday: [(opens, closes), ...]} (weekday 0 = Monday).

    Days left out are closed. Spans on one day must not overlap.
    """
    _require_manage(actor, calendar)
    errors = []
    for weekday, spans in hours.items():
        day = WorkingHours.Weekday(weekday).label if weekday in WorkingHours.Weekday.values else None
        if day is None:
            errors.append(f"Unknown weekday {weekday} (0 = Monday ... 6 = Sunday).")
            continue
        ordered = sorted(spans)
        for opens, closes in ordered:
            if opens >= closes:
                errors.append(f"{day}: {opens:%H:%M}-{closes:%H:%M} closes before it opens.")
        for (_, first_closes), (second_opens, _) in zip(ordered, ordered[1:], strict=False):
            if second_opens < first_closes:
                errors.append(f"{day}: spans overlap at {second_opens:%H:%M}.")
    if errors:
        raise ValidationError(errors)
    WorkingHours.objects.filter(calendar=calendar).delete()
    refresh_clocks(calendar)
    return WorkingHours.objects.bulk_create(
        WorkingHours(calendar=calendar, weekday=weekday, opens=opens, closes=closes)
        for weekday, spans in sorted(hours.items())
        for opens, closes in sorted(spans)
    )


@transaction.atomic
def closure_add(
    *, calendar: Calendar, actor: User, kind: str, name: str, starts: date, ends: date | None = None,
    staff_working: bool | None = None,
) -> Closure:  # fmt: skip
    """Add an INSET day, a closure or a bank holiday override. INSET days count as working for support."""
    _require_manage(actor, calendar)
    if staff_working is None:
        staff_working = kind == Closure.Kind.INSET
    closure = Closure(
        calendar=calendar, kind=kind, name=name.strip(), starts=starts, ends=ends or starts, staff_working=staff_working
    )
    closure.full_clean()
    closure.save()
    refresh_clocks(calendar)
    return closure


CLOSURE_FIELDS = ("kind", "name", "starts", "ends", "staff_working")
TERM_FIELDS = ("name", "starts", "ends", "provisional")


@transaction.atomic
def closure_update(*, closure: Closure, actor: User, **fields) -> Closure:
    """Change an INSET day or closure (its dates, its name, whether staff work)."""
    closure = Closure.objects.select_related("calendar").select_for_update().get(pk=closure.pk)
    _require_manage(actor, closure.calendar)
    unknown = set(fields) - set(CLOSURE_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown fields {sorted(unknown)}.")
    for name, value in fields.items():
        setattr(closure, name, value.strip() if name == "name" else value)
    closure.ends = closure.ends or closure.starts
    closure.full_clean()
    closure.save()
    refresh_clocks(closure.calendar)
    return closure


@transaction.atomic
def closure_delete(*, closure: Closure, actor: User) -> None:
    """Remove an INSET day or closure (entered in error, or the closure was called off)."""
    closure = Closure.objects.select_related("calendar").select_for_update().get(pk=closure.pk)
    _require_manage(actor, closure.calendar)
    closure.delete()
    refresh_clocks(closure.calendar)


@transaction.atomic
def term_date_update(*, term: TermDate, actor: User, **fields) -> TermDate:
    """Change a term's name or dates (confirming a provisional one clears its mark)."""
    term = TermDate.objects.select_related("calendar").select_for_update().get(pk=term.pk)
    _require_manage(actor, term.calendar)
    unknown = set(fields) - set(TERM_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown fields {sorted(unknown)}.")
    for name, value in fields.items():
        setattr(term, name, value.strip() if name == "name" else value)
    term.school_year = school_year_of(term.starts)
    term.full_clean()
    term.save()
    refresh_clocks(term.calendar)
    return term


@transaction.atomic
def term_date_delete(*, term: TermDate, actor: User) -> None:
    """Remove a term span."""
    term = TermDate.objects.select_related("calendar").select_for_update().get(pk=term.pk)
    _require_manage(actor, term.calendar)
    term.delete()
    refresh_clocks(term.calendar)


@transaction.atomic
def term_date_add(*, calendar: Calendar, actor: User, name: str, starts: date, ends: date) -> TermDate:
    """Add a term or half-term span when school is open (its school year follows from its first day)."""
    _require_manage(actor, calendar)
    term = TermDate(calendar=calendar, name=name.strip(), starts=starts, ends=ends, school_year=school_year_of(starts))
    term.full_clean()
    term.save()
    refresh_clocks(calendar)
    return term


@dataclass
class RollOverReport:
    created: list[TermDate]
    already: bool
    closures_to_add: int


@transaction.atomic
def calendar_roll_over(*, calendar: Calendar, actor: User, from_year: str, to_year: str) -> RollOverReport:
    """Start next school year from this one: each term is copied 52 weeks on (same weekdays) as
    *provisional*, for the school to check against the authority's published dates (importing the .ics
    replaces provisional terms of that year). Working hours are not per year and carry on as they are.
    INSET days and closures are not copied (they change every year): the report counts them."""
    _require_manage(actor, calendar)
    if TermDate.objects.filter(calendar=calendar, school_year=to_year).exists():
        return RollOverReport(created=[], already=True, closures_to_add=0)
    terms = list(TermDate.objects.filter(calendar=calendar, school_year=from_year))
    if not terms:
        raise ValidationError(f"{calendar} has no term dates for {from_year} to roll over.")
    shift = timedelta(weeks=52)
    created = TermDate.objects.bulk_create(
        TermDate(
            calendar=calendar,
            school_year=to_year,
            name=term.name,
            starts=term.starts + shift,
            ends=term.ends + shift,
            provisional=True,
        )
        for term in terms
    )
    first = date(int(from_year[:4]), 8, 1)
    closures = Closure.objects.filter(
        calendar=calendar, starts__gte=first, starts__lt=first.replace(year=first.year + 1)
    )
    closures = closures.count()
    refresh_clocks(calendar)
    return RollOverReport(created=created, already=False, closures_to_add=closures)
