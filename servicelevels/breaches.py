"""Breach detection: each warning, breach and escalation of a ticket's SLA clock recorded once, and told.

Run by Celery beat every minute (servicelevels.tasks.detect_breaches). README, "Breach alerts and
escalations":

- A ticket is looked at when its `clock_check_at` (kept by servicelevels.sla) has come. Its thresholds
  that have been reached are recorded as ClockEvents: the warning (the agreement's warning share of a
  target, 75 % built in), the breach (100 %) and the escalation to the LEA (the agreement's escalation
  share, 150 % built in); then `clock_check_at` moves to the next one.
- Who is told: warning -> the assignee and the members of the ticket's support group (nobody named:
  the school's technicians); breach -> also the school's network managers; escalation -> also the
  authority's LEA consultants and support unit. In the app and by e-mail (fits.notifications), with an
  internal entry on the ticket's timeline.
- Exactly once: each ticket is handled in its own transaction (the event, the timeline entry, the
  notifications and the next check together), under a row lock that other workers skip (PostgreSQL
  `SELECT ... FOR UPDATE SKIP LOCKED`), and ClockEvent is unique per (ticket, clock, level). A worker
  that dies mid-run leaves the ticket as it was, for the next run; a second run finds nothing new.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from fits import activity, notifications
from fits.models import Activity, AuthorityRoleKind, Role, User
from incidents.models import Incident, Priority
from servicelevels import sla
from servicelevels.models import ClockEvent

logger = logging.getLogger(__name__)

#: Tickets looked at per batch (each in its own transaction).
BATCH = 100

EVENT_NAMES = {
    ClockEvent.Level.WARNING: "sla_warning",
    ClockEvent.Level.BREACH: "sla_breach",
    ClockEvent.Level.ESCALATION: "sla_escalation",
}


def _candidates(now: datetime, skip: set[int]) -> list[int]:
    return list(
        Incident.objects.filter(clock_check_at__lte=now)
        .exclude(pk__in=skip)
        .order_by("clock_check_at", "pk")
        .values_list("pk", flat=True)[:BATCH]
    )


def detect_breaches(now: datetime | None = None) -> int:
    """Record the clock events that have come by `now`; returns how many were recorded.

    A ticket that fails (say, the mail queue is down) is rolled back whole and left for the next run; the
    others go ahead, and the first error is raised at the end so the task shows as failed.
    """
    now = now or timezone.now()
    recorded = 0
    attempted: set[int] = set()
    failure: Exception | None = None
    while True:
        batch = _candidates(now, attempted)
        if not batch:
            break
        for pk in batch:
            attempted.add(pk)
            try:
                recorded += _check_ticket(pk, now)
            except Exception as error:  # noqa: BLE001 - one ticket must not stop the others; raised below
                logger.exception("Breach detection failed for incident %s: left for the next run", pk)
                failure = failure or error
    if failure is not None:
        raise failure
    return recorded


@transaction.atomic
def _check_ticket(pk: int, now: datetime) -> int:
    """One ticket, in one transaction: lock it (or skip it if another worker has it), record its due events."""
    rows = Incident.objects.filter(pk=pk, clock_check_at__lte=now)
    if connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True, of=("self",))
    incident = rows.select_related("school__authority", "assignee", "group").first()
    if incident is None:  # another worker has it, or it was checked meanwhile
        return 0
    recorded = set(ClockEvent.objects.filter(incident=incident).values_list("clock", "level"))
    state = sla.compute(incident, recorded=recorded)
    count = 0
    for threshold in [t for t in state.thresholds if t.at <= now]:
        if _record(incident, threshold, state):
            recorded.add((threshold.clock, threshold.level))
            count += 1
    after = sla.compute(incident, recorded=recorded) if count else state
    values = after.fields()
    Incident.objects.filter(pk=incident.pk).update(**values)
    return count


def recipients(incident: Incident, level: str) -> list[User]:
    """Who is told of a clock event of this level (see the module's docstring)."""
    from incidents.services import support_unit_people

    people: list[User] = []
    if incident.assignee_id and incident.assignee.is_active:
        people.append(incident.assignee)
    if incident.group_id:
        people += list(support_unit_people(incident.group))
    if not people:
        people += list(User.objects.with_role_at(incident.school_id, {Role.TECHNICIAN, Role.NETWORK_MANAGER}))
    if level in (ClockEvent.Level.BREACH, ClockEvent.Level.ESCALATION):
        people += list(User.objects.with_role_at(incident.school_id, {Role.NETWORK_MANAGER}))
    if level == ClockEvent.Level.ESCALATION:
        people += list(
            User.objects.with_role_at(incident.school_id, {AuthorityRoleKind.CONSULTANT, AuthorityRoleKind.SUPPORT})
        )
    unique: dict[int, User] = {}
    for person in people:
        unique.setdefault(person.pk, person)
    return list(unique.values())


def describe(incident: Incident, threshold: sla.Threshold, state: sla.ClockState) -> str:
    """The words of the timeline entry and the notification."""
    clock_name = ClockEvent.Clock(threshold.clock).label
    minutes = state.response_minutes if threshold.clock == ClockEvent.Clock.RESPONSE else state.resolution_minutes
    target = sla.duration_words(sla.timedelta(minutes=minutes)) if minutes < 24 * 60 else f"{minutes // 60} h"
    due = f"{timezone.localtime(threshold.due):%a %d %b %H:%M}"
    measured = state.agreement.name if state.agreement else "the built-in targets"
    priority = Priority(incident.priority).label
    if threshold.level == ClockEvent.Level.WARNING:
        head = f"{clock_name} target {threshold.percent} % used: due {due}."
    elif threshold.level == ClockEvent.Level.BREACH:
        head = f"{clock_name} target breached: it was due {due}."
    else:
        head = f"{clock_name} target {threshold.percent} % used, well past its due time ({due}): escalated to the LEA."
    return f"{head} {priority}, {target} ({measured})."


def _record(incident: Incident, threshold: sla.Threshold, state: sla.ClockState) -> bool:
    """Record one event with its timeline entry and notifications; False if it was already recorded."""
    people = recipients(incident, threshold.level)
    told = ", ".join(str(person) for person in people)[:300]
    try:
        with transaction.atomic():
            ClockEvent.objects.create(
                school_id=incident.school_id,
                incident=incident,
                clock=threshold.clock,
                level=threshold.level,
                due_at=threshold.due,
                reached_at=threshold.at,
                told=told,
            )
    except IntegrityError:  # recorded by another run: nothing more to do for it
        return False
    text = describe(incident, threshold, state)
    activity.record(
        incident,
        actor=None,
        kind=Activity.Kind.FIELD,
        public=False,
        text=text,
        changes={"sla": threshold.level, "clock": threshold.clock, "told": told},
    )
    notifications.notify(incident, EVENT_NAMES[threshold.level], people, context={"note": text})
    return True
