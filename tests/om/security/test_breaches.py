"""The breach log: BRE references, the network manager and leaders told, the ICO's 72 hours (a warning once, when
they are nearly up), closing only once reported or ruled out, actions with owners; and nobody else sees any of it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from fits.models import Notification
from om.security import services
from om.security.models import Breach, BreachRisk, BreachStatus

WHAT = "Year 6 SATs list e-mailed to the wrong parent [bre-secret]"


def log(school, actor, *, hours_ago: float = 1, **values):
    values = {
        "title": WHAT,
        "description": "The office sent the class list with KS2 results to a parent by mistake.",
        "discovered_at": timezone.now() - timedelta(hours=hours_ago),
        "people_affected": 28,
        "children_data": True,
        **values,
    }
    return services.breach_log(school=school, actor=actor, **values)


@pytest.fixture
def breach(highfield, netmgr, leader, committed):
    return committed(log, highfield, netmgr)


def test_a_breach_gets_its_reference_and_tells_the_leaders(breach, highfield, netmgr, leader, tech, mailoutbox):
    assert breach.reference == "BRE-000001" and breach.status == BreachStatus.OPEN
    assert breach.ico_deadline == breach.discovered_at + timedelta(hours=72)
    told = set(Notification.objects.filter(event="breach_logged").values_list("recipient__username", flat=True))
    assert told == {"leader"}  # the network manager logged it: nobody hears of their own act; tech never
    assert [m.to for m in mailoutbox] == [[leader.email]]
    assert "72 hours" in mailoutbox[0].body


@pytest.mark.parametrize("who", ["tech", "desk", "staff", "consultant"])
def test_nobody_else_logs_one(who, request, highfield):
    with pytest.raises(PermissionDenied):
        log(highfield, request.getfixturevalue(who))


def test_a_breach_found_in_the_future_or_before_it_happened_is_refused(highfield, netmgr):
    with pytest.raises(ValidationError):
        log(highfield, netmgr, hours_ago=-24)
    with pytest.raises(ValidationError):
        log(highfield, netmgr, occurred_at=timezone.now())


def test_the_ico_deadline_warning_comes_once_when_48_hours_have_passed(highfield, netmgr, leader, committed):
    fresh = log(highfield, netmgr, hours_ago=10)
    old = log(highfield, netmgr, hours_ago=50, title="Laptop with pupil data stolen from a car")
    ruled_out = log(highfield, netmgr, hours_ago=60, title="Encrypted USB stick lost", risk=BreachRisk.UNLIKELY)
    mail.outbox.clear()
    assert committed(services.breaches_warn_deadline) == 1
    assert committed(services.breaches_warn_deadline) == 0  # however often it runs
    warned = Notification.objects.filter(event="ico_deadline")
    assert {n.url for n in warned} == {old.get_absolute_url()}
    assert {n.recipient.username for n in warned} == {"netmgr", "leader"}
    assert [m for m in mail.outbox if "Report to the ICO due" in m.subject]
    assert fresh.pk and ruled_out.pk


def test_a_reported_breach_is_not_warned_of(highfield, netmgr):
    breach = log(highfield, netmgr, hours_ago=50)
    services.breach_report_ico(breach=breach, actor=netmgr, reported_at=timezone.now(), ico_reference="IC-123")
    assert services.breaches_warn_deadline() == 0
    breach.refresh_from_db()
    assert breach.ico_reference == "IC-123" and not breach.awaiting_report


def test_closing_needs_the_ico_report_or_the_reason_it_is_not_reportable(breach, netmgr):
    services.breach_transition(breach=breach, actor=netmgr, action="contain")
    with pytest.raises(ValidationError):
        services.breach_transition(breach=breach, actor=netmgr, action="close", note="Done")
    services.breach_update(
        breach=breach,
        actor=netmgr,
        risk=BreachRisk.UNLIKELY,
        not_reported_reason="The parent deleted it at once and confirmed so in writing.",
    )
    closed = services.breach_transition(breach=breach, actor=netmgr, action="close", note="Parent confirmed deletion.")
    assert closed.status == BreachStatus.CLOSED and closed.closed_at is not None


def test_actions_have_owners_and_are_ticked_off(breach, netmgr, desk):
    action = services.breach_action_add(breach=breach, actor=netmgr, text="Ask the parent to delete it", owner=desk)
    services.breach_action_done(action=action, actor=netmgr)
    action.refresh_from_db()
    assert action.done_at is not None and action.owner == desk


def test_another_schools_person_cannot_own_an_action(breach, netmgr, tech2):
    with pytest.raises(ValidationError):
        services.breach_action_add(breach=breach, actor=netmgr, text="Check", owner=tech2)


@pytest.mark.parametrize("viewer", ["tech", "desk", "staff", "consultant", "tech2", "outsider"])
def test_the_breach_log_reaches_nobody_else(viewer, request, breach, client_for, api_for):
    user = request.getfixturevalue(viewer)
    assert not Breach.objects.visible_to(user).exists()
    page, api = client_for(user), api_for(user)
    listed = page.get(reverse("security:breach_list"))
    assert listed.status_code in (200, 404) and "bre-secret" not in listed.content.decode()
    assert page.get(breach.get_absolute_url()).status_code == 404
    assert "bre-secret" not in api.get("/api/security/breaches/").content.decode()
    assert api.get(f"/api/security/breaches/{breach.pk}/").status_code == 404


@pytest.mark.parametrize("viewer", ["netmgr", "leader", "admin_user"])
def test_the_network_manager_leaders_and_administrators_read_it(viewer, request, breach, client_for, api_for):
    user = request.getfixturevalue(viewer)
    assert "bre-secret" in client_for(user).get(reverse("security:breach_list")).content.decode()
    page = client_for(user).get(breach.get_absolute_url()).content.decode()
    assert "bre-secret" in page and "Report to the ICO by" in page
    assert api_for(user).get(f"/api/security/breaches/{breach.pk}/").json()["reference"] == "BRE-000001"


def test_the_pages_log_report_and_close_a_breach(highfield, leader, client_for):
    client = client_for(leader)
    assert client.get(reverse("security:breach_create")).status_code == 200
    found = timezone.localtime() - timedelta(hours=3)
    response = client.post(
        reverse("security:breach_create"),
        {
            "school": highfield.pk,
            "title": "Register printout left on a bus",
            "description": "A supply teacher lost it.",
            "discovered_at": found.strftime("%Y-%m-%dT%H:%M"),
            "people_affected": 30,
            "risk": BreachRisk.RISK,
        },
    )
    breach = Breach.objects.get()
    assert response.status_code == 302 and breach.children_data is False and breach.people_affected == 30
    client.post(
        reverse("security:breach_report", args=[breach.pk]),
        {"reported_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "ico_reference": "IC-9"},
    )
    client.post(reverse("security:breach_transition", args=[breach.pk]), {"action": "close", "note": "Recovered."})
    breach.refresh_from_db()
    assert breach.ico_reference == "IC-9" and breach.status == BreachStatus.CLOSED


def test_the_api_logs_a_breach(highfield, netmgr, api_for):
    response = api_for(netmgr).post(
        "/api/security/breaches/",
        {
            "school": "highfield",
            "title": "Ransomware on the office PC",
            "description": "Files encrypted.",
            "discovered_at": timezone.now().isoformat(),
            "special_category": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["reference"] == "BRE-000001" and response.json()["special_category"] is True


def test_the_api_refuses_a_technician(highfield, tech, api_for):
    response = api_for(tech).post(
        "/api/security/breaches/",
        {
            "school": "highfield",
            "title": "x",
            "description": "y",
            "discovered_at": timezone.now().isoformat(),
        },
        format="json",
    )
    assert response.status_code == 403


def test_the_api_works_a_breach_through_to_closed(breach, netmgr, leader, tech, api_for):
    url = f"/api/security/breaches/{breach.pk}/"
    client = api_for(netmgr)
    response = client.post(url + "actions/", {"text": "Reset the two passwords", "owner": tech.pk}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["text"] == "Reset the two passwords"
    assert client.post(url + "actions/", {"text": " "}, format="json").status_code == 400
    assert client.post(url + "transition/", {"action": "contain"}, format="json").json()["status"] == "contained"
    refused = client.post(url + "transition/", {"action": "close", "note": "Recovered."}, format="json")
    assert refused.status_code == 400 and "Report it to the ICO first" in refused.content.decode()
    reported = client.post(url + "report/", {"reported_at": timezone.now().isoformat(), "ico_reference": "IC-77"},
                           format="json")  # fmt: skip
    assert reported.status_code == 200 and reported.json()["ico_reference"] == "IC-77"
    closed = api_for(leader).post(url + "transition/", {"action": "close", "note": "Recovered."}, format="json")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    # A technician cannot reach the breach at all.
    assert api_for(tech).post(url + "transition/", {"action": "reopen"}, format="json").status_code == 404
