# ruff: noqa: F811 (the fixtures come from tests.incidents.work_fixtures)
"""Merging duplicate calls: the duplicate is closed and points to the survivor, which keeps what it said."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from fits.activity import timeline
from incidents import services
from incidents.models import Incident, ResolutionCode, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(highfield, staff, leader, tech, log_incident):
    """The same projector fault, reported by two people; the duplicate has a public comment and an internal note."""
    survivor = log_incident(highfield, by=staff, title="Projector in the hall is dead")
    duplicate = log_incident(highfield, by=leader, title="Hall projector not working", room="Main hall")
    services.incident_comment(incident=duplicate, author=leader, text="Assembly at 2pm needs it!")
    services.incident_comment(incident=duplicate, author=tech, text="Bulb hours at 4000", public=False)
    return duplicate, survivor


def test_merging_closes_the_duplicate_as_a_duplicate(pair, desk, leader, django_capture_on_commit_callbacks):
    duplicate, survivor = pair
    with django_capture_on_commit_callbacks(execute=True):
        merged = services.incident_merge(duplicate=duplicate, into=survivor, actor=desk)
    assert (merged.status, merged.resolution_code, merged.duplicate_of) == (
        Status.CLOSED,
        ResolutionCode.DUPLICATE,
        survivor,
    )
    assert survivor.reference in merged.resolution and merged.closed_at and merged.resolved_at
    # Its caller is told where to follow it.
    assert any(leader.email in m.to and "Merged" in m.subject for m in mail.outbox)


def test_the_survivor_refers_to_what_the_duplicate_said(pair, desk, staff, leader):
    duplicate, survivor = pair
    services.incident_merge(duplicate=duplicate, into=survivor, actor=desk)
    public = list(timeline(survivor, include_internal=False))
    assert public[-1].text == f"{duplicate.reference} reported the same fault and was merged into this ticket."
    assert str(leader) not in public[-1].text  # the survivor's caller does not learn who else called
    note = list(timeline(survivor, include_internal=True))[-1]
    assert not note.public
    assert "Assembly at 2pm needs it!" in note.text and "It says 'no signal'." in note.text
    assert "Bulb hours at 4000" not in note.text  # an internal note stays on its own ticket


def test_the_survivor_keeps_the_duplicates_ci_and_room_when_it_has_none(highfield, staff, leader, tech, desk,
                                                                        log_incident):  # fmt: skip
    from cmdb import services as cmdb

    site = cmdb.location_create(school=highfield, actor=tech, kind="site", name="Site")
    block = cmdb.location_create(school=highfield, actor=tech, kind="building", name="Main", parent=site)
    room = cmdb.location_create(school=highfield, actor=tech, kind="room", name="Hall", parent=block)
    projector = cmdb.ci_create(school=highfield, actor=tech, kind="display", name="HALL-PROJ", location=room)
    survivor = log_incident(highfield, by=staff)
    duplicate = log_incident(highfield, by=leader, ci=projector, location=room)
    services.incident_merge(duplicate=duplicate, into=survivor, actor=desk)
    stored = Incident.objects.get(pk=survivor.pk)
    assert (stored.ci, stored.location) == (projector, room)


def test_problems_stay_linked(pair, tech, desk):
    from problems import services as problems

    duplicate, survivor = pair
    problem = problems.problem_log(school=duplicate.school, logged_by=tech, title="Lamps fail", incidents=[duplicate])
    services.incident_merge(duplicate=duplicate, into=survivor, actor=desk)
    assert list(problem.incidents.all()) == [duplicate]


def test_earlier_duplicates_follow_to_the_survivor(pair, highfield, staff, desk, log_incident):
    duplicate, survivor = pair
    first = log_incident(highfield, by=staff, title="Third call")
    services.incident_merge(duplicate=first, into=duplicate, actor=desk)
    services.incident_merge(duplicate=duplicate, into=survivor, actor=desk)
    assert Incident.objects.get(pk=first.pk).duplicate_of == survivor


def test_what_cannot_be_merged(pair, highfield, riverside, tech, tech2, desk, staff, admin_user, log_incident):
    duplicate, survivor = pair
    with pytest.raises(ValidationError, match="cannot be merged into itself"):
        services.incident_merge(duplicate=duplicate, into=duplicate, actor=desk)
    elsewhere = log_incident(riverside, by=tech2)
    with pytest.raises(ValidationError, match="same school"):
        services.incident_merge(duplicate=duplicate, into=elsewhere, actor=admin_user)
    closed = log_incident(highfield, by=staff, title="Closed one")
    services.incident_transition(incident=closed, action="resolve", actor=tech, note="Ok", resolution_code="fixed")
    services.incident_transition(incident=closed, action="close", actor=tech)
    with pytest.raises(ValidationError, match="is closed: merge into a ticket that is still open"):
        services.incident_merge(duplicate=duplicate, into=closed, actor=desk)
    with pytest.raises(ValidationError, match="already closed"):
        services.incident_merge(duplicate=closed, into=survivor, actor=desk)
    services.incident_declare_major(incident=survivor, actor=tech)
    with pytest.raises(ValidationError, match="A major incident cannot be merged away"):
        services.incident_merge(duplicate=survivor, into=duplicate, actor=desk)


@pytest.mark.parametrize("who", ["staff", "leader", "consultant"])
def test_who_may_not_merge(pair, cast, who):
    with pytest.raises(PermissionDenied):
        services.incident_merge(duplicate=pair[0], into=pair[1], actor=cast[who])


def test_merge_from_the_page_by_reference(pair, desk, client_for):
    duplicate, survivor = pair
    client = client_for(desk)
    response = client.post(f"/incidents/{duplicate.pk}/merge/", {"into": survivor.reference.lower()}, follow=True)
    assert response.redirect_chain[-1][0] == survivor.get_absolute_url()
    assert f"{duplicate.reference} merged into {survivor.reference}" in response.content.decode()
    page = client.get(duplicate.get_absolute_url()).content.decode()
    assert 'id="merged-note"' in page and survivor.reference in page


def test_a_reference_of_another_school_is_not_found(pair, riverside, tech2, desk, client_for, log_incident):
    elsewhere = [log_incident(riverside, by=tech2) for _ in range(3)][-1]  # INC-000003: none such at highfield
    response = client_for(desk).post(f"/incidents/{pair[0].pk}/merge/", {"into": elsewhere.reference}, follow=True)
    assert f"There is no ticket {elsewhere.reference} at Highfield Primary School." in response.content.decode()
    assert Incident.objects.get(pk=pair[0].pk).status == Status.NEW


def test_merge_through_the_api(pair, desk, api_for):
    duplicate, survivor = pair
    response = api_for(desk).post(f"/api/incidents/{duplicate.pk}/merge/", {"into": survivor.pk}, format="json")
    assert response.status_code == 200 and response.json()["id"] == survivor.pk
    body = api_for(desk).get(f"/api/incidents/{duplicate.pk}/").json()
    assert (body["resolution_code"], body["duplicate_of"]["reference"]) == ("duplicate", survivor.reference)


def test_the_caller_of_the_duplicate_sees_only_the_reference(highfield, staff, leader, desk, client_for,
                                                             log_incident):  # fmt: skip
    survivor = log_incident(highfield, by=leader, title="Hall projector")
    duplicate = log_incident(highfield, by=staff, title="Projector dead")
    services.incident_merge(duplicate=duplicate, into=survivor, actor=desk)
    assert client_for(staff).get(survivor.get_absolute_url()).status_code == 404
    page = client_for(staff).get(duplicate.get_absolute_url()).content.decode()
    assert f"Merged into <strong>{survivor.reference}</strong>" in page
