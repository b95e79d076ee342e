"""Every number the service-level dashboards and reports show, from SQL (FITS Service Level: the service report).

Figures over a period are sums of `DailyFigures` rows (servicelevels.rollups keeps them), so a term or a year
costs one grouped query whatever its length; what is true *now* (open tickets, the oldest) comes from small
live queries on the tickets, and breaches from the clock events. Rates are per cent (floats, one decimal) or
None when there is nothing to divide by, so "no tickets this term" never reads as 0 %.

Definitions (the help texts on the pages say the same):
- % responded in time: first responses in the period within their target, of all first responses;
- % resolved in time: resolutions in the period within their target, of all resolutions;
- % within SLA: both clocks together: of the targets measured in the period (responses and resolutions), the
  share that was met;
- first-time fix: resolutions at first contact (the desk fixed it while the caller was there), of resolutions;
- reopen rate: resolutions of tickets that had been reopened on the way, of resolutions;
- mean time to resolve: wall-clock time from logging to resolution, averaged over the period's resolutions;
- tickets per 100 devices: tickets logged in the period per 100 of the school's devices in the CMDB (live, in
  stock or in repair hardware: computers, peripherals, displays, printers, network devices; not cabling);
- availability of a service: the share of its hours of support in the period (up to now) it was up. When
  monitoring watches its CMDB service CI (the CI has a state or outages), from the outages monitoring saw
  (availability.figures: unplanned ones, from when monitoring first saw it); otherwise 100 % minus the downtime
  of its P1 (critical, whole-service) incidents. Each row says which: source "monitoring" or "tickets".
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import timezone

from cmdb.models import Kind as CIKind
from cmdb.models import LifecycleStatus
from fits.models import School
from incidents.models import OPEN_STATUSES, Incident, Priority, TicketKind
from servicelevels.calendars import LONDON, business_calendar
from servicelevels.clock import subtract_intervals, total
from servicelevels.models import ClockEvent, DailyFigures, ITService
from servicelevels.periods import Period
from servicelevels.rollups import COUNTS

# What "good" looks like on the traffic lights: at or above TARGET green, within AMBER_MARGIN points amber.
TARGET_WITHIN_SLA = 90.0
TARGET_FIRST_TIME_FIX = 30.0
TARGET_REOPEN = 5.0  # at most
TARGET_SATISFACTION = 4.0  # of 5
AMBER_MARGIN = 10.0

DEVICE_KINDS = tuple(
    kind
    for kind in CIKind
    if kind not in (CIKind.OPERATING_SYSTEM, CIKind.SOFTWARE, CIKind.SERVICE, CIKind.PATCH_PANEL, CIKind.WALL_SOCKET)
)
GONE = (LifecycleStatus.RETIRED, LifecycleStatus.DISPOSED)

# Every column of DailyFigures is a count or a sum, so periods add up (the rollup fills the same columns).
SUMS = COUNTS

HELP = {
    "pct_within_sla": "Of the response and resolution targets measured in the period, the share met.",
    "pct_responded_in_time": "First responses in the period within their target, of all first responses.",
    "pct_resolved_in_time": "Resolutions in the period within their target, of all resolutions.",
    "pct_first_time_fix": "Resolved at first contact, while the caller was there, of all resolutions.",
    "pct_reopened": "Resolutions of tickets that had been reopened on the way, of all resolutions.",
    "mean_resolve_minutes": "Wall-clock time from logging to resolution, averaged over the period's resolutions.",
    "tickets_per_100_devices": "Tickets logged in the period per 100 devices in the school's CMDB.",
    "availability": "Share of the service's hours of support in the period so far that it was up: from the outages "
    "monitoring saw when it watches the service, else 100 % minus the downtime of its P1 (whole-service) incidents.",
    "satisfaction_mean": "Callers' ratings of resolved tickets, 1 (very poor) to 5 (excellent).",
    "breaches": "Response or resolution targets missed in the period (recorded when the clock passed them).",
}


# =============================================================================
# Small helpers
# =============================================================================


def pct(part: int | None, whole: int | None) -> float | None:
    if not whole:
        return None
    return round(100.0 * (part or 0) / whole, 1)


def rates(sums: dict[str, int]) -> dict[str, Any]:
    """The rates a set of summed DailyFigures columns gives."""
    resolved = sums.get("resolved") or 0
    measured = (sums.get("responded") or 0) + resolved
    met = (sums.get("responded_in_time") or 0) + (sums.get("resolved_in_time") or 0)
    count = sums.get("satisfaction_count") or 0
    return {
        "pct_responded_in_time": pct(sums.get("responded_in_time"), sums.get("responded")),
        "pct_resolved_in_time": pct(sums.get("resolved_in_time"), resolved),
        "pct_within_sla": pct(met, measured),
        "pct_first_time_fix": pct(sums.get("first_contact_fixes"), resolved),
        "pct_reopened": pct(sums.get("reopened"), resolved),
        "mean_resolve_minutes": round((sums.get("resolve_minutes") or 0) / resolved) if resolved else None,
        "satisfaction_mean": round((sums.get("satisfaction_sum") or 0) / count, 2) if count else None,
        "satisfaction_count": count,
    }


def light(value: float | None, target: float, *, lower_is_better: bool = False) -> str:
    """Traffic light of a figure against its target: "green", "amber", "red", or "" when there is no figure."""
    if value is None:
        return ""
    gap = (target - value) if not lower_is_better else (value - target)
    if gap <= 0:
        return "green"
    return "amber" if gap <= (AMBER_MARGIN if target > 5 else AMBER_MARGIN / 10) else "red"


def _sums(**filters: Any) -> dict[str, models.Aggregate]:
    return {name: models.Sum(name, **filters) for name in SUMS}


def _zero() -> dict[str, int]:
    return dict.fromkeys(SUMS, 0)


def _add(target: dict[str, int], row: dict[str, Any]) -> None:
    for name in SUMS:
        target[name] += row.get(name) or 0


def _age_days(since: datetime | None, now: datetime) -> float | None:
    if since is None:
        return None
    return round((now - since).total_seconds() / 86400, 1)


def _bounds(period: Period) -> tuple[datetime, datetime]:
    """The period as aware instants: London midnight of its first day to London midnight after its last."""
    return (
        datetime.combine(period.starts, time.min, tzinfo=LONDON),
        datetime.combine(period.ends + timedelta(days=1), time.min, tzinfo=LONDON),
    )


# =============================================================================
# One school
# =============================================================================


def school_summary(school: School, period: Period, *, now: datetime | None = None) -> dict[str, Any]:
    """One school's figures for `period`.

    Keys: logged, responded, responded_in_time, resolved, resolved_in_time, first_contact_fixes, reopened,
    pct_responded_in_time, pct_resolved_in_time, pct_within_sla (both clocks together), pct_first_time_fix,
    pct_reopened, mean_resolve_minutes, satisfaction_mean, satisfaction_count, open_now, oldest_open_at,
    oldest_open_days, breaches, by_priority [{priority, label, logged, resolved, pct_within_sla}],
    by_service [{service_id, name, logged, resolved, pct_within_sla}], by_kind [{kind, label, logged, resolved}],
    availability (see `service_availability`), targets {within_sla, first_time_fix, reopen, satisfaction}.
    Costs a fixed handful of queries (figures, services, open tickets, breaches, P1 downtime, the calendar).
    """
    now = now or timezone.now()
    rows = list(
        DailyFigures.objects.filter(school=school, day__gte=period.starts, day__lte=period.ends)
        .values("priority", "kind", "service_id")
        .order_by()
        .annotate(**_sums())
    )
    totals = _zero()
    by_priority: dict[int, dict[str, int]] = {}
    by_kind: dict[str, dict[str, int]] = {}
    by_service: dict[int | None, dict[str, int]] = {}
    for row in rows:
        _add(totals, row)
        _add(by_priority.setdefault(row["priority"], _zero()), row)
        _add(by_kind.setdefault(row["kind"], _zero()), row)
        _add(by_service.setdefault(row["service_id"], _zero()), row)

    services = list(
        ITService.objects.filter(school=school).values(
            "pk", "name", "is_active", "availability_target", "hours", "term_time_only", "ci_id"
        )
    )
    names = {service["pk"]: service["name"] for service in services}
    live = Incident.objects.filter(school=school).aggregate(
        open_now=models.Count("pk", filter=models.Q(status__in=OPEN_STATUSES)),
        oldest_open_at=models.Min("created_at", filter=models.Q(status__in=OPEN_STATUSES)),
    )
    since, until = _bounds(period)
    breaches = ClockEvent.objects.filter(
        school=school, level=ClockEvent.Level.BREACH, reached_at__gte=since, reached_at__lt=until
    ).count()

    def split(sums: dict[str, int]) -> dict[str, Any]:
        chosen = rates(sums)
        return {
            "logged": sums["logged"],
            "resolved": sums["resolved"],
            "pct_within_sla": chosen["pct_within_sla"],
            "pct_resolved_in_time": chosen["pct_resolved_in_time"],
        }

    summary: dict[str, Any] = {
        "school": {"id": school.pk, "slug": school.slug, "name": school.name},
        "period": period.as_dict(),
        **{name: totals[name] for name in SUMS if not name.startswith("satisfaction")},
        **rates(totals),
        "open_now": live["open_now"],
        "oldest_open_at": live["oldest_open_at"],
        "oldest_open_days": _age_days(live["oldest_open_at"], now),
        "breaches": breaches,
        "by_priority": [
            {"priority": p.value, "label": p.label, **split(by_priority.get(p.value, _zero()))} for p in Priority
        ],
        "by_kind": [{"kind": k.value, "label": k.label, **split(by_kind.get(k.value, _zero()))} for k in TicketKind],
        "by_service": sorted(
            (
                {"service_id": pk, "name": names.get(pk, "No service named"), **split(sums)}
                for pk, sums in by_service.items()
            ),
            key=lambda row: (-row["logged"], row["name"]),
        ),
        "availability": _availability(school, period, [s for s in services if s["is_active"]], now=now),
        "targets": {
            "within_sla": TARGET_WITHIN_SLA,
            "first_time_fix": TARGET_FIRST_TIME_FIX,
            "reopen": TARGET_REOPEN,
            "satisfaction": TARGET_SATISFACTION,
        },
    }
    summary["lights"] = {
        "pct_within_sla": light(summary["pct_within_sla"], TARGET_WITHIN_SLA),
        "pct_responded_in_time": light(summary["pct_responded_in_time"], TARGET_WITHIN_SLA),
        "pct_resolved_in_time": light(summary["pct_resolved_in_time"], TARGET_WITHIN_SLA),
        "pct_first_time_fix": light(summary["pct_first_time_fix"], TARGET_FIRST_TIME_FIX),
        "pct_reopened": light(summary["pct_reopened"], TARGET_REOPEN, lower_is_better=True),
        "satisfaction_mean": light(summary["satisfaction_mean"], TARGET_SATISFACTION),
    }
    return summary


def school_trend(school: School, periods: Sequence[Period]) -> list[dict[str, Any]]:
    """Per period (oldest first): {period, label, logged, resolved, pct_within_sla, satisfaction_mean}. One query.

    Periods before the school's first ticket are left out (a school new to the product has no empty terms to
    show); the latest period is always kept.
    """
    periods = sorted(periods, key=lambda p: p.starts)
    if not periods:
        return []
    bucket = models.Case(
        *[models.When(day__gte=p.starts, day__lte=p.ends, then=models.Value(i)) for i, p in enumerate(periods)],
        default=models.Value(-1),
        output_field=models.IntegerField(),
    )
    found = {
        row["bucket"]: row
        for row in DailyFigures.objects.filter(
            school=school, day__gte=periods[0].starts, day__lte=max(p.ends for p in periods)
        )
        .annotate(bucket=bucket)
        .values("bucket")
        .order_by()
        .annotate(**_sums())
    }
    trend = []
    for i, period in enumerate(periods):
        sums = _zero()
        _add(sums, found.get(i, {}))
        chosen = rates(sums)
        trend.append(
            {
                "period": period.as_dict(),
                "label": period.label,
                "logged": sums["logged"],
                "resolved": sums["resolved"],
                "pct_within_sla": chosen["pct_within_sla"],
                "pct_resolved_in_time": chosen["pct_resolved_in_time"],
                "satisfaction_mean": chosen["satisfaction_mean"],
            }
        )
    while len(trend) > 1 and not (trend[0]["logged"] or trend[0]["resolved"]):
        trend.pop(0)
    return trend


def service_availability(school: School, period: Period, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Per active service: {service_id, name, target, availability, downtime_minutes, support_minutes, met, light}."""
    services = list(
        ITService.objects.filter(school=school, is_active=True).values(
            "pk", "name", "is_active", "availability_target", "hours", "term_time_only", "ci_id"
        )
    )
    return _availability(school, period, services, now=now or timezone.now())


