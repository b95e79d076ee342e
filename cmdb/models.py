"""Configuration Management (FITS): up-to-date records of ICT hardware, software and services.

One table for every configuration item, with a `kind` and kind-specific `attributes`, rather than
one model per kind. The common lists (all CIs of a school, everything in a room, everything behind
a switch) and the impact walk then read one table with one index, relationships and cables point at
one model, and adding a kind is a line in KIND_ATTRIBUTES, not a migration and a new set of views.
The attributes that differ by kind are few, rarely filtered on, and validated per kind here
(`validate_attributes`), by the services, the forms and the API alike.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from fits import access
from fits.scoping import SchoolOwned, SchoolScopedQuerySet
from fits.workflow import Transition, Workflow

# =============================================================================
# Locations: site / building / room
# =============================================================================


class Location(SchoolOwned):
    """A site of the school, a building on a site, or a room in a building."""

    # Locations keep the plain rule: anyone at the school may pick a room when they log an incident.

    class Kind(models.TextChoices):
        SITE = "site", "Site"
        BUILDING = "building", "Building"
        ROOM = "room", "Room"

    PARENT_KIND = {Kind.BUILDING: Kind.SITE, Kind.ROOM: Kind.BUILDING}

    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = models.CharField(max_length=100)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["school", "parent", "name"], name="location_unique_name")]

    def __str__(self) -> str:
        return self.path

    @property
    def path(self) -> str:
        """ "Main site / Science block / S12": select_related("parent__parent") keeps it query-free."""
        parts, node = [], self
        while node is not None:
            parts.append(node.name)
            node = node.parent
        return " / ".join(reversed(parts))

    def clean(self) -> None:
        wanted = self.PARENT_KIND.get(self.kind)
        if wanted is None and self.parent_id:
            raise ValidationError({"parent": "A site has no parent."})
        if wanted is not None and (self.parent is None or self.parent.kind != wanted):
            raise ValidationError(
                {"parent": f"A {self.get_kind_display().lower()} belongs to a {wanted.label.lower()}."}
            )
        if self.parent is not None and self.parent.school_id != self.school_id:
            raise ValidationError({"parent": "The parent belongs to another school."})


# =============================================================================
# Kinds and their attributes
# =============================================================================


class Kind(models.TextChoices):
    DESKTOP = "desktop", "Desktop computer"
    LAPTOP = "laptop", "Laptop"
    TABLET = "tablet", "Tablet"
    PERIPHERAL = "peripheral", "Peripheral"
    DISPLAY = "display", "Projector or display"
    PRINTER = "printer", "Printer"
    SWITCH = "switch", "Switch"
    ROUTER = "router", "Router"
    ACCESS_POINT = "access_point", "Wireless access point"
    FIREWALL = "firewall", "Firewall"
    SERVER = "server", "Server"
    STORAGE = "storage", "Storage device"
    PATCH_PANEL = "patch_panel", "Patch panel"
    WALL_SOCKET = "wall_socket", "Wall socket"
    OPERATING_SYSTEM = "operating_system", "Operating system"
    SOFTWARE = "software", "Software"
    SERVICE = "service", "ICT service"


COMPUTER_KINDS = frozenset({Kind.DESKTOP, Kind.LAPTOP, Kind.TABLET, Kind.SERVER})
# Devices that carry other devices' traffic: failures spread through their (non-uplink) ports.
INFRASTRUCTURE_KINDS = frozenset({Kind.SWITCH, Kind.ROUTER, Kind.FIREWALL, Kind.ACCESS_POINT})
# Cabling that passes a connection through rather than ending it.
PASSIVE_KINDS = frozenset({Kind.PATCH_PANEL, Kind.WALL_SOCKET})
LOGICAL_KINDS = frozenset({Kind.OPERATING_SYSTEM, Kind.SOFTWARE, Kind.SERVICE})

KIND_GROUPS = {
    "Computers": [Kind.DESKTOP, Kind.LAPTOP, Kind.TABLET, Kind.SERVER],
    "Peripherals": [Kind.PERIPHERAL, Kind.DISPLAY, Kind.PRINTER, Kind.STORAGE],
    "Network": [Kind.SWITCH, Kind.ROUTER, Kind.ACCESS_POINT, Kind.FIREWALL, Kind.PATCH_PANEL, Kind.WALL_SOCKET],
    "Software and services": [Kind.OPERATING_SYSTEM, Kind.SOFTWARE, Kind.SERVICE],
}


class Attribute:
    """One kind-specific attribute: its type, whether it is required, and what it means."""

    def __init__(self, type_: type, label: str, *, required: bool = False, choices: tuple[str, ...] = ()) -> None:
        self.type, self.label, self.required, self.choices = type_, label, required, choices

    def clean(self, value: Any) -> Any:
        if value in (None, ""):
            return None
        if self.type is bool:
            if isinstance(value, bool):
                return value
            if str(value).strip().lower() in ("1", "true", "yes", "y"):
                return True
            if str(value).strip().lower() in ("0", "false", "no", "n"):
                return False
            raise ValueError("must be yes or no")
        if self.type is int:
            if isinstance(value, bool):
                raise ValueError("must be a whole number")
            try:
                number = int(str(value).strip())
            except ValueError as error:
                raise ValueError("must be a whole number") from error
            if number < 0:
                raise ValueError("cannot be negative")
            return number
        text = str(value).strip()
        if self.choices and text not in self.choices:
            raise ValueError(f"must be one of {', '.join(self.choices)}")
        return text


_COMPUTER = {
    "hostname": Attribute(str, "Host name"),
    "cpu": Attribute(str, "Processor"),
    "memory_mb": Attribute(int, "Memory (MB)"),
    "disk_gb": Attribute(int, "Disk (GB)"),
    "os": Attribute(str, "Operating system"),
}
KIND_ATTRIBUTES: dict[str, dict[str, Attribute]] = {
    Kind.DESKTOP: _COMPUTER,
    Kind.LAPTOP: {**_COMPUTER, "battery_health": Attribute(int, "Battery health (%)")},
    Kind.TABLET: {**_COMPUTER, "managed_by": Attribute(str, "Managed by (MDM)")},
    Kind.SERVER: {
        **_COMPUTER,
        "role": Attribute(str, "Role", required=False),
        "virtual": Attribute(bool, "Virtual machine"),
    },
    Kind.PERIPHERAL: {"peripheral_type": Attribute(str, "Type (scanner, visualiser, camera...)")},
    Kind.DISPLAY: {
        "display_type": Attribute(str, "Type", choices=("projector", "interactive whiteboard", "panel", "monitor")),
        "lamp_hours": Attribute(int, "Lamp hours"),
    },
    Kind.PRINTER: {
        "colour": Attribute(bool, "Colour"),
        "duplex": Attribute(bool, "Duplex"),
        "page_count": Attribute(int, "Page count"),
    },
    Kind.SWITCH: {
        "port_count": Attribute(int, "Ports"),
        "managed": Attribute(bool, "Managed"),
        "firmware": Attribute(str, "Firmware"),
        "poe": Attribute(bool, "PoE"),
    },
    Kind.ROUTER: {"firmware": Attribute(str, "Firmware"), "wan_ip": Attribute(str, "WAN address")},
    Kind.ACCESS_POINT: {
        "ssids": Attribute(str, "SSIDs"),
        "band": Attribute(str, "Band", choices=("2.4 GHz", "5 GHz", "dual", "tri")),
        "firmware": Attribute(str, "Firmware"),
    },
    Kind.FIREWALL: {"firmware": Attribute(str, "Firmware"), "throughput_mbps": Attribute(int, "Throughput (Mbit/s)")},
    Kind.STORAGE: {"capacity_gb": Attribute(int, "Capacity (GB)", required=True), "raid": Attribute(str, "RAID level")},
    Kind.PATCH_PANEL: {"port_count": Attribute(int, "Ports", required=True)},
    Kind.WALL_SOCKET: {},
    Kind.OPERATING_SYSTEM: {"version": Attribute(str, "Version"), "edition": Attribute(str, "Edition")},
    Kind.SOFTWARE: {"version": Attribute(str, "Version"), "publisher": Attribute(str, "Publisher")},
    Kind.SERVICE: {
        "purpose": Attribute(str, "Purpose", required=True, choices=("learning", "teaching", "management")),
        "criticality": Attribute(str, "Criticality", choices=("low", "medium", "high")),
        "service_hours": Attribute(str, "Service hours"),
    },
}


def validate_attributes(kind: str, attributes: dict[str, Any] | None) -> dict[str, Any]:
    """The attributes of a CI of `kind`, cleaned; ValidationError naming each bad or unknown one."""
    schema = KIND_ATTRIBUTES.get(kind)
    if schema is None:
        raise ValidationError({"kind": f"Unknown kind {kind!r}."})
    attributes = dict(attributes or {})
    errors, cleaned = [], {}
    for name in sorted(set(attributes) - set(schema)):
        errors.append(f"{name}: not an attribute of a {Kind(kind).label.lower()}")
    for name, attribute in schema.items():
        try:
            value = attribute.clean(attributes.get(name))
        except ValueError as error:
            errors.append(f"{attribute.label}: {error}")
            continue
        if value is None:
            if attribute.required:
                errors.append(f"{attribute.label}: required for a {Kind(kind).label.lower()}")
            continue
        cleaned[name] = value
    if errors:
        raise ValidationError({"attributes": errors})
    return cleaned


# =============================================================================
# Configuration items
# =============================================================================


class LifecycleStatus(models.TextChoices):
    ORDERED = "ordered", "Ordered"
    IN_STOCK = "in_stock", "In stock"
    LIVE = "live", "Live"
    IN_REPAIR = "in_repair", "In repair"
    RETIRED = "retired", "Retired"
    DISPOSED = "disposed", "Disposed"


MAC_RE = re.compile(r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$")


def normalise_mac(value: str | None) -> str:
    """ "00-1A-2b-3C-4d-5E" -> "00:1a:2b:3c:4d:5e"; "" when empty; ValueError when not a MAC address."""
    if not value:
        return ""
    digits = re.sub(r"[^0-9a-fA-F]", "", value).lower()
    if len(digits) != 12:
        raise ValueError(f"{value!r} is not a MAC address")
    return ":".join(digits[i : i + 2] for i in range(0, 12, 2))


class CMDBQuerySet(SchoolScopedQuerySet):
    """The CMDB is for support staff: an ICT user's role does not open it."""

    staff_only = True


