"""The preventative maintenance pages: the schedules (overdue first), one schedule, creating and pausing one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from availability import maintenance
from availability.models import MaintenanceSchedule, Recurrence
from cmdb.services import ci_create
from incidents.models import Task

pytestmark = pytest.mark.django_db


def weekly(highfield, tech, title, *, starts_on, **values):
    values = {"ci_kind": "server", "recurrence": Recurrence.WEEKLY, "school_days_only": False} | values
    return maintenance.schedule_save(actor=tech, school=highfield, title=title, starts_on=starts_on, **values)


def test_overdue_schedules_come_first_with_their_last_task(client, highfield, tech):
    today = timezone.localdate()
    calm = weekly(highfield, tech, "Check server logs", starts_on=today + timedelta(days=3), lead_days=1)
    late = weekly(highfield, tech, "Test the UPS", starts_on=today - timedelta(days=3), lead_days=0)
    maintenance.maintenance_raise_due()
    task = Task.objects.get()
    client.force_login(tech)
    page = client.get(reverse("availability:maintenance_list"))
    assert page.status_code == 200
    assert [s.pk for s in page.context["schedules"]] == [late.pk, calm.pk]
    html = page.content.decode()
    assert task.reference in html and "Overdue" in html


def test_the_empty_list_says_what_maintenance_is(client, tech):
    client.force_login(tech)
    assert (
        "clean the projector filters each half-term"
        in client.get(reverse("availability:maintenance_list")).content.decode()
    )


def test_the_schedule_page_shows_the_plan_the_coming_dates_and_its_tasks(client, highfield, tech):
    ci_create(school=highfield, actor=tech, kind="server", name="File server")
    today = timezone.localdate()
    plan = weekly(highfield, tech, "Check server logs", starts_on=today, checklist="Event log\nBackup log", lead_days=0)
    maintenance.maintenance_raise_due()
    client.force_login(tech)
    page = client.get(plan.get_absolute_url())
    html = page.content.decode()
    assert page.status_code == 200
    assert len(page.context["upcoming"]) == 5
    assert "Event log" in html and "File server" in html
    task = Task.objects.get()
    assert task.reference in html
    # The task links back to the schedule that raised it.
    assert plan.get_absolute_url() in client.get(task.get_absolute_url()).content.decode()


def test_creating_and_pausing_a_schedule_from_the_pages(client, highfield, tech):
    ups = ci_create(school=highfield, actor=tech, kind="peripheral", name="UPS hub")
    client.force_login(tech)
    assert client.get(reverse("availability:maintenance_create")).status_code == 200
    response = client.post(
        reverse("availability:maintenance_create"),
        {
            "school": highfield.pk,
            "title": "Test the UPS battery",
            "ci": ups.pk,
            "recurrence": "yearly",
            "every": 1,
            "lead_days": 14,
            "starts_on": "2027-03-01",
            "checklist": "Run the battery test",
        },
    )
    plan = MaintenanceSchedule.objects.get()
    assert response.status_code == 302 and response.url == plan.get_absolute_url()
    assert plan.next_due.isoformat() == "2027-03-01" and plan.ci == ups and not plan.school_days_only
    client.post(reverse("availability:maintenance_pause", args=[plan.pk]))
    plan.refresh_from_db()
    assert not plan.is_active
    assert "Paused" in client.get(plan.get_absolute_url()).content.decode()


def test_a_form_error_says_what_is_missing(client, highfield, tech):
    client.force_login(tech)
    response = client.post(
        reverse("availability:maintenance_create"),
        {"school": highfield.pk, "title": "Something", "recurrence": "weekly", "every": 1, "lead_days": 7},
    )
    assert response.status_code == 200
    assert "Choose the device to maintain" in response.content.decode()
    assert not MaintenanceSchedule.objects.exists()


def test_the_desk_reads_but_does_not_change_schedules(client, highfield, tech, desk):
    plan = weekly(highfield, tech, "Check server logs", starts_on=timezone.localdate())
    client.force_login(desk)
    assert client.get(plan.get_absolute_url()).status_code == 200
    client.post(reverse("availability:maintenance_pause", args=[plan.pk]))
    plan.refresh_from_db()
    assert plan.is_active
