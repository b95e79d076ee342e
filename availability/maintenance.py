"""Preventative maintenance (FITS Availability Management): recurring schedules that raise tasks.

A `MaintenanceSchedule` says what to do (its instructions and checklist), to what (one CI, or every CI of a kind,
optionally within a site, building or room), and how often: weekly, monthly or yearly by the calendar, or each
half-term or term from the school's own term dates (servicelevels calendars: TermDate rows such as "Autumn 1" and
"Autumn 2" are half-terms; a term is the halves of one season in one school year).

Dates, in FITS words:
- `next_due` holds the *nominal* date of the next occurrence (the Monday of the week, the 1st of the month, the
  first day of the half-term), so the pattern never drifts;
- the task is *due* on that date, or, when `school_days_only`, on the first day on or after it that the school is
  open in term time (not a weekend, bank holiday, closure or school holiday);
- the task is raised `lead_days` before it is due, by `maintenance_raise_due` (daily, Celery beat), once per
  occurrence: its `source_key` is "maintenance:<schedule>:<nominal date>", so running twice raises nothing new;
- occurrences that fall in a holiday merge into the next one when moving them to an open day would reach it (a
  weekly check does not become six tasks on the first day of the autumn term), and an occurrence whose successor
  has already come (the job did not run for weeks) is passed over rather than raised late.
"""

from __future__ import annotations

import calendar as calendar_module
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from availability.models import MaintenanceSchedule, Recurrence
from cmdb.models import LOGICAL_KINDS, ConfigurationItem, Kind, LifecycleStatus, Location
from fits import access, activity
from fits.models import Activity, School, User
from incidents.models import Task, TaskOrigin

# How far the move to an open day may search before giving up (a calendar with no open day in four months is wrong).
OPEN_DAY_SEARCH = 120
# The longest run of occurrences one schedule may step over in one pass (a safety stop, never reached in practice).
MAX_STEPS = 1000
# Fields the create/edit form sets (school and next_due are the service's).
SCHEDULE_FIELDS = (
    "title",
    "instructions",
    "checklist",
    "ci",
    "ci_kind",
    "location",
    "recurrence",
    "every",
    "school_days_only",
    "lead_days",
    "group",
    "assignee",
    "function",
)
CALENDAR_RECURRENCES = (Recurrence.HALF_TERMLY, Recurrence.TERMLY)
SEASONS = ("autumn", "spring", "summer")


def source_key(schedule: MaintenanceSchedule, nominal: date) -> str:
    return f"maintenance:{schedule.pk}:{nominal.isoformat()}"


# =============================================================================
# The school's dates: open days and term starts, loaded once per school
# =============================================================================


@dataclass
class SchoolDates:
    """What the occurrence maths needs of a school's calendar: its open days and the starts of its half-terms
    and terms. Build it with `school_dates(school)`; it holds the calendar, so a run over many schedules of one
    school reads the calendar once."""

    calendar: Any  # servicelevels.calendars.SchoolCalendar, read in term time only
    half_terms: list[date] = field(default_factory=list)
    terms: list[date] = field(default_factory=list)

    def is_open_day(self, day: date) -> bool:
        return self.calendar.is_open_day(day)

    def starts(self, recurrence: str) -> list[date]:
        return self.half_terms if recurrence == Recurrence.HALF_TERMLY else self.terms


def school_dates(school: School) -> SchoolDates:
    """The school's open days (its own calendar, else its authority's) and its half-term and term starts."""
    from servicelevels.calendars import calendar_view, calendars_for
    from servicelevels.models import TermDate

    layers = calendars_for(school)
    view = calendar_view(layers, school=school, term_time_only=True)
    ids = [row.pk for row in layers]
    rows = list(
        TermDate.objects.filter(calendar_id__in=ids)
        .order_by("starts")
        .values_list("calendar_id", "school_year", "name", "starts")
    )
    owner = next((pk for pk in ids if any(row[0] == pk for row in rows)), None)  # the most specific with terms
    rows = [row for row in rows if row[0] == owner]
    half_terms = sorted({starts for _, _, _, starts in rows})
    terms: dict[tuple[str, str], date] = {}
    for _, school_year, name, starts in rows:
        first_word = (name.split() or [""])[0].lower()
        season = first_word if first_word in SEASONS else name.lower()
        key = (school_year, season)
        terms[key] = min(terms.get(key, starts), starts)
    return SchoolDates(calendar=view, half_terms=half_terms, terms=sorted(terms.values()))


