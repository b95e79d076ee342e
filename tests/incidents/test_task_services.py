"""Tasks (planned work): raising, assigning, the checklist, completing with evidence, overdue alerts."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fits.models import Activity, Notification
from fits.workflow import InvalidTransition
from incidents import task_services as tasks
from incidents.models import SupportGroup, Task, TaskStatus

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
def filters_task(highfield, tech):
    return tasks.task_raise(
        school=highfield,
        title="Clean projector filters",
        steps=["Projector S12: clean the filter", "Projector S14: clean the filter", "  ", "Reset the lamp timer"],
        due_on=date(2026, 11, 30),
        actor=tech,
    )


def entries(task):
    return list(Activity.objects.filter(object_id=task.pk, content_type__model="task").order_by("pk"))


def test_raising_makes_a_reference_and_one_tick_box_per_line(filters_task, highfield):
    assert filters_task.reference == "TSK-000001"
    assert list(filters_task.steps.values_list("text", flat=True)) == [
        "Projector S12: clean the filter",
        "Projector S14: clean the filter",
        "Reset the lamp timer",
    ]
    assert [e.kind for e in entries(filters_task)] == [Activity.Kind.CREATED]


def test_only_technical_staff_raise_and_work_tasks(highfield, desk, staff, filters_task):
    with pytest.raises(PermissionDenied):
        tasks.task_raise(school=highfield, title="Anything", actor=desk)
    with pytest.raises(PermissionDenied):
        tasks.task_start(task=filters_task, actor=desk)
    with pytest.raises(PermissionDenied):
        tasks.task_complete(task=filters_task, actor=staff, outcome="Done")


def test_a_source_key_raises_one_task_however_often(highfield):
    first = tasks.task_raise(school=highfield, title="Test the UPS battery", source_key="maintenance:1:2026-12-01")
    again = tasks.task_raise(school=highfield, title="Test the UPS battery", source_key="maintenance:1:2026-12-01")
    assert first.pk == again.pk
    assert Task.objects.count() == 1


def test_assigning_tells_the_assignee_and_writes_the_timeline(filters_task, tech, netmgr):
    task = tasks.task_assign(task=filters_task, assignee=tech, group=None, actor=netmgr)
    assert task.assignee == tech
    entry = entries(task)[-1]
    assert entry.kind == Activity.Kind.ASSIGNMENT
    assert entry.changes["assignee"] == ["", str(tech)]
    told = Notification.objects.get(event="task_assigned", recipient=tech)
    assert told.title.startswith("TSK-000001")


def test_a_group_task_goes_to_the_group_members(filters_task, highfield, tech, netmgr):
    group = SupportGroup.objects.create(school=highfield, name="ICT team")
    group.members.add(tech)
    tasks.task_assign(task=filters_task, assignee=None, group=group, actor=netmgr)
    assert Notification.objects.filter(event="task_assigned", recipient=tech).exists()


def test_someone_without_a_technical_role_cannot_be_given_a_task(filters_task, desk, netmgr):
    with pytest.raises(ValidationError, match="cannot work tasks"):
        tasks.task_assign(task=filters_task, assignee=desk, group=None, actor=netmgr)


def test_ticking_a_step_starts_the_task_and_says_which(filters_task, tech):
    step = filters_task.steps.first()
    tasks.task_step_set(step=step, done=True, actor=tech, note="Very dusty", now=NOW)
    step.refresh_from_db()
    filters_task.refresh_from_db()
    assert step.done_at == NOW and step.done_by == tech and step.note == "Very dusty"
    assert filters_task.status == TaskStatus.IN_PROGRESS
    assert entries(filters_task)[-1].text == "Ticked: Projector S12: clean the filter (Very dusty)"
    tasks.task_step_set(step=step, done=False, actor=tech)
    step.refresh_from_db()
    assert step.done_at is None and step.done_by is None


def test_completing_needs_the_evidence_and_names_the_skipped_steps(filters_task, tech):
    with pytest.raises(ValidationError, match="evidence"):
        tasks.task_complete(task=filters_task, actor=tech, outcome="  ")
    first, second, third = filters_task.steps.all()
    tasks.task_step_set(step=first, done=True, actor=tech)
    tasks.task_step_set(step=third, done=True, actor=tech)
    task = tasks.task_complete(
        task=filters_task, actor=tech, outcome="Filters cleaned, S14 is away for repair.", now=NOW
    )
    assert task.status == TaskStatus.DONE
    assert task.completed_at == NOW and task.completed_by == tech
    assert task.outcome == "Filters cleaned, S14 is away for repair."
    entry = entries(task)[-1]
    assert entry.changes["status"] == [TaskStatus.IN_PROGRESS, TaskStatus.DONE]
    assert entry.changes["skipped"] == ["Projector S14: clean the filter"]
    assert "Skipped: Projector S14: clean the filter." in entry.text
    second.refresh_from_db()
    assert second.done_at is None  # not ticked on the technician's behalf


def test_a_done_task_is_not_worked_until_reopened(filters_task, tech):
    task = tasks.task_complete(task=filters_task, actor=tech, outcome="Done")
    with pytest.raises(ValidationError, match="reopen it"):
        tasks.task_step_set(step=task.steps.first(), done=True, actor=tech)
    with pytest.raises(InvalidTransition):
        tasks.task_cancel(task=task, actor=tech, reason="No longer needed")
    task = tasks.task_reopen(task=task, actor=tech, reason="S14 is back")
    assert task.status == TaskStatus.OPEN and task.outcome == "" and task.completed_at is None


def test_cancelling_needs_a_reason(filters_task, tech):
    with pytest.raises(ValidationError, match="why"):
        tasks.task_cancel(task=filters_task, actor=tech, reason="")
    task = tasks.task_cancel(task=filters_task, actor=tech, reason="Projectors replaced by screens")
    assert task.status == TaskStatus.CANCELLED
    assert entries(task)[-1].text == "Projectors replaced by screens"


def test_starting_takes_an_unassigned_task(filters_task, tech):
    task = tasks.task_start(task=filters_task, actor=tech)
    assert task.status == TaskStatus.IN_PROGRESS and task.assignee == tech


def test_updating_records_what_changed_and_rearms_the_overdue_alert(filters_task, tech):
    Task.objects.filter(pk=filters_task.pk).update(overdue_notified_at=NOW)
    task = tasks.task_update(task=filters_task, actor=tech, title="Clean all filters", due_on=date(2026, 12, 4))
    assert task.title == "Clean all filters" and task.overdue_notified_at is None
    assert entries(task)[-1].changes == {
        "title": ["Clean projector filters", "Clean all filters"],
        "due_on": ["2026-11-30", "2026-12-04"],
    }
    with pytest.raises(ValidationError):
        tasks.task_update(task=task, actor=tech, status="done")


def test_an_overdue_task_is_told_once_to_its_assignee(highfield, tech, netmgr):
    mine = tasks.task_raise(school=highfield, title="Check server logs", due_on=date(2026, 11, 20), assignee=tech)
    nobodys = tasks.task_raise(school=highfield, title="Test the UPS", due_on=date(2026, 11, 23))
    tasks.task_raise(school=highfield, title="Not yet", due_on=date(2026, 11, 24))
    done = tasks.task_raise(school=highfield, title="Done already", due_on=date(2026, 11, 1))
    tasks.task_complete(task=done, actor=tech, outcome="Done")
    Notification.objects.all().delete()

    assert tasks.tasks_overdue_notify(now=NOW) == 2
    assert tasks.tasks_overdue_notify(now=NOW) == 0  # once per due date
    to_tech = Notification.objects.get(event="task_overdue", recipient=tech)
    assert to_tech.title == f"{mine.reference} is overdue: Check server logs"
    assert "4 days overdue" in to_tech.text
    # Nobody holds it and it has no group: the network manager hears.
    assert Notification.objects.get(event="task_overdue", recipient=netmgr).title.startswith(nobodys.reference)
    assert Notification.objects.filter(event="task_overdue").count() == 2


def test_the_workflow_offers_only_what_the_service_accepts(filters_task, tech, desk):
    assert [t.name for t in Task.WORKFLOW.available(tech, filters_task)] == ["start", "complete", "cancel"]
    assert Task.WORKFLOW.available(desk, filters_task) == []
    with pytest.raises(InvalidTransition):
        tasks.task_act(task=filters_task, action="reopen", actor=tech)


def test_the_beat_task_tells_of_overdue_tasks_and_survives_a_killed_worker(highfield, tech):
    from incidents.tasks import tasks_overdue_task

    tasks.task_raise(school=highfield, title="Check server logs", due_on=date(2020, 1, 6), assignee=tech)
    assert tasks_overdue_task.acks_late
    assert tasks_overdue_task.run() == 1
    assert tasks_overdue_task.run() == 0
