"""Capacity Management: metrics from the checks' readings, thresholds, trends and forecasts.

FITS asks the ICT team to see a problem coming: a file server that fills up, a link that saturates. Every
monitoring batch turns what its checks measured into series (`Metric`, one per CI and key) and samples; each
series with a capacity is held to its threshold, and a straight line fitted to its last 30 days says when it
will reach critical ("file server full in about 6 weeks"). A warning (or that forecast) becomes a task for a
technician before it becomes an incident; critical opens the incident.

CONTRACT (the engine calls these):

    @dataclass(frozen=True)
    class Reading: one measured value of one series on one CI (see below).

    readings_from(check: Check, result: ProbeResult) -> list[Reading]
        What a check's result measured (SNMP storage rows -> disk/memory use; interfaces -> octet counters,
        speed and oper status; ping/tcp/http latency). Pure: no queries.

    store(*, school_id: int, readings: list[Reading], now: datetime) -> list[int]
        Upsert the Metric rows (one per CI and key), turn counters into rates (interface octets -> bit/s and
        utilisation %), bulk-insert MetricSamples; returns the ids of the metrics that got a sample. A fixed
        number of queries whatever the number of readings.

    evaluate(*, metric_ids: Collection[int], now: datetime) -> None
        Hold the metrics to their CapacityThresholds: over warning (or forecast to reach critical within the
        threshold's forecast_days) opens a CapacityAlert and raises a task (incidents.task_services.task_raise);
        over critical raises an incident; below warning clears the alert.

The engine passes SNMP rows as the runner puts them in `result.values`: "storage" (availability.snmp.storage
rows) and "interfaces" (availability.snmp.interfaces rows, with "speed_bps").
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Avg, Q
from django.utils import timezone

from availability.bulk import bulk_set
from availability.models import (
    CapacityAlert,
    CapacityThreshold,
    CheckKind,
    Metric,
    MetricKind,
    MetricRollup,
    MetricSample,
    MonitoringSettings,
    Period,
)
from fits import access, activity
from fits.models import Activity, School, User

# Built-in thresholds (per cent of capacity) when neither the CI nor the school has its own.
DEFAULT_THRESHOLDS: dict[str, tuple[float, float]] = {
    MetricKind.DISK: (80.0, 90.0),
    MetricKind.MEMORY: (85.0, 95.0),
    MetricKind.INTERFACE: (70.0, 90.0),
}
DEFAULT_FORECAST_DAYS = 42
# Kinds a threshold can hold: series with a capacity (latency has none, so no per cent to compare).
THRESHOLD_KINDS = (MetricKind.DISK, MetricKind.MEMORY, MetricKind.INTERFACE, MetricKind.OTHER)

TREND_DAYS = 30  # the forecast fits a line to this many days of daily figures
MIN_TREND_POINTS = 3  # fewer days than this is too little to call a trend
MIN_GROWTH_PER_DAY = 0.01  # percentage points a day; slower than this is flat
FORECAST_HORIZON_DAYS = 3 * 365  # further ahead than this is no forecast worth making

DISK_TYPES = frozenset({"fixedDisk", "networkDisk"})
LATENCY_KINDS = frozenset({CheckKind.PING, CheckKind.TCP, CheckKind.HTTP})


@dataclass(frozen=True)
class Reading:
    ci_id: int
    check_id: int | None
    kind: str  # availability.models.MetricKind
    key: str  # stable within the CI: "disk:/srv", "if:eth0", "latency:ping"
    label: str
    unit: str
    value: float | None = None  # a gauge (bytes used, ms); None when `counters` carry a rate's raw counters
    capacity: float | None = None  # the whole (bytes of the volume, bit/s of the link)
    counters: dict[str, Any] = field(default_factory=dict)  # raw counters of a rate series (octets in/out)


# =============================================================================
# Readings: what a check's result measured
# =============================================================================


def _rows(values: dict[str, Any], name: str) -> list[dict[str, Any]]:
    rows = values.get(name)
    return [row for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []


def _storage_readings(check, rows: Iterable[dict[str, Any]]) -> list[Reading]:
    """Fixed and network disks become disk series; physical memory (hrStorageRam) the memory series."""
    readings = []
    for row in rows:
        size, used = row.get("size_bytes") or 0, row.get("used_bytes")
        if size <= 0 or used is None:
            continue  # an empty mount or a swap space of nothing: no share of anything to measure
        name = str(row.get("name") or row.get("index"))
        if row.get("type") in DISK_TYPES:
            kind, key, label = MetricKind.DISK, f"disk:{name}", f"Disk {name}"
        elif row.get("type") == "ram":
            kind, key, label = MetricKind.MEMORY, "memory", "Memory"
        else:
            continue
        readings.append(
            Reading(check.ci_id, check.pk, kind, key[:150], label[:200], "B", value=float(used), capacity=float(size))
        )
    return readings


def _interface_readings(check, rows: Iterable[dict[str, Any]]) -> list[Reading]:
    """Interfaces that are up and count octets: their counters (a rate needs two readings) and link speed."""
    readings = []
    for row in rows:
        if row.get("oper_status") != "up" or row.get("in_octets") is None or row.get("out_octets") is None:
            continue
        name = str(row.get("name") or row.get("index"))
        speed = row.get("speed_bps") or None
        readings.append(
            Reading(
                check.ci_id,
                check.pk,
                MetricKind.INTERFACE,
                f"if:{name}"[:150],
                f"Interface {name} traffic"[:200],
                "bit/s",
                capacity=float(speed) if speed else None,
                counters={"in": int(row["in_octets"]), "out": int(row["out_octets"])},
            )
        )
    return readings


def _latency_key(check) -> str:
    if check.kind == CheckKind.PING:
        return "latency:ping"
    if check.kind == CheckKind.TCP and check.port:
        return f"latency:tcp:{check.port}"
    return f"latency:{check.kind}:{check.pk}"


def readings_from(check, result) -> list[Reading]:
    """What `result` (a ProbeResult of `check`) measured, as readings. Pure: no queries.

    A result without values (a dead agent) measures nothing; a response time is only a reading when the
    target answered.
    """
    values = getattr(result, "values", None) or {}
    if check.kind == CheckKind.SNMP_STORAGE:
        return _storage_readings(check, _rows(values, "storage"))
    if check.kind == CheckKind.SNMP_INTERFACES:
        return _interface_readings(check, _rows(values, "interfaces"))
    if check.kind in LATENCY_KINDS and result.latency_ms is not None and result.state in ("up", "degraded"):
        label = f"{check.name} response time"[:200]
        return [
            Reading(
                check.ci_id, check.pk, MetricKind.LATENCY, _latency_key(check), label, "ms", value=result.latency_ms
            )
        ]
    return []


# =============================================================================
# Storing: metrics and samples in bulk
# =============================================================================


def _rate(previous: dict[str, Any], counters: dict[str, Any], now: datetime) -> float | None:
    """Bits per second from two readings of octet counters: the busier direction (links are full duplex).

    None when there is no earlier reading, no time has passed, or a counter went backwards (it wrapped or
    the device restarted): that sample is skipped rather than invented.
    """
    try:
        then = datetime.fromisoformat(previous["at"])
        seconds = (now - then).total_seconds()
        deltas = [int(counters[name]) - int(previous[name]) for name in ("in", "out")]
    except (KeyError, TypeError, ValueError):
        return None
    if seconds <= 0 or any(delta < 0 for delta in deltas):
        return None
    return max(deltas) * 8 / seconds


def _percent(value: float | None, capacity: float | None) -> float | None:
    if value is None or not capacity:
        return None
    return round(value * 100 / capacity, 2)


@transaction.atomic
def store(*, school_id: int, readings: list[Reading], now: datetime) -> list[int]:
    """Upsert the readings' metrics, turn counters into rates and add the samples; the ids that got a sample.

    Queries: one to read the existing metrics, two more when some are new (insert, read back: a concurrent
    batch may have made them first), one bulk update and one bulk insert of samples.
    """
    latest = {(reading.ci_id, reading.key): reading for reading in readings}  # one reading per series
    if not latest:
        return []
    ci_ids, keys = {ci for ci, _key in latest}, {key for _ci, key in latest}
    existing = {
        (metric.ci_id, metric.key): metric
        for metric in Metric.objects.filter(ci_id__in=ci_ids, key__in=keys)
        if (metric.ci_id, metric.key) in latest
    }
    missing = [pair for pair in latest if pair not in existing]
    if missing:
        Metric.objects.bulk_create([_new_metric(school_id, latest[pair]) for pair in missing], ignore_conflicts=True)
        made = Metric.objects.filter(ci_id__in={ci for ci, _key in missing}, key__in={key for _ci, key in missing})
        existing.update({(m.ci_id, m.key): m for m in made if (m.ci_id, m.key) in latest})

    samples, sampled = [], []
    for pair, reading in latest.items():
        metric = existing.get(pair)
        if metric is None:
            continue
        value = reading.value
        if reading.counters:
            value = _rate(metric.counters or {}, reading.counters, now)
            metric.counters = {**reading.counters, "at": now.isoformat()}
        metric.for_check_id = reading.check_id
        metric.label, metric.unit = reading.label, reading.unit
        if reading.capacity is not None:
            metric.capacity = reading.capacity
        if value is None:
            continue
        percent = _percent(value, metric.capacity)
        metric.last_value, metric.last_percent, metric.last_at = value, percent, now
        samples.append(MetricSample(school_id=metric.school_id, metric=metric, at=now, value=value, percent=percent))
        sampled.append(metric.pk)
    bulk_set(
        Metric,
        list(existing.values()),
        ["for_check", "label", "unit", "capacity", "last_value", "last_percent", "last_at", "counters"],
    )
    MetricSample.objects.bulk_create(samples, batch_size=1000)
    return sampled


def _new_metric(school_id: int, reading: Reading) -> Metric:
    return Metric(
        school_id=school_id,
        ci_id=reading.ci_id,
        for_check_id=reading.check_id,
        kind=reading.kind,
        key=reading.key,
        label=reading.label,
        unit=reading.unit,
        capacity=reading.capacity,
    )


# =============================================================================
# Thresholds
# =============================================================================


@dataclass(frozen=True)
class Limits:
    """The threshold a series is held to, and where it came from (the CI's, the school's or built in)."""

    warning_percent: float
    critical_percent: float
    forecast_days: int
    source: str  # "ci", "school", "default"


def limits_for(metrics: Iterable[Metric]) -> dict[int, Limits | None]:
    """Each metric's threshold: its CI's own of that kind, else its school's, else the built-in one (one query).

    None for a series with no threshold (latency, unless someone set one).
    """
    metrics = list(metrics)
    rows = CapacityThreshold.objects.filter(
        school_id__in={m.school_id for m in metrics}, kind__in={m.kind for m in metrics}, is_active=True
    ).filter(Q(ci__isnull=True) | Q(ci_id__in={m.ci_id for m in metrics}))
    own, school_wide = {}, {}
    for row in rows:
        if row.ci_id:
            own[(row.ci_id, row.kind)] = row
        else:
            school_wide[(row.school_id, row.kind)] = row
    found: dict[int, Limits | None] = {}
    for metric in metrics:
        row, source = own.get((metric.ci_id, metric.kind)), "ci"
        if row is None:
            row, source = school_wide.get((metric.school_id, metric.kind)), "school"
        if row is not None:
            found[metric.pk] = Limits(row.warning_percent, row.critical_percent, row.forecast_days, source)
        elif metric.kind in DEFAULT_THRESHOLDS:
            warning, critical = DEFAULT_THRESHOLDS[metric.kind]
            found[metric.pk] = Limits(warning, critical, DEFAULT_FORECAST_DAYS, "default")
        else:
            found[metric.pk] = None
    return found


def _clean_threshold(kind: str, warning: float, critical: float, forecast_days: int) -> None:
    errors = {}
    if kind not in THRESHOLD_KINDS:
        errors["kind"] = "Choose disk use, memory use, interface utilisation or other: series with a capacity."
    if not 0 < warning < 100:
        errors["warning_percent"] = "Give the warning level as a per cent between 0 and 100."
    if not 0 < critical <= 100:
        errors["critical_percent"] = "Give the critical level as a per cent between 0 and 100."
    elif critical <= warning:
        errors["critical_percent"] = f"Critical ({critical:g} %) must be above the warning level ({warning:g} %)."
    if not 0 <= forecast_days <= 365:
        errors["forecast_days"] = "Look ahead between 0 days (no forecast warnings) and 365."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def threshold_save(
    *,
    actor: User,
    school: School,
    kind: str,
    ci=None,
    warning_percent: float,
    critical_percent: float,
    forecast_days: int = DEFAULT_FORECAST_DAYS,
    threshold: CapacityThreshold | None = None,
) -> CapacityThreshold:
    """Set the warning and critical levels of a kind of series, for one CI or (ci None) the whole school.

    `threshold` given: change that one; otherwise add one, refused when the school already has one for that
    kind and CI (change that one instead).
    """
    if threshold is not None:
        threshold = (
            CapacityThreshold.objects.select_for_update(of=("self",)).select_related("school").get(pk=threshold.pk)
        )
        school = threshold.school
    access.require(
        access.can_manage_monitoring, actor, school, f"Only technicians set capacity thresholds at {school}."
    )
    if ci is not None and ci.school_id != school.pk:
        raise ValidationError({"ci": f"{ci} belongs to another school than {school}."})
    _clean_threshold(kind, warning_percent, critical_percent, forecast_days)
    clash = CapacityThreshold.objects.filter(school=school, kind=kind, ci=ci)
    if threshold is not None:
        clash = clash.exclude(pk=threshold.pk)
    if clash.exists():
        where = ci or "every CI"
        raise ValidationError(
            {"kind": f"{school} already has a {MetricKind(kind).label.lower()} threshold for {where}: change that one."}
        )
    threshold = threshold or CapacityThreshold(school=school)
    threshold.kind, threshold.ci = kind, ci
    threshold.warning_percent, threshold.critical_percent = warning_percent, critical_percent
    threshold.forecast_days = forecast_days
    threshold.save()
    return threshold


@transaction.atomic
def threshold_delete(*, actor: User, threshold: CapacityThreshold) -> None:
    """Remove a threshold: the series fall back to the school's (or the built-in) levels."""
    access.require(
        access.can_manage_monitoring,
        actor,
        threshold.school,
        f"Only technicians remove capacity thresholds at {threshold.school}.",
    )
    threshold.delete()


