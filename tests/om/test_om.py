"""The OM base: each function's policy and the allocation of its activities (om/services.py, om/views.py, om/api.py)."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from om import services
from om.models import ActivityAllocation, FunctionPolicy

pytestmark = pytest.mark.django_db


def test_the_network_manager_writes_a_policy_due_for_review_in_a_year(highfield, netmgr, tech):
    policy = services.policy_save(actor=netmgr, school=highfield, function="sysadmin", text="Back up nightly.",
                                  owner=tech)  # fmt: skip
    assert policy.owner == tech and policy.review_due is not None
    again = services.policy_save(actor=netmgr, school=highfield, function="sysadmin", text="Back up twice a day.")
    assert again.pk == policy.pk and FunctionPolicy.objects.count() == 1 and again.text == "Back up twice a day."
    reviewed = services.policy_review(actor=netmgr, policy=again, next_review=date(2027, 9, 1))
    assert reviewed.reviewed_by == netmgr and reviewed.review_due == date(2027, 9, 1)


def test_only_the_network_manager_writes_policies_and_allocates(highfield, tech, desk):
    with pytest.raises(PermissionDenied):
        services.policy_save(actor=tech, school=highfield, function="sysadmin", text="Mine now.")
    with pytest.raises(PermissionDenied):
        services.allocation_save(actor=desk, school=highfield, function="sysadmin", activity="Backups",
                                 frequency="daily")  # fmt: skip


def test_an_allocation_names_people_of_the_school_and_is_unique(highfield, netmgr, tech, tech2, desk):
    allocation = services.allocation_save(actor=netmgr, school=highfield, function="sysadmin",
                                          activity="Check the backups", frequency="daily", owner=tech,
                                          deputy=desk)  # fmt: skip
    assert (allocation.owner, allocation.deputy, allocation.allocated_by) == (tech, desk, netmgr)
    with pytest.raises(ValidationError) as error:
        services.allocation_save(actor=netmgr, school=highfield, function="sysadmin", activity="check the BACKUPS",
                                 frequency="daily")  # fmt: skip
    assert "activity" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.allocation_save(actor=netmgr, allocation=allocation, owner=tech2)  # another school's technician
    assert "owner" in error.value.message_dict
    with pytest.raises(ValidationError):
        services.allocation_save(actor=netmgr, school=highfield, function="printing-press", activity="x",
                                 frequency="daily")  # fmt: skip
    services.allocation_delete(actor=netmgr, allocation=allocation)
    assert not ActivityAllocation.objects.exists()


def test_the_function_page_shows_the_policy_and_who_owns_each_activity(highfield, netmgr, tech, desk, client_for):
    services.policy_save(actor=netmgr, school=highfield, function="sysadmin", text="We keep the servers healthy.")
    services.allocation_save(actor=netmgr, school=highfield, function="sysadmin", activity="Check the UPS",
                             frequency="weekly", owner=tech)  # fmt: skip
    page = client_for(desk).get(reverse("om:function", kwargs={"function": "sysadmin"}))
    body = page.content.decode()
    assert page.status_code == 200
    assert "We keep the servers healthy." in body and "Check the UPS" in body and str(tech) in body
    assert "Allocate an activity" not in body  # the desk reads; the network manager allocates
    assert reverse("sysadmin:routines") in body  # the function's own pages
    assert "Allocate an activity" in client_for(netmgr).get(reverse("om:function", args=["sysadmin"])).content.decode()
    assert client_for(desk).get("/om/functions/not-a-function/").status_code == 404
    index = client_for(desk).get(reverse("om:index")).content.decode()
    assert "Systems Administration" in index and "Patch Management" in index


def test_an_ict_user_does_not_find_the_operations_pages(highfield, staff, client_for, api_for):
    assert client_for(staff).get(reverse("om:index")).status_code == 404
    assert api_for(staff).get("/api/om/activities/").status_code == 404


def test_the_network_manager_allocates_through_the_pages(highfield, netmgr, tech, client_for):
    client = client_for(netmgr)
    data = {"school": highfield.pk, "activity": "Review the accounts", "frequency": "termly", "owner": tech.pk}
    response = client.post(reverse("om:allocation_create", args=["sysadmin"]), data)
    assert response.status_code == 302
    allocation = ActivityAllocation.objects.get()
    assert allocation.owner == tech and allocation.frequency == "termly"
    response = client.post(reverse("om:policy_edit", args=["sysadmin"]),
                           {"school": highfield.pk, "text": "Our policy.", "owner": tech.pk})  # fmt: skip
    assert response.status_code == 302 and FunctionPolicy.objects.get().text == "Our policy."


def test_the_api_lists_and_allocates(highfield, netmgr, tech, desk, api_for):
    created = api_for(netmgr).post("/api/om/activities/", {"school": highfield.pk, "function": "sysadmin",
                                   "activity": "Patch the servers", "frequency": "monthly", "owner": tech.pk},
                                   format="json")  # fmt: skip
    assert created.status_code == 201, created.content
    assert created.json()["owner"]["id"] == tech.pk
    assert api_for(desk).post("/api/om/activities/", {"school": highfield.pk, "function": "sysadmin",
                              "activity": "Mine", "frequency": "daily"}, format="json").status_code == 403  # fmt: skip
    rows = api_for(desk).get("/api/om/activities/?function=sysadmin").json()["results"]
    assert [row["activity"] for row in rows] == ["Patch the servers"]
    patched = api_for(netmgr).patch(f"/api/om/activities/{rows[0]['id']}/", {"frequency": "weekly"}, format="json")
    assert patched.status_code == 200 and patched.json()["frequency"] == "weekly"
