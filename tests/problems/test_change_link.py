"""A problem's permanent fix is a request for change: raised from the problem page, linked by the service, shown
on both records, refused across schools, and carried by the API and the consultancy-day pack."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from changes import services as change_services
from changes.models import RequestForChange, Status
from cmdb import services as cmdb_services
from cmdb.models import Kind
from problems import services
from problems.packs import open_problems_section
from servicelevels.periods import custom

pytestmark = pytest.mark.django_db


def page(response) -> str:
    return response.content.decode()


def test_tech_raises_a_change_for_the_permanent_fix_from_the_problem_page(
    highfield, tech, staff, client_for, log_incident, log_problem
):
    switch = cmdb_services.ci_create(school=highfield, actor=tech, kind=Kind.SWITCH, name="HF-EDGE-07")
    incident = log_incident(highfield, by=staff, title="Room 7 keeps dropping off the network")
    problem = log_problem(highfield, by=tech, title="Edge switch 7 reboots", ci=switch, incidents=[incident])
    client = client_for(tech)
    detail = page(client.get(f"/problems/{problem.pk}/"))
    assert f'href="/problems/{problem.pk}/raise-change/"' in detail and "Raise a change for the permanent fix" in detail

    form = page(client.get(f"/problems/{problem.pk}/raise-change/"))
    assert "Permanent fix: Edge switch 7 reboots" in form and problem.reference in form
    assert f'value="{switch.pk}" selected' in form and f'value="{incident.pk}" selected' in form

    response = client.post(
        f"/problems/{problem.pk}/raise-change/",
        {"school": highfield.pk, "kind": "normal", "title": "Replace edge switch 7",
         "reason": f"The permanent fix for {problem.reference}.", "cis": [switch.pk], "incidents": [incident.pk]},
    )  # fmt: skip
    change = RequestForChange.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/changes/{change.pk}/"
    problem.refresh_from_db()
    assert problem.change == change and change.status == Status.DRAFT
    assert list(change.cis.all()) == [switch] and list(change.incidents.all()) == [incident]

    # Both records show the link; the problem page offers no second raise.
    detail = page(client.get(f"/problems/{problem.pk}/"))
    assert change.reference in detail and "Replace edge switch 7" in detail and 'id="raise-change"' not in detail
    change_page = page(client.get(f"/changes/{change.pk}/"))
    assert problem.reference in change_page and "Edge switch 7 reboots" in change_page
    assert "The permanent fix is change CHG-000001" in detail


def test_linking_a_change_of_another_school_is_refused(highfield, riverside, tech, tech2, log_problem):
    problem = log_problem(highfield, by=tech)
    theirs = change_services.rfc_create(school=riverside, requester=tech2, title="Theirs", reason="Because.")
    with pytest.raises(ValidationError, match="belongs to another school"):
        services.problem_link_change(problem=problem, change=theirs, actor=tech)
    ours = change_services.rfc_create(school=highfield, requester=tech, title="Ours", reason="Because.")
    services.problem_link_change(problem=problem, change=ours, actor=tech)
    services.problem_link_change(problem=problem, change=None, actor=tech)
    problem.refresh_from_db()
    assert problem.change is None


def test_link_and_unlink_through_the_page_and_the_api(highfield, riverside, tech, tech2, client_for, api_for,
                                                      log_problem):  # fmt: skip
    problem = log_problem(highfield, by=tech)
    change = change_services.rfc_create(school=highfield, requester=tech, title="Fix it", reason="Because.")
    client_for(tech).post(f"/problems/{problem.pk}/change/", {"change": change.pk})
    problem.refresh_from_db()
    assert problem.change == change

    api = api_for(tech)
    data = api.get(f"/api/problems/{problem.pk}/").json()
    assert data["change"] == change.reference
    response = api.post(f"/api/problems/{problem.pk}/link-change/", {"change": None}, format="json")
    assert response.status_code == 200 and response.json()["change"] is None
    # Another school's change is not even a choice.
    theirs = change_services.rfc_create(school=riverside, requester=tech2, title="Theirs", reason="Because.")
    response = api.post(f"/api/problems/{problem.pk}/link-change/", {"change": theirs.pk}, format="json")
    assert response.status_code == 400
    assert (
        api_for(tech2).post(f"/api/problems/{problem.pk}/link-change/", {"change": None}, format="json").status_code
        == 404
    )


def test_the_pack_names_the_change_behind_an_open_problem(highfield, tech, log_problem):
    problem = log_problem(highfield, by=tech, title="Printers jam")
    change = change_services.rfc_create(school=highfield, requester=tech, title="New printers", reason="Old ones.")
    services.problem_link_change(problem=problem, change=change, actor=tech)
    rows = open_problems_section(highfield, custom(date(2026, 9, 1), date(2026, 12, 31)), tech).rows
    assert rows[0][-1] == change.reference


def test_the_change_form_hands_a_problem_over_to_problem_management(highfield, tech, tech2, client_for, log_problem):
    problem = log_problem(highfield, by=tech)
    response = client_for(tech).get(f"/changes/new/?problem={problem.pk}")
    assert response.status_code == 302 and response["Location"] == f"/problems/{problem.pk}/raise-change/"
    # Another school's problem answers 404 there, like a missing one.
    assert client_for(tech2).get(f"/changes/new/?problem={problem.pk}", follow=True).status_code == 404
