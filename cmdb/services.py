"""Every operation that changes the CMDB: items, their lifecycle, ports, cables, relationships, software, licences.

Each is one transaction that checks the permission, keeps the school boundary (a cable never joins
two schools, a relationship never crosses one), writes the timeline entry and the field history.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from cmdb.models import (
    LOGICAL_KINDS,
    PASS_THROUGH_KINDS,
    PASSIVE_KINDS,
    Cable,
    ConfigurationItem,
    Kind,
    Licence,
    LicenceSeat,
    LifecycleStatus,
    Location,
    Port,
    PortKind,
    Relationship,
    SoftwareInstallation,
    SoftwareProduct,
    normalise_mac,
    validate_attributes,
)
from fits import access, activity
from fits.models import Activity, School, User
from fits.scoping import ensure_same_school

# Fields a person may set on a CI through ci_create / ci_update (status moves through ci_transition).
CI_FIELDS = frozenset(
    {
        "name", "kind", "location", "manufacturer", "model_name", "serial", "asset_tag", "uuid",
        "management_address", "owner", "supplier", "purchase_date", "purchase_cost", "warranty_end",
        "notes", "attributes",
    }
)  # fmt: skip
# Fields port_update may change (the cable moves through cable_connect / cable_disconnect).
PORT_FIELDS = frozenset(
    {"name", "kind", "speed_mbps", "mac", "vlan", "ip_address", "is_uplink", "cable_expected", "rear_port"}
)
# Fields licence_create / licence_update set (the product is chosen once, on create).
LICENCE_FIELDS = frozenset({"model", "seats", "reference", "supplier", "cost", "starts_on", "expires_on", "notes"})


# =============================================================================
# Locations
# =============================================================================


@transaction.atomic
def location_create(*, school: School, actor: User, kind: str, name: str, parent: Location | None = None) -> Location:
    """Add a site, a building on a site, or a room in a building."""
    access.require(access.can_manage_cmdb, actor, school, "You cannot change this school's CMDB.")
    location = Location(school=school, kind=kind, name=name.strip(), parent=parent)
    location.full_clean()
    location.save()
    return location


# =============================================================================
# Configuration items
# =============================================================================


def _clean_ci(ci: ConfigurationItem) -> None:
    """The invariants of a CI: kind-specific attributes, same-school links, a name."""
    if not ci.name.strip():
        raise ValidationError({"name": "Give the item a name."})
    ci.name = ci.name.strip()
    ci.attributes = validate_attributes(ci.kind, ci.attributes)
    ensure_same_school(ci, ci.location)
    if ci.owner is not None and not ci.owner.is_superuser and ci.school_id not in ci.owner.school_roles:
        raise ValidationError({"owner": f"{ci.owner} has no role at this school."})
    if ci.asset_tag:
        clash = ConfigurationItem.objects.filter(school_id=ci.school_id, asset_tag=ci.asset_tag).exclude(pk=ci.pk)
        if clash.exists():
            raise ValidationError({"asset_tag": f"Asset tag {ci.asset_tag} is already used by {clash.first()}."})


@transaction.atomic
def ci_create(*, school: School, actor: User, status: str | None = None, **fields: Any) -> ConfigurationItem:
    """Record a new configuration item (FITS: keep up-to-date records of ICT hardware and software)."""
    access.require(access.can_manage_cmdb, actor, school, "You cannot change this school's CMDB.")
    unknown = set(fields) - CI_FIELDS
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    ci = ConfigurationItem(school=school, **fields)
    if status is not None:
        ci.status = status
    _clean_ci(ci)
    ci._history_user = actor
    ci.save()
    activity.record(ci, actor=actor, kind=Activity.Kind.CREATED, text=f"Recorded as {ci.get_status_display().lower()}.")
    return ci


@transaction.atomic
def ci_update(*, ci: ConfigurationItem, actor: User, **changes: Any) -> ConfigurationItem:
    """Change a CI's details; the field history keeps who changed what, when, from what."""
    ci = ConfigurationItem.objects.select_for_update().get(pk=ci.pk)
    access.require(access.can_manage_cmdb, actor, ci, "You cannot change this school's CMDB.")
    unknown = set(changes) - CI_FIELDS
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    changed = {}
    for name, value in changes.items():
        old = getattr(ci, name)
        if old != value:
            changed[name] = [_display(old), _display(value)]
            setattr(ci, name, value)
    if not changed:
        return ci
    _clean_ci(ci)
    ci._history_user = actor
    ci.save()
    activity.record(ci, actor=actor, kind=Activity.Kind.FIELD, changes=changed)
    return ci


