"""Service levels of a ticket: which agreement and target apply, and its clock (due times, met flags).

The one place that knows how a ticket's clock is set (README, "Service levels: how due times are worked out"):

- The agreement: the school's agreed SLA in force on the day the ticket was logged that covers its ICT
  service (an agreement naming no services covers them all; one naming the service wins). None: the
  built-in targets below, over the school's calendar in school hours, all year.
- The target: the agreement's most specific ServiceTarget for the ticket's priority (service and kind,
  then service, then kind, then the priority alone); a priority the agreement leaves out falls back
  to the built-in target.
- The clock starts when the ticket is logged and runs in the agreement's hours (school hours or around
  the clock; term time only or all year) over the school's calendar, pausing while the ticket waits on
  the caller (on hold awaiting the caller; resolved until reopened), see servicelevels.clock.
- A due time is None while the clock is stopped with the target not yet used up. Once responded to
  (resolved), the response (resolution) due stays the one the ticket was measured against.
- `clock_check_at` is when breach detection (servicelevels.breaches) next has something to do: the
  earliest warning, breach or escalation of a running clock that has not been recorded yet.

The clock's fields are written with a queryset update (no history row: they follow from the status and
priority changes that are history).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from incidents.models import Incident, Priority, Status
from servicelevels import calendars, clock
from servicelevels.models import Agreement, ClockEvent, ITService, ServiceTarget, SupportHours

logger = logging.getLogger(__name__)

#: Minutes of business time (school hours: a "day" is 8 h of clock) per priority: (respond, resolve).
#: They apply when a school has no agreed SLA, so every ticket has due times.
BUILT_IN_TARGETS: dict[int, tuple[int, int]] = {
    Priority.CRITICAL: (30, 4 * 60),  # P1: respond in 30 min, resolve in 4 h
    Priority.HIGH: (60, 8 * 60),  # P2: 1 h, 8 h (one school day)
    Priority.MEDIUM: (4 * 60, 3 * 8 * 60),  # P3: 4 h, 3 days
    Priority.LOW: (8 * 60, 5 * 8 * 60),  # P4: 1 day, 5 days
    Priority.PLANNING: (2 * 8 * 60, 10 * 8 * 60),  # P5: 2 days, 10 days
}
#: The built-in targets warn and escalate like a new agreement does (Agreement's defaults).
BUILT_IN_WARNING_PERCENT = 75
BUILT_IN_ESCALATION_PERCENT = 150

CLOCKS = (ClockEvent.Clock.RESPONSE, ClockEvent.Clock.RESOLUTION)
#: The ticket fields the clock writes.
CLOCK_FIELDS = ["agreement", "response_due_at", "resolution_due_at", "response_met", "resolution_met", "clock_check_at"]
STOPPED_STATUSES = (Status.RESOLVED, Status.CLOSED)


# =============================================================================
# Which service, agreement and target apply
# =============================================================================


def service_for(*, school, ci=None) -> ITService | None:
    """The ICT service a ticket counts against, when the caller names none: the service whose CMDB
    service is the ticket's CI, else the nearest service that relies on the CI (cmdb impact analysis),
    else the school's default service. None when the school has no catalogue yet."""
    active = ITService.objects.filter(school=school, is_active=True)
    if ci is not None:
        direct = active.filter(ci=ci).order_by("name").first()
        if direct is not None:
            return direct
        from cmdb.models import Kind
        from cmdb.topology import impact

        if ci.kind != Kind.SERVICE and active.filter(ci__isnull=False).exists():
            order = [item.pk for item in impact(ci).services]  # nearest first
            if order:
                found = {service.ci_id: service for service in active.filter(ci_id__in=order)}
                for pk in order:
                    if pk in found:
                        return found[pk]
    return next(iter(active.filter(is_default=True).order_by()[:1]), None)  # one at most (a constraint)


@dataclass
class _Agreements:
    """A school's agreed SLAs with the ids of the services each names (loaded once per school)."""

    rows: list[tuple[Agreement, frozenset[int]]]


