"""The termly service report and the consultancy-day pack: their figures are the figures module's, the PDF and
the CSV say what the page says, each school's reports reach only its leaders and its authority's consultants,
and a safeguarding-flagged ticket is never named."""

from __future__ import annotations

import csv
import io
import time
from datetime import date, timedelta

import pytest
from django.urls import reverse
from pypdf import PdfReader

from incidents.models import Incident
from problems import services as problems
from servicelevels import packs, reports
from servicelevels.figures import school_summary
from servicelevels.models import Agreement, ClockEvent
from servicelevels.periods import TermBook
from servicelevels.rollups import rollup
from tests.servicelevels.history import at, autumn_history, ticket

pytestmark = pytest.mark.django_db

TODAY = date(2027, 1, 20)  # in the spring term: the last complete term is Autumn 2026-27 (fixed terms)
AUTUMN = "2026-27-autumn"
ROUTES = (
    "report_termly",
    "report_termly_pdf",
    "report_termly_csv",
    "report_pack",
    "report_pack_pdf",
    "report_pack_csv",
)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(reports, "today", lambda: TODAY)


@pytest.fixture
def history(highfield, staff, tech, log_incident):
    """Highfield's autumn: eight tickets, a major incident, a breach, a safeguarding-flagged breach, a problem."""
    made = autumn_history(highfield, staff, log_incident)
    major = ticket(highfield, staff, log_incident, created=at("2026-11-03", 9), priority=1, title="Whole site offline",
                   responded=at("2026-11-03", 9, 5), response_met=True, resolved=at("2026-11-03", 15),
                   resolution_met=False)  # fmt: skip
    Incident.objects.filter(pk=major.pk).update(is_major=True)
    late = ticket(highfield, staff, log_incident, created=at("2026-11-10", 9), title="Printer jams every morning",
                  responded=at("2026-11-12", 9), response_met=False)  # fmt: skip
    sensitive = ticket(highfield, staff, log_incident, created=at("2026-11-11", 9), title="Pupil saw [SENSITIVE] image",
                       responded=at("2026-11-13", 9), response_met=False)  # fmt: skip
    Incident.objects.filter(pk=sensitive.pk).update(safeguarding=True, is_major=True)
    for incident, clock in ((major, "resolution"), (late, "response"), (sensitive, "response")):
        reached = incident.created_at + timedelta(hours=4)
        ClockEvent.objects.create(
            school=highfield, incident=incident, clock=clock, level="breach", due_at=reached, reached_at=reached
        )
    problems.problem_log(school=highfield, logged_by=tech, title="Wi-Fi controller drops clients", incidents=[made[1]])
    rollup(start=date(2026, 8, 1), end=date(2026, 12, 31))
    return {"made": made, "major": major, "late": late, "sensitive": sensitive}


def url(name: str, **query: str) -> str:
    params = "&".join(f"{key}={value}" for key, value in query.items())
    return reverse(f"servicelevels:{name}") + (f"?{params}" if params else "")


def pdf_text(response) -> str:
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


