"""Financial Management (FITS): the true cost of the school's ICT, kit and support alike.

- The school's finance settings: its funding (a maintained school's year runs April-March, an academy's
  September-August), its pupils on roll, how early contract alerts come.
- Depreciation of CIs: defaults per kind of CI at each school, and a CI's own figures where they differ
  (`CICost`). The CMDB keeps what was paid and when (`purchase_cost`, `purchase_date`); finance/money.py does the
  arithmetic.
- Suppliers and their contracts (maintenance, licences, connectivity, the LEA's traded services...), with their
  notice dates and the alert raised before them.
- Budgets per financial year, one line per category with a spending plan per month.
- The expenditure record (FITS: "one sheet per budget"): what was ordered and paid, by whom, against which CI or
  contract; imported from CSV too, the raw file kept.
- Rates per role for pricing support time (a school's own, its authority's, or everyone's).

All of it is support staff's and the budget holders' (`FinanceQuerySet`): an ICT user's role does not open it.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

from fits.scoping import SchoolOwned, SchoolScopedQuerySet, SharedOwned, SharedScopedQuerySet


class FinanceQuerySet(SchoolScopedQuerySet):
    """Finance records are for support staff, leaders and the LEA: an ICT user's role does not open them."""

    staff_only = True


class SharedFinanceQuerySet(SharedScopedQuerySet):
    staff_only = True


# =============================================================================
# Categories and settings
# =============================================================================


class Category(models.TextChoices):
    """The expenditure record's columns (FITS: hardware, software, consumables, support, staff, miscellaneous)."""

    HARDWARE = "hardware", "Hardware"
    SOFTWARE = "software", "Software"
    CONSUMABLES = "consumables", "Consumables"
    SUPPORT = "support", "Support and maintenance"
    STAFF = "staff", "Staff"
    CONNECTIVITY = "connectivity", "Connectivity"
    TRAINING = "training", "Training"
    MISCELLANEOUS = "miscellaneous", "Miscellaneous"


class FundingType(models.TextChoices):
    MAINTAINED = "maintained", "Maintained school (financial year April-March)"
    ACADEMY = "academy", "Academy (financial year September-August)"


YEAR_START = {FundingType.MAINTAINED: 4, FundingType.ACADEMY: 9}


class FinanceSettings(SchoolOwned):
    """One school's finance settings: its funding type (and so its financial year), pupils on roll, alerts."""

    funding_type = models.CharField(max_length=12, choices=FundingType.choices, default=FundingType.MAINTAINED)
    pupils = models.PositiveIntegerField("pupils on roll", default=0)
    alert_days = models.PositiveSmallIntegerField(
        "alert before the notice date (days)",
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="A task is raised this many days before a contract's notice date.",
    )
    warranty_days = models.PositiveSmallIntegerField(
        "warranties ending within (days)", default=90, validators=[MinValueValidator(1), MaxValueValidator(730)]
    )

    objects = FinanceQuerySet.as_manager()

    class Meta:
        verbose_name = "finance settings"
        verbose_name_plural = "finance settings"
        constraints = [models.UniqueConstraint(fields=["school"], name="finance_settings_one_per_school")]

    def __str__(self) -> str:
        return f"Finance settings of {self.school}"

    @property
    def year_start_month(self) -> int:
        return YEAR_START[self.funding_type]


# =============================================================================
# Depreciation
# =============================================================================


class Method(models.TextChoices):
    STRAIGHT_LINE = "straight_line", "Straight line"
    REDUCING_BALANCE = "reducing_balance", "Reducing balance"


class DepreciationDefault(SchoolOwned):
    """How a kind of CI loses its value at one school, unless the CI says otherwise (laptops 3 years...)."""

    kind = models.CharField(max_length=20)  # a cmdb Kind
    method = models.CharField(max_length=20, choices=Method.choices, default=Method.STRAIGHT_LINE)
    life_years = models.PositiveSmallIntegerField(
        "useful life (years)", validators=[MinValueValidator(1), MaxValueValidator(30)]
    )
    rate_percent = models.DecimalField(
        "rate a year (%)",
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
        help_text="Reducing balance only.",
    )
    residual_percent = models.DecimalField(
        "residual value (% of cost)",
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )

    objects = FinanceQuerySet.as_manager()

    class Meta:
        ordering = ["kind"]
        constraints = [models.UniqueConstraint(fields=["school", "kind"], name="finance_default_kind_unique")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.life_years} years"


class CICost(SchoolOwned):
    """A CI's own depreciation figures, where they differ from its kind's default at the school."""

    ci = models.OneToOneField("cmdb.ConfigurationItem", on_delete=models.CASCADE, related_name="finance_cost")
    method = models.CharField(max_length=20, choices=Method.choices, default=Method.STRAIGHT_LINE)
    life_years = models.PositiveSmallIntegerField(
        "useful life (years)", validators=[MinValueValidator(1), MaxValueValidator(30)]
    )
    rate_percent = models.DecimalField(
        "rate a year (%)",
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
    )
    residual_value = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    replace_on = models.DateField(
        "expected replacement", null=True, blank=True, help_text="Leave empty for purchase date + useful life."
    )
    notes = models.CharField(max_length=300, blank=True)

    objects = FinanceQuerySet.as_manager()

    class Meta:
        verbose_name = "CI cost"

    def __str__(self) -> str:
        return f"Costs of {self.ci}"


