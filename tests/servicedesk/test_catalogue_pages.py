"""The service catalogue's pages: request something, the request's sections on its ticket, approvals,
the fulfilment checklist (htmx) and the catalogue editor with its live preview."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents.models import Incident, Status
from servicedesk import services
from servicedesk.catalogue_starter import LOAN, NEW_STARTER, SOFTWARE, starter_catalogue_create
from servicedesk.models import FulfilmentTask, RequestType, ServiceRequest

pytestmark = pytest.mark.django_db


def day(offset: int) -> str:
    return (timezone.localdate() + timedelta(days=offset)).isoformat()


@pytest.fixture
def catalogue(highfield, desk, leader, netmgr, tech, staff):
    return {item.name: item for item in starter_catalogue_create(school=highfield, actor=desk)}


def page(client, url, **kwargs) -> str:
    response = client.get(url, **kwargs)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def text_of(html: str) -> str:
    """The page's words without tags or repeated spaces, for asserting what a person reads."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def loan_data(**overrides):
    return {"equipment": "Laptop", "quantity": "2", "from_date": day(1), "to_date": day(3), **overrides}


def log_loan(catalogue, by, **answers):
    item = catalogue[LOAN]
    answers = {"equipment": "Laptop", "quantity": 2, "from_date": day(1), "to_date": day(3), **answers}
    return services.request_log(school=item.school, logged_by=by, request_type=item, answers=answers)


# =============================================================================
# Request something
# =============================================================================


def test_the_catalogue_shows_what_each_person_may_ask_for(catalogue, client_for, staff, desk, tech2):
    html = page(client_for(staff), reverse("catalogue:index"))
    assert "Equipment loan" in html and "Room set-up for an event" in html and "Software install" in html
    assert NEW_STARTER not in html, "support staff only"
    assert "Approved first by the network manager" in text_of(html)
    html = page(client_for(desk), reverse("catalogue:index"))
    assert NEW_STARTER in html and "Support staff only" in html and "Edit the catalogue" in html
    html = page(client_for(staff), reverse("catalogue:index"), data={"q": "laptop"})
    assert "Equipment loan" in html and "Software install" not in html
    html = page(client_for(staff), reverse("catalogue:index"), data={"q": "kettle"})
    assert "Nothing in the catalogue matches “kettle”" in html
    html = page(client_for(tech2), reverse("catalogue:index"))
    assert "Your school's catalogue is empty for now." in html and "Add the first item" in html


def test_the_request_form_is_built_from_the_items_questions(catalogue, client_for, staff):
    html = page(client_for(staff), reverse("catalogue:request", args=[catalogue[LOAN].pk]))
    assert re.search(r'<input type="radio"[^>]*name="equipment"[^>]*value="Laptop"', html)
    assert re.search(r'<input type="number" name="quantity"[^>]*min="1" max="30"', html)
    assert re.search(rf'<input type="date" name="from_date"[^>]*min="{day(0)}"', html)
    assert "The day you bring it back." in html, "the question's hint"
    assert "Requested by" not in html, "an ICT user asks for themself"
    html = page(client_for(staff), reverse("catalogue:request", args=[catalogue[SOFTWARE].pk]))
    assert 'name="reason"' in html and "<textarea" in html
    assert "The network manager is asked to approve it" in html


def test_errors_show_beside_their_questions_and_nothing_is_logged(catalogue, client_for, staff):
    url = reverse("catalogue:request", args=[catalogue[LOAN].pk])
    response = client_for(staff).post(url, loan_data(quantity="40", from_date=day(4), to_date=day(2)))
    assert response.status_code == 200
    html = response.content.decode()
    assert "There are 2 problems" in html
    for field, message in (("quantity", "Enter a number of at most 30."),
                           ("to_date", "Choose a date on or after the answer to “From”.")):  # fmt: skip
        # crispy puts each error right under its input, with the input marked invalid
        assert re.search(rf'name="{field}"[^>]*is-invalid|is-invalid[^>]*name="{field}"', html), field
        assert re.search(rf'id="error_1_id_{field}"[^>]*>\s*<strong>{re.escape(message)}', html), field
    assert 'value="40"' in html, "what was typed is kept"
    assert not Incident.objects.exists()


