"""Monitoring in a real browser (issue 7): from the checks proposed for a new switch to its page and the overview.

As `netmgr`: add the school's SNMP credential (its community is never shown back). As `tech`: the overview calls
for the proposals; switch on all of them; add a TCP check from the CI page's Monitoring tab (a check without a
port is refused saying so); the check's page draws its history chart (vendored chart.js, data via json_script,
no inline script: no CSP error in the console); the overview shows the switch down first, with its incident.
Screenshots in test-artifacts/e2e/.

Run: .venv/bin/pytest tests/e2e/test_monitoring_journey.py -p no:cacheprovider
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from availability import services
from availability.models import Check, CIState, Outage, Period, ResultRollup, SnmpCredential, State
from tests.e2e.conftest import CHROMIUM

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"Debian chromium not found at {CHROMIUM} (apt-get install chromium); "
        "Playwright cannot download its own browsers here",
    ),
]


@pytest.fixture
def network(transactional_db, cast, highfield, log_incident):
    """Highfield's core switch (new, with a management address) and its file server."""
    from cmdb import services as cmdb

    core = cmdb.ci_create(school=highfield, actor=cast["netmgr"], kind="switch", name="HF-CORE-01",
                          management_address="127.0.0.1")  # fmt: skip
    server = cmdb.ci_create(school=highfield, actor=cast["netmgr"], kind="server", name="HF-SRV-01",
                            management_address="127.0.0.1", attributes={"role": "File server"})  # fmt: skip
    return {"core": core, "server": server, "cast": cast, "school": highfield, "log": log_incident}


def test_from_proposals_to_the_overview(network, sign_in, screenshot):
    school, core, server = network["school"], network["core"], network["server"]
    console_errors: list[str] = []

    manager = sign_in("netmgr")
    manager.goto("/availability/credentials/new/")
    manager.get_by_label("Name").fill("Switches v2c")
    manager.get_by_label("Community").fill("n0t-public")
    manager.get_by_role("button", name="Save").click()
    expect(manager.locator("#credentials")).to_contain_text("Switches v2c")
    assert "n0t-public" not in manager.content()

    services.propose_checks(school=school)  # what beat does every hour
    page = sign_in("tech")
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    page.goto("/availability/")
    expect(page.get_by_role("link", name="Review the proposals")).to_be_visible()
    page.get_by_role("link", name="Review the proposals").click()
    expect(page.locator("#proposals")).to_contain_text("HF-CORE-01")
    screenshot(page, "monitoring-proposals")
    page.get_by_role("button", name="Switch on all").click()
    expect(page.locator(".messages")).to_contain_text("switched on at Highfield")
    assert not Check.objects.filter(status=Check.Status.PROPOSED).exists()
    assert Check.objects.get(ci=core, kind="snmp_uptime").snmp_credential == SnmpCredential.objects.get()

    page.goto(f"{server.get_absolute_url()}?tab=monitoring")
    page.locator("#ci-monitoring").get_by_role("link", name="Add a check").click()
    page.get_by_label("Kind").select_option("tcp")
    page.get_by_label("Name").fill("Remote desktop")
    page.get_by_role("button", name="Save the check").click()
    expect(page.locator("#error-summary")).to_contain_text("needs the port")
    page.get_by_label("Port").fill("3389")
    page.get_by_role("button", name="Save the check").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Remote desktop on HF-SRV-01")

    # History and a failure, as the engine and the alerts would have written them.
    check = Check.objects.get(name="Remote desktop")
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    ResultRollup.objects.bulk_create(
        ResultRollup(school=school, for_check=check, period=Period.HOUR, starts_at=now - timedelta(hours=h), runs=60,
                     up=60 - h % 3, down=h % 3, latency_avg_ms=2.5 + h % 4)
        for h in range(1, 25)
    )  # fmt: skip
    incident = network["log"](school, by=network["cast"]["tech"], title="HF-CORE-01 is down")
    CIState.objects.create(school=school, ci=core, state=State.DOWN, since=timezone.now(), reason="Ping: no reply")
    Outage.objects.create(school=school, ci=core, started_at=timezone.now(), incident=incident)

    page.reload()
    expect(page.locator("canvas#check-chart-hour")).to_be_visible()
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('check-chart-hour'))")
    screenshot(page, "monitoring-check")

    page.goto("/availability/")
    expect(page.locator("#problems")).to_contain_text("HF-CORE-01")
    expect(page.locator("#problems")).to_contain_text(incident.reference)
    screenshot(page, "monitoring-overview")
    assert not [e for e in console_errors if "Content Security Policy" in e or "Refused" in e], console_errors
