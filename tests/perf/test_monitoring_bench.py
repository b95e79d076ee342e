"""Benchmark: the monitoring engine runs 10,000 checks (issue 7: "at least 1,000 checks per second on one core,
with bulk database writes"). Run with `make bench ARGS="-k monitoring -s"`; on PostgreSQL with DATABASE_URL set,
e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/fits_bench make bench ARGS="-k monitoring -s".

Real peers on loopback: TCP listeners in a separate process (so their CPU is not counted as ours) that accept
and hang up, closed ports (refused at once) and a black hole (a listener whose accept queue is full: connects
hang until the check's timeout, like a dead host). 10,000 TCP checks on 500 CIs: 7,000 on the listeners, 2,000
on closed ports, 1,000 on the black hole with a 1 s timeout. The batches run one after another in this process,
as one worker would (the dispatcher, the probes with asyncio, one transaction of bulk writes per batch, the
capacity and alert hand-offs): a first cycle makes every state, the measured cycle (a minute later) is the
steady state. Printed: checks per second (wall clock) and CPU seconds (resource.getrusage, this process).

The target is held on CPU: checks per CPU second of this one process (one core). The wall clock is printed but
not held: on a shared machine it measures the neighbours, and each batch waits its black holes' timeout once.
Measured on SQLite on a loaded 2-core machine (load 5): 1,634 checks per CPU second, 976 checks/s wall.
"""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import pytest

from availability import engine
from availability.models import Check, CheckKind, CheckResult, PollRun
from cmdb.models import ConfigurationItem, Kind
from tests.availability.conftest import tcp_black_hole  # noqa: F401 - the black hole fixture, shared

pytestmark = [pytest.mark.perf, pytest.mark.django_db]

# FITS_MONITOR_CHECKS=25000 measures issue 11's cycle (25,000 targets, 10 % dead) the same way.
CHECKS = int(os.environ.get("FITS_MONITOR_CHECKS", "10000"))
CIS = CHECKS // 20
SHARES = {"listener": CHECKS * 7 // 10, "closed": CHECKS * 2 // 10, "black_hole": CHECKS - CHECKS * 9 // 10}
BATCH_SIZE = 2_000
CONCURRENCY = 2_000
BLACK_HOLE_TIMEOUT = 1.0
TARGET_PER_SECOND = 1_000
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

LISTENERS = r"""
import selectors, socket, sys
selector = selectors.DefaultSelector()
ports = []
for _ in range(int(sys.argv[1])):
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(4096)
    listener.setblocking(False)
    selector.register(listener, selectors.EVENT_READ)
    ports.append(listener.getsockname()[1])
print(" ".join(map(str, ports)), flush=True)
while True:
    for key, _ in selector.select():
        try:
            while True:
                connection, _ = key.fileobj.accept()
                connection.close()
        except BlockingIOError:
            pass
"""


@pytest.fixture
def listener_ports():
    process = subprocess.Popen([sys.executable, "-c", LISTENERS, "8"], stdout=subprocess.PIPE, text=True)
    ports = [int(port) for port in process.stdout.readline().split()]
    yield ports
    process.kill()
    process.wait()


def closed_ports(count: int) -> list[int]:
    ports = []
    for _ in range(count):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            ports.append(sock.getsockname()[1])
    return ports


def build(school, listener_ports, closed, black_hole) -> None:
    cis = ConfigurationItem.objects.bulk_create(
        [
            ConfigurationItem(school=school, name=f"Device {n:03d}", kind=Kind.SERVER, management_address="127.0.0.1")
            for n in range(CIS)
        ]
    )
    targets = (
        [(listener_ports[n % len(listener_ports)], 2.0) for n in range(SHARES["listener"])]
        + [(closed[n % len(closed)], 2.0) for n in range(SHARES["closed"])]
        + [(black_hole, BLACK_HOLE_TIMEOUT)] * SHARES["black_hole"]
    )
    assert len(targets) == CHECKS
    Check.objects.bulk_create(
        [
            Check(
                school=school,
                ci=cis[n % CIS],
                kind=CheckKind.TCP,
                name=f"TCP {n}",
                port=port,
                timeout_seconds=timeout,
                retries=0,
                interval_seconds=60,
                next_run_at=T0,
            )
            for n, (port, timeout) in enumerate(targets)
        ],
        batch_size=2000,
    )


def timed_cycle(now: datetime) -> tuple[float, float, list[PollRun]]:
    """(wall seconds, CPU seconds, runs) of one beat cycle run to the end in this process."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = usage.ru_utime + usage.ru_stime
    started = time.perf_counter()
    runs = engine.dispatch_due(now=now, batch_size=BATCH_SIZE)
    runs = [engine.run_batch(run.pk, now=now, worker="bench") for run in runs]
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return wall, usage.ru_utime + usage.ru_stime - cpu_before, runs


def test_ten_thousand_checks(highfield, settings, listener_ports, tcp_black_hole):  # noqa: F811
    settings.FITS_MONITORING_CONCURRENCY = CONCURRENCY
    build(highfield, listener_ports, closed_ports(20), tcp_black_hole)

    first_wall, first_cpu, _ = timed_cycle(T0)
    wall, cpu, runs = timed_cycle(T0 + timedelta(minutes=1))

    done = sum(run.checks_run for run in runs)
    up = sum(run.up for run in runs)
    down = sum(run.down for run in runs)
    rate = done / wall
    print(
        f"\nmonitoring bench ({CHECKS} TCP checks, batches of {BATCH_SIZE}, {CONCURRENCY} in flight):"
        f"\n  first cycle (every state new): {first_wall:.2f} s wall, {first_cpu:.2f} s CPU,"
        f" {CHECKS / first_wall:,.0f} checks/s"
        f"\n  steady cycle: {wall:.2f} s wall, {cpu:.2f} s CPU, {rate:,.0f} checks/s,"
        f" {done / cpu:,.0f} checks per CPU second; {up} up, {down} down, {len(runs)} batches"
    )
    assert done == CHECKS
    assert up == SHARES["listener"] and down == SHARES["closed"] + SHARES["black_hole"]
    assert CheckResult.objects.count() == 2 * CHECKS
    assert done / cpu >= TARGET_PER_SECOND
