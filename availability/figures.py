"""Availability figures (FITS Availability Management): how much of the hours that matter a CI or a service was up.

Definitions (the report page and the service pages say the same):
- downtime: the unplanned outages (`Outage`, down or unreachable: a device nobody can reach is not available
  to its users, whatever the cause), clipped to the period and to now, within the measured hours; planned
  outages (a maintenance window, a change in progress) are counted apart as `planned_minutes` and left out;
- measured hours of a CI: the hours of support of the widest-hours active ITService that depends on it
  (through the CMDB's relationships, any depth; around the clock beats school hours, all year beats term time),
  else around the clock, since a CI no service names has no service hours to be held to. A service is
  measured within its own hours of support (servicelevels.calendars), against its availability target;
- monitoring measures only from when it first saw the CI: its first result or rollup, its state, its first
  outage; a service CI (which has no checks of its own) from the first time any CI it relies on was checked.
  So a CI added yesterday is measured over one day, not called 100 % for the month;
- availability = 100 % x (measured - downtime) / measured, two decimals; None when nothing was measured.

Every figure is worked out for many CIs at once in a fixed handful of queries (first seen, outages, the
relationship walk by level, the services and each school's calendar), whatever the number of CIs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Hashable, Iterable, Mapping
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import timezone

from availability.models import CheckResult, CIState, Outage, ResultRollup
from cmdb.models import ConfigurationItem, Kind, Relationship
from fits.models import School
from servicelevels.calendars import AROUND_THE_CLOCK, LONDON, SCHOOL_HOURS, SchoolCalendar, business_calendar
from servicelevels.clock import Interval, clip_intervals, merge_intervals, subtract_intervals, total

# Deeper than any real chain of "depends on" between a service and the devices under it.
MAX_DEPTH = 16

HOURS_WORDS = {
    (AROUND_THE_CLOCK, False): "around the clock",
    (AROUND_THE_CLOCK, True): "around the clock in term time",
    (SCHOOL_HOURS, False): "school hours",
    (SCHOOL_HOURS, True): "school hours in term time",
}


# =============================================================================
# The measurement itself
# =============================================================================


def _minutes(intervals: Iterable[Interval]) -> float:
    return total(intervals).total_seconds() / 60


def _percent(measured: float, down: float) -> float | None:
    return round(100.0 * (measured - down) / measured, 2) if measured > 0 else None


def measure(
    hours: Mapping[Hashable, tuple[int, list[Interval]]], *, until: datetime, now: datetime | None = None
) -> dict[Hashable, dict[str, Any]]:
    """The figures of each key, given the CI it measures and the hours that count (aware, within the period).

    `hours` maps any key (a CI id, a service id, a day) to (ci_id, intervals); the intervals are cut at
    `until` and now, and at the time monitoring first saw the CI. Keys: availability, downtime_minutes,
    measured_minutes, planned_minutes, outages (unplanned ones that cost measured time), monitored (the CI
    has a state or an outage of its own), measured_from. Queries: the CIs, the walk down from service CIs,
    four for first seen, one for the outages.
    """
    end = min(until, now or timezone.now())
    ci_ids = {ci_id for ci_id, _ in hours.values()}
    if not ci_ids:
        return {}
    seen, own = first_seen(ci_ids)
    starts = [iv[0] for _, ivs in hours.values() for iv in ivs]
    spans = _outages(ci_ids, since=min(starts) if starts else end, until=end)
    result = {}
    for key, (ci_id, intervals) in hours.items():
        began = seen.get(ci_id)
        counted = clip_intervals(intervals, began, end) if began and began < end else []
        down = merge_intervals(span for span, planned in spans.get(ci_id, []) if not planned)
        planned = subtract_intervals(
            merge_intervals(span for span, is_planned in spans.get(ci_id, []) if is_planned), down
        )
        measured = _minutes(counted)
        downtime = measured - _minutes(subtract_intervals(counted, down))
        planned_minutes = measured - _minutes(subtract_intervals(counted, planned))
        costly = sum(
            1
            for span, is_planned in spans.get(ci_id, [])
            if not is_planned and subtract_intervals(counted, [span]) != counted
        )
        result[key] = {
            "availability": _percent(measured - planned_minutes, downtime),
            "downtime_minutes": round(downtime),
            "measured_minutes": round(measured - planned_minutes),
            "planned_minutes": round(planned_minutes),
            "outages": costly,
            "monitored": ci_id in own,
            "measured_from": began,
        }
    return result


def _outages(ci_ids: Collection[int], *, since: datetime, until: datetime) -> dict[int, list[tuple[Interval, bool]]]:
    """Each CI's outages overlapping [since, until), open ones running to `until`. One query."""
    found: dict[int, list[tuple[Interval, bool]]] = {}
    if until <= since:
        return found
    rows = (
        Outage.objects.filter(ci_id__in=ci_ids, started_at__lt=until)
        .filter(models.Q(ended_at__isnull=True) | models.Q(ended_at__gt=since))
        .order_by()
        .values_list("ci_id", "started_at", "ended_at", "planned")
    )
    for ci_id, started, ended, planned in rows:
        start, stop = max(started, since), min(ended or until, until)
        if stop > start:
            found.setdefault(ci_id, []).append(((start.astimezone(UTC), stop.astimezone(UTC)), planned))
    return found


