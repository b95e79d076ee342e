"""The forward schedule of change (FITS: the published change summary): what is planned, when, and where.

Selectors only: they read, they never change anything. The schedule is built for one school or for every
school the person may see (a consultant's authority side by side), over a period: a month grid or the agenda
of the weeks ahead. A fixed number of queries whatever the number of changes: the changes with their school,
their CIs in one prefetch, the freeze windows in force in one more.

Conflicts are flagged set-wise for the changes shown: two changes overlap in time and change the same CI.
`changes.services.conflicts` also follows the CMDB's dependencies, one change at a time: the change's page
uses it, the schedule does not (it would cost queries per change).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from changes.models import PLANNED_STATUSES, FreezeWindow, MaintenanceWindow, RequestForChange, Status
from cmdb.models import ConfigurationItem
from fits.models import School
from fits.scoping import schools_visible_to

AGENDA_WEEKS = 8
# The statuses shown on the schedule: planned ones, and those implemented in the period (greyed).
SHOWN_STATUSES = (*PLANNED_STATUSES, Status.IMPLEMENTED)


# =============================================================================
# Whose schedule: one school, or every school the person may see
# =============================================================================


def schedule_schools(user: Any) -> QuerySet:
    """The schools whose changes `user` may read (support staff's, the LEA's, an administrator's: all)."""
    schools = schools_visible_to(user).select_related("authority")
    if not user.is_superuser:
        schools = schools.filter(pk__in=user.staff_school_ids)
    return schools.order_by("name")


def chosen_school(user: Any, slug: str | None, current: School | None) -> School | None:
    """The school a schedule is about: ?school=<slug> ("all": every school), else the switcher's, else all.

    A school the person cannot read is answered 404, like a missing one.
    """
    if slug == "all":
        return None
    if slug:
        school = schedule_schools(user).filter(slug=slug).first()
        if school is None:
            raise Http404("No such school.")
        return school
    if current is not None and (user.is_superuser or current.pk in user.staff_school_ids):
        return current
    return None


# =============================================================================
# The changes and freezes of a period
# =============================================================================


@dataclass
class Entry:
    """One change on the schedule, with its window and the changes it clashes with."""

    change: RequestForChange
    starts: datetime
    ends: datetime
    cis: list[ConfigurationItem]
    clashes: list[tuple[RequestForChange, list[str]]] = field(default_factory=list)
    # Freeze windows in force at its school over its window (a freeze added after it was scheduled).
    frozen: list[FreezeWindow] = field(default_factory=list)

    @property
    def done(self) -> bool:
        """Implemented: shown greyed, it no longer holds a slot."""
        return self.change.status == Status.IMPLEMENTED

    @property
    def has_conflicts(self) -> bool:
        return bool(self.clashes)

    @property
    def conflict_text(self) -> str:
        return "; ".join(f"{other.reference} also changes {', '.join(names)}" for other, names in self.clashes)

    @property
    def colour(self) -> str:
        """Tabler colour of its chip: emergency changes red; others by risk."""
        if self.done:
            return "secondary"
        if self.change.is_emergency:
            return "red"
        return {"high": "orange", "medium": "yellow", "low": "green"}.get(self.change.risk, "azure")

    def days(self) -> list[date]:
        """The local dates its window touches (a window ending at midnight does not touch the next day)."""
        first = timezone.localtime(self.starts).date()
        last = timezone.localtime(self.ends - timedelta(microseconds=1)).date()
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """[start of `first`, start of the day after `last`) in local time."""
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(first, time.min, tzinfo=zone),
        datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone),
    )


def shown_changes(user: Any, *, school: School | None, start: datetime, end: datetime) -> QuerySet:
    """Planned changes whose window overlaps [start, end), and implemented ones that ran in it."""
    planned = Q(status__in=PLANNED_STATUSES, planned_start__lt=end, planned_end__gt=start)
    ran = Q(status=Status.IMPLEMENTED) & (
        Q(actual_start__isnull=False, actual_start__lt=end, actual_end__gt=start)
        | Q(actual_start__isnull=True, planned_start__lt=end, planned_end__gt=start)
    )
    cis = Prefetch("cis", queryset=ConfigurationItem.objects.only("pk", "name", "school_id").order_by("name"))
    return (
        RequestForChange.objects.visible_to(user)
        .of_school(school.pk if school else None)
        .filter(planned | ran)
        .select_related("school")
        .prefetch_related(cis)
        .order_by("planned_start", "pk")
    )