def availability_of(service: ITService, period: Period, *, now: datetime | None = None) -> dict[str, Any]:
    """One service's availability over `period`, as the dashboards show it (with its source), retired or not."""
    row = {
        "pk": service.pk,
        "name": service.name,
        "is_active": service.is_active,
        "availability_target": service.availability_target,
        "hours": service.hours,
        "term_time_only": service.term_time_only,
        "ci_id": service.ci_id,
    }
    return _availability(service.school, period, [row], now=now or timezone.now())[0]


def _availability(
    school: School, period: Period, services: list[dict[str, Any]], *, now: datetime
) -> list[dict[str, Any]]:
    if not services:
        return []
    since, until = _bounds(period)
    until = min(until, now)
    outages: dict[int, list[tuple[datetime, datetime]]] = {}
    if until > since:
        for service_id, created_at, resolved_at in Incident.objects.filter(
            models.Q(resolved_at__isnull=True) | models.Q(resolved_at__gt=since),
            school=school,
            priority=Priority.CRITICAL,
            service_id__in=[s["pk"] for s in services],
            created_at__lt=until,
        ).values_list("service_id", "created_at", "resolved_at"):
            outages.setdefault(service_id, []).append((max(created_at, since), min(resolved_at or until, until)))
    base = business_calendar(school) if until > since else None  # its rows load once; the hours vary per service
    result = []
    supports: dict[int, list[tuple[datetime, datetime]]] = {}
    for service in services:
        support_minutes = downtime_minutes = 0.0
        if base is not None:
            calendar = dataclasses.replace(
                base, term_time_only=service["term_time_only"], hours=service["hours"], _days={}
            )
            support = supports[service["pk"]] = calendar.open_intervals(since.astimezone(UTC), until.astimezone(UTC))
            support_minutes = sum((end - start).total_seconds() for start, end in support) / 60
            down = [(s.astimezone(UTC), e.astimezone(UTC)) for s, e in outages.get(service["pk"], [])]
            downtime_minutes = (total(support) - total(subtract_intervals(support, down))).total_seconds() / 60
        availability = round(100.0 * (1 - downtime_minutes / support_minutes), 2) if support_minutes else None
        target = float(service["availability_target"] or Decimal("0"))
        result.append(
            {
                "service_id": service["pk"],
                "name": service["name"],
                "target": target,
                "availability": availability,
                "downtime_minutes": round(downtime_minutes),
                "support_minutes": round(support_minutes),
                "met": None if availability is None else availability >= target,
                "light": "" if availability is None else light(availability, target),
                "source": "tickets",
            }
        )
    _from_monitoring(result, services, supports, until=until, now=now)
    return result