def first_seen(ci_ids: Collection[int]) -> tuple[dict[int, datetime], set[int]]:
    """When monitoring first saw each CI, and which CIs it watches in their own right (a state or an outage).

    Evidence: the first raw result or rollup of the CI's checks, its state's `since`, its first outage. A service
    CI has no checks: it is watched from the first time any CI it relies on was. Raw results are pruned after
    the retention period, the rollups keep the start of history.
    """
    service_ids = set(
        ConfigurationItem.objects.filter(pk__in=ci_ids, kind=Kind.SERVICE).order_by().values_list("pk", flat=True)
    )
    below = reach(service_ids, upward=False) if service_ids else {}
    wanted = set(ci_ids).union(*below.values())
    earliest: dict[int, datetime] = {}

    def note(rows: Iterable[tuple[int, datetime | None]]) -> None:
        for ci_id, at in rows:
            if at is not None and (ci_id not in earliest or at < earliest[ci_id]):
                earliest[ci_id] = at

    first = models.Min
    note(
        CheckResult.objects.filter(for_check__ci_id__in=wanted)
        .order_by()
        .values("for_check__ci_id")
        .annotate(at=first("checked_at"))
        .values_list("for_check__ci_id", "at")
    )
    note(
        ResultRollup.objects.filter(for_check__ci_id__in=wanted)
        .order_by()
        .values("for_check__ci_id")
        .annotate(at=first("starts_at"))
        .values_list("for_check__ci_id", "at")
    )
    states = list(CIState.objects.filter(ci_id__in=wanted).order_by().values_list("ci_id", "since"))
    outages = list(
        Outage.objects.filter(ci_id__in=wanted)
        .order_by()
        .values("ci_id")
        .annotate(at=first("started_at"))
        .values_list("ci_id", "at")
    )
    note(states)
    note(outages)
    own = {ci_id for ci_id, _ in states} | {ci_id for ci_id, _ in outages}
    for service_id, under in below.items():
        note((service_id, earliest.get(ci_id)) for ci_id in under)
    return {ci_id: earliest[ci_id] for ci_id in ci_ids if ci_id in earliest}, own & set(ci_ids)


def reach(ci_ids: Collection[int], *, upward: bool) -> dict[int, set[int]]:
    """Each CI's reach along CMDB relationships (any kind: the source relies on the target), at any depth.

    upward: the CIs that rely on it (up to the services); downward: the CIs it relies on. One query per level
    of the walk for all the CIs together.
    """
    near, far = ("target_id", "source_id") if upward else ("source_id", "target_id")
    adjacency: dict[int, set[int]] = {}
    seen = {ci_id: {ci_id} for ci_id in ci_ids}
    frontiers = {ci_id: {ci_id} for ci_id in ci_ids}
    for _ in range(MAX_DEPTH):
        wanted = set().union(*frontiers.values()) - adjacency.keys()
        if wanted:
            adjacency.update({ci_id: set() for ci_id in wanted})
            for a, b in Relationship.objects.filter(**{f"{near}__in": wanted}).order_by().values_list(near, far):
                adjacency[a].add(b)
        following = {}
        for root, nodes in frontiers.items():
            new = set().union(*(adjacency.get(node, set()) for node in nodes)) - seen[root]
            if new:
                seen[root] |= new
                following[root] = new
        frontiers = following
        if not frontiers:
            break
    return {ci_id: nodes - {ci_id} for ci_id, nodes in seen.items()}


