"""Print and Output Management (FITS OM): printers and their queues, supplies read over SNMP, consumables, usage.

A `Printer` is a CMDB printer CI that is watched: its page counter and its `Supply` rows (toner, drums, waste
bins) come from the Printer-MIB, read by om/printing/reading.py every 30 minutes. Each reading is kept compactly
(`SupplyReading`: one small row per supply, `PageCountReading`: one per printer) and pruned after the policy's
retention; the latest values sit on the supply and printer rows. Page-counter deltas become `PrintUsageDay`
rows (a lower count starts a new baseline). A supply that runs low (or is forecast to run out within the lead
time) raises one replenishment task per *episode*: the episode ends when the supply is replaced (its level jumps
up). Cartridges (`CartridgeModel`) are the school's stock list; every change of stock is a `StockMovement`.
`PrintPolicy` holds what the function's policy (om.FunctionPolicy "printing") says in figures: default duplex,
colour restrictions, quotas, the low-supply threshold and lead time.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.urls import reverse

from fits.scoping import SchoolOwned, SchoolScopedQuerySet

DEFAULT_LOW_PERCENT = 15
DEFAULT_LEAD_SCHOOL_DAYS = 10
DEFAULT_RETENTION_DAYS = 400


class PrintQuerySet(SchoolScopedQuerySet):
    """Printing records are support staff's business: an ICT user's role does not open them."""

    staff_only = True


# =============================================================================
# The policy in figures
# =============================================================================


class ColourRule(models.TextChoices):
    ANYONE = "anyone", "Anyone may print in colour"
    STAFF = "staff", "Staff only (pupils print in black)"
    REQUEST = "request", "On request, approved by the network manager"
    NOBODY = "nobody", "Black only: colour printers are set to mono"


class PrintPolicy(SchoolOwned):
    """What the school's print policy (om FunctionPolicy "printing") fixes in figures: one row per school."""

    default_duplex = models.BooleanField("print double-sided by default", default=True)
    colour_rule = models.CharField("colour printing", max_length=10, choices=ColourRule.choices,
                                   default=ColourRule.STAFF)  # fmt: skip
    staff_quota_pages = models.PositiveIntegerField(
        "staff quota (pages a month)", null=True, blank=True, help_text="Empty: no quota."
    )
    pupil_quota_pages = models.PositiveIntegerField(
        "pupil quota (pages a month)", null=True, blank=True, help_text="Empty: no quota."
    )
    low_supply_percent = models.PositiveSmallIntegerField(
        "low supply at (%)", default=DEFAULT_LOW_PERCENT, help_text="A supply at or below this level is low."
    )
    lead_school_days = models.PositiveSmallIntegerField(
        "lead time (school days)",
        default=DEFAULT_LEAD_SCHOOL_DAYS,
        help_text="A supply forecast to run out within this many school days is low too (time to order and fit).",
    )
    retention_days = models.PositiveSmallIntegerField(
        "keep readings for (days)", default=DEFAULT_RETENTION_DAYS, help_text="Daily usage is kept for good."
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = PrintQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "print policies"
        constraints = [models.UniqueConstraint(fields=["school"], name="print_policy_one_per_school")]

    def __str__(self) -> str:
        return f"Print policy at {self.school}"


# =============================================================================
# Printers, supplies and what was read
# =============================================================================


class PrinterQuerySet(PrintQuerySet):
    def for_list(self) -> PrinterQuerySet:
        return self.select_related("school", "ci", "ci__location", "ci__location__parent").prefetch_related(
            models.Prefetch("supplies", queryset=Supply.objects.order_by("index"))
        )


class Printer(SchoolOwned):
    """A printer or multifunction device of the CMDB whose supplies and page counter are read over SNMP."""

    ci = models.OneToOneField("cmdb.ConfigurationItem", on_delete=models.CASCADE, related_name="printer")
    snmp_credential = models.ForeignKey(
        "availability.SnmpCredential",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty: the credential of the CI's SNMP check, else v2c “public”.",
    )
    multifunction = models.BooleanField("multifunction device", default=False)
    colour = models.BooleanField(default=False)
    reading_enabled = models.BooleanField("read over SNMP", default=True)
    page_count = models.BigIntegerField(null=True, blank=True, editable=False)
    last_read_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.CharField(max_length=300, blank=True, editable=False)
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PrinterQuerySet.as_manager()

    class Meta:
        ordering = ["ci__name"]

    def __str__(self) -> str:
        return self.ci.name

    def get_absolute_url(self) -> str:
        return reverse("printing:printer_detail", args=[self.pk])

    @property
    def answering(self) -> bool:
        return self.failing_since is None and self.last_read_at is not None


class SupplyState(models.TextChoices):
    OK = "ok", "OK"
    LOW = "low", "Low"
    EMPTY = "empty", "Empty"
    SOME = "some", "Some remaining"  # Printer-MIB level -3: the printer cannot say how much
    UNKNOWN = "unknown", "Unknown"  # -1 other, -2 unknown, or no maximum


# Printer-MIB PrtMarkerSuppliesTypeTC (the common ones).
SUPPLY_TYPES = {
    1: "other", 2: "unknown", 3: "toner", 4: "waste toner", 5: "ink", 6: "ink cartridge", 7: "ink ribbon",
    8: "waste ink", 9: "opc", 10: "developer", 11: "fuser oil", 15: "fuser", 20: "transfer unit",
    21: "toner cartridge", 22: "fuser oiler",
}  # fmt: skip
# PrtMarkerSuppliesSupplyUnitTC.
SUPPLY_UNITS = {3: "ten-thousandths of inches", 4: "micrometers", 7: "impressions", 8: "sheets", 11: "hours",
                12: "thousandths of ounces", 13: "tenths of grams", 14: "hundredths of fluid ounces",
                15: "tenths of milliliters", 16: "feet", 17: "meters", 18: "items", 19: "percent"}  # fmt: skip
COLOURS = ("black", "cyan", "magenta", "yellow")


class Supply(SchoolOwned):
    """One row of the printer's prtMarkerSuppliesTable, with its latest level and its replenishment episode.

    `episode` counts the cartridges fitted since we began reading: a low supply raises one task per episode, and
    the episode ends when the level jumps up (a new cartridge)."""

    printer = models.ForeignKey(Printer, on_delete=models.CASCADE, related_name="supplies")
    index = models.CharField(max_length=20, help_text="The row's index in the Printer-MIB (device.supply).")
    description = models.CharField(max_length=200)
    supply_type = models.PositiveSmallIntegerField(default=1)
    unit = models.PositiveSmallIntegerField(default=19)
    max_capacity = models.IntegerField(null=True, blank=True)
    level = models.IntegerField(null=True, blank=True, help_text="As the printer said it (-3: some remaining).")
    percent = models.PositiveSmallIntegerField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=SupplyState.choices, default=SupplyState.UNKNOWN)
    cartridge = models.ForeignKey(
        "CartridgeModel", on_delete=models.SET_NULL, null=True, blank=True, related_name="supplies"
    )
    episode = models.PositiveIntegerField(default=1, editable=False)
    low_since = models.DateTimeField(null=True, blank=True, editable=False)
    empty_since = models.DateTimeField(null=True, blank=True, editable=False)
    runs_out_on = models.DateField(null=True, blank=True, editable=False, help_text="Forecast from the recent slope.")
    task = models.ForeignKey("incidents.Task", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    replaced_at = models.DateTimeField(null=True, blank=True, editable=False)
    pages_at_replacement = models.BigIntegerField(null=True, blank=True, editable=False)
    pages_last_cartridge = models.BigIntegerField(
        null=True, blank=True, editable=False, help_text="Pages printed between the last two replacements."
    )
    last_read_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = PrintQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "supplies"
        ordering = ["printer_id", "index"]
        constraints = [models.UniqueConstraint(fields=["printer", "index"], name="printing_supply_unique")]

    def __str__(self) -> str:
        return f"{self.description} ({self.printer})"

    @property
    def type_label(self) -> str:
        return SUPPLY_TYPES.get(self.supply_type, f"type {self.supply_type}")

    @property
    def colour(self) -> str:
        words = self.description.lower()
        return next((colour for colour in COLOURS if colour in words), "")

    @property
    def level_display(self) -> str:
        if self.percent is not None:
            return f"{self.percent} %"
        return {-3: "some remaining", -2: "unknown", -1: "other"}.get(self.level, "not read")

    @property
    def bar_class(self) -> str:
        return {SupplyState.OK: "bg-green", SupplyState.LOW: "bg-orange", SupplyState.EMPTY: "bg-red"}.get(
            self.state, "bg-secondary"
        )


class SupplyReading(SchoolOwned):
    """One reading of one supply: the level as the printer said it and in per cent (compact; pruned)."""

    supply = models.ForeignKey(Supply, on_delete=models.CASCADE, related_name="readings")
    read_at = models.DateTimeField()
    level = models.IntegerField()
    percent = models.PositiveSmallIntegerField(null=True, blank=True)

    objects = PrintQuerySet.as_manager()

    class Meta:
        ordering = ["-read_at"]
        indexes = [models.Index(fields=["supply", "read_at"], name="printing_reading_idx")]

    def __str__(self) -> str:
        return f"{self.supply} at {self.read_at:%Y-%m-%d %H:%M}"


class PageCountReading(SchoolOwned):
    """One reading of a printer's page counter (prtMarkerLifeCount)."""

    printer = models.ForeignKey(Printer, on_delete=models.CASCADE, related_name="page_counts")
    read_at = models.DateTimeField()
    count = models.BigIntegerField()

    objects = PrintQuerySet.as_manager()

    class Meta:
        ordering = ["-read_at"]
        indexes = [models.Index(fields=["printer", "read_at"], name="printing_pagecount_idx")]

    def __str__(self) -> str:
        return f"{self.printer}: {self.count} at {self.read_at:%Y-%m-%d %H:%M}"


class PrintUsageDay(SchoolOwned):
    """Pages a printer printed on one day, from its page-counter deltas (kept for good: usage over years)."""

    printer = models.ForeignKey(Printer, on_delete=models.CASCADE, related_name="usage_days")
    day = models.DateField()
    pages = models.PositiveIntegerField(default=0)

    objects = PrintQuerySet.as_manager()

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["printer", "day"], name="printing_usage_day_unique")]
        indexes = [models.Index(fields=["school", "day"], name="printing_usage_school_idx")]

    def __str__(self) -> str:
        return f"{self.printer} {self.day}: {self.pages} pages"