def _from_monitoring(
    rows: list[dict[str, Any]],
    services: list[dict[str, Any]],
    supports: dict[int, list[tuple[datetime, datetime]]],
    *,
    until: datetime,
    now: datetime,
) -> None:
    """Replace the ticket figures of the services whose CMDB service CI monitoring watches (fixed queries)."""
    from availability.figures import measure  # availability sits beside servicelevels: imported when used

    hours = {s["pk"]: (s["ci_id"], supports[s["pk"]]) for s in services if s.get("ci_id") and s["pk"] in supports}
    if not hours:
        return
    seen = measure(hours, until=until, now=now)
    for row in rows:
        found = seen.get(row["service_id"])
        if found and found["monitored"]:
            value, target = found["availability"], row["target"]
            row.update(
                availability=value,
                downtime_minutes=found["downtime_minutes"],
                support_minutes=found["measured_minutes"],
                met=None if value is None else value >= target,
                light="" if value is None else light(value, target),
                source="monitoring",
            )


# =============================================================================
# An authority: every school side by side
# =============================================================================

TABLE_COLUMNS = (
    ("logged", "Logged"),
    ("tickets_per_100_devices", "Per 100 devices"),
    ("pct_within_sla", "Within SLA"),
    ("pct_first_time_fix", "First-time fix"),
    ("pct_reopened", "Reopened"),
    ("oldest_open_days", "Oldest open (days)"),
    ("satisfaction_mean", "Satisfaction"),
    ("breaches", "Breaches"),
)


