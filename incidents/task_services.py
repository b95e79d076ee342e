"""Tasks: planned work that is not a fault (FITS preventative maintenance, routine operations, reviews due).

State changes of `incidents.Task` live here. Processes raise tasks with `task_raise` (idempotent on
`source_key`, so a schedule or an alert that runs twice finds its task instead of making a second one);
people raise them by hand with `task_raise` too (origin "manual", actor given).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from fits import access, activity
from fits.models import Activity, Role, School, User
from fits.notifications import notify
from fits.references import next_reference
from incidents.models import OPEN_TASK_STATUSES, SupportGroup, Task, TaskOrigin, TaskStatus, TaskStep

TASK_PREFIX = "TSK"


@transaction.atomic
def task_raise(
    *,
    school: School,
    title: str,
    origin: str = TaskOrigin.MANUAL,
    description: str = "",
    steps: list[str] | tuple[str, ...] = (),
    due_on: date | None = None,
    ci=None,
    location=None,
    group: SupportGroup | None = None,
    assignee: User | None = None,
    source: models.Model | None = None,
    source_key: str = "",
    actor: User | None = None,
) -> Task:
    """Raise a task at `school` with its checklist (`steps`, one tick box each).

    A process passes `source` (the schedule or alert behind it) and a `source_key` naming the occurrence
    ("maintenance:12:2026-11-30"): raising the same key again returns the existing task unchanged. A person
    raising one by hand is `actor` and must be able to work tasks at the school; a process passes no actor.
    """
    if actor is not None:
        access.require(access.can_work_task, actor, school, "Only technicians and the network manager raise tasks.")
    if source_key:
        existing = Task.objects.filter(school=school, source_key=source_key).first()
        if existing is not None:
            return existing
    title = title.strip()
    if not title:
        raise ValidationError({"title": "Say what has to be done."})
    for name, record in (("ci", ci), ("location", location)):
        if record is not None and record.school_id != school.pk:
            raise ValidationError({name: f"{record} belongs to another school."})
    if group is not None and not group.applies_at(school):
        raise ValidationError({"group": f"{group} does not work at {school}."})
    if assignee is not None and not access.can_work_task.test(assignee, school):
        raise ValidationError({"assignee": f"{assignee} cannot work tasks at {school}."})
    lines = [line.strip()[:300] for line in steps if line and line.strip()]
    try:
        with transaction.atomic():
            task = Task.objects.create(
                school=school,
                reference=next_reference(school_id=school.pk, prefix=TASK_PREFIX),
                title=title[:200],
                description=description.strip(),
                origin=origin,
                due_on=due_on,
                ci=ci,
                location=location,
                group=group,
                assignee=assignee,
                source_type=ContentType.objects.get_for_model(source) if source is not None else None,
                source_id=source.pk if source is not None else None,
                source_key=source_key,
                created_by=actor,
            )
    except IntegrityError:
        if not source_key:
            raise
        return Task.objects.get(school=school, source_key=source_key)  # raised by a concurrent run
    TaskStep.objects.bulk_create(
        TaskStep(school=school, task=task, position=position, text=text) for position, text in enumerate(lines)
    )
    origin_label = TaskOrigin(origin).label.lower() if origin != TaskOrigin.MANUAL else ""
    activity.record(
        task, actor=actor, kind=Activity.Kind.CREATED, text=f"Raised for {origin_label}." if origin_label else "Raised."
    )
    if assignee is not None or group is not None:
        notify(task, "task_assigned", _people_for(task), actor=actor)
    return task


# =============================================================================
# The lifecycle: to do -> in progress -> done (or cancelled), and back to do
# =============================================================================

# What a person may change on an open task with task_update (the checklist is ticked, not edited).
EDITABLE_FIELDS = ("title", "description", "due_on", "ci", "location")


def _locked(task: Task) -> Task:
    return Task.objects.select_related("school").select_for_update(of=("self",)).get(pk=task.pk)


def _require_work(actor: User, task: Task) -> None:
    access.require(
        access.can_work_task, actor, task, f"Only technicians and the network manager work {task.reference}."
    )


def _require_open(task: Task, doing: str) -> None:
    if not task.is_open:
        raise ValidationError(f"{task.reference} is {task.get_status_display().lower()}: reopen it to {doing}.")


def _move(task: Task, action: str, actor: User | None, note: str = "", **changes: Any) -> None:
    """Apply one transition of Task.WORKFLOW and write its timeline entry (the caller saves)."""
    transition = Task.WORKFLOW.check(task.status, action)
    old, task.status = task.status, transition.target
    activity.record(
        task, actor=actor, kind=Activity.Kind.STATUS, text=note, changes={"status": [old, task.status], **changes}
    )


def _display(value: Any) -> str:
    return "" if value is None else str(value)


@transaction.atomic
def task_update(*, task: Task, actor: User, **fields: Any) -> Task:
    """Change what an open task is about: its title, description, due date, CI or room.

    A new due date lets the overdue alert be sent again for the new date.
    """
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"These cannot be changed on a task: {', '.join(sorted(unknown))}.")
    task = _locked(task)
    _require_work(actor, task)
    _require_open(task, "change it")
    if "title" in fields:
        fields["title"] = (fields["title"] or "").strip()[:200]
        if not fields["title"]:
            raise ValidationError({"title": "Say what has to be done."})
    if "description" in fields:
        fields["description"] = (fields["description"] or "").strip()
    for name in ("ci", "location"):
        record = fields.get(name)
        if record is not None and record.school_id != task.school_id:
            raise ValidationError({name: f"{record} belongs to another school."})
    changes = {
        name: [_display(getattr(task, name)), _display(value)]
        for name, value in fields.items()
        if getattr(task, name) != value
    }
    if not changes:
        return task
    for name, value in fields.items():
        setattr(task, name, value)
    update = [*fields, "updated_at"]
    if "due_on" in changes:
        task.overdue_notified_at = None
        update.append("overdue_notified_at")
    task.save(update_fields=update)
    activity.record(task, actor=actor, kind=Activity.Kind.FIELD, changes=changes)
    return task


@transaction.atomic
def task_assign(*, task: Task, assignee: User | None, group: SupportGroup | None, actor: User) -> Task:
    """Give an open task to a technician and/or a support group; they are told (event "task_assigned")."""
    task = _locked(task)
    _require_work(actor, task)
    _require_open(task, "assign it")
    if group is not None and not group.applies_at(task.school):
        raise ValidationError({"group": f"{group} does not work at {task.school}."})
    if assignee is not None and not access.can_work_task.test(assignee, task):
        raise ValidationError({"assignee": f"{assignee} cannot work tasks at {task.school}."})
    if assignee == task.assignee and group == task.group:
        return task
    changes = {
        "assignee": [_display(task.assignee), _display(assignee)],
        "group": [_display(task.group), _display(group)],
    }
    if group == task.group:
        del changes["group"]
    task.assignee, task.group = assignee, group
    task.save(update_fields=["assignee", "group", "updated_at"])
    activity.record(task, actor=actor, kind=Activity.Kind.ASSIGNMENT, changes=changes)
    notify(task, "task_assigned", _people_for(task), actor=actor)
    return task


def _people_for(task: Task) -> list[User]:
    """Who works a task: its assignee, else its group's members, else the school's network managers."""
    if task.assignee_id:
        return [task.assignee]
    if task.group_id:
        members = list(task.group.members.filter(is_active=True))
        if members:
            return members
    return list(User.objects.with_role_at(task.school_id, {Role.NETWORK_MANAGER}))


@transaction.atomic
def task_start(*, task: Task, actor: User) -> Task:
    """Start work on a task; an unassigned task becomes the actor's."""
    task = _locked(task)
    _require_work(actor, task)
    _move(task, "start", actor)
    update = ["status", "updated_at"]
    if task.assignee_id is None:
        task.assignee = actor
        update.append("assignee")
    task.save(update_fields=update)
    return task


