"""What the portal and the phone form look up: rooms, devices, callers, the lesson in a room now.

Reads only, for the pages in portal_views.py and phone_views.py. Rooms and people come through
the scoping rule (`visible_to`, `people_visible_to`). Devices are the one narrow exception: the
CMDB is for support staff, but an ICT user logging a fault may name the device at fault, so
`pickable_devices` offers them the school's live user-facing devices and services (name, kind,
asset tag and room: what is printed on the label), and nothing else of the CMDB.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import models

from cmdb.models import PASSIVE_KINDS, ConfigurationItem, Kind, LifecycleStatus, Location
from cmdb.topology import impact
from fits import access
from fits.models import School, User
from fits.scoping import people_visible_to, schools_visible_to
from incidents.models import Incident, Lesson
from incidents.services import lesson_now

RESULTS = 12  # options a lookup offers at once: type more to narrow them

# The devices an ICT user can name when they log a fault: what they use, not the network behind it.
USER_FACING_KINDS = (
    Kind.DESKTOP,
    Kind.LAPTOP,
    Kind.TABLET,
    Kind.PERIPHERAL,
    Kind.DISPLAY,
    Kind.PRINTER,
    Kind.SERVICE,
)
GONE = (LifecycleStatus.RETIRED, LifecycleStatus.DISPOSED)


def loggable_schools(user: User) -> models.QuerySet[School]:
    """The schools where `user` may log an incident."""
    schools = schools_visible_to(user)
    return schools.filter(pk__in=[s.pk for s in schools if access.can_log_incident.test(user, s)])


def school_from(user: User, value: Any, *, predicate=access.can_log_incident) -> School | None:
    """The school a lookup is for: the one named (a pk) if `predicate` holds there, else the user's only one."""
    schools = [s for s in schools_visible_to(user) if predicate.test(user, s)]
    for school in schools:
        if str(school.pk) == str(value or "").strip():
            return school
    return schools[0] if len(schools) == 1 else None


# =============================================================================
# Rooms
# =============================================================================


def rooms(user: User, school: School) -> models.QuerySet[Location]:
    return Location.objects.visible_to(user).of_school(school.pk).select_related("parent__parent")


def find_rooms(user: User, school: School, query: str) -> list[Location]:
    """Rooms (then buildings and sites) whose name, or whose building's name, contains every word typed."""
    found = rooms(user, school)
    for word in query.split()[:5]:
        found = found.filter(
            models.Q(name__icontains=word)
            | models.Q(parent__name__icontains=word)
            | models.Q(parent__parent__name__icontains=word)
        )
    kind_order = models.Case(
        models.When(kind=Location.Kind.ROOM, then=0), models.When(kind=Location.Kind.BUILDING, then=1), default=2
    )
    return list(found.order_by(kind_order, "name")[:RESULTS])


def match_room(user: User, school: School, text: str) -> Location | None:
    """The one location whose name or path is `text` (without JavaScript, the typed room is matched here)."""
    text = " ".join(text.split())
    if not text:
        return None
    named = [loc for loc in rooms(user, school).filter(name__iexact=text.split(" / ")[-1])]
    exact = [loc for loc in named if loc.path.lower() == text.lower()]
    if len(exact) == 1:
        return exact[0]
    return named[0] if len(named) == 1 else None


def usual_room(user: User, school: School) -> Location | None:
    """ "My usual room": the room of the person's last ticket at the school that named one."""
    last = (
        Incident.objects.visible_to(user)
        .filter(reporter=user, location__isnull=False)
        .of_school(school.pk)
        .order_by("-created_at")
        .values_list("location_id", flat=True)
        .first()
    )
    return rooms(user, school).filter(pk=last).first() if last else None


# =============================================================================
# Devices
# =============================================================================


def pickable_devices(user: User, school: School | None = None) -> models.QuerySet[ConfigurationItem]:
    """The configuration items `user` may name on a ticket: support staff any live item of their schools'
    CMDB; anyone else at a school its user-facing devices and services (USER_FACING_KINDS)."""
    staff = ConfigurationItem.objects.visible_to(user)
    member_of = [
        pk for pk in (user.visible_school_ids if user.is_authenticated else []) if pk not in user.staff_school_ids
    ]
    users = ConfigurationItem.objects.filter(school_id__in=member_of, kind__in=USER_FACING_KINDS)
    items = (staff | users).exclude(status__in=GONE)
    if school is not None:
        items = items.filter(school_id=school.pk)
    return items.select_related("location__parent__parent")


