"""Every operation that changes an incident (incidents/services.py): log, assign, move along, comment, close."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fits.activity import timeline
from fits.models import Activity
from fits.workflow import InvalidTransition
from incidents import services
from incidents.models import Channel, Incident, Priority, Status

pytestmark = pytest.mark.django_db


def entries(incident) -> list[Activity]:
    return list(timeline(incident, include_internal=True))


# What the moves that need more than a note are made with: why it waits, how it was resolved.
DETAILS = {"hold": {"hold_reason": "awaiting_parts"}, "resolve": {"resolution_code": "fixed"}}


def bring_to(incident: Incident, status: str, *, tech, desk) -> Incident:
    """Walk a new incident to `status` through the services, as people would."""
    steps = {
        Status.NEW: [],
        Status.ASSIGNED: [("assign", tech)],
        Status.IN_PROGRESS: [("start", tech)],
        Status.ON_HOLD: [("start", tech), ("hold", tech)],
        Status.RESOLVED: [("resolve", tech)],
        Status.REOPENED: [("resolve", tech), ("reopen", tech)],
        Status.CLOSED: [("resolve", tech), ("close", tech)],
    }[status]
    for action, actor in steps:
        if action == "assign":
            incident = services.incident_assign(incident=incident, assignee=tech, actor=desk)
        else:
            incident = services.incident_transition(
                incident=incident, action=action, actor=actor, note="Step.", **DETAILS.get(action, {})
            )
    assert incident.status == status
    return incident


@pytest.fixture
def walk(tech, desk):
    return lambda incident, status: bring_to(incident, status, tech=tech, desk=desk)


# =============================================================================
# incident_log
# =============================================================================


def test_log_an_incident_from_the_portal(highfield, staff):
    incident = services.incident_log(
        school=highfield,
        logged_by=staff,
        title="  Projector shows no picture  ",
        description=" It says 'no signal'. ",
        room=" Science lab ",
        impact=2,
        urgency=1,
    )
    incident = Incident.objects.get(pk=incident.pk)
    assert incident.reference == "INC-000001"
    assert (incident.title, incident.description, incident.room) == (
        "Projector shows no picture",
        "It says 'no signal'.",
        "Science lab",
    )
    assert incident.priority == Priority.HIGH
    assert incident.status == Status.NEW
    assert incident.reporter == incident.logged_by == staff
    assert incident.channel == Channel.PORTAL
    assert incident.assignee is None
    (entry,) = entries(incident)
    assert (entry.kind, entry.actor, entry.text, entry.public) == ("created", staff, "Logged.", True)
    assert entry.school_id == highfield.pk


def test_the_desk_logs_a_phone_call_for_a_caller(highfield, desk, staff):
    incident = services.incident_log(
        school=highfield,
        logged_by=desk,
        reporter=staff,
        title="Laptop trolley not charging",
        description="Half the laptops are flat.",
        impact=2,
        urgency=3,
        channel=Channel.PHONE,
    )
    assert (incident.reporter, incident.logged_by, incident.channel) == (staff, desk, Channel.PHONE)
    assert entries(incident)[0].text == "Logged by phone."


def test_a_technician_may_log_a_call_for_someone_else(highfield, tech, staff, log_incident):
    incident = log_incident(highfield, by=tech, reporter=staff, channel=Channel.IN_PERSON)
    assert incident.reporter == staff
    assert entries(incident)[0].text == "Logged by in person."


def test_an_ict_user_cannot_log_for_someone_else(highfield, staff, leader, log_incident):
    with pytest.raises(PermissionDenied, match="Only the service desk can log a call for someone else."):
        log_incident(highfield, by=staff, reporter=leader)
    assert not Incident.objects.exists()


def test_the_caller_must_have_a_role_at_the_school(highfield, desk, tech2, outsider, log_incident):
    for caller in (tech2, outsider):
        with pytest.raises(ValidationError) as refused:
            log_incident(highfield, by=desk, reporter=caller)
        assert refused.value.message_dict == {"reporter": [f"{caller} has no role at {highfield}."]}
    assert not Incident.objects.exists()


@pytest.mark.parametrize("title", ["", "   ", "\n\t"])
def test_an_empty_summary_is_refused(highfield, staff, log_incident, title):
    with pytest.raises(ValidationError) as refused:
        log_incident(highfield, by=staff, title=title)
    assert refused.value.message_dict == {"title": ["Give the incident a short summary."]}
    assert not Incident.objects.exists()


def test_a_refused_log_does_not_use_up_a_reference(highfield, staff, log_incident):
    with pytest.raises(ValidationError):
        log_incident(highfield, by=staff, title=" ")
    assert log_incident(highfield, by=staff).reference == "INC-000001"


@pytest.mark.parametrize("who", ["outsider", "tech2", "consultant"])
def test_people_without_a_logging_role_at_the_school_cannot_log(highfield, cast, log_incident, who):
    with pytest.raises(PermissionDenied, match="You cannot log incidents at this school."):
        log_incident(highfield, by=cast[who])


def test_the_administrator_may_log_anywhere(westfield, admin_user, outsider, log_incident):
    assert log_incident(westfield, by=admin_user, reporter=outsider).reporter == outsider


# =============================================================================
# incident_assign
# =============================================================================


def test_the_desk_assigns_a_technician(highfield, desk, tech, staff, log_incident):
    incident = services.incident_assign(
        incident=log_incident(highfield, by=staff), assignee=tech, actor=desk, note="Please look today."
    )
    incident = Incident.objects.get(pk=incident.pk)
    assert (incident.assignee, incident.status) == (tech, Status.ASSIGNED)
    entry = entries(incident)[-1]
    assert (entry.kind, entry.actor, entry.text) == ("assignment", desk, "Please look today.")
    assert entry.changes == {"assignee": [None, str(tech)]}


def test_the_network_manager_is_technical_too(highfield, desk, netmgr, staff, log_incident):
    incident = services.incident_assign(incident=log_incident(highfield, by=staff), assignee=netmgr, actor=desk)
    assert incident.assignee == netmgr


@pytest.mark.parametrize("who", ["staff", "desk", "leader", "consultant", "tech2", "outsider"])
def test_only_technical_people_of_the_school_can_be_assignees(highfield, cast, log_incident, who):
    incident = log_incident(highfield, by=cast["staff"])
    with pytest.raises(ValidationError) as refused:
        services.incident_assign(incident=incident, assignee=cast[who], actor=cast["desk"])
    assert "assignee" in refused.value.message_dict
    assert Incident.objects.get(pk=incident.pk).assignee is None


@pytest.mark.parametrize("who", ["staff", "leader", "consultant", "outsider"])
def test_only_the_desk_and_technicians_route(highfield, cast, log_incident, who):
    incident = log_incident(highfield, by=cast["staff"])
    with pytest.raises(PermissionDenied, match="You cannot assign this incident."):
        services.incident_assign(incident=incident, assignee=cast["tech"], actor=cast[who])


@pytest.mark.parametrize("status", [Status.RESOLVED, Status.CLOSED])
def test_a_resolved_or_closed_incident_refuses_assignment(highfield, staff, desk, tech, log_incident, walk, status):
    incident = walk(log_incident(highfield, by=staff), status)
    with pytest.raises(ValidationError, match="reopen it first"):
        services.incident_assign(incident=incident, assignee=tech, actor=desk)


def test_assigning_the_same_person_again_changes_nothing(highfield, desk, tech, staff, log_incident):
    incident = services.incident_assign(incident=log_incident(highfield, by=staff), assignee=tech, actor=desk)
    before = len(entries(incident))
    services.incident_assign(incident=incident, assignee=tech, actor=desk)
    assert len(entries(incident)) == before


def test_passing_an_incident_on_keeps_its_progress(highfield, desk, tech, netmgr, staff, log_incident, walk):
    incident = walk(log_incident(highfield, by=staff), Status.IN_PROGRESS)
    incident = services.incident_assign(incident=incident, assignee=netmgr, actor=tech)
    assert (incident.assignee, incident.status) == (netmgr, Status.IN_PROGRESS)
    assert entries(incident)[-1].changes == {"assignee": [str(tech), str(netmgr)]}
    incident = services.incident_assign(incident=incident, assignee=None, actor=desk)
    assert (incident.assignee, incident.status) == (None, Status.IN_PROGRESS)


def test_unassigning_returns_it_to_the_queue(highfield, desk, tech, staff, log_incident):
    incident = services.incident_assign(incident=log_incident(highfield, by=staff), assignee=tech, actor=desk)
    incident = services.incident_assign(incident=incident, assignee=None, actor=desk)
    assert incident.assignee is None
    assert Incident.objects.get(pk=incident.pk).status == Status.NEW  # not "assigned" to nobody
    assert incident in Incident.objects.unassigned()
    assert entries(incident)[-1].changes == {"assignee": [str(tech), None]}


def test_assigning_a_reopened_incident(highfield, desk, tech, netmgr, staff, log_incident, walk):
    incident = walk(log_incident(highfield, by=staff), Status.REOPENED)
    incident = services.incident_assign(incident=incident, assignee=netmgr, actor=desk)
    assert (incident.assignee, incident.status) == (netmgr, Status.ASSIGNED)


# =============================================================================
# incident_transition: every row of Incident.WORKFLOW
# =============================================================================

ROWS = [(t.name, source) for t in Incident.WORKFLOW.transitions.values() if not t.automatic for source in t.sources]
AUTOMATIC_ROWS = [
    (t.name, source) for t in Incident.WORKFLOW.transitions.values() if t.automatic for source in t.sources
]


@pytest.mark.parametrize(("action", "source"), ROWS, ids=[f"{a}-from-{s}" for a, s in ROWS])
def test_every_row_of_the_lifecycle(highfield, cast, log_incident, walk, action, source):
    incident = walk(log_incident(highfield, by=cast["staff"]), source)
    transition = Incident.WORKFLOW.transitions[action]
    actor = cast["staff"] if action in ("close", "reopen") else cast["tech"]  # the caller confirms or disputes

    moved = services.incident_transition(
        incident=incident, action=action, actor=actor, note="Because.", **DETAILS.get(action, {})
    )

    stored = Incident.objects.get(pk=incident.pk)
    assert moved.status == stored.status == transition.target
    entry = entries(stored)[-1]
    assert (entry.kind, entry.actor, entry.text) == ("status", actor, "Because.")
    assert entry.changes["status"] == [source, transition.target]


@pytest.mark.parametrize(("action", "source"), AUTOMATIC_ROWS, ids=[f"{a}-from-{s}" for a, s in AUTOMATIC_ROWS])
def test_every_automatic_row_is_made_by_its_operation(settings, highfield, cast, log_incident, walk, action, source):
    """assign, unassign, expire, escalation and merging are consequences of other services, with the table's target."""
    if source == Status.PENDING_APPROVAL:
        incident = log_incident(highfield, by=cast["staff"], awaiting_approval=True)
    else:
        incident = walk(log_incident(highfield, by=cast["staff"]), source)
    if action == "assign":
        incident = services.incident_assign(incident=incident, assignee=cast["netmgr"], actor=cast["desk"])
    elif action == "unassign":
        incident = services.incident_assign(incident=incident, assignee=None, actor=cast["desk"])
    elif action in ("requeue", "await_supplier"):
        kind = "authority" if action == "requeue" else "supplier"
        group = services.support_group_save(
            actor=cast["admin"], name=kind, kind=kind, email="help@example.com", authority=highfield.authority
        )
        services.incident_escalate(incident=incident, group=group, actor=cast["tech"])
    elif action == "merge":
        survivor = log_incident(highfield, by=cast["desk"], title="The same fault")
        services.incident_merge(duplicate=incident, into=survivor, actor=cast["desk"])
    elif action in ("approve", "decline"):  # a service request's approver decides (servicedesk.services)
        from servicedesk import services as desk

        item = desk.request_type_create(school=highfield, actor=cast["desk"], name="Kit", summary="Kit.",
                                        needs_approval=True, approver="network_manager")  # fmt: skip
        asked = desk.request_log(school=highfield, logged_by=cast["staff"], request_type=item, answers={})
        decide = desk.request_approve if action == "approve" else desk.request_decline
        decide(service_request=asked, actor=cast["netmgr"], comment="Because.")
        incident = asked.ticket
    elif action == "expire":
        settings.FITS_AUTO_CLOSE_DAYS = 1
        assert services.incident_close_unconfirmed(now=timezone.now() + timedelta(days=2)) == 1
    else:
        pytest.fail(f"Which operation makes the automatic move {action!r}? Add it to this test.")
    assert Incident.objects.get(pk=incident.pk).status == Incident.WORKFLOW.transitions[action].target