# =============================================================================
# Occurrence maths
# =============================================================================


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar_module.monthrange(year, month)[1]))


def _next_open_day(day: date, dates: SchoolDates) -> date:
    """`day` or the first open term-time day after it (`day` itself when none is found within the search)."""
    for offset in range(OPEN_DAY_SEARCH):
        if dates.is_open_day(day + timedelta(days=offset)):
            return day + timedelta(days=offset)
    return day


def first_occurrence(
    schedule: MaintenanceSchedule, on_or_after: date, *, dates: SchoolDates | None = None
) -> date | None:
    """The first nominal date of a new (or restarted) schedule: the start date itself for a calendar recurrence
    (for a daily one on school days only, the first open day from it), the first half-term or term starting on or
    after it for a school one (None: no term dates known that far)."""
    if schedule.recurrence == Recurrence.DAILY and schedule.school_days_only:
        return _next_open_day(on_or_after, dates or school_dates(schedule.school))
    if schedule.recurrence not in CALENDAR_RECURRENCES:
        return on_or_after
    dates = dates or school_dates(schedule.school)
    return next((start for start in dates.starts(schedule.recurrence) if start >= on_or_after), None)


def next_occurrence(schedule: MaintenanceSchedule, after: date, *, dates: SchoolDates | None = None) -> date | None:
    """The nominal date of the occurrence that follows `after` (the previous occurrence).

    Daily steps `every` days, or, when `school_days_only`, `every` open term-time days (every school day: Friday
    is followed by Monday, the last day of term by the first day of the next). Weekly, monthly and yearly step
    `every` weeks, months or years from it (the 31st becomes the last day of a
    shorter month, and the schedule goes on from there: choose the 28th or before for a fixed day). Half-termly
    and termly step `every` half-terms or terms along the school's calendar; None when its term dates do not
    reach that far yet (the schedule waits for next year's dates).
    """
    every = max(schedule.every, 1)
    if schedule.recurrence == Recurrence.DAILY:
        if not schedule.school_days_only:
            return after + timedelta(days=every)
        dates = dates or school_dates(schedule.school)
        day = after
        for _ in range(every):
            day = _next_open_day(day + timedelta(days=1), dates)
        return day
    if schedule.recurrence == Recurrence.WEEKLY:
        return after + timedelta(weeks=every)
    if schedule.recurrence == Recurrence.MONTHLY:
        return _add_months(after, every)
    if schedule.recurrence == Recurrence.YEARLY:
        return _add_months(after, 12 * every)
    starts = (dates or school_dates(schedule.school)).starts(schedule.recurrence)
    if after in starts:
        index = starts.index(after) + every
    else:
        index = next((i for i, start in enumerate(starts) if start > after), len(starts))
    return starts[index] if index < len(starts) else None


def due_date(schedule: MaintenanceSchedule, nominal: date, *, dates: SchoolDates | None = None) -> date:
    """When the occurrence's task is due: the nominal date, or the first open term-time day on or after it."""
    if not schedule.school_days_only:
        return nominal
    dates = dates or school_dates(schedule.school)
    for offset in range(OPEN_DAY_SEARCH):
        day = nominal + timedelta(days=offset)
        if dates.is_open_day(day):
            return day
    return nominal


@dataclass(frozen=True)
class Occurrence:
    nominal: date
    due: date
    raise_on: date


def upcoming(schedule: MaintenanceSchedule, count: int = 5, *, dates: SchoolDates | None = None) -> list[Occurrence]:
    """The schedule's next `count` occurrences from `next_due` (fewer when the term dates run out)."""
    dates = dates or school_dates(schedule.school)
    found: list[Occurrence] = []
    nominal: date | None = schedule.next_due
    while nominal is not None and len(found) < count:
        due = due_date(schedule, nominal, dates=dates)
        found.append(Occurrence(nominal, due, due - timedelta(days=schedule.lead_days)))
        nominal = next_occurrence(schedule, nominal, dates=dates)
    return found


