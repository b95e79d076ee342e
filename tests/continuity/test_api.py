"""The Service Continuity API: scoped reads, writes through the services, the plan's steps and dependencies, tests
raising tasks, and nothing for ICT users."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from continuity.models import ContinuityPlan, Risk
from incidents.models import Task

pytestmark = pytest.mark.django_db


def test_risks_are_listed_filtered_created_and_moved_on(risk, api_for, netmgr, tech, chain):
    api = api_for(netmgr)
    body = api.get("/api/continuity/risks/?rating=high").json()
    assert [(r["title"], r["score"], r["rating"]) for r in body["results"]] == [("Server room floods", 10, "high")]
    assert api.get("/api/continuity/risks/?rating=low").json()["results"] == []
    response = api.post("/api/continuity/risks/", {"school": "highfield", "title": "Ransomware", "category": "malware",
                                                  "likelihood": 3, "impact": 5, "review_date": "2030-01-01",
                                                  "cis": [chain["server"].pk]}, format="json")  # fmt: skip
    assert response.status_code == 201, response.content
    assert (response.json()["score"], response.json()["rating"]) == (15, "critical")
    created = Risk.objects.get(title="Ransomware")
    assert api.patch(f"/api/continuity/risks/{created.pk}/", {"impact": 2}, format="json").json()["score"] == 6
    refused = api_for(tech).post("/api/continuity/risks/", {"school": "highfield", "title": "X", "category": "fire",
                                 "likelihood": 1, "impact": 1, "review_date": "2030-01-01"}, format="json")  # fmt: skip
    assert refused.status_code == 403
    moved = api.post(f"/api/continuity/risks/{risk.pk}/transition/", {"action": "treat"}, format="json")
    assert moved.json()["status"] == "treated"


def test_plans_come_with_steps_and_contacts_and_their_dependencies(plan, api_for, consultant):
    api = api_for(consultant)
    (row,) = api.get("/api/continuity/plans/").json()["results"]
    assert [s["text"] for s in row["steps"]][0] == "Call Northwest Server Care for the standby server"
    assert {c["phone"] for c in row["contacts"]} >= {"0161 555 0142"}
    assert row["next_test_due"] and row["status"] == "draft"
    order = api.get(f"/api/continuity/plans/{plan.pk}/dependencies/").json()
    assert [(i["stage"], i["ci"]["name"]) for i in order] == [
        (1, "HF-CORE-01"), (2, "HF-NAS-01"), (3, "HF-SRV-01"), (4, "DFS namespace")]  # fmt: skip


def test_a_plan_is_written_its_steps_set_and_approved_through_the_api(api_for, netmgr, leader, chain):
    api = api_for(netmgr)
    response = api.post("/api/continuity/plans/", {
        "school": "highfield", "service": chain["service"].pk, "recovery_order": 1, "rto_minutes": 240,
        "rpo_minutes": 60, "review_date": (timezone.localdate() + timedelta(days=100)).isoformat(),
    }, format="json")  # fmt: skip
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    rows = [{"text": "Restore the server", "who": netmgr.pk, "minutes": 60}, {"text": "Tell staff"}]
    steps = api.post(f"/api/continuity/plans/{pk}/steps/", {"steps": rows}, format="json")
    assert [s["position"] for s in steps.json()["steps"]] == [1, 2]
    approved = api_for(leader).post(f"/api/continuity/plans/{pk}/transition/", {"action": "approve"}, format="json")
    assert (approved.json()["status"], approved.json()["approved_by"]["username"]) == ("approved", "leader")
    changed = api.patch(f"/api/continuity/plans/{pk}/", {"rto_minutes": 120}, format="json").json()
    assert (changed["status"], changed["version"]) == ("draft", 2)
    assert ContinuityPlan.objects.get(pk=pk).rto_minutes == 120


def test_a_test_is_recorded_and_its_actions_raised(plan, api_for, netmgr, tech):
    today = timezone.localdate()
    response = api_for(netmgr).post("/api/continuity/tests/", {
        "plan": plan.pk, "tested_on": today.isoformat(), "kind": "rehearsal", "scenario": "Ransomware",
        "outcome": "passed", "rto_achieved_minutes": 300, "participants": [tech.pk],
        "actions": [{"text": "Buy a second NAS", "owner": tech.pk, "due_on": today.isoformat()}],
    }, format="json")  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["rto_met"] is True
    (action,) = body["actions"]
    assert action["task"] == Task.objects.get(source_key__startswith="continuity-action:").reference


def test_ict_users_get_nothing_and_other_schools_see_nothing(plan, api_for, staff, tech2):
    assert api_for(staff).get("/api/continuity/plans/").status_code == 404
    assert api_for(tech2).get("/api/continuity/plans/").json()["results"] == []
    assert api_for(tech2).get(f"/api/continuity/plans/{plan.pk}/").status_code == 404