@pytest.mark.parametrize(("action", "source"), AUTOMATIC_ROWS, ids=[f"{a}-from-{s}" for a, s in AUTOMATIC_ROWS])
def test_an_automatic_move_cannot_be_asked_for_directly(highfield, cast, log_incident, walk, action, source):
    if source == Status.PENDING_APPROVAL:
        incident = log_incident(highfield, by=cast["staff"], awaiting_approval=True)
    else:
        incident = walk(log_incident(highfield, by=cast["staff"]), source)
    label = Incident.WORKFLOW.transitions[action].label
    with pytest.raises(InvalidTransition, match=f"{label} is not an action you can take directly."):
        services.incident_transition(incident=incident, action=action, actor=cast["admin"], note="Note.")
    assert Incident.objects.get(pk=incident.pk).status == source


def test_start_takes_the_incident(highfield, staff, tech, netmgr, desk, log_incident):
    incident = services.incident_assign(incident=log_incident(highfield, by=staff), assignee=tech, actor=desk)
    incident = services.incident_transition(incident=incident, action="start", actor=netmgr)
    assert (incident.status, incident.assignee) == (Status.IN_PROGRESS, netmgr)


def test_resolve_records_the_resolution_and_credits_the_resolver(highfield, staff, tech, log_incident):
    incident = services.incident_transition(
        incident=log_incident(highfield, by=staff),
        action="resolve",
        actor=tech,
        note="  Replaced the bulb.  ",
        resolution_code="replaced",
    )
    stored = Incident.objects.get(pk=incident.pk)
    assert stored.resolution == "Replaced the bulb."
    assert stored.resolved_at is not None
    assert stored.assignee == tech  # resolved at first contact