# =============================================================================
# Keeping schedules
# =============================================================================


def _require_manage(actor: User, school: School) -> None:
    access.require(
        access.can_manage_monitoring,
        actor,
        school,
        f"Only technicians and the network manager keep the maintenance schedules of {school}.",
    )


def _validate(school: School, values: dict[str, Any]) -> None:
    errors: dict[str, str] = {}
    if not (values.get("title") or "").strip():
        errors["title"] = "Say what the maintenance is (e.g. 'Clean projector filters')."
    ci, ci_kind = values.get("ci"), values.get("ci_kind") or ""
    if ci is None and not ci_kind and not values.get("function"):  # a routine operation may concern no one device
        errors["ci"] = "Choose the device to maintain, or a kind of device (every projector, every UPS)."
    if ci is not None and ci_kind:
        errors["ci_kind"] = "Choose one device or a kind of device, not both."
    if ci_kind and ci_kind not in Kind.values:
        errors["ci_kind"] = f"{ci_kind!r} is not a kind of configuration item."
    if ci is not None and values.get("location") is not None:
        errors["location"] = "A room narrows a kind of device; a single device has its own place."
    if values.get("recurrence") not in Recurrence.values:
        errors["recurrence"] = "Choose how often: each school day, weekly, monthly, each half-term, each term, yearly."
    if (values.get("every") or 0) < 1:
        errors["every"] = "Every 1 or more."
    if not 0 <= (values.get("lead_days") or 0) <= 365:
        errors["lead_days"] = "Raise the task between 0 and 365 days before it is due."
    for name in ("ci", "location", "group", "assignee"):
        record = values.get(name)
        if record is None:
            continue
        if name == "group":
            if not record.applies_at(school):
                errors[name] = f"{record} does not work at {school}."
        elif name == "assignee":
            if not access.can_work_task.test(record, school):
                errors[name] = f"{record} cannot work tasks at {school}."
        elif record.school_id != school.pk:
            errors[name] = f"{record} belongs to another school."
    if errors:
        raise ValidationError(errors)


def _first_due(schedule: MaintenanceSchedule, starts_on: date) -> date:
    first = first_occurrence(schedule, starts_on)
    if first is None:
        raise ValidationError(
            {
                "recurrence": f"{schedule.school}'s calendar has no term dates from {starts_on:%d %b %Y}: add them "
                "under Service levels, Calendars, or choose a weekly, monthly or yearly recurrence."
            }
        )
    return first


