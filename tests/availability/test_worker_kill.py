"""A monitoring worker killed in the middle of a batch loses no results and opens no duplicate incident.

Real peers: a `celery worker` subprocess (pool solo) on the Redis broker and the test's PostgreSQL database,
killed with SIGKILL while its batch waits on a slow target (a TCP black hole), then a second worker.

How the batch comes back: by the broker, not by the lease. The task is acks_late, so the killed worker never
acknowledged the message; the workers run with a short Redis visibility timeout (tests/availability/
kill_worker_app.py: 3 s, swept every second, on unacked keys of this test's own), so the second worker puts the
message back on the queue and runs the same PollRun again. run_batch writes everything in one transaction at
the end, so the killed worker left nothing behind; the rerun completes the run once, each check gets exactly
one result in it, and the down CI gets one outage and one incident.

Skipped, saying why, on SQLite (the worker cannot see the test's in-memory database) and without Redis.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from availability import engine
from availability.models import CheckResult, Outage, PollRun
from availability.tasks import run_poll_batch_task
from incidents.models import Incident
from tests.helpers.database import database_url

from .engine_world import Listener, make_ci, tcp_check

REPO = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).with_name("celery")
SLOW_SECONDS = 6.0


@pytest.fixture
def workers():
    """Start `celery worker` subprocesses on one queue; every one left is stopped at the end."""
    if connection.vendor != "postgresql":
        pytest.skip("the kill test needs PostgreSQL (DATABASE_URL): a worker process cannot see SQLite's test db")
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("the kill test needs the Redis broker (REDIS_URL)")
    queue = f"monitoring.killtest.{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "fits.settings",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "FITS_KILL_TEST_KEYS": queue,
        "FITS_KILL_TEST_VISIBILITY": "3",
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    started: list[subprocess.Popen] = []

    def start(name: str) -> subprocess.Popen:
        command = [
            str(CELERY), "-A", "tests.availability.kill_worker_app", "worker", "--pool", "solo",
            "--queues", queue, "--hostname", f"{name}@%h", "--without-heartbeat", "--without-gossip",
            "--without-mingle", "--loglevel", "INFO",
        ]  # fmt: skip
        process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        started.append(process)
        return process

    start.queue = queue
    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_for(condition, timeout: float, what: str, process: subprocess.Popen | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if process is not None and process.poll() is not None:
            pytest.fail(f"the worker exited ({process.returncode}) before {what}:\n{process.stdout.read()}")
        time.sleep(0.2)
    output = ""
    if process is not None:
        process.kill()
        output = process.stdout.read()
    pytest.fail(f"timed out after {timeout:g} s waiting for {what}\n{output}")


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_loses_nothing_and_duplicates_nothing(
    workers, highfield, tech, tcp_black_hole, closed_port
):
    from fits.celery import app

    app.conf.task_always_eager = False
    listener = Listener().start()
    try:
        now = timezone.now()
        slow = tcp_check(make_ci(highfield, tech, "Slow server"), tcp_black_hole, now=now, timeout_seconds=SLOW_SECONDS)
        dead = tcp_check(make_ci(highfield, tech, "Dead server"), closed_port, now=now, failures_before_down=1)
        good = [tcp_check(make_ci(highfield, tech, f"Server {n}"), listener.port, now=now) for n in range(5)]
        checks = [slow, dead, *good]
        [run] = engine.dispatch_due(now=now)
        run_poll_batch_task.apply_async(args=[run.pk], queue=workers.queue)

        first = workers("first")
        wait_for(lambda: PollRun.objects.filter(pk=run.pk, started_at__isnull=False).exists(), 60, "the batch", first)
        time.sleep(1.0)  # well inside the slow target's wait
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        assert not CheckResult.objects.filter(run=run).exists()  # nothing half-written

        second = workers("second")
        wait_for(
            lambda: PollRun.objects.filter(pk=run.pk, finished_at__isnull=False).exists(),
            60,
            "the second worker to finish the batch",
            second,
        )
        time.sleep(4.0)  # longer than the visibility timeout: a second redelivery would show now
    finally:
        listener.stop()

    run.refresh_from_db()
    assert run.checks_run == len(checks) and run.worker.startswith("second@")
    per_check = list(CheckResult.objects.filter(run=run).values_list("for_check_id", flat=True))
    assert sorted(per_check) == sorted(check.pk for check in checks)
    assert CheckResult.objects.count() == len(checks)
    assert Outage.objects.filter(ci=dead.ci).count() == 1
    assert Incident.objects.filter(ci=dead.ci).count() == 1
