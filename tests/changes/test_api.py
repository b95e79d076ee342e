"""/api/changes/: requests for change through the API, their lifecycle as actions calling changes.services,
and the configuration they are planned around (templates, freeze and maintenance windows, boards)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from changes import services
from changes.models import (
    CABMeeting,
    ChangeAdvisoryBoard,
    ChangeApproval,
    ChangeTemplate,
    FreezeWindow,
    MaintenanceWindow,
    RequestForChange,
    Status,
)
from cmdb import services as cmdb_services
from cmdb.models import Kind
from fits.activity import timeline
from tests.changes.conftest import HIGH_RISK, LOW_RISK, at

pytestmark = pytest.mark.django_db


def errors(response, code: int = 400) -> dict[str, list[str]]:
    """The standardised error body as {field (or None): [messages]}."""
    assert response.status_code == code, response.content
    found: dict[str, list[str]] = {}
    for error in response.json()["errors"]:
        found.setdefault(error["attr"], []).append(error["detail"])
    return found


def messages(response, code: int = 400) -> str:
    return " ".join(message for found in errors(response, code).values() for message in found)


def raise_payload(**fields) -> dict:
    return {
        "school": "highfield",
        "title": "Upgrade the core switch firmware",
        "reason": "Vendor security advisory.",
        "implementation_plan": "Upload the image, reboot in the evening.",
        "test_plan": "Ping every edge switch.",
        "backout_plan": "Boot the previous image.",
        **fields,
    }


@pytest.fixture
def exams(bolton):
    return FreezeWindow.objects.create(
        authority=bolton, name="Summer exams", kind=FreezeWindow.Kind.EXAMS, starts="2027-05-10", ends="2027-06-25"
    )


# =============================================================================
# The journey
# =============================================================================


def test_the_journey_through_the_api(tech, netmgr, core_switch, mis_server, exams, raise_change, api_for):
    technician, manager = api_for(tech), api_for(netmgr)
    # A change already planned on the switch the new one depends on.
    switch_work = raise_change(by=tech, cis=[core_switch], title="Re-cable the core")
    services.rfc_approve(change=switch_work, approver=netmgr)
    services.rfc_schedule(change=switch_work, actor=tech, planned_start=at(2027, 3, 3), planned_end=at(2027, 3, 3, 18))

    # The technician raises, assesses and submits.
    response = technician.post(
        "/api/changes/", raise_payload(title="Patch the MIS server", cis=[mis_server.pk]), format="json"
    )
    assert response.status_code == 201, response.content
    change = response.json()
    assert change["reference"] == "CHG-000002" and change["status"] == "draft" and change["risk"] == ""
    assert change["requester"]["username"] == "tech" and change["school"] == "highfield"
    assert [ci["display"] for ci in change["cis"]] == ["HF-SRV-01"]
    assert change["allowed_actions"] == ["update", "assess", "submit", "cancel"]
    url = f"/api/changes/{change['id']}/"

    refused = technician.post(f"{url}assess/", {"answers": {"users_affected": "everyone"}}, format="json")
    found = errors(refused)
    assert set(found) == {"users_affected", "service_criticality", "tested", "backout", "school_day"}
    assert "with one of: one, few, department, school" in found["users_affected"][0]

    response = technician.post(f"{url}assess/", {"answers": LOW_RISK}, format="json")
    assert response.status_code == 200, response.content
    assessed = response.json()
    assert assessed["risk"] == "low" and assessed["risk_score"] == 1
    assert {row["key"]: row["label"] for row in assessed["risk_answers"]}["users_affected"] == "A few (under 10)"

    response = technician.post(f"{url}submit/")
    assert response.status_code == 200, response.content
    submitted = response.json()
    assert submitted["status"] == "submitted"
    assert submitted["approval"]["awaiting"] == ["network_manager"]
    assert "vote" not in submitted["allowed_actions"]

    # The technician cannot approve; the answer says who can.
    refused = technician.post(f"{url}vote/", {"decision": "approve"}, format="json")
    assert "you cannot approve or reject it: someone else must" in messages(refused)
    assert not ChangeApproval.objects.filter(change_id=change["id"]).exists()

    # The network manager sees it awaiting them, and approves.
    awaiting = manager.get("/api/changes/?awaiting_my_approval=1").json()
    assert [row["reference"] for row in awaiting["results"]] == ["CHG-000002"]
    assert "vote" in manager.get(url).json()["allowed_actions"]
    response = manager.post(f"{url}vote/", {"decision": "approve", "comment": "Fine by me."}, format="json")
    assert response.status_code == 200, response.content
    approved = response.json()
    assert approved["status"] == "approved"
    (vote,) = approved["approvals"]
    assert vote["approver"]["username"] == "netmgr" and vote["role"] == "network_manager"
    assert vote["decision"] == "approve" and vote["comment"] == "Fine by me." and vote["meeting"] is None
    assert manager.get("/api/changes/?awaiting_my_approval=1").json()["results"] == []

    # Scheduling it in the exam freeze is refused, naming the freeze; outside it, it is scheduled.
    in_exams = {"planned_start": "2027-05-12T16:00:00Z", "planned_end": "2027-05-12T18:00:00Z"}
    refused = technician.post(f"{url}schedule/", in_exams, format="json")
    assert (
        "falls in the freeze window “Summer exams” (exams, 10 May 2027 to 25 Jun 2027)"
        in (errors(refused)["planned_start"][0])
    )
    assert RequestForChange.objects.get(pk=change["id"]).status == Status.APPROVED
    window = {"planned_start": at(2027, 3, 3, 17).isoformat(), "planned_end": at(2027, 3, 3, 19).isoformat()}
    response = technician.post(f"{url}schedule/", window, format="json")
    assert response.status_code == 200, response.content
    scheduled = response.json()
    assert scheduled["status"] == "scheduled"
    # The conflict with the switch work shows on the change.
    (conflict,) = scheduled["conflicts"]
    assert conflict["change"]["reference"] == switch_work.reference
    assert [ci["display"] for ci in conflict["dependent"]] == ["HF-CORE-01"] and conflict["same"] == []
    assert "changes dependent HF-CORE-01 at the same time" in conflict["text"]

    # Work, review, close.
    assert technician.post(f"{url}start/").json()["status"] == "in_progress"
    assert errors(technician.post(f"{url}fail/", {}, format="json"))["note"] == ["This field is required."]
    implemented = technician.post(f"{url}implement/", {"note": "Patched."}, format="json").json()
    assert implemented["status"] == "implemented" and implemented["allowed_actions"] == []
    refused = technician.post(f"{url}review/", {"outcome": "successful", "notes": "Went well."}, format="json")
    assert refused.status_code == 403 and refused.json()["errors"][0]["detail"] == "You cannot review CHG-000002."
    refused = manager.post(f"{url}close/", {}, format="json")
    assert "needs its post-implementation review before it is closed" in messages(refused)
    review = {"outcome": "successful", "notes": "Went well.", "cmdb_updated": True}
    reviewed = manager.post(f"{url}review/", review, format="json").json()
    assert reviewed["review_outcome"] == "successful" and reviewed["cmdb_updated"] is True
    assert reviewed["reviewed_by"]["username"] == "netmgr"
    closed = manager.post(f"{url}close/", {}, format="json").json()
    assert closed["status"] == "closed" and closed["closed_at"]

    entries = technician.get(f"{url}activity/").json()
    stored = RequestForChange.objects.get(pk=change["id"])
    assert entries["count"] == timeline(stored, include_internal=True).count() >= 9
    assert entries["results"][0]["text"] == "Raised."


def test_a_high_risk_change_waits_for_the_boards_quorum(tech, netmgr, leader, consultant, highfield, raise_change,
                                                         api_for):  # fmt: skip
    board = ChangeAdvisoryBoard.objects.create(school=highfield, name="Highfield CAB", quorum=2)
    board.members.set([netmgr, leader, tech])
    change = raise_change(by=tech, answers=HIGH_RISK)
    url = f"/api/changes/{change.pk}/"
    for who in ("netmgr", "leader"):
        awaiting = api_for({"netmgr": netmgr, "leader": leader}[who]).get("/api/changes/?awaiting_my_approval=true")
        assert [row["id"] for row in awaiting.json()["results"]] == [change.pk], who
    assert api_for(consultant).get("/api/changes/?awaiting_my_approval=1").json()["results"] == []  # not a member
    refused = api_for(netmgr).post(f"{url}vote/", {"decision": "approve"}, format="json")
    assert errors(refused)["comment"] == ["Give the reason for your decision: it is minuted with your vote."]
    other_board = ChangeAdvisoryBoard.objects.create(school=highfield, name="Network CAB", quorum=1)
    elsewhere = CABMeeting.objects.create(board=other_board, school=highfield, held_at=at(2027, 3, 1))
    vote = {"decision": "approve", "comment": "Tested.", "meeting": elsewhere.pk}
    assert "another board decides it" in messages(api_for(netmgr).post(f"{url}vote/", vote, format="json"))
    meeting = CABMeeting.objects.create(board=board, school=highfield, held_at=at(2027, 3, 2))
    first = api_for(netmgr).post(f"{url}vote/", {**vote, "meeting": meeting.pk}, format="json").json()
    assert first["status"] == "submitted" and first["approval"]["cab_approvals"] == 1
    assert first["approvals"][0]["meeting"] == {"id": meeting.pk, "display": str(meeting)}
    assert list(meeting.attendees.all()) == [netmgr]
    assert first["cab"] == {"id": board.pk, "display": "Highfield CAB", "quorum": 2}
    assert api_for(netmgr).get("/api/changes/?awaiting_my_approval=1").json()["results"] == []  # voted already
    second = api_for(leader).post(f"{url}vote/", {"decision": "approve", "comment": "Agreed."}, format="json").json()
    assert second["status"] == "approved" and [v["role"] for v in second["approvals"]] == ["cab", "cab"]


# =============================================================================
# Mass assignment and validation
# =============================================================================


def test_fields_set_by_the_workflow_cannot_be_written(tech, riverside, api_for):
    client = api_for(tech)
    forged = raise_payload(reference="CHG-999999", status="approved", risk="low", requester=1)
    found = errors(client.post("/api/changes/", forged, format="json"))
    assert set(found) == {"reference", "status", "risk", "requester"}
    assert not RequestForChange.objects.exists()

    change = client.post("/api/changes/", raise_payload(), format="json").json()
    url = f"/api/changes/{change['id']}/"
    for field, value in [("status", "approved"), ("reference", "CHG-1"), ("risk", "low"), ("requester", 1),
                         ("school", "riverside"), ("approved_at", "2027-01-01T00:00:00Z")]:  # fmt: skip
        found = errors(client.patch(url, {field: value, "title": "Changed"}, format="json"))
        assert set(found) == {field}, field
    stored = RequestForChange.objects.get(pk=change["id"])
    assert (stored.title, stored.status, stored.reference, stored.risk) == (change["title"], "draft", "CHG-000001", "")
    assert stored.school.slug == "highfield"
    assert "stays at the school it was raised at" in messages(client.patch(url, {"school": "riverside"}, format="json"))

    edited = client.patch(url, {"title": "Upgrade the firmware", "planned_start": None}, format="json")
    assert edited.status_code == 200, edited.content
    assert edited.json()["title"] == "Upgrade the firmware"
    assert RequestForChange.objects.get(pk=change["id"]).title == "Upgrade the firmware"


def test_only_a_draft_is_edited_and_only_by_those_who_raise_changes(tech, leader, raise_change, api_for):
    change = raise_change(by=tech)
    url = f"/api/changes/{change.pk}/"
    assert "only a draft can be edited" in messages(api_for(tech).patch(url, {"title": "Later"}, format="json"))
    draft = raise_change(by=tech, submit=False)
    refused = api_for(leader).patch(f"/api/changes/{draft.pk}/", {"title": "Mine now"}, format="json")
    assert refused.status_code == 403
    assert RequestForChange.objects.get(pk=draft.pk).title == "Upgrade the core switch firmware"


def test_raising_needs_a_school_where_you_raise_changes(leader, tech, api_for):
    assert api_for(leader).post("/api/changes/", raise_payload(), format="json").status_code == 403
    assert set(errors(api_for(tech).post("/api/changes/", raise_payload(school="riverside"), format="json"))) == {
        "school"
    }
    assert not RequestForChange.objects.exists()


def test_a_standard_change_follows_a_template(tech, bolton, api_for):
    template = ChangeTemplate.objects.create(
        authority=bolton, name="Replace a printer's toner", implementation_plan="Swap the cartridge.",
        duration_minutes=15,
    )  # fmt: skip
    payload = {"school": "highfield", "kind": "standard", "template": template.pk}
    response = api_for(tech).post("/api/changes/", payload, format="json")
    assert response.status_code == 201, response.content
    change = response.json()
    assert change["title"] == "Replace a printer's toner" and change["risk"] == "low"
    assert change["template"] == {"id": template.pk, "display": "Replace a printer's toner"}
    approved = api_for(tech).post(f"/api/changes/{change['id']}/submit/").json()
    assert approved["status"] == "approved"


# =============================================================================
# Other schools, other people
# =============================================================================


def test_another_schools_change_is_not_there(tech, tech2, riverside, raise_change, api_for):
    theirs = raise_change(by=tech2, school=riverside, submit=False)
    url = f"/api/changes/{theirs.pk}/"
    client = api_for(tech)
    assert client.get(url).status_code == 404
    assert client.patch(url, {"title": "Mine now"}, format="json").status_code == 404
    for action in ("assess", "submit", "vote", "cancel", "activity"):
        method = client.get if action == "activity" else client.post
        assert method(f"{url}{action}/").status_code == 404, action
    assert client.get("/api/changes/").json()["results"] == []
    assert errors(client.get("/api/changes/?school=riverside"))["school"]
    assert RequestForChange.objects.get(pk=theirs.pk).status == Status.DRAFT


def test_a_change_cannot_point_at_another_schools_items(tech, tech2, consultant, riverside, core_switch, api_for):
    their_switch = cmdb_services.ci_create(school=riverside, actor=tech2, kind=Kind.SWITCH, name="RS-CORE-01")
    # Someone who cannot see the item is told it does not exist.
    found = errors(api_for(tech).post("/api/changes/", raise_payload(cis=[their_switch.pk]), format="json"))
    assert set(found) == {"cis"}
    # Someone who sees both schools is told it belongs to another school.
    payload = raise_payload(cis=[core_switch.pk, their_switch.pk])
    refused = api_for(consultant).post("/api/changes/", payload, format="json")
    assert refused.status_code in (400, 403)
    assert not RequestForChange.objects.exists()
    # Nor can a draft be edited to point at them.
    change = api_for(tech).post("/api/changes/", raise_payload(cis=[core_switch.pk]), format="json").json()
    url = f"/api/changes/{change['id']}/"
    assert set(errors(api_for(tech).patch(url, {"cis": [their_switch.pk]}, format="json"))) == {"cis"}
    assert list(RequestForChange.objects.get(pk=change["id"]).cis.all()) == [core_switch]


def test_an_administrator_is_told_the_item_belongs_to_another_school(tech2, riverside, highfield, admin_user, api_for):
    their_switch = cmdb_services.ci_create(school=riverside, actor=tech2, kind=Kind.SWITCH, name="RS-CORE-01")
    refused = api_for(admin_user).post("/api/changes/", raise_payload(cis=[their_switch.pk]), format="json")
    assert errors(refused)["cis"] == ["RS-CORE-01 belongs to another school."]
    assert not RequestForChange.objects.exists()


def test_an_ict_user_finds_no_changes(staff, tech, raise_change, api_for):
    change = raise_change(by=tech)
    client = api_for(staff)
    for url in ("/api/changes/", f"/api/changes/{change.pk}/", "/api/changes/templates/", "/api/changes/boards/",
                "/api/changes/freeze-windows/", "/api/changes/maintenance-windows/"):  # fmt: skip
        assert client.get(url).status_code == 404, url
    assert client.post("/api/changes/", raise_payload(), format="json").status_code == 404


# =============================================================================
# Lists
# =============================================================================


def test_the_list_filters_searches_and_orders(tech, netmgr, core_switch, highfield, raise_change, api_for):
    first = raise_change(by=tech, cis=[core_switch])
    services.rfc_approve(change=first, approver=netmgr)
    services.rfc_schedule(change=first, actor=tech, planned_start=at(2027, 3, 3), planned_end=at(2027, 3, 3, 18))
    second = raise_change(by=tech, title="New ICT suite printers", answers=HIGH_RISK, submit=False)
    third = raise_change(by=tech, title="Wi-Fi controller upgrade", kind="emergency", answers=None, submit=False)
    client = api_for(tech)

    def refs(query: str) -> list[str]:
        response = client.get(f"/api/changes/{query}")
        assert response.status_code == 200, response.content
        return [row["reference"] for row in response.json()["results"]]

    assert refs("") == [third.reference, second.reference, first.reference]
    assert refs("?status=scheduled") == [first.reference]
    assert refs("?status=draft&ordering=created_at") == [second.reference, third.reference]
    assert refs("?kind=emergency") == [third.reference]
    assert refs("?risk=high") == [second.reference]
    assert refs(f"?ci={core_switch.pk}") == [first.reference]
    assert refs("?q=printers") == [second.reference] and refs(f"?q={first.reference.lower()}") == [first.reference]
    assert refs("?planned_after=2027-03-03T17:00:00Z&planned_before=2027-03-04T00:00:00Z") == [first.reference]
    assert refs("?planned_after=2027-03-04T00:00:00Z") == []
    assert refs("?school=highfield&ordering=-planned_start")[0] == first.reference
    brief = client.get("/api/changes/?brief=1").json()["results"][0]
    assert set(brief) == {"id", "url", "display", "reference", "kind", "risk", "status"}


def test_the_list_costs_the_same_for_5_changes_as_for_25(tech, highfield, staff, log_incident, api_for,
                                                         django_assert_max_num_queries):  # fmt: skip
    client = api_for(tech)

    def grow(n: int) -> None:
        while RequestForChange.objects.count() < n:
            i = RequestForChange.objects.count()
            ci = cmdb_services.ci_create(school=highfield, actor=tech, kind=Kind.SWITCH, name=f"SW-{i}")
            incident = log_incident(highfield, by=staff, title=f"Switch {i} flaky")
            change = services.rfc_create(school=highfield, requester=tech, title=f"Replace switch {i}",
                                         reason="Flaky.", cis=[ci], incidents=[incident],
                                         implementation_plan="Swap it.", backout_plan="Swap back.")  # fmt: skip
            services.rfc_assess(change=change, actor=tech, answers=LOW_RISK)
            if i % 2:
                services.rfc_submit(change=change, actor=tech)

    grow(5)
    client.get("/api/changes/")  # warm up
    with django_assert_max_num_queries(12) as small:
        assert len(client.get("/api/changes/").json()["results"]) == 5
    grow(25)
    with django_assert_max_num_queries(len(small)) as large:
        assert len(client.get("/api/changes/").json()["results"]) == 25
    assert len(small) == len(large)


def test_the_timeline_costs_the_same_however_long(tech, raise_change, api_for):
    change = raise_change(by=tech, submit=False)
    client = api_for(tech)
    url = f"/api/changes/{change.pk}/activity/"
    client.get(url)
    with CaptureQueriesContext(connection) as short:
        assert client.get(url).json()["count"] == 2
    for n in range(10):
        services.rfc_update(change=change, actor=tech, title=f"Upgrade the core switch, take {n}")
    with CaptureQueriesContext(connection) as long:
        assert client.get(url).json()["count"] == 12
    assert len(short) == len(long)


def test_the_configuration_lists(tech, tech2, netmgr, consultant, bolton, highfield, riverside, westfield, api_for):
    ChangeTemplate.objects.create(authority=bolton, name="Add a user to a group")
    ChangeTemplate.objects.create(school=riverside, name="Riverside's own")
    ChangeTemplate.objects.create(authority=bolton, name="Retired", is_active=False)
    FreezeWindow.objects.create(authority=bolton, name="Summer exams", starts="2027-05-10", ends="2027-06-25")
    FreezeWindow.objects.create(school=highfield, name="Mocks", starts="2020-01-06", ends="2020-01-17")
    FreezeWindow.objects.create(school=westfield, name="Westfield exams", starts="2027-05-10", ends="2027-06-25")
    MaintenanceWindow.objects.create(school=highfield, weekday=2, opens="16:00", closes="18:00")
    board = ChangeAdvisoryBoard.objects.create(authority=bolton, name="Bolton schools CAB", quorum=2)
    board.members.set([netmgr, consultant])

    def names(user, path: str) -> list[str]:
        response = api_for(user).get(f"/api/changes/{path}")
        assert response.status_code == 200, response.content
        return [row.get("name") or row["display"] for row in response.json()["results"]]

    assert names(tech, "templates/") == ["Add a user to a group"]
    assert names(consultant, "templates/") == ["Add a user to a group", "Riverside's own"]
    assert names(consultant, "templates/?school=highfield") == ["Add a user to a group"]
    assert names(tech, "freeze-windows/") == ["Mocks", "Summer exams"]
    assert names(tech, "freeze-windows/?upcoming=true") == ["Summer exams"]
    assert names(tech2, "freeze-windows/") == ["Summer exams"]
    assert names(tech, "maintenance-windows/") == ["Wednesday 16:00-18:00"]
    assert names(tech2, "maintenance-windows/") == []
    (row,) = api_for(tech).get("/api/changes/boards/").json()["results"]
    assert row["authority"] == "bolton" and row["school"] is None
    assert row["quorum"] == 2 and {m["username"] for m in row["members"]} == {"netmgr", "consultant"}
    assert errors(api_for(tech).get("/api/changes/templates/?school=riverside"))["school"]


def test_enum_overrides_name_real_choices():
    """The schema's enum names point at the models' choices (a wrong path only warns)."""
    from drf_spectacular.plumbing import load_enum_name_overrides

    overrides = settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]
    assert {"ChangeStatusEnum", "FreezeWindowKindEnum", "ApprovalRoleEnum"} <= set(overrides)
    assert len(load_enum_name_overrides()) == len(overrides)


def test_awaiting_my_approval_follows_each_approvers_part(tech, netmgr, leader, raise_change, api_for):
    major = raise_change(by=tech, is_major=True, title="Replace the MIS")
    minor = raise_change(by=tech, title="Replace a switch")
    raise_change(by=tech, title="Still a draft", submit=False)

    def awaiting(user) -> set[str]:
        response = api_for(user).get("/api/changes/?awaiting_my_approval=1")
        assert response.status_code == 200, response.content
        return {row["title"] for row in response.json()["results"]}

    assert awaiting(netmgr) == {"Replace the MIS", "Replace a switch"}
    assert awaiting(leader) == {"Replace the MIS"}
    assert awaiting(tech) == set()  # his own, and technicians do not approve
    services.rfc_approve(change=major, approver=leader)
    assert awaiting(leader) == set() and awaiting(netmgr) == {"Replace the MIS", "Replace a switch"}
    services.rfc_approve(change=minor, approver=netmgr)
    assert awaiting(netmgr) == {"Replace the MIS"}
    unfiltered = api_for(netmgr).get("/api/changes/?awaiting_my_approval=0").json()
    assert unfiltered["count"] == 3
