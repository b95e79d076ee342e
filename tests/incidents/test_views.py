"""The incident pages: the queue, the log form, the detail page and its POST actions."""

import re

import pytest
from django.db import transaction

from fits.models import Activity
from incidents import services
from incidents.models import Channel, Incident, Status

pytestmark = pytest.mark.django_db

ALL_STATUSES = [Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.ON_HOLD, Status.RESOLVED, Status.REOPENED]
ALL_STATUSES.append(Status.CLOSED)
# What the moves that need more than a note are made with: why it waits, how it was resolved.
DETAILS = {"hold": {"hold_reason": "awaiting_parts"}, "resolve": {"resolution_code": "fixed"}}


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def titles_listed(response) -> set[str]:
    assert response.status_code == 200
    return {row.record.title for row in response.context["table"].page.object_list}


def walk(incident, status, *, tech, desk):
    steps = {
        Status.NEW: [],
        Status.ASSIGNED: ["assign"],
        Status.IN_PROGRESS: ["start"],
        Status.ON_HOLD: ["start", "hold"],
        Status.RESOLVED: ["resolve"],
        Status.REOPENED: ["resolve", "reopen"],
        Status.CLOSED: ["resolve", "close"],
    }[status]
    for step in steps:
        if step == "assign":
            incident = services.incident_assign(incident=incident, assignee=tech, actor=desk)
        else:
            incident = services.incident_transition(
                incident=incident, action=step, actor=tech, note="Step.", **DETAILS.get(step, {})
            )
    return incident


# =============================================================================
# The queue
# =============================================================================


@pytest.fixture
def queue(highfield, riverside, cast, log_incident):
    projector = log_incident(highfield, by=cast["staff"], title="Projector shows no picture")
    printer = log_incident(highfield, by=cast["leader"], title="Printer in the head's office")
    services.incident_transition(
        incident=printer, action="resolve", actor=cast["tech"], note="Cleared the jam.", resolution_code="fixed"
    )
    log_incident(riverside, by=cast["tech2"], title="Riverside projector")
    return projector


def test_the_queue_lists_the_schools_incidents(queue, client_for, cast):
    assert titles_listed(client_for(cast["tech"]).get("/incidents/")) == {
        "Projector shows no picture",
        "Printer in the head's office",
    }


def test_an_ict_user_lists_only_their_own(queue, client_for, cast):
    assert titles_listed(client_for(cast["staff"]).get("/incidents/")) == {"Projector shows no picture"}


def test_the_queue_filters(queue, client_for, cast):
    client = client_for(cast["tech"])
    assert titles_listed(client.get("/incidents/?state=open")) == {"Projector shows no picture"}
    assert titles_listed(client.get("/incidents/?status=resolved")) == {"Printer in the head's office"}
    assert titles_listed(client.get("/incidents/?q=printer")) == {"Printer in the head's office"}
    assert titles_listed(client.get("/incidents/?unassigned=true")) == {"Projector shows no picture"}
    assert titles_listed(client.get("/incidents/?assignee=tech")) == {"Printer in the head's office"}


def test_the_queue_narrows_to_the_chosen_school(queue, client_for, cast):
    client = client_for(cast["consultant"])
    assert len(titles_listed(client.get("/incidents/"))) == 3
    client.post("/school/switch/", {"school": "riverside"})
    assert titles_listed(client.get("/incidents/")) == {"Riverside projector"}


def test_a_bad_filter_value_is_not_a_server_error(queue, client_for, cast):
    client = client_for(cast["tech"])
    for query in ("?priority=9", "?state=sideways", "?assignee=outsider", "?created_after=yesterday", "?ordering=x"):
        assert client.get(f"/incidents/{query}").status_code == 200, query


def test_the_queue_needs_sign_in(client):
    assert client.get("/incidents/").status_code == 302


# =============================================================================
# Logging an incident
# =============================================================================

SHEET = {"title": "Projector shows no picture", "description": "It says no signal.", "impact": 2, "urgency": 1}


def test_the_incident_sheet_for_an_ict_user(client_for, staff, highfield):
    response = client_for(staff).get("/incidents/new/")
    assert response.status_code == 200
    form = response.context["form"]
    assert "reporter" not in form.fields and "channel" not in form.fields
    assert b'name="reporter"' not in response.content