def _agreements_of(school_ids: Iterable[int]) -> dict[int, _Agreements]:
    """Agreed SLAs of the schools, with their services: two queries whatever the number of schools."""
    school_ids = list(school_ids)
    rows = list(
        Agreement.objects.filter(
            school_id__in=school_ids, kind=Agreement.Kind.SLA, status=Agreement.Status.AGREED
        ).order_by("-starts", "pk")
    )
    through = Agreement.services.through
    named: dict[int, set[int]] = {}
    if rows:
        for agreement_id, service_id in through.objects.filter(agreement_id__in=[a.pk for a in rows]).values_list(
            "agreement_id", "itservice_id"
        ):
            named.setdefault(agreement_id, set()).add(service_id)
    result = {pk: _Agreements(rows=[]) for pk in school_ids}
    for agreement in rows:
        result[agreement.school_id].rows.append((agreement, frozenset(named.get(agreement.pk, ()))))
    return result


def _pick_agreement(found: _Agreements, incident: Incident) -> Agreement | None:
    day = timezone.localdate(incident.created_at) if incident.created_at else timezone.localdate()
    best: tuple[int, Agreement] | None = None
    for agreement, services in found.rows:  # newest first
        if agreement.starts > day or (agreement.ends is not None and agreement.ends < day):
            continue
        if services and incident.service_id not in services:
            continue
        rank = 0 if services else 1  # naming the service explicitly wins over "all services"
        if best is None or rank < best[0]:
            best = (rank, agreement)
    return best[1] if best else None


def agreement_for(incident: Incident) -> Agreement | None:
    """The school's agreed SLA that applies to the ticket; None means the built-in targets."""
    return _pick_agreement(_agreements_of([incident.school_id])[incident.school_id], incident)


def _rank_target(target: ServiceTarget, *, service_id: int | None, kind: str) -> int | None:
    if target.service_id is not None and target.service_id != service_id:
        return None
    if target.ticket_kind and target.ticket_kind != kind:
        return None
    return (0 if target.service_id else 2) + (0 if target.ticket_kind else 1)


def target_for(
    agreement: Agreement | None,
    *,
    priority: int,
    service_id: int | None,
    kind: str,
    targets: Iterable[ServiceTarget] | None = None,
) -> tuple[int, int]:
    """(response_minutes, resolution_minutes) for a ticket: the agreement's most specific target
    (service and kind, service, kind, the priority alone), else the built-in one. `targets`: the
    agreement's targets if already loaded (else one query)."""
    if agreement is not None:
        if targets is None:
            targets = ServiceTarget.objects.filter(agreement=agreement, priority=priority)
        ranked = [
            (rank, target)
            for target in targets
            if target.priority == priority
            and (rank := _rank_target(target, service_id=service_id, kind=kind)) is not None
        ]
        if ranked:
            target = min(ranked, key=lambda pair: pair[0])[1]
            return target.response_minutes, target.resolution_minutes
    return BUILT_IN_TARGETS[Priority(priority)]


# =============================================================================
# Computing a ticket's clock
# =============================================================================


@dataclass
class Context:
    """What clocks share: calendars per school and clock kind, agreements per school, targets per
    agreement. One per refresh of many tickets, so the same rows are not read again."""

    schools: dict[int, Any] = field(default_factory=dict)
    agreements: dict[int, _Agreements] = field(default_factory=dict)
    targets: dict[int, list[ServiceTarget]] = field(default_factory=dict)
    calendars: dict[tuple[int, bool, str], calendars.SchoolCalendar] = field(default_factory=dict)

    def agreement(self, incident: Incident) -> Agreement | None:
        if incident.school_id not in self.agreements:
            self.agreements.update(_agreements_of([incident.school_id]))
        return _pick_agreement(self.agreements[incident.school_id], incident)

    def target(self, agreement: Agreement | None, incident: Incident) -> tuple[int, int]:
        if agreement is not None and agreement.pk not in self.targets:
            self.targets[agreement.pk] = list(ServiceTarget.objects.filter(agreement=agreement))
        return target_for(
            agreement,
            priority=incident.priority,
            service_id=incident.service_id,
            kind=incident.kind,
            targets=self.targets.get(agreement.pk) if agreement else None,
        )

    def calendar(self, incident: Incident, agreement: Agreement | None) -> calendars.SchoolCalendar:
        tto = agreement.term_time_only if agreement else False
        hours = agreement.hours if agreement else SupportHours.SCHOOL_HOURS
        key = (incident.school_id, tto, hours)
        if key not in self.calendars:
            school = self.schools.get(incident.school_id) or incident.school
            same_school = [k for k in self.calendars if k[0] == incident.school_id]
            if same_school:  # the rows are the school's; only the view (hours, term time) differs
                base = self.calendars[same_school[0]]
                self.calendars[key] = calendars.SchoolCalendar(
                    nation=base.nation,
                    hours_by_weekday=base.hours_by_weekday,
                    terms=base.terms,
                    closures=base.closures,
                    term_time_only=tto,
                    hours=hours,
                )
            else:
                self.calendars[key] = calendars.business_calendar(school, term_time_only=tto, hours=hours)
        return self.calendars[key]