def authority_table(schools: Iterable[School], period: Period, *, now: datetime | None = None) -> dict[str, Any]:
    """Schools side by side, normalised; four queries whatever the number of schools.

    Returns {"rows": [{school, logged, resolved, devices, tickets_per_100_devices, pct_within_sla,
    pct_responded_in_time, pct_resolved_in_time, pct_first_time_fix, pct_reopened, mean_resolve_minutes,
    oldest_open_days, open_now, satisfaction_mean, satisfaction_count, breaches, lights}], "totals": {...},
    "median": {...}} with rows in the order the schools came.
    """
    now = now or timezone.now()
    schools = list(schools)
    ids = [school.pk for school in schools]
    since, until = _bounds(period)
    figures = {
        row["school_id"]: row
        for row in DailyFigures.objects.filter(school_id__in=ids, day__gte=period.starts, day__lte=period.ends)
        .values("school_id")
        .order_by()
        .annotate(**_sums())
    }
    devices = device_counts(ids)
    live = {
        row["school_id"]: row
        for row in Incident.objects.filter(school_id__in=ids, status__in=OPEN_STATUSES)
        .values("school_id")
        .order_by()
        .annotate(open_now=models.Count("pk"), oldest_open_at=models.Min("created_at"))
    }
    breaches = dict(
        ClockEvent.objects.filter(
            school_id__in=ids, level=ClockEvent.Level.BREACH, reached_at__gte=since, reached_at__lt=until
        )
        .values("school_id")
        .order_by()
        .annotate(n=models.Count("pk"))
        .values_list("school_id", "n")
    )
    rows, totals = [], _zero()
    total_devices = total_breaches = total_open = 0
    oldest_of_all = None
    for school in schools:
        sums = _zero()
        _add(sums, figures.get(school.pk, {}))
        _add(totals, sums)
        count = devices.get(school.pk, 0)
        open_row = live.get(school.pk, {})
        oldest = open_row.get("oldest_open_at")
        total_devices += count
        total_breaches += breaches.get(school.pk, 0)
        total_open += open_row.get("open_now", 0)
        if oldest and (oldest_of_all is None or oldest < oldest_of_all):
            oldest_of_all = oldest
        rows.append(
            _table_row(
                sums,
                devices=count,
                open_now=open_row.get("open_now", 0),
                oldest=oldest,
                breaches=breaches.get(school.pk, 0),
                now=now,
                school={"id": school.pk, "slug": school.slug, "name": school.name},
            )
        )
    total_row = _table_row(
        totals,
        devices=total_devices,
        open_now=total_open,
        oldest=oldest_of_all,
        breaches=total_breaches,
        now=now,
        school={"id": None, "slug": "", "name": "All schools"},
    )
    median_row: dict[str, Any] = {"school": {"id": None, "slug": "", "name": "Median school"}}
    for key, _ in (*TABLE_COLUMNS, ("devices", ""), ("open_now", "")):
        values = [row[key] for row in rows if row[key] is not None]
        median_row[key] = round(statistics.median(values), 1) if values else None
    median_row["lights"] = _lights(median_row)
    return {"period": period.as_dict(), "rows": rows, "totals": total_row, "median": median_row}