def test_an_ict_user_logs_their_own_incident(client_for, staff, highfield):
    response = client_for(staff).post("/incidents/new/", {**SHEET, "school": highfield.pk, "room": "Lab"})
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/incidents/{incident.pk}/"
    assert (incident.reporter, incident.logged_by, incident.channel) == (staff, staff, Channel.PORTAL)
    assert (incident.reference, incident.priority, incident.room) == ("INC-000001", 2, "Lab")


def test_the_log_form_says_which_reference_was_given(client_for, staff, highfield):
    response = client_for(staff).post("/incidents/new/", {**SHEET, "school": highfield.pk}, follow=True)
    assert "INC-000001 logged. We will keep you informed here and by e-mail." in messages_of(response)


def test_the_desk_takes_a_call_with_caller_and_channel(client_for, desk, staff, highfield):
    client = client_for(desk)
    form = client.get("/incidents/new/").context["form"]
    assert {"reporter", "channel"} <= set(form.fields)
    assert staff in form.fields["reporter"].queryset
    client.post("/incidents/new/", {**SHEET, "school": highfield.pk, "reporter": staff.pk, "channel": "phone"})
    incident = Incident.objects.get()
    assert (incident.reporter, incident.logged_by, incident.channel) == (staff, desk, Channel.PHONE)


def test_the_desk_leaving_the_caller_empty_logs_for_themselves(client_for, desk, highfield):
    client_for(desk).post("/incidents/new/", {**SHEET, "school": highfield.pk, "reporter": "", "channel": "email"})
    incident = Incident.objects.get()
    assert (incident.reporter, incident.channel) == (desk, Channel.EMAIL)


def test_the_desk_cannot_pick_a_caller_from_another_school(client_for, desk, tech2, outsider, highfield):
    client = client_for(desk)
    choices = client.get("/incidents/new/").context["form"].fields["reporter"].queryset
    assert tech2 not in choices and outsider not in choices
    response = client.post("/incidents/new/", {**SHEET, "school": highfield.pk, "reporter": outsider.pk})
    assert response.status_code == 200
    assert "reporter" in response.context["form"].errors
    assert not Incident.objects.exists()


def test_the_service_refusal_shows_on_the_form(client_for, desk, tech2, highfield, riverside):
    """A desk at two schools may pick riverside's technician, but not as a caller at highfield."""
    from fits.models import Membership, Role

    Membership.objects.create(user=desk, school=riverside, role=Role.DESK)
    response = client_for(desk).post(
        "/incidents/new/", {**SHEET, "school": highfield.pk, "reporter": tech2.pk, "channel": "phone"}
    )
    assert response.status_code == 200
    assert messages_of(response) == [f"{tech2} has no role at {highfield}."]
    assert not Incident.objects.exists()


def test_the_desk_may_log_a_call_for_the_authoritys_consultant(client_for, consultant, desk, highfield):
    client_for(desk).post(
        "/incidents/new/", {**SHEET, "school": highfield.pk, "reporter": consultant.pk, "channel": "phone"}
    )
    assert Incident.objects.get().reporter == consultant


def test_a_missing_summary_is_a_form_error(client_for, staff, highfield):
    response = client_for(staff).post("/incidents/new/", {**SHEET, "title": "", "school": highfield.pk})
    assert response.status_code == 200
    assert "title" in response.context["form"].errors
    assert not Incident.objects.exists()


def test_a_blank_summary_is_refused(client_for, staff, highfield):
    response = client_for(staff).post("/incidents/new/", {**SHEET, "title": "   ", "school": highfield.pk})
    assert response.status_code == 200
    assert not Incident.objects.exists()


def test_a_school_without_a_role_cannot_be_chosen(client_for, staff, highfield, westfield):
    response = client_for(staff).post("/incidents/new/", {**SHEET, "school": westfield.pk})
    assert response.status_code == 200
    assert "school" in response.context["form"].errors
    assert not Incident.objects.exists()


def test_someone_who_cannot_log_anywhere_is_sent_home(client_for, consultant, highfield):
    response = client_for(consultant).get("/incidents/new/", follow=True)
    assert response.redirect_chain == [("/", 302)]
    assert "You have no school where you can log incidents." in messages_of(response)