def test_resolve_keeps_the_assigned_technician(highfield, staff, tech, netmgr, desk, log_incident):
    incident = services.incident_assign(incident=log_incident(highfield, by=staff), assignee=tech, actor=desk)
    incident = services.incident_transition(
        incident=incident, action="resolve", actor=netmgr, note="Done.", resolution_code="fixed"
    )
    assert incident.assignee == tech


def test_close_and_reopen_stamp_the_times(highfield, staff, tech, log_incident, walk):
    resolved = walk(log_incident(highfield, by=staff), Status.RESOLVED)
    closed = services.incident_transition(incident=resolved, action="close", actor=staff)
    assert closed.closed_at is not None

    again = walk(log_incident(highfield, by=staff), Status.RESOLVED)
    reopened = services.incident_transition(incident=again, action="reopen", actor=staff, note="Still broken.")
    stored = Incident.objects.get(pk=reopened.pk)
    assert stored.resolved_at is None
    assert stored.status == Status.REOPENED


@pytest.mark.parametrize(
    ("action", "source"),
    [
        ("close", Status.NEW),
        ("close", Status.IN_PROGRESS),
        ("reopen", Status.NEW),
        ("reopen", Status.CLOSED),
        ("hold", Status.NEW),
        ("hold", Status.ON_HOLD),
        ("resume", Status.IN_PROGRESS),
        ("start", Status.IN_PROGRESS),
        ("start", Status.RESOLVED),
        ("resolve", Status.RESOLVED),
        ("resolve", Status.CLOSED),
    ],
)
def test_a_move_from_the_wrong_status_is_refused(highfield, cast, log_incident, walk, action, source):
    incident = walk(log_incident(highfield, by=cast["staff"]), source)
    with pytest.raises(InvalidTransition) as refused:
        services.incident_transition(incident=incident, action=action, actor=cast["admin"], note="Note.")
    message = refused.value.messages[0]
    assert message.startswith(f"Cannot {Incident.WORKFLOW.transitions[action].label.lower()} a record that is")
    for allowed in Incident.WORKFLOW.allowed(source):
        assert allowed.label.lower() in message
    assert Incident.objects.get(pk=incident.pk).status == source


