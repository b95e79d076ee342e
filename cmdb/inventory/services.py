"""Inventory from agents: FITS Configuration Management keeps its records up to date from the machines themselves.

A school deploys the agents it already knows (FusionInventory, GLPI Agent), pointed at
/inventory/ with the school's tag and agent key. Each inventory creates or updates one computer:
its make, model, serial and UUID, its operating system and hardware facts, its network ports and
its installed software. A machine that reports twice is the same configuration item: it is found
by its hardware UUID, else its serial number, else a MAC address of one of its ports (and, when it
reports none of those, by the agent's device id from an earlier inventory). What a person
recorded by hand is kept: the kind, a new name, ports with cables, software installed by hand.

Every inventory is kept as an `InventorySubmission`: accepted with a summary of what it changed
(the payload of a computer's latest one is kept as received), or rejected with the reason and its
payload, for inspection. Nothing is half-saved: one inventory is one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DataError, transaction
from django.utils import timezone

from cmdb.inventory.parsers import (
    FUSION_XML,
    AgentMessage,
    ComputerInventory,
    NetworkPort,
    PayloadError,
    Software,
    decode_body,
    read_message,
    sniff_format,
)
from cmdb.models import (
    COMPUTER_KINDS,
    KIND_ATTRIBUTES,
    ConfigurationItem,
    InventorySubmission,
    Port,
    PortKind,
    SoftwareInstallation,
    SoftwareProduct,
    validate_attributes,
)
from cmdb.services import agent_key_check
from fits import activity
from fits.models import Activity, School

# Attributes an inventory reports, in the order the summary lists them.
REPORTED_ATTRIBUTES = ("hostname", "os", "cpu", "memory_mb", "disk_gb", "virtual")
REPORTED_FIELDS = ("manufacturer", "model_name", "serial", "uuid")
FIELD_LABELS = {
    "name": "Name",
    "manufacturer": "Manufacturer",
    "model_name": "Model",
    "serial": "Serial number",
    "uuid": "Hardware UUID",
    "hostname": "Host name",
    "os": "Operating system",
    "cpu": "Processor",
    "memory_mb": "Memory (MB)",
    "disk_gb": "Disk (GB)",
    "virtual": "Virtual machine",
}
# How many software names a summary lists (the counts are always complete).
SUMMARY_NAMES = 25
CHUNK = 500


class AgentRefused(Exception):
    """The agent did not prove which school it belongs to (HTTP 401)."""


@dataclass
class Receipt:
    """What became of one request of an agent."""

    message: AgentMessage | None
    submission: InventorySubmission | None = None
    error: str = ""
    forbidden: bool = False  # the agent proved one school but spoke for another

    @property
    def format(self) -> str:
        if self.message is not None:
            return self.message.format
        return self.submission.format if self.submission is not None else FUSION_XML


# =============================================================================
# The agent's school
# =============================================================================


def agent_school(*, user: str, key: str) -> School:
    """The school whose agent this is: `--user` names it (its slug, the same as `--tag`), `--password` proves it."""
    slug = user.strip().lower()
    school = School.objects.filter(slug=slug, is_active=True).first()
    if school is None:
        raise AgentRefused(
            f"No school has the agent tag {slug!r}: give the agent --tag and --user SLUG of your school."
        )
    if not agent_key_check(school=school, key=key):
        raise AgentRefused(
            f"Wrong agent key for {slug}: copy the current key from the school's inventory settings "
            "(it changes when the network manager rotates it)."
        )
    return school


# =============================================================================
# One request of an agent
# =============================================================================


def inventory_receive(
    *, school: School, body: bytes, content_type: str = "", remote_addr: str | None = None
) -> Receipt:
    """Read one request of an authenticated agent, and record the computer it describes.

    A first contact (FusionInventory PROLOG, GLPI Agent CONTACT) records nothing. An inventory is
    ingested, or refused with the reason and kept for inspection; it never raises for a bad payload.
    """
    try:
        payload = decode_body(body)
    except PayloadError as error:
        fmt = sniff_format(b"", content_type)
        return _reject(school, body, fmt, str(error), remote_addr=remote_addr)
    try:
        message = read_message(payload, content_type)
    except PayloadError as error:
        return _reject(school, payload, sniff_format(payload, content_type), str(error), remote_addr=remote_addr)
    if message.is_contact:
        return Receipt(message)
    if message.action != "inventory":
        where = (
            f"REQUEST/QUERY {message.action.upper()}" if message.format == FUSION_XML else f"action {message.action}"
        )
        error = (
            f"{where}: not handled here; FITS takes computer inventories (QUERY INVENTORY, action inventory), "
            "not network discovery or SNMP"
        )
        return _reject(school, payload, message.format, error, message=message, remote_addr=remote_addr)
    if message.tag and message.tag.lower() != school.slug:
        error = (
            f"The agent's tag {message.tag!r} is not its school {school.slug!r}: give it --tag {school.slug} "
            f"with the key of {school.slug}, or the tag and key of the school it belongs to."
        )
        return _reject(school, payload, message.format, error, message=message, remote_addr=remote_addr, forbidden=True)
    try:
        submission = inventory_ingest(school=school, message=message, remote_addr=remote_addr)
    except PayloadError as error:
        return _reject(school, payload, message.format, str(error), message=message, remote_addr=remote_addr)
    except DataError as error:  # a value the database cannot hold: the payload's fault, and rolled back
        error_text = f"the database refused a value of this inventory: {str(error).splitlines()[0]}"
        return _reject(school, payload, message.format, error_text, message=message, remote_addr=remote_addr)
    return Receipt(message, submission)


def _reject(
    school: School,
    payload: bytes,
    fmt: str,
    error: str,
    *,
    message: AgentMessage | None = None,
    remote_addr: str | None = None,
    forbidden: bool = False,
) -> Receipt:
    submission = inventory_reject(
        school=school,
        payload=payload,
        format=fmt,
        error=error,
        device_id=message.device_id if message else "",
        remote_addr=remote_addr,
    )
    return Receipt(message, submission, error=error, forbidden=forbidden)


@transaction.atomic
def inventory_reject(
    *, school: School, payload: bytes, format: str, error: str, device_id: str = "", remote_addr: str | None = None
) -> InventorySubmission:
    """Keep an inventory the CMDB refused, as received, with the reason, for the network manager to inspect."""
    return InventorySubmission.objects.create(
        school=school,
        format=format,
        device_id=device_id[:255],
        remote_addr=remote_addr,
        payload=payload,
        outcome=InventorySubmission.Outcome.REJECTED,
        error=error,
    )


# =============================================================================
# Ingesting an inventory
# =============================================================================


@transaction.atomic
def inventory_ingest(*, school: School, message: AgentMessage, remote_addr: str | None = None) -> InventorySubmission:
    """Create or update the computer an inventory describes, its ports and its software, in one transaction."""
    inventory = message.inventory
    if inventory is None:
        raise PayloadError("not an inventory")
    # One school's inventories in turn, so a machine reporting twice at once is not recorded twice.
    # NO KEY: the rows other people are adding for the school (incidents...) do not wait for it.
    School.objects.select_for_update(no_key=True).filter(pk=school.pk).first()
    ci, matched_by = _match(school, inventory, message.device_id)
    reason = f"Inventory agent {message.device_id}".strip()
    if ci is None:
        ci, changes, result = _create(school, inventory, reason), [], "created"
    else:
        ci, changes = _update(ci, inventory, reason)
        result = "updated" if changes else "unchanged"
    ports = _sync_ports(ci, inventory.ports)
    software = _sync_software(ci, inventory.software)
    if result == "unchanged" and (ports["added"] or ports["updated"] or ports["removed"]):
        result = "updated"
    if result == "unchanged" and software and (software["added"] or software["removed"]):
        result = "updated"
    summary = {
        "result": result,
        "matched_by": matched_by,
        "ci": {"id": ci.pk, "name": ci.name, "kind": ci.kind},
        "changes": changes,
        "ports": ports,
        "software": software,
        "partial": inventory.partial,
    }
    if result == "created":
        text = f"Recorded by the inventory agent {message.device_id}".strip() + "."
        activity.record(ci, actor=None, kind=Activity.Kind.CREATED, text=text)
    elif result == "updated":
        activity.record(
            ci,
            actor=None,
            kind=Activity.Kind.FIELD,
            text=describe(summary, agent=message.device_id),
            changes={change["field"]: [change["old"], change["new"]] for change in changes},
        )
    ConfigurationItem.objects.filter(pk=ci.pk).update(last_inventory_at=timezone.now())
    submission = InventorySubmission.objects.create(
        school=school,
        format=message.format,
        device_id=message.device_id[:255],
        remote_addr=remote_addr,
        payload=message.payload,
        outcome=InventorySubmission.Outcome.ACCEPTED,
        ci=ci,
        summary=summary,
    )
    # A computer reports every day, a few hundred KB each time: its latest accepted payload is kept,
    # the earlier ones keep their summaries. Refused payloads are all kept, for inspection.
    InventorySubmission.objects.filter(
        ci=ci, outcome=InventorySubmission.Outcome.ACCEPTED, pk__lt=submission.pk
    ).exclude(payload=b"").update(payload=b"")
    return submission


def _match(school: School, inventory: ComputerInventory, device_id: str) -> tuple[ConfigurationItem | None, str]:
    """The computer this inventory is about: by UUID, else serial number, else MAC address.

    A machine that reports none of those is recognised by its agent's device id, from an earlier inventory.
    """
    computers = ConfigurationItem.objects.filter(school=school, kind__in=COMPUTER_KINDS).order_by("pk")
    if inventory.uuid:
        ci = computers.filter(uuid__iexact=inventory.uuid).first()
        if ci is not None:
            return ci, "uuid"
    if inventory.serial:
        ci = computers.filter(serial__iexact=inventory.serial).first()
        if ci is not None:
            return ci, "serial"
    if inventory.macs:
        port = (
            Port.objects.filter(school=school, mac__in=inventory.macs, ci__kind__in=COMPUTER_KINDS)
            .order_by("ci_id")
            .select_related("ci")
            .first()
        )
        if port is not None:
            return port.ci, "mac"
    if device_id and not (inventory.uuid or inventory.serial or inventory.macs):
        # Only for a machine that reports nothing else: a disk image cloned with its agent carries one device id.
        earlier = (
            InventorySubmission.objects.filter(
                school=school, device_id=device_id, outcome=InventorySubmission.Outcome.ACCEPTED, ci__isnull=False
            )
            .order_by("-received_at", "-pk")
            .select_related("ci")
            .first()
        )
        if earlier is not None and earlier.ci.kind in COMPUTER_KINDS:
            return earlier.ci, "device id"
    return None, ""


def _attributes(kind: str, inventory: ComputerInventory, current: dict[str, Any]) -> dict[str, Any]:
    """The CI's attributes with what the inventory reports; the rest (a server's role...) kept."""
    schema = KIND_ATTRIBUTES.get(kind, {})
    reported = {
        "hostname": inventory.hostname,
        "os": inventory.os,
        "cpu": inventory.cpu,
        "memory_mb": inventory.memory_mb,
        "disk_gb": inventory.disk_gb,
    }
    if not inventory.partial:
        reported["virtual"] = inventory.virtual
    merged = dict(current)
    for name, value in reported.items():
        if name in schema and value not in (None, ""):
            merged[name] = value
    try:
        return validate_attributes(kind, merged)
    except ValidationError as error:
        raise PayloadError(f"the CMDB refused the reported facts: {'; '.join(error.messages)}") from error


def _fields(inventory: ComputerInventory) -> dict[str, str]:
    return {
        "manufacturer": inventory.manufacturer[:100],
        "model_name": inventory.model_name[:100],
        "serial": inventory.serial[:100],
        "uuid": inventory.uuid[:64],
    }


def _create(school: School, inventory: ComputerInventory, reason: str) -> ConfigurationItem:
    name = inventory.hostname or inventory.serial or inventory.uuid or (inventory.macs or ["computer"])[0]
    ci = ConfigurationItem(
        school=school,
        name=name[:150],
        kind=inventory.kind,
        attributes=_attributes(inventory.kind, inventory, {}),
        **_fields(inventory),
    )
    ci._history_user = None  # the agent, not a person
    ci._change_reason = reason[:100]
    ci.save()
    return ci


def _update(
    ci: ConfigurationItem, inventory: ComputerInventory, reason: str
) -> tuple[ConfigurationItem, list[dict[str, Any]]]:
    """Bring the CI's reported fields up to date; returns the changes. The kind a person chose is kept."""
    ci = ConfigurationItem.objects.select_for_update().get(pk=ci.pk)
    changes: list[dict[str, Any]] = []

    def change(field: str, old: Any, new: Any) -> None:
        changes.append({"field": field, "label": FIELD_LABELS.get(field, field), "old": old, "new": new})

    old_hostname = ci.attributes.get("hostname", "")
    # The name follows the host name while nobody has renamed the item by hand.
    if inventory.hostname and inventory.hostname != old_hostname and ci.name in (old_hostname, ""):
        new_name = inventory.hostname[:150]
        if new_name != ci.name:
            change("name", ci.name, new_name)
            ci.name = new_name
    for field, value in _fields(inventory).items():
        old = getattr(ci, field)
        same = old.lower() == value.lower() if field in ("serial", "uuid") else old == value
        if value and not same:  # an agent that cannot read the serial does not erase it
            change(field, old, value)
            setattr(ci, field, value)
    attributes = _attributes(ci.kind, inventory, ci.attributes)
    for name in REPORTED_ATTRIBUTES:
        if attributes.get(name) != ci.attributes.get(name):
            change(name, ci.attributes.get(name), attributes.get(name))
    if not changes:
        return ci, []
    ci.attributes = attributes
    ci._history_user = None
    ci._change_reason = reason[:100]
    ci.save()
    return ci, changes


