"""The SNMP adapter and probes against a real Net-SNMP agent on loopback (scripts/ci/snmpd.sh)."""

from __future__ import annotations

import asyncio
import time

import pytest

from availability import probes, snmp
from availability.probes import DOWN, UP
from availability.snmp import SnmpClient, SnmpFailure, SnmpUser

from .conftest import SNMP_V3


def run(coroutine):
    return asyncio.run(coroutine)


@pytest.fixture
def agent(snmp_agent):
    host, port = snmp_agent
    return SnmpClient(host, port, community="public", timeout=1, retries=1)


def test_sys_uptime_is_seconds(agent):
    uptime = run(snmp.sys_uptime(agent))
    assert isinstance(uptime, float) and uptime > 0


def test_get_returns_python_text(agent):
    assert run(agent.get(snmp.SYS_NAME)) == "fits-snmpd"
    both = run(agent.get_many([snmp.SYS_NAME, "1.3.6.1.2.1.1.6.0"]))
    assert both == {snmp.SYS_NAME: "fits-snmpd", "1.3.6.1.2.1.1.6.0": "FITS test rack"}


def test_interfaces_reads_the_if_mib_table(agent):
    rows = run(snmp.interfaces(agent))
    loopback = next(row for row in rows if row["name"] == "lo")
    assert loopback["oper_status"] == "up"
    assert isinstance(loopback["index"], int)
    assert isinstance(loopback["in_octets"], int) and loopback["in_octets"] >= 0
    assert isinstance(loopback["out_octets"], int) and loopback["out_octets"] >= 0
    assert all(row["oper_status"] in snmp.OPER_STATUS.values() for row in rows)


def test_storage_reads_hr_storage_with_used_percentages(agent):
    rows = run(snmp.storage(agent))
    memory = next(row for row in rows if row["type"] == "ram")
    assert memory["name"] == "Physical memory"
    assert memory["size_bytes"] > 0 and 0 < memory["used_bytes"] <= memory["size_bytes"]
    assert memory["used_pct"] == round(memory["used_bytes"] * 100 / memory["size_bytes"], 1)
    assert all(row["used_pct"] is None or 0 <= row["used_pct"] <= 100 for row in rows)


def test_walk_stays_inside_the_subtree(agent):
    rows = run(agent.walk("1.3.6.1.2.1.1"))
    assert rows["1.3.6.1.2.1.1.5.0"] == "fits-snmpd"
    assert all(oid.startswith("1.3.6.1.2.1.1.") for oid in rows)


def test_v3_user_with_auth_and_privacy(snmp_agent):
    host, port = snmp_agent
    client = SnmpClient(host, port, user=SnmpUser(**SNMP_V3), timeout=1)
    assert run(client.get(snmp.SYS_NAME)) == "fits-snmpd"


def test_v3_wrong_password_is_a_failure_not_a_hang(snmp_agent):
    host, port = snmp_agent
    client = SnmpClient(host, port, user=SnmpUser(SNMP_V3["name"], auth_key="not-the-password"), timeout=0.5)
    started = time.perf_counter()
    with pytest.raises(SnmpFailure, match=f"{host}:{port}"):
        run(client.get(snmp.SYS_NAME))
    assert time.perf_counter() - started < 3


def test_missing_object_says_which(agent):
    with pytest.raises(SnmpFailure, match=r"has no 1\.3\.6\.1\.2\.1\.1\.99\.0"):
        run(agent.get("1.3.6.1.2.1.1.99.0"))


def test_snmp_get_probe_up(snmp_agent):
    host, port = snmp_agent
    result = run(probes.snmp_get(host, snmp.SYS_NAME, port=port, timeout=1))
    assert result.state == UP and result.values == {"oid": snmp.SYS_NAME, "value": "fits-snmpd"}
    assert result.latency_ms is not None


def test_snmp_walk_probe_up(snmp_agent):
    host, port = snmp_agent
    result = run(probes.snmp_walk(host, snmp.IF_DESCR, port=port, timeout=1))
    assert result.state == UP and "lo" in result.values["rows"].values()


def test_wrong_community_is_down_after_its_retries(snmp_agent):
    host, port = snmp_agent
    started = time.perf_counter()
    result = run(probes.snmp_get(host, snmp.SYS_NAME, port=port, community="wrong", timeout=0.3, retries=1))
    assert result.state == DOWN
    assert result.message == f"no SNMP reply from {host}:{port} for {snmp.SYS_NAME} after 2 tries"
    assert time.perf_counter() - started < 2


def test_silent_agent_times_out_within_its_timeout(udp_black_hole):
    started = time.perf_counter()
    result = run(probes.snmp_get("127.0.0.1", snmp.SYS_UPTIME, port=udp_black_hole, timeout=0.3, retries=0))
    elapsed = time.perf_counter() - started
    assert result.state == DOWN and "after 1 try" in result.message
    assert elapsed < 1.2