def test_garbage_in_the_log_form_is_not_a_server_error(client_for, desk, highfield):
    response = client_for(desk).post(
        "/incidents/new/", {"school": "x", "reporter": "y", "impact": "9", "urgency": "-", "channel": "fax"}
    )
    assert response.status_code == 200
    assert {"school", "reporter", "impact", "urgency", "channel", "title"} <= set(response.context["form"].errors)


# =============================================================================
# The detail page
# =============================================================================


def offered_actions(response, incident) -> set[str]:
    assert response.status_code == 200
    found = set(re.findall(rf'action="/incidents/{incident.pk}/([a-z_]+)/"', response.content.decode()))
    # The caller's "Is it fixed?" form posts the close move with a rating to confirm/ (incident_confirm).
    found = {"close" if action == "confirm" else action for action in found}
    return found & set(Incident.WORKFLOW.actions)  # the moves (not assign, comment, escalate, time, merge...)


def service_allows(incident, action, person) -> bool:
    """Would the service accept this move? Tried in a savepoint and rolled back."""

    class Undo(Exception):
        pass

    try:
        with transaction.atomic():
            services.incident_transition(
                incident=incident, action=action, actor=person, note="Trying it.", **DETAILS.get(action, {})
            )
            raise Undo
    except Undo:
        return True
    except Exception:  # noqa: BLE001 - any refusal counts
        return False


@pytest.mark.parametrize("status", ALL_STATUSES)
def test_the_page_offers_exactly_the_moves_the_service_accepts(highfield, cast, log_incident, client_for, status):
    incident = walk(log_incident(highfield, by=cast["staff"]), status, tech=cast["tech"], desk=cast["desk"])
    for name in ("admin", "consultant", "leader", "netmgr", "tech", "desk", "staff"):
        person = cast[name]
        offered = offered_actions(client_for(person).get(incident.get_absolute_url()), incident)
        accepted = {a for a in Incident.WORKFLOW.transitions if service_allows(incident, a, person)}
        assert offered == accepted, f"{name} at {status}"


def test_what_each_persona_is_offered_on_a_new_and_a_resolved_incident(highfield, cast, log_incident, client_for):
    new = log_incident(highfield, by=cast["staff"])
    resolved = walk(log_incident(highfield, by=cast["staff"]), Status.RESOLVED, tech=cast["tech"], desk=cast["desk"])
    expected = {
        "tech": ({"start", "resolve"}, {"close", "reopen"}),
        "staff": (set(), {"close", "reopen"}),
        "desk": (set(), {"close", "reopen"}),
        "leader": (set(), set()),
        "consultant": (set(), set()),
    }
    for name, (on_new, on_resolved) in expected.items():
        client = client_for(cast[name])
        assert offered_actions(client.get(new.get_absolute_url()), new) == on_new, name
        assert offered_actions(client.get(resolved.get_absolute_url()), resolved) == on_resolved, name


def test_routing_and_commenting_are_offered_to_the_right_people(highfield, cast, log_incident, client_for):
    incident = log_incident(highfield, by=cast["staff"])
    assign_url = f'action="/incidents/{incident.pk}/assign/"'.encode()
    comment_url = f'action="/incidents/{incident.pk}/comment/"'.encode()
    for name in ("admin", "tech", "desk", "netmgr"):
        assert assign_url in client_for(cast[name]).get(incident.get_absolute_url()).content, name
    for name in ("staff", "leader", "consultant"):
        assert assign_url not in client_for(cast[name]).get(incident.get_absolute_url()).content, name
    for name in ("staff", "tech", "desk", "leader"):
        assert comment_url in client_for(cast[name]).get(incident.get_absolute_url()).content, name
    assert comment_url not in client_for(cast["consultant"]).get(incident.get_absolute_url()).content


def test_a_closed_incident_offers_no_routing(highfield, cast, log_incident, client_for):
    incident = walk(log_incident(highfield, by=cast["staff"]), Status.CLOSED, tech=cast["tech"], desk=cast["desk"])
    response = client_for(cast["desk"]).get(incident.get_absolute_url())
    assert f'action="/incidents/{incident.pk}/assign/"'.encode() not in response.content