# =============================================================================
# Trends and forecasts
# =============================================================================


@dataclass(frozen=True)
class Trend:
    """A straight line through a series' daily per cent used: its growth a day and when it reaches critical."""

    per_day: float | None  # percentage points a day (None: too little data)
    points: int
    full_on: date | None  # when the line reaches the critical level (None: flat, falling or too little data)

    @property
    def per_week(self) -> float | None:
        return None if self.per_day is None else round(self.per_day * 7, 2)


def _fit(points: list[tuple[float, float]]) -> tuple[float, float] | None:
    """Least squares: (slope, value at x=0) of the line through (x, y), or None when it cannot be drawn."""
    if len(points) < MIN_TREND_POINTS:
        return None
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    if spread == 0:
        return None
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / spread
    return slope, mean_y - slope * mean_x


def _daily_points(metric_ids: Collection[int], now: datetime) -> dict[int, list[tuple[float, float]]]:
    """(day offset from today, per cent used) per metric: the daily rollups of the last 30 days, and today's
    samples averaged (today's rollup, if any, is left out: the samples are fresher). Two queries."""
    today = timezone.localdate(now)
    start_of_today = timezone.make_aware(datetime.combine(today, time.min))
    since = start_of_today - timedelta(days=TREND_DAYS)
    points: dict[int, list[tuple[float, float]]] = {pk: [] for pk in metric_ids}
    rollups = MetricRollup.objects.filter(
        metric_id__in=metric_ids,
        period=Period.DAY,
        starts_at__gte=since,
        starts_at__lt=start_of_today,
        percent_avg__isnull=False,
    ).values_list("metric_id", "starts_at", "percent_avg")
    for metric_id, starts_at, percent in rollups:
        points[metric_id].append(((timezone.localdate(starts_at) - today).days, percent))
    todays = (
        MetricSample.objects.filter(
            metric_id__in=metric_ids, at__gte=start_of_today, at__lte=now, percent__isnull=False
        )
        .values("metric_id")
        .annotate(percent=Avg("percent"))
        .values_list("metric_id", "percent")
    )
    for metric_id, percent in todays:
        points[metric_id].append((0.0, percent))
    return points


