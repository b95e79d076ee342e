"""Bulk actions on the workbench: each ticket through its own service; refusals reported, the rest done."""

from __future__ import annotations

import pytest

from fits.models import Activity
from incidents import services
from incidents.models import HoldReason, Incident, Status
from servicedesk import workbench

pytestmark = pytest.mark.django_db


@pytest.fixture
def five(highfield, staff, tech, log_incident):
    """Five tickets at highfield: three new, one in progress with tech, one closed."""
    tickets = [log_incident(highfield, by=staff, title=f"Fault {i}") for i in range(3)]
    tickets.append(services.incident_transition(incident=log_incident(highfield, by=staff, title="Taken"),
                                                action="start", actor=tech))  # fmt: skip
    done = services.incident_transition(incident=log_incident(highfield, by=staff, title="Done"), action="resolve",
                                        actor=tech, note="Fixed.", resolution_code="fixed")  # fmt: skip
    tickets.append(services.incident_transition(incident=done, action="close", actor=staff))
    return tickets


def bulk(client, tickets, action, **fields):
    data = {"ticket": [t.pk for t in tickets], "action": action, "next": "/workbench/?queue=open", **fields}
    return client.post("/workbench/bulk/", data, follow=True)


def fresh(tickets) -> list[Incident]:
    return [Incident.objects.get(pk=t.pk) for t in tickets]


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_assign_to_me_does_what_it_can_and_says_what_it_refused(five, tech, client_for):
    response = bulk(client_for(tech), five, "assign_me")
    closed = five[-1]
    (message,) = messages_of(response)
    assert message.startswith("Assign to me: 4 done, 1 refused: ")
    assert f"{closed.reference} is closed; reopen it first." in message
    assert [t.assignee_id for t in fresh(five[:4])] == [tech.pk] * 4
    assert [t.status for t in fresh(five[:3])] == [Status.ASSIGNED] * 3
    assert fresh(five)[-1].assignee_id == tech.pk  # unchanged: it was tech's when resolved
    assert response.redirect_chain[-1][0] == "/workbench/?queue=open"


def test_the_desk_assigns_to_a_technician(five, desk, tech, client_for):
    response = bulk(client_for(desk), five[:3], "assign", assignee=tech.pk)
    assert messages_of(response) == ["Assign: 3 done."]
    assert all(t.assignee == tech for t in fresh(five[:3]))
    entries = Activity.objects.filter(object_id__in=[t.pk for t in five[:3]], kind=Activity.Kind.ASSIGNMENT)
    assert entries.count() == 3, "each on its ticket's timeline"


def test_assigning_needs_a_technician(five, desk, client_for):
    response = bulk(client_for(desk), five[:2], "assign")
    assert messages_of(response) == ["Choose the technician to assign them to."]
    assert all(t.assignee is None for t in fresh(five[:2]))


def test_only_technicians_can_be_chosen(five, desk, staff, client_for):
    response = bulk(client_for(desk), five[:2], "assign", assignee=staff.pk)
    assert any("valid choice" in m for m in messages_of(response))
    assert all(t.assignee is None for t in fresh(five[:2]))


def test_hold_needs_a_reason_and_only_suits_work_in_progress(five, tech, client_for):
    client = client_for(tech)
    response = bulk(client, five[2:4], "hold", hold_note="Parts ordered")
    assert messages_of(response) == ["Choose what the tickets are waiting for."]
    response = bulk(client, five[2:4], "hold", hold_note="Parts ordered", hold_reason=HoldReason.AWAITING_PARTS)
    (message,) = messages_of(response)
    assert message.startswith("Put on hold: 1 done, 1 refused: ") and five[2].reference in message
    held = fresh(five)[3]
    assert held.status == Status.ON_HOLD and held.hold_reason == HoldReason.AWAITING_PARTS


def test_resolve_with_a_resolution_and_a_code(five, tech, client_for):
    response = bulk(client_for(tech), five, "resolve", resolve_note="Reset the print spooler.", resolution_code="fixed")
    (message,) = messages_of(response)
    assert message.startswith("Resolve: 4 done, 1 refused: ")
    resolved = fresh(five[:4])
    assert {t.status for t in resolved} == {Status.RESOLVED}
    assert {t.resolution for t in resolved} == {"Reset the print spooler."}
    assert {t.resolution_code for t in resolved} == {"fixed"}


def test_resolve_without_the_resolution_or_its_code_is_refused_before_anything_changes(five, tech, client_for):
    response = bulk(client_for(tech), five[:3], "resolve", resolution_code="fixed")
    assert "Write the resolution" in messages_of(response)[0]
    response = bulk(client_for(tech), five[:3], "resolve", resolve_note="Rebooted.")
    assert messages_of(response) == ["Choose a resolution code: how the incidents were resolved."]
    assert {t.status for t in fresh(five[:3])} == {Status.NEW}


def test_comment_publicly_or_as_an_internal_note(five, tech, client_for):
    client = client_for(tech)
    bulk(client, five[:2], "comment", text="The supplier is on site tomorrow.", public="on")
    bulk(client, five[:2], "comment", text="Check the toner stock first.")
    for ticket in five[:2]:
        notes = Activity.objects.filter(object_id=ticket.pk, kind=Activity.Kind.COMMENT).order_by("pk")
        assert [(n.text, n.public) for n in notes] == [
            ("The supplier is on site tomorrow.", True),
            ("Check the toner stock first.", False),
        ]


