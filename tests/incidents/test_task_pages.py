"""The task pages and API: the list, the checklist ticked with and without htmx, completing with evidence."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from incidents import task_services as tasks
from incidents.models import Task, TaskStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def ups_task(highfield, tech):
    return tasks.task_raise(
        school=highfield,
        title="Test the UPS battery",
        steps=["Run the battery test", "Record the runtime", "Check the alarm"],
        due_on=timezone.localdate() - timedelta(days=2),
        actor=tech,
    )


def test_the_list_shows_open_tasks_due_soonest_first_and_marks_the_overdue(client, highfield, tech, ups_task):
    later = tasks.task_raise(school=highfield, title="Check server logs", due_on=date(2099, 1, 1), actor=tech)
    undated = tasks.task_raise(school=highfield, title="Tidy the comms cupboard", actor=tech)
    done = tasks.task_raise(school=highfield, title="Old work", actor=tech)
    tasks.task_complete(task=done, actor=tech, outcome="Done")
    client.force_login(tech)
    page = client.get(reverse("incidents:task_list"))
    assert page.status_code == 200
    assert [t.pk for t in page.context["tasks"]] == [ups_task.pk, later.pk, undated.pk]
    html = page.content.decode()
    assert "0 of 3" in html and "Overdue" in html
    overdue = client.get(reverse("incidents:task_list"), {"show": "overdue"})
    assert [t.pk for t in overdue.context["tasks"]] == [ups_task.pk]
    finished = client.get(reverse("incidents:task_list"), {"status": "done"})
    assert [t.pk for t in finished.context["tasks"]] == [done.pk]


def test_the_empty_list_says_what_tasks_are(client, tech):
    client.force_login(tech)
    html = client.get(reverse("incidents:task_list")).content.decode()
    assert "planned work for the technicians" in html


def test_people_without_a_support_role_do_not_find_tasks(client, staff, ups_task):
    client.force_login(staff)
    assert client.get(reverse("incidents:task_list")).status_code == 404
    assert client.get(ups_task.get_absolute_url()).status_code == 404


def test_the_task_page_shows_the_checklist_progress_and_the_actions(client, tech, ups_task):
    client.force_login(tech)
    html = client.get(ups_task.get_absolute_url()).content.decode()
    assert "0 of 3 done" in html
    assert "Run the battery test" in html
    assert reverse("incidents:task_transition", args=[ups_task.pk, "complete"]) in html
    assert reverse("incidents:task_step", args=[ups_task.pk, ups_task.steps.first().pk]) in html


def test_ticking_without_javascript_comes_back_to_the_task(client, tech, ups_task):
    client.force_login(tech)
    step = ups_task.steps.first()
    response = client.post(reverse("incidents:task_step", args=[ups_task.pk, step.pk]), {"done": "on"})
    assert response.status_code == 302 and response.url.endswith("#checklist")
    step.refresh_from_db()
    assert step.is_done


def test_ticking_with_htmx_swaps_the_checklist(client, tech, ups_task):
    client.force_login(tech)
    step = ups_task.steps.first()
    response = client.post(
        reverse("incidents:task_step", args=[ups_task.pk, step.pk]),
        {"done": "on", "note": "Held 14 minutes"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith("<section") or 'id="checklist"' in html
    assert "1 of 3 done" in html and "Held 14 minutes" in html
    ups_task.refresh_from_db()
    assert ups_task.status == TaskStatus.IN_PROGRESS


def test_completing_from_the_page_records_the_evidence(client, tech, ups_task):
    client.force_login(tech)
    url = reverse("incidents:task_transition", args=[ups_task.pk, "complete"])
    client.post(url, {"note": ""})
    ups_task.refresh_from_db()
    assert ups_task.status == TaskStatus.OPEN  # no evidence, no completion
    client.post(url, {"note": "Battery held 14 minutes; alarm works."})
    ups_task.refresh_from_db()
    assert ups_task.status == TaskStatus.DONE and ups_task.outcome == "Battery held 14 minutes; alarm works."


def test_raising_a_task_from_the_page(client, highfield, tech):
    client.force_login(tech)
    assert client.get(reverse("incidents:task_create")).status_code == 200
    response = client.post(
        reverse("incidents:task_create"),
        {"school": highfield.pk, "title": "Label the patch panel", "steps": "Port 1-24\nPort 25-48", "due_on": ""},
    )
    task = Task.objects.get(title="Label the patch panel")
    assert response.status_code == 302 and response.url == task.get_absolute_url()
    assert task.steps.count() == 2 and task.created_by == tech


def test_editing_and_assigning_from_the_page(client, tech, netmgr, ups_task):
    client.force_login(netmgr)
    response = client.post(reverse("incidents:task_edit", args=[ups_task.pk]), {"title": "Test the UPS in the hub"})
    assert response.status_code == 302
    client.post(reverse("incidents:task_assign", args=[ups_task.pk]), {"assignee": tech.pk, "group": ""})
    ups_task.refresh_from_db()
    assert ups_task.title == "Test the UPS in the hub" and ups_task.assignee == tech


def test_the_api_raises_ticks_and_completes(highfield, tech, desk):
    api = APIClient()
    api.force_authenticate(tech)
    made = api.post(
        "/api/tasks/",
        {"school": highfield.slug, "title": "Check server logs", "steps": ["Event log", "Backup log"]},
        format="json",
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["reference"].startswith("TSK-") and body["progress"] == {"done": 0, "total": 2}
    assert body["actions"] == ["start", "complete", "cancel"]
    step = body["steps"][0]["id"]
    ticked = api.post(f"/api/tasks/{body['id']}/step/", {"step": step, "note": "Clean"}, format="json")
    assert ticked.json()["progress"] == {"done": 1, "total": 2} and ticked.json()["status"] == "in_progress"
    refused = api.post(f"/api/tasks/{body['id']}/complete/", {"outcome": ""}, format="json")
    assert refused.status_code == 400
    done = api.post(f"/api/tasks/{body['id']}/complete/", {"outcome": "No errors."}, format="json")
    assert done.json()["status"] == "done"
    listed = api.get("/api/tasks/", {"status": "done"})
    assert [row["id"] for row in listed.json()["results"]] == [body["id"]]
    api.force_authenticate(desk)
    assert api.post(f"/api/tasks/{body['id']}/transition/", {"action": "reopen"}, format="json").status_code == 403
