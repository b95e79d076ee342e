"""History of monitoring: hourly and daily rollups of the raw results and samples, and pruning of the raw rows.

Raw `CheckResult` and `MetricSample` rows are kept for each school's `raw_retention_days`; before they go, SQL
GROUP BY rolls them into `ResultRollup` and `MetricRollup` rows per hour (UTC hours) and per day (days in
Europe/London, as a school counts them). Rollups are upserted, so rolling the same period up again (the hourly
task covers the last few hours and the last two days) recomputes it from the raw rows rather than adding to
it. Hourly rollups go after `hourly_retention_days`; daily rollups stay, the long history of availability and
capacity. Deletes go in batches, never one giant DELETE that would hold locks for minutes.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Avg, Count, Max, Min, Q
from django.db.models.functions import TruncDay, TruncHour
from django.utils import timezone

from .models import CheckResult, MetricRollup, MetricSample, MonitoringSettings, Period, ResultRollup, State

LONDON = ZoneInfo("Europe/London")
DELETE_BATCH = 5000
WRITE_BATCH = 1000
DEFAULT_RAW_DAYS = MonitoringSettings._meta.get_field("raw_retention_days").default
DEFAULT_HOURLY_DAYS = MonitoringSettings._meta.get_field("hourly_retention_days").default


# =============================================================================
# Rollups
# =============================================================================


def rollup_recent(*, now: datetime | None = None, hours: int = 3) -> int:
    """Roll up the last `hours` hours (the current one included) and the London days of today and yesterday.

    The hourly Celery task calls this; being re-runnable, a missed run is caught up by the next one.
    """
    now = now or timezone.now()
    hour_start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=hours - 1)
    day_start = day_floor(now) - timedelta(days=1)
    day_start = day_floor(day_start + timedelta(hours=12))  # a clock change makes "minus one day" 23 or 25 h
    return rollup(period=Period.HOUR, since=hour_start, until=now) + rollup(
        period=Period.DAY, since=day_start, until=now
    )


def rollup(*, period: str, since: datetime, until: datetime) -> int:
    """Recompute the rollups of every `period` bucket starting in [since, until) from the raw rows; returns
    the number of rollup rows written. `since` should be the start of a bucket (an hour, a London midnight)."""
    return rollup_results(period=period, since=since, until=until) + rollup_metrics(
        period=period, since=since, until=until
    )


def _bucket(period: str, field: str):
    if period == Period.DAY:
        return TruncDay(field, tzinfo=LONDON)
    return TruncHour(field, tzinfo=ZoneInfo("UTC"))


def rollup_results(*, period: str, since: datetime, until: datetime) -> int:
    """ResultRollup rows: runs per state and latency per check and bucket, from one GROUP BY."""
    rows = (
        CheckResult.objects.filter(checked_at__gte=since, checked_at__lt=until)
        .annotate(bucket=_bucket(period, "checked_at"))
        .values("for_check_id", "school_id", "bucket")
        .annotate(
            runs=Count("id"),
            up=Count("id", filter=Q(state=State.UP)),
            down=Count("id", filter=Q(state__in=[State.DOWN, State.UNREACHABLE])),
            degraded=Count("id", filter=Q(state=State.DEGRADED)),
            unknown=Count("id", filter=Q(state=State.UNKNOWN)),
            latency_avg_ms=Avg("latency_ms"),
            latency_max_ms=Max("latency_ms"),
        )
        .order_by()
    )
    rollups = [
        ResultRollup(
            for_check_id=row["for_check_id"],
            school_id=row["school_id"],
            period=period,
            starts_at=row["bucket"],
            runs=row["runs"],
            up=row["up"],
            down=row["down"],
            degraded=row["degraded"],
            unknown=row["unknown"],
            latency_avg_ms=_round(row["latency_avg_ms"]),
            latency_max_ms=row["latency_max_ms"],
        )
        for row in rows.iterator(chunk_size=WRITE_BATCH)
    ]
    ResultRollup.objects.bulk_create(
        rollups,
        batch_size=WRITE_BATCH,
        update_conflicts=True,
        unique_fields=["for_check", "period", "starts_at"],
        update_fields=["runs", "up", "down", "degraded", "unknown", "latency_avg_ms", "latency_max_ms"],
    )
    return len(rollups)


def rollup_metrics(*, period: str, since: datetime, until: datetime) -> int:
    """MetricRollup rows: count, average, minimum and maximum (and of the percentage) per series and bucket."""
    rows = (
        MetricSample.objects.filter(at__gte=since, at__lt=until)
        .annotate(bucket=_bucket(period, "at"))
        .values("metric_id", "school_id", "bucket")
        .annotate(
            samples=Count("id"),
            avg=Avg("value"),
            min=Min("value"),
            max=Max("value"),
            percent_avg=Avg("percent"),
            percent_max=Max("percent"),
        )
        .order_by()
    )
    rollups = [
        MetricRollup(
            metric_id=row["metric_id"],
            school_id=row["school_id"],
            period=period,
            starts_at=row["bucket"],
            samples=row["samples"],
            avg=row["avg"],
            min=row["min"],
            max=row["max"],
            percent_avg=_round(row["percent_avg"]),
            percent_max=row["percent_max"],
        )
        for row in rows.iterator(chunk_size=WRITE_BATCH)
    ]
    MetricRollup.objects.bulk_create(
        rollups,
        batch_size=WRITE_BATCH,
        update_conflicts=True,
        unique_fields=["metric", "period", "starts_at"],
        update_fields=["samples", "avg", "min", "max", "percent_avg", "percent_max"],
    )
    return len(rollups)


def day_floor(moment: datetime) -> datetime:
    """The London midnight that starts `moment`'s day (an aware datetime)."""
    local = timezone.localtime(moment, LONDON)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


