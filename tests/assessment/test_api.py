"""The API: start, answer, complete; scores per process; the answers list; who may write."""

from __future__ import annotations

import pytest

from fits.assessment.models import Assessment

pytestmark = pytest.mark.django_db


def test_start_answer_and_complete_through_the_api(highfield, netmgr, tech, api_for, this_year):
    api = api_for(netmgr)
    assert api_for(tech).post("/api/assessment/assessments/", {"school": "highfield"}, format="json").status_code == 403
    response = api.post("/api/assessment/assessments/", {"school": "highfield"}, format="json")
    assert response.status_code == 201 and response.json()["year"] == this_year
    pk = response.json()["id"]
    url = f"/api/assessment/assessments/{pk}/"
    body = {"question": "storage.restores_tested", "level": "partly", "evidence": "Two of three jobs."}
    assert api_for(tech).post(url + "answer/", body, format="json").status_code == 403
    answered = api.post(url + "answer/", body, format="json")
    assert answered.status_code == 200 and answered.json()["points"] == 1
    assert api.post(url + "answer/", {"question": "nope", "level": "fully"}, format="json").status_code == 400
    data = api.get(url).json()
    storage = next(s for s in data["scores"] if s["area"] == "storage")
    assert storage == {
        "area": "storage",
        "name": "Storage Management",
        "kind": "function",
        "questions": 6,
        "answered": 1,
        "percent": 8,
        "moderated": None,
    }
    assert data["progress"] == 1 and data["overall"] == 1
    assert api.post(url + "complete/").json()["status"] == "completed"
    assert Assessment.objects.get(pk=pk).completed_by == netmgr
    answers = api.get("/api/assessment/answers/?area=storage").json()["results"]
    assert [a["question"] for a in answers] == ["storage.restores_tested"]


def test_the_api_shows_other_schools_nothing(highfield, riverside, netmgr, admin_user, tech2, staff, api_for):
    from fits.assessment import services

    services.assessment_start(school=highfield, actor=netmgr)
    assert api_for(tech2).get("/api/assessment/assessments/").json()["results"] == []
    assert api_for(staff).get("/api/assessment/assessments/").json()["results"] == []
    assert len(api_for(netmgr).get("/api/assessment/assessments/").json()["results"]) == 1
    response = api_for(tech2).post("/api/assessment/assessments/", {"school": "highfield"}, format="json")
    assert response.status_code == 400