def _table_row(
    sums: dict[str, int],
    *,
    devices: int,
    open_now: int,
    oldest: datetime | None,
    breaches: int,
    now: datetime,
    school: dict[str, Any],
) -> dict[str, Any]:
    row = {
        "school": school,
        "logged": sums["logged"],
        "resolved": sums["resolved"],
        "devices": devices,
        "tickets_per_100_devices": round(100.0 * sums["logged"] / devices, 1) if devices else None,
        **rates(sums),
        "open_now": open_now,
        "oldest_open_days": _age_days(oldest, now),
        "breaches": breaches,
    }
    row["lights"] = _lights(row)
    return row


def _lights(row: dict[str, Any]) -> dict[str, str]:
    return {
        "pct_within_sla": light(row.get("pct_within_sla"), TARGET_WITHIN_SLA),
        "pct_first_time_fix": light(row.get("pct_first_time_fix"), TARGET_FIRST_TIME_FIX),
        "pct_reopened": light(row.get("pct_reopened"), TARGET_REOPEN, lower_is_better=True),
        "satisfaction_mean": light(row.get("satisfaction_mean"), TARGET_SATISFACTION),
    }


def device_counts(school_ids: list[int]) -> dict[int, int]:
    """The schools' devices in the CMDB (not retired or disposed), counted in one grouped query."""
    from cmdb.models import ConfigurationItem

    return dict(
        ConfigurationItem.objects.filter(school_id__in=school_ids, kind__in=DEVICE_KINDS)
        .exclude(status__in=GONE)
        .values("school_id")
        .order_by()
        .annotate(n=models.Count("pk"))
        .values_list("school_id", "n")
    )