def count_capped(
    queryset: models.QuerySet, column: str, subsets: dict[str, list[Any] | None], cap: int | dict[str, int]
) -> dict[str, int]:
    """How many rows of `queryset` have `column` in each subset's values (None: every row), counting no
    further than cap + 1 (more than the cap); `cap` may be given per subset. One query, its SQL built once.

    The tabs of a list over an authority's 250,000 CIs: each count stops early instead of reading every row,
    and reads only `column` (with the filters' index holding it, the count reads the index alone).
    """
    connection = connections[queryset.db]
    read = ("pk", column) if queryset.query.distinct else (column,)  # a DISTINCT count keeps rows apart
    sql, inner = queryset.order_by().values(*read).query.sql_with_params()
    name = connection.ops.quote_name(column)
    parts, params = [], list(inner)
    for n, (key, values) in enumerate(subsets.items()):
        limit = int(cap[key] if isinstance(cap, dict) else cap) + 1
        where = "" if values is None else f" WHERE s.{name} IN ({', '.join(['%s'] * len(values))})"
        parts.append(f"(SELECT COUNT(*) FROM (SELECT 1 FROM matching AS s{where} LIMIT {limit}) AS c{n})")
        params += values or []
    # The rows once in the statement (an authority's 500 school ids are sent once, not once per count); on
    # PostgreSQL NOT MATERIALIZED lets each count read the index for itself rather than all the rows first.
    hint = "NOT MATERIALIZED " if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(f"WITH matching AS {hint}({sql}) SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return dict(zip(subsets, row, strict=True))


class ConfigurationItemQuerySet(CMDBQuerySet):
    """Configuration items, with what their lists need."""

    def for_list(self) -> ConfigurationItemQuerySet:
        return self.select_related("school", "location__parent__parent", "owner")

    def hardware(self) -> ConfigurationItemQuerySet:
        return self.exclude(kind__in=LOGICAL_KINDS)

    def live(self) -> ConfigurationItemQuerySet:
        return self.filter(status=LifecycleStatus.LIVE)


class ConfigurationItem(SchoolOwned):
    """Anything the school's ICT service is made of: hardware, software, and the services themselves."""

    name = models.CharField(max_length=150)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(
        max_length=20, choices=LifecycleStatus.choices, default=LifecycleStatus.LIVE, editable=False
    )
    location = models.ForeignKey(Location, on_delete=models.SET_NULL, null=True, blank=True, related_name="items")
    manufacturer = models.CharField(max_length=100, blank=True)
    model_name = models.CharField("model", max_length=100, blank=True)
    serial = models.CharField("serial number", max_length=100, blank=True)
    asset_tag = models.CharField(max_length=50, blank=True)
    uuid = models.CharField("hardware UUID", max_length=64, blank=True)
    management_address = models.CharField(max_length=255, blank=True, help_text="IP address or host name.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The owner or main user.",
    )
    supplier = models.CharField(max_length=100, blank=True)
    purchase_date = models.DateField(null=True, blank=True)
    purchase_cost = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    warranty_end = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    last_inventory_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at", "last_inventory_at"])
    objects = ConfigurationItemQuerySet.as_manager()

    WORKFLOW = Workflow(
        LifecycleStatus,
        [
            Transition("receive", "Receive into stock", (LifecycleStatus.ORDERED,), LifecycleStatus.IN_STOCK,
                       access.can_manage_cmdb),
            Transition("deploy", "Put live", (LifecycleStatus.ORDERED, LifecycleStatus.IN_STOCK,
                       LifecycleStatus.IN_REPAIR, LifecycleStatus.RETIRED), LifecycleStatus.LIVE,
                       access.can_manage_cmdb, style="primary"),
            Transition("repair", "Send for repair", (LifecycleStatus.LIVE, LifecycleStatus.IN_STOCK),
                       LifecycleStatus.IN_REPAIR, access.can_manage_cmdb, note_required=True,
                       note_label="What is being repaired, and by whom?"),
            Transition("stock", "Return to stock", (LifecycleStatus.LIVE, LifecycleStatus.IN_REPAIR,
                       LifecycleStatus.RETIRED), LifecycleStatus.IN_STOCK, access.can_manage_cmdb),
            Transition("retire", "Retire", (LifecycleStatus.LIVE, LifecycleStatus.IN_STOCK,
                       LifecycleStatus.IN_REPAIR), LifecycleStatus.RETIRED, access.can_manage_cmdb,
                       note_required=True, note_label="Why is it retired?", style="warning"),
            Transition("dispose", "Dispose", (LifecycleStatus.RETIRED, LifecycleStatus.IN_STOCK),
                       LifecycleStatus.DISPOSED, access.can_manage_cmdb, note_required=True,
                       note_label="How was it disposed of (WEEE certificate, data wiped)?", style="danger"),
        ],
    )  # fmt: skip

    class Meta:
        ordering = ["name"]
        verbose_name = "configuration item"
        constraints = [
            models.UniqueConstraint(
                fields=["school", "asset_tag"], condition=~models.Q(asset_tag=""), name="ci_asset_tag_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["school", "kind", "status"], name="ci_list_idx"),
            models.Index(fields=["school", "name"], name="ci_name_idx"),
            # The list over every school of an authority, by name: its pages are found in this index alone.
            models.Index(fields=["name", "id"], include=["school"], name="ci_name_all_idx"),
            models.Index(fields=["school", "serial"], name="ci_serial_idx"),
            models.Index(fields=["school", "uuid"], name="ci_uuid_idx"),
            models.Index(fields=["location"], name="ci_location_idx"),
            models.Index(fields=["warranty_end"], name="ci_warranty_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("cmdb:ci_detail", kwargs={"pk": self.pk})

    @property
    def attribute_rows(self) -> list[tuple[str, Any]]:
        """(label, value) of the kind's attributes that are set, in the kind's order."""
        schema = KIND_ATTRIBUTES.get(self.kind, {})
        return [(a.label, self.attributes[name]) for name, a in schema.items() if name in self.attributes]

    @property
    def purchase_cost_display(self) -> str:
        return f"£{self.purchase_cost:,.2f}" if isinstance(self.purchase_cost, Decimal) else ""


# =============================================================================
# Ports and cabling
# =============================================================================


class PortKind(models.TextChoices):
    ETHERNET = "ethernet", "Ethernet (RJ45)"
    SFP = "sfp", "SFP / fibre module"
    WIRELESS = "wireless", "Wireless"
    CONSOLE = "console", "Console"
    FRONT = "front", "Patch panel front"
    REAR = "rear", "Patch panel rear"
    SOCKET = "socket", "Wall socket"


PASS_THROUGH_KINDS = frozenset({PortKind.FRONT, PortKind.REAR})


class Port(SchoolOwned):
    """An interface or port of a CI: a switch port, a PC's network card, a patch panel's front or rear.

    A patch panel's front port maps to one rear port (`rear_port`), which is how a trace passes
    through the panel. `connected_endpoint` caches the far end of the whole path (through any
    panels), kept by the cabling services so impact analysis reads it in one query per level.
    """

    objects = CMDBQuerySet.as_manager()

    ci = models.ForeignKey(ConfigurationItem, on_delete=models.CASCADE, related_name="ports")
    name = models.CharField(max_length=64)
    kind = models.CharField(max_length=10, choices=PortKind.choices, default=PortKind.ETHERNET)
    speed_mbps = models.PositiveIntegerField("speed (Mbit/s)", null=True, blank=True)
    mac = models.CharField("MAC address", max_length=17, blank=True)
    vlan = models.PositiveSmallIntegerField("VLAN", null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    is_uplink = models.BooleanField(
        default=False, help_text="Leads towards the core of the network (failures do not spread through it)."
    )
    cable_expected = models.BooleanField(default=False, help_text="The CMDB audit reports it when it has no cable.")
    rear_port = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="front_ports")
    cable = models.ForeignKey("Cable", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    connected_endpoint = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )

    class Meta:
        ordering = ["ci", "name"]
        constraints = [models.UniqueConstraint(fields=["ci", "name"], name="port_unique_name")]
        indexes = [
            models.Index(fields=["school", "mac"], name="port_mac_idx"),
            models.Index(fields=["ci", "is_uplink"], name="port_uplink_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ci.name} {self.name}"


class Cable(SchoolOwned):
    """A cable joining two ports of the same school; a port holds at most one cable."""

    objects = CMDBQuerySet.as_manager()

    class Type(models.TextChoices):
        CAT5E = "cat5e", "Cat5e"
        CAT6 = "cat6", "Cat6"
        CAT6A = "cat6a", "Cat6a"
        FIBRE_MM = "fibre_mm", "Fibre, multi-mode"
        FIBRE_SM = "fibre_sm", "Fibre, single-mode"
        DAC = "dac", "Direct-attach copper"
        OTHER = "other", "Other"

    a_port = models.OneToOneField(Port, on_delete=models.CASCADE, related_name="cable_as_a")
    b_port = models.OneToOneField(Port, on_delete=models.CASCADE, related_name="cable_as_b")
    type = models.CharField(max_length=10, choices=Type.choices, default=Type.CAT6)
    label = models.CharField(max_length=50, blank=True)
    colour = models.CharField(max_length=20, blank=True)
    length_m = models.DecimalField("length (m)", max_digits=6, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~models.Q(a_port=models.F("b_port")), name="cable_two_ports"),
        ]

    def __str__(self) -> str:
        return self.label or f"Cable {self.pk}"

    def far_end(self, port: Port) -> Port:
        return self.b_port if port.pk == self.a_port_id else self.a_port


# =============================================================================
# Relationships
# =============================================================================


class Relationship(SchoolOwned):
    """`source` relies on `target`: when the target fails, the source is affected."""

    objects = CMDBQuerySet.as_manager()

    class Kind(models.TextChoices):
        DEPENDS_ON = "depends_on", "depends on"
        RUNS_ON = "runs_on", "runs on"
        CONNECTED_TO = "connected_to", "is connected to"
        INSTALLED_ON = "installed_on", "is installed on"

    source = models.ForeignKey(ConfigurationItem, on_delete=models.CASCADE, related_name="relationships_out")
    target = models.ForeignKey(ConfigurationItem, on_delete=models.CASCADE, related_name="relationships_in")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.DEPENDS_ON)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="relationship_unique"),
            models.CheckConstraint(condition=~models.Q(source=models.F("target")), name="relationship_not_self"),
        ]
        indexes = [models.Index(fields=["target", "kind"], name="relationship_target_idx")]

    def __str__(self) -> str:
        return f"{self.source} {self.get_kind_display()} {self.target}"


# =============================================================================
# Software and licences
# =============================================================================


class SoftwareProduct(SchoolOwned):
    """A piece of software as the school knows it (from inventory or by hand)."""

    objects = CMDBQuerySet.as_manager()

    name = models.CharField(max_length=200)
    publisher = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["school", "name", "publisher"], name="software_unique")]

    def __str__(self) -> str:
        return self.name


