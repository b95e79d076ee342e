"""Problem Management pages and API."""

import pytest

from problems import services
from problems.models import Problem, Status

pytestmark = pytest.mark.django_db


def test_list_detail_and_known_errors_pages(highfield, tech, staff, client_for, log_incident, log_problem):
    incident = log_incident(highfield, by=staff, title="Locked out of the platform")
    problem = log_problem(highfield, by=tech, incidents=[incident])
    services.known_error_record(problem=problem, actor=tech, symptom="Account locked", workaround="Unlock it.")
    client = client_for(tech)
    assert problem.reference in client.get("/problems/").content.decode()
    detail = client.get(f"/problems/{problem.pk}/").content.decode()
    assert "Locked out of the platform" in detail and "Unlock it." in detail and "Start investigating" in detail
    found = client.get("/problems/known-errors/?q=locked").content.decode()
    assert "Account locked" in found
    assert "Account locked" not in client.get("/problems/known-errors/?q=printer").content.decode()


def test_ict_users_get_404(highfield, tech, staff, client_for, log_problem):
    problem = log_problem(highfield, by=tech)
    client = client_for(staff)
    assert client.get("/problems/").status_code == 404
    assert client.get(f"/problems/{problem.pk}/").status_code == 404


def test_log_transition_link_and_known_error_through_pages(highfield, tech, staff, client_for, log_incident):
    client = client_for(tech)
    response = client.post("/problems/new/", {"school": highfield.pk, "title": "Pupils locked out",
                                              "description": "Since Monday."})  # fmt: skip
    problem = Problem.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/problems/{problem.pk}/"
    client.post(f"/problems/{problem.pk}/investigate/")
    incident = log_incident(highfield, by=staff)
    client.post(f"/problems/{problem.pk}/link/", {"incident": incident.pk})
    client.post(
        f"/problems/{problem.pk}/known-error/", {"symptom": "Locked", "workaround": "Unlock", "published": "on"}
    )
    client.post(f"/problems/{problem.pk}/comment/", {"text": "Found the policy."})
    problem.refresh_from_db()
    assert problem.status == Status.INVESTIGATING
    assert list(problem.incidents.all()) == [incident]
    assert problem.known_errors.count() == 1


def test_api_log_transition_link_and_activity(highfield, riverside, tech, tech2, staff, api_for, log_incident):
    api = api_for(tech)
    incident = log_incident(highfield, by=staff)
    response = api.post("/api/problems/", {"school": "highfield", "title": "Locked out", "incidents": [incident.pk]},
                        format="json")  # fmt: skip
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["reference"] == "PRB-000001" and data["incidents"] == [incident.reference]
    pk = data["id"]
    response = api.post(f"/api/problems/{pk}/transition/", {"action": "investigate"}, format="json")
    assert response.json()["status"] == "investigating"
    elsewhere = log_incident(riverside, by=tech2)
    response = api.post(f"/api/problems/{pk}/link-incident/", {"incident": elsewhere.pk}, format="json")
    assert response.status_code == 400
    response = api.post(f"/api/problems/{pk}/comment/", {"text": "Policy."}, format="json")
    assert response.status_code == 201
    response = api.post(f"/api/problems/{pk}/known-error/", {"symptom": "Locked", "workaround": "Unlock"},
                        format="json")  # fmt: skip
    assert response.status_code == 201
    assert api.get("/api/known-errors/?q=unlock").json()["count"] == 1
    kinds = [entry["kind"] for entry in api.get(f"/api/problems/{pk}/activity/").json()["results"]]
    assert kinds[:3] == ["created", "link", "status"]
    assert api_for(staff).get("/api/problems/").status_code == 404


def test_api_assign_refuses_the_incident_resolver(highfield, tech, staff, api_for, log_incident, log_problem):
    from incidents import services as incidents

    incident = incidents.incident_transition(incident=log_incident(highfield, by=staff), action="resolve",
                                             actor=tech, note="Unlocked.", resolution_code="fixed")  # fmt: skip
    problem = log_problem(highfield, by=tech, incidents=[incident])
    response = api_for(tech).post(f"/api/problems/{problem.pk}/assign/", {"assignee": tech.pk}, format="json")
    assert response.status_code == 400
    assert "resolved incidents" in response.content.decode()