# =============================================================================
# Whose hours: a CI's widest service, or around the clock
# =============================================================================


def _width(hours: str, term_time_only: bool) -> tuple[bool, bool]:
    return (hours == AROUND_THE_CLOCK, not term_time_only)


class Calendars:
    """The schools' calendars, loaded once per school (three queries each) and bent to each service's hours."""

    def __init__(self, schools: Iterable[School] = ()) -> None:
        self._given = schools  # read when a calendar is first needed: a lazy queryset costs nothing otherwise
        self._schools: dict[int, School] | None = None
        self._base: dict[int, SchoolCalendar] = {}

    def get(self, school_id: int, *, hours: str, term_time_only: bool) -> SchoolCalendar:
        if self._schools is None:
            self._schools = {school.pk: school for school in self._given}
        if school_id not in self._base:
            school = self._schools.get(school_id) or School.objects.select_related("authority").get(pk=school_id)
            self._base[school_id] = business_calendar(school)
        return dataclasses.replace(self._base[school_id], hours=hours, term_time_only=term_time_only, _days={})


def ci_hours(ci_ids: Collection[int]) -> dict[int, dict[str, Any]]:
    """Each CI's measured hours: {school_id, hours, term_time_only, service (name or "")}.

    The widest hours of the active ITServices that depend on the CI (or are it), else around the clock.
    """
    from servicelevels.models import ITService

    above = reach(ci_ids, upward=True)
    schools = dict(ConfigurationItem.objects.filter(pk__in=ci_ids).order_by().values_list("pk", "school_id"))
    services: dict[int, list[dict[str, Any]]] = {}
    for row in ITService.objects.filter(ci_id__in=set(ci_ids).union(*above.values()), is_active=True).values(
        "ci_id", "name", "hours", "term_time_only"
    ):
        services.setdefault(row["ci_id"], []).append(row)
    result = {}
    for ci_id in ci_ids:
        names = [row for node in {ci_id, *above.get(ci_id, ())} for row in services.get(node, [])]
        widest = max(names, key=lambda r: (*_width(r["hours"], r["term_time_only"]), r["name"]), default=None)
        result[ci_id] = {
            "school_id": schools.get(ci_id),
            "hours": widest["hours"] if widest else AROUND_THE_CLOCK,
            "term_time_only": widest["term_time_only"] if widest else False,
            "service": widest["name"] if widest else "",
        }
    return result


def _open(calendar: SchoolCalendar | None, since: datetime, until: datetime) -> list[Interval]:
    if until <= since:
        return []
    if calendar is None:
        return [(since.astimezone(UTC), until.astimezone(UTC))]
    return calendar.open_intervals(since, until)


# =============================================================================
# The public figures
# =============================================================================


def ci_availability(
    ci_ids: Collection[int],
    since: datetime,
    until: datetime,
    *,
    calendar: SchoolCalendar | None = None,
    now: datetime | None = None,
    schools: Iterable[School] = (),
) -> dict[int, dict[str, Any]]:
    """Per CI over [since, until): availability (% two decimals, None when nothing was measured),
    downtime_minutes, measured_minutes, planned_minutes, outages, monitored, measured_from, hours (words).

    `calendar` measures every CI within the same hours; without it each CI gets its widest service's hours
    (see the module docstring). `schools` (optional) saves the query that loads each CI's school.
    """
    ci_ids = list(dict.fromkeys(ci_ids))
    if not ci_ids:
        return {}
    now = now or timezone.now()
    end = min(until, now)
    if calendar is not None:
        shared = _open(calendar, since, end)
        hours = {ci_id: (ci_id, shared) for ci_id in ci_ids}
        words = dict.fromkeys(ci_ids, "")
    else:
        found = ci_hours(ci_ids)
        calendars = Calendars(schools)
        cache: dict[tuple[int, str, bool], list[Interval]] = {}
        hours, words = {}, {}
        for ci_id, row in found.items():
            key = (row["school_id"], row["hours"], row["term_time_only"])
            if key not in cache:
                around = row["hours"] == AROUND_THE_CLOCK and not row["term_time_only"]
                chosen = None if around else calendars.get(key[0], hours=key[1], term_time_only=key[2])
                cache[key] = _open(chosen, since, end)
            hours[ci_id] = (ci_id, cache[key])
            words[ci_id] = HOURS_WORDS[(row["hours"], row["term_time_only"])]
    figures = measure(hours, until=end, now=now)
    for ci_id, row in figures.items():
        row["hours"] = words[ci_id]
    return figures


