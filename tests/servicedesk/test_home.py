"""The single point of contact: the home page each persona lands on (DESIGN.md 1)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from fits.models import Membership, Role
from incidents import services
from incidents.models import Impact, Incident, Priority, Urgency
from servicedesk.views import persona
from tests.conftest import make_person

pytestmark = pytest.mark.django_db


def home(client_for, user):
    response = client_for(user).get("/")
    assert response.status_code == 200
    return response


def refs(incidents) -> list[str]:
    return [incident.title for incident in incidents]


@pytest.fixture
def week(highfield, riverside, westfield, cast, log_incident):
    """A small, known week at highfield, plus one incident at each other school.

    highfield:
      a  staff's, P1, assigned to tech              (open)
      b  staff's, P3, unassigned                    (open)
      c  staff's, P3, resolved by tech              (awaiting the caller)
      d  staff's, P3, resolved and closed           (closed)
      e  leader's, P2, in progress with netmgr      (open)
      f  desk's call for mrs.patel, P4, unassigned, logged 3 days ago  (open)
      g  leader's, P5, unassigned, logged 10 days ago (open, outside the week)
    """
    staff, desk, tech, netmgr, leader = (cast[n] for n in ("staff", "desk", "tech", "netmgr", "leader"))
    patel = make_person("mrs.patel", school=highfield, role=Role.ICT_USER)
    made = {
        "a": log_incident(highfield, by=staff, title="a", impact=Impact.HIGH, urgency=Urgency.HIGH),
        "b": log_incident(highfield, by=staff, title="b"),
        "c": log_incident(highfield, by=staff, title="c"),
        "d": log_incident(highfield, by=staff, title="d"),
        "e": log_incident(highfield, by=leader, title="e", impact=Impact.HIGH, urgency=Urgency.MEDIUM),
        "f": log_incident(highfield, by=desk, reporter=patel, title="f", impact=Impact.LOW, urgency=Urgency.MEDIUM),
        "g": log_incident(highfield, by=leader, title="g", impact=Impact.LOW, urgency=Urgency.LOW),
        "r": log_incident(riverside, by=cast["tech2"], title="r", impact=Impact.HIGH, urgency=Urgency.HIGH),
        "w": log_incident(westfield, by=cast["outsider"], title="w"),
    }
    services.incident_assign(incident=made["a"], assignee=tech, actor=desk)
    services.incident_transition(
        incident=made["c"], action="resolve", actor=tech, note="Fixed.", resolution_code="fixed"
    )
    closed = services.incident_transition(
        incident=made["d"], action="resolve", actor=tech, note="Fixed.", resolution_code="fixed"
    )
    services.incident_transition(incident=closed, action="close", actor=staff)
    services.incident_transition(incident=made["e"], action="start", actor=netmgr)
    now = timezone.now()
    Incident.objects.filter(pk=made["f"].pk).update(created_at=now - timedelta(days=3))
    Incident.objects.filter(pk=made["g"].pk).update(created_at=now - timedelta(days=10))
    return {name: Incident.objects.get(pk=incident.pk) for name, incident in made.items()}


# --- ICT user ----------------------------------------------------------------------


def test_an_ict_user_sees_their_own_incidents(week, client_for, staff):
    response = home(client_for, staff)
    assert response.context["persona"] == "user"
    assert b"My open incidents" in response.content
    assert refs(response.context["open_incidents"]) == ["a", "b"]  # by priority: P1 first
    assert refs(response.context["awaiting"]) == ["c"]
    assert refs(response.context["recent"]) == ["d"]
    assert b"Is it fixed? Please confirm" in response.content


def test_an_ict_user_never_sees_someone_elses(week, client_for, highfield, cast):
    patel = Membership.objects.get(user__username="mrs.patel").user
    response = home(client_for, patel)
    assert refs(response.context["open_incidents"]) == ["f"]
    content = response.content.decode()
    assert week["a"].reference not in content.replace(week["f"].reference, "")


# --- Service desk ------------------------------------------------------------------


def test_the_desk_sees_todays_calls_and_the_unrouted(week, client_for, desk):
    response = home(client_for, desk)
    assert response.context["persona"] == "desk"
    assert b"Today&#x27;s calls" in response.content or b"Today's calls" in response.content
    assert set(refs(response.context["todays_calls"])) == {"a", "b", "c", "d", "e"}  # f and g are older
    assert refs(response.context["unrouted"]) == ["b", "f", "g"]  # by priority, then oldest first
    assert refs(response.context["awaiting"]) == ["c"]
    figures = response.context["figures"]
    assert (figures["logged"], figures["unassigned"], figures["open"], figures["awaiting"]) == (5, 3, 5, 1)


# --- Technician --------------------------------------------------------------------


def test_the_technician_sees_their_queue_and_the_unassigned(week, client_for, tech):
    response = home(client_for, tech)
    assert response.context["persona"] == "technician"
    assert refs(response.context["my_queue"]) == ["a"]
    assert response.context["mine_open"] == 1
    assert refs(response.context["unassigned"]) == ["b", "f", "g"]
    figures = response.context["figures"]
    assert (figures["unassigned"], figures["urgent"], figures["resolved"]) == (3, 2, 2)
    assert b"My queue" in response.content


def test_another_schools_technician_sees_only_their_school(week, client_for, tech2):
    response = home(client_for, tech2)
    assert response.context["persona"] == "technician"
    assert refs(response.context["unassigned"]) == ["r"]
    assert refs(response.context["my_queue"]) == []


# --- Network manager and school leader ------------------------------------------------


@pytest.mark.parametrize("who", ["netmgr", "leader"])
def test_the_school_at_a_glance(week, client_for, cast, who):
    response = home(client_for, cast[who])
    assert response.context["persona"] == "glance"
    figures = response.context["figures"]
    # Open: a b e f g; P1/P2 open: a e; unassigned: b f g; awaiting: c;
    # logged in 7 days: a b c d e f (g is 10 days old); resolved in 7 days: c d.
    assert {k: figures[k] for k in ("open", "urgent", "unassigned", "awaiting", "logged", "resolved")} == {
        "open": 5,
        "urgent": 2,
        "unassigned": 3,
        "awaiting": 1,
        "logged": 6,
        "resolved": 2,
    }
    assert figures["oldest_open"] == week["g"].created_at
    by_priority = {value: count for _, count, value in response.context["by_priority"]}
    assert by_priority == {
        Priority.CRITICAL: 1,
        Priority.HIGH: 1,
        Priority.MEDIUM: 1,
        Priority.LOW: 1,
        Priority.PLANNING: 1,
    }
    assert dict(response.context["by_status"]) == {"New": 3, "Assigned": 1, "In progress": 1}
    assert refs(response.context["oldest"]) == ["g", "f", "a", "b", "e"]
    assert b"Highfield Primary School" in response.content


# --- LEA consultant --------------------------------------------------------------------


def test_the_consultant_sees_the_authoritys_schools_side_by_side(week, client_for, consultant, highfield, riverside):
    response = home(client_for, consultant)
    assert response.context["persona"] == "authority"
    rows = {school.slug: figures for school, figures in response.context["schools"]}
    assert set(rows) == {"highfield", "riverside"}
    assert (rows["highfield"]["open"], rows["highfield"]["urgent"], rows["highfield"]["unassigned"]) == (5, 2, 3)
    assert (rows["riverside"]["open"], rows["riverside"]["urgent"], rows["riverside"]["logged"]) == (1, 1, 1)
    assert response.context["totals"]["open"] == 6
    content = response.content.decode()
    assert "Riverside Academy" in content and "Highfield Primary School" in content
    assert "Westfield" not in content


def test_a_school_without_incidents_still_gets_its_row(client_for, consultant, highfield, riverside):
    response = home(client_for, consultant)
    rows = {school.slug: figures for school, figures in response.context["schools"]}
    assert rows == {
        "highfield": {"open": 0, "urgent": 0, "unassigned": 0, "awaiting": 0, "logged": 0, "resolved": 0},
        "riverside": {"open": 0, "urgent": 0, "unassigned": 0, "awaiting": 0, "logged": 0, "resolved": 0},
    }


def test_a_consultant_who_picks_a_school_sees_it_at_a_glance(week, client_for, consultant):
    client = client_for(consultant)
    client.post("/school/switch/", {"school": "riverside"})
    response = client.get("/")
    assert response.context["persona"] == "glance"
    assert response.context["figures"]["open"] == 1


# --- No role, administrator ---------------------------------------------------------------


def test_someone_without_a_role_gets_the_welcome_page(week, client_for):
    response = home(client_for, make_person("newcomer"))
    assert response.context["persona"] == "none"
    assert b"You have no role at a school yet" in response.content


def test_the_administrator_sees_every_school(week, client_for, admin_user):
    response = home(client_for, admin_user)
    assert response.context["persona"] == "authority"
    rows = {school.slug: figures["open"] for school, figures in response.context["schools"]}
    assert rows == {"highfield": 5, "riverside": 1, "westfield": 1}
    assert response.context["totals"]["open"] == 7


def test_the_administrator_in_one_school_sees_it_at_a_glance(week, client_for, admin_user):
    client = client_for(admin_user)
    client.post("/school/switch/", {"school": "westfield"})
    response = client.get("/")
    assert response.context["persona"] == "glance"
    assert response.context["figures"]["open"] == 1


# --- Several roles -------------------------------------------------------------------------


def test_the_broadest_role_wins(highfield, riverside, tech2, staff):
    Membership.objects.create(user=staff, school=riverside, role=Role.TECHNICIAN)
    from fits.models import User

    staff = User.objects.get(pk=staff.pk)
    assert persona(staff, None) == "technician"
    assert persona(staff, highfield) == "user"
    assert persona(staff, riverside) == "technician"


def test_home_needs_sign_in(client):
    assert client.get("/").status_code == 302
