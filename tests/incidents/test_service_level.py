"""The SLA clock on the incident's pages: the "Service level" card, correcting the service, the API fields,
the queue's Due column and sorting by the resolution due (servicelevels.sla does the working out:
tests/servicelevels/test_sla.py)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fits.models import Activity
from incidents import services
from incidents.models import Incident
from servicelevels.models import ITService
from tests.servicelevels.sla_helpers import agreed_sla

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(highfield, riverside):
    return {
        "default": ITService.objects.create(school=highfield, name="Everything else", is_default=True),
        "mis": ITService.objects.create(school=highfield, name="MIS"),
        "theirs": ITService.objects.create(school=riverside, name="Riverside MIS"),
    }


def test_the_detail_page_shows_the_service_level_card(client_for, tech, staff, highfield, log_incident, catalogue):
    incident = log_incident(highfield, by=staff)
    page = client_for(tech).get(incident.get_absolute_url()).content.decode()
    assert 'id="service-level"' in page
    assert "The built-in targets" in page
    assert "Everything else" in page
    assert re.search(r'id="sla-response".*?(On track|Warning|Breached|Paused)', page, re.S)
    assert 'id="sla-resolution"' in page
    # The caller's view of their own ticket has no service-level card.
    assert 'id="service-level"' not in client_for(staff).get(incident.get_absolute_url()).content.decode()


def test_the_card_names_the_agreement(client_for, tech, staff, leader, highfield, log_incident, catalogue):
    agreed_sla(highfield, leader, name="Highfield support SLA", targets=[(3, 60, 600)])
    incident = log_incident(highfield, by=staff)
    page = client_for(tech).get(incident.get_absolute_url()).content.decode()
    assert "Highfield support SLA" in page


def test_the_desk_corrects_the_service(client_for, desk, staff, leader, highfield, log_incident, catalogue):
    agreement = agreed_sla(highfield, leader, name="MIS SLA", services=[catalogue["mis"]], targets=[(3, 15, 90)])
    incident = log_incident(highfield, by=staff)
    assert incident.service == catalogue["default"] and incident.agreement is None
    response = client_for(desk).post(f"/incidents/{incident.pk}/service/", {"service": catalogue["mis"].pk})
    assert response.status_code == 302
    incident = Incident.objects.get(pk=incident.pk)
    assert incident.service == catalogue["mis"] and incident.agreement == agreement
    assert incident.response_due_at is not None
    entry = Activity.objects.filter(object_id=incident.pk, changes__has_key="service").get()
    assert "MIS SLA" in entry.text and not entry.public


def test_another_schools_service_is_refused(client_for, desk, staff, highfield, log_incident, catalogue):
    incident = log_incident(highfield, by=staff)
    client_for(desk).post(f"/incidents/{incident.pk}/service/", {"service": catalogue["theirs"].pk})
    assert Incident.objects.get(pk=incident.pk).service == catalogue["default"]
    with pytest.raises(Exception, match="another school"):
        services.incident_set_service(incident=incident, actor=desk, service=catalogue["theirs"])


def test_the_caller_cannot_change_the_service(staff, highfield, log_incident, catalogue):
    from django.core.exceptions import PermissionDenied

    incident = log_incident(highfield, by=staff)
    with pytest.raises(PermissionDenied):
        services.incident_set_service(incident=incident, actor=staff, service=catalogue["mis"])


def test_the_api_shows_the_clock_read_only(api_for, tech, staff, highfield, log_incident, catalogue):
    api = api_for(tech)
    incident = log_incident(highfield, by=staff)
    body = api.get(f"/api/incidents/{incident.pk}/").json()
    for name in ("response_due_at", "resolution_due_at", "response_met", "resolution_met", "service", "agreement"):
        assert name in body
    assert body["service"] == catalogue["default"].pk and body["resolution_due_at"]
    # Mass assignment refused: the due times given are ignored, the service chosen is checked.
    created = api.post(
        "/api/incidents/",
        {
            "school": "highfield",
            "title": "Printer jam",
            "description": "Tray 2.",
            "resolution_due_at": "2030-01-01T00:00:00Z",
            "response_met": True,
            "service": catalogue["mis"].pk,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    made = Incident.objects.get(pk=created.json()["id"])
    assert made.service == catalogue["mis"]
    assert made.resolution_due_at.year != 2030 and made.response_met is None
    assert created.json()["resolution_due_at"]
    other = api.post(
        "/api/incidents/",
        {"school": "highfield", "title": "X", "description": "Y", "service": catalogue["theirs"].pk},
        format="json",
    )
    assert other.status_code == 400
    # No way to write the clock on an existing ticket.
    assert api.patch(f"/api/incidents/{incident.pk}/", {"resolution_due_at": None}, format="json").status_code in (
        403,
        405,
    )


def test_the_incident_list_has_a_due_column_sorted_nulls_last(client_for, tech, staff, highfield, log_incident):
    soon = log_incident(highfield, by=staff, title="Soon", impact=1, urgency=1)
    later = log_incident(highfield, by=staff, title="Later", impact=3, urgency=3)
    held = log_incident(highfield, by=staff, title="Held")
    services.incident_transition(incident=held, action="start", actor=tech)
    services.incident_transition(incident=held, action="hold", actor=tech, note="?", hold_reason="awaiting_caller")
    client = client_for(tech)
    for order in ("resolution_due_at", "-resolution_due_at"):
        page = client.get(f"/incidents/?sort={order}").content.decode()
        assert "sla-due" in page
        found = [t for t in re.findall(r">(Soon|Later|Held)</a>", page)]
        expected = ["Soon", "Later"] if order == "resolution_due_at" else ["Later", "Soon"]
        assert found == [*expected, "Held"], order  # the stopped clock last either way
    assert soon.pk and later.pk


def test_the_workbench_sorts_by_due_in_a_fixed_number_of_queries(
    client_for, tech, staff, highfield, log_incident, django_assert_max_num_queries
):
    client = client_for(tech)
    log_incident(highfield, by=staff, title="Planning", impact=3, urgency=3)
    log_incident(highfield, by=staff, title="Critical", impact=1, urgency=1)
    url = "/workbench/?queue=open&sort=due"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        page = client.get(url).content.decode()
    titles = re.findall(r'class="wb-title" tabindex="-1">([^<]*)<', page)
    assert titles == ["Critical", "Planning"]
    assert 'data-state="on_track"' in page
    for n in range(12):
        log_incident(highfield, by=staff, title=f"More {n}")
    with django_assert_max_num_queries(len(few)):
        client.get(url)


def test_a_breached_ticket_shows_as_breached_in_the_workbench(client_for, tech, staff, highfield, log_incident):
    incident = log_incident(highfield, by=staff, title="Old one")
    Incident.objects.filter(pk=incident.pk).update(resolution_due_at=timezone.now() - timedelta(hours=2))
    page = client_for(tech).get("/workbench/?queue=open&sort=due").content.decode()
    assert 'data-state="breached"' in page and "2 h over" in page


def test_reopening_counts(tech, staff, highfield, log_incident):
    incident = log_incident(highfield, by=staff)
    services.incident_transition(incident=incident, action="resolve", actor=tech, note="Done", resolution_code="fixed")
    services.incident_transition(incident=incident, action="reopen", actor=staff, note="Not done")
    assert Incident.objects.get(pk=incident.pk).reopen_count == 1


def test_the_api_sets_the_service(api_for, desk, staff, leader, highfield, log_incident, catalogue):
    agreement = agreed_sla(highfield, leader, name="MIS SLA", services=[catalogue["mis"]], targets=[(3, 15, 90)])
    incident = log_incident(highfield, by=staff)
    api = api_for(desk)
    response = api.post(f"/api/incidents/{incident.pk}/service/", {"service": catalogue["mis"].pk}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["service"] == catalogue["mis"].pk and response.json()["agreement"] == agreement.pk
    refused = api.post(f"/api/incidents/{incident.pk}/service/", {"service": catalogue["theirs"].pk}, format="json")
    assert refused.status_code == 400
    assert (
        api_for(staff).post(f"/api/incidents/{incident.pk}/service/", {"service": None}, format="json").status_code
        == 403
    )
