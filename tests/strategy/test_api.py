"""The API: documents (start, edit a section, dates, sign), versions and sections, through the services."""

from __future__ import annotations

import pytest

from fits.strategy import services

pytestmark = pytest.mark.django_db


def test_start_edit_and_sign_through_the_api(highfield, netmgr, leader, consultant, api_for):
    api = api_for(netmgr)
    response = api.post("/api/strategy/documents/", {"school": "highfield", "kind": "support"}, format="json")
    assert response.status_code == 201, response.content
    document = response.json()
    assert document["kind"] == "support" and document["versions"][0]["number"] == 1
    url = f"/api/strategy/documents/{document['id']}/"
    response = api.post(url + "edit-section/", {"key": "services", "text": "Five services."}, format="json")
    assert response.status_code == 200 and response.json()["text"] == "Five services."
    response = api.post(url + "dates/", {"draft_date": "2026-09-01", "review_date": "2027-09-01"}, format="json")
    assert response.json()["review_date"] == "2027-09-01"
    assert api_for(leader).post(url + "sign/", {"capacity": "la_adviser"}, format="json").status_code == 403
    for person, capacity in ((netmgr, "network_manager"), (leader, "head"), (leader, "ict_coordinator"),
                             (consultant, "la_adviser")):  # fmt: skip
        response = api_for(person).post(url + "sign/", {"capacity": capacity}, format="json")
        assert response.status_code == 200 and response.json()["capacity"] == capacity
    again = api_for(leader).post(url + "sign/", {"capacity": "head"}, format="json")
    assert again.status_code == 400 and "already approved" in str(again.json())
    versions = api.get(f"/api/strategy/versions/?document={document['id']}").json()["results"]
    assert [(v["number"], v["status"], len(v["signoffs"])) for v in versions] == [(1, "approved", 4)]
    assert "services" in versions[0]["facts"] and versions[0]["facts_as_of"]
    sections = api.get(f"/api/strategy/sections/?version={versions[0]['id']}&key=services").json()["results"]
    assert [s["text"] for s in sections] == ["Five services."]
    # An edit of the approved document starts version 2
    response = api.post(url + "edit-section/", {"key": "services", "text": "Six services."}, format="json")
    assert response.json()["version"] != versions[0]["id"]
    assert [v["status"] for v in api.get(url).json()["versions"]] == ["draft", "approved"]


def test_readers_read_and_cannot_write(support, tech, api_for):
    api = api_for(tech)
    assert api.get("/api/strategy/documents/").json()["count"] == 1
    url = f"/api/strategy/documents/{support.pk}/edit-section/"
    assert api.post(url, {"key": "services", "text": "x"}, format="json").status_code == 403
    assert (
        api.post("/api/strategy/documents/", {"school": "highfield", "kind": "ict"}, format="json").status_code == 403
    )
    assert services.working_version(support).sections.get(key="services").text == "We support **five** services."


def test_an_ict_user_sees_no_strategy_in_the_api(support, staff, api_for):
    assert api_for(staff).get("/api/strategy/documents/").json()["count"] == 0
    assert api_for(staff).get(f"/api/strategy/documents/{support.pk}/").status_code == 404
