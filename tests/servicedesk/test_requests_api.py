"""The service catalogue's API: /api/request-types/, /api/requests/ and /api/fulfilment-tasks/."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import Incident, Status
from servicedesk.catalogue_starter import LOAN, NEW_STARTER, SOFTWARE, starter_catalogue_create
from servicedesk.models import FulfilmentTask

pytestmark = pytest.mark.django_db


def day(offset: int) -> str:
    return (timezone.localdate() + timedelta(days=offset)).isoformat()


@pytest.fixture
def catalogue(highfield, desk, leader, netmgr, tech, staff):
    return {item.name: item for item in starter_catalogue_create(school=highfield, actor=desk)}


LOAN_ANSWERS = {"equipment": "projector", "quantity": "1", "from_date": "", "to_date": ""}


def loan_answers():
    return {**LOAN_ANSWERS, "from_date": day(1), "to_date": day(2)}


def errors(response) -> dict[str, list[str]]:
    """The API's errors (drf-standardized-errors) by attribute: {"answers.quantity": ["..."]}."""
    found: dict[str, list[str]] = {}
    for error in response.json()["errors"]:
        found.setdefault(error["attr"] or "", []).append(error["detail"])
    return found


def ask(api, item, answers, **extra):
    return api.post("/api/requests/", {"request_type": item.pk, "answers": answers, **extra}, format="json")


# =============================================================================
# The catalogue
# =============================================================================


def test_request_types_are_listed_as_each_person_may_see_them(catalogue, api_for, staff, desk, tech2):
    names = lambda user: {row["name"] for row in api_for(user).get("/api/request-types/").json()["results"]}  # noqa: E731
    assert names(staff) == {LOAN, SOFTWARE, "Room set-up for an event"}
    assert names(desk) == names(staff) | {NEW_STARTER}
    assert names(tech2) == set()
    item = api_for(staff).get(f"/api/request-types/{catalogue[LOAN].pk}/").json()
    assert item["school"] == "highfield" and item["approver"] == "" and item["fulfil_days"] == 2
    assert item["fields"][1] == {"name": "quantity", "label": "How many?", "type": "number", "required": True,
                                 "help": "", "min": 1, "max": 30}  # fmt: skip
    assert api_for(staff).get(f"/api/request-types/{catalogue[NEW_STARTER].pk}/").status_code == 404


def test_the_desk_adds_changes_and_retires_items(highfield, api_for, desk, staff, leader):
    payload = {
        "school": "highfield",
        "name": "Borrow a visualiser",
        "summary": "A document camera.",
        "fields": [{"label": "Which room?", "type": "choice", "choices": ["Hall", "Library"], "required": True}],
        "tasks": [{"title": "Deliver it"}],
        "needs_approval": True,
        "approver": "network_manager",
    }
    for person in (staff, leader):
        assert api_for(person).post("/api/request-types/", payload, format="json").status_code == 403
    response = api_for(desk).post("/api/request-types/", payload, format="json")
    assert response.status_code == 201, response.json()
    item = response.json()
    assert item["fields"][0]["name"] == "which_room" and item["tasks"] == [{"title": "Deliver it", "group": None}]
    bad = {**payload, "name": "Broken", "fields": [{"label": "Which room?", "type": "choice"}], "approver": ""}
    response = api_for(desk).post("/api/request-types/", bad, format="json")
    assert response.status_code == 400
    assert errors(response) == {
        "fields": ["Question 1 (“Which room?”): a choice question needs its choices, one per line."],
        "approver": ["Say who approves it: a school leader or the network manager."],
    }
    url = f"/api/request-types/{item['id']}/"
    response = api_for(desk).patch(
        url, {"summary": "A visualiser for a lesson.", "needs_approval": False}, format="json"
    )
    assert response.status_code == 200 and response.json()["approver"] == ""
    assert api_for(staff).patch(url, {"summary": "Mine now"}, format="json").status_code == 403
    assert api_for(desk).post(f"{url}retire/").json()["is_active"] is False
    assert api_for(staff).get(url).status_code == 404, "retired: no longer offered"
    assert api_for(desk).post(f"{url}reinstate/").json()["is_active"] is True


# =============================================================================
# Requests
# =============================================================================


def test_a_request_is_logged_with_its_answers(catalogue, api_for, staff):
    response = ask(api_for(staff), catalogue[LOAN], loan_answers())
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reference"] == "REQ-000001" and body["ticket"]["status"] == "new"
    assert body["ticket"]["reporter"]["username"] == "staff" and body["request_type"]["name"] == LOAN
    assert body["answers"] == {"equipment": "Projector", "quantity": 1, "from_date": day(1), "to_date": day(2)}
    assert [task["title"] for task in body["tasks"]] == ["Charge and prepare", "Hand over", "Check back in"]
    assert body["approvals"] == []
    assert Incident.objects.get(pk=body["ticket"]["id"]).channel == "api"


def test_wrong_answers_come_back_under_answers_question_by_question(catalogue, api_for, staff, tech2):
    response = ask(api_for(staff), catalogue[LOAN], {**loan_answers(), "quantity": 99, "colour": "red"})
    assert response.status_code == 400
    assert errors(response) == {
        "answers.colour": ["“Equipment loan” asks no question called “colour”."],
        "answers.quantity": ["Enter a number of at most 30."],
    }
    response = ask(api_for(staff), catalogue[LOAN], "a laptop please")
    assert response.status_code == 400 and list(errors(response)) == ["answers"]
    assert ask(api_for(staff), catalogue[NEW_STARTER], {}).status_code == 400, "not offered to an ICT user"
    response = ask(api_for(tech2), catalogue[LOAN], loan_answers())
    assert response.status_code == 400 and list(errors(response)) == ["request_type"], "another school's: unknown"
    assert not Incident.objects.exists()


