# ruff: noqa: F811 (the fixtures come from tests.incidents.work_fixtures)
"""Assignment to groups and escalation to the LEA support unit or a supplier; hold reasons, outcomes, first response."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from fits import access
from fits.activity import timeline
from fits.models import Notification
from incidents import services
from incidents.models import HoldReason, Incident, ResolutionCode, Status
from tests.incidents.work_fixtures import lea_unit, started, supplier, support, team, ticket  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def act(django_capture_on_commit_callbacks):
    """Run a service as its committed transaction would: e-mails go out afterwards (Celery is eager here)."""

    def run(service, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    return run


def entries(incident):
    return list(timeline(incident, include_internal=True))


# =============================================================================
# The LEA support unit works tickets of every school of its authority
# =============================================================================


def test_the_support_unit_works_tickets_of_all_the_authoritys_schools(support, highfield, riverside, westfield):
    for school in (highfield, riverside):
        assert access.can_work_incident.test(support, Incident(school=school))
        assert access.can_escalate_incident.test(support, Incident(school=school))
    assert not access.can_work_incident.test(support, Incident(school=westfield))


def test_the_support_unit_sees_the_authoritys_tickets_and_no_others(
    support, highfield, riverside, westfield, staff, tech2, outsider, log_incident
):
    here, there = log_incident(highfield, by=staff), log_incident(riverside, by=tech2)
    log_incident(westfield, by=outsider)
    assert set(Incident.objects.visible_to(support)) == {here, there}


# =============================================================================
# Routing to a school's own group
# =============================================================================


def test_assign_to_a_group_and_a_member(ticket, team, tech, desk):
    incident = services.incident_assign(incident=ticket, assignee=tech, group=team, actor=desk)
    assert (incident.group, incident.assignee, incident.status) == (team, tech, Status.ASSIGNED)
    entry = entries(incident)[-1]
    assert entry.changes == {"assignee": [None, str(tech)], "group": [None, str(team)]}


def test_the_assignee_must_be_in_the_group(ticket, team, netmgr, desk):
    with pytest.raises(ValidationError) as refused:
        services.incident_assign(incident=ticket, assignee=netmgr, group=team, actor=desk)
    assert refused.value.message_dict == {"assignee": [f"{netmgr} is not in {team}: choose one of its members."]}


def test_a_team_without_named_members_is_worked_by_any_technician(ticket, highfield, netmgr, desk):
    everyone = services.support_group_save(actor=netmgr, school=highfield, name="Everyone", kind="school")
    incident = services.incident_assign(incident=ticket, assignee=netmgr, group=everyone, actor=desk)
    assert incident.assignee == netmgr


def test_reassignment_history_is_kept(ticket, team, tech, netmgr, desk):
    services.incident_assign(incident=ticket, assignee=None, group=team, actor=desk)
    services.incident_assign(incident=ticket, assignee=tech, actor=desk)
    services.incident_assign(incident=ticket, assignee=netmgr, group=None, actor=desk)
    changes = [e.changes for e in entries(Incident.objects.get(pk=ticket.pk)) if e.kind == "assignment"]
    assert changes == [
        {"group": [None, str(team)]},
        {"assignee": [None, str(tech)]},
        {"assignee": [str(tech), str(netmgr)], "group": [str(team), None]},
    ]


def test_an_external_group_is_escalated_to_not_assigned(ticket, lea_unit, desk):
    with pytest.raises(ValidationError, match="escalate to it instead"):
        services.incident_assign(incident=ticket, assignee=None, group=lea_unit, actor=desk)


def test_another_authoritys_group_does_not_work_here(ticket, wigan, admin_user, tech):
    theirs = services.support_group_save(actor=admin_user, authority=wigan, name="Wigan unit", kind="authority")
    with pytest.raises(ValidationError, match="does not work for Highfield"):
        services.incident_escalate(incident=ticket, group=theirs, actor=tech)


def test_the_group_queue_filter(ticket, team, lea_unit, support, tech, desk, highfield, staff, log_incident, api_for):
    services.incident_assign(incident=ticket, assignee=None, group=team, actor=desk)
    escalated = services.incident_escalate(
        incident=log_incident(highfield, by=staff, title="Server down"), group=lea_unit, actor=tech
    )
    log_incident(highfield, by=staff, title="Nobody's")
    assert set(Incident.objects.in_groups_of(tech)) == {ticket}
    assert set(Incident.objects.in_groups_of(support)) == {escalated}
    titles = {row["title"] for row in api_for(support).get("/api/incidents/?my_groups=true").json()["results"]}
    assert titles == {"Server down"}
    ids = {row["id"] for row in api_for(tech).get(f"/api/incidents/?group_id={team.pk}").json()["results"]}
    assert ids == {ticket.pk}


# =============================================================================
# Escalation to the LEA support unit
# =============================================================================


def test_escalating_to_the_lea_puts_it_in_the_units_queue(ticket, lea_unit, tech, support, act):
    incident = act(
        services.incident_escalate,
        incident=started(ticket, tech),
        group=lea_unit,
        actor=tech,
        note="Core switch in the hall cabinet keeps rebooting.",
    )
    assert (incident.group, incident.assignee, incident.status) == (lea_unit, None, Status.NEW)
    kinds = [(e.kind, e.public) for e in entries(incident)[-3:]]
    assert kinds == [("assignment", True), ("comment", False), ("status", True)]
    assert entries(incident)[-3].changes["escalated"] == "authority"
    # The unit hears of it, in the app and by e-mail; the technician who escalated does not.
    assert Notification.objects.filter(recipient=support, event="escalated").exists()
    assert [m.to for m in mail.outbox if "Escalated" in m.subject] == [[support.email]]
    assert not Notification.objects.filter(recipient=tech, event="escalated").exists()


def test_the_unit_takes_it_and_a_school_technician_cannot_hold_it(ticket, lea_unit, tech, support):
    services.incident_escalate(incident=ticket, group=lea_unit, actor=tech)
    taken = services.incident_transition(incident=ticket, action="start", actor=support)
    assert (taken.assignee, taken.status) == (support, Status.IN_PROGRESS)
    with pytest.raises(ValidationError, match="is not in Bolton Schools ICT Unit"):
        services.incident_assign(incident=ticket, assignee=tech, actor=support)


def test_the_unit_hands_it_back_to_the_schools_queue(ticket, lea_unit, tech, support):
    services.incident_escalate(incident=ticket, group=lea_unit, actor=tech)
    services.incident_transition(incident=ticket, action="start", actor=support)
    back = services.incident_take_back(incident=ticket, actor=support, note="A cabling fault: the school's job.")
    assert (back.group, back.assignee, back.status) == (None, None, Status.NEW)
    assert entries(back)[-2].changes["taken_back"] is True


def test_a_school_technician_takes_it_back(ticket, lea_unit, tech):
    services.incident_escalate(incident=ticket, group=lea_unit, actor=tech)
    back = services.incident_take_back(incident=ticket, actor=tech)
    assert (back.group, back.assignee, back.status) == (None, tech, Status.ASSIGNED)


# =============================================================================
# Escalation to a supplier
# =============================================================================


def test_escalating_to_a_supplier_holds_it_and_emails_the_supplier(settings, ticket, supplier, tech, highfield, act):
    highfield.support_email = "ict@highfield.example.sch.uk"
    highfield.save()
    incident = act(
        services.incident_escalate,
        incident=started(ticket, tech),
        group=supplier,
        actor=tech,
        note="Line sync drops every 10 minutes since 8am.",
        supplier_reference="BB-4411",
    )
    assert (incident.status, incident.hold_reason) == (Status.ON_HOLD, HoldReason.AWAITING_SUPPLIER)
    assert (incident.group, incident.assignee, incident.supplier_reference) == (supplier, tech, "BB-4411")
    (message,) = [m for m in mail.outbox if m.to == ["noc@broadband.example"]]
    assert message.subject == f"[{incident.reference}] Highfield Primary School: Wi-Fi drops in the hall"
    assert "Line sync drops every 10 minutes" in message.body and "It says 'no signal'." in message.body
    assert message.reply_to == ["ict@highfield.example.sch.uk"]
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"


def test_a_safeguarding_ticket_never_leaves_the_school_in_an_email(highfield, staff, tech, supplier, log_incident, act):
    incident = log_incident(highfield, by=staff, title="Upsetting image on a pupil's screen", safeguarding=True)
    act(services.incident_escalate, incident=incident, group=supplier, actor=tech, note="Filtering failed")
    (message,) = [m for m in mail.outbox if m.to == ["noc@broadband.example"]]
    assert "Upsetting" not in message.subject + message.body
    assert "Filtering failed" not in message.body and "telephone the school" in message.body


def test_the_suppliers_reference_later_and_taking_it_back(ticket, supplier, tech):
    services.incident_escalate(incident=started(ticket, tech), group=supplier, actor=tech)
    services.incident_set_supplier_reference(incident=ticket, actor=tech, supplier_reference="  BB-9  ")
    assert Incident.objects.get(pk=ticket.pk).supplier_reference == "BB-9"
    back = services.incident_take_back(incident=ticket, actor=tech, note="Line fixed by the supplier.")
    assert (back.group, back.status, back.hold_reason, back.supplier_reference) == (
        None,
        Status.IN_PROGRESS,
        "",
        "BB-9",
    )


@pytest.mark.parametrize("who", ["desk", "staff", "leader", "consultant"])
def test_only_technical_staff_escalate(ticket, supplier, cast, who):
    with pytest.raises(PermissionDenied, match="Only technicians escalate incidents."):
        services.incident_escalate(incident=ticket, group=supplier, actor=cast[who])


def test_a_closed_ticket_is_not_escalated(ticket, supplier, tech, staff):
    services.incident_transition(incident=ticket, action="resolve", actor=tech, note="Ok", resolution_code="fixed")
    with pytest.raises(ValidationError, match="reopen it first"):
        services.incident_escalate(incident=ticket, group=supplier, actor=tech)


# =============================================================================
# Hold reasons, outcomes, first response
# =============================================================================


def test_hold_needs_a_reason_and_resume_clears_it(ticket, tech):
    started(ticket, tech)
    with pytest.raises(ValidationError) as refused:
        services.incident_transition(incident=ticket, action="hold", actor=tech, note="Part ordered")
    assert list(refused.value.message_dict) == ["hold_reason"]
    held = services.incident_transition(
        incident=ticket, action="hold", actor=tech, note="Part ordered", hold_reason="awaiting_parts"
    )
    assert held.hold_reason == HoldReason.AWAITING_PARTS
    assert entries(held)[-1].changes["reason"] == "Waiting for parts"
    assert services.incident_transition(incident=ticket, action="resume", actor=tech).hold_reason == ""


def test_resolve_needs_an_outcome_and_reopen_clears_it(ticket, tech, staff):
    with pytest.raises(ValidationError) as refused:
        services.incident_transition(incident=ticket, action="resolve", actor=tech, note="Done")
    assert list(refused.value.message_dict) == ["resolution_code"]
    with pytest.raises(ValidationError):  # a request's outcome is not an incident's
        services.incident_transition(
            incident=ticket, action="resolve", actor=tech, note="Done", resolution_code="fulfilled"
        )
    resolved = services.incident_transition(
        incident=ticket, action="resolve", actor=tech, note="Done", resolution_code="workaround"
    )
    assert resolved.resolution_code == ResolutionCode.WORKAROUND
    reopened = services.incident_transition(incident=ticket, action="reopen", actor=staff, note="Back again")
    assert reopened.resolution_code == ""


def test_a_request_resolved_without_an_outcome_is_fulfilled(highfield, staff, tech, log_incident):
    request = log_incident(highfield, by=staff, kind="request", title="New starter account")
    resolved = services.incident_transition(incident=request, action="resolve", actor=tech, note="Account made")
    assert resolved.resolution_code == ResolutionCode.FULFILLED


def test_first_response_is_the_first_thing_support_staff_do(ticket, staff, tech, desk):
    services.incident_comment(incident=ticket, author=staff, text="Any news?")
    services.incident_comment(incident=ticket, author=tech, text="Internal only", public=False)
    assert Incident.objects.get(pk=ticket.pk).first_response_at is None
    services.incident_comment(incident=ticket, author=desk, text="We are on it.")
    first = Incident.objects.get(pk=ticket.pk).first_response_at
    assert first is not None
    services.incident_assign(incident=ticket, assignee=tech, actor=desk)
    assert Incident.objects.get(pk=ticket.pk).first_response_at == first


@pytest.mark.parametrize("how", ["assign", "start"])
def test_first_response_by_assignment_or_start(ticket, tech, desk, how):
    if how == "assign":
        services.incident_assign(incident=ticket, assignee=tech, actor=desk)
    else:
        started(ticket, tech)
    assert Incident.objects.get(pk=ticket.pk).first_response_at is not None


# =============================================================================
# Pages and API
# =============================================================================


def test_escalate_from_the_page(ticket, supplier, tech, client_for):
    client = client_for(tech)
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert f'action="/incidents/{ticket.pk}/escalate/"' in page and "Bolton Broadband (Supplier)" in page
    response = client.post(
        f"/incidents/{ticket.pk}/escalate/",
        {"group": supplier.pk, "note": "Down", "supplier_reference": ""},
        follow=True,
    )
    assert "escalated to Bolton Broadband: on hold, waiting for the supplier" in response.content.decode()
    page = response.content.decode()
    assert 'id="escalated-note"' in page and "Take it back" in page


def test_the_caller_sees_where_it_went_without_the_internals(ticket, supplier, tech, staff, client_for):
    services.incident_escalate(incident=ticket, group=supplier, actor=tech, note="Secret line fault detail")
    page = client_for(staff).get(ticket.get_absolute_url()).content.decode()
    assert "Passed to a specialist supplier" in page
    assert "Secret line fault detail" not in page and "Take it back" not in page
    assert "On hold: waiting for a supplier or the lea." in page


def test_the_desk_routes_to_a_team_from_the_page(ticket, team, tech, desk, client_for):
    client_for(desk).post(f"/incidents/{ticket.pk}/assign/", {"group": team.pk, "assignee": tech.pk, "note": ""})
    stored = Incident.objects.get(pk=ticket.pk)
    assert (stored.group, stored.assignee) == (team, tech)


def test_hold_and_resolve_forms_carry_their_fields(ticket, tech, client_for):
    client = client_for(tech)
    started(ticket, tech)
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert 'name="hold_reason"' in page and 'name="resolution_code"' in page and 'name="minutes"' in page
    client.post(f"/incidents/{ticket.pk}/hold/", {"note": "Parts", "hold_reason": "awaiting_parts"})
    assert Incident.objects.get(pk=ticket.pk).hold_reason == "awaiting_parts"
    response = client.post(f"/incidents/{ticket.pk}/resolve/", {"note": "Fitted"}, follow=True)
    assert "Choose how it was resolved" in response.content.decode()
    client.post(f"/incidents/{ticket.pk}/resolve/", {"note": "Fitted", "resolution_code": "replaced", "minutes": 40})
    stored = Incident.objects.get(pk=ticket.pk)
    assert (stored.status, stored.resolution_code) == (Status.RESOLVED, "replaced")
    assert Incident.objects.with_time_spent().get(pk=ticket.pk).time_spent == 40


def test_escalation_through_the_api(ticket, lea_unit, supplier, tech, support, api_for):
    api = api_for(tech)
    body = api.post(f"/api/incidents/{ticket.pk}/escalate/", {"group": supplier.pk}, format="json").json()
    assert (body["status"], body["hold_reason"], body["group"]["kind"]) == ("on_hold", "awaiting_supplier", "supplier")
    body = api.post(
        f"/api/incidents/{ticket.pk}/supplier-reference/", {"supplier_reference": "BB-1"}, format="json"
    ).json()
    assert body["supplier_reference"] == "BB-1"
    body = api.post(f"/api/incidents/{ticket.pk}/take-back/", {}, format="json").json()
    assert (body["group"], body["assignee"]["username"], body["status"]) == (None, "tech", "in_progress")
    response = api.post(f"/api/incidents/{ticket.pk}/escalate/", {"group": 999999}, format="json")
    assert response.status_code == 400


def test_the_api_hold_needs_a_reason(ticket, tech, api_for):
    started(ticket, tech)
    response = api_for(tech).post(
        f"/api/incidents/{ticket.pk}/transition/", {"action": "hold", "note": "x"}, format="json"
    )
    assert response.status_code == 400 and "hold_reason" in response.content.decode()
    response = api_for(tech).post(
        f"/api/incidents/{ticket.pk}/transition/",
        {"action": "hold", "note": "x", "hold_reason": "awaiting_caller"},
        format="json",
    )
    assert response.json()["hold_reason"] == "awaiting_caller"


def test_another_schools_group_is_not_a_choice(ticket, tech, admin_user, riverside, api_for):
    theirs = services.support_group_save(
        actor=admin_user, school=riverside, name="Riverside supplier", kind="supplier", email="x@example.com"
    )
    response = api_for(tech).post(f"/api/incidents/{ticket.pk}/escalate/", {"group": theirs.pk}, format="json")
    assert response.status_code == 400
    assert "Riverside" not in response.content.decode()