@transaction.atomic
def schedule_save(
    *,
    actor: User,
    school: School | None = None,
    schedule: MaintenanceSchedule | None = None,
    starts_on: date | None = None,
    now: datetime | None = None,
    **values: Any,
) -> MaintenanceSchedule:
    """Create a maintenance schedule at `school`, or change `schedule`.

    `starts_on` (default: today) is the first date the maintenance may fall on; a new schedule, or one whose
    recurrence or start changes, gets its next due date from it. Every field of SCHEDULE_FIELDS may be given.
    """
    unknown = set(values) - set(SCHEDULE_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown schedule fields: {', '.join(sorted(unknown))}.")
    today = timezone.localdate(now or timezone.now())
    creating = schedule is None
    if creating:
        if school is None:
            raise ValidationError({"school": "Choose the school."})
        schedule = MaintenanceSchedule(school=school, created_by=actor, every=1, lead_days=7)
    else:
        schedule = MaintenanceSchedule.objects.select_for_update().select_related("school").get(pk=schedule.pk)
        school = schedule.school
    _require_manage(actor, school)
    merged = {name: getattr(schedule, name) for name in SCHEDULE_FIELDS} | values
    merged["ci_kind"] = merged.get("ci_kind") or ""
    _validate(school, merged)
    changes = {
        name: [str(getattr(schedule, name) or ""), str(value or "")]
        for name, value in values.items()
        if not creating and getattr(schedule, name) != value
    }
    for name, value in merged.items():
        setattr(schedule, name, value.strip() if isinstance(value, str) else value)
    recurrence_changed = not creating and ({"recurrence", "every"} & set(changes))
    if creating or starts_on is not None or recurrence_changed:
        schedule.next_due = _first_due(schedule, starts_on or today)
    schedule.save()
    if creating:
        activity.record(schedule, actor=actor, kind=Activity.Kind.CREATED, text="Created the schedule.")
    elif changes:
        activity.record(schedule, actor=actor, kind=Activity.Kind.FIELD, changes=changes)
    return schedule


@transaction.atomic
def schedule_pause(*, schedule: MaintenanceSchedule, actor: User) -> MaintenanceSchedule:
    """Stop raising tasks (the device is away for repair, the room is closed for building work)."""
    schedule = MaintenanceSchedule.objects.select_for_update().select_related("school").get(pk=schedule.pk)
    _require_manage(actor, schedule.school)
    if schedule.is_active:
        schedule.is_active = False
        schedule.save(update_fields=["is_active"])
        activity.record(
            schedule, actor=actor, kind=Activity.Kind.FIELD, text="Paused.", changes={"is_active": [True, False]}
        )
    return schedule


@transaction.atomic
def schedule_resume(*, schedule: MaintenanceSchedule, actor: User, now: datetime | None = None) -> MaintenanceSchedule:
    """Raise tasks again. Occurrences missed while paused are not raised: the next due date moves on to today
    or later along the schedule's own pattern."""
    schedule = MaintenanceSchedule.objects.select_for_update().select_related("school").get(pk=schedule.pk)
    _require_manage(actor, schedule.school)
    if schedule.is_active:
        return schedule
    today = timezone.localdate(now or timezone.now())
    dates = school_dates(schedule.school)
    nominal: date | None = schedule.next_due
    for _ in range(MAX_STEPS):
        if nominal is None or nominal >= today:
            break
        nominal = next_occurrence(schedule, nominal, dates=dates)
    schedule.next_due = nominal or _first_due(schedule, today)
    schedule.is_active = True
    schedule.save(update_fields=["is_active", "next_due"])
    activity.record(
        schedule,
        actor=actor,
        kind=Activity.Kind.FIELD,
        text=f"Resumed: next due {schedule.next_due:%d %b %Y}.",
        changes={"is_active": [False, True]},
    )
    return schedule


@transaction.atomic
def schedule_delete(*, schedule: MaintenanceSchedule, actor: User) -> None:
    """Delete a schedule. The tasks it raised stay, with their evidence; they no longer link to it."""
    schedule = MaintenanceSchedule.objects.select_for_update().select_related("school").get(pk=schedule.pk)
    _require_manage(actor, schedule.school)
    schedule.delete()


# =============================================================================
# Raising the tasks
# =============================================================================


def devices_of(schedule: MaintenanceSchedule) -> models.QuerySet[ConfigurationItem]:
    """The live devices a kind-wide schedule covers: of its kind, at its school, within its location if any."""
    devices = ConfigurationItem.objects.filter(
        school_id=schedule.school_id, kind=schedule.ci_kind, status=LifecycleStatus.LIVE
    ).exclude(kind__in=LOGICAL_KINDS)
    if schedule.location_id:
        place = schedule.location_id
        devices = devices.filter(
            models.Q(location_id=place)
            | models.Q(location__parent_id=place)
            | models.Q(location__parent__parent_id=place)
        )
    return devices.select_related("location").order_by("location__name", "name", "pk")


def checklist_lines(schedule: MaintenanceSchedule) -> list[str]:
    return [line.strip(" -*\t") for line in schedule.checklist.splitlines() if line.strip(" -*\t")]


def task_plan(schedule: MaintenanceSchedule) -> tuple[str, list[str], Location | None]:
    """(description, steps, location) of an occurrence's task.

    One device: its checklist, one tick box per line. A kind of device: one tick box per device, "Projector
    S12 (S12): clean the filter" when the checklist has one line; with several lines the checklist goes in the
    description, once, and each device is one tick box, so 40 projectors make 40 lines, not 200.
    """
    lines = checklist_lines(schedule)
    description = schedule.instructions.strip()
    if schedule.ci_id:
        return description, lines, schedule.ci.location
    if not schedule.ci_kind:  # a routine operation of no one device (check the backups): its checklist as it is
        return description, lines, schedule.location
    devices = list(devices_of(schedule))
    kind = Kind(schedule.ci_kind).label.lower() if schedule.ci_kind in Kind.values else schedule.ci_kind
    if not devices:
        where = f" in {schedule.location}" if schedule.location_id else ""
        note = f"No live {kind} is recorded in the CMDB{where}: check the CMDB is up to date."
        return "\n\n".join(filter(None, [description, note])), lines, schedule.location

    def label(device: ConfigurationItem) -> str:
        return f"{device.name} ({device.location.name})" if device.location_id else device.name

    if len(lines) <= 1:
        suffix = f": {lines[0]}" if lines else ""
        return description, [f"{label(device)}{suffix}" for device in devices], schedule.location
    each = "For each device:\n" + "\n".join(f"- {line}" for line in lines)
    return "\n\n".join(filter(None, [description, each])), [label(device) for device in devices], schedule.location


def _raise(schedule: MaintenanceSchedule, nominal: date, due: date) -> Task:
    from incidents.task_services import task_raise

    description, steps, location = task_plan(schedule)
    assignee = schedule.assignee
    if assignee is not None and not access.can_work_task.test(assignee, schedule.school):
        assignee = None  # they left the school: the group or the network manager get it
    group = schedule.group if schedule.group_id and schedule.group.applies_at(schedule.school) else None
    return task_raise(
        school=schedule.school,
        title=schedule.title,
        origin=TaskOrigin.ROUTINE if schedule.function else TaskOrigin.MAINTENANCE,
        description=description,
        steps=steps,
        due_on=due,
        ci=schedule.ci,
        location=location,
        group=group,
        assignee=assignee,
        source=schedule,
        source_key=source_key(schedule, nominal),
    )


def maintenance_raise_due(now: datetime | None = None) -> int:
    """Raise the task of every occurrence whose raise date (due date minus lead days) has come, and move each
    schedule's next due date on. Idempotent: a second run the same day raises nothing. Returns tasks raised."""
    today = timezone.localdate(now or timezone.now())
    horizon = today + timedelta(days=366)  # lead_days is at most 365, and due dates only move later
    ids = list(MaintenanceSchedule.objects.filter(is_active=True, next_due__lte=horizon).values_list("pk", flat=True))
    dates_by_school: dict[int, SchoolDates] = {}
    raised = 0
    for pk in ids:
        with transaction.atomic():
            schedule = (
                MaintenanceSchedule.objects.select_for_update(of=("self",))
                .select_related("school", "ci__location", "location", "group", "assignee")
                .filter(pk=pk, is_active=True)
                .first()
            )
            if schedule is None:
                continue
            if schedule.school_id not in dates_by_school:
                dates_by_school[schedule.school_id] = school_dates(schedule.school)
            raised += _raise_schedule(schedule, today, dates_by_school[schedule.school_id])
    return raised


def _raise_schedule(schedule: MaintenanceSchedule, today: date, dates: SchoolDates) -> int:
    raised = 0
    nominal = schedule.next_due
    for _ in range(MAX_STEPS):
        due = due_date(schedule, nominal, dates=dates)
        if due - timedelta(days=schedule.lead_days) > today:
            break
        following = next_occurrence(schedule, nominal, dates=dates)
        merged = following is not None and schedule.school_days_only and due >= following
        stale = following is not None and following <= today
        key = source_key(schedule, nominal)
        if not merged and not stale and not Task.objects.filter(school_id=schedule.school_id, source_key=key).exists():
            _raise(schedule, nominal, due)
            raised += 1
        if following is None:
            break  # the term dates run out here: wait for next year's (the task is raised once, by its key)
        nominal = following
    if nominal != schedule.next_due:
        schedule.next_due = nominal
        schedule.save(update_fields=["next_due"])
    return raised