def _sync_ports(ci: ConfigurationItem, reported: list[NetworkPort] | None) -> dict[str, Any]:
    """The CI's ports as reported: matched by name, then MAC; a stale port goes unless it has a cable."""
    summary: dict[str, Any] = {"reported": None, "added": [], "updated": [], "removed": [], "kept": 0}
    if reported is None:
        return summary
    summary["reported"] = len(reported)
    existing = list(Port.objects.filter(ci=ci).order_by("pk"))
    by_name = {port.name: port for port in existing}
    by_mac = {port.mac: port for port in existing if port.mac}
    seen: set[int] = set()
    for item in reported:
        port = by_name.get(item.name)
        if port is None or port.pk in seen:
            port = by_mac.get(item.mac)
        if port is None or port.pk in seen:
            port = Port(
                school_id=ci.school_id,
                ci=ci,
                name=item.name,
                kind=PortKind.WIRELESS if item.wireless else PortKind.ETHERNET,
                mac=item.mac,
                ip_address=item.ip_address,
                speed_mbps=item.speed_mbps,
            )
            port.save()
            seen.add(port.pk)
            summary["added"].append(item.name)
            continue
        seen.add(port.pk)
        updates = {"mac": item.mac, "ip_address": item.ip_address, "speed_mbps": item.speed_mbps}
        if port.name != item.name and item.name not in by_name:
            updates["name"] = item.name
        changed = [field for field, value in updates.items() if value is not None and getattr(port, field) != value]
        if changed:
            for field in changed:
                setattr(port, field, updates[field])
            port.save(update_fields=changed)
            summary["updated"].append(port.name)
        else:
            summary["kept"] += 1
    stale = [
        port
        for port in existing
        if port.pk not in seen and port.mac and port.cable_id is None
        and port.kind in (PortKind.ETHERNET, PortKind.WIRELESS)
    ]  # fmt: skip
    if stale:
        Port.objects.filter(pk__in=[port.pk for port in stale]).delete()
        summary["removed"] = [port.name for port in stale]
    summary["kept"] += len([port for port in existing if port.pk not in seen]) - len(stale)
    return summary


