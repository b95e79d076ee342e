"""Monitoring's pages: the overview (down first, the poller's last sign of life, htmx refresh), checks and their
history, outages, proposals, settings and SNMP credentials, and the CI page's Monitoring tab."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from availability import services
from availability.models import (
    Check,
    CheckResult,
    CIState,
    MonitoringSettings,
    Outage,
    Period,
    PollRun,
    ResultRollup,
    SnmpCredential,
    State,
)
from cmdb.services import ci_create

pytestmark = pytest.mark.django_db


def page(response) -> str:
    return response.content.decode()


@pytest.fixture
def monitored(highfield, tech, log_incident):
    """Highfield's core switch down (an incident open), a PC behind it unreachable, a server up with history."""
    now = timezone.now()
    switch = ci_create(school=highfield, actor=tech, kind="switch", name="Core switch", management_address="10.0.0.2")
    pc = ci_create(school=highfield, actor=tech, kind="desktop", name="PC 12", management_address="10.0.1.12")
    server = ci_create(school=highfield, actor=tech, kind="server", name="FS01", management_address="127.0.0.1")
    ping = services.check_save(actor=tech, ci=switch, kind="ping")
    tcp = services.check_save(actor=tech, ci=server, kind="tcp", port=445)
    Check.objects.filter(pk=ping.pk).update(state=State.DOWN, state_since=now - timedelta(minutes=20),
                                            last_checked_at=now, last_message="no reply after 2 tries")  # fmt: skip
    incident = log_incident(highfield, by=tech, title="Core switch is down")
    CIState.objects.create(school=highfield, ci=switch, state=State.DOWN, since=now - timedelta(minutes=20),
                           reason="Ping: no reply")  # fmt: skip
    CIState.objects.create(school=highfield, ci=pc, state=State.UNREACHABLE, since=now - timedelta(minutes=19),
                           cause=switch, reason="behind Core switch")  # fmt: skip
    CIState.objects.create(school=highfield, ci=server, state=State.UP, since=now - timedelta(days=3))
    Outage.objects.create(school=highfield, ci=switch, started_at=now - timedelta(minutes=20), incident=incident,
                          message="Ping: no reply")  # fmt: skip
    Outage.objects.create(school=highfield, ci=server, started_at=now - timedelta(days=2),
                          ended_at=now - timedelta(days=2, minutes=-35), message="Port 445 refused")  # fmt: skip
    run = PollRun.objects.create(school=highfield, queue="monitoring", check_ids=[tcp.pk], checks_run=1, up=1,
                                 finished_at=now, duration_ms=42, worker="celery@poller")  # fmt: skip
    for minutes in range(3):
        CheckResult.objects.create(school=highfield, for_check=tcp, run=run if minutes == 0 else None,
                                   checked_at=now - timedelta(minutes=5 * minutes), state=State.UP, latency_ms=1.5,
                                   message=f"port 445 open [{minutes}]")  # fmt: skip
    for hours in range(1, 4):
        ResultRollup.objects.create(school=highfield, for_check=tcp, period=Period.HOUR,
                                    starts_at=(now - timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0),
                                    runs=12, up=11, down=1, latency_avg_ms=2.0, latency_max_ms=9.0)  # fmt: skip
    MonitoringSettings.objects.create(school=highfield, poller_name="celery@poller",
                                      poller_seen_at=now - timedelta(minutes=30))  # fmt: skip
    return {"switch": switch, "pc": pc, "server": server, "ping": ping, "tcp": tcp, "incident": incident}


def test_the_overview_puts_down_and_unreachable_first_with_the_incident_and_the_cause(monitored, tech, client_for):
    response = client_for(tech).get("/availability/")
    html = page(response)
    assert response.status_code == 200
    problems = html[html.index('id="problems"') : html.index('id="open-outages"')]
    assert problems.index("Core switch") < problems.index("PC 12")
    assert monitored["incident"].reference in problems
    assert "Behind <a" in problems and "FS01" not in problems
    assert 'hx-trigger="every 30s"' in html
    assert "has not been heard from since" in html  # the poller: 30 minutes quiet