def window_of(change: RequestForChange) -> tuple[datetime | None, datetime | None]:
    """When it runs: its planned window; for an implemented change, when it actually ran if that is known."""
    if change.status == Status.IMPLEMENTED and change.actual_start and change.actual_end:
        return change.actual_start, change.actual_end
    return change.planned_start, change.planned_end


def entries_for(changes: list[RequestForChange]) -> list[Entry]:
    """The changes as schedule entries, with conflicts flagged in one pass: for each CI, the changes that touch it,
    swept in order of start; two that overlap (and are still to run or running) clash."""
    entries = []
    for change in changes:
        starts, ends = window_of(change)
        if starts is None or ends is None:
            continue
        entries.append(Entry(change=change, starts=starts, ends=ends, cis=list(change.cis.all())))
    entries.sort(key=lambda e: (e.starts, e.change.pk))
    by_ci: dict[int, list[Entry]] = defaultdict(list)
    names: dict[int, str] = {}
    for entry in entries:
        if entry.done:
            continue
        for ci in entry.cis:
            by_ci[ci.pk].append(entry)
            names[ci.pk] = ci.name
    shared: dict[tuple[int, int], list[str]] = defaultdict(list)
    for ci_id, touching in by_ci.items():
        running: list[Entry] = []
        for entry in touching:  # already in order of start
            running = [other for other in running if other.ends > entry.starts]
            for other in running:
                shared[(other.change.pk, entry.change.pk)].append(names[ci_id])
            running.append(entry)
    by_pk = {entry.change.pk: entry for entry in entries}
    for (first, second), ci_names in shared.items():
        a, b = by_pk[first], by_pk[second]
        a.clashes.append((b.change, sorted(ci_names)))
        b.clashes.append((a.change, sorted(ci_names)))
    return entries


def mark_freezes(entries: list[Entry], freezes: list[FreezeWindow]) -> None:
    """Flag the changes still to run that fall in a freeze window of their school (added after they were planned)."""
    for entry in entries:
        if entry.done:
            continue
        days = entry.days()
        entry.frozen = [
            f for f in freezes if f.applies_at(entry.change.school) and f.starts <= days[-1] and f.ends >= days[0]
        ]


def _in_force(user: Any, school: School | None, schools: list[School] | None = None) -> Q:
    """Rows (freeze or maintenance windows) in force at `school`, or at any school whose schedule `user` reads
    (`schools`, when the caller has them already)."""
    if user.is_superuser and school is None:
        return Q()
    if school is not None:
        schools = [school]
    elif schools is None:
        schools = list(schedule_schools(user))
    school_ids = [s.pk for s in schools]
    authority_ids = {s.authority_id for s in schools if s.authority_id}
    return (
        Q(school_id__in=school_ids)
        | Q(school__isnull=True, authority_id__in=authority_ids)
        | Q(school__isnull=True, authority__isnull=True)
    )


def freezes_in(
    user: Any, *, school: School | None, first: date, last: date, schools: list[School] | None = None
) -> list[FreezeWindow]:
    """The freeze windows in force at `school` (or at every school of the schedule) that touch [first, last]."""
    return list(
        FreezeWindow.objects.visible_to(user)
        .filter(_in_force(user, school, schools), starts__lte=last, ends__gte=first)
        .select_related("school", "authority")
        .order_by("starts", "name", "pk")
    )


def maintenance_windows_for(
    user: Any, *, school: School | None, schools: list[School] | None = None
) -> list[MaintenanceWindow]:
    """The weekly maintenance windows in force at `school` (or at every school of the schedule)."""
    return list(
        MaintenanceWindow.objects.visible_to(user)
        .filter(_in_force(user, school, schools))
        .select_related("school", "authority")
        .order_by("weekday", "opens", "pk")
    )


# =============================================================================
# The month grid and the agenda
# =============================================================================


@dataclass
class Day:
    date: date
    in_month: bool
    is_today: bool
    entries: list[Entry] = field(default_factory=list)
    freezes: list[FreezeWindow] = field(default_factory=list)

    @property
    def is_frozen(self) -> bool:
        return bool(self.freezes)


@dataclass
class Month:
    first: date  # the 1st of the month
    weeks: list[list[Day]]
    entries: list[Entry]
    freezes: list[FreezeWindow]

    @property
    def previous(self) -> date:
        return (self.first - timedelta(days=1)).replace(day=1)

    @property
    def next(self) -> date:
        return (self.first + timedelta(days=32)).replace(day=1)

    @property
    def conflicts(self) -> int:
        return sum(1 for entry in self.entries if entry.has_conflicts)


