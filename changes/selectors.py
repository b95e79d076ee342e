"""Reads of Change Management: what a change touches (its impact), from the CMDB's impact analysis.

FITS asks that a change be introduced with the least disruption and that the service desk be warned in
advance: both need to know who and what a change reaches. `change_impact` merges the CMDB's downstream
walk (cmdb.topology.impact) of every item the change names, and reads the rest in a fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from changes.models import RequestForChange
from cmdb import topology
from cmdb.models import ConfigurationItem, Kind, Location
from fits.models import Membership, User
from servicelevels.models import ITService


@dataclass
class ChangeImpact:
    """Who and what a change reaches: its items and everything that relies on them."""

    items: list[ConfigurationItem] = field(default_factory=list)  # the named items, then what relies on them
    rooms: list[Location] = field(default_factory=list)
    services: list[ConfigurationItem] = field(default_factory=list)  # CMDB items of kind service
    it_services: list[ITService] = field(default_factory=list)  # the catalogue's services on affected items
    owners: list[User] = field(default_factory=list)  # owners of affected items, and of items in affected rooms
    whole_school: bool = False  # a school-wide service is hit: everyone at the school is affected
    community: int = 0  # how many people the school has (counted only when the whole school is affected)
    truncated: bool = False  # a walk stopped at topology.MAX_DEPTH

    @property
    def people(self) -> int:
        return self.community if self.whole_school else len(self.owners)

    @property
    def is_empty(self) -> bool:
        return not self.items

    @property
    def summary(self) -> str:
        """One plain sentence: what the service desk and the approvers are told."""
        if self.is_empty:
            return "No configuration items are named, so its impact is not known."

        def count(number: int, word: str, plural: str = "") -> str:
            return f"{number} {word if number == 1 else plural or word + 's'}"

        parts = [count(len(self.items), "configuration item")]
        if self.rooms:
            parts.append(count(len(self.rooms), "room"))
        services = len(self.service_names)
        if services:
            parts.append(count(services, "service") + " (" + ", ".join(self.service_names) + ")")
        if self.whole_school:
            who = f"everyone at the school ({count(self.community, 'person', 'people')})"
        elif self.owners:
            who = count(len(self.owners), "person", "people")
        else:
            who = "nobody named as an owner"
        return "Affects " + ", ".join(parts) + "; " + who + "."

    @property
    def uncatalogued_services(self) -> list[ConfigurationItem]:
        """CMDB services that no catalogue service stands for."""
        linked = {service.ci_id for service in self.it_services}
        return [ci for ci in self.services if ci.pk not in linked]

    @property
    def service_names(self) -> list[str]:
        """The affected services once each: catalogue names first, then CMDB services not in the catalogue."""
        names = [service.name for service in self.it_services] + [ci.name for ci in self.uncatalogued_services]
        return list(dict.fromkeys(names))


def change_impact(change: RequestForChange) -> ChangeImpact:
    """The merged impact of every configuration item `change` names.

    Rooms are where affected items stand; services are affected items of kind service and the catalogue's
    ICT services linked to them; people are the owners of affected items and of anything else in the
    affected rooms. A catalogue service, or a CMDB service that stands in no room, serves the whole school:
    then everyone at the school is affected. Topology's walks (two queries per level for each named item),
    then four queries whatever the size of the change.
    """
    named = list(change.cis.select_related("location__parent__parent").order_by("name"))
    if not named:
        return ChangeImpact()
    affected: dict[int, ConfigurationItem] = {ci.pk: ci for ci in named}
    truncated = False
    for ci in named:
        walk = topology.impact(ci)
        truncated = truncated or walk.truncated
        for item in walk.items:
            affected.setdefault(item.ci.pk, item.ci)
    items = list(affected.values())
    rooms = {ci.location_id: ci.location for ci in items if ci.location_id}
    services = [ci for ci in items if ci.kind == Kind.SERVICE]
    it_services = list(
        ITService.objects.filter(school_id=change.school_id, ci_id__in=affected, is_active=True).order_by("name")
    )
    owner_ids = {ci.owner_id for ci in items if ci.owner_id}
    if rooms:
        owner_ids |= set(
            ConfigurationItem.objects.filter(school_id=change.school_id, location_id__in=rooms, owner__isnull=False)
            .values_list("owner_id", flat=True)
            .distinct()
        )
    owners = list(User.objects.filter(pk__in=owner_ids).order_by("first_name", "last_name", "username"))
    whole_school = bool(it_services) or any(ci.location_id is None for ci in services)
    community = (
        Membership.objects.filter(school_id=change.school_id, user__is_active=True).values("user").distinct().count()
        if whole_school
        else 0
    )
    return ChangeImpact(
        items=items,
        rooms=sorted(rooms.values(), key=lambda room: room.path),
        services=sorted(services, key=lambda ci: ci.name),
        it_services=it_services,
        owners=owners,
        whole_school=whole_school,
        community=community,
        truncated=truncated,
    )
