"""The monitoring API: checks (add, change, pause, remove, accept), CI states, results by check and time, outages,
poll runs and availability figures; support staff only, secrets never shown."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from availability.models import Check
from tests.availability.test_pages import monitored  # noqa: F401 - the shared world of the page tests

pytestmark = pytest.mark.django_db


def attrs(response) -> set[str]:
    """The fields a 400 names (the API's error format: {"errors": [{"attr": ..., "detail": ...}]})."""
    return {error["attr"] for error in response.json()["errors"]}


def test_checks_are_listed_and_filtered(monitored, tech, api_for):  # noqa: F811
    api = api_for(tech)
    body = api.get("/api/availability/checks/?state=down").json()
    assert [row["ci"]["display"] for row in body["results"]] == ["Core switch"]
    row = api.get(f"/api/availability/checks/{monitored['tcp'].pk}/").json()
    assert (row["kind"], row["port"], row["state"], row["school"]) == ("tcp", 445, "unknown", "highfield")
    assert api.get("/api/availability/checks/?brief=1").json()["results"][0].keys() == {
        "id", "url", "display", "kind", "state"}  # fmt: skip


def test_a_check_is_added_changed_paused_and_removed_through_the_services(monitored, tech, api_for):  # noqa: F811
    api, server = api_for(tech), monitored["server"]
    response = api.post("/api/availability/checks/", {"ci": server.pk, "kind": "tcp"}, format="json")
    assert response.status_code == 400 and "port" in attrs(response)
    web = {"ci": server.pk, "kind": "http", "target": "http://127.0.0.1:8000/healthz"}
    response = api.post("/api/availability/checks/", web, format="json")
    assert response.status_code == 201, response.content
    check_id = response.json()["id"]
    response = api.patch(f"/api/availability/checks/{check_id}/", {"expect_status": 204}, format="json")
    assert response.status_code == 200 and response.json()["expect_status"] == 204
    assert response.json()["target"] == "http://127.0.0.1:8000/healthz"
    assert api.post(f"/api/availability/checks/{check_id}/pause/").json()["status"] == "paused"
    assert api.post(f"/api/availability/checks/{check_id}/resume/").json()["status"] == "active"
    assert api.delete(f"/api/availability/checks/{check_id}/").status_code == 204
    assert not Check.objects.filter(pk=check_id).exists()


def test_other_people_cannot_change_checks(monitored, tech2, staff, leader, api_for):  # noqa: F811
    check = monitored["tcp"]
    assert api_for(tech2).get(f"/api/availability/checks/{check.pk}/").status_code == 404
    assert api_for(staff).get("/api/availability/checks/").status_code == 404
    response = api_for(leader).patch(f"/api/availability/checks/{check.pk}/", {"port": 1}, format="json")
    assert response.status_code == 403


def test_states_results_outages_and_poll_runs(monitored, tech, api_for):  # noqa: F811
    api = api_for(tech)
    states = api.get("/api/availability/states/?state=unreachable").json()["results"]
    assert [(s["ci"]["display"], s["cause"]["display"]) for s in states] == [("PC 12", "Core switch")]
    tcp = monitored["tcp"]
    since = (timezone.now() - timedelta(minutes=7)).isoformat()
    results = api.get("/api/availability/results/", {"check": tcp.pk, "since": since}).json()["results"]
    assert [r["message"] for r in results] == ["port 445 open [0]", "port 445 open [1]"]
    outages = api.get("/api/availability/outages/").json()["results"]
    assert [(o["ci"]["display"], o["ended_at"] is None) for o in outages] == [("Core switch", True), ("FS01", False)]
    assert outages[0]["incident"] == monitored["incident"].reference
    assert api.get("/api/availability/outages/?open=true").json()["count"] == 1
    runs = api.get("/api/availability/poll-runs/").json()["results"]
    assert [(r["checks_run"], r["worker"]) for r in runs] == [(1, "celery@poller")]


def test_availability_figures_over_a_period(monitored, tech, api_for):  # noqa: F811
    api = api_for(tech)
    body = api.get("/api/availability/figures/", {"ci": monitored["server"].pk}).json()
    assert [row["ci"]["display"] for row in body["results"]] == ["FS01"]
    row = body["results"][0]
    assert row.keys() >= {"availability", "downtime_minutes", "measured_minutes", "outages"}
    assert row["outages"] == 1 and row["downtime_minutes"] == pytest.approx(35, abs=1)
    response = api.get("/api/availability/figures/", {"since": "2026-13-01"})
    assert response.status_code == 400 and "since" in attrs(response)
    names = {row["ci"]["display"] for row in api.get("/api/availability/figures/").json()["results"]}
    assert names == {"Core switch", "FS01"}