# =============================================================================
# Print queues
# =============================================================================


class PrintQueue(SchoolOwned):
    """A print queue as users see it: shared by a print server, printing to one printer, with its defaults."""

    name = models.CharField(max_length=100, help_text="The share name users connect to, e.g. “Staffroom-Mono”.")
    server = models.ForeignKey(
        "cmdb.ConfigurationItem",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The print server that shares it (empty: direct IP printing).",
    )
    printer = models.ForeignKey(Printer, on_delete=models.PROTECT, related_name="queues")
    driver = models.CharField(max_length=200, blank=True)
    duplex = models.BooleanField("double-sided by default", default=True)
    colour = models.BooleanField("colour by default", default=False)
    deployed_to = models.CharField(
        max_length=300, blank=True, help_text="Rooms or groups the queue is deployed to (GPO, Intune...)."
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PrintQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["school", "server", "name"], name="printing_queue_unique")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("printing:queue_edit", args=[self.pk])


# =============================================================================
# Consumables
# =============================================================================


class CartridgeColour(models.TextChoices):
    BLACK = "black", "Black"
    CYAN = "cyan", "Cyan"
    MAGENTA = "magenta", "Magenta"
    YELLOW = "yellow", "Yellow"
    OTHER = "other", "Other (drum, waste bin, kit)"