def _display(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool | dict | list):
        return value
    return str(value)


@transaction.atomic
def ci_transition(*, ci: ConfigurationItem, action: str, actor: User, note: str = "") -> ConfigurationItem:
    """Move a CI through its lifecycle: ordered, in stock, live, in repair, retired, disposed."""
    ci = ConfigurationItem.objects.select_for_update().get(pk=ci.pk)
    transition = ConfigurationItem.WORKFLOW.check_action(ci.status, action)
    access.require(transition.permission, actor, ci, f"You cannot {transition.label.lower()} this item.")
    note = note.strip()
    if transition.note_required and not note:
        raise ValidationError({"note": f"{transition.note_label} is required to {transition.label.lower()}."})
    old, ci.status = ci.status, transition.target
    ci._history_user = actor
    ci.save(update_fields=["status", "updated_at"])
    activity.record_status(ci, actor=actor, old=old, new=ci.status, note=note)
    return ci


# =============================================================================
# Ports and cables
# =============================================================================


@transaction.atomic
def port_create(*, ci: ConfigurationItem, actor: User, name: str, **fields: Any) -> Port:
    """Add an interface, a switch port, or a patch panel's front or rear port to a CI."""
    access.require(access.can_manage_cmdb, actor, ci, "You cannot change this school's CMDB.")
    port = Port(school_id=ci.school_id, ci=ci, name=name.strip(), **fields)
    _clean_port(port)
    port.save()
    return port


@transaction.atomic
def port_update(*, port: Port, actor: User, **changes: Any) -> Port:
    """Change a port's name, type, speed, MAC, VLAN and the rest, by the same rules as port_create."""
    port = Port.objects.select_for_update().select_related("ci").get(pk=port.pk)
    access.require(access.can_manage_cmdb, actor, port, "You cannot change this school's CMDB.")
    unknown = set(changes) - PORT_FIELDS
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    if isinstance(changes.get("name"), str):
        changes["name"] = changes["name"].strip()
    old_rear = port.rear_port_id
    changed = {}
    for name, value in changes.items():
        old = getattr(port, name)
        if old != value:
            changed[name] = [_display(old), _display(value)]
            setattr(port, name, value)
    if not changed:
        return port
    ensure_same_school(port, port.rear_port)
    _clean_port(port)
    if port.kind == PortKind.WIRELESS and port.cable_id is not None:
        raise ValidationError({"kind": f"{port} has a cable; a wireless port takes none. Disconnect the cable first."})
    if "mac" in changed:
        changed["mac"][1] = port.mac  # as normalised
    port.save()
    if "rear_port" in changed:
        _refresh_endpoints([pk for pk in (port.pk, old_rear, port.rear_port_id) if pk is not None])
    activity.record(port.ci, actor=actor, kind=Activity.Kind.FIELD, text=f"Port {port.name} changed.",
                    changes={f"port {port.name}: {name}": values for name, values in changed.items()})  # fmt: skip
    return port


@transaction.atomic
def port_remove(*, port: Port, actor: User) -> None:
    """Take a port off its CI. A cabled port keeps its cable: disconnect the cable first."""
    port = Port.objects.select_for_update().select_related("ci").get(pk=port.pk)
    access.require(access.can_manage_cmdb, actor, port, "You cannot change this school's CMDB.")
    if port.cable_id is not None:
        raise ValidationError(f"{port} has a cable: disconnect the cable first.")
    fronts = list(Port.objects.filter(rear_port=port).values_list("pk", flat=True))
    ci, name = port.ci, port.name
    port.delete()
    if fronts:
        _refresh_endpoints(fronts)  # the front ports no longer pass through to it
    activity.record(ci, actor=actor, kind=Activity.Kind.LINK, text=f"Port {name} removed.")


def _clean_port(port: Port) -> None:
    if not port.name:
        raise ValidationError({"name": "Give the port a name, e.g. gi1/0/1 or eth0."})
    if Port.objects.filter(ci_id=port.ci_id, name=port.name).exclude(pk=port.pk).exists():
        raise ValidationError({"name": f"{port.ci} already has a port called {port.name}."})
    try:
        port.mac = normalise_mac(port.mac)
    except ValueError as error:
        raise ValidationError({"mac": str(error)}) from error
    if port.kind in PASS_THROUGH_KINDS and port.ci.kind not in (Kind.PATCH_PANEL, Kind.WALL_SOCKET):
        raise ValidationError({"kind": "Front and rear ports belong to patch panels and wall sockets."})
    if port.rear_port is not None:
        if port.kind != PortKind.FRONT or port.rear_port.kind != PortKind.REAR:
            raise ValidationError({"rear_port": "Only a front port maps to a rear port."})
        if port.rear_port.ci_id != port.ci_id:
            raise ValidationError({"rear_port": "The rear port must be on the same patch panel."})
    if port.vlan is not None and not 1 <= port.vlan <= 4094:
        raise ValidationError({"vlan": "A VLAN is between 1 and 4094."})