@transaction.atomic
def task_step_set(*, step: TaskStep, done: bool, actor: User, note: str = "", now: datetime | None = None) -> TaskStep:
    """Tick (or untick) one line of an open task's checklist. The first tick starts the task."""
    task = _locked(step.task)
    _require_work(actor, task)
    _require_open(task, "tick its checklist")
    step = TaskStep.objects.select_for_update().get(pk=step.pk, task=task)
    if step.is_done == done and step.note == note.strip()[:300]:
        return step
    step.done_at = (now or timezone.now()) if done else None
    step.done_by = actor if done else None
    step.note = note.strip()[:300]
    step.save(update_fields=["done_at", "done_by", "note"])
    if done and task.status == TaskStatus.OPEN:
        _move(task, "start", actor)
        task.save(update_fields=["status", "updated_at"])
    text = f"{'Ticked' if done else 'Unticked'}: {step.text}" + (f" ({step.note})" if step.note else "")
    activity.record(task, actor=actor, kind=Activity.Kind.FIELD, text=text, changes={"step": [step.pk, done]})
    return step


@transaction.atomic
def task_complete(*, task: Task, actor: User, outcome: str, now: datetime | None = None) -> Task:
    """Close a task with the evidence of what was done (`outcome`, required).

    Unticked checklist lines do not block completion (a projector that was removed cannot have its filter
    cleaned), but they are not ticked for the technician either: they stay unticked, and the completion's
    timeline entry names them as skipped, so the record says plainly what was not done.
    """
    task = _locked(task)
    _require_work(actor, task)
    outcome = (outcome or "").strip()
    if not outcome:
        raise ValidationError({"outcome": "Say what was done and found: it is the evidence the work happened."})
    skipped = list(task.steps.filter(done_at__isnull=True).order_by("position", "pk").values_list("text", flat=True))
    note = outcome + (f"\nSkipped: {'; '.join(skipped)}." if skipped else "")
    _move(task, "complete", actor, note=note, skipped=skipped)
    task.outcome = outcome
    task.completed_at = now or timezone.now()
    task.completed_by = actor
    task.save(update_fields=["status", "outcome", "completed_at", "completed_by", "updated_at"])
    return task


