"""The incident FilterSet, shared by the queue page and the API."""

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone

from incidents import services
from incidents.filters import IncidentFilterSet
from incidents.models import Impact, Incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue(highfield, riverside, cast, log_incident):
    """Six incidents at highfield, in known states, and one at riverside."""
    staff, desk, tech, netmgr = cast["staff"], cast["desk"], cast["tech"], cast["netmgr"]
    made = {
        "projector": log_incident(highfield, by=staff, title="Projector shows no picture", room="Science lab"),
        "printer": log_incident(
            highfield, by=desk, reporter=staff, title="Office printer jamming", room="School office", channel="phone"
        ),
        "wifi": log_incident(highfield, by=staff, title="Wi-Fi drops in the hall", impact=Impact.HIGH, urgency=1),
        "trolley": log_incident(highfield, by=staff, title="Laptop trolley not charging", impact=3, urgency=3),
        "login": log_incident(highfield, by=staff, title="Cannot log in to the learning platform"),
        "email": log_incident(highfield, by=staff, title="New starter needs an e-mail account"),
        "riverside": log_incident(riverside, by=cast["tech2"], title="Projector in the library"),
    }
    services.incident_assign(incident=made["printer"], assignee=tech, actor=desk)
    services.incident_transition(incident=made["wifi"], action="start", actor=netmgr)
    services.incident_transition(
        incident=made["trolley"], action="resolve", actor=tech, note="New fuse.", resolution_code="fixed"
    )
    closed = services.incident_transition(
        incident=made["login"], action="resolve", actor=tech, note="Unlocked.", resolution_code="fixed"
    )
    services.incident_transition(incident=closed, action="close", actor=staff)
    return {name: Incident.objects.get(pk=incident.pk) for name, incident in made.items()}


def filtered(user, query: dict) -> list[str]:
    request = RequestFactory().get("/incidents/", query)
    request.user = user
    filterset = IncidentFilterSet(request.GET, queryset=Incident.objects.visible_to(user), request=request)
    assert filterset.is_valid(), filterset.errors
    return [incident.title for incident in filterset.qs]


def titles(queue, *names) -> set[str]:
    return {queue[name].title for name in names}


def test_no_filter_is_everything_visible(queue, cast):
    assert set(filtered(cast["tech"], {})) == titles(queue, "projector", "printer", "wifi", "trolley", "login", "email")


def test_state_open_and_closed(queue, cast):
    tech = cast["tech"]
    assert set(filtered(tech, {"state": "open"})) == titles(queue, "projector", "printer", "wifi", "email")
    assert set(filtered(tech, {"state": "closed"})) == titles(queue, "trolley", "login")


def test_status(queue, cast):
    tech = cast["tech"]
    assert set(filtered(tech, {"status": "assigned"})) == titles(queue, "printer")
    assert set(filtered(tech, {"status": ["resolved", "closed"]})) == titles(queue, "trolley", "login")


def test_priority(queue, cast):
    assert set(filtered(cast["tech"], {"priority": ["1", "5"]})) == titles(queue, "wifi", "trolley")


def test_channel(queue, cast):
    assert set(filtered(cast["tech"], {"channel": "phone"})) == titles(queue, "printer")


def test_unassigned(queue, cast):
    tech = cast["tech"]
    assert set(filtered(tech, {"unassigned": "true", "state": "open"})) == titles(queue, "projector", "email")
    assert set(filtered(tech, {"unassigned": "false"})) == titles(queue, "printer", "wifi", "trolley", "login")


def test_assignee_by_username_and_by_id(queue, cast):
    tech, netmgr = cast["tech"], cast["netmgr"]
    assert set(filtered(tech, {"assignee": "tech"})) == titles(queue, "printer", "trolley", "login")
    assert set(filtered(tech, {"assignee": ["tech", "netmgr"]})) == titles(queue, "printer", "wifi", "trolley", "login")
    assert set(filtered(tech, {"assignee_id": netmgr.pk})) == titles(queue, "wifi")


def test_assignee_of_another_school_is_not_a_valid_choice(queue, cast):
    request = RequestFactory().get("/incidents/", {"assignee": "tech2"})
    request.user = cast["tech"]
    filterset = IncidentFilterSet(request.GET, queryset=Incident.objects.visible_to(cast["tech"]), request=request)
    assert not filterset.is_valid()
    assert "assignee" in filterset.errors


def test_reporter(queue, cast):
    assert set(filtered(cast["tech"], {"reporter_id": cast["staff"].pk, "channel": "phone"})) == titles(
        queue, "printer"
    )


def test_school_by_slug_for_a_consultant(queue, cast):
    consultant = cast["consultant"]
    assert set(filtered(consultant, {"school": "riverside"})) == titles(queue, "riverside")
    assert len(filtered(consultant, {"school": ["highfield", "riverside"]})) == 7


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("INC-000002", {"printer"}),
        ("inc-000002", {"printer"}),
        ("projector", {"projector"}),
        ("LAPTOP", {"trolley"}),
        ("school office", {"printer"}),
        ("  ", {"projector", "printer", "wifi", "trolley", "login", "email"}),
    ],
)
def test_search_by_reference_title_or_room(queue, cast, q, expected):
    assert set(filtered(cast["tech"], {"q": q})) == titles(queue, *expected)


def test_search_by_reference_is_exact(queue, cast):
    assert filtered(cast["tech"], {"q": "INC-00000"}) == []


def test_filters_combine(queue, cast):
    assert filtered(cast["tech"], {"q": "projector", "state": "open", "unassigned": "true"}) == [
        queue["projector"].title
    ]


def test_created_after_and_before(queue, cast):
    Incident.objects.filter(pk=queue["email"].pk).update(created_at=timezone.now() - timedelta(days=10))
    cutoff = (timezone.now() - timedelta(days=5)).isoformat()
    assert filtered(cast["tech"], {"created_before": cutoff}) == [queue["email"].title]
    assert queue["email"].title not in filtered(cast["tech"], {"created_after": cutoff})


def test_ordering(queue, cast):
    tech = cast["tech"]
    by_priority = filtered(tech, {"ordering": "priority", "state": "open"})
    assert by_priority[0] == queue["wifi"].title  # P1 first
    priorities = [Incident.objects.get(title=t).priority for t in by_priority]
    assert priorities == sorted(priorities)

    by_reference = filtered(tech, {"ordering": "-reference"})
    assert by_reference == [queue[name].title for name in ("email", "login", "trolley", "wifi", "printer", "projector")]
    assert filtered(tech, {"ordering": "reference"}) == list(reversed(by_reference))


def test_filters_never_widen_what_a_caller_sees(queue, cast, highfield, log_incident):
    """The FilterSet narrows the scoped queryset; it cannot reach past it."""
    log_incident(highfield, by=cast["leader"], title="Projector in the head's office")
    assert filtered(cast["staff"], {"q": "projector"}) == [queue["projector"].title]
    assert len(filtered(cast["tech"], {"q": "projector"})) == 2
    assert filtered(cast["outsider"], {"q": "projector"}) == []