@transaction.atomic
def cable_connect(*, a_port: Port, b_port: Port, actor: User, **fields: Any) -> Cable:
    """Join two ports with a cable. A port holds one cable; a cable never joins two schools."""
    ports = {
        p.pk: p for p in Port.objects.select_for_update().select_related("ci").filter(pk__in=[a_port.pk, b_port.pk])
    }
    if len(ports) != 2:
        raise ValidationError("A cable joins two different ports.")
    a_port, b_port = ports[a_port.pk], ports[b_port.pk]
    access.require(access.can_manage_cmdb, actor, a_port, "You cannot change this school's CMDB.")
    if a_port.school_id != b_port.school_id:
        raise ValidationError("A cable cannot join ports of two schools.")
    for port in (a_port, b_port):
        if port.cable_id is not None:
            raise ValidationError(f"{port} already has a cable; disconnect it first.")
        if port.kind == PortKind.WIRELESS:
            raise ValidationError(f"{port} is wireless and takes no cable.")
    cable = Cable(school_id=a_port.school_id, a_port=a_port, b_port=b_port, **fields)
    cable.full_clean(exclude=["school", "a_port", "b_port"])
    cable._history_user = actor
    cable.save()
    Port.objects.filter(pk__in=[a_port.pk, b_port.pk]).update(cable=cable)
    _refresh_endpoints([a_port.pk, b_port.pk])
    for port in (a_port, b_port):
        activity.record(port.ci, actor=actor, kind=Activity.Kind.LINK, text=f"Cable {cable} connected to {port.name}.")
    return cable


@transaction.atomic
def cable_disconnect(*, cable: Cable, actor: User) -> None:
    """Remove a cable; the paths it was part of are traced again."""
    cable = Cable.objects.select_for_update().select_related("a_port__ci", "b_port__ci").get(pk=cable.pk)
    access.require(access.can_manage_cmdb, actor, cable, "You cannot change this school's CMDB.")
    ends = [cable.a_port, cable.b_port]
    Port.objects.filter(pk__in=[p.pk for p in ends]).update(cable=None)
    cable._history_user = actor
    cable.delete()
    _refresh_endpoints([p.pk for p in ends])
    for port in ends:
        activity.record(port.ci, actor=actor, kind=Activity.Kind.LINK, text=f"Cable disconnected from {port.name}.")


def _refresh_endpoints(port_ids: list[int]) -> None:
    """Re-trace the paths through these ports and store each path's far ends on its two endpoints."""
    from cmdb.topology import path_ends

    seen: set[int] = set()
    for port in Port.objects.filter(pk__in=port_ids):
        if port.pk in seen:
            continue
        first, last, members = path_ends(port)
        seen |= members
        # Every port on the path forgets its old endpoint; the two real ends learn each other.
        Port.objects.filter(pk__in=members).update(connected_endpoint=None)
        if first is not None and last is not None and first.pk != last.pk:
            Port.objects.filter(pk=first.pk).update(connected_endpoint=last)
            Port.objects.filter(pk=last.pk).update(connected_endpoint=first)


# =============================================================================
# Inventory agent keys
# =============================================================================


@transaction.atomic
def agent_key_rotate(*, school: School, actor: User | None, key: str | None = None) -> str:
    """Set a new agent key for the school (a random one unless given) and return it, to show once.

    Agents still using the old key are refused from now on. `actor` None is the demo seed.
    """
    import secrets

    from django.contrib.auth.hashers import make_password

    from cmdb.models import AgentKey

    if actor is not None:
        access.require(access.can_manage_agents, actor, school, "Only the network manager manages agent keys.")
    key = key or secrets.token_urlsafe(24)
    AgentKey.objects.update_or_create(school=school, defaults={"key_hash": make_password(key), "rotated_by": actor})
    return key


def agent_key_check(*, school: School, key: str) -> bool:
    """Whether `key` is the school's current agent key."""
    from django.contrib.auth.hashers import check_password

    from cmdb.models import AgentKey

    agent_key = AgentKey.objects.filter(school=school).first()
    return agent_key is not None and check_password(key, agent_key.key_hash)


# =============================================================================
# Relationships
# =============================================================================


