"""One beat per installation (fits/beat.py): the second waits, sends nothing, and takes over when the first dies.

The locks are tested on their own, then two real `celery beat` processes are started against the test's
PostgreSQL database and a Redis database of the test's own: every message on the queue carries the pid of
the beat that sent it (Celery's `origin` header), so the test can tell that only the lock holder sends, and
that the standby sends once the holder is killed with SIGKILL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from fits.beat import FileBeatLock, PostgresBeatLock
from tests.helpers.database import database_url

REPO = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).with_name("celery")
QUEUE = "beat-lock-test"


def test_a_second_file_lock_waits_until_the_first_is_released(tmp_path):
    first, second = FileBeatLock(tmp_path / "beat.lock"), FileBeatLock(tmp_path / "beat.lock")
    assert first.try_acquire()
    assert not second.try_acquire()
    assert second.holder() == f"process {os.getpid()} on this machine"
    first.release()
    assert second.try_acquire() and second.still_held()
    second.release()


@pytest.mark.django_db(transaction=True)
def test_a_second_advisory_lock_waits_until_the_first_session_ends():
    if connection.vendor != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's (set DATABASE_URL)")
    first, second = PostgresBeatLock(), PostgresBeatLock()
    try:
        assert first.try_acquire()
        assert not second.try_acquire()
        assert second.holder().startswith("database session ")
        first.release()  # a clean stop unlocks at once
        assert second.try_acquire() and second.still_held()
    finally:
        first.release()
        second.release()
    assert not second.still_held()


@pytest.mark.django_db(transaction=True)
def test_the_advisory_lock_goes_with_a_session_that_dies():
    if connection.vendor != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's (set DATABASE_URL)")
    first, second = PostgresBeatLock(), PostgresBeatLock()
    try:
        assert first.try_acquire()
        first._connection.close()  # no unlock: the process died and the server ends its session
        deadline = time.monotonic() + 10
        while not second.try_acquire():  # the server ends the session a moment after the hang-up
            assert time.monotonic() < deadline, "the lock outlived its session by 10 s"
            time.sleep(0.05)
        assert second.still_held()
    finally:
        second.release()


def _senders(client: redis.Redis) -> list[str]:
    """The pid of the process that sent each message waiting on the queue, oldest first."""
    messages = [json.loads(raw) for raw in reversed(client.lrange(QUEUE, 0, -1))]
    return [message["headers"]["origin"].split("@")[0].removeprefix("gen") for message in messages]


def _wait_for(condition, timeout: float, what: str, processes: list[subprocess.Popen]):
    """Wait for `condition` (a busy CI machine may take a while to start a beat); fail with the beats' logs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        if any(process.poll() is not None for process in processes):
            break
        time.sleep(0.2)
    output = []
    for process in processes:
        process.kill()
        output.append(process.log.read_text())
    pytest.fail(f"no {what} after {timeout:g} s (or a beat exited)\n" + "\n----\n".join(output))


@pytest.mark.django_db(transaction=True)
def test_two_beats_send_each_scheduled_task_once_and_the_standby_takes_over(tmp_path):
    if connection.vendor != "postgresql" or not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("two real beats need PostgreSQL and Redis (DATABASE_URL, REDIS_URL)")
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    every_second = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(
        name="beat lock test", task="tests.beat_lock_probe", interval=every_second, queue=QUEUE, routing_key=QUEUE
    )
    broker = settings.CELERY_BROKER_URL.rsplit("/", 1)[0] + "/15"  # a Redis database of this test's own
    client = redis.Redis.from_url(broker)
    client.delete(QUEUE)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "fits.settings",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "FITS_BEAT_LOCK_RETRY": "0.5",
        "PYTHONPATH": str(REPO),  # the beats run in a folder of their own, for any file beat writes
    }

    def start() -> subprocess.Popen:
        command = [str(CELERY), "-A", "fits", "beat", "--loglevel", "INFO", "--max-interval", "1"]
        log = tmp_path / f"beat-{len(beats)}.log"
        with log.open("w") as out:
            process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT)
        process.log = log
        beats.append(process)
        return process

    beats: list[subprocess.Popen] = []
    first = start()
    try:
        _wait_for(lambda: _senders(client), 120, "message from the first beat", beats)
        second = start()
        waiting = "Another beat is running (database session"
        _wait_for(lambda: waiting in second.log.read_text(), 120, "wait by the second beat", beats)
        time.sleep(3)  # were the second beat sending too, its messages would be on the queue by now
        senders = _senders(client)
        assert len(senders) >= 4
        assert set(senders) == {str(first.pid)}, "only the beat holding the lock sends"

        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        beats.remove(first)  # from here on, only the standby is expected to be running
        _wait_for(lambda: str(second.pid) in _senders(client), 60, "message from the standby beat", beats)
        assert "This beat holds the beat lock" in second.log.read_text()
    finally:
        for process in beats:
            if process.poll() is None:
                process.kill()
                process.wait()
        client.delete(QUEUE)
