"""The portal for ICT users: log an incident in plain words with a room, a device and screenshots;
"my usual room"; the lookups; my tickets; confirm with a rating, reopen; the ticket page's caller side."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from fits.models import Attachment
from incidents import services
from incidents.models import Channel, Impact, Incident, Status, Urgency
from tests.incidents.portal_world import PNG, TEXT, lesson_not_now, lesson_on_now, upload

SHEET = {"title": "Board shows no picture", "description": "It says no signal.", "impact": 2, "urgency": 2}


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def radios(content: str, name: str) -> dict[str, bool]:
    """{value: checked} of the radio buttons named `name` in a page or partial."""
    found = {}
    for tag in re.findall(rf'<input[^>]*name="{name}"[^>]*>', content):
        value = re.search(r'value="([^"]*)"', tag).group(1)
        found[value] = " checked" in tag
    return found


# =============================================================================
# The form
# =============================================================================


def test_the_portal_form_speaks_plain_words(client_for, staff, highfield):
    response = client_for(staff).get(reverse("incidents:create"))
    content = response.content.decode()
    form = response.context["form"]
    assert response.status_code == 200
    assert {"location_q", "location", "room", "ci_q", "ci", "attachments", "safeguarding"} <= set(form.fields)
    assert "reporter" not in form.fields
    assert "How many people are affected?" in content and "How much does it stop you?" in content
    assert "One person: just me, or one pupil" in content and "Stops teaching or work now" in content
    assert 'enctype="multipart/form-data"' in content and 'name="attachments"' in content and "multiple" in content
    assert "Only the school&#x27;s designated safeguarding leads" in content
    # The knowledge self-help suggestions still follow the summary as it is typed.
    assert reverse("knowledge_suggest") in content and "knowledge-suggestions" in content
    assert reverse("incidents:lookup_rooms") in content and reverse("incidents:lookup_devices") in content
    assert 'src="/static/fits/portal.js"' in content


def test_staff_log_with_a_room_a_device_and_a_screenshot(client_for, staff, highfield, rooms, media):
    response = client_for(staff).post(
        reverse("incidents:create"),
        {
            **SHEET,
            "school": highfield.pk,
            "location": rooms.classroom4.pk,
            "room": "the board at the front",
            "ci": rooms.board.pk,
            "impact": Impact.MEDIUM,
            "urgency": Urgency.HIGH,
            "attachments": [upload("board.png", PNG, "image/png"), upload("error.txt", TEXT, "text/plain")],
        },
    )
    incident = Incident.objects.get()
    assert response.status_code == 302 and response["Location"] == incident.get_absolute_url()
    assert (incident.location, incident.room, incident.ci) == (rooms.classroom4, "the board at the front", rooms.board)
    assert (incident.reporter, incident.channel, incident.priority) == (staff, Channel.PORTAL, 2)
    files = list(Attachment.objects.filter(object_id=incident.pk).order_by("name"))
    assert [(f.name, f.media_type, f.uploaded_by) for f in files] == [
        ("board.png", "image/png", staff),
        ("error.txt", "text/plain", staff),
    ]
    assert all("board" not in f.file.name and "error" not in f.file.name for f in files)  # random storage names
    page = client_for(staff).get(incident.get_absolute_url()).content.decode()
    assert "Classroom 4" in page and "Main site / Junior block" in page and "the board at the front" in page
    assert "board.png" in page and reverse("incidents:attachment", args=[incident.pk, files[0].pk]) in page


def test_a_file_that_is_not_what_it_says_stops_the_form(client_for, staff, highfield, media):
    response = client_for(staff).post(
        reverse("incidents:create"),
        {**SHEET, "school": highfield.pk, "attachments": [upload("photo.png", b"MZ\x90\x00" + b"\x00" * 64)]},
    )
    assert response.status_code == 200
    assert "photo.png is not a type we accept" in " ".join(response.context["form"].errors["attachments"])
    assert not Incident.objects.exists() and not Attachment.objects.exists()


def test_a_device_an_ict_user_cannot_pick_is_refused(client_for, staff, highfield, rooms):
    """ICT users name the devices they use; the switch behind them is the CMDB's business."""
    client = client_for(staff)
    response = client.post(reverse("incidents:create"), {**SHEET, "school": highfield.pk, "ci": rooms.switch.pk})
    assert response.status_code == 200 and "ci" in response.context["form"].errors
    response = client.post(reverse("incidents:create"), {**SHEET, "school": highfield.pk, "ci": rooms.riverside_pc.pk})
    assert "ci" in response.context["form"].errors
    response = client.post(
        reverse("incidents:create"), {**SHEET, "school": highfield.pk, "location": rooms.riverside_room.pk}
    )
    assert "location" in response.context["form"].errors
    assert not Incident.objects.exists()