# =============================================================================
# Suppliers and contracts
# =============================================================================


class Supplier(SchoolOwned):
    """Someone the school buys ICT goods or services from."""

    name = models.CharField(max_length=150)
    contact = models.CharField("contact name", max_length=150, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField("e-mail", blank=True)
    account_number = models.CharField("our account number", max_length=50, blank=True)
    notes = models.CharField(max_length=300, blank=True)

    objects = FinanceQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["school", "name"], name="finance_supplier_unique")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return f"{reverse('finance:supplier_list')}#supplier-{self.pk}"


class ContractKind(models.TextChoices):
    MAINTENANCE = "maintenance", "Maintenance"
    LICENCE = "licence", "Licence"
    CONNECTIVITY = "connectivity", "Connectivity"
    TRADED = "traded", "LEA traded services"
    SUPPORT = "support", "Support"
    WARRANTY = "warranty", "Extended warranty"
    OTHER = "other", "Other"


# Where a contract's payments go in the budget.
CONTRACT_CATEGORY = {
    ContractKind.MAINTENANCE: Category.SUPPORT,
    ContractKind.LICENCE: Category.SOFTWARE,
    ContractKind.CONNECTIVITY: Category.CONNECTIVITY,
    ContractKind.TRADED: Category.SUPPORT,
    ContractKind.SUPPORT: Category.SUPPORT,
    ContractKind.WARRANTY: Category.HARDWARE,
    ContractKind.OTHER: Category.MISCELLANEOUS,
}


class PaymentFrequency(models.TextChoices):
    ANNUAL = "annual", "Once a year"
    TERMLY = "termly", "Each term (3 a year)"
    QUARTERLY = "quarterly", "Quarterly"
    MONTHLY = "monthly", "Monthly"


PAYMENTS_A_YEAR = {
    PaymentFrequency.ANNUAL: 1,
    PaymentFrequency.TERMLY: 3,
    PaymentFrequency.QUARTERLY: 4,
    PaymentFrequency.MONTHLY: 12,
}


class ContractStatus(models.TextChoices):
    """Active, in notice (its notice date is near or past) and lapsed (ended) follow from the dates; renewed and
    cancelled are decisions recorded by contract_renew / contract_cancel."""

    ACTIVE = "active", "Active"
    IN_NOTICE = "in_notice", "In notice"
    LAPSED = "lapsed", "Lapsed"
    RENEWED = "renewed", "Renewed"
    CANCELLED = "cancelled", "Cancelled"


