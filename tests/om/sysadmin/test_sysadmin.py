"""Systems Administration: routine operations (maintenance schedules of the sysadmin function, raised against the
school calendar), server logbooks and run books."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from availability import maintenance
from availability.models import MaintenanceSchedule, Recurrence
from cmdb.services import ci_create
from fits.models import Activity, Notification
from incidents import task_services
from incidents.models import Task, TaskOrigin
from om.models import ActivityAllocation
from om.sysadmin import services
from om.sysadmin.models import LogbookEntry, RunBookVersion

pytestmark = pytest.mark.django_db

HALF_TERMS = [
    ("Autumn 1", date(2026, 9, 3), date(2026, 10, 23)),
    ("Autumn 2", date(2026, 11, 2), date(2026, 12, 18)),
    ("Spring 1", date(2027, 1, 4), date(2027, 2, 12)),
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
    closure_add(calendar=calendar, actor=admin_user, kind="closure", name="Snow", starts=date(2027, 1, 4))
    return calendar


def daily(highfield, actor, *, starts_on: date, **values):
    values = {"title": "Check the overnight backups", "recurrence": Recurrence.DAILY, "lead_days": 0} | values
    return services.routine_save(actor=actor, school=highfield, starts_on=starts_on, now=at(starts_on), **values)


def test_every_school_day_skips_weekends_holidays_and_closures(calendar, highfield, tech):
    routine = daily(highfield, tech, starts_on=date(2026, 12, 17))  # a Thursday, two days before Christmas holidays
    dates = [occurrence.due for occurrence in maintenance.upcoming(routine, count=4)]
    # Thu 17, Fri 18 Dec; then the holidays, and the snow closes 4 January: Tue 5, Wed 6 January.
    assert dates == [date(2026, 12, 17), date(2026, 12, 18), date(2027, 1, 5), date(2027, 1, 6)]
    starting_on_a_saturday = daily(highfield, tech, starts_on=date(2026, 11, 7), title="Check the logs")
    assert starting_on_a_saturday.next_due == date(2026, 11, 9)


def test_daily_without_school_days_steps_every_day(highfield, tech):
    routine = daily(highfield, tech, starts_on=date(2026, 11, 6), school_days_only=False, every=2)
    assert [o.nominal for o in maintenance.upcoming(routine, count=3)] == [
        date(2026, 11, 6), date(2026, 11, 8), date(2026, 11, 10)]  # fmt: skip


def test_a_routine_task_is_raised_once_a_day_as_a_routine_operation_with_its_checklist(calendar, highfield, tech):
    routine = daily(highfield, tech, starts_on=date(2026, 11, 5), checklist="Jobs finished\nFailures re-run",
                    assignee=tech)  # fmt: skip
    assert routine.function == "sysadmin" and routine.ci is None  # a routine operation needs no device
    assert maintenance.maintenance_raise_due(now=at(date(2026, 11, 5))) == 1
    assert maintenance.maintenance_raise_due(now=at(date(2026, 11, 5))) == 0  # however often it runs
    task = Task.objects.get()
    assert task.origin == TaskOrigin.ROUTINE and task.due_on == date(2026, 11, 5) and task.assignee == tech
    assert [step.text for step in task.steps.order_by("position")] == ["Jobs finished", "Failures re-run"]
    # Friday's, then Monday's: the weekend raises nothing.
    assert maintenance.maintenance_raise_due(now=at(date(2026, 11, 6))) == 1
    assert maintenance.maintenance_raise_due(now=at(date(2026, 11, 8))) == 0
    assert maintenance.maintenance_raise_due(now=at(date(2026, 11, 9))) == 1
    # Completion is tracked with the evidence; an open one past its day is overdue and told to its owner.
    first = Task.objects.order_by("due_on").first()
    task_services.task_complete(task=first, actor=tech, outcome="All 4 jobs OK.")
    assert task_services.tasks_overdue_notify(now=at(date(2026, 11, 10))) == 2  # Friday's and Monday's
    assert Notification.objects.filter(event="task_overdue", recipient=tech).exists()


def test_preventative_maintenance_still_needs_a_device(highfield, tech):
    with pytest.raises(ValidationError):
        maintenance.schedule_save(actor=tech, school=highfield, title="Dust", recurrence="weekly",
                                  starts_on=date(2026, 11, 2))  # fmt: skip


def test_loading_the_fits_routine_operations_allocates_each_once(calendar, highfield, netmgr, tech, desk):
    result = services.routines_load(actor=netmgr, school=highfield, owner=tech, deputy=netmgr, now=at(date(2026, 9, 1)))
    assert len(result.created) == 6 and not result.notes
    routines = {s.title: s for s in MaintenanceSchedule.objects.filter(function="sysadmin")}
    assert routines["Check the overnight backups"].recurrence == Recurrence.DAILY
    assert routines["Check the UPS"].recurrence == Recurrence.WEEKLY
    assert routines["Test a restore from backup"].recurrence == Recurrence.TERMLY
    assert routines["Test a restore from backup"].next_due == date(2026, 9, 3)  # the first term from the calendar
    assert {s.assignee for s in routines.values()} == {tech}
    allocations = ActivityAllocation.objects.filter(function="sysadmin")
    assert allocations.count() == 6 and {(a.owner, a.deputy) for a in allocations} == {(tech, netmgr)}
    again = services.routines_load(actor=netmgr, school=highfield, owner=tech)
    assert again.created == [] and len(again.kept) == 6 and MaintenanceSchedule.objects.count() == 6
    with pytest.raises(PermissionDenied):
        services.routines_load(actor=tech, school=highfield)
    with pytest.raises(ValidationError):
        services.routines_load(actor=netmgr, school=highfield, owner=desk)  # the desk does not work tasks


def test_without_term_dates_the_termly_ones_fall_back_and_say_so(highfield, netmgr):
    result = services.routines_load(actor=netmgr, school=highfield)
    assert len(result.created) == 6 and len(result.notes) == 2
    restore = MaintenanceSchedule.objects.get(title="Test a restore from backup")
    assert (restore.recurrence, restore.every) == (Recurrence.MONTHLY, 4)


def test_routine_operations_have_their_page_and_stay_off_the_maintenance_list(highfield, netmgr, tech, client_for):
    services.routines_load(actor=netmgr, school=highfield, owner=tech, now=at(date(2026, 11, 2)))  # a Monday
    ups = ci_create(school=highfield, actor=tech, kind="peripheral", name="UPS-01")
    maintenance.schedule_save(actor=tech, school=highfield, title="Clean the UPS fans", ci=ups, recurrence="yearly",
                              starts_on=date(2026, 11, 2))  # fmt: skip
    maintenance.maintenance_raise_due(now=at(date(2026, 11, 2)))  # the daily checks are due that day: overdue now
    client = client_for(tech)
    routines = client.get(reverse("sysadmin:routines")).content.decode()
    assert "Check the overnight backups" in routines and "Clean the UPS fans" not in routines
    assert "is-overdue" in routines  # an open routine task past its day
    listed = client.get(reverse("availability:maintenance_list")).content.decode()
    assert "Clean the UPS fans" in listed and "Check the overnight backups" not in listed
    routine = MaintenanceSchedule.objects.get(title="Check the UPS")
    detail = client.get(routine.get_absolute_url()).content.decode()
    assert "Routine operation" in detail and "No one device" in detail


def test_the_network_manager_loads_them_from_the_page(highfield, netmgr, tech, client_for):
    page = client_for(netmgr).get(reverse("sysadmin:routines")).content.decode()
    assert "Load the FITS routine operations" in page
    response = client_for(netmgr).post(reverse("sysadmin:routines_load"), {"owner": tech.pk})
    assert response.status_code == 302 and MaintenanceSchedule.objects.filter(function="sysadmin").count() == 6
    assert "Load the FITS routine operations" not in client_for(tech).get(reverse("sysadmin:routines")).content.decode()


# =============================================================================
# Logbooks
# =============================================================================


def test_a_logbook_entry_is_on_the_servers_timeline_as_an_internal_note(highfield, tech, desk):
    server = ci_create(school=highfield, actor=tech, kind="server", name="SRV-01")
    entry = services.logbook_add(actor=tech, ci=server, text="Replaced a failed disk in the RAID.", kind="maintenance")
    assert entry.author == tech and entry.school_id == highfield.pk
    note = Activity.objects.filter(object_id=server.pk, kind=Activity.Kind.COMMENT).get()
    assert not note.public and "Replaced a failed disk" in note.text
    with pytest.raises(PermissionDenied):
        services.logbook_add(actor=desk, ci=server, text="Looked at it.")
    pc = ci_create(school=highfield, actor=tech, kind="desktop", name="PC-01")
    with pytest.raises(ValidationError):
        services.logbook_add(actor=tech, ci=pc, text="Not a server.")


def test_the_logbook_page_and_api(highfield, tech, desk, client_for, api_for):
    server = ci_create(school=highfield, actor=tech, kind="server", name="SRV-01")
    response = client_for(tech).post(reverse("sysadmin:logbook_add", args=[server.pk]),
                                     {"kind": "fault", "text": "Fan noise from PSU 2."})  # fmt: skip
    assert response.status_code == 302
    page = client_for(desk).get(reverse("sysadmin:logbook", args=[server.pk])).content.decode()
    assert "Fan noise from PSU 2." in page and "Write in the logbook" not in page
    servers = client_for(desk).get(reverse("sysadmin:servers")).content.decode()
    assert "SRV-01" in servers and "Fan noise" in servers
    created = api_for(tech).post("/api/sysadmin/logbook/", {"ci": server.pk, "kind": "check", "text": "OK."},
                                 format="json")  # fmt: skip
    assert created.status_code == 201, created.content
    rows = api_for(desk).get(f"/api/sysadmin/logbook/?ci={server.pk}").json()["results"]
    assert [row["text"] for row in rows] == ["OK.", "Fan noise from PSU 2."]
    assert LogbookEntry.objects.count() == 2


def test_a_servers_cmdb_page_has_its_logbook_tab_and_a_desktops_has_none(highfield, tech, desk, client_for):
    server = ci_create(school=highfield, actor=tech, kind="server", name="SRV-01")
    pc = ci_create(school=highfield, actor=tech, kind="desktop", name="PC-01")
    page = client_for(tech).get(f"{server.get_absolute_url()}?tab=logbook").content.decode()
    assert "?tab=logbook" in page and "Nothing is written in this server's logbook yet" in page
    assert "Write in the logbook" in page
    services.logbook_add(actor=tech, ci=server, text="Replaced a failed disk in the RAID.", kind="maintenance")
    page = client_for(desk).get(f"{server.get_absolute_url()}?tab=logbook").content.decode()
    assert "Replaced a failed disk in the RAID." in page and "Write in the logbook" not in page
    assert "?tab=logbook" not in client_for(tech).get(pc.get_absolute_url()).content.decode()


# =============================================================================
# Run books
# =============================================================================


def test_a_run_book_is_versioned_and_reviewed_by_someone_else(highfield, tech, netmgr):
    service = ci_create(school=highfield, actor=tech, kind="service", name="MIS",
                        attributes={"purpose": "management"})  # fmt: skip
    book = services.run_book_create(actor=tech, school=highfield, title="MIS server", ci=service,
                                    start="Power on the VM host, then the MIS VM.",
                                    contacts="Supplier: 0161 000")  # fmt: skip
    assert book.version == 1 and book.owner == tech and book.review_due is None
    with pytest.raises(ValidationError):  # nothing changed
        services.run_book_revise(actor=tech, run_book=book, start="Power on the VM host, then the MIS VM.",
                                 contacts="Supplier: 0161 000")  # fmt: skip
    version = services.run_book_revise(actor=tech, run_book=book, start="Power on the host.",
                                       restore="Restore last night's backup to the spare host.")  # fmt: skip
    assert version.number == 2 and RunBookVersion.objects.filter(run_book=book).count() == 2
    with pytest.raises(PermissionDenied):
        services.run_book_review(actor=tech, run_book=book)
    reviewed = services.run_book_review(actor=netmgr, run_book=book, note="Tested in October.",
                                        now=at(date(2026, 11, 2)))  # fmt: skip
    assert reviewed.number == 2 and reviewed.reviewed_by == netmgr
    book.refresh_from_db()
    assert book.review_due == date(2027, 11, 2)
    mine = services.run_book_create(actor=netmgr, school=highfield, title="Backups", ci=service, start="Start.")
    with pytest.raises(ValidationError):
        services.run_book_review(actor=netmgr, run_book=mine)
    with pytest.raises(ValidationError):
        services.run_book_create(actor=tech, school=highfield, title="Nothing", start="Start.")  # no service


def test_run_book_pages_and_api(highfield, tech, netmgr, desk, client_for, api_for):
    service = ci_create(school=highfield, actor=tech, kind="service", name="Email",
                        attributes={"purpose": "management"})  # fmt: skip
    response = client_for(tech).post(reverse("sysadmin:runbook_create"), {
        "school": highfield.pk, "title": "Email", "ci": service.pk, "start": "Start the mail relay.",
        "stop": "Stop it."})  # fmt: skip
    assert response.status_code == 302
    book = service.run_books.get()
    page = client_for(netmgr).get(book.get_absolute_url()).content.decode()
    assert "Start the mail relay." in page and "Review version 1" in page
    assert client_for(netmgr).post(reverse("sysadmin:runbook_review", args=[book.pk])).status_code == 302
    assert "Review version 1" not in client_for(netmgr).get(book.get_absolute_url()).content.decode()
    listed = api_for(desk).get("/api/sysadmin/runbooks/").json()["results"]
    assert listed[0]["current"]["start"] == "Start the mail relay." and listed[0]["current"]["reviewed_by"]
    assert "Email" in client_for(desk).get(reverse("sysadmin:runbooks")).content.decode()


def test_the_demo_has_overdue_routine_tasks_a_logbook_and_a_reviewed_run_book(highfield, cast):
    from om.models import FunctionPolicy
    from om.sysadmin.demo import seed_sysadmin
    from om.sysadmin.models import RunBook

    tech = cast["tech"]
    ci_create(school=highfield, actor=tech, kind="server", name="SRV-01")
    ci_create(school=highfield, actor=tech, kind="service", name="MIS", attributes={"purpose": "management"})
    added = seed_sysadmin({"highfield": highfield}, cast)
    assert added["routine operations"] == 6 and added["logbook entries"] == 3 and added["run books"] == 1
    from django.utils import timezone

    overdue = Task.objects.filter(origin=TaskOrigin.ROUTINE, status="open", due_on__lt=timezone.localdate())
    assert overdue.exists()
    assert Task.objects.filter(origin=TaskOrigin.ROUTINE, status="done").count() == 1
    assert FunctionPolicy.objects.filter(function="sysadmin").exists()
    assert RunBook.objects.get().versions.get().reviewed_by == cast["netmgr"]
    assert seed_sysadmin({"highfield": highfield}, cast) == {}  # once
