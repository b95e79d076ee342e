"""The daily rollups the dashboards read: `DailyFigures`, rebuilt from the tickets with set-based SQL.

For each school, day (Europe/London), priority, kind and service, one row counts what happened that day:
- logged: tickets created that day;
- responded / responded_in_time: first responses given that day, and of those the ones within their target
  (`response_met`);
- resolved / resolved_in_time, first_contact_fixes, reopened, resolve_minutes, satisfaction_sum/count: tickets
  whose (current) resolution is dated that day: a reopened ticket leaves the day it was resolved on until it is
  resolved again. `reopened` counts those resolved that had been reopened on the way (`reopen_count > 0`);
  `resolve_minutes` sums the wall-clock minutes from logging to resolution; the caller's satisfaction is
  counted on the resolution day.

`rollup(start=, end=)` deletes the range and inserts it again in one transaction: four grouped queries (one per
day column: created, first response, resolved) merged per group, then one bulk insert. It is idempotent, so
the beat task may run it as often as it likes; `figures_as_of()` says when it last ran.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.db import models, transaction
from django.db.models.functions import TruncDate
from django.utils import timezone

from incidents.models import Incident
from servicelevels.models import DailyFigures

logger = logging.getLogger(__name__)

LONDON = ZoneInfo("Europe/London")
AS_OF_KEY = "servicelevels:rollup:as_of"
GROUP = ("school_id", "day", "priority", "kind", "service_id")
COUNTS = (
    "logged",
    "responded",
    "responded_in_time",
    "resolved",
    "resolved_in_time",
    "first_contact_fixes",
    "reopened",
    "resolve_minutes",
    "satisfaction_sum",
    "satisfaction_count",
)


def _instant(day: date) -> datetime:
    """Midnight at the start of `day` in London, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=LONDON)


def _grouped(tickets: models.QuerySet, field: str, **aggregates: models.Aggregate) -> models.QuerySet:
    """Tickets whose `field` falls in the range, grouped by school, London day of `field`, priority, kind, service."""
    return (
        tickets.filter(**{f"{field}__isnull": False})
        .annotate(day=TruncDate(field, tzinfo=LONDON))
        .values(*GROUP)
        .order_by()
        .annotate(**aggregates)
    )


def _minutes(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, timedelta):
        return max(int(value.total_seconds() // 60), 0)
    return max(int(value) // 60_000_000, 0)  # microseconds (a backend without a native duration type)


@transaction.atomic
def rollup(*, school_ids: Iterable[int] | None = None, start: date, end: date) -> int:
    """Rebuild the DailyFigures of days `start`..`end` (inclusive) for these schools (None: every school).

    Returns the number of rows written.
    """
    if end < start:
        start, end = end, start
    ids = None if school_ids is None else sorted(set(school_ids))
    since, until = _instant(start), _instant(end + timedelta(days=1))
    tickets = Incident.objects.all()
    existing = DailyFigures.objects.filter(day__gte=start, day__lte=end)
    if ids is not None:
        tickets, existing = tickets.filter(school_id__in=ids), existing.filter(school_id__in=ids)
    existing.delete()

    rows: dict[tuple, dict[str, int]] = {}

    def merge(queryset: models.QuerySet) -> None:
        for row in queryset:
            key = tuple(row[name] for name in GROUP)
            target = rows.setdefault(key, dict.fromkeys(COUNTS, 0))
            for name, value in row.items():
                if name in COUNTS:
                    target[name] += value or 0
                elif name == "resolve_duration":
                    target["resolve_minutes"] += _minutes(value)

    merge(
        _grouped(tickets.filter(created_at__gte=since, created_at__lt=until), "created_at", logged=models.Count("pk"))
    )
    merge(
        _grouped(
            tickets.filter(first_response_at__gte=since, first_response_at__lt=until),
            "first_response_at",
            responded=models.Count("pk"),
            responded_in_time=models.Count("pk", filter=models.Q(response_met=True)),
        )
    )
    merge(
        _grouped(
            tickets.filter(resolved_at__gte=since, resolved_at__lt=until),
            "resolved_at",
            resolved=models.Count("pk"),
            resolved_in_time=models.Count("pk", filter=models.Q(resolution_met=True)),
            first_contact_fixes=models.Count("pk", filter=models.Q(resolved_at_first_contact=True)),
            reopened=models.Count("pk", filter=models.Q(reopen_count__gt=0)),
            resolve_duration=models.Sum(
                models.F("resolved_at") - models.F("created_at"), output_field=models.DurationField()
            ),
            satisfaction_sum=models.Sum("satisfaction"),
            satisfaction_count=models.Count("satisfaction"),
        )
    )
    created = DailyFigures.objects.bulk_create(
        [
            DailyFigures(school_id=school_id, day=day, priority=priority, kind=kind, service_id=service_id, **counts)
            for (school_id, day, priority, kind, service_id), counts in rows.items()
        ],
        batch_size=1000,
    )
    now = timezone.now()
    transaction.on_commit(lambda: cache.set(AS_OF_KEY, now, None))
    logger.info("Rolled up %s rows of service-level figures for %s..%s", len(created), start, end)
    return len(created)


def rollup_recent(*, days: int = 2, today: date | None = None) -> int:
    """Rebuild the last `days` days (today included) for every school: the beat task's job."""
    today = today or timezone.localdate()
    return rollup(start=today - timedelta(days=days - 1), end=today)


def figures_as_of() -> datetime | None:
    """When the rollups were last rebuilt: as this process's cache knows it, else when Celery beat last sent the
    rollup task (the cache of another process, or after a restart); None when neither knows."""
    found = cache.get(AS_OF_KEY)
    if found is None:
        from django_celery_beat.models import PeriodicTask

        found = (
            PeriodicTask.objects.filter(task="servicelevels.tasks.rollup_recent", last_run_at__isnull=False)
            .values_list("last_run_at", flat=True)
            .first()
        )
    return found
