"""Volumes as Storage Management sees them: read from Availability and Capacity's disk series (HOST-RESOURCES-MIB
storage over SNMP, kept as availability.Metric of kind "disk"), never measured twice. Each volume with its size,
use, growth a month and when it will be full at that rate, soonest full first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import models
from django.utils import timezone

from availability.capacity import forecast_words, trends
from availability.models import Metric, MetricKind

DAYS_A_MONTH = 30.44


@dataclass
class Volume:
    metric: Metric
    full_on: date | None
    per_month_percent: float | None
    per_month_bytes: float | None
    words: str

    @property
    def ci(self):
        return self.metric.ci

    @property
    def full_in_days(self) -> int | None:
        return None if self.full_on is None else max(0, (self.full_on - timezone.localdate()).days)


def disk_metrics(metrics: models.QuerySet) -> models.QuerySet:
    """The disk series among `metrics` (already scoped by the caller), with their CI and school."""
    return metrics.filter(kind=MetricKind.DISK, capacity__isnull=False).select_related("ci", "school")


def volumes(metrics: models.QuerySet, now: datetime | None = None) -> list[Volume]:
    """Each disk series as a Volume, soonest full first, then fullest: a fixed number of queries for any number."""
    now = now or timezone.now()
    rows = list(metrics)
    found = trends(rows, now)
    today = timezone.localdate(now)
    result = []
    for metric in rows:
        trend = found.get(metric.pk)
        per_day = trend.per_day if trend else None
        per_month = None if per_day is None else round(per_day * DAYS_A_MONTH, 2)
        per_month_bytes = None if per_month is None or not metric.capacity else per_month / 100 * metric.capacity
        full_on = trend.full_on if trend else None
        result.append(Volume(metric, full_on, per_month, per_month_bytes, forecast_words(full_on, today)))
    never = date.max
    result.sort(key=lambda v: (v.full_on or never, -(v.metric.last_percent or 0), v.metric.ci.name, v.metric.key))
    return result