def test_the_overview_refreshes_itself_with_htmx(monitored, tech, client_for):
    response = client_for(tech).get("/availability/", HTTP_HX_REQUEST="true")
    html = page(response)
    assert html.lstrip().startswith('<div id="monitoring-board"') and "<html" not in html
    assert "Core switch" in html


def test_the_overview_calls_for_the_proposals(highfield, tech, client_for):
    ci_create(school=highfield, actor=tech, kind="switch", name="Edge switch", management_address="10.0.0.3")
    services.propose_checks(school=highfield)
    html = page(client_for(tech).get("/availability/"))
    assert "3 checks proposed" in html


def test_monitoring_is_for_support_staff(monitored, staff, outsider, client_for):
    assert client_for(staff).get("/availability/").status_code == 404
    assert client_for(outsider).get(f"/availability/checks/{monitored['tcp'].pk}/").status_code == 404


def test_the_checks_list_filters_and_keeps_its_queries_fixed(
    monitored, tech, client_for, django_assert_max_num_queries
):
    client = client_for(tech)
    html = page(client.get("/availability/checks/?state=down"))
    assert "Core switch" in html and "FS01" not in html
    html = page(client.get(f"/availability/checks/?ci={monitored['server'].pk}&kind=tcp"))
    assert "FS01" in html and "Core switch" not in html
    with django_assert_max_num_queries(20) as few:
        client.get("/availability/checks/")
    for n in range(10):
        services.check_save(actor=tech, ci=monitored["server"], kind="tcp", port=8000 + n)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/availability/checks/")


def test_the_check_page_shows_results_and_the_rollup_chart(monitored, tech, client_for):
    html = page(client_for(tech).get(f"/availability/checks/{monitored['tcp'].pk}/"))
    assert "port 445 open [0]" in html and "port 445 open [2]" in html
    assert 'id="check-chart-data"' in html and "availability/check_chart.js" in html
    assert "91.67" in html  # 11 of 12 runs up in each hour


def test_adding_a_check_from_the_ci_page(monitored, tech, client_for):
    client = client_for(tech)
    server = monitored["server"]
    form = page(client.get(f"/availability/checks/new/?ci={server.pk}"))
    assert f'<option value="{server.pk}" selected>' in form
    response = client.post("/availability/checks/new/", {
        "ci": server.pk, "kind": "tcp", "name": "", "target": "", "port": "", "expect_status": 200,
        "interval_seconds": 60, "timeout_seconds": 2, "retries": 1})  # fmt: skip
    assert "needs the port to connect to" in page(response)
    response = client.post("/availability/checks/new/", {
        "ci": server.pk, "kind": "tcp", "name": "RDP", "port": 3389, "expect_status": 200,
        "interval_seconds": 60, "timeout_seconds": 2, "retries": 1})  # fmt: skip
    check = Check.objects.get(name="RDP")
    assert response.status_code == 302 and response["Location"] == check.get_absolute_url()
    assert check.next_run_at is not None


def test_editing_pausing_resuming_and_removing_a_check(monitored, tech, staff, leader, client_for):
    client, check = client_for(tech), monitored["tcp"]
    response = client.post(f"/availability/checks/{check.pk}/edit/", {
        "kind": "tcp", "name": "SMB", "port": 445, "expect_status": 200, "interval_seconds": 120,
        "timeout_seconds": 3, "retries": 2})  # fmt: skip
    check.refresh_from_db()
    assert response.status_code == 302 and (check.name, check.interval_seconds, check.retries) == ("SMB", 120, 2)
    client.post(f"/availability/checks/{check.pk}/pause/")
    check.refresh_from_db()
    assert check.status == Check.Status.PAUSED
    client.post(f"/availability/checks/{check.pk}/resume/")
    check.refresh_from_db()
    assert check.status == Check.Status.ACTIVE
    response = client_for(leader).get(f"/availability/checks/{check.pk}/edit/")
    assert response.status_code in (302, 404)
    response = client.post(f"/availability/checks/{check.pk}/delete/")
    assert response["Location"] == "/availability/checks/" and not Check.objects.filter(pk=check.pk).exists()