def test_a_request_is_logged_and_its_ticket_shows_its_sections(catalogue, client_for, staff, tech):
    url = reverse("catalogue:request", args=[catalogue[LOAN].pk])
    response = client_for(staff).post(url, loan_data(purpose="<script>alert('x')</script> Trip"), follow=True)
    ticket = Incident.objects.get()
    assert response.redirect_chain[-1][0] == ticket.get_absolute_url()
    html = response.content.decode()
    assert f"{ticket.reference} logged. The service desk will keep you informed" in html
    assert "Service request: Equipment loan" in html and 'id="request-answers"' in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; Trip" in html and "<script>alert('x')" not in html
    assert "0 of 3 steps done" in html
    assert "catalogue/requests/tasks" not in html and "Add a step" not in html, "the requester only follows"
    html = page(client_for(tech), ticket.get_absolute_url())
    assert html.count('hx-post="/requests/tasks/') >= 3 and "Add a step" in html


def test_the_desk_logs_a_request_taken_by_phone(catalogue, client_for, desk, staff):
    url = reverse("catalogue:request", args=[catalogue[NEW_STARTER].pk])
    html = page(client_for(desk), url)
    assert "Who is it for?" in html and 'name="caller-reporter"' in html
    data = {"full_name": "Jane Smith", "job_title": "TA", "start_date": day(5), "accounts": ["E-mail", "MIS"],
            "caller-reporter": staff.pk, "caller-channel": "phone"}  # fmt: skip
    response = client_for(desk).post(url, data, follow=True)
    ticket = Incident.objects.get()
    assert (ticket.reporter, ticket.logged_by, ticket.channel) == (staff, desk, "phone")
    assert ticket.status == Status.PENDING_APPROVAL
    assert "It waits for approval by a school leader" in response.content.decode()


def test_items_a_person_may_not_request_answer_404(catalogue, client_for, staff, tech2, desk):
    assert client_for(staff).get(reverse("catalogue:request", args=[catalogue[NEW_STARTER].pk])).status_code == 404
    assert client_for(tech2).get(reverse("catalogue:request", args=[catalogue[LOAN].pk])).status_code == 404
    services.request_type_retire(request_type=catalogue[LOAN], actor=desk)
    assert client_for(desk).get(reverse("catalogue:request", args=[catalogue[LOAN].pk])).status_code == 404


# =============================================================================
# Approvals
# =============================================================================


