"""Phone and walk-up calls: the desk's fast form, caller lookup, live priority, resolved at first contact."""

from __future__ import annotations

import re

from django.urls import reverse

from fits.models import Membership, Role
from incidents.models import Category, Channel, Incident, Status
from tests.incidents.portal_world import lesson_on_now

CALL = {"title": "Cannot print to the office printer", "channel": "phone", "impact": 3, "urgency": 2}


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_the_phone_form_is_keyboard_first(client_for, desk, highfield):
    response = client_for(desk).get(reverse("incidents:phone"))
    content = response.content.decode()
    assert response.status_code == 200
    caller_box = re.search(r'<input[^>]*name="caller_q"[^>]*>', content).group(0)
    assert "autofocus" in caller_box and "hx-get" in caller_box
    assert "data-ctrl-enter" in content and 'aria-keyshortcuts="Control+Enter"' in content
    assert 'src="/static/fits/portal.js"' in content and "<script>" not in content.split("</footer>")[0]
    # Tab follows the call: caller, channel, summary, category, details, room... then impact and urgency.
    order = [
        m
        for m in re.findall(r'name="(caller_q|channel|title|category|description|location_q|impact|urgency)"', content)
    ]
    assert list(dict.fromkeys(order)) == [
        "caller_q",
        "channel",
        "title",
        "category",
        "description",
        "location_q",
        "impact",
        "urgency",
    ]
    # The desk logs and routes; resolving is for technicians.
    assert 'name="resolved"' not in content


def test_the_script_is_served(client):
    response = client.get("/static/fits/portal.js")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200 and b"Ctrl+Enter" in body


def test_an_ict_user_has_no_phone_form(client_for, staff):
    response = client_for(staff).get(reverse("incidents:phone"), follow=True)
    assert response.redirect_chain == [("/", 302)]
    assert "Only the service desk and technicians log calls for other people." in messages_of(response)


def test_the_caller_lookup_finds_people_with_their_open_tickets_and_usual_room(
    client_for, desk, staff, tech2, highfield, rooms, log_incident
):
    staff.phone = "01204 555 0199"
    staff.save(update_fields=["phone"])
    log_incident(highfield, by=staff, title="Projector flickers", location=rooms.classroom4)
    log_incident(highfield, by=staff, title="Mouse missing")
    client = client_for(desk)
    url = reverse("incidents:phone_callers")
    for query in ("staff", "Staff", "staff@example", "0199"):
        content = client.get(url, {"caller_q": query}).content.decode()
        assert f'value="{staff.pk}"' in content, query
    content = client.get(url, {"caller_q": "staff"}).content.decode()
    assert "2 open tickets" in content and "Projector flickers" in content and "usual room Classroom 4" in content
    assert f'data-room="{rooms.classroom4.pk}"' in content
    assert 'name="reporter"' not in client.get(url, {"caller_q": "tech2"}).content.decode()  # riverside's
    assert 'name="reporter"' not in client.get(url).content.decode()


def test_an_ict_user_cannot_look_callers_up(client_for, staff, desk):
    content = client_for(staff).get(reverse("incidents:phone_callers"), {"caller_q": "desk"}).content.decode()
    assert 'name="reporter"' not in content


def test_the_desk_logs_a_call_for_staff(client_for, desk, staff, highfield, rooms, bolton):
    hardware = Category.objects.create(authority=bolton, name="Printer")
    response = client_for(desk).post(
        reverse("incidents:phone"),
        {
            **CALL,
            "school": highfield.pk,
            "reporter": staff.pk,
            "category": hardware.pk,
            "location": rooms.classroom4.pk,
            "ci": rooms.pc.pk,
            "description": "Says offline.",
        },
        follow=True,
    )
    incident = Incident.objects.get()
    assert (incident.reporter, incident.logged_by, incident.channel) == (staff, desk, Channel.PHONE)
    assert (incident.category, incident.location, incident.ci, incident.status) == (
        hardware,
        rooms.classroom4,
        rooms.pc,
        Status.NEW,
    )
    assert response.redirect_chain[-1][0] == f"{reverse('incidents:phone')}?logged={incident.pk}"
    assert f"{incident.reference} logged for {staff}." in messages_of(response)
    assert "Last call:" in response.content.decode() and incident.reference in response.content.decode()


def test_without_javascript_the_caller_is_matched_by_username_or_email(client_for, desk, staff, highfield):
    client = client_for(desk)
    client.post(reverse("incidents:phone"), {**CALL, "school": highfield.pk, "caller_q": "STAFF@example.sch.uk"})
    assert Incident.objects.get().reporter == staff
    response = client.post(reverse("incidents:phone"), {**CALL, "school": highfield.pk, "caller_q": "Sam"})
    assert response.status_code == 200 and "caller_q" in response.context["form"].errors
    assert Incident.objects.count() == 1


def test_a_technician_resolves_at_first_contact(client_for, tech, staff, highfield):
    response = client_for(tech).post(
        reverse("incidents:phone"),
        {
            **CALL,
            "school": highfield.pk,
            "reporter": staff.pk,
            "channel": "in_person",
            "resolved": "on",
            "resolution": "Showed how to pick the office printer.",
            "resolution_code": "advice",
        },
        follow=True,
    )
    incident = Incident.objects.get()
    assert (incident.status, incident.resolution_code, incident.assignee) == (Status.RESOLVED, "advice", tech)
    assert incident.resolution == "Showed how to pick the office printer."
    assert incident.channel == Channel.IN_PERSON
    assert f"{incident.reference} logged and resolved at first contact for {staff}." in messages_of(response)


def test_resolved_at_first_contact_needs_the_resolution(client_for, tech, staff, highfield):
    response = client_for(tech).post(
        reverse("incidents:phone"), {**CALL, "school": highfield.pk, "reporter": staff.pk, "resolved": "on"}
    )
    errors = response.context["form"].errors
    assert "resolution" in errors and "resolution_code" in errors
    assert not Incident.objects.exists()


def test_the_priority_shows_live(client_for, desk, tech, highfield, rooms):
    url = reverse("incidents:phone_priority")
    client = client_for(desk)
    assert "P1 Critical" in client.get(url, {"school": highfield.pk, "impact": 1, "urgency": 1}).content.decode()
    assert "P5 Planning" in client.get(url, {"school": highfield.pk, "impact": 3, "urgency": 3}).content.decode()
    lesson_on_now(rooms.classroom4, tech)
    content = client.get(
        url, {"school": highfield.pk, "impact": 3, "urgency": 3, "location": rooms.classroom4.pk}
    ).content.decode()
    assert "P3 Medium" in content and "9X2 Computing" in content and "urgency is raised to high" in content
    assert client.get(url, {"impact": "x"}).content.decode().strip() == ""


def test_the_desk_cannot_log_for_another_school_or_its_people(client_for, desk, tech2, highfield, riverside):
    client = client_for(desk)
    response = client.post(reverse("incidents:phone"), {**CALL, "school": riverside.pk, "reporter": tech2.pk})
    assert response.status_code == 200 and "school" in response.context["form"].errors
    response = client.post(reverse("incidents:phone"), {**CALL, "school": highfield.pk, "reporter": tech2.pk})
    assert "reporter" in response.context["form"].errors
    assert not Incident.objects.exists()


def test_a_desk_at_two_schools_chooses_the_school(client_for, desk, staff, highfield, riverside):
    Membership.objects.create(user=desk, school=riverside, role=Role.DESK)
    form = client_for(desk).get(reverse("incidents:phone")).context["form"]
    assert not form.fields["school"].widget.is_hidden
    assert set(form.fields["school"].queryset) == {highfield, riverside}
