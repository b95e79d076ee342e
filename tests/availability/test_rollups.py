"""availability.rollups: hourly and daily history from the raw rows (days in London), re-runnable, and pruning
each school's raw rows and hourly rollups after its retention, in batches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from availability import rollups
from availability.models import (
    CheckResult,
    Metric,
    MetricKind,
    MetricRollup,
    MetricSample,
    MonitoringSettings,
    Period,
    ResultRollup,
    State,
)
from availability.tasks import prune_monitoring_task, rollup_monitoring_task

from .engine_world import make_ci, tcp_check

# A summer day: London is an hour ahead of UTC, so 23:30 UTC is already tomorrow there.
DAY = datetime(2026, 6, 10, tzinfo=UTC)


@pytest.fixture
def check(highfield, tech):
    return tcp_check(make_ci(highfield, tech, "File server"), 445)


@pytest.fixture
def metric(check):
    return Metric.objects.create(
        school_id=check.school_id, ci=check.ci, for_check=check, kind=MetricKind.DISK, key="disk:/srv", label="/srv"
    )


def result(check, at: datetime, state: str = State.UP, latency: float | None = 10.0) -> CheckResult:
    return CheckResult.objects.create(
        school_id=check.school_id, for_check=check, checked_at=at, state=state, latency_ms=latency
    )


def sample(metric, at: datetime, value: float, percent: float | None = None) -> MetricSample:
    return MetricSample.objects.create(school_id=metric.school_id, metric=metric, at=at, value=value, percent=percent)


def test_hourly_rollups_count_states_and_latency(check):
    at = DAY + timedelta(hours=9)
    result(check, at + timedelta(minutes=1), latency=10.0)
    result(check, at + timedelta(minutes=2), latency=30.0)
    result(check, at + timedelta(minutes=3), State.DOWN, latency=None)
    result(check, at + timedelta(minutes=4), State.DEGRADED, latency=50.0)
    result(check, at + timedelta(minutes=65), State.UNKNOWN, latency=None)

    written = rollups.rollup_results(period=Period.HOUR, since=at, until=at + timedelta(hours=2))

    assert written == 2
    nine = ResultRollup.objects.get(for_check=check, period=Period.HOUR, starts_at=at)
    assert (nine.runs, nine.up, nine.down, nine.degraded, nine.unknown) == (4, 2, 1, 1, 0)
    assert (nine.latency_avg_ms, nine.latency_max_ms) == (30.0, 50.0)
    ten = ResultRollup.objects.get(for_check=check, period=Period.HOUR, starts_at=at + timedelta(hours=1))
    assert (ten.runs, ten.unknown, ten.latency_avg_ms) == (1, 1, None)


def test_daily_rollups_follow_the_london_day(check):
    result(check, DAY + timedelta(hours=22, minutes=30))  # 23:30 in London: 10 June
    result(check, DAY + timedelta(hours=23, minutes=30), State.DOWN)  # 00:30 in London: 11 June

    rollups.rollup_results(period=Period.DAY, since=DAY - timedelta(days=1), until=DAY + timedelta(days=2))

    days = {
        rollup.starts_at: (rollup.runs, rollup.down)
        for rollup in ResultRollup.objects.filter(for_check=check, period=Period.DAY)
    }
    london_midnight = DAY - timedelta(hours=1)  # 00:00 BST is 23:00 UTC the day before
    assert days == {london_midnight: (1, 0), london_midnight + timedelta(days=1): (1, 1)}


def test_rolling_up_again_recomputes_rather_than_adds(check, metric):
    at = DAY + timedelta(hours=9)
    result(check, at + timedelta(minutes=5))
    sample(metric, at + timedelta(minutes=5), 40.0, 40.0)
    now = at + timedelta(minutes=30)
    rollups.rollup_recent(now=now)
    result(check, at + timedelta(minutes=10), State.DOWN)
    sample(metric, at + timedelta(minutes=10), 60.0, 60.0)

    rollups.rollup_recent(now=now)
    rollups.rollup_recent(now=now)

    hour = ResultRollup.objects.get(for_check=check, period=Period.HOUR)
    day = ResultRollup.objects.get(for_check=check, period=Period.DAY)
    assert (hour.runs, hour.down) == (day.runs, day.down) == (2, 1)
    series = MetricRollup.objects.get(metric=metric, period=Period.HOUR)
    assert (series.samples, series.avg, series.min, series.max) == (2, 50.0, 40.0, 60.0)
    assert (series.percent_avg, series.percent_max) == (50.0, 60.0)
    assert MetricRollup.objects.get(metric=metric, period=Period.DAY).samples == 2


def test_the_hourly_task_rolls_up_the_last_hours(check, metric):
    result(check, datetime.now(UTC) - timedelta(minutes=1))

    assert rollup_monitoring_task() >= 2  # the hour and the day

    assert ResultRollup.objects.filter(for_check=check).count() == 2


def test_pruning_keeps_each_schools_retention(highfield, riverside, tech, tech2, check, metric):
    MonitoringSettings.objects.create(school=highfield, raw_retention_days=7, hourly_retention_days=30)
    theirs = tcp_check(make_ci(riverside, tech2, "Router"), 22)  # riverside: no settings, the defaults (14, 90)
    now = DAY
    for days in (1, 8, 20):
        result(check, now - timedelta(days=days))
        result(theirs, now - timedelta(days=days))
        sample(metric, now - timedelta(days=days), 1.0)
    for days in (20, 40, 100):
        for period in (Period.HOUR, Period.DAY):
            for rolled in (check, theirs):
                ResultRollup.objects.create(
                    school_id=rolled.school_id, for_check=rolled, period=period, starts_at=now - timedelta(days=days)
                )

    rollups.prune(now=now)

    def ages(rows, field):
        return sorted((now - getattr(row, field)).days for row in rows)

    assert ages(CheckResult.objects.filter(for_check=check), "checked_at") == [1]
    assert ages(CheckResult.objects.filter(for_check=theirs), "checked_at") == [1, 8]
    assert ages(MetricSample.objects.filter(metric=metric), "at") == [1]
    assert ages(ResultRollup.objects.filter(for_check=check, period=Period.HOUR), "starts_at") == [20]
    assert ages(ResultRollup.objects.filter(for_check=theirs, period=Period.HOUR), "starts_at") == [20, 40]
    assert ages(ResultRollup.objects.filter(for_check=check, period=Period.DAY), "starts_at") == [20, 40, 100]


def test_deleting_goes_in_batches(check):
    for minute in range(7):
        result(check, DAY + timedelta(minutes=minute))

    deleted = rollups.delete_in_batches(CheckResult.objects.filter(for_check=check), batch=3)

    assert deleted == 7 and not CheckResult.objects.exists()


def test_the_daily_task_prunes(check):
    result(check, datetime.now(UTC) - timedelta(days=30))
    result(check, datetime.now(UTC))

    assert prune_monitoring_task() == 1
    assert CheckResult.objects.count() == 1