@transaction.atomic
def task_cancel(*, task: Task, actor: User, reason: str) -> Task:
    """Drop a task that is no longer needed, saying why (the device was retired, a duplicate)."""
    task = _locked(task)
    _require_work(actor, task)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the task is no longer needed."})
    _move(task, "cancel", actor, note=reason)
    task.save(update_fields=["status", "updated_at"])
    return task


@transaction.atomic
def task_reopen(*, task: Task, actor: User, reason: str = "") -> Task:
    """Open a done or cancelled task again; its earlier outcome stays on the timeline."""
    task = _locked(task)
    _require_work(actor, task)
    _move(task, "reopen", actor, note=(reason or "").strip())
    task.outcome, task.completed_at, task.completed_by = "", None, None
    task.save(update_fields=["status", "outcome", "completed_at", "completed_by", "updated_at"])
    return task


def task_act(*, task: Task, action: str, actor: User, note: str = "") -> Task:
    """One lifecycle move by name (for the pages' and the API's buttons): start, complete, cancel, reopen."""
    Task.WORKFLOW.check_action(task.status, action)
    if action == "start":
        return task_start(task=task, actor=actor)
    if action == "complete":
        return task_complete(task=task, actor=actor, outcome=note)
    if action == "cancel":
        return task_cancel(task=task, actor=actor, reason=note)
    return task_reopen(task=task, actor=actor, reason=note)


# =============================================================================
# Overdue tasks
# =============================================================================


def tasks_overdue_notify(now: datetime | None = None) -> int:
    """Tell the people who work each overdue open task (due before today), once per due date.

    The assignee is told; a task nobody holds goes to its group's members, else to the school's network
    managers. Each task is claimed (overdue_notified_at set) in the transaction that notifies, so two runs
    never tell anyone twice. Returns how many tasks were told about.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    overdue = Task.objects.filter(
        status__in=OPEN_TASK_STATUSES, due_on__lt=today, overdue_notified_at__isnull=True
    ).values_list("pk", flat=True)
    told = 0
    for pk in list(overdue):
        with transaction.atomic():
            claimed = Task.objects.filter(pk=pk, overdue_notified_at__isnull=True).update(overdue_notified_at=now)
            if not claimed:
                continue
            task = Task.objects.select_related("school", "assignee", "group").get(pk=pk)
            days = (today - task.due_on).days
            plural = "s" if days != 1 else ""
            note = f"Due {task.due_on:%a} {task.due_on.day} {task.due_on:%b %Y}: {days} day{plural} overdue."
            notify(task, "task_overdue", _people_for(task), context={"note": note})
            told += 1
    return told