def _judged(row: dict[str, Any], target: Decimal | float | None) -> dict[str, Any]:
    from servicelevels.figures import light

    target = float(target or 0)
    value = row["availability"]
    return {
        **row,
        "target": target,
        "met": None if value is None else value >= target,
        "light": "" if value is None else light(value, target),
    }


def _empty() -> dict[str, Any]:
    return {
        "availability": None,
        "downtime_minutes": 0,
        "measured_minutes": 0,
        "planned_minutes": 0,
        "outages": 0,
        "monitored": False,
        "measured_from": None,
    }


def services_availability(
    services: Iterable[Any],
    since: datetime,
    until: datetime,
    *,
    now: datetime | None = None,
    schools: Iterable[School] | None = None,
) -> dict[int, dict[str, Any]]:
    """Per ITService (pk): the figures of its CMDB service CI within its hours of support, with target, met,
    light and hours (words). A service with no service CI, or one monitoring never saw, has availability None
    and monitored False. One calendar per school, whatever the number of services (`schools`, optional, saves
    loading them).
    """
    services = list(services)
    now = now or timezone.now()
    end = min(until, now)
    if schools is None:
        schools = School.objects.select_related("authority").filter(pk__in={s.school_id for s in services})
    calendars = Calendars(schools)
    hours = {}
    for service in services:
        if service.ci_id:
            around = service.hours == AROUND_THE_CLOCK and not service.term_time_only
            chosen = None
            if not around:
                chosen = calendars.get(service.school_id, hours=service.hours, term_time_only=service.term_time_only)
            hours[service.pk] = (service.ci_id, _open(chosen, since, end))
    figures = measure(hours, until=end, now=now)
    return {
        service.pk: {
            **_judged(figures.get(service.pk) or _empty(), service.availability_target),
            "hours": HOURS_WORDS[(service.hours, service.term_time_only)],
            "source": "monitoring",
        }
        for service in services
    }


def service_availability(service: Any, since: datetime, until: datetime, *, now: datetime | None = None) -> dict:
    """One ITService's availability over [since, until) within its hours of support, against its target."""
    return services_availability([service], since, until, now=now)[service.pk]


def daily_availability(
    service: Any, since: datetime, until: datetime, *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """The service's availability day by day (London days), for a chart: [{day, availability, downtime_minutes}].

    Days outside its hours of support (a weekend in school hours) have availability None. Same queries as one
    figure.
    """
    now = now or timezone.now()
    end = min(until, now)
    if not service.ci_id or end <= since:
        return []
    around = service.hours == AROUND_THE_CLOCK and not service.term_time_only
    chosen = (
        None
        if around
        else Calendars().get(service.school_id, hours=service.hours, term_time_only=service.term_time_only)
    )
    support = _open(chosen, since, end)
    hours = {}
    day = since.astimezone(LONDON).date()
    while (start := datetime.combine(day, time.min, tzinfo=LONDON)) < end:
        stop = datetime.combine(day + timedelta(days=1), time.min, tzinfo=LONDON)
        hours[day] = (service.ci_id, clip_intervals(support, max(start, since), min(stop, end)))
        day += timedelta(days=1)
    figures = measure(hours, until=end, now=now)
    return [
        {"day": day, "availability": row["availability"], "downtime_minutes": row["downtime_minutes"]}
        for day, row in figures.items()
    ]
