"""The monitoring engine (Availability Management, FITS): which checks run when, and what their results mean.

Celery beat calls `dispatch_due` every minute: it leases the due checks into batches (`PollRun`, one school
and one queue each) so that a check is never in two batches and an overrunning cycle never piles up behind
the next. A worker consuming that queue (the shared "monitoring" one, or a poller inside a school's network)
calls `run_batch`: hundreds of probes in flight at once (asyncio), then one transaction that writes every
result in bulk, damps each check's state, releases the leases, feeds Capacity Management and hands the CIs to
`availability.alerts` for their states, outages and incidents.

A batch is idempotent: a finished one returns at once, a redelivered one (its worker died) runs only the checks
without a result in it, and its writes happen in one transaction that locks the run first, so a run never
counts twice and never opens a second incident. `run_once` is the same path, in-process, for
`manage.py monitor --once`.
"""

from __future__ import annotations

import asyncio
import json
import math
import socket
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from itertools import groupby

from django.conf import settings
from django.db import connection, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from . import alerts, capacity, probes, runner
from .bulk import bulk_set
from .models import Check, CheckKind, CheckResult, MonitoringSettings, PollRun, State

DEFAULT_QUEUE = "monitoring"
DEFAULT_FAILURES_BEFORE_DOWN = 3
# How long the database writes of a batch may take beyond its probes: the lease's margin.
LEASE_MARGIN = timedelta(minutes=2)
# A batch not done within this long after dispatch is dropped when it is delivered (again): its leases have run
# out and its checks have been dispatched anew by then, and a poller coming back after a day should not work
# through a day of stale batches.
STALE_AFTER = timedelta(minutes=15)
RESULT_STATES = (State.UP, State.DOWN, State.DEGRADED, State.UNKNOWN)
# What a batch writes back to its checks (availability.bulk: one UPDATE per 500 checks).
CHECK_STATE_FIELDS = (
    "state",
    "state_since",
    "consecutive_failures",
    "last_checked_at",
    "last_latency_ms",
    "last_message",
    "leased_until",
    "updated_at",
)


def monitoring_queue() -> str:
    return getattr(settings, "FITS_MONITORING_QUEUE", DEFAULT_QUEUE) or DEFAULT_QUEUE


def concurrency() -> int:
    """Probes in flight at once in one batch (FITS_MONITORING_CONCURRENCY)."""
    return max(1, int(getattr(settings, "FITS_MONITORING_CONCURRENCY", 500)))


def worker_name() -> str:
    return socket.gethostname()


# =============================================================================
# Dispatch: lease the due checks into batches
# =============================================================================


def dispatch_due(*, now: datetime, batch_size: int = 500) -> list[PollRun]:
    """Lease every due check into batches of at most `batch_size`, one school and queue each.

    Each leased check gets `next_run_at = now + interval` and a lease longer than its batch can take, so the
    next dispatcher (a minute later, or one running at the same moment) passes it by. On PostgreSQL the due
    rows are locked with SKIP LOCKED, so two dispatchers share the work instead of doing it twice.
    """
    with transaction.atomic():
        return _lease(due_checks(now), now=now, batch_size=batch_size)


def due_checks(now: datetime):
    """`Check.objects.due(now)`, and the active checks never scheduled (no next_run_at: made outside the
    services, e.g. by an import), which are due at once."""
    never = Check.objects.filter(status=Check.Status.ACTIVE, next_run_at__isnull=True).filter(
        Q(leased_until__isnull=True) | Q(leased_until__lt=now)
    )
    return Check.objects.due(now) | never