def _sync_software(ci: ConfigurationItem, reported: list[Software] | None) -> dict[str, Any] | None:
    """Installations as reported: new ones added, ones the agent no longer sees removed (by hand ones kept)."""
    if reported is None:
        return None
    products = _products(ci.school_id, {(item.name, item.publisher) for item in reported})
    wanted: dict[tuple[int, str], Software] = {}
    for item in reported:
        wanted.setdefault((products[(item.name, item.publisher)].pk, item.version), item)
    existing = {
        (installation.product_id, installation.version): installation
        for installation in SoftwareInstallation.objects.filter(ci=ci).select_related("product")
    }
    added = [
        SoftwareInstallation(
            school_id=ci.school_id,
            ci=ci,
            product_id=product_id,
            version=version,
            installed_on=item.installed_on,
            source=SoftwareInstallation.Source.INVENTORY,
        )
        for (product_id, version), item in wanted.items()
        if (product_id, version) not in existing
    ]
    removed = [
        installation
        for key, installation in existing.items()
        if key not in wanted and installation.source == SoftwareInstallation.Source.INVENTORY
    ]
    SoftwareInstallation.objects.bulk_create(added, batch_size=CHUNK)
    for chunk in _chunks([installation.pk for installation in removed], CHUNK):
        SoftwareInstallation.objects.filter(pk__in=chunk).delete()
    names = {product.pk: product.name for product in products.values()}
    return {
        "reported": len(wanted),
        "added": len(added),
        "removed": len(removed),
        "unchanged": len(wanted) - len(added),
        "added_names": sorted(f"{names[i.product_id]} {i.version}".strip() for i in added)[:SUMMARY_NAMES],
        "removed_names": sorted(str(i) for i in removed)[:SUMMARY_NAMES],
    }


