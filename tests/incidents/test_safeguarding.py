"""Safeguarding-flagged incidents: seen only by the reporter, whoever works them, the school's designated
safeguarding leads and its leaders; the leads told at once (without details by e-mail); the flag set later
by staff and removed only by a lead; the leads named by the school's leaders.

Each "never appears" test looks through one door: lists, search, the API, the home pages, problem links,
the activity timeline and attachment downloads."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from fits.models import Activity, Notification
from incidents import services
from incidents.models import Incident
from tests.incidents.portal_world import PNG, upload

SECRET = "Worrying search history [sg-secret]"
DETAILS = "Pupil in 5B searched for [sg-details]"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what the services queue after commit (the alerts), as a real request would."""

    def run(operation, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return operation(*args, **kwargs)

    return run


@pytest.fixture
def concern(highfield, staff, netmgr, log_incident, mailoutbox, media, committed):
    """A safeguarding concern logged by staff at highfield, where netmgr is the named safeguarding lead."""
    highfield.safeguarding_leads.set([netmgr])
    incident = committed(log_incident, highfield, by=staff, title=SECRET, description=DETAILS, safeguarding=True)
    services.incident_attach(incident=incident, actor=staff, uploads=[upload("screen.png", PNG)])
    return incident


# Who may see it: the reporter, the named lead, the school's leader, the administrator.
ALLOWED = ["staff", "netmgr", "leader", "admin_user"]
# Who may not: the rest of highfield's support staff, the LEA consultant, other schools.
REFUSED = ["tech", "desk", "consultant", "tech2", "outsider"]


def person(request, name):
    return request.getfixturevalue(name)


@pytest.mark.parametrize("viewer", ALLOWED + REFUSED)
def test_the_ticket_page_and_its_download(viewer, request, concern, client_for):
    client = client_for(person(request, viewer))
    page = client.get(concern.get_absolute_url())
    from fits.attachments import attachments_of

    attachment = attachments_of(concern, include_internal=True).get()
    download = client.get(reverse("incidents:attachment", args=[concern.pk, attachment.pk]))
    if viewer in ALLOWED:
        assert page.status_code == 200 and SECRET in page.content.decode()
        assert "Safeguarding concern." in page.content.decode()
        assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    else:
        assert page.status_code == 404 and download.status_code == 404


@pytest.mark.parametrize("viewer", REFUSED)
def test_it_never_appears_in_lists_search_home_or_the_api(
    viewer, request, concern, client_for, api_for, highfield, log_incident, staff
):
    log_incident(highfield, by=staff, title="Projector [sg-other]")
    user = person(request, viewer)
    page, api = client_for(user), api_for(user)
    doors = {
        "the queue": page.get(reverse("incidents:list")),
        "the queue searched": page.get(reverse("incidents:list"), {"q": "Worrying"}),
        "the home page": page.get("/"),
        "my tickets": page.get(reverse("incidents:mine")),
        "the API list": api.get("/api/incidents/"),
        "the API searched": api.get("/api/incidents/", {"q": "Worrying"}),
        "the API filtered to highfield": api.get("/api/incidents/", {"school": "highfield"}),
        "the caller lookup": page.get(reverse("incidents:phone_callers"), {"caller_q": "staff"}),
    }
    for door, response in doors.items():
        content = response.content.decode()
        assert "sg-secret" not in content and "sg-details" not in content, door
        assert concern.reference not in content, door
    for suffix in ("", "activity/", "attachments/"):
        assert api.get(f"/api/incidents/{concern.pk}/{suffix}").status_code == 404, suffix


@pytest.mark.parametrize("viewer", ["tech", "desk"])
def test_home_page_counts_leave_it_out(viewer, request, concern, client_for):
    """The technician's and the desk's figures count the incidents they may see, not the hidden one."""
    response = client_for(person(request, viewer)).get("/")
    figures = response.context["figures"]
    assert figures["open"] == 0 and figures["unassigned"] == 0


def test_the_leader_counts_it(concern, leader, client_for):
    assert client_for(leader).get("/").context["figures"]["open"] == 1


def test_whoever_works_it_sees_it(concern, tech, netmgr, client_for):
    services.incident_assign(incident=concern, assignee=tech, actor=netmgr)
    assert client_for(tech).get(concern.get_absolute_url()).status_code == 200


def test_problem_pages_do_not_show_it(concern, tech, highfield, client_for, api_for, log_incident, staff):
    from problems import services as problems

    other = log_incident(highfield, by=staff, title="Printer [sg-other]")
    problem = problems.problem_log(school=highfield, logged_by=tech, title="Filter misses", incidents=[concern, other])
    content = client_for(tech).get(reverse("problems:detail", args=[problem.pk])).content.decode()
    assert "[sg-other]" in content
    assert "sg-secret" not in content and concern.reference not in content
    for url in (f"/api/problems/{problem.pk}/", f"/api/problems/{problem.pk}/activity/"):
        api = api_for(tech).get(url).content.decode()
        assert other.reference in api and "sg-secret" not in api and concern.reference not in api, url


def test_candidate_problems_do_not_list_it(concern, tech, staff, highfield, client_for, log_incident, rooms_ci):
    from problems import services as problems

    Incident.objects.filter(pk=concern.pk).update(ci=rooms_ci)
    for i in range(3):
        log_incident(highfield, by=staff, title=f"PC slow [sg-other {i}]", ci=rooms_ci)
    problems.problem_candidates_spot(now=timezone.now() + timedelta(minutes=1))
    content = client_for(tech).get(reverse("problems:candidates")).content.decode()
    assert "[sg-other 0]" in content
    assert "sg-secret" not in content


@pytest.fixture
def rooms_ci(highfield, tech):
    from cmdb import services as cmdb

    return cmdb.ci_create(school=highfield, actor=tech, kind="desktop", name="HF-PC-LIB-01")


def test_the_activity_of_the_ticket_is_not_reachable(concern, tech, api_for):
    assert api_for(tech).get(f"/api/incidents/{concern.pk}/activity/").status_code == 404


# =============================================================================
# Telling the leads
# =============================================================================


def test_logging_a_concern_tells_the_leads_without_details(concern, highfield, netmgr, leader, mailoutbox):
    alerts = [m for m in mailoutbox if "Safeguarding concern logged" in m.subject]
    assert [m.to for m in alerts] == [[netmgr.email]]  # the named lead; leaders see it but are not alerted
    body = alerts[0].body
    assert f"http://127.0.0.1:8000/incidents/{concern.pk}/" in body
    assert "sg-secret" not in body + alerts[0].subject and "sg-details" not in body
    assert highfield.name in body
    assert all("sg-secret" not in html and "sg-details" not in html for html, _ in alerts[0].alternatives)
    note = Notification.objects.get(recipient=netmgr, event="safeguarding")
    assert (note.url, note.school) == (concern.get_absolute_url(), highfield)
    assert "sg-secret" not in note.title + note.text


def test_without_named_leads_the_leaders_are_told(highfield, staff, leader, log_incident, mailoutbox, committed):
    committed(log_incident, highfield, by=staff, title=SECRET, safeguarding=True)
    alerts = [m for m in mailoutbox if "Safeguarding concern logged" in m.subject]
    assert [m.to for m in alerts] == [[leader.email]]


def test_a_lead_who_logs_it_is_not_told_of_their_own_concern(highfield, netmgr, log_incident, mailoutbox, committed):
    highfield.safeguarding_leads.set([netmgr])
    committed(log_incident, highfield, by=netmgr, title=SECRET, safeguarding=True)
    assert Notification.objects.filter(event="safeguarding").count() == 0
    assert not [m for m in mailoutbox if "Safeguarding concern logged" in m.subject]


def test_the_portal_form_flags_on_logging(client_for, staff, netmgr, highfield, mailoutbox, committed):
    highfield.safeguarding_leads.set([netmgr])
    response = committed(
        client_for(staff).post,
        reverse("incidents:create"),
        {
            "school": highfield.pk,
            "title": SECRET,
            "description": DETAILS,
            "impact": 3,
            "urgency": 2,
            "safeguarding": "on",
        },
        follow=True,
    )
    incident = Incident.objects.get()
    assert incident.safeguarding
    assert any("safeguarding leads have been told" in str(m) for m in response.context["messages"])
    assert [m.to for m in mailoutbox if "Safeguarding concern logged" in m.subject] == [[netmgr.email]]


# =============================================================================
# Flagging later, and removing the flag
# =============================================================================


def test_the_desk_flags_a_ticket_later(highfield, staff, desk, netmgr, log_incident, client_for, mailoutbox, committed):
    highfield.safeguarding_leads.set([netmgr])
    incident = log_incident(highfield, by=staff, title="Laptop screen [sg-later]")
    client = client_for(desk)
    refused = client.post(reverse("incidents:flag_safeguarding", args=[incident.pk]), {"note": "Saw the screen"})
    assert not Incident.objects.get(pk=incident.pk).safeguarding  # the box that says what happens was not ticked
    response = committed(
        client.post,
        reverse("incidents:flag_safeguarding", args=[incident.pk]),
        {"note": "Saw the screen", "confirm": "on"},
        follow=True,
    )
    assert refused.status_code == 302
    assert Incident.objects.get(pk=incident.pk).safeguarding
    assert response.redirect_chain[-1][0] == reverse("incidents:list")  # the desk can no longer see it
    entry = Activity.objects.filter(object_id=incident.pk, changes__safeguarding=[False, True]).get()
    assert (entry.public, entry.actor) == (False, desk) and "Saw the screen" in entry.text
    assert [m.to for m in mailoutbox if "Safeguarding concern logged" in m.subject] == [[netmgr.email]]
    assert client.get(incident.get_absolute_url()).status_code == 404


def test_the_caller_flags_their_own_ticket_and_still_sees_it(highfield, staff, log_incident, client_for):
    incident = log_incident(highfield, by=staff, title="Odd pop-up")
    client = client_for(staff)
    assert "Flag as a safeguarding concern" in client.get(incident.get_absolute_url()).content.decode()
    client.post(reverse("incidents:flag_safeguarding", args=[incident.pk]), {"confirm": "on"})
    page = client.get(incident.get_absolute_url()).content.decode()
    assert "Safeguarding concern." in page and "Flagged as a safeguarding concern:" not in page  # internal entry


def test_only_a_lead_or_a_leader_removes_the_flag(concern, tech, desk, netmgr, leader, staff):
    for who in (tech, desk, staff):
        with pytest.raises(PermissionDenied):
            services.incident_unflag_safeguarding(incident=concern, actor=who, note="Not one")
    with pytest.raises(ValidationError):
        services.incident_unflag_safeguarding(incident=concern, actor=netmgr, note=" ")
    services.incident_unflag_safeguarding(incident=concern, actor=netmgr, note="A pop-up advert, not a concern.")
    concern.refresh_from_db()
    assert not concern.safeguarding
    assert Incident.objects.visible_to(tech).filter(pk=concern.pk).exists()
    services.incident_flag_safeguarding(incident=concern, actor=leader)
    services.incident_unflag_safeguarding(incident=concern, actor=leader, note="Checked with the DSL.")


def test_the_lead_sees_the_remove_button_and_others_do_not(concern, netmgr, staff, client_for):
    assert "Remove the flag" in client_for(netmgr).get(concern.get_absolute_url()).content.decode()
    assert "Remove the flag" not in client_for(staff).get(concern.get_absolute_url()).content.decode()
    response = client_for(netmgr).post(
        reverse("incidents:unflag_safeguarding", args=[concern.pk]), {"note": "Not one."}, follow=True
    )
    assert not Incident.objects.get(pk=concern.pk).safeguarding
    assert any("no longer flagged" in str(m) for m in response.context["messages"])


# =============================================================================
# Naming the leads
# =============================================================================


def test_a_leader_names_the_leads(client_for, leader, netmgr, staff, highfield):
    client = client_for(leader)
    page = client.get(reverse("safeguarding_leads")).content.decode()
    assert "No safeguarding lead is named yet" in page and 'name="leads"' in page
    response = client.post(reverse("safeguarding_leads"), {"school": highfield.pk, "leads": [netmgr.pk, staff.pk]})
    assert response.status_code == 302
    assert set(highfield.safeguarding_leads.all()) == {netmgr, staff}
    entry = Activity.objects.get(
        object_id=highfield.pk, kind=Activity.Kind.FIELD, changes__has_key="safeguarding_leads"
    )
    assert entry.actor == leader and not entry.public


def test_others_read_the_leads_but_cannot_change_them(client_for, netmgr, staff, tech, highfield):
    highfield.safeguarding_leads.set([netmgr])
    page = client_for(staff).get(reverse("safeguarding_leads")).content.decode()
    assert str(netmgr) in page and 'name="leads"' not in page
    client_for(tech).post(reverse("safeguarding_leads"), {"school": highfield.pk, "leads": [tech.pk]})
    assert list(highfield.safeguarding_leads.all()) == [netmgr]


def test_the_leads_must_belong_to_the_school(leader, tech2, highfield):
    from fits.safeguarding import school_set_safeguarding_leads

    with pytest.raises(ValidationError):
        school_set_safeguarding_leads(school=highfield, leads=[tech2], actor=leader)
    assert not highfield.safeguarding_leads.exists()


def test_another_schools_leads_are_not_shown(client_for, tech2, netmgr, highfield, riverside):
    highfield.safeguarding_leads.set([netmgr])
    page = client_for(tech2).get(reverse("safeguarding_leads")).content.decode()
    assert riverside.name in page and highfield.name not in page and str(netmgr) not in page
    client_for(tech2).post(reverse("safeguarding_leads"), {"school": highfield.pk, "leads": []})
    assert list(highfield.safeguarding_leads.all()) == [netmgr]