class SoftwareInstallation(SchoolOwned):
    """A version of a product installed on a CI."""

    objects = CMDBQuerySet.as_manager()

    class Source(models.TextChoices):
        INVENTORY = "inventory", "Inventory agent"
        MANUAL = "manual", "By hand"

    ci = models.ForeignKey(ConfigurationItem, on_delete=models.CASCADE, related_name="installations")
    product = models.ForeignKey(SoftwareProduct, on_delete=models.CASCADE, related_name="installations")
    version = models.CharField(max_length=100, blank=True)
    installed_on = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)

    class Meta:
        ordering = ["product__name"]
        constraints = [
            models.UniqueConstraint(fields=["ci", "product", "version"], name="installation_unique"),
        ]
        indexes = [models.Index(fields=["product", "version"], name="installation_product_idx")]

    def __str__(self) -> str:
        return f"{self.product} {self.version}".strip()


class Licence(SchoolOwned):
    """A licence for a product: how many seats, until when, and who uses them."""

    objects = CMDBQuerySet.as_manager()

    class Model(models.TextChoices):
        PER_DEVICE = "device", "Per device"
        PER_USER = "user", "Per user"
        SITE = "site", "Site licence"
        SUBSCRIPTION = "subscription", "Subscription"

    product = models.ForeignKey(SoftwareProduct, on_delete=models.PROTECT, related_name="licences")
    model = models.CharField("licensing model", max_length=15, choices=Model.choices, default=Model.PER_DEVICE)
    seats = models.PositiveIntegerField(null=True, blank=True, help_text="Empty for unlimited (site licence).")
    reference = models.CharField(max_length=100, blank=True, help_text="Agreement or order number.")
    supplier = models.CharField(max_length=100, blank=True)
    cost = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    starts_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["product__name", "expires_on"]

    def __str__(self) -> str:
        return f"{self.product} ({self.get_model_display().lower()})"


