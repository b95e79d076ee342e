"""Major incidents: one parent, the calls of everyone affected linked to it, updates sent to all of them."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fits.activity import timeline
from fits.models import Notification, Role
from incidents import services
from incidents.models import Impact, Incident, Priority, ResolutionCode, Status
from tests.conftest import make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def callers(highfield):
    """Three more people at highfield who will report the same outage."""
    return [make_person(name, school=highfield, role=Role.ICT_USER) for name in ("anita", "gareth", "emma")]


@pytest.fixture
def outage(highfield, staff, tech, callers, log_incident):
    """The Wi-Fi in the Science block is down: staff's call is declared major, the three others are linked."""
    major = log_incident(highfield, by=staff, title="Wi-Fi down in the Science block", impact=2, urgency=1)
    major = services.incident_declare_major(incident=major, actor=tech, note="All access points in Science are off.")
    children = []
    for person in callers:
        child = log_incident(highfield, by=person, title=f"No Wi-Fi ({person.username})")
        children.append(services.incident_link_to_major(child=child, major=major, actor=tech))
    return major, children


def test_declaring_makes_it_whole_school_and_tells_the_leaders(
    highfield, staff, tech, leader, log_incident, django_capture_on_commit_callbacks
):
    incident = log_incident(highfield, by=staff, impact=Impact.LOW, urgency=1)
    with django_capture_on_commit_callbacks(execute=True):
        major = services.incident_declare_major(incident=incident, actor=tech)
    assert (major.is_major, major.impact, major.priority) == (True, Impact.HIGH, Priority.CRITICAL)
    entry = list(timeline(major, include_internal=False))[-1]
    assert entry.changes == {"is_major": [False, True], "priority": ["P3 Medium", "P1 Critical"]}
    assert Notification.objects.filter(recipient=leader, event="major_declared").exists()
    assert any(leader.email in m.to for m in mail.outbox)


@pytest.mark.parametrize(("who", "allowed"), [("tech", True), ("netmgr", True), ("desk", False), ("staff", False)])
def test_who_declares(highfield, staff, cast, log_incident, who, allowed):
    incident = log_incident(highfield, by=staff)
    if allowed:
        assert services.incident_declare_major(incident=incident, actor=cast[who]).is_major
    else:
        with pytest.raises(PermissionDenied):
            services.incident_declare_major(incident=incident, actor=cast[who])


def test_the_children_and_their_timelines(outage):
    major, children = outage
    assert set(major.children.all()) == set(children)
    for child in children:
        last = list(timeline(child, include_internal=False))[-1]
        assert last.text.startswith(f"Part of major incident {major.reference}")


def test_what_cannot_be_linked(outage, highfield, riverside, staff, tech, tech2, admin_user, log_incident):
    major, children = outage
    with pytest.raises(ValidationError, match="same school"):
        services.incident_link_to_major(child=log_incident(riverside, by=tech2), major=major, actor=admin_user)
    plain = log_incident(highfield, by=staff, title="Not major")
    with pytest.raises(ValidationError, match="is not a major incident"):
        services.incident_link_to_major(child=log_incident(highfield, by=staff), major=plain, actor=tech)
    other = services.incident_declare_major(incident=log_incident(highfield, by=staff), actor=tech)
    with pytest.raises(ValidationError, match="already part of major incident"):
        services.incident_link_to_major(child=children[0], major=other, actor=tech)
    with pytest.raises(ValidationError, match="is part of major incident"):
        services.incident_declare_major(incident=children[0], actor=tech)


def test_an_update_reaches_everyone_affected(outage, staff, tech, callers, django_capture_on_commit_callbacks):
    major, children = outage
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_major_update(major=major, actor=tech, text="The controller is being replaced; back by 11.")
    for ticket in (major, *children):
        last = list(timeline(ticket, include_internal=False))[-1]
        assert (last.kind, last.text) == ("comment", "The controller is being replaced; back by 11.")
    told = {n.recipient: n.url for n in Notification.objects.filter(event="major_update")}
    assert set(told) == {staff, *callers}
    # Each caller is pointed at their own ticket (the major one is not theirs to open).
    for caller, child in zip(callers, children, strict=True):
        assert told[caller] == child.get_absolute_url()
    mailed = {address for message in mail.outbox if "Update" in message.subject for address in message.to}
    assert mailed == {person.email for person in (staff, *callers)}


def test_the_update_is_on_each_callers_own_page(outage, tech, callers, client_for):
    major, children = outage
    services.incident_major_update(major=major, actor=tech, text="Engineer on site.")
    page = client_for(callers[0]).get(children[0].get_absolute_url()).content.decode()
    assert "Engineer on site." in page and 'id="part-of-major"' in page
    assert client_for(callers[0]).get(major.get_absolute_url()).status_code == 404


def test_an_empty_update_and_updates_on_a_plain_ticket_are_refused(outage, highfield, staff, tech, log_incident):
    with pytest.raises(ValidationError):
        services.incident_major_update(major=outage[0], actor=tech, text="  ")
    with pytest.raises(ValidationError, match="is not a major incident"):
        services.incident_major_update(major=log_incident(highfield, by=staff), actor=tech, text="News")
    with pytest.raises(PermissionDenied):
        services.incident_major_update(major=outage[0], actor=staff, text="News")