def csv_rows(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


# =============================================================================
# The termly service report
# =============================================================================


def test_the_default_term_is_the_last_complete_one(history, highfield, leader, client_for):
    response = client_for(leader).get(url("report_termly", school="highfield"))
    assert response.status_code == 200
    report = response.context["report"]
    assert report.term.key == AUTUMN and not report.to_date
    assert reports.last_complete_term(TermBook(highfield), date(2026, 11, 24)).key == "2025-26-summer"


def test_the_pdf_is_one_page_with_the_school_and_the_figures(history, highfield, leader, client_for):
    term = reports.choose_term(TermBook(highfield), AUTUMN, TODAY)
    summary = school_summary(highfield, term)
    client = client_for(leader)
    pdf_url = url("report_termly_pdf", school="highfield", term=AUTUMN)
    client.get(pdf_url)  # the first PDF of a process loads WeasyPrint's fonts (2-4 s): measure the next one
    started = time.perf_counter()
    response = client.get(pdf_url)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert (
        response["Content-Disposition"] == 'attachment; filename="highfield-termly-service-report-2026-27-autumn.pdf"'
    )
    assert len(PdfReader(io.BytesIO(response.content)).pages) == 1  # one sheet for the governors
    text = pdf_text(response)
    assert "Highfield Primary School" in text and "Autumn term 2026-27" in text
    assert summary["logged"] == 10
    assert f"logged {summary['logged']} tickets" in " ".join(text.split())
    assert f"{summary['pct_responded_in_time']:.0f}%" in text and f"{summary['pct_resolved_in_time']:.0f}%" in text
    assert "Whole site offline" in text and "Major incident" in text  # the biggest issues, by title
    assert "Wi-Fi controller drops clients" in text  # what we are doing about it
    print(f"termly PDF rendered in {elapsed:.2f} s")  # about 0.6-1 s on a quiet machine
    assert elapsed < 15, f"the PDF took {elapsed:.2f} s"  # a sanity bound only: CI machines are shared


def test_the_csv_has_the_numbers_of_the_page(history, highfield, leader, client_for):
    client = client_for(leader)
    page = client.get(url("report_termly", school="highfield", term=AUTUMN))
    rows = csv_rows(client.get(url("report_termly_csv", school="highfield", term=AUTUMN)))
    report = page.context["report"]
    headlines = {row[1]: (row[2], row[3]) for row in rows if row[0] == "headline"}
    assert headlines == {h.label: (h.value, h.target) for h in report.headlines}
    html = page.content.decode()
    for h in report.tiles:
        assert f'<div class="value">{h.value}</div>' in html
    summary = school_summary(highfield, report.term)
    assert headlines["Tickets logged"][0] == str(summary["logged"])
    assert headlines["Resolved in time"] == (f"{summary['pct_resolved_in_time']:.0f}%", "90%")
    by_priority = {row[1]: int(row[2]) for row in rows if row[0] == "by priority"}
    assert by_priority == {row["label"]: row["logged"] for row in summary["by_priority"] if row["logged"]}


def test_safeguarding_flagged_tickets_are_never_named(history, highfield, leader, admin_user, client_for):
    # The leader may open the ticket itself (a safeguarding reader), yet the report never names it.
    assert Incident.objects.visible_to(leader).filter(pk=history["sensitive"].pk).exists()
    for person in (leader, admin_user):
        client = client_for(person)
        for name in ("report_termly", "report_termly_csv", "report_pack", "report_pack_csv"):
            body = client.get(url(name, school="highfield", term=AUTUMN)).content.decode()
            assert "[SENSITIVE]" not in body, name
        assert "[SENSITIVE]" not in pdf_text(client.get(url("report_termly_pdf", school="highfield", term=AUTUMN)))
    issues, count = reports.biggest_issues(highfield, reports.choose_term(TermBook(highfield), AUTUMN, TODAY), leader)
    assert {issue.title for issue in issues} == {"Whole site offline", "Printer jams every morning"} and count == 2


def test_the_same_fault_logged_by_several_callers_is_one_issue(history, highfield, staff, leader, log_incident):
    for day in ("2026-11-16", "2026-11-17"):
        again = ticket(highfield, staff, log_incident, created=at(day, 9), title="Printer  jams every MORNING",
                       responded=at(day, 12), response_met=False)  # fmt: skip
        reached = again.created_at + timedelta(hours=4)
        ClockEvent.objects.create(
            school=highfield, incident=again, clock="resolution", level="breach", due_at=reached, reached_at=reached
        )
    issues, count = reports.biggest_issues(highfield, reports.choose_term(TermBook(highfield), AUTUMN, TODAY), leader)
    assert count == 2
    major, printer = issues
    assert major.title == "Whole site offline" and major.calls == 1
    assert (printer.reference, printer.calls, printer.logged, printer.last_logged) == (
        history["late"].reference,
        3,
        date(2026, 11, 10),
        date(2026, 11, 17),
    )
    assert printer.what == "Response and resolution targets missed"


# =============================================================================
# The consultancy-day pack
# =============================================================================


def test_the_pack_follows_the_common_agenda(history, highfield, consultant, client_for):
    client = client_for(consultant)
    response = client.get(url("report_pack", school="highfield"))
    assert response.status_code == 200
    pack = response.context["pack"]
    assert pack.period.key == "2026-27-spring"  # the current term, to date
    assert [s.title for s in pack.sections] == [
        "Service levels",
        "Open problems and known errors",
        "Changes planned",
        "Risks",
        "Agreements and subscriptions due for review",
        "Actions",
    ]
    html = response.content.decode()
    assert "Change Management is not in use yet." not in html  # changes/packs.py fills its slot
    assert "Service Continuity Management is not in use yet." in html
    assert "Wi-Fi controller drops clients" in html
    rows = csv_rows(client.get(url("report_pack_csv", school="highfield")))
    assert ["Open problems and known errors", "PRB-000001", "Wi-Fi controller drops clients"] in [r[:3] for r in rows]
    assert "Change Management is not in use yet." not in [cell for row in rows for cell in row]
    pdf = client.get(url("report_pack_pdf", school="highfield", term=AUTUMN))
    assert pdf["Content-Disposition"] == 'attachment; filename="highfield-consultancy-day-pack-2026-27-autumn.pdf"'
    text = pdf_text(pdf)
    assert "Highfield Primary School" in text and "Consultancy-day pack".upper() in text.upper()
    assert "Wi-Fi controller drops clients" in text


def test_agreements_due_for_review_and_the_actions_they_raise(history, highfield, leader, consultant, client_for):
    Agreement.objects.create(school=highfield, name="Highfield SLA", owner=leader, starts=date(2026, 9, 1),
                             review_date=date(2027, 1, 10))  # fmt: skip
    Agreement.objects.create(school=highfield, name="Far off", owner=leader, starts=date(2026, 9, 1),
                             review_date=date(2028, 1, 10))  # fmt: skip
    pack = reports.consultancy_pack(
        highfield, reports.pack_period(TermBook(highfield), None, TODAY), consultant, now=at("2027-01-20", 12)
    )
    sections = {section.key: section.content for section in pack.sections}
    assert [row[1] for row in sections["reviews"].rows] == ["Highfield SLA"]
    assert sections["reviews"].rows[0][4] == "Overdue by 10 days"
    actions = [row[0] for row in sections["actions"].rows]
    assert "Review Highfield SLA (service level agreement): overdue by 10 days." in actions
    assert "Agree the next step on 1 open problem." in actions


def test_processes_contribute_sections_through_the_registry(history, highfield, consultant):
    period = reports.pack_period(TermBook(highfield), None, TODAY)
    seen = []

    def changes(school, period, user):
        seen.append((school, user))
        return packs.SectionContent(columns=["Change"], rows=[["RFC-000001 Replace the core switch"]])

    real_changes = packs._registry.pop("changes")
    packs.register_section("changes", "Changes planned", 99, changes)
    try:
        pack = reports.consultancy_pack(highfield, period, consultant)
        section = next(s for s in pack.sections if s.key == "changes")
        assert section.in_use and section.order == 30  # the agenda keeps its place
        assert section.content.rows == [["RFC-000001 Replace the core switch"]]
        assert seen == [(highfield, consultant)]
    finally:
        packs._registry["changes"] = real_changes
    problems_section = packs._registry.pop("problems")
    try:
        pack = reports.consultancy_pack(highfield, period, consultant)
        section = next(s for s in pack.sections if s.key == "problems")
        assert not section.in_use and section.content.empty == "Problem Management is not in use yet."
    finally:
        packs._registry["problems"] = problems_section


# =============================================================================
# Who may read them
# =============================================================================


@pytest.mark.parametrize("name", ROUTES)
def test_leaders_network_managers_and_consultants_read_them(name, history, cast, client_for):
    for person in ("leader", "netmgr", "consultant", "admin"):
        response = client_for(cast[person]).get(url(name, school="highfield", term=AUTUMN))
        assert response.status_code == 200, person
    for person in ("tech", "desk", "staff"):
        assert client_for(cast[person]).get(url(name, school="highfield")).status_code == 403, person
        assert client_for(cast[person]).get(url(name)).status_code == 403, person


@pytest.mark.parametrize("name", ROUTES)
def test_another_schools_reports_answer_like_a_missing_school(name, history, westfield, cast, client_for):
    assert client_for(cast["consultant"]).get(url(name, school="westfield")).status_code == 404
    assert client_for(cast["leader"]).get(url(name, school="riverside")).status_code == 404
    assert client_for(cast["outsider"]).get(url(name, school="highfield")).status_code == 404
    assert client_for(cast["consultant"]).get(url(name, school="no-such-school")).status_code == 404


def test_the_report_list_shows_the_consultants_schools(history, riverside, westfield, cast, client_for):
    response = client_for(cast["consultant"]).get(url("report_list"))
    assert response.status_code == 200
    assert [school.slug for school in response.context["schools"]] == ["highfield", "riverside"]
    html = response.content.decode()
    assert url("report_termly_pdf", school="riverside").replace("&", "&amp;") in html
    assert "Westfield" not in html
    leader = client_for(cast["leader"]).get(url("report_list"))
    assert [school.slug for school in leader.context["schools"]] == ["highfield"]
    assert client_for(cast["tech"]).get(url("report_list")).status_code == 403
    assert client_for(cast["staff"]).get(url("report_list")).status_code == 403


def test_a_consultant_without_a_chosen_school_gets_their_first(history, riverside, consultant, client_for):
    response = client_for(consultant).get(url("report_termly"))
    assert response.status_code == 200 and response.context["school"].slug == "highfield"


def test_spreadsheet_formulas_in_user_text_stay_inert(highfield, tech, leader, client_for):
    problems.problem_log(school=highfield, logged_by=tech, title='=HYPERLINK("http://evil.example","x")')
    rows = csv_rows(client_for(leader).get(url("report_pack_csv", school="highfield")))
    cells = [cell for row in rows for cell in row]
    assert '\'=HYPERLINK("http://evil.example","x")' in cells
    assert not any(cell.startswith("=") for cell in cells)
