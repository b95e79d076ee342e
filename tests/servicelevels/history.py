"""A small, deterministic ticket history for the rollup, figures and dashboard tests.

Tickets are logged through the service; their clock fields and times are then set with a queryset update (the
rollups only read them), so each test knows exactly what the figures must say.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from incidents.models import Incident, Status, TicketKind
from servicelevels.models import ITService


def at(day: str, hour: int = 10, minute: int = 0) -> datetime:
    """An instant in UTC: at("2026-10-05", 9) is 09:00 UTC (10:00 in London in British Summer Time)."""
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=UTC)


def ticket(school, person, log, *, created: datetime, priority: int = 3, service=None, kind=TicketKind.INCIDENT,
           responded: datetime | None = None, response_met: bool | None = None, resolved: datetime | None = None,
           resolution_met: bool | None = None, first_contact: bool = False, reopens: int = 0,
           satisfaction: int | None = None, status: str | None = None,
           title: str = "Projector fault") -> Incident:  # fmt: skip
    incident = log(school, by=person, title=title)
    if status is None:
        status = Status.CLOSED if resolved else Status.IN_PROGRESS
    Incident.objects.filter(pk=incident.pk).update(
        created_at=created,
        priority=priority,
        kind=kind,
        service=service,
        first_response_at=responded,
        response_met=response_met,
        resolved_at=resolved,
        resolution_met=resolution_met,
        resolved_at_first_contact=first_contact,
        reopen_count=reopens,
        satisfaction=satisfaction,
        status=status,
    )
    incident.refresh_from_db()
    return incident


def services_of(school) -> dict[str, ITService]:
    return {
        name: ITService.objects.create(school=school, name=name, availability_target=target)
        for name, target in (("Email", 99), ("Wi-Fi", 98), ("MIS", 99.5))
    }


def autumn_history(school, person, log) -> list[Incident]:
    """Eight tickets in the autumn half-term of 2026 (BST until 25 October) at `school`."""
    svc = services_of(school)
    hour = timedelta(hours=1)
    return [
        # Logged, answered and fixed in time on one day, at first contact, a happy caller.
        ticket(school, person, log, created=at("2026-09-07", 9), priority=3, service=svc["Email"],
               responded=at("2026-09-07", 9, 5), response_met=True, resolved=at("2026-09-07", 9, 30),
               resolution_met=True, first_contact=True, satisfaction=5),
        # Answered late, fixed late two days later, reopened once on the way.
        ticket(school, person, log, created=at("2026-09-07", 11), priority=2, service=svc["Wi-Fi"],
               responded=at("2026-09-08", 11), response_met=False, resolved=at("2026-09-09", 15),
               resolution_met=False, reopens=1, satisfaction=2),
        # Logged at 23:30 UTC on the 14th: the 15th in London.
        ticket(school, person, log, created=at("2026-09-14", 23, 30), priority=4, kind=TicketKind.REQUEST,
               responded=at("2026-09-15", 8), response_met=True, resolved=at("2026-09-16", 12),
               resolution_met=True),
        # Still open, answered in time.
        ticket(school, person, log, created=at("2026-09-21", 10), priority=3, service=svc["MIS"],
               responded=at("2026-09-21", 10) + hour, response_met=True),
        # Still open, never answered (the oldest open ticket).
        ticket(school, person, log, created=at("2026-09-02", 8), priority=5, status=Status.NEW),
        # A P1: Wi-Fi down for two hours in school time.
        ticket(school, person, log, created=at("2026-10-06", 9), priority=1, service=svc["Wi-Fi"],
               responded=at("2026-10-06", 9, 10), response_met=True, resolved=at("2026-10-06", 11),
               resolution_met=True, satisfaction=4),
        # Resolved in time with no response recorded (fixed at once).
        ticket(school, person, log, created=at("2026-10-12", 13), priority=3,
               resolved=at("2026-10-12", 13, 20), resolution_met=True, first_contact=True),
        # Logged in the summer (before the term): counts in no autumn figure but its own day.
        ticket(school, person, log, created=at("2026-08-20", 10), priority=3, responded=at("2026-08-20", 11),
               response_met=True, resolved=at("2026-08-21", 10), resolution_met=True),
    ]  # fmt: skip