@transaction.atomic
def relationship_add(
    *, source: ConfigurationItem, target: ConfigurationItem, actor: User, kind: str = Relationship.Kind.DEPENDS_ON,
    note: str = "",
) -> Relationship:  # fmt: skip
    """Record that `source` relies on `target` (depends on, runs on, is connected to, is installed on)."""
    access.require(access.can_manage_cmdb, actor, source, "You cannot change this school's CMDB.")
    ensure_same_school(source, target)
    if source.pk == target.pk:
        raise ValidationError("An item cannot rely on itself.")
    if Relationship.objects.filter(source=source, target=target, kind=kind).exists():
        raise ValidationError(f"{source} already {Relationship.Kind(kind).label} {target}.")
    relationship = Relationship.objects.create(
        school_id=source.school_id, source=source, target=target, kind=kind, note=note
    )
    activity.record(source, actor=actor, kind=Activity.Kind.LINK, text=f"{relationship}.")
    return relationship


@transaction.atomic
def relationship_remove(*, relationship: Relationship, actor: User) -> None:
    access.require(access.can_manage_cmdb, actor, relationship, "You cannot change this school's CMDB.")
    activity.record(relationship.source, actor=actor, kind=Activity.Kind.LINK, text=f"No longer: {relationship}.")
    relationship.delete()


# =============================================================================
# Software and licences
# =============================================================================


@transaction.atomic
def software_product_create(*, school: School, actor: User, name: str, publisher: str = "") -> SoftwareProduct:
    """Add a piece of software the school uses, to install on its devices and to licence."""
    access.require(access.can_manage_cmdb, actor, school, "You cannot change this school's CMDB.")
    name, publisher = name.strip(), publisher.strip()
    if not name:
        raise ValidationError({"name": "Give the software a name."})
    clash = SoftwareProduct.objects.filter(school=school, name__iexact=name, publisher__iexact=publisher).first()
    if clash is not None:
        by = f" by {clash.publisher}" if clash.publisher else " (no publisher)"
        raise ValidationError({"name": f"{school} already has {clash.name}{by}."})
    product = SoftwareProduct(school=school, name=name, publisher=publisher)
    product.full_clean()
    product.save()
    return product


def _check_takes_software(ci: ConfigurationItem) -> None:
    """Software lives on devices: not on a service or an operating system record, a patch panel, or a disposed item."""
    if ci.kind in LOGICAL_KINDS or ci.kind in PASSIVE_KINDS:
        raise ValidationError(
            f"{ci} is a {Kind(ci.kind).label.lower()}: software is installed on devices. "
            f"Record what it runs on with a relationship instead."
        )
    if ci.status == LifecycleStatus.DISPOSED:
        raise ValidationError(f"{ci} has been disposed of.")


@transaction.atomic
def software_install(
    *, ci: ConfigurationItem, product: SoftwareProduct, actor: User, version: str = "",
    installed_on: date | None = None, source: str = SoftwareInstallation.Source.MANUAL,
) -> SoftwareInstallation:  # fmt: skip
    """Record that a version of a product is on a device, by hand.

    `source` is "inventory" only for stock data standing in for an agent's report (the demo seed);
    the inventory agent itself keeps its installations in step in cmdb.inventory.services.
    """
    access.require(access.can_manage_cmdb, actor, ci, "You cannot change this school's CMDB.")
    ensure_same_school(ci, product)
    _check_takes_software(ci)
    version = version.strip()
    clash = SoftwareInstallation.objects.filter(ci=ci, product=product, version=version).first()
    if clash is not None:
        label = f"{product} {version}".strip()
        raise ValidationError(f"{ci} already has {label} ({clash.get_source_display().lower()}).")
    installation = SoftwareInstallation(
        school_id=ci.school_id, ci=ci, product=product, version=version, installed_on=installed_on, source=source
    )
    installation.full_clean(exclude=["school", "ci", "product"])
    installation.save()
    how = "found by inventory" if source == SoftwareInstallation.Source.INVENTORY else "installed by hand"
    activity.record(ci, actor=actor, kind=Activity.Kind.LINK, text=f"Software {how}: {installation}.")
    return installation


@transaction.atomic
def software_uninstall(*, installation: SoftwareInstallation, actor: User) -> None:
    """Take software recorded by hand off a device.

    What the inventory agent reported stays: removed here, it would come back with the next inventory.
    Uninstall it on the device, and the next inventory takes it off the record.
    """
    installation = SoftwareInstallation.objects.select_related("ci", "product").get(pk=installation.pk)
    access.require(access.can_manage_cmdb, actor, installation, "You cannot change this school's CMDB.")
    if installation.source == SoftwareInstallation.Source.INVENTORY:
        raise ValidationError(
            f"{installation} on {installation.ci} was reported by the inventory agent: removed here it would come "
            f"back with the next inventory. Uninstall it on the device; the next inventory removes it here."
        )
    ci, text = installation.ci, f"Software uninstalled: {installation}."
    installation.delete()
    activity.record(ci, actor=actor, kind=Activity.Kind.LINK, text=text)