def test_the_approver_decides_on_the_tickets_page_or_from_their_list(catalogue, client_for, desk, staff, leader,
                                                                       netmgr):  # fmt: skip
    starter = services.request_log(
        school=catalogue[NEW_STARTER].school, logged_by=desk, request_type=catalogue[NEW_STARTER],
        answers={"full_name": "Jane Smith", "job_title": "TA", "start_date": day(5), "accounts": ["E-mail"]},
    )  # fmt: skip
    ticket_url = starter.ticket.get_absolute_url()
    html = page(client_for(leader), ticket_url)
    assert "Waiting for approval by a school leader" in html and reverse("catalogue:approve", args=[starter.pk]) in html
    for person in (staff, netmgr, desk):
        html = page(client_for(person), ticket_url) if person != staff else ""
        assert reverse("catalogue:approve", args=[starter.pk]) not in html
    listing = reverse("catalogue:approvals")
    html = page(client_for(leader), listing)
    assert "REQ-000001 New starter account: Jane Smith" in text_of(html) and "Asked by Desk" in text_of(html)
    assert "Nothing waits for your approval." in page(client_for(netmgr), listing)
    assert "nothing here is for you to decide" in page(client_for(staff), listing)
    # Declining needs a reason: the page says so and nothing changes.
    response = client_for(leader).post(reverse("catalogue:decline", args=[starter.pk]), {"next": listing}, follow=True)
    assert "Say why it is declined: the requester is told." in response.content.decode()
    assert Incident.objects.get(pk=starter.ticket_id).status == Status.PENDING_APPROVAL
    # Approving from the list goes back to the list.
    response = client_for(leader).post(reverse("catalogue:approve", args=[starter.pk]), {"next": listing})
    assert response.status_code == 302 and response["Location"] == listing
    assert Incident.objects.get(pk=starter.ticket_id).status == Status.NEW
    response = client_for(leader).post(
        reverse("catalogue:approve", args=[starter.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == ticket_url, "never back to another site"


def test_the_requester_is_refused_on_their_own_request(catalogue, client_for, leader):
    mine = services.request_log(
        school=catalogue[NEW_STARTER].school, logged_by=leader, request_type=catalogue[NEW_STARTER],
        answers={"full_name": "Jane Smith", "job_title": "TA", "start_date": day(5), "accounts": ["E-mail"]},
    )  # fmt: skip
    html = page(client_for(leader), mine.ticket.get_absolute_url())
    assert reverse("catalogue:approve", args=[mine.pk]) not in html and "You will hear when it is decided." in html
    response = client_for(leader).post(reverse("catalogue:approve", args=[mine.pk]), follow=True)
    assert "You asked for REQ-000001: someone else must approve it." in response.content.decode()
    assert Incident.objects.get(pk=mine.ticket_id).status == Status.PENDING_APPROVAL


# =============================================================================
# The fulfilment checklist
# =============================================================================


def test_tasks_are_ticked_off_in_place_and_the_last_resolves(catalogue, client_for, staff, tech):
    loan = log_loan(catalogue, staff)
    first, second, third = FulfilmentTask.objects.filter(ticket=loan.ticket).order_by("position")
    client = client_for(tech)
    response = client.post(reverse("catalogue:task_complete", args=[first.pk]), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith("<section") and 'id="request-tasks"' in html
    assert "1 of 3 steps done" in html and "“Charge and prepare” done." in html
    assert 'value="1" max="3"' in html, "the progress bar"
    client.post(reverse("catalogue:task_complete", args=[second.pk]), HTTP_HX_REQUEST="true")
    response = client.post(reverse("catalogue:task_complete", args=[third.pk]), HTTP_HX_REQUEST="true")
    assert response.headers["HX-Refresh"] == "true", "the ticket's status moved: the whole page changes"
    assert Incident.objects.get(pk=loan.ticket_id).status == Status.RESOLVED
    # Without htmx the buttons are plain forms: back to the ticket.
    response = client.post(reverse("catalogue:task_reopen", args=[third.pk]))
    assert response.status_code == 302 and response["Location"] == loan.ticket.get_absolute_url()
    assert Incident.objects.get(pk=loan.ticket_id).status == Status.REOPENED


def test_tasks_are_added_assigned_and_refused_to_those_who_do_not_fulfil(catalogue, client_for, staff, tech, desk):
    loan = log_loan(catalogue, staff)
    task = FulfilmentTask.objects.filter(ticket=loan.ticket).order_by("position").first()
    response = client_for(tech).post(
        reverse("catalogue:task_add", args=[loan.pk]),
        {"title": "Label them", "assignee": desk.pk},
        HTTP_HX_REQUEST="true",
    )
    assert "Task “Label them” added." in response.content.decode() and "With Desk" in response.content.decode()
    response = client_for(tech).post(
        reverse("catalogue:task_add", args=[loan.pk]), {"title": ""}, HTTP_HX_REQUEST="true"
    )
    assert "Say what needs doing." in response.content.decode()
    response = client_for(tech).post(reverse("catalogue:task_assign", args=[task.pk]), {"assignee": tech.pk})
    assert FulfilmentTask.objects.get(pk=task.pk).assignee == tech
    response = client_for(tech).post(reverse("catalogue:task_assign", args=[task.pk]), {"assignee": staff.pk},
                                     HTTP_HX_REQUEST="true")  # fmt: skip
    assert "Choose someone who works requests at this school." in response.content.decode()
    response = client_for(staff).post(reverse("catalogue:task_complete", args=[task.pk]), follow=True)
    assert "Only the service desk and technicians work requests." in response.content.decode()
    assert not FulfilmentTask.objects.get(pk=task.pk).is_done


# =============================================================================
# The catalogue editor
# =============================================================================


def editor_data(school=None, **item):
    """The editor's form: the item's settings, then two question rows and one task row."""
    data = {
        "school": school.pk if school else "",
        "name": "Borrow a visualiser",
        "summary": "A document camera for a lesson.",
        "questions-TOTAL_FORMS": "2", "questions-INITIAL_FORMS": "0",
        "questions-0-label": "Which lesson?", "questions-0-type": "text", "questions-0-required": "on",
        "questions-0-ORDER": "2",
        "questions-1-label": "Which room?", "questions-1-type": "choice", "questions-1-choices": "Hall\nLibrary",
        "questions-1-ORDER": "1",
        "tasks-TOTAL_FORMS": "2", "tasks-INITIAL_FORMS": "0",
        "tasks-0-title": "Deliver it", "tasks-0-ORDER": "1",
        "tasks-1-title": "", "tasks-1-ORDER": "",
    }  # fmt: skip
    return {**data, **item}


def test_the_desk_adds_an_item_with_its_questions_and_steps(highfield, client_for, desk):
    html = page(client_for(desk), reverse("catalogue:type_create"))
    assert 'id="questions-template"' in html and 'hx-post="/catalogue/preview/"' in html
    response = client_for(desk).post(reverse("catalogue:type_create"), editor_data(highfield))
    assert response.status_code == 302 and response["Location"] == reverse("catalogue:type_list")
    item = RequestType.objects.get(name="Borrow a visualiser")
    assert item.school == highfield
    assert [(q["name"], q["type"], q["required"]) for q in item.fields] == [
        ("which_room", "choice", False), ("which_lesson", "text", True)
    ], "in the order the rows were put in"  # fmt: skip
    assert item.fields[0]["choices"] == ["Hall", "Library"]
    assert item.tasks == [{"title": "Deliver it", "group": None}]


def test_the_editor_shows_each_problem_beside_its_question(highfield, client_for, desk):
    data = editor_data(highfield, **{"questions-1-choices": "", "name": ""})
    response = client_for(desk).post(reverse("catalogue:type_create"), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Please put these right" in html and "Name: This field is required." in html
    data = editor_data(highfield, **{"questions-1-choices": ""})
    html = client_for(desk).post(reverse("catalogue:type_create"), data).content.decode()
    message = "Question 1 (“Which room?”): a choice question needs its choices, one per line."
    assert html.count(message) == 2, "in the summary and beside the question"
    assert not RequestType.objects.exists()


def test_an_item_is_edited_and_its_rows_come_back(catalogue, client_for, desk):
    loan = catalogue[LOAN]
    html = page(client_for(desk), reverse("catalogue:type_edit", args=[loan.pk]))
    assert 'value="What do you need?"' in html and 'value="Charge and prepare"' in html
    data = {"name": "Borrow kit", "summary": loan.summary, "questions-TOTAL_FORMS": "1", "questions-INITIAL_FORMS": "0",
            "questions-0-label": "What?", "questions-0-type": "text", "questions-0-ORDER": "1",
            "tasks-TOTAL_FORMS": "0", "tasks-INITIAL_FORMS": "0"}  # fmt: skip
    response = client_for(desk).post(reverse("catalogue:type_edit", args=[loan.pk]), data)
    assert response.status_code == 302
    loan.refresh_from_db()
    assert loan.name == "Borrow kit" and [q["label"] for q in loan.fields] == ["What?"] and loan.tasks == []


def test_the_preview_draws_the_unsaved_form(client_for, desk, staff):
    html = client_for(desk).post(reverse("catalogue:type_preview"), editor_data()).content.decode()
    assert "Borrow a visualiser" in html and 'id="preview_which_room_0"' in html and "Which lesson?" in html
    html = client_for(desk).post(reverse("catalogue:type_preview"), editor_data(**{"questions-1-type": "date"}))
    assert "only a choice question has choices" in html.content.decode()
    assert client_for(staff).post(reverse("catalogue:type_preview"), editor_data()).status_code == 403


def test_who_reads_and_who_keeps_the_catalogue(catalogue, client_for, desk, leader, staff, consultant):
    html = page(client_for(leader), reverse("catalogue:type_list"))
    assert "Equipment loan" in html and "Add an item" not in html and "/retire/" not in html
    assert page(client_for(consultant), reverse("catalogue:type_list"))
    assert client_for(staff).get(reverse("catalogue:type_list")).status_code == 403
    assert client_for(leader).get(reverse("catalogue:type_create")).status_code == 403
    assert client_for(leader).get(reverse("catalogue:type_edit", args=[catalogue[LOAN].pk])).status_code == 403
    html = page(client_for(desk), reverse("catalogue:type_list"))
    assert "Add an item" in html and reverse("catalogue:type_retire", args=[catalogue[LOAN].pk]) in html
    response = client_for(desk).post(reverse("catalogue:type_retire", args=[catalogue[LOAN].pk]), follow=True)
    assert "“Equipment loan” retired: nobody can request it now." in response.content.decode()
    assert "Offer again" in response.content.decode()
    client_for(desk).post(reverse("catalogue:type_reinstate", args=[catalogue[LOAN].pk]))
    assert RequestType.objects.get(pk=catalogue[LOAN].pk).is_active


def test_the_menu_offers_each_person_their_part(catalogue, client_for, staff, leader, desk, tech):
    def menu(person):
        return page(client_for(person), reverse("home"))

    assert "Request something" in menu(staff) and "Approvals" not in menu(staff) and ">Catalogue<" not in menu(staff)
    assert "Approvals" in menu(leader) and ">Catalogue<" in menu(leader)
    assert ">Catalogue<" in menu(desk) and "Approvals" not in menu(tech)


def test_a_requests_answers_are_shown_in_the_api_order_of_its_form(catalogue, staff):
    loan = log_loan(catalogue, staff, purpose="Trip")
    rows = services.request_answer_rows(catalogue[LOAN], ServiceRequest.objects.get(pk=loan.pk).answers)
    assert [label for label, _, _ in rows] == ["What do you need?", "How many?", "From", "Until", "What is it for?"]


def test_anonymous_visitors_are_sent_to_sign_in(catalogue, staff, client):
    from rest_framework.test import APIClient

    loan = log_loan(catalogue, staff)
    task = FulfilmentTask.objects.filter(ticket=loan.ticket).first()
    item = catalogue[LOAN].pk
    pages = [
        ("get", reverse("catalogue:index")),
        ("get", reverse("catalogue:request", args=[item])),
        ("post", reverse("catalogue:request", args=[item])),
        ("get", reverse("catalogue:approvals")),
        ("post", reverse("catalogue:approve", args=[loan.pk])),
        ("post", reverse("catalogue:decline", args=[loan.pk])),
        ("post", reverse("catalogue:task_add", args=[loan.pk])),
        ("post", reverse("catalogue:task_complete", args=[task.pk])),
        ("post", reverse("catalogue:task_assign", args=[task.pk])),
        ("get", reverse("catalogue:type_list")),
        ("get", reverse("catalogue:type_create")),
        ("post", reverse("catalogue:type_preview")),
        ("get", reverse("catalogue:type_edit", args=[item])),
        ("post", reverse("catalogue:type_retire", args=[item])),
    ]
    for method, url in pages:
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), url
    api = APIClient()
    for method, url in (("get", "/api/request-types/"), ("get", "/api/requests/"), ("post", "/api/requests/"),
                        ("post", f"/api/fulfilment-tasks/{task.pk}/complete/")):  # fmt: skip
        assert getattr(api, method)(url).status_code in (401, 403), url
    assert FulfilmentTask.objects.get(pk=task.pk).done_at is None and RequestType.objects.get(pk=item).is_active