def test_my_usual_room_is_remembered(client_for, staff, highfield, rooms, log_incident):
    client = client_for(staff)
    form = client.get(reverse("incidents:create")).content.decode()
    assert radios(form, "location") == {}
    log_incident(highfield, by=staff, location=rooms.ict_suite)
    log_incident(highfield, by=staff, title="No room given")  # a later ticket without a room does not forget it
    page = client.get(reverse("incidents:create")).content.decode()
    assert radios(page, "location")[str(rooms.ict_suite.pk)] is True
    assert "Your usual room" in page


def test_without_javascript_the_typed_room_is_matched_or_kept(client_for, staff, highfield, rooms):
    client = client_for(staff)
    client.post(reverse("incidents:create"), {**SHEET, "school": highfield.pk, "location_q": "ict suite"})
    client.post(
        reverse("incidents:create"),
        {**SHEET, "school": highfield.pk, "location_q": "Main site / Infant block / Classroom 4"},
    )
    client.post(reverse("incidents:create"), {**SHEET, "school": highfield.pk, "location_q": "Classroom 4"})
    client.post(
        reverse("incidents:create"),
        {**SHEET, "school": highfield.pk, "location_q": "Portakabin", "room": "by the door"},
    )
    found = [(i.location, i.room) for i in Incident.objects.order_by("pk")]
    assert found == [
        (rooms.ict_suite, ""),
        (rooms.infant_classroom4, ""),
        (None, "Classroom 4"),  # two rooms have that name: kept as typed, for the technician
        (None, "Portakabin: by the door"),
    ]


def test_a_lesson_on_now_makes_it_urgent(client_for, staff, tech, highfield, rooms):
    lesson_on_now(rooms.classroom4, tech)
    client_for(staff).post(
        reverse("incidents:create"),
        {**SHEET, "school": highfield.pk, "location": rooms.classroom4.pk, "impact": Impact.MEDIUM, "urgency": 3},
    )
    incident = Incident.objects.get()
    assert (incident.urgency, incident.priority, incident.lesson.startswith("9X2 Computing")) == (1, 2, True)
    page = client_for(staff).get(incident.get_absolute_url()).content.decode()
    assert "Lesson affected" in page and "9X2 Computing" in page


# =============================================================================
# The lookups (htmx)
# =============================================================================


def test_the_room_lookup_finds_rooms_of_the_school_only(client_for, staff, highfield, rooms):
    client = client_for(staff)
    url = reverse("incidents:lookup_rooms")
    content = client.get(url, {"location_q": "classroom", "school": highfield.pk}).content.decode()
    options = radios(content, "location")
    assert set(options) == {str(rooms.classroom4.pk), str(rooms.infant_classroom4.pk), ""}
    assert "Junior block" in content and "Infant block" in content and "RV" not in content
    assert client.get(url, {"location_q": "junior 4"}).content.decode().count('name="location"') == 2
    assert "Classroom 4 RV" not in client.get(url, {"location_q": "RV"}).content.decode()
    assert 'name="location"' not in client.get(url).content.decode()  # nothing typed: nothing listed
    kept = client.get(url, {"location_q": "suite", "location": rooms.classroom4.pk}).content.decode()
    assert radios(kept, "location") == {str(rooms.classroom4.pk): True, str(rooms.ict_suite.pk): False, "": False}