def _clean_licence(licence: Licence) -> None:
    if licence.seats is not None and licence.seats < 0:
        raise ValidationError({"seats": "Seats are 0 or more; leave it empty for unlimited."})
    if licence.starts_on and licence.expires_on and licence.expires_on <= licence.starts_on:
        raise ValidationError({"expires_on": "A licence expires after it starts."})
    if licence.cost is not None and licence.cost < Decimal(0):
        raise ValidationError({"cost": "A cost is not negative."})
    licence.full_clean(exclude=["school", "product"])


@transaction.atomic
def licence_create(*, school: School, actor: User, product: SoftwareProduct, **fields: Any) -> Licence:
    """Record a licence the school bought: its model, how many seats (none: unlimited), until when."""
    access.require(access.can_manage_cmdb, actor, school, "You cannot change this school's CMDB.")
    unknown = set(fields) - LICENCE_FIELDS
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    licence = Licence(school=school, product=product, **fields)
    ensure_same_school(licence, product)
    _clean_licence(licence)
    licence._history_user = actor
    licence.save()
    return licence


@transaction.atomic
def licence_update(*, licence: Licence, actor: User, **changes: Any) -> Licence:
    """Change a licence's terms. Fewer seats than are in use is allowed: the licence then shows as over-used."""
    licence = Licence.objects.select_for_update().select_related("product").get(pk=licence.pk)
    access.require(access.can_manage_cmdb, actor, licence, "You cannot change this school's CMDB.")
    unknown = set(changes) - LICENCE_FIELDS
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    changed = False
    for name, value in changes.items():
        if getattr(licence, name) != value:
            setattr(licence, name, value)
            changed = True
    if not changed:
        return licence
    _clean_licence(licence)
    licence._history_user = actor
    licence.save()
    return licence


@transaction.atomic
def licence_seat_assign(
    *, licence: Licence, actor: User, ci: ConfigurationItem | None = None, user: User | None = None
) -> LicenceSeat:
    """Give a seat of the licence to a device or to a person with a role at the school, while seats are left."""
    licence = Licence.objects.select_for_update().select_related("product").get(pk=licence.pk)
    access.require(access.can_manage_cmdb, actor, licence, "You cannot change this school's CMDB.")
    if (ci is None) == (user is None):
        raise ValidationError("A seat goes to one device or to one person.")
    if ci is not None:
        ensure_same_school(licence, ci)
        _check_takes_software(ci)
        if licence.model == Licence.Model.PER_USER:
            raise ValidationError({"ci": f"{licence} is licensed per user: give the seat to a person."})
        holder, taken = ci, LicenceSeat.objects.filter(licence=licence, ci=ci)
    else:
        if not user.is_active or (not user.is_superuser and licence.school_id not in user.school_roles):
            raise ValidationError({"user": f"{user} has no role at this school."})
        if licence.model == Licence.Model.PER_DEVICE:
            raise ValidationError({"user": f"{licence} is licensed per device: give the seat to a device."})
        holder, taken = user, LicenceSeat.objects.filter(licence=licence, user=user)
    if taken.exists():
        raise ValidationError(f"{holder} already holds a seat of {licence}.")
    if licence.seats is not None:
        used = LicenceSeat.objects.filter(licence=licence).count()
        if used >= licence.seats:
            raise ValidationError(
                f"All {licence.seats} seat{'s' if licence.seats != 1 else ''} of {licence} are taken: "
                f"release one, or record the extra seats bought."
            )
    seat = LicenceSeat.objects.create(school_id=licence.school_id, licence=licence, ci=ci, user=user)
    if ci is not None:
        activity.record(ci, actor=actor, kind=Activity.Kind.LINK, text=f"Given a seat of {licence}.")
    return seat


@transaction.atomic
def licence_seat_release(*, seat: LicenceSeat, actor: User) -> None:
    """Free a seat: the device or person no longer uses the licence."""
    seat = LicenceSeat.objects.select_related("licence__product", "ci", "user").get(pk=seat.pk)
    access.require(access.can_manage_cmdb, actor, seat, "You cannot change this school's CMDB.")
    ci, licence = seat.ci, seat.licence
    seat.delete()
    if ci is not None:
        activity.record(ci, actor=actor, kind=Activity.Kind.LINK, text=f"Seat of {licence} released.")
