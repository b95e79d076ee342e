"""Preventative maintenance: the occurrence maths on a real school calendar, raising tasks, idempotence."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from availability import maintenance
from availability.models import MaintenanceSchedule, Recurrence
from cmdb.services import ci_create, location_create
from fits.models import Notification
from incidents import task_services
from incidents.models import Task, TaskOrigin

pytestmark = pytest.mark.django_db

# Highfield's 2026-27 half-terms (England).
HALF_TERMS = [
    ("Autumn 1", date(2026, 9, 3), date(2026, 10, 23)),
    ("Autumn 2", date(2026, 11, 2), date(2026, 12, 18)),
    ("Spring 1", date(2027, 1, 4), date(2027, 2, 12)),
    ("Spring 2", date(2027, 2, 22), date(2027, 3, 26)),
    ("Summer 1", date(2027, 4, 12), date(2027, 5, 28)),
    ("Summer 2", date(2027, 6, 7), date(2027, 7, 21)),
]


def at(day: date) -> datetime:
    return datetime.combine(day, time(6), tzinfo=UTC)


@pytest.fixture
def calendar(highfield, admin_user):
    from servicelevels.calendars import calendar_create, closure_add, term_date_add, working_hours_set

    calendar = calendar_create(actor=admin_user, school=highfield, name="Highfield 2026-27")
    working_hours_set(calendar=calendar, actor=admin_user, hours={day: [(time(8), time(16))] for day in range(5)})
    for name, starts, ends in HALF_TERMS:
        term_date_add(calendar=calendar, actor=admin_user, name=name, starts=starts, ends=ends)
    # Snow closes the school on the first day of spring term.
    closure_add(calendar=calendar, actor=admin_user, kind="closure", name="Snow", starts=date(2027, 1, 4))
    return calendar


@pytest.fixture
def projectors(highfield, tech):
    block = location_create(school=highfield, actor=tech, kind="site", name="Main site")
    science = location_create(school=highfield, actor=tech, kind="building", name="Science", parent=block)
    rooms = [location_create(school=highfield, actor=tech, kind="room", name=f"S{n}", parent=science) for n in (12, 14)]
    hall = location_create(school=highfield, actor=tech, kind="building", name="Hall", parent=block)
    made = [
        ci_create(school=highfield, actor=tech, kind="display", name=f"Projector {r.name}", location=r) for r in rooms
    ]
    made.append(ci_create(school=highfield, actor=tech, kind="display", name="Hall projector", location=hall))
    return {"science": science, "devices": made}


def schedule(highfield, tech, *, starts_on: date, now: date | None = None, **values):
    values = {"title": "Clean projector filters", "ci_kind": "display", "recurrence": Recurrence.HALF_TERMLY} | values
    return maintenance.schedule_save(
        actor=tech, school=highfield, starts_on=starts_on, now=at(now or starts_on), **values
    )


def test_half_termly_dates_come_from_the_school_calendar(calendar, highfield, tech):
    plan = schedule(highfield, tech, starts_on=date(2026, 10, 1), school_days_only=False)
    assert plan.next_due == date(2026, 11, 2)  # the next half-term after 1 October
    dates = [o.nominal for o in maintenance.upcoming(plan, count=10)]
    assert dates == [date(2026, 11, 2), date(2027, 1, 4), date(2027, 2, 22), date(2027, 4, 12), date(2027, 6, 7)]


def test_termly_takes_the_first_half_of_each_season(calendar, highfield, tech):
    plan = schedule(highfield, tech, starts_on=date(2026, 9, 1), recurrence=Recurrence.TERMLY)
    assert [o.nominal for o in maintenance.upcoming(plan)] == [date(2026, 9, 3), date(2027, 1, 4), date(2027, 4, 12)]


def test_every_second_half_term(calendar, highfield, tech):
    plan = schedule(highfield, tech, starts_on=date(2026, 9, 1), every=2)
    assert [o.nominal for o in maintenance.upcoming(plan)] == [date(2026, 9, 3), date(2027, 1, 4), date(2027, 4, 12)]


def test_a_closed_day_or_a_weekend_or_the_holidays_move_the_due_date_to_the_next_open_day(calendar, highfield, tech):
    plan = schedule(highfield, tech, starts_on=date(2026, 12, 1))
    # Spring 1 starts on Monday 4 January 2027, a snow day: due on Tuesday.
    assert [(o.nominal, o.due) for o in maintenance.upcoming(plan, count=2)][0] == (date(2027, 1, 4), date(2027, 1, 5))
    weekly = schedule(highfield, tech, starts_on=date(2026, 11, 28), recurrence=Recurrence.WEEKLY, title="Check logs")
    first = maintenance.upcoming(weekly, count=1)[0]
    assert (first.nominal, first.due) == (date(2026, 11, 28), date(2026, 11, 30))  # a Saturday: due Monday
    monthly = schedule(highfield, tech, starts_on=date(2026, 10, 28), recurrence=Recurrence.MONTHLY, title="UPS")
    first = maintenance.upcoming(monthly, count=1)[0]
    assert first.due == date(2026, 11, 2)  # half-term holiday: due on the first day back
    anyday = schedule(highfield, tech, starts_on=date(2026, 10, 28), recurrence=Recurrence.MONTHLY,
                      school_days_only=False, title="Backup check")  # fmt: skip
    assert maintenance.upcoming(anyday, count=1)[0].due == date(2026, 10, 28)


def test_calendar_recurrences_step_by_the_calendar(highfield, tech):
    monthly = schedule(highfield, tech, starts_on=date(2027, 1, 31), recurrence=Recurrence.MONTHLY,
                       school_days_only=False, ci_kind="server")  # fmt: skip
    assert [o.nominal for o in maintenance.upcoming(monthly, count=3)] == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 28),  # a month on from the last: the 31st does not come back
    ]
    yearly = schedule(highfield, tech, starts_on=date(2027, 3, 1), recurrence=Recurrence.YEARLY,
                      school_days_only=False, ci_kind="server")  # fmt: skip
    assert maintenance.next_occurrence(yearly, date(2027, 3, 1)) == date(2028, 3, 1)


def test_a_school_recurrence_needs_term_dates(highfield, tech):
    with pytest.raises(ValidationError, match="no term dates"):
        schedule(highfield, tech, starts_on=date(2026, 9, 1))


def test_a_schedule_names_a_device_or_a_kind_and_its_numbers_make_sense(highfield, tech, projectors):
    with pytest.raises(ValidationError) as error:
        schedule(highfield, tech, starts_on=date(2026, 9, 1), ci_kind="", recurrence=Recurrence.WEEKLY, every=0)
    assert set(error.value.message_dict) == {"ci", "every"}
    with pytest.raises(ValidationError, match="not both"):
        schedule(highfield, tech, starts_on=date(2026, 9, 1), ci=projectors["devices"][0], recurrence="weekly")


def test_only_technical_staff_keep_schedules(highfield, desk):
    with pytest.raises(PermissionDenied):
        schedule(highfield, desk, starts_on=date(2026, 9, 1), recurrence=Recurrence.WEEKLY)


def test_the_task_is_raised_lead_days_before_and_only_once(calendar, highfield, tech, projectors):
    plan = schedule(highfield, tech, starts_on=date(2026, 10, 1), lead_days=7, checklist="Clean the filter",
                    location=projectors["science"], assignee=tech)  # fmt: skip
    assert maintenance.maintenance_raise_due(now=at(date(2026, 10, 25))) == 0  # 8 days before 2 November
    assert maintenance.maintenance_raise_due(now=at(date(2026, 10, 26))) == 1
    assert maintenance.maintenance_raise_due(now=at(date(2026, 10, 26))) == 0  # idempotent
    assert maintenance.maintenance_raise_due(now=at(date(2026, 10, 27))) == 0
    task = Task.objects.get()
    assert task.origin == TaskOrigin.MAINTENANCE and task.due_on == date(2026, 11, 2)
    assert task.source_key == f"maintenance:{plan.pk}:2026-11-02" and task.assignee == tech
    # The science block's projectors, one tick box each; the hall's is elsewhere.
    assert list(task.steps.values_list("text", flat=True)) == [
        "Projector S12 (S12): Clean the filter",
        "Projector S14 (S14): Clean the filter",
    ]
    plan.refresh_from_db()
    assert plan.next_due == date(2027, 1, 4)


def test_a_long_checklist_goes_in_the_description_once(calendar, highfield, tech, projectors):
    plan = schedule(highfield, tech, starts_on=date(2026, 10, 1), checklist="- Clean the filter\n- Check lamp hours\n")
    description, steps, _ = maintenance.task_plan(plan)
    assert steps == ["Hall projector (Hall)", "Projector S12 (S12)", "Projector S14 (S14)"]  # by room
    assert "For each device:\n- Clean the filter\n- Check lamp hours" in description


def test_one_device_gets_its_checklist(highfield, tech):
    ups = ci_create(school=highfield, actor=tech, kind="peripheral", name="UPS hub")
    plan = schedule(highfield, tech, starts_on=date(2026, 12, 1), ci=ups, ci_kind="", recurrence=Recurrence.YEARLY,
                    checklist="Run the battery test\nRecord the runtime", lead_days=14)  # fmt: skip
    assert maintenance.maintenance_raise_due(now=at(date(2026, 11, 17))) == 1
    task = Task.objects.get()
    assert task.ci == ups and task.due_on == date(2026, 12, 1)
    assert list(task.steps.values_list("text", flat=True)) == ["Run the battery test", "Record the runtime"]
    plan.refresh_from_db()
    assert plan.next_due == date(2027, 12, 1)


def test_weekly_checks_in_the_holidays_merge_into_one_and_missed_ones_are_not_raised_late(calendar, highfield, tech):
    plan = schedule(highfield, tech, starts_on=date(2026, 12, 14), recurrence=Recurrence.WEEKLY, lead_days=0,
                    ci_kind="server", title="Check server logs")  # fmt: skip
    # Run on 4 January: Mondays 14 Dec (raised when due), then 21 and 28 Dec (holidays) and 4 Jan (snow).
    assert maintenance.maintenance_raise_due(now=at(date(2026, 12, 14))) == 1
    assert maintenance.maintenance_raise_due(now=at(date(2027, 1, 5))) == 1
    keys = sorted(Task.objects.values_list("source_key", "due_on"))
    assert keys == [
        (f"maintenance:{plan.pk}:2026-12-14", date(2026, 12, 14)),
        (f"maintenance:{plan.pk}:2027-01-04", date(2027, 1, 5)),
    ]
    plan.refresh_from_db()
    assert plan.next_due == date(2027, 1, 11)


def test_paused_schedules_raise_nothing_and_resume_from_today(highfield, tech):
    plan = schedule(highfield, tech, starts_on=date(2026, 11, 2), recurrence=Recurrence.WEEKLY,
                    school_days_only=False, ci_kind="server", lead_days=0)  # fmt: skip
    maintenance.schedule_pause(schedule=plan, actor=tech)
    assert maintenance.maintenance_raise_due(now=at(date(2026, 11, 20))) == 0
    plan = maintenance.schedule_resume(schedule=plan, actor=tech, now=at(date(2026, 11, 20)))
    assert plan.next_due == date(2026, 11, 23)


def test_an_overdue_maintenance_task_is_told_to_its_assignee(calendar, highfield, tech, projectors):
    schedule(highfield, tech, starts_on=date(2026, 10, 1), assignee=tech)
    maintenance.maintenance_raise_due(now=at(date(2026, 10, 26)))
    assert task_services.tasks_overdue_notify(now=at(date(2026, 11, 3))) == 1
    assert Notification.objects.filter(event="task_overdue", recipient=tech).count() == 1


def test_deleting_a_schedule_keeps_its_tasks(calendar, highfield, tech, projectors):
    plan = schedule(highfield, tech, starts_on=date(2026, 10, 1))
    maintenance.maintenance_raise_due(now=at(date(2026, 10, 26)))
    maintenance.schedule_delete(schedule=plan, actor=tech)
    assert not MaintenanceSchedule.objects.exists()
    assert Task.objects.count() == 1


def test_the_beat_task_raises_todays_maintenance_once(highfield, tech):
    from django.utils import timezone

    from availability.tasks import maintenance_raise_due_task

    schedule(highfield, tech, starts_on=timezone.localdate(), recurrence=Recurrence.WEEKLY, school_days_only=False,
             ci_kind="server", lead_days=0)  # fmt: skip
    assert maintenance_raise_due_task.acks_late
    assert maintenance_raise_due_task.run() == 1
    assert maintenance_raise_due_task.run() == 0