def test_the_device_lookup_offers_an_ict_user_the_devices_they_use(client_for, staff, tech, highfield, rooms):
    url = reverse("incidents:lookup_devices")
    in_room = client_for(staff).get(url, {"location": rooms.classroom4.pk}).content.decode()
    assert set(radios(in_room, "ci")) == {str(rooms.pc.pk), str(rooms.board.pk), ""}
    assert "in this room" in in_room
    by_tag = client_for(staff).get(url, {"ci_q": "hf0401"}).content.decode()
    assert set(radios(by_tag, "ci")) == {str(rooms.pc.pk), ""}
    assert "HF-SW-JUN" not in client_for(staff).get(url, {"ci_q": "HF"}).content.decode()
    assert "Wi-Fi" in client_for(staff).get(url, {"ci_q": "wi-fi"}).content.decode()  # services can be named
    assert "RV-PC" not in client_for(staff).get(url, {"ci_q": "PC"}).content.decode()
    # Support staff may name anything in their school's CMDB, the devices in the room first.
    tech_view = client_for(tech).get(url, {"ci_q": "HF", "location": rooms.comms.pk}).content.decode()
    assert list(radios(tech_view, "ci"))[0] == str(rooms.switch.pk)


def test_the_lesson_hint(client_for, staff, tech, rooms):
    lesson_on_now(rooms.classroom4, tech)
    lesson_not_now(rooms.ict_suite, tech)
    url = reverse("incidents:lesson_hint")
    hint = client_for(staff).get(url, {"location": rooms.classroom4.pk}).content.decode()
    assert "Lesson now in this room: <strong>9X2 Computing</strong> (Mr Patel) until 23:59" in hint
    assert "Urgency will be high" in hint
    assert client_for(staff).get(url, {"location": rooms.ict_suite.pk}).content.decode().strip() == ""
    assert client_for(staff).get(url, {"location": rooms.riverside_room.pk}).content.decode().strip() == ""


def test_the_lookups_cost_a_few_queries_whatever_they_find(
    client_for, staff, tech, highfield, rooms, django_assert_max_num_queries
):
    from cmdb import services as cmdb

    client = client_for(staff)
    client.get(reverse("incidents:lookup_rooms"), {"location_q": "room"})
    for i in range(20):
        room = cmdb.location_create(
            school=highfield, actor=tech, kind="room", name=f"Room {i}", parent=rooms.classroom4.parent
        )
        cmdb.ci_create(school=highfield, actor=tech, kind="desktop", name=f"PC {i}", location=room)
    with django_assert_max_num_queries(8):
        content = client.get(reverse("incidents:lookup_rooms"), {"location_q": "room"}).content.decode()
    assert content.count('name="location"') == 13  # the first twelve, and "not in a room"
    with django_assert_max_num_queries(9):
        content = client.get(reverse("incidents:lookup_devices"), {"ci_q": "PC"}).content.decode()
    assert content.count('name="ci"') == 13


# =============================================================================
# My tickets, confirm and rate, reopen
# =============================================================================


@pytest.fixture
def resolved(highfield, staff, tech, log_incident):
    incident = log_incident(highfield, by=staff, title="Printer jams")
    services.incident_transition(incident=incident, action="start", actor=tech)
    return services.incident_transition(
        incident=incident, action="resolve", actor=tech, note="Cleared the rollers.", resolution_code="fixed"
    )


def test_my_tickets_lists_only_mine_with_what_to_do(client_for, staff, desk, highfield, resolved, log_incident):
    open_one = log_incident(highfield, by=staff, title="Laptop will not charge")
    log_incident(highfield, by=desk, title="The desk's own ticket")
    response = client_for(staff).get(reverse("incidents:mine"))
    content = response.content.decode()
    assert response.status_code == 200
    assert "Printer jams" in content and "Laptop will not charge" in content and "desk&#x27;s own" not in content
    assert "1 ticket is resolved and waiting for you" in content
    assert reverse("incidents:confirm", args=[resolved.pk]) in content
    assert reverse("incidents:transition", args=[resolved.pk, "reopen"]) in content
    assert reverse("incidents:comment", args=[open_one.pk]) in content  # reply to an open one
    tabs = {tab["slug"]: tab["count"] for tab in response.context["tabs"]}
    assert tabs == {"open": 1, "resolved": 1, "closed": 0, "all": 2}
    waiting = client_for(staff).get(reverse("incidents:mine"), {"show": "resolved"}).content.decode()
    assert "Printer jams" in waiting and "Laptop will not charge" not in waiting