@dataclass
class Threshold:
    """A warning, breach or escalation of one clock: when it is (or was) reached."""

    clock: str
    level: str
    at: datetime
    due: datetime
    percent: int


@dataclass
class ClockState:
    """A ticket's clock as computed now: what is stored on the ticket, and what is still to come."""

    agreement: Agreement | None
    response_minutes: int
    resolution_minutes: int
    warning_percent: int
    escalation_percent: int | None
    response_due_at: datetime | None
    resolution_due_at: datetime | None
    response_met: bool | None
    resolution_met: bool | None
    thresholds: list[Threshold]  # of the running clocks, not yet recorded, soonest first
    calendar: Any = None
    pauses: list = field(default_factory=list)

    @property
    def clock_check_at(self) -> datetime | None:
        return self.thresholds[0].at if self.thresholds else None

    def fields(self) -> dict[str, Any]:
        return {
            "agreement": self.agreement,
            "response_due_at": self.response_due_at,
            "resolution_due_at": self.resolution_due_at,
            "response_met": self.response_met,
            "resolution_met": self.resolution_met,
            "clock_check_at": self.clock_check_at,
        }


def _changes_of(incident: Incident, rows: list[tuple[datetime, str, str]] | None) -> list[tuple[datetime, str, str]]:
    """The ticket's status changes (from its history), with the current status made sure of."""
    if rows is None:
        rows = list(incident.history.order_by("history_date").values_list("history_date", "status", "hold_reason"))
    changes = [(at, status, reason or "") for at, status, reason in rows]
    if not changes and incident.created_at:
        changes = [(incident.created_at, incident.status, incident.hold_reason or "")]
    elif changes and (changes[-1][1], changes[-1][2]) != (incident.status, incident.hold_reason or ""):
        changes.append((incident.updated_at or timezone.now(), incident.status, incident.hold_reason or ""))
    return changes


def _due(
    calendar, start: datetime, minutes: float, changes, stop: datetime | None
) -> tuple[datetime | None, list[clock.Interval]]:
    """When `minutes` of the clock have run since `start`. With `stop` (responded, resolved, closed),
    the due time the ticket was measured against: the pauses known then, a pause in force ending then."""
    if stop is not None:
        pauses = clock.pauses_from_history([c for c in changes if c[0] <= stop], until=stop)
    else:
        pauses = clock.pauses_from_history(changes)
    try:
        return clock.add_business_time(calendar, start, timedelta(minutes=minutes), pauses), pauses
    except clock.ClockStopped:
        return None, pauses
    except clock.ClockError as error:  # a calendar that never opens: no due time rather than a crash
        logger.warning("No due time for a ticket logged at %s: %s", start.isoformat(), error)
        return None, pauses