def find_devices(user: User, school: School, *, location: Location | None, query: str) -> list[ConfigurationItem]:
    """The devices in the chosen room first, then the school's other matches by name or asset tag."""
    items = pickable_devices(user, school)
    words = query.split()[:5]
    if not words and location is None:
        return []
    if words:
        for word in words:
            items = items.filter(
                models.Q(name__icontains=word)
                | models.Q(asset_tag__icontains=word)
                | models.Q(model_name__icontains=word)
            )
    else:  # the room's devices, without the cabling (wall sockets, patch panels): search for those by name
        items = items.filter(location=location).exclude(kind__in=PASSIVE_KINDS)
    here = models.Case(models.When(location=location, then=0), default=1) if location else models.Value(0)
    return list(items.order_by(here, "name")[:RESULTS])


# =============================================================================
# Callers (the phone form)
# =============================================================================


@dataclass
class Caller:
    person: User
    open_tickets: list[Incident] = field(default_factory=list)
    open_count: int = 0
    usual_room: Location | None = None


def find_callers(user: User, school: School, query: str) -> list[Caller]:
    """People with a role at the school whose name, username, e-mail or phone contains what was typed,
    with their open tickets (the ones `user` may see) and usual room: three queries whatever the count."""
    words = query.split()[:4]
    if not words:
        return []
    people = people_visible_to(user).filter(
        is_active=True, pk__in=User.objects.filter(membership__school=school).values("pk")
    )
    for word in words:
        digits = "".join(ch for ch in word if ch.isdigit())
        match = (
            models.Q(first_name__icontains=word)
            | models.Q(last_name__icontains=word)
            | models.Q(username__icontains=word)
            | models.Q(email__icontains=word)
        )
        if len(digits) >= 3:
            match |= models.Q(phone__icontains=digits)
        people = people.filter(match)
    last_room = (
        Incident.objects.visible_to(user)
        .filter(reporter=models.OuterRef("pk"), school=school, location__isnull=False)
        .order_by("-created_at")
        .values("location_id")[:1]
    )
    found = list(
        people.annotate(usual_room_id=models.Subquery(last_room)).order_by("first_name", "last_name")[:RESULTS]
    )
    callers = {person.pk: Caller(person) for person in found}
    open_tickets = (
        Incident.objects.visible_to(user)
        .open()
        .of_school(school.pk)
        .filter(reporter__in=list(callers))
        .order_by("-created_at")
        .only("pk", "reference", "title", "status", "reporter_id", "created_at", "school_id")
    )
    for ticket in open_tickets[: RESULTS * 5]:
        caller = callers[ticket.reporter_id]
        caller.open_count += 1
        if len(caller.open_tickets) < 3:
            caller.open_tickets.append(ticket)
    room_ids = {person.usual_room_id for person in found if person.usual_room_id}
    by_id = {room.pk: room for room in rooms(user, school).filter(pk__in=room_ids)} if room_ids else {}
    for person in found:
        callers[person.pk].usual_room = by_id.get(person.usual_room_id)
    return list(callers.values())


def match_caller(user: User, school: School, text: str) -> User | None:
    """The one person at the school whose username or e-mail is `text` (the phone form without JavaScript)."""
    text = text.strip()
    if not text:
        return None
    people = people_visible_to(user).filter(is_active=True, membership__school=school).distinct()
    found = list(people.filter(models.Q(username__iexact=text) | models.Q(email__iexact=text))[:2])
    return found[0] if len(found) == 1 else None


# =============================================================================
# The ticket page: the caller's side
# =============================================================================


def lesson_in(location: Location | None) -> Lesson | None:
    return lesson_now(location)


@dataclass
class ImpactSummary:
    """A compact impact analysis of the incident's CI (cmdb.topology.impact): counts and the first few."""

    ci: ConfigurationItem
    items: int
    rooms: list[Location]
    services: list[ConfigurationItem]
    first: list[ConfigurationItem]
    truncated: bool

    SHOWN = 4

    @property
    def more_rooms(self) -> int:
        return max(0, len(self.rooms) - self.SHOWN)

    @property
    def rooms_shown(self) -> list[Location]:
        return self.rooms[: self.SHOWN]

    @property
    def services_shown(self) -> list[ConfigurationItem]:
        return self.services[: self.SHOWN]


def ci_impact(ci: ConfigurationItem) -> ImpactSummary:
    result = impact(ci)
    devices = [a.ci for a in result.items if a.ci.kind != Kind.SERVICE]
    return ImpactSummary(
        ci=ci,
        items=len(result.items),
        rooms=result.rooms,
        services=result.services,
        first=devices[: ImpactSummary.SHOWN],
        truncated=result.truncated,
    )