def test_outages_open_first_with_duration_and_incident(monitored, tech, client_for):
    html = page(client_for(tech).get("/availability/outages/"))
    table = html[html.index('id="outages"') :]
    assert table.index("Core switch") < table.index("FS01")
    assert "Still open" in table and "35 min" in table and monitored["incident"].reference in table


def test_proposals_accept_dismiss_and_accept_all(highfield, tech, client_for):
    switch = ci_create(school=highfield, actor=tech, kind="switch", name="Edge switch", management_address="10.0.0.3")
    services.propose_checks(school=highfield)
    client = client_for(tech)
    html = page(client.get("/availability/proposals/"))
    assert "Edge switch" in html and "Switch on all 3" in html
    ping, uptime, interfaces = (
        Check.objects.get(ci=switch, kind=k) for k in ("ping", "snmp_uptime", "snmp_interfaces")
    )
    client.post(f"/availability/proposals/{ping.pk}/accept/")
    client.post(f"/availability/proposals/{uptime.pk}/dismiss/")
    assert dict(Check.objects.values_list("kind", "status")) == {"ping": "active", "snmp_interfaces": "proposed"}
    client.post("/availability/proposals/accept-all/", {"school": highfield.pk})
    interfaces.refresh_from_db()
    assert interfaces.status == Check.Status.ACTIVE


def test_settings_are_kept_by_the_network_manager(highfield, netmgr, tech, client_for):
    html = page(client_for(tech).get("/availability/settings/"))
    assert "The network manager of Highfield" in html and "disabled" in html
    response = client_for(netmgr).post("/availability/settings/", {
        "school_slug": highfield.slug, "queue": "monitoring.highfield", "failures_before_down": 2,
        "raw_retention_days": 7, "hourly_retention_days": 60, "alerts_enabled": "on"})  # fmt: skip
    assert response.status_code == 302
    assert MonitoringSettings.objects.get(school=highfield).queue == "monitoring.highfield"
    response = client_for(tech).post("/availability/settings/", {
        "school_slug": highfield.slug, "queue": "", "failures_before_down": 5, "raw_retention_days": 7,
        "hourly_retention_days": 60})  # fmt: skip
    assert MonitoringSettings.objects.get(school=highfield).failures_before_down == 2


def test_credential_secrets_are_never_shown_back(highfield, netmgr, client_for):
    client = client_for(netmgr)
    response = client.post("/availability/credentials/new/", {
        "school": highfield.pk, "name": "Switches v3", "version": "v3", "username": "fitsprobe",
        "auth_protocol": "SHA", "auth_key": "fitsprobe-auth", "priv_protocol": "AES", "priv_key": "fitsprobe-priv",
        "port": 161})  # fmt: skip
    assert response.status_code == 302
    credential = SnmpCredential.objects.get()
    for url in ("/availability/credentials/", f"/availability/credentials/{credential.pk}/"):
        html = page(client.get(url))
        assert "Switches v3" in html and "fitsprobe-auth" not in html and "fitsprobe-priv" not in html
    client.post(f"/availability/credentials/{credential.pk}/", {
        "name": "Core v3", "version": "v3", "username": "fitsprobe", "auth_protocol": "SHA", "auth_key": "",
        "priv_protocol": "AES", "priv_key": "", "port": 161})  # fmt: skip
    credential.refresh_from_db()
    assert (credential.name, credential.auth_key) == ("Core v3", "fitsprobe-auth")
    client.post(f"/availability/credentials/{credential.pk}/delete/")
    assert not SnmpCredential.objects.exists()


def test_the_ci_page_has_a_monitoring_tab_and_no_monitoring_records_in_the_records_tab(monitored, tech, client_for):
    client, switch = client_for(tech), monitored["switch"]
    html = page(client.get(f"{switch.get_absolute_url()}?tab=monitoring"))
    tab = html[html.index('id="ci-monitoring"') :]
    assert "Down" in tab and "Ping" in tab and "Availability this month" in tab
    assert f"/availability/checks/new/?ci={switch.pk}" in tab
    overview = page(client.get(switch.get_absolute_url()))
    labels = re.findall(r'href="\?tab=(\w+)"[^>]*>([^<]*)<', overview)
    assert ("monitoring", "Monitoring") in labels
    assert not [label for _slug, label in labels if "check" in label.lower() or "outage" in label.lower()]
