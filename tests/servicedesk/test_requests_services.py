"""Service requests (FITS Service Desk): the catalogue's items, logging a request, approval, fulfilment.

Everything goes through servicedesk.services, as the pages and the API do; the demo cast plays the
parts (desk keeps the catalogue, leader and netmgr approve, tech fulfils, staff asks).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fits.models import Activity, Membership, Notification, Role
from incidents.models import Incident, ResolutionCode, Status, TicketKind
from servicedesk import services
from servicedesk.catalogue_starter import LOAN, NEW_STARTER, ROOM_SET_UP, SOFTWARE, starter_catalogue_create
from servicedesk.models import Approval, FulfilmentTask, RequestType, ServiceRequest
from tests.conftest import make_person

pytestmark = pytest.mark.django_db


def day(offset: int) -> str:
    return (timezone.localdate() + timedelta(days=offset)).isoformat()


@pytest.fixture
def catalogue(highfield, desk, leader, netmgr, tech, staff):
    """The starter catalogue at highfield, kept by the desk; the cast is all there."""
    return {item.name: item for item in starter_catalogue_create(school=highfield, actor=desk)}


def new_starter_answers(**overrides):
    answers = {
        "full_name": "Jane Smith",
        "job_title": "Teaching assistant",
        "start_date": day(7),
        "accounts": ["E-mail", "Network log-on"],
    }
    return {**answers, **overrides}


def loan_answers(**overrides):
    return {"equipment": "Laptop", "quantity": 2, "from_date": day(1), "to_date": day(3), **overrides}


def software_answers(**overrides):
    answers = {"software": "Scratch 3", "where": "ICT suite", "licence": "Free to use", "reason": "Coding club"}
    return {**answers, **overrides}


def log(catalogue, name, by, answers, **extra):
    item = catalogue[name]
    return services.request_log(school=item.school, logged_by=by, request_type=item, answers=answers, **extra)


def errors_of(excinfo) -> dict[str, list[str]]:
    return excinfo.value.message_dict


# =============================================================================
# The catalogue's items
# =============================================================================


def test_the_questions_of_an_item_are_checked_each_naming_its_question():
    questions = [
        {"label": "Laptop or projector?", "type": "choice"},  # no choices
        {"label": "", "type": "text"},  # no label
        {"name": "Bad Name", "label": "Room", "type": "text"},
        {"name": "room", "label": "Room again", "type": "text"},
        {"name": "room", "label": "Room twice", "type": "text"},
        {"label": "When", "type": "datetime"},
        {"label": "How many", "type": "number", "min": 5, "max": 1},
        {"label": "Until", "type": "date", "not_before": "from_date"},  # no earlier date called that
        {"label": "Note", "type": "text", "choices": ["a"]},
        {"label": "Colour", "type": "text", "colour": "red"},
    ]
    with pytest.raises(ValidationError) as excinfo:
        services.request_type_fields_clean(questions)
    messages = excinfo.value.message_dict["fields"]
    expected = [
        "Question 1 (“Laptop or projector?”): a choice question needs its choices",
        "Question 2: give it a label",
        "Question 3 (“Room”): the answer key “Bad Name” must start with a letter",
        "Question 5 (“Room twice”): the answer key “room” is used by another question",
        "Question 6 (“When”): choose a type",
        "Question 7 (“How many”): its minimum is more than its maximum",
        "Question 8 (“Until”): “not before” is “today” or the answer key of an earlier date question",
        "Question 9 (“Note”): only a choice question has choices",
        "Question 10 (“Colour”): unknown setting colour",
    ]
    for start in expected:
        assert any(message.startswith(start) for message in messages), (start, messages)
    numbers = {item.params["question"] for item in excinfo.value.error_dict["fields"]}
    assert numbers == {1, 2, 3, 5, 6, 7, 8, 9, 10}


def test_questions_are_tidied_and_named_from_their_labels():
    cleaned = services.request_type_fields_clean(
        [
            {"label": " Laptop or projector? ", "type": "choice", "choices": "Laptop\n\nProjector\n", "required": True},
            {"label": "From", "type": "date", "not_before": "today"},
            {"label": "Until", "type": "date", "not_before": "from"},
            {"label": "2 copies", "type": "number", "min": "1", "max": 2.5},
        ]
    )
    assert cleaned[0] == {
        "name": "laptop_or_projector",
        "label": "Laptop or projector?",
        "type": "choice",
        "required": True,
        "help": "",
        "choices": ["Laptop", "Projector"],
        "multiple": False,
    }
    assert cleaned[2]["not_before"] == "from"
    assert cleaned[3]["name"] == "q_2_copies" and (cleaned[3]["min"], cleaned[3]["max"]) == (1, 2.5)


def test_the_desk_technicians_and_the_network_manager_keep_the_catalogue(
    highfield, riverside, desk, tech, netmgr, leader, staff, tech2, consultant
):
    for person, name in ((desk, "Borrow a visualiser"), (tech, "Printer toner"), (netmgr, "VPN access")):
        item = services.request_type_create(school=highfield, actor=person, name=name, summary="Ask for it.")
        assert item.is_active and item.fields == [] and item.tasks == []
    for person in (leader, staff, tech2, consultant):
        with pytest.raises(PermissionDenied):
            services.request_type_create(school=highfield, actor=person, name="Nope", summary="No.")
    with pytest.raises(ValidationError) as excinfo:
        services.request_type_create(school=highfield, actor=desk, name="borrow a VISUALISER", summary="Twice.")
    assert "already has a catalogue item called" in errors_of(excinfo)["name"][0]
    # Another school may use the same name.
    services.request_type_create(school=riverside, actor=tech2, name="Borrow a visualiser", summary="Ask.")
    with pytest.raises(ValidationError) as excinfo:
        services.request_type_create(
            school=highfield, actor=desk, name="Trip", summary="", needs_approval=True, fulfil_days=400
        )
    assert set(errors_of(excinfo)) == {"summary", "approver", "fulfil_days"}
    item = services.request_type_create(
        school=highfield, actor=desk, name="Trip laptops", summary="Laptops.", approver="school_leader"
    )
    assert item.approver == "", "no approval needed: no approver kept"


def test_tasks_name_a_group_that_works_at_the_school(highfield, riverside, desk):
    from incidents.models import SupportGroup

    ours = SupportGroup.objects.create(school=highfield, name="Highfield ICT")
    theirs = SupportGroup.objects.create(school=riverside, name="Riverside ICT")
    item = services.request_type_create(
        school=highfield,
        actor=desk,
        name="Kit",
        summary="Kit.",
        tasks=["Order it", {"title": "Fit it", "group": ours.pk}],
    )
    assert item.tasks == [{"title": "Order it", "group": None}, {"title": "Fit it", "group": ours.pk}]
    with pytest.raises(ValidationError) as excinfo:
        services.request_type_update(request_type=item, actor=desk, tasks=[{"title": "", "group": theirs.pk}])
    assert errors_of(excinfo)["tasks"] == [
        "Task 1: give it a title, e.g. Create the account.",
        "Task 1: the support group must be one that works at Highfield Primary School.",
    ]


def test_an_item_is_changed_retired_and_offered_again(catalogue, desk, staff, tech2):
    loan = catalogue[LOAN]
    loan = services.request_type_update(request_type=loan, actor=desk, summary="Borrow kit.", fulfil_days=1)
    assert (loan.summary, loan.fulfil_days) == ("Borrow kit.", 1)
    with pytest.raises(ValidationError):
        services.request_type_update(request_type=loan, actor=desk, school=None)
    for person in (staff, tech2):
        with pytest.raises(PermissionDenied):
            services.request_type_retire(request_type=loan, actor=person)
    services.request_type_retire(request_type=loan, actor=desk)
    assert not RequestType.objects.get(pk=loan.pk).is_active
    assert loan.pk not in RequestType.objects.visible_to(staff).values_list("pk", flat=True)
    services.request_type_reinstate(request_type=loan, actor=desk)
    assert RequestType.objects.get(pk=loan.pk).is_active


def test_ict_users_see_only_the_items_offered_to_them(catalogue, highfield, desk, staff, tech2, consultant):
    names = lambda user: set(RequestType.objects.visible_to(user).values_list("name", flat=True))  # noqa: E731
    everything = {NEW_STARTER, SOFTWARE, LOAN, ROOM_SET_UP}
    assert names(desk) == names(consultant) == everything
    assert names(staff) == everything - {NEW_STARTER}, "support staff only"
    assert names(tech2) == set()


# =============================================================================
# Answers
# =============================================================================


@pytest.mark.parametrize(
    ("answers", "errors"),
    [
        ({}, dict.fromkeys(("equipment", "quantity", "from_date", "to_date"), "This question needs an answer.")),
        (loan_answers(equipment="Tablet"), {"equipment": "Choose one of: Laptop, Projector."}),
        (loan_answers(quantity="two"), {"quantity": "Enter a number, e.g. 3."}),
        (loan_answers(quantity=True), {"quantity": "Enter a number, e.g. 3."}),
        (loan_answers(quantity=0), {"quantity": "Enter a number of at least 1."}),
        (loan_answers(quantity=31), {"quantity": "Enter a number of at most 30."}),
        (loan_answers(from_date="next tuesday"), {"from_date": "Enter a date, e.g. 24/11/2026."}),
        (loan_answers(from_date=day(-1)), {"from_date": "Choose today or a later date."}),
        (
            loan_answers(from_date=day(5), to_date=day(2)),
            {"to_date": "Choose a date on or after the answer to “From”."},
        ),
        (loan_answers(purpose="x" * 201), {"purpose": "Keep it under 200 characters (this is 201)."}),
        (loan_answers(colour="red"), {"colour": "“Equipment loan” asks no question called “colour”."}),
    ],
)
def test_answers_are_checked_question_by_question(catalogue, answers, errors):
    with pytest.raises(ValidationError) as excinfo:
        services.request_answers_clean(request_type=catalogue[LOAN], answers=answers)
    assert {name: messages[0] for name, messages in errors_of(excinfo).items()} == errors


def test_answers_are_tidied_for_storing(catalogue):
    answers = services.request_answers_clean(
        request_type=catalogue[LOAN],
        answers={"equipment": " laptop ", "quantity": "2", "from_date": "24/11/2099", "to_date": "2099-11-25"},
    )
    assert answers == {"equipment": "Laptop", "quantity": 2, "from_date": "2099-11-24", "to_date": "2099-11-25"}
    starter = services.request_answers_clean(
        request_type=catalogue[NEW_STARTER],
        answers=new_starter_answers(accounts=["mis", "E-mail", "MIS"], manager_email=" head@school.sch.uk "),
    )
    assert starter["accounts"] == ["E-mail", "MIS"], "in the form's order, once each"
    assert starter["manager_email"] == "head@school.sch.uk"
    with pytest.raises(ValidationError) as excinfo:
        services.request_answers_clean(
            request_type=catalogue[NEW_STARTER],
            answers=new_starter_answers(accounts=["Teleporter"], manager_email="not an address"),
        )
    assert errors_of(excinfo) == {
        "accounts": [
            "“Teleporter” is not one of the choices: Network log-on, E-mail, MIS, Learning platform, Printing."
        ],
        "manager_email": ["Enter an e-mail address, e.g. name@school.sch.uk."],
    }
    with pytest.raises(ValidationError):
        services.request_answers_clean(request_type=catalogue[LOAN], answers=["Laptop"])


def test_yes_no_questions(highfield, desk):
    item = services.request_type_create(
        school=highfield, actor=desk, name="Photocopier code", summary="A code.",
        fields=[{"name": "colour", "label": "Colour copies too?", "type": "yes_no", "required": True}],
    )  # fmt: skip
    clean = lambda value: services.request_answers_clean(request_type=item, answers={"colour": value})  # noqa: E731
    assert clean("yes") == {"colour": True} and clean(False) == {"colour": False} and clean("No") == {"colour": False}
    for value in ("", None, "maybe"):
        with pytest.raises(ValidationError):
            clean(value)


# =============================================================================
# Logging a request
# =============================================================================


def test_a_request_is_a_ticket_with_its_answers_tasks_and_approval(catalogue, highfield, desk, staff, leader):
    service_request = log(catalogue, NEW_STARTER, desk, new_starter_answers(), reporter=staff, channel="phone")
    ticket = service_request.ticket
    assert ticket.kind == TicketKind.REQUEST and ticket.reference == "REQ-000001"
    assert ticket.status == Status.PENDING_APPROVAL and ticket.reporter == staff and ticket.channel == "phone"
    assert ticket.title == "New starter account: Jane Smith"
    assert "Their role: Teaching assistant" in ticket.description
    assert "Accounts they need: Network log-on, E-mail" in ticket.description, "in the form's order"
    assert service_request.answers["start_date"] == day(7)
    assert list(FulfilmentTask.objects.filter(ticket=ticket).values_list("position", "title")) == [
        (1, "Create the account"), (2, "Add to groups"), (3, "Send the credentials")
    ]  # fmt: skip
    assert Approval.objects.get(ticket=ticket).decision == Approval.Decision.PENDING
    asked = Notification.objects.filter(event="request_approval_needed")
    assert {n.recipient for n in asked} == {leader}, "the school leader is asked; nobody else"
    # An item without approval starts in the queue; references count on.
    loan = log(catalogue, LOAN, staff, loan_answers()).ticket
    assert (loan.reference, loan.status, loan.reporter) == ("REQ-000002", Status.NEW, staff)
    assert not Approval.objects.filter(ticket=loan).exists()


def test_what_cannot_be_requested(catalogue, highfield, riverside, staff, tech2, desk):
    with pytest.raises(PermissionDenied):
        log(catalogue, NEW_STARTER, staff, new_starter_answers())  # support staff only
    with pytest.raises(ValidationError) as excinfo:
        services.request_log(school=riverside, logged_by=tech2, request_type=catalogue[LOAN], answers=loan_answers())
    assert "is not in the catalogue of Riverside Academy" in errors_of(excinfo)["request_type"][0]
    with pytest.raises(PermissionDenied):  # nobody logs at a school they have no role at
        services.request_log(school=highfield, logged_by=tech2, request_type=catalogue[LOAN], answers=loan_answers())
    with pytest.raises(ValidationError) as excinfo:  # the caller must belong to the school
        log(catalogue, LOAN, desk, loan_answers(), reporter=tech2)
    assert "reporter" in errors_of(excinfo)
    services.request_type_retire(request_type=catalogue[LOAN], actor=desk)
    with pytest.raises(ValidationError) as excinfo:
        log(catalogue, LOAN, staff, loan_answers())
    assert "no longer offered" in errors_of(excinfo)["request_type"][0]
    with pytest.raises(ValidationError):
        log(catalogue, ROOM_SET_UP, staff, {"room": "Hall"})
    assert not Incident.objects.exists(), "nothing half-logged"


# =============================================================================
# Approval
# =============================================================================


def test_only_the_approver_the_item_names_may_decide(catalogue, desk, staff, leader, netmgr, tech, tech2, consultant):
    starter = log(catalogue, NEW_STARTER, desk, new_starter_answers(), reporter=staff)
    software = log(catalogue, SOFTWARE, staff, software_answers())
    for person in (netmgr, tech, desk, tech2, consultant):
        with pytest.raises(PermissionDenied):
            services.request_approve(service_request=starter, actor=person)
    with pytest.raises(PermissionDenied) as excinfo:
        services.request_approve(service_request=software, actor=leader)
    assert str(excinfo.value) == "Only the network manager at Highfield Primary School can approve REQ-000002."
    services.request_approve(service_request=starter, actor=leader, comment="Welcome aboard.")
    services.request_approve(service_request=software, actor=netmgr)
    for service_request, approver in ((starter, leader), (software, netmgr)):
        ticket = Incident.objects.get(pk=service_request.ticket_id)
        assert ticket.status == Status.NEW
        approval = Approval.objects.get(ticket=ticket)
        assert (approval.decision, approval.approver) == (Approval.Decision.APPROVED, approver)
        assert approval.decided_at is not None
        entry = Activity.objects.filter(object_id=ticket.pk, kind=Activity.Kind.STATUS).get()
        assert entry.changes == {"status": ["pending_approval", "new"]} and entry.actor == approver and entry.public
    told = Notification.objects.filter(event="request_approved", recipient=staff)
    assert told.count() == 2 and "Welcome aboard." in told.get(title__startswith="REQ-000001").text
    with pytest.raises(ValidationError, match="is not awaiting approval: it is new"):
        services.request_approve(service_request=starter, actor=leader)


def test_the_requester_never_approves_their_own_request(catalogue, highfield, leader, netmgr, admin_user):
    mine = log(catalogue, NEW_STARTER, leader, new_starter_answers())
    with pytest.raises(PermissionDenied, match="You asked for REQ-000001: someone else must approve it."):
        services.request_approve(service_request=mine, actor=leader)
    assert not Notification.objects.filter(event="request_approval_needed").exists(), "no other leader to ask"
    deputy = make_person("deputy", school=highfield, role=Role.SCHOOL_LEADER)
    services.request_approve(service_request=mine, actor=deputy)
    assert Incident.objects.get(pk=mine.ticket_id).status == Status.NEW
    # An administrator may decide too, but not about their own request.
    Membership.objects.create(user=admin_user, school=highfield, role=Role.ICT_USER)
    theirs = log(catalogue, SOFTWARE, admin_user, software_answers())
    with pytest.raises(PermissionDenied):
        services.request_approve(service_request=theirs, actor=admin_user)
    services.request_approve(service_request=theirs, actor=netmgr)


def test_decline_says_why_closes_as_declined_and_tells_the_requester(catalogue, staff, netmgr):
    software = log(catalogue, SOFTWARE, staff, software_answers())
    with pytest.raises(ValidationError) as excinfo:
        services.request_decline(service_request=software, actor=netmgr, comment="  ")
    assert errors_of(excinfo) == {"comment": ["Say why it is declined: the requester is told."]}
    services.request_decline(service_request=software, actor=netmgr, comment="We use Scratch online instead.")
    ticket = Incident.objects.get(pk=software.ticket_id)
    assert ticket.status == Status.CLOSED and ticket.resolution_code == ResolutionCode.DECLINED
    assert ticket.closed_at is not None and "We use Scratch online instead." in ticket.resolution
    assert Approval.objects.get(ticket=ticket).decision == Approval.Decision.DECLINED
    told = Notification.objects.get(event="request_declined")
    assert told.recipient == staff and "We use Scratch online instead." in told.text
    with pytest.raises(ValidationError):
        services.task_complete(task=FulfilmentTask.objects.filter(ticket=ticket).first(), actor=netmgr)


def test_approve_and_decline_are_automatic_moves_of_the_ticket(catalogue, staff, netmgr):
    from incidents import services as incidents

    software = log(catalogue, SOFTWARE, staff, software_answers())
    assert Incident.WORKFLOW.available(netmgr, software.ticket) == [], "no buttons: the request's page decides"
    for action in ("approve", "decline", "start", "resolve"):
        with pytest.raises(ValidationError):
            incidents.incident_transition(incident=software.ticket, action=action, actor=netmgr, note="x")


# =============================================================================
# Fulfilment
# =============================================================================


def tasks_of(service_request) -> list[FulfilmentTask]:
    return list(FulfilmentTask.objects.filter(ticket=service_request.ticket_id).order_by("position"))


def test_the_last_task_done_resolves_the_request_as_fulfilled(catalogue, staff, tech, desk):
    from incidents import services as incidents

    loan = log(catalogue, LOAN, staff, loan_answers())
    first, second, third = tasks_of(loan)
    services.task_complete(task=first, actor=tech, note="Both at 100%.")
    services.task_complete(task=second, actor=desk)
    ticket = Incident.objects.get(pk=loan.ticket_id)
    assert ticket.status == Status.NEW and ticket.resolved_at is None
    with pytest.raises(ValidationError, match="already done"):
        services.task_complete(task=first, actor=tech)
    done = services.task_complete(task=third, actor=tech)
    assert done.done_by == tech and done.ticket.status == Status.RESOLVED
    ticket = Incident.objects.get(pk=loan.ticket_id)
    assert ticket.resolution_code == ResolutionCode.FULFILLED and ticket.assignee == tech
    assert ticket.resolution == "Everything asked for is done: Charge and prepare; Hand over; Check back in."
    assert FulfilmentTask.objects.get(pk=first.pk).note == "Both at 100%."
    entries = Activity.objects.filter(object_id=ticket.pk, kind=Activity.Kind.FIELD)
    assert entries.count() == 3 and not entries.filter(public=True).exists(), "task steps are staff's notes"
    resolved = Notification.objects.get(event="resolved")
    assert resolved.recipient == staff, "the requester is asked to confirm"
    incidents.incident_transition(incident=ticket, action="close", actor=staff)
    assert Incident.objects.get(pk=ticket.pk).status == Status.CLOSED


def test_work_waits_for_approval_and_stops_when_closed(catalogue, staff, tech, netmgr):
    software = log(catalogue, SOFTWARE, staff, software_answers())
    task = tasks_of(software)[0]
    with pytest.raises(ValidationError, match="awaiting approval: its tasks start once it is approved"):
        services.task_complete(task=task, actor=tech)
    services.task_add(service_request=software, actor=tech, title="Ask the supplier for a quote")  # planning is fine
    services.request_decline(service_request=software, actor=netmgr, comment="No budget.")
    for attempt in (
        lambda: services.task_add(service_request=software, actor=tech, title="One more"),
        lambda: services.task_assign(task=task, actor=tech, assignee=tech),
        lambda: services.task_complete(task=task, actor=tech),
    ):
        with pytest.raises(ValidationError, match="is closed"):
            attempt()


def test_only_the_desk_and_technicians_work_tasks(catalogue, staff, leader, tech2, consultant, desk, netmgr):
    loan = log(catalogue, LOAN, staff, loan_answers())
    task = tasks_of(loan)[0]
    for person in (staff, leader, tech2, consultant):
        with pytest.raises(PermissionDenied):
            services.task_complete(task=task, actor=person)
        with pytest.raises(PermissionDenied):
            services.task_add(service_request=loan, actor=person, title="Mine")
    services.task_complete(task=task, actor=netmgr)
    services.task_reopen(task=task, actor=desk)
    assert not FulfilmentTask.objects.get(pk=task.pk).is_done


def test_a_task_reopened_reopens_the_fulfilled_request(catalogue, staff, tech):
    loan = log(catalogue, LOAN, staff, loan_answers())
    tasks = tasks_of(loan)
    for task in tasks:
        services.task_complete(task=task, actor=tech)
    assert Incident.objects.get(pk=loan.ticket_id).status == Status.RESOLVED
    with pytest.raises(ValidationError, match="is resolved: reopen it to add tasks"):
        services.task_add(service_request=loan, actor=tech, title="One more thing")
    services.task_reopen(task=tasks[1], actor=tech, note="The charger was missing.")
    ticket = Incident.objects.get(pk=loan.ticket_id)
    assert ticket.status == Status.REOPENED and ticket.resolved_at is None and ticket.resolution_code == ""
    assert Notification.objects.filter(event="reopened", recipient=staff).exists()
    services.task_complete(task=tasks[1], actor=tech)
    assert Incident.objects.get(pk=loan.ticket_id).status == Status.RESOLVED


def test_tasks_are_added_and_assigned_to_people_who_work_requests(catalogue, highfield, staff, tech, desk, tech2):
    from incidents.models import SupportGroup

    loan = log(catalogue, LOAN, staff, loan_answers())
    with pytest.raises(ValidationError, match="not done yet"):
        services.task_reopen(task=tasks_of(loan)[0], actor=tech)
    with pytest.raises(ValidationError) as excinfo:
        services.task_add(service_request=loan, actor=tech, title="  ")
    assert "title" in errors_of(excinfo)
    task = services.task_add(service_request=loan, actor=tech, title="Label the laptops", assignee=desk)
    assert (task.position, task.assignee) == (4, desk)
    assert Notification.objects.filter(event="task_assigned", recipient=desk).exists()
    for person in (staff, tech2):
        with pytest.raises(ValidationError) as excinfo:
            services.task_assign(task=task, actor=tech, assignee=person)
        assert "does not work requests" in errors_of(excinfo)["assignee"][0]
    group = SupportGroup.objects.create(school=highfield, name="Office")
    task = services.task_assign(task=task, actor=tech, assignee=tech, group=group)
    task = services.task_assign(task=task, actor=tech, assignee=None)
    assert (task.assignee, task.group) == (None, group), "the group stays unless it is changed"
    entries = Activity.objects.filter(object_id=loan.ticket_id, changes__task__1="assigned")
    assert entries.count() == 2


# =============================================================================
# Who sees requests, and whose approval they await
# =============================================================================


def test_requests_are_seen_by_whoever_sees_their_ticket(catalogue, highfield, staff, desk, tech, tech2, leader):
    other = make_person("teacher", school=highfield, role=Role.ICT_USER)
    mine = log(catalogue, LOAN, staff, loan_answers())
    theirs = log(catalogue, LOAN, other, loan_answers())
    seen = lambda user, model=ServiceRequest: set(model.objects.visible_to(user).values_list("pk", flat=True))  # noqa: E731
    assert seen(staff) == {mine.pk} and seen(other) == {theirs.pk}
    assert seen(tech) == seen(desk) == seen(leader) == {mine.pk, theirs.pk}
    assert seen(tech2) == set()
    assert seen(staff, FulfilmentTask) == {task.pk for task in tasks_of(mine)}
    assert seen(tech2, FulfilmentTask) == set()


def test_awaiting_my_decision(catalogue, desk, staff, leader, netmgr, tech, admin_user):
    starter = log(catalogue, NEW_STARTER, desk, new_starter_answers(), reporter=staff)
    software = log(catalogue, SOFTWARE, staff, software_answers())
    own = log(catalogue, NEW_STARTER, leader, new_starter_answers(full_name="Leader's friend"))
    log(catalogue, LOAN, staff, loan_answers())
    waiting = lambda user: set(ServiceRequest.objects.awaiting_decision_by(user))  # noqa: E731
    assert waiting(leader) == {starter}, "not the software (netmgr's), not their own"
    assert waiting(netmgr) == {software}
    assert waiting(tech) == waiting(staff) == set()
    assert waiting(admin_user) == {starter, software, own}
    services.request_approve(service_request=starter, actor=leader)
    assert waiting(leader) == set()
