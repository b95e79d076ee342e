"""Change Management pages: raising a change, approving it, scheduling it around freezes, and who sees what."""

from __future__ import annotations

import pytest
from django.utils import timezone

from changes import services
from changes.models import ChangeKind, FreezeWindow, RequestForChange, Risk, Status
from tests.changes.conftest import LOW_RISK, at

pytestmark = pytest.mark.django_db


def page(response) -> str:
    return response.content.decode()


def local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def test_tech_raises_a_change_on_the_core_switch_and_cannot_approve_it(
    highfield, tech, netmgr, client_for, core_switch
):
    client = client_for(tech)
    assert client.get("/changes/new/").status_code == 200
    response = client.post(
        "/changes/new/",
        {
            "school": highfield.pk,
            "kind": ChangeKind.NORMAL,
            "title": "Upgrade the core switch firmware",
            "reason": "Vendor security advisory.",
            "cis": [core_switch.pk],
            "implementation_plan": "Upload the image, reboot in the evening.",
            "backout_plan": "Boot the previous image.",
        },
    )
    change = RequestForChange.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/changes/{change.pk}/"
    assert change.status == Status.DRAFT and list(change.cis.all()) == [core_switch]
    detail = page(client.get(f"/changes/{change.pk}/"))
    assert "HF-CORE-01" in detail and 'id="risk-form"' in detail

    client.post(f"/changes/{change.pk}/assess/", LOW_RISK)
    change.refresh_from_db()
    assert change.risk == Risk.LOW
    client.post(f"/changes/{change.pk}/submit/")
    change.refresh_from_db()
    assert change.status == Status.SUBMITTED

    # The requester is offered no approve button, and the service refuses the vote anyway.
    detail = page(client.get(f"/changes/{change.pk}/"))
    assert 'id="vote-form"' not in detail and "Network manager" in detail
    response = client.post(f"/changes/{change.pk}/vote/", {"decision": "approve", "comment": "Fine"}, follow=True)
    assert "You raised CHG-000001, so you cannot approve or reject it" in page(response)
    change.refresh_from_db()
    assert change.status == Status.SUBMITTED

    # The network manager sees the vote form and approves.
    manager = client_for(netmgr)
    assert 'id="vote-form"' in page(manager.get(f"/changes/{change.pk}/"))
    response = manager.post(f"/changes/{change.pk}/vote/", {"decision": "approve", "comment": "Go ahead."}, follow=True)
    change.refresh_from_db()
    assert change.status == Status.APPROVED
    assert "Go ahead." in page(response) and 'id="vote-form"' not in page(response)
    assert change.approvals.get().approver == netmgr


def test_a_technician_who_did_not_raise_it_cannot_approve_either(raise_change, netmgr, tech, client_for):
    change = raise_change(by=netmgr)
    client = client_for(tech)
    assert 'id="vote-form"' not in page(client.get(f"/changes/{change.pk}/"))
    response = client.post(f"/changes/{change.pk}/vote/", {"decision": "approve", "comment": "ok"}, follow=True)
    assert "Technicians cannot approve" in page(response) or "technicians cannot" in page(response)
    change.refresh_from_db()
    assert change.status == Status.SUBMITTED and not change.approvals.exists()


def test_a_change_in_a_freeze_is_refused_naming_the_window(raise_change, tech, netmgr, bolton, client_for):
    FreezeWindow.objects.create(
        authority=bolton, name="Summer exams", kind=FreezeWindow.Kind.EXAMS, starts="2027-05-10", ends="2027-06-25"
    )
    change = raise_change(by=tech)
    services.rfc_approve(change=change, approver=netmgr)
    client = client_for(tech)
    assert 'id="schedule-form"' in page(client.get(f"/changes/{change.pk}/"))
    response = client.post(
        f"/changes/{change.pk}/schedule/",
        {"planned_start": local(at(2027, 6, 2)), "planned_end": local(at(2027, 6, 2, 18))},
        follow=True,
    )
    assert "cannot run then: it falls in the freeze window “Summer exams” (exams, 10 May 2027 to 25 Jun 2027)" in page(
        response
    )
    change.refresh_from_db()
    assert change.status == Status.APPROVED
    client.post(
        f"/changes/{change.pk}/schedule/",
        {"planned_start": local(at(2027, 6, 26, 9)), "planned_end": local(at(2027, 6, 26, 12))},
    )
    change.refresh_from_db()
    assert change.status == Status.SCHEDULED


def test_the_detail_page_flags_conflicts_and_the_lifecycle_runs_through_the_buttons(
    raise_change, tech, netmgr, client_for, core_switch, mis_server
):
    window = {"planned_start": at(2027, 7, 1, 16), "planned_end": at(2027, 7, 1, 18)}
    first = raise_change(by=tech, cis=[core_switch])
    services.rfc_approve(change=first, approver=netmgr)
    services.rfc_schedule(change=first, actor=tech, **window)
    second = raise_change(by=tech, title="Patch the MIS server", cis=[mis_server], **window)
    services.rfc_approve(change=second, approver=netmgr)
    client = client_for(tech)
    detail = page(client.get(f"/changes/{second.pk}/"))
    assert 'id="conflicts"' in detail and first.reference in detail
    client.post(f"/changes/{first.pk}/start/")
    client.post(f"/changes/{first.pk}/implement/", {"note": "Done."})
    first.refresh_from_db()
    assert first.status == Status.IMPLEMENTED
    response = client.post(f"/changes/{first.pk}/close/", follow=True)
    assert "needs its post-implementation review" in page(response)
    manager = client_for(netmgr)
    manager.post(f"/changes/{first.pk}/review/", {"outcome": "successful", "notes": "Clean.", "cmdb_updated": "on"})
    manager.post(f"/changes/{first.pk}/close/")
    first.refresh_from_db()
    assert first.status == Status.CLOSED and first.reviewed_by == netmgr


def test_the_list_filters_by_kind_status_and_risk(raise_change, tech, highfield, client_for):
    normal = raise_change(by=tech, title="Normal one")
    draft = raise_change(by=tech, title="Draft one", submit=False, answers=None)
    client = client_for(tech)
    listing = page(client.get("/changes/"))
    assert normal.reference in listing and draft.reference in listing
    only_drafts = page(client.get("/changes/?status=draft"))
    assert draft.reference in only_drafts and normal.reference not in only_drafts
    low = page(client.get("/changes/?risk=low&kind=normal"))
    assert normal.reference in low and draft.reference not in low


def test_ict_users_and_other_schools_get_404(raise_change, tech, staff, outsider, client_for):
    change = raise_change(by=tech)
    assert client_for(staff).get("/changes/").status_code == 404
    assert client_for(staff).get(f"/changes/{change.pk}/").status_code == 404
    outside = client_for(outsider)
    assert outside.get(f"/changes/{change.pk}/").status_code == 404
    assert outside.post(f"/changes/{change.pk}/cancel/", {"note": "no"}).status_code == 404
    assert change.reference not in page(outside.get("/changes/"))