def test_the_assign_choices_are_the_schools_technicians(highfield, cast, log_incident, client_for):
    incident = log_incident(highfield, by=cast["staff"])
    form = client_for(cast["desk"]).get(incident.get_absolute_url()).context["assign_form"]
    assert set(form.fields["assignee"].queryset) == {cast["tech"], cast["netmgr"]}


def test_internal_notes_are_hidden_from_the_caller(highfield, staff, tech, log_incident, client_for):
    incident = log_incident(highfield, by=staff)
    services.incident_comment(incident=incident, author=tech, text="Supplier owes us a lamp.", public=False)
    services.incident_comment(incident=incident, author=tech, text="Coming after lunch.")
    callers_page = client_for(staff).get(incident.get_absolute_url()).content.decode()
    assert "Coming after lunch." in callers_page
    assert "Supplier owes us a lamp." not in callers_page
    assert 'type="checkbox" name="public"' not in callers_page  # no internal-note option for the caller
    technicians_page = client_for(tech).get(incident.get_absolute_url()).content.decode()
    assert "Supplier owes us a lamp." in technicians_page
    assert 'type="checkbox" name="public"' in technicians_page


def test_the_resolution_is_shown_to_the_caller(highfield, staff, tech, log_incident, client_for):
    incident = services.incident_transition(
        incident=log_incident(highfield, by=staff),
        action="resolve",
        actor=tech,
        note="Replaced the HDMI cable.",
        resolution_code="replaced",
    )
    assert b"Replaced the HDMI cable." in client_for(staff).get(incident.get_absolute_url()).content


def test_another_schools_incident_is_a_404_like_a_missing_one(
    highfield, staff, outsider, tech2, log_incident, client_for
):
    incident = log_incident(highfield, by=staff)
    for person in (outsider, tech2):
        assert client_for(person).get(incident.get_absolute_url()).status_code == 404
        assert client_for(person).get("/incidents/999999/").status_code == 404


def test_an_ict_user_cannot_open_a_colleagues_incident(highfield, staff, leader, log_incident, client_for):
    incident = log_incident(highfield, by=leader)
    assert client_for(staff).get(incident.get_absolute_url()).status_code == 404


# =============================================================================
# POST actions: transition, assign, comment
# =============================================================================


@pytest.fixture
def incident(highfield, staff, log_incident):
    return log_incident(highfield, by=staff)


def test_a_transition_from_the_page(incident, tech, client_for):
    response = client_for(tech).post(f"/incidents/{incident.pk}/start/", follow=True)
    assert response.redirect_chain == [(f"/incidents/{incident.pk}/", 302)]
    assert "INC-000001 is now in progress." in messages_of(response)
    assert Incident.objects.get(pk=incident.pk).status == Status.IN_PROGRESS


def test_resolve_with_a_note_from_the_page(incident, tech, client_for):
    client_for(tech).post(
        f"/incidents/{incident.pk}/resolve/", {"note": "New lamp fitted.", "resolution_code": "fixed"}
    )
    stored = Incident.objects.get(pk=incident.pk)
    assert (stored.status, stored.resolution) == (Status.RESOLVED, "New lamp fitted.")


def test_a_refused_transition_says_why(incident, staff, tech, client_for):
    response = client_for(staff).post(f"/incidents/{incident.pk}/start/", follow=True)
    assert response.status_code == 200
    assert "You cannot take and start this incident." in messages_of(response)

    response = client_for(tech).post(f"/incidents/{incident.pk}/close/", follow=True)
    assert messages_of(response) == [
        "Cannot confirm and close a record that is new; from new you can: take and start, resolve."
    ]
    assert Incident.objects.get(pk=incident.pk).status == Status.NEW


def test_a_missing_note_says_what_is_needed(incident, tech, client_for):
    response = client_for(tech).post(f"/incidents/{incident.pk}/resolve/", {"note": "  "}, follow=True)
    assert messages_of(response) == [
        "Resolution: the fix or workaround, in words the user understands is required to resolve."
    ]
    assert Incident.objects.get(pk=incident.pk).status == Status.NEW


def test_an_unknown_action_is_a_message_not_a_500(incident, tech, client_for):
    response = client_for(tech).post(f"/incidents/{incident.pk}/explode/", follow=True)
    assert response.status_code == 200
    assert "There is no action called 'explode'." in messages_of(response)