def _products(school_id: int, keys: set[tuple[str, str]]) -> dict[tuple[str, str], SoftwareProduct]:
    """The school's products for these (name, publisher) pairs, creating the missing ones."""

    def fetch(names: Iterable[str]) -> dict[tuple[str, str], SoftwareProduct]:
        found = {}
        for chunk in _chunks(sorted(set(names)), CHUNK):
            for product in SoftwareProduct.objects.filter(school_id=school_id, name__in=chunk):
                found[(product.name, product.publisher)] = product
        return found

    products = fetch(name for name, _ in keys)
    missing = [key for key in keys if key not in products]
    if missing:
        # ignore_conflicts: another school's worth of agents may be adding the same product right now.
        SoftwareProduct.objects.bulk_create(
            [SoftwareProduct(school_id=school_id, name=name, publisher=publisher) for name, publisher in missing],
            batch_size=CHUNK,
            ignore_conflicts=True,
        )
        products.update(fetch(name for name, _ in missing))
    return products


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def describe(summary: dict[str, Any], *, agent: str = "") -> str:
    """One sentence on what an inventory changed, for the CI's timeline and the submissions list."""
    result = summary.get("result")
    if result == "unchanged":
        return "Nothing changed."
    parts = []
    for change in summary.get("changes", []):
        parts.append(f"{change['label'].lower()} {change['old'] or '(none)'} → {change['new']}")
    ports = summary.get("ports") or {}
    for verb in ("added", "updated", "removed"):
        if ports.get(verb):
            parts.append(f"port{'s' if len(ports[verb]) > 1 else ''} {', '.join(ports[verb])} {verb}")
    software = summary.get("software") or {}
    for verb in ("added", "removed"):
        if software.get(verb):
            count = software[verb]
            parts.append(f"{count} software installation{'s' if count > 1 else ''} {verb}")
    sentence = "recorded as a new computer" if result == "created" else "; ".join(parts) or "updated"
    if agent:
        return f"Inventory from {agent}: {sentence}."
    return f"{sentence[:1].upper()}{sentence[1:]}."