def _lease(checks, *, now: datetime, batch_size: int) -> list[PollRun]:
    """Lease `checks` (a queryset, inside a transaction) into PollRuns, one school and queue each."""
    # A CI's checks travel together: each batch hands alerts whole CIs, and each CI to one batch only.
    checks = checks.order_by("school_id", "ci_id", "pk")
    if connection.features.has_select_for_update_skip_locked:
        checks = checks.select_for_update(skip_locked=True)
    rows = list(
        checks.values_list("pk", "school_id", "kind", "interval_seconds", "timeout_seconds", "retries", "ci_id")
    )
    if not rows:
        return []
    queues = _queues({row[1] for row in rows})
    runs: list[PollRun] = []
    leases: list[tuple[list[tuple], datetime]] = []
    for school_id, school_rows in groupby(rows, key=lambda row: row[1]):
        for chunk in _whole_cis(school_rows, batch_size):
            runs.append(PollRun(school_id=school_id, queue=queues[school_id], check_ids=[row[0] for row in chunk]))
            leases.append((chunk, now + _batch_time(chunk) + LEASE_MARGIN))
    runs = PollRun.objects.bulk_create(runs)
    for chunk, leased_until in leases:
        by_interval = sorted(chunk, key=lambda row: row[3])
        for interval, same in groupby(by_interval, key=lambda row: row[3]):
            Check.objects.filter(pk__in=[row[0] for row in same]).update(
                leased_until=leased_until, next_run_at=now + timedelta(seconds=interval)
            )
    return runs


def _whole_cis(rows: Iterable[tuple], batch_size: int) -> Iterable[list[tuple]]:
    """Batches of at most `batch_size` checks that never split a CI's checks (a CI with more is one batch)."""
    chunk: list[tuple] = []
    for _ci_id, ci_rows in groupby(rows, key=lambda row: row[6]):
        ci_rows = list(ci_rows)
        if chunk and len(chunk) + len(ci_rows) > batch_size:
            yield chunk
            chunk = []
        chunk.extend(ci_rows)
    if chunk:
        yield chunk


def _queues(school_ids: Iterable[int]) -> dict[int, str]:
    """Each school's poller queue: its MonitoringSettings.queue, else the shared monitoring queue."""
    default = monitoring_queue()
    named = dict(
        MonitoringSettings.objects.filter(school_id__in=school_ids).exclude(queue="").values_list("school_id", "queue")
    )
    return {school_id: named.get(school_id, default) for school_id in school_ids}


def _batch_time(rows: list[tuple]) -> timedelta:
    """The longest a batch can take: its slowest check, once per round of `concurrency()` probes."""
    slowest = max(
        runner.budget(*kind_timeout_retries) for kind_timeout_retries in {(row[2], row[4], row[5]) for row in rows}
    )
    rounds = math.ceil(len(rows) / concurrency())
    return timedelta(seconds=rounds * slowest)


# =============================================================================
# Run a batch
# =============================================================================


def run_batch(run_id: int, *, now: datetime | None = None, worker: str = "") -> PollRun:
    """Run one batch's checks concurrently and write everything they found in one transaction.

    Idempotent: a finished run returns at once; a redelivered one runs only the checks that have no result in
    this run yet. `now` (tests) fixes the time of the results and of the state changes.
    """
    started = time.perf_counter()
    run = PollRun.objects.get(pk=run_id)
    if run.finished_at is not None:
        return run
    clock = now or timezone.now()
    worker = worker or worker_name()
    # Staleness is measured on the real clock: dispatched_at is always real time, `now` may be a test's.
    if run.dispatched_at < timezone.now() - STALE_AFTER:
        return _drop_stale(run, clock, worker)
    PollRun.objects.filter(pk=run.pk, started_at__isnull=True).update(started_at=clock, worker=worker[:150])
    checks = list(
        Check.objects.filter(pk__in=run.check_ids, status=Check.Status.ACTIVE)
        .exclude(pk__in=CheckResult.objects.filter(run_id=run.pk).values("for_check_id"))
        .select_related("ci", "snmp_credential")
        .order_by("pk")
    )
    found = measure(checks)
    return _record(run, checks, found, now=now, worker=worker, started=started)


def measure(checks: list[Check]) -> list[probes.ProbeResult]:
    """Run the checks' probes at once (each within its own time), results in the checks' order."""
    uptimes = _previous_uptimes([check.pk for check in checks if check.kind == CheckKind.SNMP_UPTIME])
    factories = [runner.probe(check, previous_uptime=uptimes.get(check.pk)) for check in checks]
    if not factories:
        return []
    return asyncio.run(probes.run_many(factories, concurrency=concurrency()))


