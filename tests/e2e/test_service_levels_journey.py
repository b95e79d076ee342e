"""Service levels in a real browser, over the demo's school year of history (issue 5, "How it will be checked").

As `leader`: the school's service-level dashboard and the termly service report (the PDF downloads and is a PDF).
As `consultant`: the authority dashboard, drilling down into riverside. As `netmgr`: an agreement and its targets.
Each step runs when its page is routed (the pages arrived in parallel); screenshots in test-artifacts/e2e/.

Run: .venv/bin/pytest tests/e2e/test_service_levels_journey.py -q -p no:xdist
"""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import Resolver404, resolve
from playwright.sync_api import expect

from tests.e2e.conftest import CHROMIUM

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"Debian chromium not found at {CHROMIUM} (apt-get install chromium); "
        "Playwright cannot download its own browsers here",
    ),
]

DASHBOARD = "/service-levels/dashboard/"
AUTHORITY = "/service-levels/authority/"
REPORTS = "/service-levels/reports/termly/"
AGREEMENTS = "/service-levels/agreements/"


def routed(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


@pytest.fixture
def demo_world(transactional_db, settings):
    """The whole demo, with its school year of history (seed_demo), in the live server's database."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", stdout=StringIO())


def test_service_levels_journey(demo_world, sign_in, screenshot):
    walked = []

    # --- The head reads this term at a glance, then the termly report for the governors ------------
    if routed(DASHBOARD):
        page = sign_in("leader")
        page.goto(DASHBOARD)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        expect(page.locator("body")).to_contain_text("Highfield")
        expect(page.locator("canvas").first).to_be_attached()
        screenshot(page, "service-levels-01-leader-dashboard")
        walked.append("dashboard")
    if routed(REPORTS):
        page = sign_in("leader")
        page.goto(REPORTS)
        expect(page.locator("body")).to_contain_text("Highfield")
        screenshot(page, "service-levels-02-termly-report")
        pdf = page.locator("a[href*='.pdf']").first
        expect(pdf).to_be_attached()
        response = page.request.get(pdf.get_attribute("href"))
        assert response.ok, response.status
        assert response.headers["content-type"].startswith("application/pdf")
        assert response.body().startswith(b"%PDF")
        walked.append("termly report")

    # --- The consultant compares bolton's schools and drills down into riverside --------------------
    if routed(AUTHORITY):
        page = sign_in("consultant")
        page.goto(AUTHORITY)
        table = page.locator("table").first
        expect(table).to_contain_text("Highfield")
        expect(table).to_contain_text("Riverside")
        expect(table).not_to_contain_text("Westfield")
        screenshot(page, "service-levels-03-authority")
        table.get_by_role("link", name=re.compile("Riverside")).first.click()
        expect(page.locator("body")).to_contain_text("Riverside")
        screenshot(page, "service-levels-04-riverside-drill-down")
        walked.append("authority")

    # --- The network manager opens the school's SLA and reads its targets ---------------------------
    if routed(AGREEMENTS):
        page = sign_in("netmgr")
        page.goto(AGREEMENTS)
        page.get_by_role("link", name=re.compile("ICT service level agreement")).first.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("service level agreement")
        body = page.locator("body")
        expect(body).to_contain_text("Agreed")
        expect(body).to_contain_text(re.compile("P1|Critical"))
        expect(body).to_contain_text("MIS (SIMS)")
        screenshot(page, "service-levels-05-agreement")
        walked.append("agreement")

    if not walked:
        pytest.skip("none of the service-level pages is routed yet")
