"""/api/incidents/: list, retrieve, log, and the lifecycle as actions that call the services."""

import pytest

from incidents import services
from incidents.models import Channel, Incident, Priority, Status

pytestmark = pytest.mark.django_db


def field_errors(response) -> dict[str, list[str]]:
    """The standardised error body as {field: [messages]}."""
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["type"] == "validation_error"
    errors: dict[str, list[str]] = {}
    for error in body["errors"]:
        errors.setdefault(error["attr"], []).append(error["detail"])
    return errors


@pytest.fixture
def incident(highfield, staff, log_incident):
    return log_incident(highfield, by=staff, title="Projector shows no picture")


# =============================================================================
# Reading
# =============================================================================


def test_list_shows_what_you_may_see(highfield, riverside, cast, log_incident, api_for):
    log_incident(highfield, by=cast["staff"], title="Staff's own")
    log_incident(highfield, by=cast["leader"], title="The head's")
    log_incident(riverside, by=cast["tech2"], title="Riverside's")

    def titles(who):
        response = api_for(cast[who]).get("/api/incidents/")
        assert response.status_code == 200
        return {row["title"] for row in response.json()["results"]}

    assert titles("tech") == {"Staff's own", "The head's"}
    assert titles("staff") == {"Staff's own"}
    assert titles("consultant") == {"Staff's own", "The head's", "Riverside's"}
    assert titles("outsider") == set()
    assert titles("admin") == {"Staff's own", "The head's", "Riverside's"}


def test_list_filters_and_paginates(highfield, cast, log_incident, api_for):
    for n in range(3):
        log_incident(highfield, by=cast["staff"], title=f"Call {n}", impact=1, urgency=n + 1)
    client = api_for(cast["tech"])
    page = client.get("/api/incidents/?limit=2&ordering=reference").json()
    assert page["count"] == 3
    assert [row["title"] for row in page["results"]] == ["Call 0", "Call 1"]
    assert page["next"] is not None
    assert [row["title"] for row in client.get("/api/incidents/?priority=1").json()["results"]] == ["Call 0"]
    assert client.get("/api/incidents/?q=INC-000003").json()["results"][0]["title"] == "Call 2"


def test_an_invalid_filter_is_a_400(incident, api_for, tech):
    errors = field_errors(api_for(tech).get("/api/incidents/?assignee=outsider&priority=9"))
    assert {"assignee", "priority"} <= set(errors)