def _previous_uptimes(check_ids: list[int]) -> dict[int, float]:
    """The uptime each snmp_uptime check found last time (one query), to notice a restart."""
    if not check_ids:
        return {}
    last = CheckResult.objects.filter(for_check=OuterRef("pk")).order_by("-checked_at").values("values")[:1]
    rows = Check.objects.filter(pk__in=check_ids).annotate(last_values=Subquery(last)).values_list("pk", "last_values")
    uptimes = {}
    for pk, values in rows:
        if isinstance(values, str):  # SQLite hands a subquery's JSON back as text
            values = json.loads(values)
        if isinstance(values, dict) and isinstance(values.get("uptime_seconds"), int | float):
            uptimes[pk] = float(values["uptime_seconds"])
    return uptimes


def _drop_stale(run: PollRun, clock: datetime, worker: str) -> PollRun:
    """A batch that waited too long for a worker (its poller was away, or the broker gave a dead worker's batch
    back late): record it as done with nothing; its checks have been dispatched again meanwhile."""
    PollRun.objects.filter(pk=run.pk, finished_at__isnull=True).update(
        started_at=run.started_at or clock, finished_at=clock, worker=worker[:150], duration_ms=0
    )
    run.refresh_from_db()
    return run


def _record(run, checks, found, *, now, worker, started) -> PollRun:
    """Write a batch's results, states, capacity readings and alerts in one transaction (a fixed number of
    queries, whatever the number of checks)."""
    with transaction.atomic():
        run = PollRun.objects.select_for_update().get(pk=run.pk)
        if run.finished_at is not None:  # another worker finished it while we probed
            return run
        _lock_school(run.school_id)
        done = set(CheckResult.objects.filter(run_id=run.pk).values_list("for_check_id", flat=True))
        pairs = [(check, result) for check, result in zip(checks, found, strict=True) if check.pk not in done]
        clock = now or timezone.now()
        threshold = _failures_before_down(run.school_id)
        results = [_result_row(run, check, result, now) for check, result in pairs]
        CheckResult.objects.bulk_create(results, batch_size=1000)
        current = _current_states([check.pk for check, _ in pairs])
        for (check, _result), row in zip(pairs, results, strict=True):
            damp(check, row, current.get(check.pk), threshold=check.failures_before_down or threshold)
        bulk_set(Check, [check for check, _ in pairs], CHECK_STATE_FIELDS)
        readings = [reading for check, result in pairs for reading in capacity.readings_from(check, result)]
        if readings:
            metric_ids = capacity.store(school_id=run.school_id, readings=readings, now=clock)
            if metric_ids:
                capacity.evaluate(metric_ids=metric_ids, now=clock)
        ci_ids = sorted({check.ci_id for check, _ in pairs})
        if ci_ids:
            alerts.evaluate(school_id=run.school_id, ci_ids=ci_ids, now=clock)
        _finish(run, results, clock=clock, worker=worker, started=started)
        _poller_seen(run.school_id, worker, clock)
    return run


def _lock_school(school_id: int) -> None:
    """One school's batches write one at a time. Alerts walk devices and services that two batches of a school
    can both reach (a service on two servers), so two writing at once could deadlock on PostgreSQL; the school's
    settings row is the lock (SQLite writes one transaction at a time anyway)."""
    MonitoringSettings.objects.get_or_create(school_id=school_id)
    if connection.features.has_select_for_update:
        list(MonitoringSettings.objects.select_for_update().filter(school_id=school_id).values_list("pk", flat=True))


def _failures_before_down(school_id: int) -> int:
    value = (
        MonitoringSettings.objects.filter(school_id=school_id).values_list("failures_before_down", flat=True).first()
    )
    return value or DEFAULT_FAILURES_BEFORE_DOWN