def compute(
    incident: Incident,
    *,
    ctx: Context | None = None,
    history: list[tuple[datetime, str, str]] | None = None,
    recorded: set[tuple[str, str]] | None = None,
) -> ClockState:
    """Work out the ticket's clock (reads the agreement, targets, calendar, history and clock events
    unless given). `recorded`: the (clock, level) pairs already recorded as ClockEvents."""
    ctx = ctx or Context()
    agreement = ctx.agreement(incident)
    response_minutes, resolution_minutes = ctx.target(agreement, incident)
    cal = ctx.calendar(incident, agreement)
    changes = _changes_of(incident, history)
    start = incident.created_at
    closed = incident.status == Status.CLOSED
    stop_resolution = incident.resolved_at or (incident.closed_at or incident.updated_at if closed else None)
    stop_response = incident.first_response_at or stop_resolution
    response_due, _ = _due(cal, start, response_minutes, changes, stop_response)
    resolution_due, pauses = _due(cal, start, resolution_minutes, changes, stop_resolution)
    response_met = incident.first_response_at <= response_due if incident.first_response_at and response_due else None
    resolution_met = incident.resolved_at <= resolution_due if incident.resolved_at and resolution_due else None

    warning = agreement.warning_percent if agreement else BUILT_IN_WARNING_PERCENT
    escalation = agreement.escalation_percent if agreement else BUILT_IN_ESCALATION_PERCENT
    thresholds: list[Threshold] = []
    running = {
        ClockEvent.Clock.RESPONSE: (stop_response is None, response_minutes, response_due),
        ClockEvent.Clock.RESOLUTION: (stop_resolution is None, resolution_minutes, resolution_due),
    }
    if incident.status not in STOPPED_STATUSES:
        if recorded is None:
            recorded = set(ClockEvent.objects.filter(incident_id=incident.pk).values_list("clock", "level"))
        live_pauses = clock.pauses_from_history(changes)
        for name, (is_running, minutes, due) in running.items():
            if not is_running or due is None:
                continue
            levels = [(ClockEvent.Level.WARNING, warning), (ClockEvent.Level.BREACH, 100)]
            if escalation:
                levels.append((ClockEvent.Level.ESCALATION, escalation))
            for level, percent in levels:
                if (name, level) in recorded:
                    continue
                if percent == 100:
                    at = due
                else:
                    try:
                        at = clock.add_business_time(
                            cal, start, timedelta(minutes=minutes * percent / 100), live_pauses
                        )
                    except clock.ClockError:
                        continue
                thresholds.append(Threshold(clock=name, level=level, at=at, due=due, percent=percent))
    thresholds.sort(key=lambda t: t.at)
    return ClockState(
        agreement=agreement,
        response_minutes=response_minutes,
        resolution_minutes=resolution_minutes,
        warning_percent=warning,
        escalation_percent=escalation,
        response_due_at=response_due,
        resolution_due_at=resolution_due,
        response_met=response_met,
        resolution_met=resolution_met,
        thresholds=thresholds,
        calendar=cal,
        pauses=pauses,
    )


def _store(incident: Incident, state: ClockState) -> None:
    values = state.fields()
    Incident.objects.filter(pk=incident.pk).update(**values)
    for name, value in values.items():
        setattr(incident, name, value)


def clock_refresh(
    incident: Incident, *, now: datetime | None = None, new: bool = False, ctx: Context | None = None
) -> Incident:
    """Compute and store the ticket's clock (agreement, due times, met flags, next check); returns the
    incident with those fields set. Reads the ticket afresh (its status history and clock events too)
    unless `new` (just logged: saves three queries). `now` is accepted for symmetry with the other
    clock functions: what is stored does not depend on it (a threshold already passed but not yet
    recorded makes `clock_check_at` a past instant, so breach detection picks it up at once).
    `ctx`: the agreements, targets and calendar already read (incident_log reads them first)."""
    if new:  # just logged: its one status so far is its history, and no clock events exist yet
        state = compute(incident, ctx=ctx, recorded=set(), history=[])
    else:
        state = compute(Incident.objects.select_related("school__authority").get(pk=incident.pk))
    _store(incident, state)
    return incident


def clocks_refresh(incidents: models.QuerySet[Incident], *, batch: int = 500) -> int:
    """Recompute the clocks of many tickets (their open ones; pass a queryset), reusing one calendar per
    school and clock kind, one set of agreements per school. Returns how many were refreshed."""
    from incidents.models import Incident as IncidentModel

    History = IncidentModel.history.model
    ctx = Context()
    ids = list(incidents.exclude(status__in=STOPPED_STATUSES).order_by("pk").values_list("pk", flat=True))
    done = 0
    for offset in range(0, len(ids), batch):
        chunk = ids[offset : offset + batch]
        rows = list(IncidentModel.objects.filter(pk__in=chunk).select_related("school__authority"))
        missing = {row.school_id for row in rows} - set(ctx.agreements)
        if missing:
            ctx.agreements.update(_agreements_of(missing))
        for row in rows:
            ctx.schools.setdefault(row.school_id, row.school)
        agreement_ids = {
            a.pk for school_id in {r.school_id for r in rows} for a, _ in ctx.agreements[school_id].rows
        } - set(ctx.targets)
        if agreement_ids:
            for pk in agreement_ids:
                ctx.targets[pk] = []
            for target in ServiceTarget.objects.filter(agreement_id__in=agreement_ids):
                ctx.targets[target.agreement_id].append(target)
        history: dict[int, list] = {pk: [] for pk in chunk}
        for pk, at, status, reason in (
            History.objects.filter(id__in=chunk)
            .order_by("history_date")
            .values_list("id", "history_date", "status", "hold_reason")
        ):
            history[pk].append((at, status, reason))
        recorded: dict[int, set] = {pk: set() for pk in chunk}
        for pk, name, level in ClockEvent.objects.filter(incident_id__in=chunk).values_list(
            "incident_id", "clock", "level"
        ):
            recorded[pk].add((name, level))
        for row in rows:
            state = compute(row, ctx=ctx, history=history[row.pk], recorded=recorded[row.pk])
            for name, value in state.fields().items():
                setattr(row, name, value)
        # One UPDATE per batch; bulk_update writes no history rows (the clock is not history).
        IncidentModel.objects.bulk_update(rows, CLOCK_FIELDS)
        done += len(rows)
    return done


