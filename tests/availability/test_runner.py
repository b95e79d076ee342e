"""availability.runner: from a Check to its probe, against real peers (loopback servers, the private snmpd)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from availability import engine, runner
from availability.models import Check, CheckKind, CheckResult, Metric, MetricKind, SnmpCredential, State

from .conftest import SNMP_V3
from .engine_world import make_ci

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
def server_ci(highfield, tech):
    return make_ci(highfield, tech, "File server")


def check_on(ci, kind: str, **fields) -> Check:
    fields = {"timeout_seconds": 1.0, "retries": 0, **fields}
    return Check.objects.create(school_id=ci.school_id, ci=ci, kind=kind, name=f"{kind} check", **fields)


def run(check: Check, **options):
    check = Check.objects.select_related("ci", "snmp_credential").get(pk=check.pk)
    return asyncio.run(runner.probe(check, **options)())


@pytest.fixture
def v2c(highfield, snmp_agent):
    return SnmpCredential.objects.create(school=highfield, name="Agents", community="public", port=snmp_agent[1])


@pytest.fixture
def v3(highfield, snmp_agent):
    return SnmpCredential.objects.create(
        school=highfield,
        name="v3 agents",
        version=SnmpCredential.Version.V3,
        username=SNMP_V3["name"],
        auth_key=SNMP_V3["auth_key"],
        priv_key=SNMP_V3["priv_key"],
        port=snmp_agent[1],
    )


# --- Where to look -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("10.0.0.1", ("10.0.0.1", None)),
        ("switch.highfield.sch.uk:1161", ("switch.highfield.sch.uk", 1161)),
        ("[fe80::1]:161", ("fe80::1", 161)),
        ("fe80::1", ("fe80::1", None)),
    ],
)
def test_split_host_port(target, expected):
    assert runner.split_host_port(target) == expected


def test_the_target_is_the_checks_own_or_the_cis_management_address(server_ci):
    check = check_on(server_ci, CheckKind.PING)
    assert runner.target_of(check) == "127.0.0.1"
    check.target = "files.highfield.sch.uk"
    assert runner.target_of(check) == "files.highfield.sch.uk"
    assert runner.http_url("files", 8080) == "http://files:8080/"
    assert runner.http_url("https://files/health", None) == "https://files/health"


def test_nothing_to_aim_at_is_unknown_and_says_why(highfield, tech):
    ci = make_ci(highfield, tech, "Old laptop", kind="laptop", address="")
    result = run(check_on(ci, CheckKind.PING))
    assert (result.state, result.message) == (State.UNKNOWN, "Old laptop has no address to check")
    no_port = run(check_on(make_ci(highfield, tech, "NAS"), CheckKind.TCP))
    assert no_port.state == State.UNKNOWN and "no TCP port" in no_port.message


# --- TCP, HTTP, DNS ----------------------------------------------------------------------------------------


def test_tcp_http_and_dns_checks(server_ci, http_server, closed_port):
    port = int(http_server.rsplit(":", 1)[1])
    assert run(check_on(server_ci, CheckKind.TCP, port=port)).state == State.UP
    assert run(check_on(server_ci, CheckKind.TCP, target=f"127.0.0.1:{closed_port}")).state == State.DOWN
    page = run(check_on(server_ci, CheckKind.HTTP, target=f"{http_server}/ok"))
    assert (page.state, page.values["status"]) == (State.UP, 200)
    broken = run(check_on(server_ci, CheckKind.HTTP, target=f"{http_server}/broken"))
    assert broken.state == State.DOWN and "expected 200" in broken.message
    assert run(check_on(server_ci, CheckKind.HTTP, port=port)).values["status"] == 404  # http://127.0.0.1:port/
    assert run(check_on(server_ci, CheckKind.DNS, target="localhost")).state == State.UP


def test_a_probe_that_overruns_its_budget_is_unknown(server_ci, silent_server):
    check = check_on(server_ci, CheckKind.HTTP, target=f"http://127.0.0.1:{silent_server}/", timeout_seconds=0.3)
    assert runner.budget_seconds(check) == pytest.approx(1.3)
    result = run(check)
    assert result.state in (State.DOWN, State.UNKNOWN)  # the probe's own timeout, or our ceiling
    assert result.state != State.UP


# --- SNMP --------------------------------------------------------------------------------------------------


def test_snmp_uptime_with_v2c_and_v3(server_ci, v2c, v3):
    for credential in (v2c, v3):
        result = run(check_on(server_ci, CheckKind.SNMP_UPTIME, snmp_credential=credential))
        assert result.state == State.UP, result.message
        assert result.values["uptime_seconds"] > 0 and result.values["restarted"] is False
        assert result.message.startswith("127.0.0.1 up for ")


def test_snmp_uptime_says_when_the_device_restarted(server_ci, v2c):
    check = check_on(server_ci, CheckKind.SNMP_UPTIME, snmp_credential=v2c)
    result = run(check, previous_uptime=10 * 86400.0)
    assert result.values["restarted"] is True
    assert "restarted about" in result.message and "(was up 10 d 0 h)" in result.message


def test_the_engine_remembers_the_last_uptime(server_ci, v2c):
    check = check_on(server_ci, CheckKind.SNMP_UPTIME, snmp_credential=v2c, next_run_at=T0)
    [first] = engine.dispatch_due(now=T0)
    engine.run_batch(first.pk, now=T0)
    CheckResult.objects.filter(for_check=check).update(values={"uptime_seconds": 99 * 86400.0})

    engine.run_once(run_all=True, now=T0)

    latest = CheckResult.objects.filter(for_check=check).order_by("-id").first()
    assert latest.values["restarted"] is True and "was up 99 d" in latest.message


def test_snmp_interfaces_and_storage_rows(server_ci, v2c):
    interfaces = run(check_on(server_ci, CheckKind.SNMP_INTERFACES, snmp_credential=v2c))
    assert interfaces.state == State.UP, interfaces.message
    names = {row["name"]: row for row in interfaces.values["interfaces"]}
    assert names["lo"]["oper_status"] == "up"
    storage = run(check_on(server_ci, CheckKind.SNMP_STORAGE, snmp_credential=v2c))
    assert storage.state == State.UP, storage.message
    assert any(row["type"] == "ram" for row in storage.values["storage"])
    assert "fullest" in storage.message


def test_snmp_without_a_credential_asks_public_on_161(server_ci):
    check = check_on(server_ci, CheckKind.SNMP_UPTIME, timeout_seconds=0.3)
    client = runner.snmp_client(check, "127.0.0.1")
    assert (client.port, client.community, client.user) == (161, "public", None)
    assert run(check).state in (State.DOWN, State.UNKNOWN)  # nobody answers SNMP on udp 161 here


def test_a_silent_agent_is_down_with_the_agent_named(server_ci, highfield, udp_black_hole):
    silent = SnmpCredential.objects.create(school=highfield, name="Gone", community="public", port=udp_black_hole)
    result = run(check_on(server_ci, CheckKind.SNMP_UPTIME, snmp_credential=silent, timeout_seconds=0.3))
    assert result.state == State.DOWN
    assert f"127.0.0.1:{udp_black_hole}" in result.message


def test_storage_readings_reach_capacity_through_the_engine(server_ci, v2c):
    check_on(server_ci, CheckKind.SNMP_STORAGE, snmp_credential=v2c, next_run_at=T0)

    [(_check, result)] = engine.run_once(now=T0)

    assert result.state == State.UP
    memory = Metric.objects.get(ci=server_ci, kind=MetricKind.MEMORY)
    assert memory.last_at == T0 and memory.last_percent is not None
