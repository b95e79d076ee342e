# ruff: noqa: F811 (the fixtures come from tests.incidents.work_fixtures)
"""Time spent on a ticket: logged by technical staff, shown on the ticket and in the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fits.activity import timeline
from fits.models import TimeEntry
from incidents import services
from incidents.models import Incident
from tests.incidents.work_fixtures import started, ticket  # noqa: F401

pytestmark = pytest.mark.django_db


def test_a_technician_logs_time(ticket, tech):
    yesterday = timezone.localdate() - timedelta(days=1)
    entry = services.incident_log_time(incident=ticket, person=tech, minutes=45, worked_on=yesterday, note="Re-patched")
    assert (entry.minutes, entry.worked_on, entry.person, entry.school_id) == (45, yesterday, tech, ticket.school_id)
    assert entry.record == ticket
    last = list(timeline(ticket, include_internal=True))[-1]
    assert (last.kind, last.public, last.changes["time_spent"], last.text) == ("field", False, 45, "Re-patched")


def test_the_total_is_summed_in_one_query(ticket, tech, netmgr, django_assert_num_queries):
    services.incident_log_time(incident=ticket, person=tech, minutes=30)
    services.incident_log_time(incident=ticket, person=netmgr, minutes=15)
    with django_assert_num_queries(1):
        assert Incident.objects.with_time_spent().get(pk=ticket.pk).time_spent == 45


@pytest.mark.parametrize(
    ("minutes", "days_ahead", "field"),
    [(0, 0, "minutes"), (1441, 0, "minutes"), ("x", 0, "minutes"), (10, 1, "worked_on")],
)
def test_nonsense_is_refused(ticket, tech, minutes, days_ahead, field):
    with pytest.raises(ValidationError) as refused:
        services.incident_log_time(
            incident=ticket, person=tech, minutes=minutes, worked_on=timezone.localdate() + timedelta(days=days_ahead)
        )
    assert list(refused.value.message_dict) == [field]
    assert not TimeEntry.objects.exists()


@pytest.mark.parametrize("who", ["staff", "desk", "leader", "consultant", "tech2"])
def test_only_technical_staff_log_time(ticket, cast, who):
    with pytest.raises(PermissionDenied, match="Only technical staff log time on tickets."):
        services.incident_log_time(incident=ticket, person=cast[who], minutes=10)


def test_time_spent_is_on_the_ticket_page_for_staff_only(ticket, tech, staff, client_for):
    services.incident_log_time(incident=ticket, person=tech, minutes=90, note="Swapped the access point")
    page = client_for(tech).get(ticket.get_absolute_url()).content.decode()
    assert 'id="time-total">1 h 30 min' in page and "Swapped the access point" in page
    callers = client_for(staff).get(ticket.get_absolute_url()).content.decode()
    assert "Swapped the access point" not in callers and 'id="time"' not in callers


def test_log_time_from_the_page(ticket, tech, client_for):
    response = client_for(tech).post(f"/incidents/{ticket.pk}/time/", {"minutes": 20, "note": "Diagnosis"}, follow=True)
    assert "20 minutes logged on INC-000001." in response.content.decode()
    response = client_for(tech).post(f"/incidents/{ticket.pk}/time/", {"minutes": 5000}, follow=True)
    assert "Ensure this value is less than or equal to 1440." in response.content.decode()
    assert TimeEntry.objects.count() == 1


def test_resolving_can_log_the_time(ticket, tech):
    services.incident_transition(incident=started(ticket, tech), action="resolve", actor=tech, note="Done",
                                 resolution_code="fixed", minutes=25)  # fmt: skip
    assert Incident.objects.with_time_spent().get(pk=ticket.pk).time_spent == 25


def test_time_in_the_api(ticket, tech, staff, api_for):
    api = api_for(tech)
    response = api.post(f"/api/incidents/{ticket.pk}/time/", {"minutes": 35, "note": "Cable"}, format="json")
    assert response.status_code == 201
    assert response.json()["minutes"] == 35 and response.json()["person"]["username"] == "tech"
    assert api.get(f"/api/incidents/{ticket.pk}/").json()["time_spent"] == 35
    assert api.get("/api/incidents/").json()["results"][0]["time_spent"] == 35
    listed = api.get(f"/api/incidents/{ticket.pk}/time/").json()
    assert [row["minutes"] for row in listed["results"]] == [35]
    # The caller follows their ticket, not the support staff's time sheets.
    assert api_for(staff).get(f"/api/incidents/{ticket.pk}/time/").json()["results"] == []
    assert api_for(staff).post(f"/api/incidents/{ticket.pk}/time/", {"minutes": 5}, format="json").status_code == 403
    assert api.post(f"/api/incidents/{ticket.pk}/time/", {"minutes": 0}, format="json").status_code == 400