def _trend(points: list[tuple[float, float]], critical: float | None, today: date) -> Trend:
    line = _fit(points)
    if line is None:
        return Trend(None, len(points), None)
    slope, now_value = line
    full_on = None
    if critical is not None and slope >= MIN_GROWTH_PER_DAY:
        days = max(0.0, (critical - now_value) / slope)
        if days <= FORECAST_HORIZON_DAYS:
            full_on = today + timedelta(days=math.ceil(round(days, 6)))
    return Trend(round(slope, 4), len(points), full_on)


def trends(metrics: Iterable[Metric], now: datetime, limits: dict[int, Limits | None] | None = None) -> dict:
    """Each metric's Trend (a fixed number of queries whatever the number of metrics)."""
    metrics = [m for m in metrics if m.capacity]
    if not metrics:
        return {}
    limits = limits if limits is not None else limits_for(metrics)
    points = _daily_points([m.pk for m in metrics], now)
    today = timezone.localdate(now)
    return {
        m.pk: _trend(points[m.pk], limits[m.pk].critical_percent if limits.get(m.pk) else None, today) for m in metrics
    }


def forecast(metric: Metric, now: datetime) -> date | None:
    """When `metric` will reach its critical level at the rate of the last 30 days; None when it is flat,
    falling, has no capacity or has too little history (under three days)."""
    trend = trends([metric], now).get(metric.pk)
    return trend.full_on if trend else None


