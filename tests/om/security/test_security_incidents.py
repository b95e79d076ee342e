"""Security incidents: incidents in a security category, seen only by the school's network manager and leaders,
administrators, whoever works them and their caller, through every door (pages, search, home, the API)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from incidents import services as incidents
from incidents.models import Incident
from om.security import services
from tests.om.security.conftest import SECRET

ALLOWED = ["netmgr", "leader", "admin_user"]
REFUSED = ["tech", "desk", "staff", "consultant", "tech2", "outsider"]


def person(request, name):
    return request.getfixturevalue(name)


def test_logging_in_a_security_category_marks_the_incident(security_incident):
    assert security_incident.security is True


@pytest.mark.parametrize("viewer", ALLOWED + REFUSED)
def test_only_the_network_manager_leaders_and_administrators_see_it(viewer, request, security_incident):
    user = person(request, viewer)
    assert Incident.objects.visible_to(user).filter(pk=security_incident.pk).exists() is (viewer in ALLOWED)


@pytest.mark.parametrize("viewer", REFUSED)
def test_it_never_appears_in_pages_search_or_the_api(viewer, request, security_incident, client_for, api_for):
    user = person(request, viewer)
    page, api = client_for(user), api_for(user)
    doors = {
        "the queue": page.get(reverse("incidents:list")),
        "the queue searched": page.get(reverse("incidents:list"), {"q": "Phishing"}),
        "the home page": page.get("/"),
        "the API list": api.get("/api/incidents/"),
        "the API searched": api.get("/api/incidents/", {"q": "Phishing"}),
    }
    for door, response in doors.items():
        content = response.content.decode()
        assert "sec-secret" not in content and security_incident.reference not in content, door
    assert page.get(security_incident.get_absolute_url()).status_code == 404
    for suffix in ("", "activity/"):
        assert api.get(f"/api/incidents/{security_incident.pk}/{suffix}").status_code == 404


@pytest.mark.parametrize("viewer", ALLOWED)
def test_those_who_may_see_it_find_it(viewer, request, security_incident, client_for, api_for):
    user = person(request, viewer)
    assert SECRET in client_for(user).get(security_incident.get_absolute_url()).content.decode()
    assert security_incident.reference in api_for(user).get("/api/incidents/").content.decode()


def test_the_assignee_and_the_caller_see_it(highfield, security_category, netmgr, tech, staff, log_incident):
    reported = log_incident(highfield, by=staff, title="Odd pop-up asking for my password", category=security_category)
    assert Incident.objects.visible_to(staff).filter(pk=reported.pk).exists()  # the caller
    assert not Incident.objects.visible_to(tech).filter(pk=reported.pk).exists()
    incidents.incident_assign(incident=reported, assignee=tech, actor=netmgr)
    assert Incident.objects.visible_to(tech).filter(pk=reported.pk).exists()  # whoever works it


def test_recategorising_makes_a_ticket_a_security_incident_and_back(
    highfield, security_category, desk, tech, staff, log_incident
):
    ticket = log_incident(highfield, by=staff, title="Strange e-mail")
    assert Incident.objects.visible_to(tech).filter(pk=ticket.pk).exists()
    ticket = incidents.incident_recategorise(incident=ticket, actor=desk, category=security_category)
    assert ticket.security and not Incident.objects.visible_to(tech).filter(pk=ticket.pk).exists()
    ticket = incidents.incident_recategorise(incident=ticket, actor=desk, category=None)
    assert not ticket.security and Incident.objects.visible_to(tech).filter(pk=ticket.pk).exists()


def test_marking_a_category_brings_its_existing_tickets_along(highfield, netmgr, tech, staff, log_incident):
    category = incidents.category_save(actor=netmgr, school=highfield, name="E-mail")
    ticket = log_incident(highfield, by=staff, title="Suspicious link", category=category)
    services.category_mark_security(category=category, actor=netmgr, is_security=True)
    assert Incident.objects.get(pk=ticket.pk).security
    assert not Incident.objects.visible_to(tech).filter(pk=ticket.pk).exists()
    services.category_mark_security(category=category, actor=netmgr, is_security=False)
    assert Incident.objects.visible_to(tech).filter(pk=ticket.pk).exists()


def test_only_the_categorys_keepers_mark_it(highfield, netmgr, tech):
    category = incidents.category_save(actor=netmgr, school=highfield, name="E-mail")
    with pytest.raises(PermissionDenied):
        services.category_mark_security(category=category, actor=tech, is_security=True)


def test_the_categories_page_marks_one(highfield, netmgr, client_for):
    category = incidents.category_save(actor=netmgr, school=highfield, name="Malware")
    client = client_for(netmgr)
    assert "Malware" in client.get(reverse("security:categories")).content.decode()
    client.post(reverse("security:category_mark", args=[category.pk]), {"is_security": "1"})
    category.refresh_from_db()
    assert category.is_security


def test_the_ticket_page_moves_it_into_a_security_category(highfield, security_category, desk, netmgr, staff,
                                                           log_incident, client_for):  # fmt: skip
    ticket = log_incident(highfield, by=staff, title="Strange e-mail asking for my password")
    html = client_for(desk).get(ticket.get_absolute_url()).content.decode()
    assert "Change the category" in html and "Security incident (security)" in html
    response = client_for(desk).post(
        reverse("incidents:set_category", args=[ticket.pk]), {"category": security_category.pk}, follow=True
    )
    # The desk does not lead the school nor work the ticket: it is out of their sight now, so back to the queue.
    assert response.redirect_chain[-1][0] == reverse("incidents:list")
    assert "It is a security incident now: few people see it." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.security and ticket.category == security_category
    html = client_for(netmgr).get(ticket.get_absolute_url()).content.decode()
    assert 'id="security-badge"' in html
    # And back out of it, by someone who still sees it.
    response = client_for(netmgr).post(reverse("incidents:set_category", args=[ticket.pk]), {"category": ""})
    assert response.status_code == 302 and response["Location"] == ticket.get_absolute_url()
    ticket.refresh_from_db()
    assert not ticket.security and ticket.category is None


def test_the_api_moves_it_and_refuses_another_schools_category(highfield, riverside, security_category, desk, staff,
                                                               admin_user, log_incident, api_for):  # fmt: skip
    ticket = log_incident(highfield, by=staff, title="Strange e-mail")
    theirs = incidents.category_save(actor=admin_user, school=riverside, name="Riverside only")
    url = reverse("api:incident-category", args=[ticket.pk])
    response = api_for(desk).post(url, {"category": theirs.pk}, format="json")
    assert response.status_code == 400, response.content
    ticket.refresh_from_db()
    assert ticket.category is None and not ticket.security
    response = api_for(desk).post(url, {"category": security_category.pk}, format="json")
    assert response.status_code == 200, response.content
    ticket.refresh_from_db()
    assert ticket.security and ticket.category == security_category
    # Out of the desk's sight from now on.
    assert api_for(desk).get(reverse("api:incident-detail", args=[ticket.pk])).status_code == 404