def _current_states(check_ids: list[int]) -> dict[int, tuple]:
    """The checks' damped states as the database has them now, locked (the row is the truth, not our copy)."""
    rows = Check.objects.filter(pk__in=check_ids)
    if connection.features.has_select_for_update:
        rows = rows.select_for_update()
    return {
        pk: (state, since, failures)
        for pk, state, since, failures in rows.values_list("pk", "state", "state_since", "consecutive_failures")
    }


def _result_row(run: PollRun, check: Check, result: probes.ProbeResult, now: datetime | None) -> CheckResult:
    return CheckResult(
        school_id=run.school_id,
        for_check_id=check.pk,
        run_id=run.pk,
        checked_at=now or result.checked_at,
        state=result.state,
        latency_ms=result.latency_ms,
        message=(result.message or "")[:300],
        values=runner.jsonable(result.values or {}),
    )


def damp(check: Check, result: CheckResult, current: tuple | None = None, *, threshold: int) -> Check:
    """Move a check's damped state after one result (flap damping: FITS wants one incident per real outage).

    Down only after `threshold` failed runs in a row (until then the check keeps the state it had); degraded
    and unknown as the probe says; up at the first good run. `state_since` moves only when the state changes.
    A degraded or good run ends a run of failures; an unknown one neither adds to it nor ends it.
    """
    state, since, failures = current or (check.state, check.state_since, check.consecutive_failures)
    if result.state == State.DOWN:
        failures += 1
        new = State.DOWN if failures >= max(1, threshold) else state
    elif result.state == State.UNKNOWN:
        new = State.UNKNOWN
    else:
        failures = 0
        new = result.state
    check.consecutive_failures = failures
    if new != state or since is None:
        since = result.checked_at
    check.state, check.state_since = new, since
    check.last_checked_at = result.checked_at
    check.last_latency_ms = result.latency_ms
    check.last_message = result.message
    check.leased_until = None
    check.updated_at = timezone.now()
    return check


def _finish(run: PollRun, results: list[CheckResult], *, clock: datetime, worker: str, started: float) -> None:
    for state in RESULT_STATES:
        setattr(run, state, getattr(run, state) + sum(1 for row in results if row.state == state))
    run.checks_run += len(results)
    run.started_at = run.started_at or clock
    run.finished_at = clock
    run.worker = worker[:150]
    run.duration_ms = round((time.perf_counter() - started) * 1000)
    run.save(update_fields=["checks_run", *RESULT_STATES, "started_at", "finished_at", "worker", "duration_ms"])


def _poller_seen(school_id: int, worker: str, clock: datetime) -> None:
    """The school's page says which poller last ran its checks, and when."""
    updated = MonitoringSettings.objects.filter(school_id=school_id).update(
        poller_name=worker[:150], poller_seen_at=clock
    )
    if not updated:
        MonitoringSettings.objects.get_or_create(
            school_id=school_id, defaults={"poller_name": worker[:150], "poller_seen_at": clock}
        )


# =============================================================================
# Once, in-process (manage.py monitor --once)
# =============================================================================


def run_once(*, school=None, run_all: bool = False, now: datetime | None = None) -> list[tuple[Check, CheckResult]]:
    """Run every due check (with `run_all`, every active one not in a batch now) once, here and now.

    The checks are leased into batches exactly as the dispatcher does, so a worker running at the same time
    never runs them twice; the batches run in this process. Returns (check, result) pairs by CI and check.
    """
    clock = now or timezone.now()
    if run_all:
        checks = Check.objects.filter(status=Check.Status.ACTIVE).filter(
            Q(leased_until__isnull=True) | Q(leased_until__lt=clock)
        )
    else:
        checks = due_checks(clock)
    if school is not None:
        checks = checks.of_school(school.pk)
    with transaction.atomic():
        runs = _lease(checks, now=clock, batch_size=500)
    worker = f"monitor --once@{worker_name()}"
    for run in runs:
        run_batch(run.pk, now=now, worker=worker)
    results = (
        CheckResult.objects.filter(run__in=runs)
        .select_related("for_check__ci")
        .order_by("for_check__ci__name", "for_check__name", "for_check_id")
    )
    return [(result.for_check, result) for result in results]