def parse_month(value: str | None, today: date) -> date:
    """`YYYY-MM` to the 1st of that month; anything else is this month."""
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        return date(year, month, 1)
    except ValueError:
        return today.replace(day=1)


def month_grid(
    user: Any, *, school: School | None, month: date, today: date, schools: list[School] | None = None
) -> Month:
    """The month as weeks (Monday first), each day with its changes and the freeze windows over it."""
    first_shown = month - timedelta(days=month.weekday())
    next_month = (month + timedelta(days=32)).replace(day=1)
    last_day = next_month - timedelta(days=1)
    last_shown = last_day + timedelta(days=6 - last_day.weekday())
    start, end = _bounds(first_shown, last_shown)
    entries = entries_for(list(shown_changes(user, school=school, start=start, end=end)))
    freezes = freezes_in(user, school=school, first=first_shown, last=last_shown, schools=schools)
    mark_freezes(entries, freezes)
    days = {}
    for n in range((last_shown - first_shown).days + 1):
        day = first_shown + timedelta(days=n)
        days[day] = Day(date=day, in_month=day.month == month.month, is_today=day == today)
    for entry in entries:
        for day in entry.days():
            if day in days:
                days[day].entries.append(entry)
    for freeze in freezes:
        for n in range((freeze.ends - freeze.starts).days + 1):
            day = freeze.starts + timedelta(days=n)
            if day in days:
                days[day].freezes.append(freeze)
    ordered = list(days.values())
    weeks = [ordered[i : i + 7] for i in range(0, len(ordered), 7)]
    return Month(first=month, weeks=weeks, entries=entries, freezes=freezes)


@dataclass
class Week:
    monday: date
    entries: list[Entry]
    freezes: list[FreezeWindow]


@dataclass
class Agenda:
    first: date
    last: date
    weeks: list[Week]
    entries: list[Entry]

    @property
    def conflicts(self) -> int:
        return sum(1 for entry in self.entries if entry.has_conflicts)


def agenda(
    user: Any, *, school: School | None, first: date, weeks: int = AGENDA_WEEKS, schools: list[School] | None = None
) -> Agenda:
    """The weeks ahead from `first`, week by week: each change once (in the week it starts, or the first week shown
    if it started before), and the freeze windows over each week."""
    monday = first - timedelta(days=first.weekday())
    last = monday + timedelta(days=7 * weeks - 1)
    start, end = _bounds(first, last)
    entries = entries_for(list(shown_changes(user, school=school, start=start, end=end)))
    freezes = freezes_in(user, school=school, first=first, last=last, schools=schools)
    mark_freezes(entries, freezes)
    rows = [Week(monday=monday + timedelta(days=7 * n), entries=[], freezes=[]) for n in range(weeks)]
    for entry in entries:
        starts = max(timezone.localtime(entry.starts).date(), first)
        rows[min((starts - monday).days // 7, weeks - 1)].entries.append(entry)
    for week in rows:
        sunday = week.monday + timedelta(days=6)
        week.freezes = [f for f in freezes if f.starts <= sunday and f.ends >= week.monday]
    return Agenda(first=first, last=last, weeks=rows, entries=entries)


# =============================================================================
# The iCalendar feed
# =============================================================================

# How far back the feed reaches: a calendar client keeps what it has seen, a month is enough.
FEED_PAST_DAYS = 31


def feed(user: Any, *, school: School | None, today: date) -> tuple[list[RequestForChange], list[FreezeWindow]]:
    """What the iCalendar export publishes: planned changes from a month ago on, and the freeze windows too."""
    since, _ = _bounds(today - timedelta(days=FEED_PAST_DAYS), today)
    cis = Prefetch("cis", queryset=ConfigurationItem.objects.only("pk", "name", "school_id").order_by("name"))
    changes = list(
        RequestForChange.objects.visible_to(user)
        .of_school(school.pk if school else None)
        .planned()
        .filter(planned_start__isnull=False, planned_end__gt=since)
        .select_related("school")
        .prefetch_related(cis)
        .order_by("planned_start", "pk")
    )
    freezes = list(
        FreezeWindow.objects.visible_to(user)
        .filter(_in_force(user, school), ends__gte=today - timedelta(days=FEED_PAST_DAYS))
        .select_related("school", "authority")
        .order_by("starts", "pk")
    )
    return changes, freezes