def test_retrieve(incident, api_for, tech, staff, highfield):
    response = api_for(tech).get(f"/api/incidents/{incident.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["reference"] == "INC-000001"
    assert body["school"] == "highfield"
    assert body["status"] == "new"
    assert body["priority"] == Priority.MEDIUM
    assert body["priority_display"] == "P3 Medium"
    assert body["reporter"]["username"] == "staff"
    assert body["assignee"] is None
    assert body["display"] == "INC-000001 Projector shows no picture"
    assert body["url"].endswith(f"/api/incidents/{incident.pk}/")
    assert sorted(body["actions"]) == ["resolve", "start"]


def test_actions_are_the_moves_you_may_make(incident, api_for, staff, tech):
    resolved = services.incident_transition(
        incident=incident, action="resolve", actor=tech, note="Fixed.", resolution_code="fixed"
    )
    assert sorted(api_for(staff).get(f"/api/incidents/{resolved.pk}/").json()["actions"]) == ["close", "reopen"]


def test_brief(incident, api_for, tech):
    row = api_for(tech).get("/api/incidents/?brief=1").json()["results"][0]
    assert set(row) == {"id", "url", "display", "reference", "status", "priority"}


@pytest.mark.parametrize("who", ["outsider", "tech2"])
def test_another_schools_incident_is_404(incident, api_for, cast, who):
    client = api_for(cast[who])
    assert client.get(f"/api/incidents/{incident.pk}/").status_code == 404
    assert client.get(f"/api/incidents/{incident.pk}/activity/").status_code == 404
    assert client.post(f"/api/incidents/{incident.pk}/transition/", {"action": "start"}).status_code == 404


def test_anonymous_is_refused(incident):
    from rest_framework.test import APIClient

    assert APIClient().get("/api/incidents/").status_code in (401, 403)


# =============================================================================
# Logging
# =============================================================================


def test_log_an_incident(highfield, staff, api_for):
    response = api_for(staff).post(
        "/api/incidents/",
        {"school": "highfield", "title": "Projector", "description": "No signal.", "impact": 1, "urgency": 2},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["reference"], body["status"], body["priority"], body["channel"]) == (
        "INC-000001",
        "new",
        Priority.HIGH,
        Channel.API,
    )
    assert body["reporter"]["username"] == body["logged_by"]["username"] == "staff"
    assert Incident.objects.get().title == "Projector"


def test_the_desk_logs_for_a_caller(highfield, desk, staff, api_for):
    response = api_for(desk).post(
        "/api/incidents/",
        {"school": "highfield", "title": "Printer", "description": "Jammed.", "reporter": staff.pk, "channel": "phone"},
        format="json",
    )
    assert response.status_code == 201, response.content
    incident = Incident.objects.get()
    assert (incident.reporter, incident.logged_by, incident.channel) == (staff, desk, Channel.PHONE)


def test_logging_errors_name_their_fields(highfield, staff, api_for):
    errors = field_errors(
        api_for(staff).post("/api/incidents/", {"school": "highfield", "title": "  ", "impact": 7}, format="json")
    )
    assert {"title", "description", "impact"} <= set(errors)
    assert not Incident.objects.exists()


def test_logging_at_a_school_without_a_role_is_a_field_error(highfield, westfield, staff, api_for):
    errors = field_errors(
        api_for(staff).post("/api/incidents/", {"school": "westfield", "title": "X", "description": "Y"})
    )
    assert set(errors) == {"school"}


def test_a_caller_from_another_school_is_a_field_error(highfield, desk, outsider, api_for):
    errors = field_errors(
        api_for(desk).post(
            "/api/incidents/", {"school": "highfield", "title": "X", "description": "Y", "reporter": outsider.pk}
        )
    )
    assert set(errors) == {"reporter"}


def test_an_ict_user_logging_for_someone_else_is_403(highfield, staff, leader, api_for):
    response = api_for(staff).post(
        "/api/incidents/", {"school": "highfield", "title": "X", "description": "Y", "reporter": leader.pk}
    )
    assert response.status_code == 403
    assert response.json()["errors"][0]["detail"] == "Only the service desk can log a call for someone else."


def test_a_consultant_logging_is_403(highfield, consultant, api_for):
    response = api_for(consultant).post("/api/incidents/", {"school": "highfield", "title": "X", "description": "Y"})
    assert response.status_code == 403


# =============================================================================
# The lifecycle
# =============================================================================


def test_transition(incident, tech, api_for):
    response = api_for(tech).post(f"/api/incidents/{incident.pk}/transition/", {"action": "start"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["assignee"]["username"]) == ("in_progress", "tech")
    assert sorted(body["actions"]) == ["hold", "resolve"]


def test_resolve_with_a_note(incident, tech, api_for):
    response = api_for(tech).post(
        f"/api/incidents/{incident.pk}/transition/",
        {"action": "resolve", "note": "New lamp.", "resolution_code": "replaced"},
        format="json",
    )
    assert (response.json()["status"], response.json()["resolution"]) == ("resolved", "New lamp.")


def test_transition_without_a_required_note_is_a_field_error(incident, tech, api_for):
    errors = field_errors(api_for(tech).post(f"/api/incidents/{incident.pk}/transition/", {"action": "resolve"}))
    assert errors == {
        "note": ["Resolution: the fix or workaround, in words the user understands is required to resolve."]
    }


def test_transition_from_the_wrong_status_is_a_400_saying_what_is_allowed(incident, tech, api_for):
    errors = field_errors(api_for(tech).post(f"/api/incidents/{incident.pk}/transition/", {"action": "close"}))
    assert errors == {
        "non_field_errors": [
            "Cannot confirm and close a record that is new; from new you can: take and start, resolve."
        ]
    }


@pytest.mark.parametrize("action", ["explode", "assign", "unassign", "expire"])
def test_an_unknown_or_automatic_action_is_a_field_error(incident, admin_user, api_for, action):
    errors = field_errors(api_for(admin_user).post(f"/api/incidents/{incident.pk}/transition/", {"action": action}))
    assert set(errors) == {"action"}
    assert Incident.objects.get(pk=incident.pk).status == Status.NEW


def test_transition_by_the_wrong_person_is_403(incident, staff, api_for):
    response = api_for(staff).post(f"/api/incidents/{incident.pk}/transition/", {"action": "start"})
    assert response.status_code == 403
    assert response.json()["errors"][0]["detail"] == "You cannot take and start this incident."
    assert Incident.objects.get(pk=incident.pk).status == Status.NEW


def test_the_caller_closes_through_the_api(incident, staff, tech, api_for):
    services.incident_transition(
        incident=incident, action="resolve", actor=tech, note="Fixed.", resolution_code="fixed"
    )
    response = api_for(staff).post(f"/api/incidents/{incident.pk}/transition/", {"action": "close"})
    assert response.status_code == 200
    assert response.json()["status"] == "closed"


def test_assign(incident, desk, tech, api_for):
    response = api_for(desk).post(f"/api/incidents/{incident.pk}/assign/", {"assignee": tech.pk}, format="json")
    assert response.status_code == 200
    assert (response.json()["assignee"]["username"], response.json()["status"]) == ("tech", "assigned")


def test_unassign(incident, desk, tech, api_for):
    services.incident_assign(incident=incident, assignee=tech, actor=desk)
    response = api_for(desk).post(f"/api/incidents/{incident.pk}/assign/", {"assignee": None}, format="json")
    assert response.status_code == 200
    assert response.json()["assignee"] is None


@pytest.mark.parametrize("who", ["staff", "outsider"])
def test_assigning_someone_who_cannot_work_it_is_a_field_error(incident, cast, api_for, who):
    errors = field_errors(
        api_for(cast["desk"]).post(f"/api/incidents/{incident.pk}/assign/", {"assignee": cast[who].pk})
    )
    assert set(errors) == {"assignee"}


def test_assign_by_an_ict_user_is_403(incident, staff, tech, api_for):
    response = api_for(staff).post(f"/api/incidents/{incident.pk}/assign/", {"assignee": tech.pk})
    assert response.status_code == 403


def test_comment(incident, staff, api_for):
    response = api_for(staff).post(f"/api/incidents/{incident.pk}/comment/", {"text": "Any news?"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["kind"], body["public"], body["text"], body["actor"]["username"]) == (
        "comment",
        True,
        "Any news?",
        "staff",
    )


def test_an_internal_note(incident, tech, api_for):
    response = api_for(tech).post(
        f"/api/incidents/{incident.pk}/comment/", {"text": "Lamp on order.", "public": False}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["public"] is False


def test_an_ict_user_writing_an_internal_note_is_403(incident, staff, api_for):
    response = api_for(staff).post(
        f"/api/incidents/{incident.pk}/comment/", {"text": "Psst", "public": False}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["errors"][0]["detail"] == "Only support staff write internal notes."


def test_an_empty_comment_is_a_field_error(incident, staff, api_for):
    assert set(field_errors(api_for(staff).post(f"/api/incidents/{incident.pk}/comment/", {"text": ""}))) == {"text"}


def test_activity_hides_internal_notes_from_the_caller(incident, staff, tech, api_for):
    services.incident_comment(incident=incident, author=tech, text="Lamp on order.", public=False)
    services.incident_comment(incident=incident, author=tech, text="Coming tomorrow.")

    def texts(who):
        response = api_for(who).get(f"/api/incidents/{incident.pk}/activity/")
        assert response.status_code == 200
        return [entry["text"] for entry in response.json()["results"]]

    assert texts(tech) == ["Logged.", "Lamp on order.", "Coming tomorrow."]
    assert texts(staff) == ["Logged.", "Coming tomorrow."]


def test_activity_records_each_step(incident, tech, api_for):
    client = api_for(tech)
    client.post(f"/api/incidents/{incident.pk}/transition/", {"action": "start"})
    client.post(
        f"/api/incidents/{incident.pk}/transition/", {"action": "resolve", "note": "Fixed.", "resolution_code": "fixed"}
    )
    entries = client.get(f"/api/incidents/{incident.pk}/activity/").json()["results"]
    assert [(e["kind"], e["changes"]) for e in entries] == [
        ("created", {}),
        ("status", {"status": ["new", "in_progress"]}),
        ("status", {"status": ["in_progress", "resolved"], "resolution_code": "fixed", "reason": "Fixed"}),
    ]


# =============================================================================
# Status is never written directly
# =============================================================================


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_incidents_cannot_be_edited_or_deleted_directly(incident, admin_user, api_for, method):
    response = getattr(api_for(admin_user), method)(
        f"/api/incidents/{incident.pk}/", {"status": "closed", "title": "Changed"}, format="json"
    )
    assert response.status_code == 405
    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.status, stored.title) == (Status.NEW, "Projector shows no picture")


def test_status_in_a_new_incident_is_ignored(highfield, staff, api_for):
    response = api_for(staff).post(
        "/api/incidents/", {"school": "highfield", "title": "X", "description": "Y", "status": "closed"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["status"] == "new"