def test_requests_are_listed_like_their_tickets_and_awaiting_approval(catalogue, api_for, staff, desk, leader, netmgr):
    ask(api_for(staff), catalogue[LOAN], loan_answers())
    starter = {"full_name": "Jane Smith", "job_title": "TA", "start_date": day(3), "accounts": ["E-mail"]}
    ask(api_for(desk), catalogue[NEW_STARTER], starter)
    references = lambda user, query="": [  # noqa: E731
        row["reference"] for row in api_for(user).get(f"/api/requests/{query}").json()["results"]
    ]
    assert references(staff) == ["REQ-000001"], "an ICT user sees their own"
    assert references(desk) == ["REQ-000002", "REQ-000001"]
    assert references(leader, "?awaiting_my_approval=1") == ["REQ-000002"]
    assert references(netmgr, "?awaiting_my_approval=1") == []
    assert references(desk, "?status=pending_approval") == ["REQ-000002"]


def test_approve_and_decline_by_the_right_person(catalogue, api_for, staff, desk, leader, netmgr):
    answers = {"software": "Scratch", "where": "Suite", "licence": "Free to use", "reason": "Club"}
    software = ask(api_for(staff), catalogue[SOFTWARE], answers).json()
    assert software["ticket"]["status"] == "pending_approval"
    assert software["approvals"][0]["decision"] == "pending"
    url = f"/api/requests/{software['id']}/"
    assert api_for(staff).post(f"{url}approve/", {}, format="json").status_code == 403, "the requester"
    response = api_for(leader).post(f"{url}approve/", {}, format="json")
    assert response.status_code == 403
    assert errors(response) == {"": ["Only the network manager at Highfield Primary School can approve REQ-000001."]}
    response = api_for(netmgr).post(f"{url}decline/", {"comment": ""}, format="json")
    assert response.status_code == 400
    assert errors(response) == {"comment": ["Say why it is declined: the requester is told."]}
    response = api_for(netmgr).post(f"{url}decline/", {"comment": "Use the web version."}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["ticket"]["status"] == "closed" and body["approvals"][0]["decision"] == "declined"
    assert body["approvals"][0]["approver"]["username"] == "netmgr"
    assert api_for(netmgr).post(f"{url}approve/", {}, format="json").status_code == 400


def test_tasks_are_worked_through_the_api(catalogue, api_for, staff, tech, desk):
    loan = ask(api_for(staff), catalogue[LOAN], loan_answers()).json()
    response = api_for(tech).post(f"/api/requests/{loan['id']}/tasks/", {"title": "Label it", "assignee": desk.pk},
                                  format="json")  # fmt: skip
    assert response.status_code == 201 and response.json()["assignee"]["username"] == "desk"
    assert (
        api_for(staff).post(f"/api/requests/{loan['id']}/tasks/", {"title": "Mine"}, format="json").status_code == 403
    )
    tasks = api_for(tech).get(f"/api/fulfilment-tasks/?ticket={loan['ticket']['id']}").json()["results"]
    assert [task["title"] for task in tasks] == ["Charge and prepare", "Hand over", "Check back in", "Label it"]
    assert len(api_for(staff).get("/api/fulfilment-tasks/").json()["results"]) == 4, "the requester follows them"
    first = tasks[0]["id"]
    assert api_for(staff).post(f"/api/fulfilment-tasks/{first}/complete/", {}, format="json").status_code == 403
    response = api_for(tech).post(f"/api/fulfilment-tasks/{first}/assign/", {"assignee": staff.pk}, format="json")
    assert response.status_code == 400
    for task in tasks:
        response = api_for(tech).post(f"/api/fulfilment-tasks/{task['id']}/complete/", {"note": "ok"}, format="json")
        assert response.status_code == 200 and response.json()["is_done"] is True
    assert api_for(tech).get("/api/fulfilment-tasks/?done=false").json()["results"] == []
    ticket = api_for(staff).get(f"/api/incidents/{loan['ticket']['id']}/").json()
    assert ticket["status"] == "resolved"
    assert Incident.objects.get(pk=loan["ticket"]["id"]).resolution_code == "fulfilled"
    response = api_for(tech).post(f"/api/fulfilment-tasks/{first}/reopen/", {"note": "Flat"}, format="json")
    assert response.status_code == 200 and response.json()["is_done"] is False
    assert Incident.objects.get(pk=loan["ticket"]["id"]).status == Status.REOPENED
    assert FulfilmentTask.objects.get(pk=first).note == "Flat"


def test_the_schema_describes_the_catalogue():
    """The catalogue's part of the OpenAPI schema, generated on its own and validated (tests/fits/test_api.py
    checks the whole /api/schema/)."""
    from django.urls import include, path
    from drf_spectacular.generators import SchemaGenerator
    from openapi_spec_validator import validate
    from rest_framework.routers import DefaultRouter

    from servicedesk.catalogue_api import routes

    router = DefaultRouter()
    for prefix, viewset, basename in routes:
        router.register(prefix, viewset, basename=basename)
    patterns = [path("api/", include((router.urls, "api")))]
    schema = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)
    validate(schema)
    for path_ in ("/api/request-types/", "/api/requests/", "/api/requests/{id}/approve/", "/api/requests/{id}/tasks/",
                  "/api/fulfilment-tasks/{id}/complete/"):  # fmt: skip
        assert path_ in schema["paths"], path_
    request_body = schema["paths"]["/api/requests/"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert request_body["$ref"].endswith("/RequestLogRequest")