def test_an_unknown_action_is_refused(highfield, staff, tech, log_incident):
    with pytest.raises(InvalidTransition, match="There is no action called 'explode'."):
        services.incident_transition(incident=log_incident(highfield, by=staff), action="explode", actor=tech)


@pytest.mark.parametrize(
    ("action", "source", "who"),
    [
        ("start", Status.NEW, "staff"),
        ("start", Status.NEW, "desk"),
        ("start", Status.NEW, "leader"),
        ("start", Status.NEW, "consultant"),
        ("start", Status.NEW, "tech2"),
        ("resolve", Status.IN_PROGRESS, "desk"),
        ("resolve", Status.IN_PROGRESS, "staff"),
        ("hold", Status.IN_PROGRESS, "desk"),
        ("close", Status.RESOLVED, "leader"),
        ("close", Status.RESOLVED, "consultant"),
        ("reopen", Status.RESOLVED, "outsider"),
    ],
)
def test_a_move_by_the_wrong_person_is_refused(highfield, cast, log_incident, walk, action, source, who):
    incident = walk(log_incident(highfield, by=cast["staff"]), source)
    label = Incident.WORKFLOW.transitions[action].label.lower()
    with pytest.raises(PermissionDenied, match=f"You cannot {label} this incident."):
        services.incident_transition(
            incident=incident, action=action, actor=cast[who], note="Note.", **DETAILS.get(action, {})
        )
    assert Incident.objects.get(pk=incident.pk).status == source