FULL_WORDS = {MetricKind.INTERFACE: "saturated", MetricKind.OTHER: "at its limit"}


def forecast_words(full_on: date | None, today: date, kind: str = MetricKind.DISK) -> str:
    """The forecast as people say it: "full in about 6 weeks" (an empty string when there is none)."""
    if full_on is None:
        return ""
    full = FULL_WORDS.get(kind, "full")
    days = (full_on - today).days
    if days <= 0:
        return f"{full} now"
    if days == 1:
        return f"{full} tomorrow"
    if days < 14:
        return f"{full} in about {days} days"
    if days < 9 * 7:
        return f"{full} in about {round(days / 7)} weeks"
    months = round(days / 30.44)
    if months < 24:
        return f"{full} in about {months} months"
    return f"{full} in about {round(days / 365.25)} years"


# =============================================================================
# Evaluating: alerts, tasks and incidents
# =============================================================================

TASK_STEPS = {
    MetricKind.DISK: [
        "Find what grew: the largest folders and files on the volume, and what changed recently",
        "Archive or remove what is no longer needed (old profiles, installers, duplicate media, temp files)",
        "Check backups, shadow copies and logs are pruned as the retention policy says",
        "If growth is real, plan more space or a larger volume through a change (RFC)",
    ],
    MetricKind.MEMORY: [
        "Find which processes or services use the memory, and whether it keeps growing (a leak)",
        "Restart or reconfigure the service at fault in a maintenance window",
        "If the load is real, plan more memory through a change (RFC)",
    ],
    MetricKind.INTERFACE: [
        "Find what uses the link: the busiest devices, times of day and applications",
        "Move or schedule heavy traffic (updates, backups, streaming) outside lessons",
        "If demand is real, plan a faster link or more bandwidth through a change (RFC)",
    ],
}
DEFAULT_STEPS = [
    "Find what grew, and since when",
    "Reduce the use where it is not needed",
    "If growth is real, plan more capacity through a change (RFC)",
]