class Contract(SchoolOwned):
    """An agreement with a supplier that costs money every year: what it covers, when it ends and by when the
    school must give notice if it does not want it to renew."""

    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="contracts")
    title = models.CharField(max_length=150)
    kind = models.CharField(max_length=14, choices=ContractKind.choices, default=ContractKind.MAINTENANCE)
    reference = models.CharField("contract reference", max_length=60, blank=True)
    starts_on = models.DateField("start")
    ends_on = models.DateField("end")
    annual_cost = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    payment_frequency = models.CharField(
        max_length=10, choices=PaymentFrequency.choices, default=PaymentFrequency.ANNUAL
    )
    notice_days = models.PositiveSmallIntegerField("notice period (days)", default=90)
    auto_renew = models.BooleanField("renews automatically", default=False)
    cis = models.ManyToManyField(
        "cmdb.ConfigurationItem", blank=True, related_name="contracts", verbose_name="covered CIs"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    documents = models.CharField(max_length=300, blank=True, help_text="Where the signed copy and schedules are.")
    decision = models.CharField(
        max_length=10,
        choices=[(ContractStatus.RENEWED, "Renewed"), (ContractStatus.CANCELLED, "Cancelled")],
        blank=True,
        default="",
        editable=False,
    )
    renewed_as = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    alert_task = models.ForeignKey(
        "incidents.Task", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FinanceQuerySet.as_manager()

    class Meta:
        ordering = ["ends_on", "title"]
        indexes = [models.Index(fields=["school", "ends_on"], name="finance_contract_end_idx")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("finance:contract_detail", args=[self.pk])

    @property
    def category(self) -> str:
        return CONTRACT_CATEGORY[self.kind]

    @property
    def notice_date(self) -> date:
        """The last day to give notice: end - notice period."""
        return self.ends_on - timedelta(days=self.notice_days)

    def status_on(self, day: date, alert_days: int = 60) -> str:
        if self.decision:
            return self.decision
        if day > self.ends_on:
            return ContractStatus.LAPSED
        if day >= self.notice_date - timedelta(days=alert_days):
            return ContractStatus.IN_NOTICE
        return ContractStatus.ACTIVE

    def status_label_on(self, day: date, alert_days: int = 60) -> str:
        return ContractStatus(self.status_on(day, alert_days)).label


# =============================================================================
# Budgets
# =============================================================================


class Budget(SchoolOwned):
    """The school's ICT budget for one financial year (`year` is the calendar year it starts in)."""

    year = models.PositiveSmallIntegerField(validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    notes = models.TextField(blank=True)
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The budget-holding school leader.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FinanceQuerySet.as_manager()

    class Meta:
        ordering = ["-year"]
        constraints = [models.UniqueConstraint(fields=["school", "year"], name="finance_budget_year_unique")]

    def __str__(self) -> str:
        return f"ICT budget {self.year}-{(self.year + 1) % 100:02d}"

    def get_absolute_url(self) -> str:
        return reverse("finance:overview") + f"?school={self.school.slug}&year={self.year}"


class BudgetLine(SchoolOwned):
    """One category's budget for the year, and its spending plan: twelve monthly amounts from the year's start."""

    school_path = "school"

    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="lines")
    category = models.CharField(max_length=14, choices=Category.choices)
    amount = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    plan = models.JSONField(
        default=list, blank=True, help_text="Twelve monthly amounts, first month of the year first."
    )

    objects = FinanceQuerySet.as_manager()

    class Meta:
        ordering = ["category"]
        constraints = [models.UniqueConstraint(fields=["budget", "category"], name="finance_line_unique")]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: £{self.amount}"


# =============================================================================
# The expenditure record
# =============================================================================


class Stage(models.TextChoices):
    ORDERED = "ordered", "Ordered (committed)"
    PAID = "paid", "Invoiced or paid"


class ExpenditureImport(SchoolOwned):
    """A CSV file of expenditure lines as uploaded (kept), with what became of it."""

    file = models.FileField(upload_to="finance/imports/%Y/%m/")
    filename = models.CharField(max_length=200)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    rows = models.PositiveIntegerField(default=0)
    accepted = models.BooleanField(default=False)
    errors = models.JSONField(default=list, blank=True)

    objects = FinanceQuerySet.as_manager()

    class Meta:
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return self.filename


class Expenditure(SchoolOwned):
    """One line of the expenditure record: what was bought, from whom, when, for how much, in which category."""

    spent_on = models.DateField("date")
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, null=True, blank=True, related_name="lines")
    item = models.CharField(max_length=200)
    category = models.CharField(max_length=14, choices=Category.choices)
    amount = models.DecimalField("amount (£, before VAT)", max_digits=10, decimal_places=2)
    vat = models.DecimalField("VAT (£)", max_digits=10, decimal_places=2, default=Decimal("0"))
    stage = models.CharField(max_length=8, choices=Stage.choices, default=Stage.PAID)
    ci = models.ForeignKey(
        "cmdb.ConfigurationItem",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="expenditure",
        verbose_name="CI",
    )
    contract = models.ForeignKey(Contract, on_delete=models.SET_NULL, null=True, blank=True, related_name="invoices")
    order_reference = models.CharField(max_length=60, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source_key = models.CharField(
        max_length=120,
        blank=True,
        editable=False,
        help_text="Set when a process records it (a cartridge delivery): once per key.",
    )
    imported_from = models.ForeignKey(
        ExpenditureImport, on_delete=models.SET_NULL, null=True, blank=True, related_name="lines", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = FinanceQuerySet.as_manager()

    class Meta:
        ordering = ["-spent_on", "-pk"]
        verbose_name_plural = "expenditure"
        constraints = [
            models.UniqueConstraint(
                fields=["school", "source_key"],
                condition=~models.Q(source_key=""),
                name="finance_expenditure_source_unique",
            ),
        ]
        indexes = [models.Index(fields=["school", "spent_on"], name="finance_expenditure_day_idx")]

    def __str__(self) -> str:
        return f"{self.spent_on:%d/%m/%Y} {self.item} £{self.amount}"

    def get_absolute_url(self) -> str:
        return f"{reverse('finance:expenditure_list')}#line-{self.pk}"

    @property
    def counted(self) -> bool:
        """A contract's invoice is shown but not counted again: the contract's payments are."""
        return self.contract_id is None


# =============================================================================
# Rates for support time
# =============================================================================


class RoleRate(SharedOwned):
    """What an hour of a role's time costs: a school's own rate, its authority's for all its schools, or everyone's."""

    role = models.CharField(max_length=20)  # a fits Role or AuthorityRoleKind
    hourly_rate = models.DecimalField(max_digits=7, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])

    objects = SharedFinanceQuerySet.as_manager()

    class Meta:
        ordering = ["role"]

    def __str__(self) -> str:
        return f"{self.role}: £{self.hourly_rate}/h ({self.scope_label})"