def refresh_schools(school_ids: Iterable[int]) -> int:
    """Recompute the clocks of the open tickets of these schools; returns how many were refreshed."""
    ids = [int(pk) for pk in school_ids]
    return clocks_refresh(Incident.objects.filter(school_id__in=ids))


def schedule_refresh(school_ids: Iterable[int]) -> None:
    """After the current transaction commits, recompute the open tickets' clocks of these schools.

    Call it from any service that changes a calendar, an agreement or a target (for an authority's
    calendar, pass the ids of its schools).
    """
    ids = sorted({int(pk) for pk in school_ids if pk is not None})
    if not ids:
        return

    def enqueue() -> None:
        from servicelevels.tasks import refresh_clocks

        refresh_clocks.delay(ids)

    transaction.on_commit(enqueue)


# =============================================================================
# What the pages show
# =============================================================================


@dataclass
class ClockView:
    """One clock (response or resolution) as a page shows it."""

    name: str  # "Response" / "Resolution"
    due: datetime | None
    state: str  # on_track, warning, breached, met, missed, paused
    percent: int | None  # share of the target used (may pass 100)
    words: str
    target_minutes: int

    @property
    def target_words(self) -> str:
        """The target in hours and minutes of the agreement's clock ("16 h", "30 min"): never days,
        which would read as calendar days."""
        hours, minutes = divmod(self.target_minutes, 60)
        return " ".join(part for part in (f"{hours} h" if hours else "", f"{minutes} min" if minutes else "") if part)

    @property
    def bar(self) -> int:
        return min(self.percent or 0, 100)

    @property
    def badge(self) -> str:
        return STATE_BADGES[self.state]

    @property
    def label(self) -> str:
        return STATE_LABELS[self.state]


STATE_LABELS = {
    "on_track": "On track",
    "warning": "Warning",
    "breached": "Breached",
    "met": "Met",
    "missed": "Missed",
    "paused": "Paused",
}
STATE_BADGES = {  # Tabler colours
    "on_track": "green",
    "warning": "yellow",
    "breached": "red",
    "met": "green",
    "missed": "red",
    "paused": "secondary",
}