def _fmt(value: float | None) -> str:
    return "unknown" if value is None else f"{value:.1f} %".replace(".0 %", " %")


def _level(percent: float, limits: Limits, trend: Trend | None, today: date) -> str | None:
    if percent >= limits.critical_percent:
        return CapacityAlert.Level.CRITICAL
    if percent >= limits.warning_percent:
        return CapacityAlert.Level.WARNING
    full_on = trend.full_on if trend else None
    if full_on is not None and limits.forecast_days and (full_on - today).days <= limits.forecast_days:
        return CapacityAlert.Level.FORECAST
    return None


def _message(metric: Metric, level: str, limits: Limits, trend: Trend | None, today: date) -> str:
    where = f"{metric.label} on {metric.ci}"
    now_text = f"{_fmt(metric.last_percent)} used"
    words = forecast_words(trend.full_on if trend else None, today, metric.kind)
    if level == CapacityAlert.Level.CRITICAL:
        text = f"{where} is at {now_text}, over its critical level of {_fmt(limits.critical_percent)}"
    elif level == CapacityAlert.Level.WARNING:
        text = f"{where} is at {now_text}, over its warning level of {_fmt(limits.warning_percent)}"
    else:
        text = f"{where} is at {now_text} and will reach {_fmt(limits.critical_percent)} soon"
    if words:
        text += f"; at its present rate {words}"
    return (text + ".")[:300]