class CartridgeQuerySet(PrintQuerySet):
    def to_reorder(self) -> CartridgeQuerySet:
        return self.filter(stock_on_hand__lte=models.F("reorder_level"))


class CartridgeModel(SchoolOwned):
    """A consumable the school stocks (a toner cartridge, a drum), with its stock on hand and reorder level."""

    name = models.CharField(max_length=150)
    part_number = models.CharField("maker's part number", max_length=60)
    colour = models.CharField(max_length=10, choices=CartridgeColour.choices, default=CartridgeColour.BLACK)
    yield_pages = models.PositiveIntegerField("yield (pages)", null=True, blank=True)
    unit_cost = models.DecimalField("unit cost (£)", max_digits=8, decimal_places=2, null=True, blank=True)
    printer_models = models.CharField(
        "fits printer models",
        max_length=300,
        blank=True,
        help_text="The printer models (as in the CMDB's model field) that take it, separated by commas.",
    )
    stock_on_hand = models.IntegerField(default=0, editable=False)
    reorder_level = models.PositiveIntegerField(default=1, help_text="Reorder when the stock is at or below this.")
    reorder_quantity = models.PositiveIntegerField(default=2)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CartridgeQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["school", "part_number"], name="printing_cartridge_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.part_number})"

    def get_absolute_url(self) -> str:
        return reverse("printing:cartridge_detail", args=[self.pk])

    @property
    def model_names(self) -> list[str]:
        return [name.strip().lower() for name in self.printer_models.split(",") if name.strip()]

    @property
    def cost_per_page(self) -> Decimal | None:
        """The rated cost of a page (unit cost over rated yield)."""
        if self.unit_cost is None or not self.yield_pages:
            return None
        return self.unit_cost / self.yield_pages

    @property
    def needs_reorder(self) -> bool:
        return self.stock_on_hand <= self.reorder_level

    @property
    def reorder_cost(self) -> Decimal | None:
        return None if self.unit_cost is None else self.unit_cost * self.reorder_quantity


class MovementKind(models.TextChoices):
    RECEIVED = "received", "Received"
    FITTED = "fitted", "Fitted"
    WRITTEN_OFF = "written_off", "Written off"


MOVEMENT_SIGN = {MovementKind.RECEIVED: 1, MovementKind.FITTED: -1, MovementKind.WRITTEN_OFF: -1}


class StockMovement(SchoolOwned):
    """One change of a cartridge's stock: received from a supplier, fitted in a printer, or written off."""

    cartridge = models.ForeignKey(CartridgeModel, on_delete=models.CASCADE, related_name="movements")
    kind = models.CharField(max_length=12, choices=MovementKind.choices)
    quantity = models.PositiveIntegerField()
    stock_after = models.IntegerField(editable=False)
    printer = models.ForeignKey(Printer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    note = models.CharField(max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField()

    objects = PrintQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quantity} × {self.cartridge}"

    @property
    def change(self) -> int:
        return MOVEMENT_SIGN[self.kind] * self.quantity
