"""The monitoring engine (availability.engine) against real peers: TCP listeners that come and go, closed
ports and a black hole. Time passes through `now=`, never by sleeping."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from availability import engine
from availability.models import (
    Check,
    CheckResult,
    CIState,
    MonitoringSettings,
    PollRun,
    State,
)
from availability.tasks import dispatch_due_checks_task

from .engine_world import Listener, make_ci, tcp_check

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


@pytest.fixture
def listener():
    server = Listener().start()
    yield server
    server.stop()


@pytest.fixture
def server_ci(highfield, tech):
    return make_ci(highfield, tech, "File server")


def cycle(now: datetime) -> list[PollRun]:
    """One beat cycle: dispatch what is due and run each batch, as the worker would."""
    runs = engine.dispatch_due(now=now)
    return [engine.run_batch(run.pk, now=now, worker="test-worker") for run in runs]


# --- Dispatch ----------------------------------------------------------------------------------------------


def test_dispatch_leases_due_checks_into_one_batch_per_school_and_queue(highfield, riverside, tech, tech2):
    ours = make_ci(highfield, tech, "Switch", kind="switch")
    theirs = make_ci(riverside, tech2, "Router", kind="router")
    MonitoringSettings.objects.create(school=riverside, queue="monitoring.riverside")
    due = [tcp_check(ours, 1000 + n, now=T0, interval_seconds=60 * (n + 1)) for n in range(3)]
    other = tcp_check(theirs, 2000, now=T0 - MINUTE)
    later = tcp_check(ours, 3000, now=T0 + MINUTE)  # not due yet
    tcp_check(ours, 3001, now=T0, status=Check.Status.PAUSED)
    tcp_check(ours, 3002, now=T0, leased_until=T0 + MINUTE)  # a batch holds it

    runs = engine.dispatch_due(now=T0)

    assert {(run.school_id, run.queue, tuple(sorted(run.check_ids))) for run in runs} == {
        (highfield.pk, "monitoring", tuple(sorted(check.pk for check in due))),
        (riverside.pk, "monitoring.riverside", (other.pk,)),
    }
    for check in [*due, other]:
        check.refresh_from_db()
        assert check.next_run_at == T0 + timedelta(seconds=check.interval_seconds)
        assert check.leased_until > T0
    # A second dispatcher finds them leased; a minute later only the check then due goes: nothing piles up.
    assert engine.dispatch_due(now=T0) == []
    assert [run.check_ids for run in engine.dispatch_due(now=T0 + MINUTE)] == [[later.pk]]


def test_dispatch_splits_a_large_school_into_batches_of_whole_cis(highfield, tech):
    checks = []
    for name, count in {"Switch": 2, "Router": 2, "Firewall": 1}.items():
        ci = make_ci(highfield, tech, name)
        checks += [tcp_check(ci, 4000 + n, now=T0) for n in range(count)]

    runs = engine.dispatch_due(now=T0, batch_size=3)

    batches = sorted(sorted(Check.objects.get(pk=pk).ci.name for pk in run.check_ids) for run in runs)
    assert batches == [["Firewall", "Router", "Router"], ["Switch", "Switch"]]
    assert sum(len(run.check_ids) for run in runs) == len(checks)


def test_a_check_never_scheduled_is_due_at_once(server_ci):
    check = tcp_check(server_ci, 4100, now=None)

    [run] = engine.dispatch_due(now=T0)

    assert run.check_ids == [check.pk]


def test_a_lost_batch_is_dispatched_again_when_its_lease_runs_out(server_ci):
    check = tcp_check(server_ci, 4200, now=T0)
    engine.dispatch_due(now=T0)  # its worker never ran it
    check.refresh_from_db()

    assert engine.dispatch_due(now=T0 + MINUTE) == []  # due again, but still leased
    [run] = engine.dispatch_due(now=check.leased_until + timedelta(seconds=1))
    assert run.check_ids == [check.pk]


# --- Running a batch ---------------------------------------------------------------------------------------


def test_a_batch_writes_results_states_and_the_poller(server_ci, listener, closed_port):
    good = tcp_check(server_ci, listener.port, now=T0, name="Web")
    bad = tcp_check(server_ci, closed_port, now=T0, name="Database")

    [run] = cycle(T0)

    assert (run.checks_run, run.up, run.down, run.worker) == (2, 1, 1, "test-worker")
    assert run.finished_at == T0 and run.duration_ms is not None
    results = {result.for_check_id: result for result in CheckResult.objects.filter(run=run)}
    assert results[good.pk].state == State.UP and results[good.pk].latency_ms is not None
    assert results[bad.pk].state == State.DOWN
    assert f"127.0.0.1:{closed_port} did not accept a connection" in results[bad.pk].message
    good.refresh_from_db()
    bad.refresh_from_db()
    assert (good.state, good.state_since, good.leased_until) == (State.UP, T0, None)  # first good run: up
    assert (bad.state, bad.consecutive_failures) == (State.UNKNOWN, 1)  # one failure is not an outage
    settings = MonitoringSettings.objects.get(school_id=server_ci.school_id)
    assert (settings.poller_name, settings.poller_seen_at) == ("test-worker", T0)


def test_state_follows_a_listener_that_comes_and_goes_with_damping(highfield, server_ci, listener):
    MonitoringSettings.objects.create(school=highfield, failures_before_down=3)
    check = tcp_check(server_ci, listener.port, now=T0)

    def state_at(minute: int) -> str:
        cycle(T0 + minute * MINUTE)
        check.refresh_from_db()
        return check.state

    assert state_at(0) == State.UP
    listener.stop()
    assert [state_at(1), state_at(2)] == [State.UP, State.UP]  # two failures: damped
    assert state_at(3) == State.DOWN
    assert check.state_since == T0 + 3 * MINUTE
    assert state_at(4) == State.DOWN and check.state_since == T0 + 3 * MINUTE
    listener.start()
    assert state_at(5) == State.UP  # the first good run ends the outage
    assert (check.state_since, check.consecutive_failures) == (T0 + 5 * MINUTE, 0)
    assert CheckResult.objects.filter(for_check=check).count() == 6


def test_a_check_of_its_own_damping_overrides_the_school(server_ci, closed_port):
    check = tcp_check(server_ci, closed_port, now=T0, failures_before_down=1)

    cycle(T0)

    check.refresh_from_db()
    assert (check.state, check.state_since) == (State.DOWN, T0)


def test_the_batch_hands_its_cis_to_alerts(server_ci, listener, closed_port):
    tcp_check(server_ci, closed_port, now=T0, failures_before_down=1)

    cycle(T0)

    state = CIState.objects.get(ci=server_ci)
    assert state.state == State.DOWN


def test_a_finished_batch_runs_nothing_again(server_ci, listener):
    tcp_check(server_ci, listener.port, now=T0)
    [run] = cycle(T0)

    again = engine.run_batch(run.pk, now=T0 + MINUTE)

    assert again.finished_at == T0
    assert CheckResult.objects.filter(run=run).count() == 1


def test_a_redelivered_batch_runs_only_the_checks_without_a_result(server_ci, listener):
    done, left = tcp_check(server_ci, listener.port, now=T0), tcp_check(server_ci, listener.port + 0, now=T0)
    [run] = engine.dispatch_due(now=T0)
    CheckResult.objects.create(school_id=run.school_id, for_check=done, run=run, checked_at=T0, state=State.UP)

    engine.run_batch(run.pk, now=T0)

    assert sorted(CheckResult.objects.filter(run=run).values_list("for_check_id", flat=True)) == sorted(
        [done.pk, left.pk]
    )
    run.refresh_from_db()
    assert run.checks_run == 1  # this delivery ran one; the other was already in


def test_a_batch_nobody_started_in_time_is_dropped(server_ci, listener):
    check = tcp_check(server_ci, listener.port, now=T0)
    [run] = engine.dispatch_due(now=T0)
    PollRun.objects.filter(pk=run.pk).update(dispatched_at=run.dispatched_at - engine.STALE_AFTER * 2)

    run = engine.run_batch(run.pk)

    assert run.finished_at is not None and run.checks_run == 0
    assert not CheckResult.objects.filter(for_check=check).exists()


def test_a_dead_workers_batch_handed_back_late_is_closed_unrun(server_ci, listener):
    tcp_check(server_ci, listener.port, now=T0)
    [run] = engine.dispatch_due(now=T0)
    started = run.dispatched_at
    PollRun.objects.filter(pk=run.pk).update(
        dispatched_at=started - engine.STALE_AFTER * 2, started_at=started, worker="dead-worker"
    )

    run = engine.run_batch(run.pk, worker="second")

    assert (run.started_at, run.checks_run, run.worker) == (started, 0, "second")
    assert run.finished_at is not None and not CheckResult.objects.filter(run=run).exists()


def test_one_dead_target_never_delays_the_others(server_ci, listener, tcp_black_hole):
    slow = tcp_check(server_ci, tcp_black_hole, now=T0, timeout_seconds=1.5, name="Dead host")
    quick = [tcp_check(server_ci, listener.port, now=T0, name=f"Web {n}") for n in range(30)]

    started = time.perf_counter()
    [run] = cycle(T0)
    elapsed = time.perf_counter() - started

    assert run.checks_run == 31 and run.up == 30 and run.down == 1
    assert elapsed < 1.5 + 2.0  # the black hole's timeout once, not thirty-one probes in a row
    latencies = CheckResult.objects.filter(for_check__in=quick).values_list("latency_ms", flat=True)
    assert max(latencies) < 1000
    assert CheckResult.objects.get(for_check=slow).state == State.DOWN


def test_a_batch_takes_a_fixed_number_of_queries(highfield, tech, listener, closed_port):
    def batch_queries(count: int, start: int) -> int:
        checks = []
        for n in range(count):
            ci = make_ci(highfield, tech, f"Device {start + n}")
            checks.append(tcp_check(ci, listener.port if n % 2 else closed_port, now=T0))
        cycle(T0)  # first runs: new states
        with CaptureQueriesContext(connection) as queries:
            runs = engine.dispatch_due(now=T0 + MINUTE)
            engine.run_batch(runs[0].pk, now=T0 + MINUTE)
        Check.objects.filter(pk__in=[check.pk for check in checks]).update(status=Check.Status.PAUSED)
        return len(queries)

    assert batch_queries(2, 0) == batch_queries(10, 100)


def test_the_beat_task_sends_each_batch_to_its_queue_after_commit(
    server_ci, listener, django_capture_on_commit_callbacks
):
    check = tcp_check(server_ci, listener.port, now=None)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run_ids = dispatch_due_checks_task()

    assert len(callbacks) == 1
    run = PollRun.objects.get(pk=run_ids[0])
    assert run.finished_at is not None and run.up == 1
    check.refresh_from_db()
    assert check.state == State.UP


# --- monitor --once's path -------------------------------------------------------------------------------


def test_run_once_runs_due_or_all_checks_and_returns_them_by_ci(highfield, riverside, tech, tech2, listener):
    ours = tcp_check(make_ci(highfield, tech, "B server"), listener.port, now=T0)
    later = tcp_check(make_ci(highfield, tech, "A server"), listener.port, now=T0 + timedelta(hours=1))
    theirs = tcp_check(make_ci(riverside, tech2, "C server"), listener.port, now=T0)

    assert [check for check, _ in engine.run_once(school=highfield, now=T0)] == [ours]
    pairs = engine.run_once(run_all=True, now=T0 + MINUTE)
    assert [check for check, _ in pairs] == [later, ours, theirs]
    assert all(result.state == State.UP for _, result in pairs)