class LicenceSeat(SchoolOwned):
    """One seat of a licence in use: by a device or by a person."""

    objects = CMDBQuerySet.as_manager()

    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="seat_assignments")
    ci = models.ForeignKey(ConfigurationItem, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ci__isnull=False) | models.Q(user__isnull=False), name="seat_has_holder"
            ),
            models.UniqueConstraint(fields=["licence", "ci"], name="seat_unique_ci"),
            models.UniqueConstraint(fields=["licence", "user"], name="seat_unique_user"),
        ]

    def __str__(self) -> str:
        return f"{self.licence}: {self.ci or self.user}"


# =============================================================================
# Inventory agents
# =============================================================================


class AgentKey(SchoolOwned):
    """The school's inventory agent key: agents send `--tag SLUG --user SLUG --password KEY`.

    Only a hash is kept; the key is shown once, when it is set or rotated.
    """

    key_hash = models.CharField(max_length=128)
    rotated_at = models.DateTimeField(auto_now=True)
    rotated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = CMDBQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["school"], name="agent_key_one_per_school")]

    def __str__(self) -> str:
        return f"Agent key of {self.school}"


class InventorySubmission(SchoolOwned):
    """One inventory an agent sent: kept as received, with what it did or why it was refused."""

    class Format(models.TextChoices):
        FUSION_XML = "fusion_xml", "FusionInventory XML"
        GLPI_JSON = "glpi_json", "GLPI Agent JSON"

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    format = models.CharField(max_length=12, choices=Format.choices)
    device_id = models.CharField("agent device id", max_length=255, blank=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    payload = models.BinaryField(help_text="The inventory as received, decompressed.")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    error = models.TextField(blank=True)
    ci = models.ForeignKey(
        ConfigurationItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="inventory_submissions"
    )
    summary = models.JSONField(default=dict, blank=True)

    objects = CMDBQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["school", "outcome", "received_at"], name="inventory_list_idx")]

    def __str__(self) -> str:
        return f"{self.get_format_display()} from {self.device_id or 'unknown agent'} ({self.get_outcome_display()})"


# Module-level names of nested choices, for the API schema's enum names (SPECTACULAR_SETTINGS).
LocationKind = Location.Kind
RelationshipKind = Relationship.Kind
CableType = Cable.Type
