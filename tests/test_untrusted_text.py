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
    return {"incident": incident, "ci": ci, "problem": problem, "article": article}


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
        ci.get_absolute_url(),
        reverse("cmdb:ci_list"),
        problem.get_absolute_url(),
        reverse("problems:list"),
        reverse("problems:known_error_list"),
        article.get_absolute_url(),
        reverse("knowledge_list") + "?q=Broken",
        reverse("knowledge_suggest") + "?title=Broken",
    ]
    client = client_for(tech)
    for url in staff_pages:
        assert_inert(client.get(url), url)
    escaped = client.get(incident.get_absolute_url()).content.decode()
    assert "&lt;script&gt;alert(" in escaped  # shown as text, not dropped
    caller = client_for(staff)
    for url in (reverse("home"), reverse("incidents:list"), incident.get_absolute_url(), article.get_absolute_url()):
        assert_inert(caller.get(url), url)


def test_api_returns_text_as_json_strings(poisoned, tech, api_for):
    """The API returns the text as it was written (JSON is not HTML); clients escape when they render."""
    response = api_for(tech).get(f"/api/incidents/{poisoned['incident'].pk}/")
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["title"] == f"Broken {PAYLOADS[0]}"