def test_resolving_the_major_resolves_its_open_children(outage, tech, callers, django_capture_on_commit_callbacks):
    major, children = outage
    services.incident_transition(incident=children[2], action="resolve", actor=tech, note="Moved to the library.",
                                 resolution_code="workaround")  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_transition(incident=major, action="resolve", actor=tech, note="Controller replaced.",
                                     resolution_code="replaced")  # fmt: skip
    for child in children[:2]:
        stored = Incident.objects.get(pk=child.pk)
        assert (stored.status, stored.resolution, stored.resolution_code) == (
            Status.RESOLVED,
            "Controller replaced.",
            ResolutionCode.REPLACED,
        )
    untouched = Incident.objects.get(pk=children[2].pk)
    assert (untouched.resolution, untouched.resolution_code) == ("Moved to the library.", ResolutionCode.WORKAROUND)
    resolved_told = set(Notification.objects.filter(event="resolved").values_list("recipient__username", flat=True))
    assert {"anita", "gareth"} <= resolved_told


def test_unlinking(outage, tech):
    major, children = outage
    services.incident_unlink_from_major(child=children[0], actor=tech)
    assert Incident.objects.get(pk=children[0].pk).parent is None
    with pytest.raises(ValidationError):
        services.incident_unlink_from_major(child=children[0], actor=tech)


def test_the_major_page_lists_the_calls_and_the_people(outage, tech, callers, client_for):
    major, children = outage
    page = client_for(tech).get(major.get_absolute_url()).content.decode()
    assert 'id="major-note"' in page and "3 linked calls, 4 people affected" in page
    for child, caller in zip(children, callers, strict=True):
        assert child.reference in page and str(caller) in page
    assert 'id="major-update-form"' in page


def test_the_callers_do_not_see_the_other_callers(outage, staff, callers, client_for):
    major, _ = outage
    page = client_for(staff).get(major.get_absolute_url()).content.decode()
    assert 'id="major-note"' in page and "Many people, or a whole service, are affected." in page
    assert all(str(caller) not in page for caller in callers)


def test_the_major_page_costs_the_same_for_one_call_as_for_twelve(highfield, staff, tech, log_incident, client_for):
    major = services.incident_declare_major(incident=log_incident(highfield, by=staff), actor=tech)

    def link(n):
        for i in range(n):
            person = make_person(f"caller{Incident.objects.count()}", school=highfield, role=Role.ICT_USER)
            child = log_incident(highfield, by=person, title=f"Call {i}")
            services.incident_link_to_major(child=child, major=major, actor=tech)

    client = client_for(tech)
    link(1)
    client.get(major.get_absolute_url())
    with CaptureQueriesContext(connection) as one:
        assert client.get(major.get_absolute_url()).status_code == 200
    link(11)
    with CaptureQueriesContext(connection) as twelve:
        assert client.get(major.get_absolute_url()).status_code == 200
    assert len(one) == len(twelve)


def test_declare_link_update_from_the_pages(highfield, staff, leader, tech, desk, log_incident, client_for):
    first = log_incident(highfield, by=staff, title="Printer network down")
    second = log_incident(highfield, by=leader, title="Cannot print")
    client_for(tech).post(f"/incidents/{first.pk}/declare-major/", {"note": ""})
    assert Incident.objects.get(pk=first.pk).is_major
    desk_client = client_for(desk)
    desk_client.post(f"/incidents/{first.pk}/link-child/", {"child": second.reference})
    assert Incident.objects.get(pk=second.pk).parent_id == first.pk
    response = desk_client.post(
        f"/incidents/{first.pk}/major-update/", {"text": "Print server restarting."}, follow=True
    )
    assert "Update posted, and sent to everyone who reported it." in response.content.decode()
    third = log_incident(highfield, by=desk, reporter=staff, title="Office printer")
    desk_client.post(f"/incidents/{third.pk}/link-major/", {"major": first.pk})
    assert Incident.objects.get(pk=third.pk).parent_id == first.pk


def test_majors_in_the_list_and_the_api(outage, tech, api_for, client_for):
    major, children = outage
    api = api_for(tech)
    assert [row["id"] for row in api.get("/api/incidents/?is_major=true").json()["results"]] == [major.pk]
    linked = {row["id"] for row in api.get(f"/api/incidents/?parent_id={major.pk}").json()["results"]}
    assert linked == {child.pk for child in children}
    body = api.get(f"/api/incidents/{children[0].pk}/").json()
    assert body["parent"] == {"id": major.pk, "reference": major.reference}
    page = client_for(tech).get("/incidents/?is_major=true").content.decode()
    assert major.title in page and children[0].title not in page


def test_the_major_incident_api(highfield, staff, leader, tech, log_incident, api_for):
    api = api_for(tech)
    first, second = log_incident(highfield, by=staff), log_incident(highfield, by=leader)
    assert api.post(f"/api/incidents/{first.pk}/declare-major/", {}, format="json").json()["is_major"] is True
    body = api.post(f"/api/incidents/{second.pk}/link-major/", {"major": first.pk}, format="json").json()
    assert body["parent"]["id"] == first.pk
    response = api.post(f"/api/incidents/{first.pk}/major-update/", {"text": "News"}, format="json")
    assert response.status_code == 200
    assert api.post(f"/api/incidents/{second.pk}/unlink-major/", format="json").json()["parent"] is None
