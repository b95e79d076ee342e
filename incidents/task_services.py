"""Tasks: planned work that is not a fault (FITS preventative maintenance, routine operations, reviews due).

State changes of `incidents.Task` live here. Processes raise tasks with `task_raise` (idempotent on
`source_key`, so a schedule or an alert that runs twice finds its task instead of making a second one);
people raise them by hand with `task_raise` too (origin "manual", actor given).
"""

from __future__ import annotations

from datetime import date

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction

from fits import access, activity
from fits.models import Activity, School, User
from fits.references import next_reference
from incidents.models import SupportGroup, Task, TaskOrigin, TaskStep

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
        task, actor=actor, kind=Activity.Kind.CREATED, text=f"Raised ({origin_label})." if origin_label else "Raised."
    )
    return task
