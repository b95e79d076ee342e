"""Stored XSS: text that people and devices write is inert on every page that shows it.

A corpus of payloads goes into the fields people and devices can write (incident titles and
descriptions, comments, CI names, knowledge articles, problems and known errors). Every page that
shows them is fetched as support staff and as the caller; the raw markup must never come back,
only its escaped form. Autoescaping does the work; this proves nobody switched it off with `|safe`.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from cmdb import services as cmdb
from incidents import services as incidents
from problems import services as problems
from servicedesk.services import article_create

pytestmark = pytest.mark.django_db

PAYLOADS = [
    "<script>alert('xss-1')</script>",
    "<img src=x onerror=\"alert('xss-2')\">",
    "<svg onload=alert('xss-3')>",
    '"><iframe src="javascript:alert(\'xss-4\')"></iframe>',
    "<a href=\"javascript:alert('xss-5')\">click</a>",
]
# What must never reach a page: any payload's active part, unescaped.
ACTIVE = ["<script>alert(", "<img src=x onerror", "<svg onload", "<iframe src=", 'href="javascript:']


@pytest.fixture
def poisoned(highfield, staff, tech, log_incident):
    """Every writable text field at Highfield carries a payload."""
    ci = cmdb.ci_create(school=highfield, actor=tech, kind="desktop", name=f"PC {PAYLOADS[2]}"[:100])
    incident = log_incident(highfield, by=staff, title=f"Broken {PAYLOADS[0]}", description=PAYLOADS[1], ci=ci,
                            room=PAYLOADS[4][:100])  # fmt: skip
    incidents.incident_comment(incident=incident, author=staff, text=PAYLOADS[3])
    incidents.incident_comment(incident=incident, author=tech, text=PAYLOADS[4], public=False)
    problem = problems.problem_log(school=highfield, logged_by=tech, title=f"Cause {PAYLOADS[0]}",
                                   description=PAYLOADS[1], ci=ci, incidents=[incident])  # fmt: skip
    problems.problem_transition(problem=problem, action="investigate", actor=tech)
    problems.known_error_record(problem=problem, actor=tech, symptom=f"Broken {PAYLOADS[2]}", workaround=PAYLOADS[3])
    article = article_create(school=highfield, author=tech, title=f"Broken {PAYLOADS[0]}", summary=PAYLOADS[1],
                             body=PAYLOADS[3], publish=True)  # fmt: skip
    from changes import services as changes

    change = changes.rfc_create(school=highfield, requester=tech, title=f"Change {PAYLOADS[0]}", reason=PAYLOADS[1],
                                description=PAYLOADS[2], implementation_plan=PAYLOADS[3], backout_plan=PAYLOADS[4],
                                cis=[ci], incidents=[incident])  # fmt: skip
    return {"incident": incident, "ci": ci, "problem": problem, "article": article, "change": change}


def assert_inert(response, where: str) -> None:
    assert response.status_code == 200, f"{where}: {response.status_code}"
    text = response.content.decode()
    for active in ACTIVE:
        assert active not in text, f"{where} shows {active!r} unescaped"


def test_pages_show_payloads_escaped(poisoned, tech, staff, client_for):
    incident, ci, problem, article = (poisoned[k] for k in ("incident", "ci", "problem", "article"))
    staff_pages = [
        reverse("home"),
        reverse("incidents:list"),
        incident.get_absolute_url(),
        reverse("incidents:list") + "?q=Broken",
        reverse("workbench") + "?queue=all",  # its rows are written in Python (servicedesk.templatetags.workbench_ui)
        reverse("workbench") + "?queue=all&q=Broken",
        ci.get_absolute_url(),
        reverse("cmdb:ci_list"),
        problem.get_absolute_url(),
        reverse("problems:list"),
        reverse("problems:known_error_list"),
        poisoned["change"].get_absolute_url(),
        reverse("changes:list"),
        article.get_absolute_url(),
        reverse("knowledge_list") + "?q=Broken",
        reverse("knowledge_suggest") + "?title=Broken",
    ]
    client = client_for(tech)
    for url in staff_pages:
        assert_inert(client.get(url), url)
    for url in (incident.get_absolute_url(), reverse("workbench") + "?queue=all"):
        assert "&lt;script&gt;alert(" in client.get(url).content.decode()  # shown as text, not dropped
    caller = client_for(staff)
    for url in (reverse("home"), reverse("incidents:list"), incident.get_absolute_url(), article.get_absolute_url()):
        assert_inert(caller.get(url), url)


def test_api_returns_text_as_json_strings(poisoned, tech, api_for):
    """The API returns the text as it was written (JSON is not HTML); clients escape when they render."""
    response = api_for(tech).get(f"/api/incidents/{poisoned['incident'].pk}/")
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["title"] == f"Broken {PAYLOADS[0]}"


def test_service_reports_carry_payloads_inertly(poisoned, highfield, leader, client_for):
    """The termly report and the pack name incidents and problems: escaped on the page, plain text in the PDF,
    and the CSV is a download (text/csv, attachment), never a page."""
    import io

    from pypdf import PdfReader

    from incidents.models import Incident
    from servicelevels import reports
    from servicelevels.periods import TermBook

    Incident.objects.filter(pk=poisoned["incident"].pk).update(is_major=True)  # a biggest issue of the term
    term = reports.report_terms(TermBook(highfield), reports.today())[0].key
    client = client_for(leader)
    query = f"?school=highfield&term={term}"
    for name in ("report_termly", "report_pack"):
        page = client.get(reverse(f"servicelevels:{name}") + query)
        assert_inert(page, name)
        assert "&lt;script&gt;alert(" in page.content.decode()  # shown as text, not dropped
        download = client.get(reverse(f"servicelevels:{name}_csv") + query)
        assert download["Content-Type"].startswith("text/csv")
        assert download["Content-Disposition"].startswith("attachment;")
        assert f"Cause {PAYLOADS[0]}" in download.content.decode()  # the data as written
        pdf = client.get(reverse(f"servicelevels:{name}_pdf") + query)
        assert pdf["Content-Disposition"].startswith("attachment;")
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
        assert "<script>alert(" in "".join(text.split())  # printed as text, whatever the line breaks


def test_service_levels_show_payloads_escaped(highfield, bolton, netmgr, consultant, client_for):
    """The catalogue, agreements (and their timeline), packages, subscriptions and calendar entries."""
    from datetime import date

    from servicelevels import calendars
    from servicelevels import services as levels

    service = levels.it_service_create(school=highfield, actor=netmgr, name=f"Mail {PAYLOADS[0]}"[:100],
                                       description=PAYLOADS[1])  # fmt: skip
    agreement = levels.agreement_create(
        school=highfield, actor=netmgr, owner=netmgr, name=f"SLA {PAYLOADS[2]}", starts=date(2026, 9, 1),
        review_date=date(2027, 7, 1), services=[service], description=PAYLOADS[3], customer=PAYLOADS[4][:150],
        supplier=PAYLOADS[0],
    )  # fmt: skip
    levels.agreement_review(agreement=agreement, actor=netmgr, note=PAYLOADS[1], next_review=date(2099, 1, 1))
    package = levels.support_package_create(authority=bolton, actor=consultant, name=f"Gold {PAYLOADS[2]}"[:100],
                                            description=PAYLOADS[3])  # fmt: skip
    subscription = levels.subscription_create(
        school=highfield, package=package, actor=consultant, starts=date(2026, 9, 1), ends=date(2027, 8, 31),
        review_date=date(2027, 4, 1), notes=PAYLOADS[4],
    )  # fmt: skip
    calendar = calendars.calendar_create(actor=netmgr, school=highfield, name=f"Hours {PAYLOADS[0]}"[:100])
    term = calendars.term_date_add(calendar=calendar, actor=netmgr, name=PAYLOADS[1][:100], starts=date(2026, 9, 2),
                                   ends=date(2026, 10, 23))  # fmt: skip
    closure = calendars.closure_add(calendar=calendar, actor=netmgr, kind="inset", name=PAYLOADS[2][:100],
                                    starts=date(2026, 9, 1))  # fmt: skip
    pages = [
        reverse("servicelevels:service_list"),
        service.get_absolute_url(),
        reverse("servicelevels:service_edit", args=[service.pk]),
        reverse("servicelevels:agreement_list"),
        agreement.get_absolute_url(),
        reverse("servicelevels:agreement_edit", args=[agreement.pk]),
        reverse("servicelevels:agreement_targets", args=[agreement.pk]),
        reverse("servicelevels:package_list"),
        reverse("servicelevels:package_edit", args=[package.pk]),
        reverse("servicelevels:subscription_list"),
        reverse("servicelevels:subscription_edit", args=[subscription.pk]),
        calendar.get_absolute_url() + "?month=2026-09",
        reverse("servicelevels:calendar_term_edit", args=[term.pk]),
        reverse("servicelevels:calendar_closure_edit", args=[closure.pk]),
    ]
    for person in (netmgr, consultant):
        client = client_for(person)
        for url in pages:
            assert_inert(client.get(url), f"{url} as {person}")
    assert "&lt;script&gt;alert(" in client_for(netmgr).get(agreement.get_absolute_url()).content.decode()
