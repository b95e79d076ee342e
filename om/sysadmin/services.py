"""Systems Administration's state changes: routine operations (maintenance schedules of the "sysadmin" function),
the server logbooks and the run books."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from availability import maintenance
from availability.models import MaintenanceSchedule, Recurrence
from cmdb.models import ConfigurationItem, Kind
from fits import access, activity
from fits.models import Activity, School, User
from incidents.models import Task
from om import services as om_services
from om.models import ActivityAllocation, Function
from om.sysadmin.models import LogbookEntry, RunBook, RunBookVersion
from servicelevels.models import ITService

FUNCTION = Function.SYSADMIN.value
RUN_BOOK_REVIEW_MONTHS = 12
PROCEDURE_FIELDS = ("start", "stop", "restore", "contacts", "notes")


# =============================================================================
# Routine operations
# =============================================================================


@dataclass(frozen=True)
class Routine:
    title: str
    recurrence: str
    frequency: str  # the ActivityAllocation frequency it is allocated as
    checklist: tuple[str, ...]
    instructions: str = ""
    lead_days: int = 0


# The FITS routine operations every school's systems administrator carries out (issue 8; FITS-OM Systems
# Administration): daily backup and log checks, weekly disk space and UPS, termly restore test and account review.
STANDARD_ROUTINES: tuple[Routine, ...] = (
    Routine(
        "Check the overnight backups",
        Recurrence.DAILY,
        ActivityAllocation.Frequency.DAILY,
        ("Every backup job finished without errors", "Failed jobs re-run or logged as an incident"),
        "Open the backup console and read last night's job report.",
    ),
    Routine(
        "Check the server event logs",
        Recurrence.DAILY,
        ActivityAllocation.Frequency.DAILY,
        ("System and application logs read on each server", "Errors and warnings followed up or logged"),
    ),
    Routine(
        "Check free disk space",
        Recurrence.WEEKLY,
        ActivityAllocation.Frequency.WEEKLY,
        ("Free space on each server volume recorded", "Volumes under 15% free raised as a capacity task"),
        lead_days=1,
    ),
    Routine(
        "Check the UPS",
        Recurrence.WEEKLY,
        ActivityAllocation.Frequency.WEEKLY,
        ("Status lights and load checked", "Battery self-test passed", "Alarms and events read"),
        lead_days=1,
    ),
    Routine(
        "Test a restore from backup",
        Recurrence.TERMLY,
        ActivityAllocation.Frequency.TERMLY,
        ("A sample of files restored to a test location", "Restored files opened and compared", "Time taken noted"),
        "Restore a sample from the backups and prove it opens: a backup never restored is not a backup.",
        lead_days=7,
    ),
    Routine(
        "Review the user accounts",
        Recurrence.TERMLY,
        ActivityAllocation.Frequency.TERMLY,
        ("Leavers' accounts disabled", "Unused accounts found and closed", "Group memberships checked"),
        "Compare the directory with the school's roll and staff list.",
        lead_days=7,
    ),
)


def routine_schedules(school_id: int | None = None) -> Any:
    schedules = MaintenanceSchedule.objects.filter(function=FUNCTION)
    return schedules.filter(school_id=school_id) if school_id is not None else schedules


@transaction.atomic
def routine_save(
    *, actor: User, school: School | None = None, schedule: MaintenanceSchedule | None = None, **values: Any
) -> MaintenanceSchedule:
    """Create (or change) a routine operation: a maintenance schedule of the sysadmin function, whose tasks are
    raised by Celery beat (availability's `maintenance_raise_due`) against the school calendar with origin ROUTINE."""
    if schedule is not None and schedule.function != FUNCTION:
        raise ValidationError("That schedule is preventative maintenance, not a routine operation.")
    values.pop("function", None)
    if schedule is None:
        values["function"] = FUNCTION
    return maintenance.schedule_save(actor=actor, school=school, schedule=schedule, **values)


@dataclass
class LoadResult:
    created: list[MaintenanceSchedule]
    kept: list[str]
    notes: list[str]


@transaction.atomic
def routines_load(
    *, actor: User, school: School, owner: User | None = None, deputy: User | None = None, now: datetime | None = None
) -> LoadResult:
    """Give `school` the FITS routine operations (STANDARD_ROUTINES): one schedule each, allocated to `owner`
    (default: the actor) with `deputy` standing in, as the network manager allocates them. Those it already has,
    by title, are kept as they are; running it twice adds nothing."""
    access.require(
        access.can_manage_operations, actor, school, "Only the network manager allocates the routine operations."
    )
    owner = owner or actor
    if not access.can_work_task.test(owner, school):
        raise ValidationError({"owner": f"{owner} cannot work tasks at {school}: choose a technician."})
    existing = set(routine_schedules(school.pk).values_list("title", flat=True))
    allocated = set(
        ActivityAllocation.objects.filter(school=school, function=FUNCTION).values_list("activity", flat=True)
    )
    today = timezone.localdate(now or timezone.now())
    result = LoadResult([], [], [])
    for routine in STANDARD_ROUTINES:
        if routine.title not in allocated:
            om_services.allocation_save(
                actor=actor, school=school, function=FUNCTION, activity=routine.title,
                frequency=routine.frequency, owner=owner, deputy=deputy if deputy != owner else None,
                notes="FITS routine operation",
            )  # fmt: skip
        if routine.title in existing:
            result.kept.append(routine.title)
            continue
        values: dict[str, Any] = {
            "title": routine.title,
            "instructions": routine.instructions,
            "checklist": "\n".join(routine.checklist),
            "recurrence": routine.recurrence,
            "every": 1,
            "lead_days": routine.lead_days,
            "school_days_only": True,
            "assignee": owner,
        }
        try:
            with transaction.atomic():
                schedule = routine_save(actor=actor, school=school, starts_on=today, now=now, **values)
        except ValidationError:
            if routine.recurrence != Recurrence.TERMLY:
                raise
            # No term dates yet: every four months until the calendar has them (change it then).
            values |= {"recurrence": Recurrence.MONTHLY, "every": 4}
            schedule = routine_save(actor=actor, school=school, starts_on=today, now=now, **values)
            result.notes.append(
                f"“{routine.title}” is every four months: {school} has no term dates yet. Add them under "
                "Service levels, Calendars, and change it to each term."
            )
        result.created.append(schedule)
    return result


# =============================================================================
# Server logbooks
# =============================================================================


def servers(school_id: int | None = None) -> Any:
    rows = ConfigurationItem.objects.filter(kind=Kind.SERVER)
    return rows.filter(school_id=school_id) if school_id is not None else rows


@transaction.atomic
def logbook_add(
    *,
    actor: User,
    ci: ConfigurationItem,
    text: str,
    kind: str = LogbookEntry.Kind.NOTE,
    occurred_at: datetime | None = None,
    task: Task | None = None,
    now: datetime | None = None,
) -> LogbookEntry:
    """Write a line in the server's logbook, and an internal note on its CI timeline."""
    access.require(access.can_keep_logbook, actor, ci, f"Only technical staff write in the logbook of {ci}.")
    moment = now or timezone.now()
    errors: dict[str, str] = {}
    if ci.kind != Kind.SERVER:
        errors["ci"] = f"{ci} is not a server: logbooks are kept for servers."
    if not (text or "").strip():
        errors["text"] = "Say what was done or found."
    if kind not in LogbookEntry.Kind.values:
        errors["kind"] = "Choose the kind of entry."
    if occurred_at is not None and occurred_at > moment + timedelta(minutes=5):
        errors["occurred_at"] = "The logbook records what has happened: choose a time that has passed."
    if task is not None and task.school_id != ci.school_id:
        errors["task"] = f"{task} belongs to another school."
    if errors:
        raise ValidationError(errors)
    entry = LogbookEntry.objects.create(
        school_id=ci.school_id,
        ci=ci,
        occurred_at=occurred_at or moment,
        author=actor,
        kind=kind,
        text=text.strip(),
        task=task,
    )
    activity.record(
        ci,
        actor=actor,
        kind=Activity.Kind.COMMENT,
        public=False,
        text=f"Logbook ({entry.get_kind_display()}): {entry.text}",
    )
    return entry


# =============================================================================
# Run books
# =============================================================================


def _require_write(actor: User, school: School) -> None:
    access.require(access.can_keep_logbook, actor, school, f"Only technical staff write the run books of {school}.")


def _add_months(day: date, months: int) -> date:
    return maintenance._add_months(day, months)


@transaction.atomic
def run_book_create(
    *,
    actor: User,
    school: School,
    title: str,
    service: ITService | None = None,
    ci: ConfigurationItem | None = None,
    owner: User | None = None,
    now: datetime | None = None,
    **procedures: str,
) -> RunBook:
    """A run book for an ICT service or a CMDB service CI, with its first version."""
    _require_write(actor, school)
    errors: dict[str, str] = {}
    if not (title or "").strip():
        errors["title"] = "Name the run book (e.g. 'MIS server')."
    if service is None and ci is None:
        errors["service"] = "Choose the ICT service or the CMDB service it is the run book of."
    if service is not None and service.school_id != school.pk:
        errors["service"] = f"{service} belongs to another school."
    if ci is not None and ci.school_id != school.pk:
        errors["ci"] = f"{ci} belongs to another school."
    if owner is not None and not access.is_school_staff.test(owner, school):
        errors["owner"] = f"{owner} is not on the support staff of {school}."
    if errors:
        raise ValidationError(errors)
    book = RunBook.objects.create(school=school, title=title.strip(), service=service, ci=ci, owner=owner or actor)
    activity.record(book, actor=actor, kind=Activity.Kind.CREATED, text="Wrote the run book.")
    run_book_revise(actor=actor, run_book=book, now=now, **procedures)
    book.refresh_from_db()
    return book


@transaction.atomic
def run_book_revise(
    *, actor: User, run_book: RunBook, now: datetime | None = None, **procedures: str
) -> RunBookVersion:
    """A new version of the run book's procedures (the old ones are kept). It awaits review."""
    unknown = set(procedures) - set(PROCEDURE_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown run book fields: {', '.join(sorted(unknown))}.")
    book = RunBook.objects.select_for_update().select_related("school").get(pk=run_book.pk)
    _require_write(actor, book.school)
    values = {name: (procedures.get(name) or "").strip() for name in PROCEDURE_FIELDS}
    if not any(values[name] for name in ("start", "stop", "restore")):
        raise ValidationError({"start": "Write at least one procedure: how to start, stop or restore the service."})
    current = book.versions.order_by("-number").first()
    if current is not None and all(getattr(current, name) == values[name] for name in PROCEDURE_FIELDS):
        raise ValidationError(f"Nothing changed since version {current.number}.")
    book.version += 1
    book.save(update_fields=["version", "updated_at"])
    version = RunBookVersion.objects.create(
        school_id=book.school_id, run_book=book, number=book.version, written_by=actor, **values
    )
    if book.version > 1:
        activity.record(book, actor=actor, kind=Activity.Kind.FIELD, text=f"Wrote version {book.version}.")
    return version


@transaction.atomic
def run_book_review(*, actor: User, run_book: RunBook, note: str = "", now: datetime | None = None) -> RunBookVersion:
    """The network manager reviews the current version: it is signed off by them today, and the run book is
    next due for review in a year."""
    book = RunBook.objects.select_for_update().select_related("school").get(pk=run_book.pk)
    access.require(access.can_review_run_book, actor, book.school, "Only the network manager reviews run books.")
    version = book.versions.order_by("-number").first()
    if version is None:
        raise ValidationError("The run book has no procedures to review yet.")
    if version.written_by_id == actor.pk and not actor.is_superuser:
        raise ValidationError("Someone other than its writer reviews a run book.")
    moment = now or timezone.now()
    version.reviewed_by, version.reviewed_at, version.review_note = actor, moment, (note or "").strip()[:300]
    version.save(update_fields=["reviewed_by", "reviewed_at", "review_note"])
    book.review_due = _add_months(timezone.localdate(moment), RUN_BOOK_REVIEW_MONTHS)
    book.save(update_fields=["review_due", "updated_at"])
    activity.record(
        book,
        actor=actor,
        kind=Activity.Kind.COMMENT,
        text=f"Reviewed version {version.number}. {version.review_note}".strip(),
    )
    return version