def _title(metric: Metric, level: str) -> str:
    if level == CapacityAlert.Level.FORECAST:
        return f"Capacity: {metric.label} on {metric.ci} is filling up"[:200]
    return f"Capacity: {metric.label} on {metric.ci} at {_fmt(metric.last_percent)}"[:200]


def _raise_task(alert: CapacityAlert, metric: Metric) -> None:
    from incidents.models import TaskOrigin
    from incidents.task_services import task_raise

    due = alert.forecast_full_on
    due = min(due, timezone.localdate(alert.opened_at) + timedelta(days=14)) if due else None
    task = task_raise(
        school=metric.school,
        title=_title(metric, alert.level),
        origin=TaskOrigin.CAPACITY,
        description=f"{alert.message}\n\nSee the capacity page: {metric_url(metric)}",
        steps=TASK_STEPS.get(metric.kind, DEFAULT_STEPS),
        due_on=due,
        ci=metric.ci,
        source=alert,
        source_key=f"capacity:{alert.pk}",
    )
    alert.task = task


def _raise_incident(alert: CapacityAlert, metric: Metric, system: User) -> None:
    from incidents.models import Channel, Impact, Urgency
    from incidents.services import incident_log

    incident = incident_log(
        school=metric.school,
        logged_by=system,
        reporter=system,
        title=f"{metric.ci}: {metric.label} at {_fmt(metric.last_percent)} (critical)"[:200],
        description=(
            f"{alert.message}\n\nRaised by capacity monitoring. "
            f"{'Task ' + alert.task.reference + ' holds the checklist. ' if alert.task else ''}"
            f"History and forecast: {metric_url(metric)}"
        ),
        impact=Impact.MEDIUM,
        urgency=Urgency.HIGH,
        channel=Channel.MONITORING,
        ci=metric.ci,
    )
    alert.incident = incident