def test_an_automatic_move_is_refused_from_the_page(incident, admin_user, desk, tech, client_for):
    services.incident_assign(incident=incident, assignee=tech, actor=desk)
    response = client_for(admin_user).post(f"/incidents/{incident.pk}/unassign/", follow=True)
    assert messages_of(response) == ["Return to the queue is not an action you can take directly."]
    assert Incident.objects.get(pk=incident.pk).assignee == tech


def test_actions_are_post_only(incident, tech, client_for):
    client = client_for(tech)
    for url in ("start", "assign", "comment"):
        assert client.get(f"/incidents/{incident.pk}/{url}/").status_code == 405
    assert Incident.objects.get(pk=incident.pk).status == Status.NEW


def test_actions_on_another_schools_incident_are_404(incident, outsider, client_for):
    client = client_for(outsider)
    for url in ("start", "assign", "comment"):
        assert client.post(f"/incidents/{incident.pk}/{url}/", {"text": "hi", "note": "x"}).status_code == 404


def test_assign_from_the_page(incident, desk, tech, client_for):
    response = client_for(desk).post(
        f"/incidents/{incident.pk}/assign/", {"assignee": tech.pk, "note": "Today please."}, follow=True
    )
    assert f"INC-000001 assigned to {tech}." in messages_of(response)
    assert Incident.objects.get(pk=incident.pk).assignee == tech


def test_unassign_from_the_page(incident, desk, tech, client_for):
    services.incident_assign(incident=incident, assignee=tech, actor=desk)
    response = client_for(desk).post(f"/incidents/{incident.pk}/assign/", {"assignee": ""}, follow=True)
    assert "INC-000001 assigned to the unassigned queue." in messages_of(response)
    assert Incident.objects.get(pk=incident.pk).assignee is None


@pytest.mark.parametrize("assignee", ["staff", "outsider", "not-a-number"])
def test_assigning_someone_who_cannot_work_it_is_a_message(incident, cast, client_for, assignee):
    value = cast[assignee].pk if assignee in cast else assignee
    response = client_for(cast["desk"]).post(f"/incidents/{incident.pk}/assign/", {"assignee": value}, follow=True)
    assert response.status_code == 200
    assert any("Select a valid choice" in m for m in messages_of(response))
    assert Incident.objects.get(pk=incident.pk).assignee is None


def test_assigning_without_permission_is_a_message(incident, staff, tech, client_for):
    response = client_for(staff).post(f"/incidents/{incident.pk}/assign/", {"assignee": tech.pk}, follow=True)
    assert messages_of(response) == ["You cannot assign this incident."]
    assert Incident.objects.get(pk=incident.pk).assignee is None


def test_comment_from_the_page(incident, staff, client_for):
    response = client_for(staff).post(
        f"/incidents/{incident.pk}/comment/", {"text": "It is the one by the door.", "public": "on"}, follow=True
    )
    assert "Comment added." in messages_of(response)
    assert Activity.objects.filter(kind="comment", public=True, text="It is the one by the door.").exists()


def test_an_internal_note_from_the_page(incident, tech, client_for):
    response = client_for(tech).post(f"/incidents/{incident.pk}/comment/", {"text": "Needs a new lamp."}, follow=True)
    assert "Internal note added." in messages_of(response)
    assert Activity.objects.get(kind="comment").public is False


def test_a_caller_unticking_public_still_writes_a_public_comment(incident, staff, client_for):
    client_for(staff).post(f"/incidents/{incident.pk}/comment/", {"text": "Any news?"})
    assert Activity.objects.get(kind="comment").public is True


def test_an_empty_comment_is_a_message(incident, staff, client_for):
    response = client_for(staff).post(f"/incidents/{incident.pk}/comment/", {"text": ""}, follow=True)
    assert response.status_code == 200
    assert messages_of(response) == ["This field is required."]
    assert not Activity.objects.filter(kind="comment").exists()


def test_a_comment_by_someone_who_may_not_is_a_message(incident, consultant, client_for):
    response = client_for(consultant).post(f"/incidents/{incident.pk}/comment/", {"text": "Hi"}, follow=True)
    assert messages_of(response) == ["You cannot comment on this incident."]