def test_the_caller_confirms_with_a_rating(client_for, staff, tech, resolved, mailoutbox):
    client = client_for(staff)
    page = client.get(resolved.get_absolute_url()).content.decode()
    assert "Is it fixed?" in page and 'name="satisfaction"' in page
    response = client.post(
        reverse("incidents:confirm", args=[resolved.pk]),
        {"satisfaction": 4, "comment": "Quick, thank you", "next": reverse("incidents:mine")},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("incidents:mine")
    assert f"Thank you: {resolved.reference} is closed." in messages_of(response)
    resolved.refresh_from_db()
    assert (resolved.status, resolved.satisfaction, resolved.satisfaction_comment) == (
        Status.CLOSED,
        4,
        "Quick, thank you",
    )
    assert resolved.closed_at is not None
    page = client_for(tech).get(resolved.get_absolute_url()).content.decode()
    assert "rated the service" in page and "4 out of 5" in page and "Quick, thank you" in page


def test_the_rating_is_optional_but_must_be_one_to_five(client_for, staff, resolved):
    client = client_for(staff)
    response = client.post(reverse("incidents:confirm", args=[resolved.pk]), {"satisfaction": "9"}, follow=True)
    assert "Rate the service from 1 (very poor) to 5 (excellent)." in " ".join(messages_of(response))
    resolved.refresh_from_db()
    assert resolved.status == Status.RESOLVED
    client.post(reverse("incidents:confirm", args=[resolved.pk]), {"comment": "Fine now"})
    resolved.refresh_from_db()
    assert (resolved.status, resolved.satisfaction, resolved.satisfaction_comment) == (Status.CLOSED, None, "Fine now")


def test_the_caller_reopens_saying_what_is_still_wrong(client_for, staff, tech, resolved):
    client_for(staff).post(reverse("incidents:transition", args=[resolved.pk, "reopen"]), {"note": "Jams again."})
    resolved.refresh_from_db()
    assert resolved.status == Status.REOPENED and resolved.resolved_at is None
    assert "Jams again." in client_for(tech).get(resolved.get_absolute_url()).content.decode()


def test_confirming_needs_a_resolved_ticket_of_ones_own(client_for, staff, tech2, highfield, resolved, log_incident):
    assert (
        client_for(tech2).post(reverse("incidents:confirm", args=[resolved.pk]), {"satisfaction": 1}).status_code == 404
    )
    fresh = log_incident(highfield, by=staff, title="Still new")
    response = client_for(staff).post(reverse("incidents:confirm", args=[fresh.pk]), {"satisfaction": 5}, follow=True)
    assert any("new" in m.lower() for m in messages_of(response))
    assert Incident.objects.get(pk=fresh.pk).status == Status.NEW


def test_confirm_service_rules(staff, desk, tech, resolved):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.incident_confirm(incident=resolved, actor=staff, satisfaction=6)
    # The desk may confirm on the caller's behalf (by phone), without a rating.
    closed = services.incident_confirm(incident=resolved, actor=desk)
    assert (closed.status, closed.satisfaction) == (Status.CLOSED, None)


def test_the_desk_still_logs_a_call_from_the_portal_form(client_for, desk, staff, highfield, rooms):
    client_for(desk).post(
        reverse("incidents:create"),
        {**SHEET, "school": highfield.pk, "reporter": staff.pk, "channel": "in_person", "location": rooms.ict_suite.pk},
    )
    incident = Incident.objects.get()
    assert (incident.reporter, incident.logged_by, incident.channel, incident.location) == (
        staff,
        desk,
        Channel.IN_PERSON,
        rooms.ict_suite,
    )


def test_the_ci_impact_is_shown_to_support_staff(client_for, staff, tech, highfield, rooms, log_incident):
    incident = log_incident(highfield, by=staff, ci=rooms.switch)
    page = client_for(tech).get(incident.get_absolute_url()).content.decode()
    assert "If HF-SW-JUN is down" in page
    assert "2</strong> other items" in page and "Wi-Fi" in page and "HF-PC-C4-01" in page
    assert f"{rooms.switch.get_absolute_url()}?tab=relationships" in page
    assert "If HF-SW-JUN is down" not in client_for(staff).get(incident.get_absolute_url()).content.decode()
