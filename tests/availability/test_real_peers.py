"""Monitoring end to end against real peers on this machine (issue 7, "How it will be checked").

Everything goes the way production goes: checks and credentials made by the services, Celery beat's
`engine.dispatch_due` leasing them into batches, a worker's `engine.run_batch` probing and writing, then damping,
capacity and alerts. Nothing is mocked; the peers are

- snmpsimd (Debian's snmpsim) serving the recorded devices of tests/availability/snmprec/ on udp 127.0.0.1:1162,
  one v2c community per device (scripts/ci/snmpsim.sh): an 8-port edge switch, a nearly full NAS, a printer;
- snmpd (Debian's Net-SNMP) on udp 127.0.0.1:1161 with this machine's own MIBs (the `snmp_agent` fixture);
- TCP listeners on loopback that a test stops and starts again on the same port (engine_world.Listener).

Time passes through `now=` (a cycle a minute), so flap damping needs no sleeping.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from availability import engine, services
from availability.models import (
    CapacityAlert,
    Check,
    CheckKind,
    CheckResult,
    CIState,
    Metric,
    MetricKind,
    MetricSample,
    Outage,
    PollRun,
    SnmpCredential,
    State,
)
from cmdb import services as cmdb_services
from cmdb.models import Kind
from incidents.models import Channel, Incident, Task, TaskOrigin
from incidents.models import Status as IncidentStatus

from .conftest import REPO, SNMP_V3
from .engine_world import Listener

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
SNMPSIMD = Path("/usr/bin/snmpsimd")
SNMPSIM_HOST, SNMPSIM_PORT = "127.0.0.1", 1162
DAMPING = engine.DEFAULT_FAILURES_BEFORE_DOWN  # failed runs in a row before a check is down


# =============================================================================
# The peers
# =============================================================================


def _snmpsim(action: str, *, port: int = SNMPSIM_PORT, folder: str = "") -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "FITS_SNMPSIM_PORT": str(port)}
    if folder:
        env["FITS_SNMPSIM_DIR"] = folder
    return subprocess.run(
        [str(REPO / "scripts/ci/snmpsim.sh"), action],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def snmpsim():
    """(host, port) of snmpsimd serving the recorded devices; stopped afterwards when this module started it."""
    if not SNMPSIMD.exists():
        pytest.skip(f"{SNMPSIMD} is missing: apt-get install snmpsim (CI installs it in .ci/run)")
    was_running = _snmpsim("status").returncode == 0
    started = _snmpsim("start")
    assert started.returncode == 0, f"scripts/ci/snmpsim.sh start failed:\n{started.stdout}{started.stderr}"
    yield SNMPSIM_HOST, SNMPSIM_PORT
    if not was_running:
        _snmpsim("stop")


class PrivateSnmpsim:
    """An snmpsimd of this test's own, on a free UDP port, that the test stops and starts like a device's agent
    (the shared one on 1162 stays up for the other tests)."""

    def __init__(self):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        # Under /tmp, not pytest's tmp_path: as root, snmpsimd runs as nobody, who cannot enter root's folders.
        self.folder = f"/tmp/fits-snmpsim-{self.port}"

    def _run(self, action: str) -> None:
        done = _snmpsim(action, port=self.port, folder=self.folder)
        assert done.returncode == 0, f"scripts/ci/snmpsim.sh {action} failed:\n{done.stdout}{done.stderr}"

    def start(self) -> PrivateSnmpsim:
        self._run("start")
        return self

    def stop(self) -> None:
        self._run("stop")


@pytest.fixture
def private_snmpsim():
    if not SNMPSIMD.exists():
        pytest.skip(f"{SNMPSIMD} is missing: apt-get install snmpsim (CI installs it in .ci/run)")
    agent = PrivateSnmpsim().start()
    yield agent
    agent.stop()
    shutil.rmtree(agent.folder, ignore_errors=True)


def device(school, actor, name: str, kind: str = Kind.SERVER):
    return cmdb_services.ci_create(school=school, actor=actor, kind=kind, name=name, management_address="127.0.0.1")


def community(school, netmgr, name: str, *, port: int = SNMPSIM_PORT) -> SnmpCredential:
    """A v2c credential: with snmpsim, the community names the recorded device that answers."""
    return services.credential_save(actor=netmgr, school=school, name=name, community=name, port=port)


def add_check(actor, ci, kind: str, **fields) -> Check:
    """A check as a technician adds it on the CI's page: due at T0, every minute. A live peer answers in
    milliseconds; the timeout leaves room for a machine busy with the rest of the suite."""
    fields = {"interval_seconds": 60, "timeout_seconds": 2.0, "retries": 1, **fields}
    return services.check_save(actor=actor, ci=ci, kind=kind, now=T0, **fields)


def cycle(now: datetime) -> list[PollRun]:
    """One beat cycle: lease what is due and run each batch, as the worker consuming the queue would."""
    return [engine.run_batch(run.pk, now=now, worker="real-peers") for run in engine.dispatch_due(now=now)]


def cycles(start: datetime, count: int) -> datetime:
    """`count` cycles a minute apart from `start`; returns the minute after the last."""
    for minute in range(count):
        cycle(start + minute * MINUTE)
    return start + count * MINUTE


def state_of(ci) -> CIState:
    return CIState.objects.get(ci=ci)


def last_result(check: Check) -> CheckResult:
    return CheckResult.objects.filter(for_check=check).latest("checked_at")


# =============================================================================
# 1. Recorded SNMP devices (snmpsim)
# =============================================================================


def test_the_recorded_switchs_interfaces_come_through_as_values_and_metrics(highfield, netmgr, snmpsim):
    """Peer: snmpsimd, device edge-switch.snmprec (8 ports, port 5 oper-down, 100 Mbit/s on port 3)."""
    switch = device(highfield, netmgr, "HF-EDGE-SIM", Kind.SWITCH)
    check = add_check(
        netmgr,
        switch,
        CheckKind.SNMP_INTERFACES,
        name="Interfaces",
        snmp_credential=community(highfield, netmgr, "edge-switch"),
    )

    cycles(T0, 2)

    check.refresh_from_db()
    assert (check.state, check.last_message) == (State.UP, "127.0.0.1: 8 interfaces, 7 up")
    rows = {row["index"]: row for row in last_result(check).values["interfaces"]}
    assert [rows[i]["name"] for i in sorted(rows)] == [f"GigabitEthernet1/0/{i}" for i in range(1, 9)]
    assert [i for i, row in rows.items() if row["oper_status"] == "down"] == [5]
    assert (rows[8]["in_octets"], rows[8]["out_octets"]) == (9804011998230, 6202837465019)  # ifHC*Octets
    assert (rows[1]["speed_bps"], rows[3]["speed_bps"], rows[5]["speed_bps"]) == (10**9, 10**8, None)
    assert state_of(switch).state == State.UP

    # One traffic series per port that is up; the second run turns the counters into a rate. The recording's
    # counters stand still, as on an idle link: 0 bit/s of the port's speed.
    metrics = {m.key: m for m in Metric.objects.filter(ci=switch, kind=MetricKind.INTERFACE)}
    assert sorted(metrics) == sorted(f"if:GigabitEthernet1/0/{i}" for i in (1, 2, 3, 4, 6, 7, 8))
    port3 = metrics["if:GigabitEthernet1/0/3"]
    assert (port3.capacity, port3.last_value, port3.last_percent) == (1e8, 0.0, 0.0)
    assert port3.counters["in"] == 48812093
    assert MetricSample.objects.filter(metric=port3).count() == 1


def test_the_nearly_full_nas_raises_one_capacity_alert_and_one_task(highfield, netmgr, snmpsim):
    """Peer: snmpsimd, device nas.snmprec (/srv/shares at 87.5 %, / at 35 %, memory at 60 %)."""
    nas = device(highfield, netmgr, "HF-NAS-01")
    check = add_check(
        netmgr, nas, CheckKind.SNMP_STORAGE, name="Storage", snmp_credential=community(highfield, netmgr, "nas")
    )

    cycles(T0, 6)

    check.refresh_from_db()
    assert check.state == State.UP
    assert check.last_message == "127.0.0.1: 3 storage areas, fullest /srv/shares at 87.5 %"
    metrics = {m.key: m for m in Metric.objects.filter(ci=nas)}
    assert {key: metrics[key].last_percent for key in ("disk:/srv/shares", "disk:/", "memory")} == {
        "disk:/srv/shares": 87.5,
        "disk:/": 35.0,
        "memory": 60.0,
    }
    assert metrics["disk:/srv/shares"].capacity == 4 * 2**40  # 4 TiB: 1073741824 units of 4 KiB
    assert MetricSample.objects.filter(metric=metrics["disk:/srv/shares"]).count() == 6

    # Six runs over the warning level: one alert, one task, no incident (a warning is not yet an outage).
    alert = CapacityAlert.objects.get()
    assert (alert.metric, alert.level, alert.percent, alert.cleared_at) == (
        metrics["disk:/srv/shares"],
        CapacityAlert.Level.WARNING,
        87.5,
        None,
    )
    assert "Disk /srv/shares on HF-NAS-01 is at 87.5 % used, over its warning level of 80 %" in alert.message
    task = Task.objects.get()
    assert (task.origin, task.ci, alert.task) == (TaskOrigin.CAPACITY, nas, task)
    assert not Incident.objects.exists()
    assert state_of(nas).state == State.UP


def test_a_recorded_device_answers_its_community_and_a_wrong_one_is_down_saying_so(highfield, netmgr, snmpsim):
    """Peer: snmpsimd, device printer.snmprec (up for exactly one day), and a community no device answers."""
    printer = device(highfield, netmgr, "HF-OFF-PRN", Kind.PRINTER)
    good = add_check(
        netmgr, printer, CheckKind.SNMP_UPTIME, name="Uptime", snmp_credential=community(highfield, netmgr, "printer")
    )
    mistyped = device(highfield, netmgr, "HF-OFF-PRN2", Kind.PRINTER)
    wrong = add_check(
        netmgr,
        mistyped,
        CheckKind.SNMP_UPTIME,
        name="Uptime",
        snmp_credential=community(highfield, netmgr, "printr"),
        timeout_seconds=0.5,
        retries=0,
    )

    cycle(T0)
    wrong.refresh_from_db()
    assert wrong.state == State.UNKNOWN and wrong.consecutive_failures == 1  # one failure is not yet down
    cycles(T0 + MINUTE, DAMPING - 1)

    good.refresh_from_db()
    assert (good.state, good.last_message) == (State.UP, "127.0.0.1 up for 1 d 0 h")
    assert last_result(good).values == {"uptime_seconds": 86400.0, "restarted": False}
    wrong.refresh_from_db()
    assert wrong.state == State.DOWN
    assert wrong.last_message == "no SNMP reply from 127.0.0.1:1162 for 1.3.6.1.2.1.1.3.0 after 1 try"
    row = state_of(mistyped)
    assert row.state == State.DOWN and "no SNMP reply from 127.0.0.1:1162" in row.reason
    assert state_of(printer).state == State.UP
    incident = Incident.objects.get()
    assert (incident.ci, incident.channel) == (mistyped, Channel.MONITORING)


def test_the_real_snmpd_reports_this_machines_uptime_and_memory(highfield, netmgr, snmp_agent):
    """Peer: Debian's snmpd on udp 127.0.0.1:1161 over SNMP v3 (authPriv), serving this machine's own MIBs."""
    host, port = snmp_agent
    v3 = services.credential_save(
        actor=netmgr,
        school=highfield,
        name="Servers v3",
        version=SnmpCredential.Version.V3,
        username=SNMP_V3["name"],
        auth_key=SNMP_V3["auth_key"],
        priv_key=SNMP_V3["priv_key"],
        port=port,
    )
    server = device(highfield, netmgr, "HF-SRV-LOCAL")
    uptime = add_check(netmgr, server, CheckKind.SNMP_UPTIME, name="Uptime", snmp_credential=v3)
    storage = add_check(netmgr, server, CheckKind.SNMP_STORAGE, name="Storage", snmp_credential=v3)

    cycles(T0, 2)

    uptime.refresh_from_db()
    storage.refresh_from_db()
    assert (uptime.state, storage.state) == (State.UP, State.UP)
    values = last_result(uptime).values
    assert values["uptime_seconds"] > 0 and values["restarted"] is False
    with open("/proc/meminfo") as meminfo:
        total_kib = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal:"))
    memory = Metric.objects.get(ci=server, key="memory")
    assert memory.capacity == total_kib * 1024  # hrStorageRam is what the kernel says
    assert 0 < memory.last_percent < 100
    assert state_of(server).state == State.UP


# =============================================================================
# 2. A switch and two PCs behind it, all real TCP listeners
# =============================================================================


@pytest.fixture
def wired(highfield, netmgr, tech):
    """A switch with two PCs cabled to its access ports; each has a TCP check on a listener of its own."""
    listeners = {key: Listener().start() for key in ("switch", "pc1", "pc2")}
    switch = device(highfield, netmgr, "HF-EDGE-LAB", Kind.SWITCH)
    items = {"switch": switch}
    cmdb_services.port_create(ci=switch, actor=netmgr, name="gi1/0/24", is_uplink=True)
    for number, key in enumerate(("pc1", "pc2"), start=1):
        items[key] = device(highfield, netmgr, f"HF-LAB-PC0{number}", Kind.DESKTOP)
        access = cmdb_services.port_create(ci=switch, actor=netmgr, name=f"gi1/0/{number}")
        nic = cmdb_services.port_create(ci=items[key], actor=netmgr, name="eth0")
        cmdb_services.cable_connect(a_port=access, b_port=nic, actor=netmgr, label=f"Lab {number}")
    checks = {
        key: add_check(tech, items[key], CheckKind.TCP, name=f"TCP {listener.port}", port=listener.port)
        for key, listener in listeners.items()
    }
    yield SimpleNamespace(listeners=listeners, items=items, checks=checks, school=highfield)
    for listener in listeners.values():
        listener.stop()


def stop_all(wired) -> None:
    for listener in wired.listeners.values():
        listener.stop()


def start_all(wired) -> None:
    for listener in wired.listeners.values():
        listener.start()


def test_a_dead_switch_opens_one_incident_and_the_pcs_behind_it_none(wired):
    """Peers: three TCP listeners on loopback (the switch's and each PC's), closed and reopened."""
    switch, pc1, pc2 = (wired.items[key] for key in ("switch", "pc1", "pc2"))
    now = cycles(T0, 1)
    assert {state_of(ci).state for ci in (switch, pc1, pc2)} == {State.UP}

    stop_all(wired)
    now = cycles(now, DAMPING - 1)
    assert {state_of(ci).state for ci in (switch, pc1, pc2)} == {State.UP}  # damped: not down yet
    assert not Outage.objects.exists()
    now = cycles(now, 1)

    assert state_of(switch).state == State.DOWN
    for pc in (pc1, pc2):
        row = state_of(pc)
        assert (row.state, row.cause) == (State.UNREACHABLE, switch)
        assert row.reason.startswith("Behind HF-EDGE-LAB, which is down.")
    incident = Incident.objects.get()
    assert (incident.ci, incident.channel) == (switch, Channel.MONITORING)
    assert incident.status not in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED)
    assert "HF-LAB-PC01" in incident.description and "HF-LAB-PC02" in incident.description
    switch_outage = Outage.objects.get(ci=switch)
    assert (switch_outage.kind, switch_outage.incident, switch_outage.started_at) == (
        Outage.Kind.DOWN,
        incident,
        now - MINUTE,
    )
    assert set(Outage.objects.filter(incident=None).values_list("ci", "kind", "cause")) == {
        (pc1.pk, Outage.Kind.UNREACHABLE, switch.pk),
        (pc2.pk, Outage.Kind.UNREACHABLE, switch.pk),
    }

    # However often the checks run while it stays down: still the one incident and the three open outages.
    now = cycles(now, 12)
    assert Incident.objects.count() == 1
    assert Outage.objects.filter(ended_at=None).count() == 3
    assert CheckResult.objects.filter(for_check=wired.checks["switch"], state=State.DOWN).count() == DAMPING + 12

    # Back: the outages end, the incident is resolved, the PCs are up on their own checks.
    start_all(wired)
    back = now
    now = cycles(now, 1)
    assert {state_of(ci).state for ci in (switch, pc1, pc2)} == {State.UP}
    assert not Outage.objects.filter(ended_at=None).exists()
    assert set(Outage.objects.values_list("ended_at", flat=True)) == {back}
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED

    # A second outage is a second incident; the first stays resolved.
    stop_all(wired)
    now = cycles(now, DAMPING + 3)
    second = Incident.objects.exclude(pk=incident.pk).get()
    assert second.ci == switch and second.status not in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED)
    assert Incident.objects.filter(ci__in=[pc1, pc2]).count() == 0
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    assert Outage.objects.filter(ci=switch).count() == 2


def test_a_switch_whose_snmp_agent_stops_is_down_and_the_pc_behind_it_unreachable(
    highfield, netmgr, tech, private_snmpsim
):
    """Peers: an snmpsimd of its own serving edge-switch.snmprec (the switch's agent), stopped and started again,
    and a TCP listener for the PC behind the switch."""
    switch = device(highfield, netmgr, "HF-EDGE-SNMP", Kind.SWITCH)
    pc = device(highfield, netmgr, "HF-LAB-PC09", Kind.DESKTOP)
    access = cmdb_services.port_create(ci=switch, actor=netmgr, name="gi1/0/9")
    nic = cmdb_services.port_create(ci=pc, actor=netmgr, name="eth0")
    cmdb_services.cable_connect(a_port=access, b_port=nic, actor=netmgr, label="Lab 9")
    credential = community(highfield, netmgr, "edge-switch", port=private_snmpsim.port)
    uptime = add_check(
        netmgr, switch, CheckKind.SNMP_UPTIME, name="Uptime", snmp_credential=credential, timeout_seconds=1, retries=0
    )
    listener = Listener().start()
    try:
        add_check(tech, pc, CheckKind.TCP, name="RDP", port=listener.port)
        now = cycles(T0, 1)
        uptime.refresh_from_db()
        assert (uptime.state, uptime.last_message) == (State.UP, "127.0.0.1 up for 15 d 0 h")

        private_snmpsim.stop()
        listener.stop()
        now = cycles(now, DAMPING + 1)
        uptime.refresh_from_db()
        assert uptime.state == State.DOWN
        assert uptime.last_message.startswith(f"no SNMP reply from 127.0.0.1:{private_snmpsim.port}")
        assert state_of(switch).state == State.DOWN
        assert (state_of(pc).state, state_of(pc).cause) == (State.UNREACHABLE, switch)
        incident = Incident.objects.get()
        assert incident.ci == switch

        private_snmpsim.start()
        listener.start()
        cycles(now, 1)
    finally:
        listener.stop()
    assert (state_of(switch).state, state_of(pc).state) == (State.UP, State.UP)
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    assert not Outage.objects.filter(ended_at=None).exists()


# =============================================================================
# 3. Flap damping
# =============================================================================


def test_a_listener_that_comes_and_goes_short_of_the_damping_opens_nothing(highfield, netmgr, tech):
    """Peer: one TCP listener on loopback that is away for DAMPING - 1 cycles at a time, then back for one."""
    server = device(highfield, netmgr, "HF-SRV-FLAKY")
    listener = Listener().start()
    try:
        check = add_check(tech, server, CheckKind.TCP, name="SMB", port=listener.port)
        now = cycles(T0, 1)
        for _flap in range(4):
            listener.stop()
            now = cycles(now, DAMPING - 1)
            check.refresh_from_db()
            assert (check.state, check.consecutive_failures) == (State.UP, DAMPING - 1)
            listener.start()
            now = cycles(now, 1)
    finally:
        listener.stop()

    check.refresh_from_db()
    assert (check.state, check.consecutive_failures) == (State.UP, 0)
    assert CheckResult.objects.filter(for_check=check, state=State.DOWN).count() == 4 * (DAMPING - 1)
    assert state_of(server).state == State.UP
    assert not Outage.objects.exists()
    assert not Incident.objects.exists()