def metric_url(metric: Metric) -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("availability:capacity_metric", kwargs={"pk": metric.pk})
    except NoReverseMatch:
        return f"/availability/capacity/{metric.pk}/"


def _incidents_wanted(school_id: int) -> bool:
    """The school's monitoring settings may switch incidents off (alerts_enabled): the task is still raised."""
    return not MonitoringSettings.objects.filter(school_id=school_id, alerts_enabled=False).exists()


def _clear(alert: CapacityAlert, metric: Metric, now: datetime, system: User) -> None:
    alert.cleared_at = now
    alert.message = f"{metric.label} on {metric.ci} is back under its warning level at {_fmt(metric.last_percent)}."
    if alert.task_id:
        activity.record(
            alert.task,
            actor=system,
            kind=Activity.Kind.COMMENT,
            text=f"Capacity monitoring: {alert.message} Close this task once the work is done or not needed.",
        )


@transaction.atomic
def evaluate(*, metric_ids: Collection[int], now: datetime) -> None:
    """Hold the metrics to their thresholds: open, raise, escalate or clear their CapacityAlerts.

    Over warning, or forecast to reach critical within the threshold's look-ahead: one alert per series and
    one task for it (task_raise is idempotent on the alert), however often this runs. Over critical: also one
    incident for the alert. Back under warning (and no forecast due): the alert clears and its task gets a
    note; the task stays for a person to close. Queries: a handful for the lot, plus a few per alert that
    opens, escalates or clears.
    """
    metrics = list(
        Metric.objects.filter(pk__in=metric_ids, capacity__isnull=False, last_percent__isnull=False).select_related(
            "ci", "school"
        )
    )
    if not metrics:
        return
    limits = limits_for(metrics)
    metrics = [m for m in metrics if limits.get(m.pk)]
    if not metrics:
        return
    found_trends = trends(metrics, now, limits)
    open_alerts = {
        alert.metric_id: alert
        for alert in CapacityAlert.objects.select_for_update(of=("self",))
        .filter(metric_id__in=[m.pk for m in metrics], cleared_at__isnull=True)
        .select_related("task")
    }
    today = timezone.localdate(now)
    system = None
    changed: list[CapacityAlert] = []
    for metric in metrics:
        trend = found_trends.get(metric.pk)
        level = _level(metric.last_percent, limits[metric.pk], trend, today)
        alert = open_alerts.get(metric.pk)
        if level is None and alert is None:
            continue
        system = system or User.objects.system_account()
        if level is None:
            _clear(alert, metric, now, system)
        else:
            alert = _hold(alert, metric, level, limits[metric.pk], trend, now, system)
        changed.append(alert)
    if changed:
        CapacityAlert.objects.bulk_update(
            changed, ["level", "percent", "forecast_full_on", "message", "cleared_at", "task", "incident"]
        )


def _hold(
    alert: CapacityAlert | None,
    metric: Metric,
    level: str,
    limits: Limits,
    trend: Trend | None,
    now: datetime,
    system: User,
) -> CapacityAlert:
    """Open or update the metric's alert at `level`; raise its task, and its incident once when critical."""
    today = timezone.localdate(now)
    message = _message(metric, level, limits, trend, today)
    full_on = trend.full_on if trend else None
    if alert is None:
        alert = CapacityAlert.objects.create(
            school_id=metric.school_id,
            metric=metric,
            level=level,
            opened_at=now,
            percent=metric.last_percent,
            forecast_full_on=full_on,
            message=message,
        )
    else:
        alert.level, alert.percent, alert.forecast_full_on, alert.message = level, metric.last_percent, full_on, message
    if alert.task_id is None:
        _raise_task(alert, metric)
    if level == CapacityAlert.Level.CRITICAL and alert.incident_id is None and _incidents_wanted(metric.school_id):
        _raise_incident(alert, metric, system)
    return alert