def test_an_ict_user_cannot_act_in_bulk(five, staff, client_for):
    response = client_for(staff).post("/workbench/bulk/", {"ticket": [five[0].pk], "action": "assign_me"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert fresh(five)[0].assignee is None


def test_another_schools_ticket_cannot_be_chosen(five, riverside, tech2, tech, client_for, log_incident):
    theirs = log_incident(riverside, by=tech2, title="Riverside fault")
    response = bulk(client_for(tech), [five[0], theirs], "assign_me")
    assert any("valid choice" in m for m in messages_of(response))
    assert Incident.objects.get(pk=theirs.pk).assignee is None
    assert fresh(five)[0].assignee is None, "nothing is done when the choice is not valid"


def test_at_most_two_hundred_at_once(five, tech, client_for):
    data = {"ticket": [five[0].pk] * (workbench.BULK_LIMIT + 1), "action": "assign_me"}
    response = client_for(tech).post("/workbench/bulk/", data, follow=True)
    assert messages_of(response) == [f"Choose at most {workbench.BULK_LIMIT} tickets at once (201 chosen)."]
    assert fresh(five)[0].assignee is None


def test_nothing_chosen(tech, client_for):
    response = client_for(tech).post("/workbench/bulk/", {"action": "assign_me"}, follow=True)
    assert messages_of(response) == ["Choose at least one ticket: tick the boxes beside them, or press x."]


def test_the_summary_names_the_refused_tickets(five, tech):
    outcome = workbench.workbench_bulk(actor=tech, incidents=five, action="hold", note="Waiting",
                                       hold_reason=HoldReason.AWAITING_CALLER)  # fmt: skip
    summary = workbench.bulk_summary(outcome, shown=2)
    assert summary.startswith("1 done, 4 refused: ")
    assert five[0].reference in summary and five[1].reference in summary and "And 2 more." in summary


def test_merge_the_duplicates_into_the_ticket_kept(five, desk, client_for):
    kept, duplicates = five[0], five[1:3]
    number = str(int(kept.reference[-6:]))
    response = bulk(client_for(desk), [kept, *duplicates, five[-1]], "merge", into=number)
    (message,) = messages_of(response)
    assert message.startswith("Merge: 2 done, 1 refused: ") and f"{five[-1].reference} is already closed" in message
    for duplicate in fresh(duplicates):
        assert duplicate.status == Status.CLOSED and duplicate.duplicate_of_id == kept.pk
    assert fresh([kept])[0].status == Status.NEW, "the ticket kept is not a duplicate of itself"


def test_merge_needs_a_ticket_of_the_same_school(five, riverside, tech2, desk, client_for, log_incident):
    theirs = [log_incident(riverside, by=tech2, title=f"Riverside fault {i}") for i in range(6)][-1]
    assert not Incident.objects.filter(school=five[0].school, reference=theirs.reference).exists()
    response = bulk(client_for(desk), five[:2], "merge", into=theirs.reference)
    assert messages_of(response) == [f"There is no ticket {theirs.reference} at the chosen tickets' school."]
    response = bulk(client_for(desk), five[:2], "merge")
    assert "Give the reference of the ticket to keep" in messages_of(response)[0]
    assert {t.status for t in fresh(five[:2])} == {Status.NEW}


def test_set_priority_by_impact_and_urgency(five, desk, client_for):
    response = bulk(client_for(desk), five, "reprioritise", impact=1, urgency=1)
    (message,) = messages_of(response)
    assert message.startswith("Set priority: 4 done, 1 refused: ") and f"{five[-1].reference} is closed" in message
    assert {t.priority for t in fresh(five[:4])} == {1}
    entry = Activity.objects.filter(object_id=five[0].pk, kind=Activity.Kind.FIELD).get()
    assert entry.changes["priority"] == ["P3 Medium", "P1 Critical"] and "P1 Critical" in entry.text
    assert fresh(five)[-1].priority == 3, "the closed one keeps its priority"


def test_set_priority_follows_the_authoritys_matrix_and_needs_both(five, highfield, desk, client_for):
    from incidents.models import PriorityRule

    PriorityRule.objects.create(authority=highfield.authority, impact=2, urgency=1, priority=1)
    client = client_for(desk)
    response = bulk(client, five[:1], "reprioritise", impact=2)
    assert messages_of(response) == ["Choose how urgent it is: the priority follows from impact and urgency."]
    bulk(client, five[:1], "reprioritise", impact=2, urgency=1)
    assert fresh(five)[0].priority == 1  # the default matrix says P2; bolton's says P1


def test_only_the_desk_and_technicians_set_priorities(five, leader):
    outcome = workbench.workbench_bulk(actor=leader, incidents=five[:1], action="reprioritise", impact=1, urgency=1)
    assert outcome.refused and "cannot change the priority" in outcome.refused[0][1]
    assert fresh(five)[0].priority == 3