# =============================================================================
# Pruning
# =============================================================================


def prune(*, now: datetime | None = None) -> int:
    """Delete raw results and samples past each school's raw retention and hourly rollups past its hourly
    retention; returns the number of rows deleted. Schools without settings keep the defaults."""
    now = now or timezone.now()
    deleted = 0
    for days, school_ids, others in _retention_groups("raw_retention_days", DEFAULT_RAW_DAYS):
        cutoff = now - timedelta(days=days)
        deleted += delete_in_batches(_schools(CheckResult.objects.filter(checked_at__lt=cutoff), school_ids, others))
        deleted += delete_in_batches(_schools(MetricSample.objects.filter(at__lt=cutoff), school_ids, others))
    for days, school_ids, others in _retention_groups("hourly_retention_days", DEFAULT_HOURLY_DAYS):
        cutoff = now - timedelta(days=days)
        hourly = {"period": Period.HOUR, "starts_at__lt": cutoff}
        deleted += delete_in_batches(_schools(ResultRollup.objects.filter(**hourly), school_ids, others))
        deleted += delete_in_batches(_schools(MetricRollup.objects.filter(**hourly), school_ids, others))
    return deleted


def _retention_groups(field: str, default: int) -> list[tuple[int, list[int], list[int] | None]]:
    """(days, the schools keeping that many days, None) per distinct setting; the default group also covers
    every school without settings: (days, [those with it set to the default], every school with settings)."""
    by_days: dict[int, list[int]] = defaultdict(list)
    configured = list(MonitoringSettings.objects.values_list("school_id", field))
    for school_id, days in configured:
        by_days[days].append(school_id)
    groups: list[tuple[int, list[int], list[int] | None]] = [
        (days, school_ids, None) for days, school_ids in by_days.items() if days != default
    ]
    groups.append((default, by_days.get(default, []), [school_id for school_id, _ in configured]))
    return groups


def _schools(queryset, school_ids: list[int], others: list[int] | None):
    """Rows of `school_ids`; with `others` given, also every school not in `others` (those without settings)."""
    if others is None:
        return queryset.filter(school_id__in=school_ids)
    return queryset.filter(Q(school_id__in=school_ids) | ~Q(school_id__in=others))


def delete_in_batches(queryset, batch: int = DELETE_BATCH) -> int:
    """Delete what `queryset` matches a batch of primary keys at a time (short transactions, short locks)."""
    deleted = 0
    while True:
        ids = list(queryset.order_by().values_list("pk", flat=True)[:batch])
        if not ids:
            return deleted
        count, _ = queryset.model.objects.filter(pk__in=ids).delete()
        deleted += count