def duration_words(delta: timedelta) -> str:
    """'2 h 10 min', '35 min', '3 days 1 h' (a day is 24 h here: used for wall-clock spans)."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    if hours:
        parts.append(f"{hours} h")
    if minutes and not days:
        parts.append(f"{minutes} min")
    return " ".join(parts) or "less than a minute"


def _hours_words(agreement: Agreement | None) -> str:
    if agreement is not None and agreement.hours == SupportHours.AROUND_THE_CLOCK:
        return "around-the-clock time" if not agreement.term_time_only else "term time"
    return "school time"


def clock_view(incident: Incident, now: datetime | None = None) -> list[ClockView]:
    """The response and resolution clocks as the detail page shows them (a few queries: one ticket).

    Against the agreement stored on the ticket (the one its due times were worked out with: select it
    with the ticket), its status history read once."""
    now = now or timezone.now()
    rows = list(incident.history.order_by("history_date").values_list("history_date", "status", "hold_reason"))
    stored = incident.agreement if incident.agreement_id else None
    ctx = Context(agreements={incident.school_id: _Agreements(rows=[(stored, frozenset())] if stored else [])})
    state = compute(incident, ctx=ctx, history=rows, recorded=set())
    used_history = _changes_of(incident, rows)
    live = clock.pauses_from_history(used_history, until=now)
    views = []
    specs = (
        ("Response", state.response_minutes, state.response_due_at, state.response_met, incident.first_response_at),
        ("Resolution", state.resolution_minutes, state.resolution_due_at, state.resolution_met, incident.resolved_at),
    )
    paused_now = bool(live) and live[-1][1] >= now and live[-1][0] <= now
    for name, minutes, due, met, done_at in specs:
        stop = done_at or (incident.closed_at if incident.status == Status.CLOSED else None)
        until = stop or now
        used = clock.business_time_between(
            state.calendar,
            incident.created_at,
            until,
            clock.pauses_from_history([c for c in used_history if c[0] <= until], until=until),
        )
        percent = round(used.total_seconds() * 100 / (minutes * 60)) if minutes else None
        if met is True:
            view_state, words = "met", f"Met: {_when(done_at)}, {duration_words(due - done_at)} to spare"
        elif met is False:
            view_state, words = "missed", f"Missed by {duration_words(done_at - due)}" if due else "Missed"
        elif stop is not None:
            view_state, words = "paused", "Stopped: the ticket is closed"
        elif due is None:
            view_state = "paused"
            words = (
                "Paused: waiting for the caller"
                if incident.status == Status.ON_HOLD
                else "Paused: resolved, waiting for the caller to confirm"
            )
        elif due <= now:
            view_state, words = "breached", f"Breached {duration_words(now - due)} ago"
        else:
            left = clock.business_time_between(state.calendar, now, due, live)
            view_state = "warning" if percent is not None and percent >= state.warning_percent else "on_track"
            words = f"Due in {duration_words(left)} of {_hours_words(state.agreement)}"
            if paused_now:
                view_state, words = "paused", "Paused: waiting for the caller"
        views.append(
            ClockView(name=name, due=due, state=view_state, percent=percent, words=words, target_minutes=minutes)
        )
    return views


def _when(at: datetime) -> str:
    return f"{timezone.localtime(at):%d %b %H:%M}"


def list_state(incident: Incident, now: datetime | None = None) -> str:
    """The resolution clock's state for a list row, from the stored fields only (no query)."""
    now = now or timezone.now()
    if incident.resolution_met is True:
        return "met"
    if incident.resolution_met is False:
        return "missed"
    due = incident.resolution_due_at
    if due is None:
        return "paused" if incident.status not in STOPPED_STATUSES else "met"
    if due <= now:
        return "breached"
    if getattr(incident, "resolution_warned", False):
        return "warning"
    return "on_track"


def with_due_state(incidents: models.QuerySet[Incident]) -> models.QuerySet[Incident]:
    """Annotate `resolution_warned` (its resolution warning has been recorded) for list rows, in the same query."""
    warned = ClockEvent.objects.filter(
        incident_id=models.OuterRef("pk"), clock=ClockEvent.Clock.RESOLUTION, level=ClockEvent.Level.WARNING
    )
    return incidents.annotate(resolution_warned=models.Exists(warned))


def order_by_due(incidents: models.QuerySet[Incident], *, descending: bool = False) -> models.QuerySet[Incident]:
    """Soonest resolution due first (latest first when `descending`); tickets with no due time last."""
    due = models.F("resolution_due_at")
    first = due.desc(nulls_last=True) if descending else due.asc(nulls_last=True)
    return incidents.order_by(first, "priority", "pk")


def due_badge(incident: Incident, now: datetime | None = None) -> str:
    """A list cell for the resolution clock: a coloured badge with the due time in short words (no query)."""
    from django.utils.html import format_html

    now = now or timezone.now()
    state = list_state(incident, now)
    due = incident.resolution_due_at
    if state in ("met", "missed") or due is None:
        text = STATE_LABELS[state] if incident.status != Status.CLOSED or due else "—"
    elif due <= now:
        text = f"{_short(now - due)} over"
    else:
        text = f"in {_short(due - now)}"
    title = f"Resolution due {timezone.localtime(due):%a %d %b %H:%M} ({STATE_LABELS[state].lower()})" if due else ""
    return format_html(
        '<span class="badge bg-{}-lt sla-due" data-state="{}" title="{}">{}</span>',
        STATE_BADGES[state],
        state,
        title,
        text,
    )


def _short(delta: timedelta) -> str:
    """'40 min', '5 h', '3 d' (wall clock)."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} d"