def test_another_ict_user_cannot_close_someone_elses_incident(highfield, staff, leader, tech, log_incident, walk):
    from tests.conftest import make_person

    colleague = make_person("colleague", school=highfield, role="ict_user")
    incident = walk(log_incident(highfield, by=staff), Status.RESOLVED)
    with pytest.raises(PermissionDenied):
        services.incident_transition(incident=incident, action="close", actor=colleague)


@pytest.mark.parametrize(
    ("action", "source", "who"),
    [("hold", Status.IN_PROGRESS, "tech"), ("resolve", Status.NEW, "tech"), ("reopen", Status.RESOLVED, "staff")],
)
@pytest.mark.parametrize("note", ["", "   "])
def test_a_move_that_needs_a_note_refuses_without_one(highfield, cast, log_incident, walk, action, source, who, note):
    incident = walk(log_incident(highfield, by=cast["staff"]), source)
    with pytest.raises(ValidationError) as refused:
        services.incident_transition(incident=incident, action=action, actor=cast[who], note=note)
    transition = Incident.WORKFLOW.transitions[action]
    assert refused.value.message_dict == {
        "note": [f"{transition.note_label} is required to {transition.label.lower()}."]
    }
    assert Incident.objects.get(pk=incident.pk).status == source


def test_the_service_works_on_the_stored_status_not_a_stale_copy(highfield, staff, tech, log_incident):
    """Two people act on the same page: the second sees the move already made."""
    incident = log_incident(highfield, by=staff)
    services.incident_transition(
        incident=incident, action="resolve", actor=tech, note="Fixed.", resolution_code="fixed"
    )
    with pytest.raises(InvalidTransition, match="that is resolved"):
        services.incident_transition(
            incident=incident, action="resolve", actor=tech, note="Fixed again.", resolution_code="fixed"
        )


# =============================================================================
# incident_comment
# =============================================================================


def test_the_caller_comments_publicly(highfield, staff, log_incident):
    incident = log_incident(highfield, by=staff)
    entry = services.incident_comment(incident=incident, author=staff, text="  It is the one by the door. ")
    assert (entry.kind, entry.actor, entry.text, entry.public) == ("comment", staff, "It is the one by the door.", True)
    assert entries(incident)[-1] == entry


def test_support_staff_write_internal_notes(highfield, staff, cast, log_incident):
    incident = log_incident(highfield, by=staff)
    for who in ("tech", "desk", "netmgr", "leader"):
        entry = services.incident_comment(incident=incident, author=cast[who], text="Between us.", public=False)
        assert entry.public is False


def test_an_ict_user_cannot_write_internal_notes(highfield, staff, log_incident):
    incident = log_incident(highfield, by=staff)
    with pytest.raises(PermissionDenied, match="Only support staff write internal notes."):
        services.incident_comment(incident=incident, author=staff, text="Secret", public=False)


def test_internal_notes_are_left_out_of_the_callers_timeline(highfield, staff, tech, log_incident):
    incident = log_incident(highfield, by=staff)
    services.incident_comment(incident=incident, author=tech, text="Supplier is slow.", public=False)
    services.incident_comment(incident=incident, author=tech, text="On it.")
    assert [e.text for e in timeline(incident, include_internal=False)] == ["Logged.", "On it."]
    assert [e.text for e in timeline(incident, include_internal=True)] == ["Logged.", "Supplier is slow.", "On it."]


