"""Incident data and its invariants: the priority matrix, the lifecycle table, the querysets."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import (
    OPEN_STATUSES,
    PRIORITY_MATRIX,
    Impact,
    Incident,
    Priority,
    Status,
    Urgency,
    priority_for,
)

# Impact x urgency = priority, as the FITS incident sheet has it.
MATRIX = [
    (Impact.HIGH, Urgency.HIGH, Priority.CRITICAL),
    (Impact.HIGH, Urgency.MEDIUM, Priority.HIGH),
    (Impact.HIGH, Urgency.LOW, Priority.MEDIUM),
    (Impact.MEDIUM, Urgency.HIGH, Priority.HIGH),
    (Impact.MEDIUM, Urgency.MEDIUM, Priority.MEDIUM),
    (Impact.MEDIUM, Urgency.LOW, Priority.LOW),
    (Impact.LOW, Urgency.HIGH, Priority.MEDIUM),
    (Impact.LOW, Urgency.MEDIUM, Priority.LOW),
    (Impact.LOW, Urgency.LOW, Priority.PLANNING),
]


@pytest.mark.parametrize(("impact", "urgency", "priority"), MATRIX)
def test_priority_matrix(impact, urgency, priority):
    assert priority_for(impact, urgency) == priority
    assert priority_for(int(impact), int(urgency)) is Priority(priority)


def test_the_matrix_covers_every_cell_and_nothing_else():
    assert set(PRIORITY_MATRIX) == {(i, u) for i in Impact for u in Urgency}


@pytest.mark.django_db
@pytest.mark.parametrize(("impact", "urgency", "priority"), MATRIX)
def test_logging_sets_the_priority_from_the_matrix(highfield, staff, log_incident, impact, urgency, priority):
    incident = log_incident(highfield, by=staff, impact=impact, urgency=urgency)
    assert Incident.objects.get(pk=incident.pk).priority == priority


def test_the_lifecycle_table():
    """The table DESIGN.md promises, in words (docs/workflows.md draws it)."""
    assert sorted(Incident.WORKFLOW.as_table()) == sorted(
        [
            ("New", "Take and start", "In progress"),
            ("Assigned", "Take and start", "In progress"),
            ("Reopened", "Take and start", "In progress"),
            ("In progress", "Put on hold", "On hold"),
            ("On hold", "Resume", "In progress"),
            ("New", "Resolve", "Resolved"),
            ("Assigned", "Resolve", "Resolved"),
            ("In progress", "Resolve", "Resolved"),
            ("On hold", "Resolve", "Resolved"),
            ("Reopened", "Resolve", "Resolved"),
            ("Resolved", "Confirm and close", "Closed"),
            ("Resolved", "Reopen", "Reopened"),
            # Made by other operations, never asked for directly:
            ("New", "Assign", "Assigned"),  # incident_assign
            ("Reopened", "Assign", "Assigned"),
            ("Assigned", "Return to the queue", "New"),  # incident_assign(assignee=None)
            ("Resolved", "Close unconfirmed", "Closed"),  # incident_close_unconfirmed
            ("Awaiting approval", "Approve", "New"),  # servicedesk request_approve
            ("Awaiting approval", "Decline", "Closed"),  # servicedesk request_decline
            # incident_escalate to the LEA support unit (or incident_take_back by the unit): in a queue again
            ("Assigned", "Back to a queue", "New"),
            ("In progress", "Back to a queue", "New"),
            ("On hold", "Back to a queue", "New"),
            # incident_escalate to a supplier: on hold, waiting for the supplier
            ("New", "Hand to a supplier", "On hold"),
            ("Assigned", "Hand to a supplier", "On hold"),
            ("In progress", "Hand to a supplier", "On hold"),
            ("Reopened", "Hand to a supplier", "On hold"),
            # incident_merge: a duplicate is closed
            *[(status, "Merge into another ticket", "Closed") for status in
              ("Awaiting approval", "New", "Assigned", "In progress", "On hold", "Reopened", "Resolved")],
        ]
    )  # fmt: skip


def test_the_actions_a_person_may_ask_for():
    assert sorted(Incident.WORKFLOW.actions) == ["close", "hold", "reopen", "resolve", "resume", "start"]
    automatic = {name for name, t in Incident.WORKFLOW.transitions.items() if t.automatic}
    assert automatic == {"assign", "unassign", "expire", "approve", "decline", "requeue", "await_supplier", "merge"}


def test_closed_is_the_end_of_the_line():
    assert Incident.WORKFLOW.allowed(Status.CLOSED) == []


def test_notes_are_required_where_the_caller_or_the_record_needs_words():
    needs_note = {t.name for t in Incident.WORKFLOW.transitions.values() if t.note_required}
    assert needs_note == {"hold", "resolve", "reopen", "decline"}


def test_status_and_priority_are_not_editable_in_forms():
    for name in ("status", "priority", "reference", "resolution", "resolved_at", "closed_at"):
        assert not Incident._meta.get_field(name).editable, name


def test_open_statuses():
    assert set(OPEN_STATUSES) == set(Status) - {Status.RESOLVED, Status.CLOSED}


# --- Querysets -------------------------------------------------------------------


@pytest.mark.django_db
def test_an_ict_user_sees_only_the_incidents_they_reported(highfield, cast, log_incident):
    mine = log_incident(highfield, by=cast["staff"])
    logged_for_me = log_incident(highfield, by=cast["desk"], reporter=cast["staff"])
    log_incident(highfield, by=cast["leader"])
    assert set(Incident.objects.visible_to(cast["staff"])) == {mine, logged_for_me}
    # The school's support staff see all three; another school sees none.
    for person in ("desk", "tech", "netmgr", "leader", "consultant", "admin"):
        assert Incident.objects.visible_to(cast[person]).count() == 3, person
    for person in ("tech2", "outsider"):
        assert not Incident.objects.visible_to(cast[person]).exists(), person


@pytest.mark.django_db
def test_an_ict_user_at_one_school_and_staff_at_another(highfield, riverside, cast, log_incident):
    from fits.models import Membership, Role, User

    Membership.objects.create(user=cast["tech2"], school=highfield, role=Role.ICT_USER)
    tech2 = User.objects.get(pk=cast["tech2"].pk)
    theirs = log_incident(highfield, by=tech2)
    log_incident(highfield, by=cast["staff"])
    at_riverside = log_incident(riverside, by=tech2)
    assert set(Incident.objects.visible_to(tech2)) == {theirs, at_riverside}


@pytest.mark.django_db
def test_open_and_unassigned(highfield, tech, desk, staff, log_incident):
    new = log_incident(highfield, by=staff)
    assigned = services.incident_assign(incident=log_incident(highfield, by=staff), assignee=tech, actor=desk)
    resolved = services.incident_transition(
        incident=log_incident(highfield, by=staff), action="resolve", actor=tech, note="Fixed.", resolution_code="fixed"
    )
    assert set(Incident.objects.open()) == {new, assigned}
    assert set(Incident.objects.unassigned()) == {new}
    assert not resolved.is_open
    assert new.is_open


@pytest.mark.django_db
def test_glance_figures(highfield, riverside, tech, tech2, desk, staff, log_incident):
    p1 = log_incident(highfield, by=staff, impact=Impact.HIGH, urgency=Urgency.HIGH)
    services.incident_assign(incident=p1, assignee=tech, actor=desk)
    log_incident(highfield, by=staff, impact=Impact.LOW, urgency=Urgency.LOW)
    services.incident_transition(
        incident=log_incident(highfield, by=staff), action="resolve", actor=tech, note="Ok", resolution_code="fixed"
    )
    old = log_incident(highfield, by=staff)
    Incident.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=30))
    log_incident(riverside, by=tech2)

    since = timezone.now() - timedelta(days=7)
    figures = Incident.objects.filter(school=highfield).glance(since=since)
    assert {k: figures[k] for k in ("open", "urgent", "unassigned", "awaiting", "logged", "resolved")} == {
        "open": 3,
        "urgent": 1,
        "unassigned": 2,
        "awaiting": 1,
        "logged": 3,
        "resolved": 1,
    }
    assert figures["oldest_open"] == Incident.objects.get(pk=old.pk).created_at
    assert figures["mean_time_to_resolve"] >= timedelta(0)

    by_school = Incident.objects.all().glance_by_school(since=since)
    assert by_school[highfield.pk]["open"] == 3
    assert by_school[riverside.pk]["open"] == 1
    assert Incident.objects.open().count_by("priority") == {
        Priority.CRITICAL: 1,
        Priority.MEDIUM: 2,
        Priority.PLANNING: 1,
    }


@pytest.mark.django_db
def test_str_and_url(highfield, staff, log_incident):
    incident = log_incident(highfield, by=staff, title="Printer jammed")
    assert str(incident) == "INC-000001 Printer jammed"
    assert incident.get_absolute_url() == f"/incidents/{incident.pk}/"