@pytest.mark.parametrize("who", ["consultant", "outsider", "tech2"])
def test_people_outside_the_incident_cannot_comment(highfield, cast, log_incident, who):
    incident = log_incident(highfield, by=cast["staff"])
    with pytest.raises(PermissionDenied, match="You cannot comment on this incident."):
        services.incident_comment(incident=incident, author=cast[who], text="Hello")


def test_another_ict_user_cannot_comment_on_someone_elses_incident(highfield, staff, log_incident):
    from tests.conftest import make_person

    colleague = make_person("colleague", school=highfield, role="ict_user")
    with pytest.raises(PermissionDenied):
        services.incident_comment(incident=log_incident(highfield, by=staff), author=colleague, text="Me too")


def test_an_empty_comment_is_refused(highfield, staff, log_incident):
    with pytest.raises(ValidationError) as refused:
        services.incident_comment(incident=log_incident(highfield, by=staff), author=staff, text="  ")
    assert refused.value.message_dict == {"text": ["Write something to add a comment."]}


def test_a_comment_touches_the_incident(highfield, staff, log_incident):
    incident = log_incident(highfield, by=staff)
    Incident.objects.filter(pk=incident.pk).update(updated_at=timezone.now() - timedelta(days=1))
    services.incident_comment(incident=incident, author=staff, text="Any news?")
    assert Incident.objects.get(pk=incident.pk).updated_at > timezone.now() - timedelta(minutes=1)


def test_a_comment_on_a_closed_incident_is_still_recorded(highfield, staff, log_incident, walk):
    incident = walk(log_incident(highfield, by=staff), Status.CLOSED)
    assert services.incident_comment(incident=incident, author=staff, text="Thanks!").public


# =============================================================================
# incident_close_unconfirmed
# =============================================================================


def resolved_days_ago(incident: Incident, days: float) -> Incident:
    Incident.objects.filter(pk=incident.pk).update(resolved_at=timezone.now() - timedelta(days=days))
    return Incident.objects.get(pk=incident.pk)


def test_close_unconfirmed_closes_only_resolutions_older_than_the_grace_period(
    settings, highfield, staff, log_incident, walk
):
    settings.FITS_AUTO_CLOSE_DAYS = 5
    stale = resolved_days_ago(walk(log_incident(highfield, by=staff), Status.RESOLVED), 6)
    fresh = resolved_days_ago(walk(log_incident(highfield, by=staff), Status.RESOLVED), 4)
    working = walk(log_incident(highfield, by=staff), Status.ON_HOLD)
    Incident.objects.filter(pk=working.pk).update(created_at=timezone.now() - timedelta(days=30))
    closed_by_caller = walk(log_incident(highfield, by=staff), Status.CLOSED)
    resolved_days_ago(closed_by_caller, 10)

    assert services.incident_close_unconfirmed() == 1

    stale.refresh_from_db()
    assert (stale.status, stale.closed_at is not None) == (Status.CLOSED, True)
    assert Incident.objects.get(pk=fresh.pk).status == Status.RESOLVED
    assert Incident.objects.get(pk=working.pk).status == Status.ON_HOLD
    entry = entries(stale)[-1]
    assert (entry.kind, entry.actor) == ("status", None)
    assert entry.changes == {"status": ["resolved", "closed"]}
    assert entry.text == "Closed automatically: no reply from the caller within 5 days."
    assert len(entries(closed_by_caller)) == 3  # logged, resolved, closed: nothing added


def test_close_unconfirmed_follows_the_setting_and_the_clock(settings, highfield, staff, log_incident, walk):
    settings.FITS_AUTO_CLOSE_DAYS = 2
    incident = resolved_days_ago(walk(log_incident(highfield, by=staff), Status.RESOLVED), 1)
    assert services.incident_close_unconfirmed() == 0
    later = timezone.now() + timedelta(days=2)
    assert services.incident_close_unconfirmed(now=later) == 1
    incident.refresh_from_db()
    assert incident.closed_at == later
    assert services.incident_close_unconfirmed(now=later) == 0  # idempotent


def test_the_scheduled_task_calls_the_service(settings, highfield, staff, log_incident, walk):
    from incidents.tasks import incident_close_unconfirmed_task

    settings.FITS_AUTO_CLOSE_DAYS = 5
    resolved_days_ago(walk(log_incident(highfield, by=staff), Status.RESOLVED), 7)
    assert incident_close_unconfirmed_task.delay().get() == 1
    assert not Incident.objects.filter(status=Status.RESOLVED).exists()
