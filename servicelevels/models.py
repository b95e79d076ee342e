"""Service Level Management records (FITS Service Level).

The ICT service catalogue, the agreements about it (SLAs, OLAs, underpinning contracts, the LEA's traded
services), the clock events of breach detection and the daily rollups the dashboards read.

Calendars that know schools: an authority's calendar (working hours, term dates, INSET days and
closures) that each of its schools may override with its own. Bank holidays are not stored: they come
from the `holidays` package for the calendar's nation (servicelevels.calendars).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from fits import access
from fits.models import Nation
from fits.scoping import SchoolOwned, SharedOwned
from fits.workflow import Transition, Workflow
from incidents.models import Priority, TicketKind


class Calendar(SharedOwned):
    """When a school is open: its own calendar, else its authority's, else the built-in default.

    A school's calendar overrides its authority's part by part: its working hours if it has any, its
    term dates if it has any; closures (INSET days, snow days) of both apply.
    """

    name = models.CharField(max_length=100)
    nation = models.CharField(
        max_length=3,
        choices=Nation.choices,
        blank=True,
        help_text="Whose bank holidays apply. Leave empty to use the authority's nation.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school"], condition=models.Q(school__isnull=False), name="one_calendar_per_school"
            ),
            models.UniqueConstraint(
                fields=["authority"],
                condition=models.Q(school__isnull=True, authority__isnull=False),
                name="one_calendar_per_authority",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("servicelevels:calendar_detail", args=[self.pk])


class WorkingHours(models.Model):
    """A span of a weekday when support works (several a day, e.g. 08:00-12:00 and 13:00-17:00)."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["calendar", "weekday", "opens"]
        verbose_name_plural = "working hours"

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"

    def clean(self) -> None:
        if self.opens is not None and self.closes is not None and self.opens >= self.closes:
            raise ValidationError({"closes": "Closing time must be after opening time."})


class TermDate(models.Model):
    """A term or half-term span when the school is open (e.g. "Autumn 1", 2026-27)."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="terms")
    school_year = models.CharField(max_length=7, help_text='e.g. "2026-27".')
    name = models.CharField(max_length=100)
    starts = models.DateField()
    ends = models.DateField(help_text="The last day of the span (inclusive).")
    provisional = models.BooleanField(
        default=False,
        help_text="Rolled over from last year (shifted by 52 weeks): check it against the authority's dates.",
    )

    class Meta:
        ordering = ["calendar", "starts"]

    def __str__(self) -> str:
        return f"{self.name} {self.school_year}"

    def clean(self) -> None:
        if self.starts and self.ends and self.ends < self.starts:
            raise ValidationError({"ends": "A term cannot end before it starts."})


class Closure(models.Model):
    """A day or days that differ from the pattern: INSET days, a bank holiday worked, a snow closure."""

    class Kind(models.TextChoices):
        INSET = "inset", "INSET day"
        BANK_HOLIDAY = "bank_holiday", "Bank holiday override"
        CLOSURE = "closure", "Closure"
        OTHER = "other", "Other"

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="closures")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CLOSURE)
    name = models.CharField(max_length=100)
    starts = models.DateField()
    ends = models.DateField(help_text="The last day (inclusive); the same as the first for one day.")
    staff_working = models.BooleanField(
        default=False,
        help_text="Closed to pupils but staff work, so support's clock runs (INSET days; a bank holiday "
        "the school works). Unticked: nobody works (snow, an extra bank holiday).",
    )

    class Meta:
        ordering = ["calendar", "starts"]

    def __str__(self) -> str:
        return f"{self.name} ({self.starts:%d %b %Y})"

    def clean(self) -> None:
        if self.starts and self.ends and self.ends < self.starts:
            raise ValidationError({"ends": "A closure cannot end before it starts."})


# =============================================================================
# The ICT service catalogue
# =============================================================================


class SupportHours(models.TextChoices):
    """When an agreement's clock runs (with `term_time_only`, outside terms it stops)."""

    SCHOOL_HOURS = "school_hours", "School hours"
    AROUND_THE_CLOCK = "around_the_clock", "Around the clock"


class ITService(SchoolOwned):
    """An ICT service the school's people rely on for learning, teaching or management (FITS service catalogue).

    Linked to the CMDB's service CI (whose relationships say what the service runs on), with the owner
    who answers for it, its hours of support and the availability it should reach.
    """

    class Purpose(models.TextChoices):
        LEARNING = "learning", "Learning"
        TEACHING = "teaching", "Teaching"
        MANAGEMENT = "management", "Management and administration"
        INFRASTRUCTURE = "infrastructure", "Infrastructure"

    name = models.CharField(max_length=100)
    description = models.TextField(blank=True, help_text="What the service gives its users, in their words.")
    purpose = models.CharField(max_length=20, choices=Purpose.choices, default=Purpose.LEARNING)
    ci = models.ForeignKey(
        "cmdb.ConfigurationItem",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="it_services",
        verbose_name="CMDB service",
        help_text="The service in the CMDB: its relationships say which devices it runs on.",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_services",
        help_text="Who answers for the service and agrees its service levels.",
    )
    hours = models.CharField(
        "hours of support", max_length=20, choices=SupportHours.choices, default=SupportHours.SCHOOL_HOURS
    )
    term_time_only = models.BooleanField(default=False, help_text="Supported in term time only.")
    availability_target = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("99.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text="Per cent of its hours of support the service should be up.",
    )
    is_default = models.BooleanField(
        default=False, help_text="Tickets that name no service count against this one (one per school)."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["name"]
        verbose_name = "ICT service"
        constraints = [
            models.UniqueConstraint(fields=["school", "name"], name="it_service_name_unique"),
            models.UniqueConstraint(
                fields=["school"], condition=models.Q(is_default=True), name="one_default_service_per_school"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("servicelevels:service_detail", args=[self.pk])


# =============================================================================
# Agreements: SLAs, OLAs, underpinning contracts, and the LEA's traded services
# =============================================================================


class SupportPackage(SharedOwned):
    """A level of support the LEA sells to its schools (traded services: "Bronze", "Silver", "Gold").

    Owned by an authority. Its targets are the template of the SLA a subscribing school gets:
    ``{"1": {"response": 30, "resolution": 240}, ...}`` in minutes of the package's clock, per priority.
    """

    name = models.CharField(max_length=100)
    description = models.TextField(blank=True, help_text="What the school gets: cover, visits, consultancy days.")
    annual_price = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    consultancy_days = models.PositiveSmallIntegerField(default=0, help_text="LEA consultant days a year.")
    technician_days = models.PositiveSmallIntegerField(default=0, help_text="On-site technician days a year.")
    hours = models.CharField(max_length=20, choices=SupportHours.choices, default=SupportHours.SCHOOL_HOURS)
    term_time_only = models.BooleanField(default=False)
    targets = models.JSONField(
        default=dict,
        blank=True,
        help_text='Per priority, minutes to respond and to resolve: {"1": {"response": 30, "resolution": 240}}.',
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["authority", "annual_price", "name"]

    def __str__(self) -> str:
        return self.name


class Subscription(SchoolOwned):
    """Which level of the LEA's traded services a school buys, for which period."""

    package = models.ForeignKey(SupportPackage, on_delete=models.PROTECT, related_name="subscriptions")
    starts = models.DateField()
    ends = models.DateField(help_text="The last day covered (inclusive).")
    review_date = models.DateField(help_text="When to decide whether to renew, and at which level.")
    price = models.DecimalField(max_digits=10, decimal_places=2, help_text="The price agreed for the period.")
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-starts"]
        indexes = [models.Index(fields=["school", "ends"], name="subscription_school_ends_idx")]

    def __str__(self) -> str:
        return f"{self.package} {self.starts:%Y}-{self.ends:%y}"

    def clean(self) -> None:
        if self.starts and self.ends and self.ends < self.starts:
            raise ValidationError({"ends": "A subscription cannot end before it starts."})


class Agreement(SchoolOwned):
    """A documented agreement about service levels (FITS: "define, agree and document").

    - SLA: with the school's users, response and resolution targets per priority (and per service);
      the tickets' due times come from the school's agreed SLA.
    - OLA: with an internal group (the school's ICT team, the LEA support unit) that supports the SLA.
    - Underpinning contract: with the LEA or a supplier, for what the school buys in.
    Each has a review date; the clock says when its targets run (school hours or around the clock,
    term time only or all year).
    """

    class Kind(models.TextChoices):
        SLA = "sla", "Service level agreement"
        OLA = "ola", "Operational level agreement"
        CONTRACT = "contract", "Underpinning contract"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        AGREED = "agreed", "Agreed"
        RETIRED = "retired", "Retired"

    # Draft it, agree it with its users (one agreed SLA per service at a school), revise or retire it.
    WORKFLOW = Workflow(
        Status,
        [
            Transition(
                "agree",
                "Agree",
                (Status.DRAFT,),
                Status.AGREED,
                access.can_manage_service_levels,
                style="success",
                help="Its users have agreed it: its targets set the due times of the tickets it covers.",
            ),
            Transition(
                "revise",
                "Revise",
                (Status.AGREED,),
                Status.DRAFT,
                access.can_manage_service_levels,
                note_label="What is being revised, and why",
                help="Back to draft to change it; tickets fall back on the built-in targets until it is agreed again.",
            ),
            Transition(
                "retire",
                "Retire",
                (Status.AGREED,),
                Status.RETIRED,
                access.can_manage_service_levels,
                style="danger",
                note_label="Why it is retired",
                help="It no longer applies (replaced, or the service has gone).",
            ),
        ],
    )

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.SLA)
    name = models.CharField(max_length=150)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, editable=False)
    description = models.TextField(blank=True, help_text="What the agreement covers, and what it does not.")
    customer = models.CharField(
        max_length=150, blank=True, help_text='Who receives the service, e.g. "All staff and pupils".'
    )
    provider_group = models.ForeignKey(
        "incidents.SupportGroup",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="agreements",
        verbose_name="provider",
        help_text="The team that gives the service: the school's ICT team, the LEA support unit or a supplier.",
    )
    supplier = models.CharField(max_length=150, blank=True, help_text="For contracts: the supplier or the LEA.")
    subscription = models.ForeignKey(
        Subscription,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="agreements",
        help_text="The traded-services subscription this agreement comes from, if any.",
    )
    services = models.ManyToManyField(
        ITService, blank=True, related_name="agreements", help_text="The services covered; none means all of them."
    )
    hours = models.CharField(
        "clock runs in", max_length=20, choices=SupportHours.choices, default=SupportHours.SCHOOL_HOURS
    )
    term_time_only = models.BooleanField(default=False, help_text="The clock stops in the school holidays.")
    warning_percent = models.PositiveSmallIntegerField(
        default=75,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
        help_text="Warn the group lead when this share of a target has been used.",
    )
    escalation_percent = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        default=150,
        validators=[MinValueValidator(101), MaxValueValidator(1000)],
        help_text="Escalate to the LEA when a breached target reaches this share; empty: never.",
    )
    starts = models.DateField()
    ends = models.DateField(null=True, blank=True, help_text="Empty while it runs until replaced.")
    review_date = models.DateField(help_text="When the agreement is next reviewed with its users.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_agreements",
        help_text="Who keeps the agreement and leads its review.",
    )
    agreed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    agreed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["kind", "name"]
        indexes = [
            models.Index(fields=["school", "kind", "status"], name="agreement_school_kind_idx"),
            models.Index(fields=["review_date"], name="agreement_review_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("servicelevels:agreement_detail", args=[self.pk])

    def clean(self) -> None:
        if self.starts and self.ends and self.ends < self.starts:
            raise ValidationError({"ends": "An agreement cannot end before it starts."})


class ServiceTarget(models.Model):
    """One target of an agreement: respond and resolve within so many minutes of its clock, for a priority.

    A target may be narrowed to one service and to incidents or requests; the most specific one that
    matches a ticket applies (service and kind, then service, then kind, then the priority alone).
    """

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="targets")
    priority = models.PositiveSmallIntegerField(choices=Priority.choices)
    service = models.ForeignKey(ITService, on_delete=models.CASCADE, null=True, blank=True, related_name="targets")
    ticket_kind = models.CharField(
        max_length=10, choices=TicketKind.choices, blank=True, help_text="Empty: incidents and requests alike."
    )
    response_minutes = models.PositiveIntegerField(
        validators=[MinValueValidator(1)], help_text="Minutes of the agreement's clock to the first response."
    )
    resolution_minutes = models.PositiveIntegerField(
        validators=[MinValueValidator(1)], help_text="Minutes of the agreement's clock to resolution."
    )

    class Meta:
        ordering = ["agreement", "priority", "service", "ticket_kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "priority", "service", "ticket_kind"],
                condition=models.Q(service__isnull=False),
                name="target_unique_for_service",
            ),
            models.UniqueConstraint(
                fields=["agreement", "priority", "ticket_kind"],
                condition=models.Q(service__isnull=True),
                name="target_unique_for_all_services",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_priority_display()}: respond {self.response_minutes} min, resolve {self.resolution_minutes} min"
        )

    def clean(self) -> None:
        if self.response_minutes and self.resolution_minutes and self.resolution_minutes < self.response_minutes:
            raise ValidationError({"resolution_minutes": "Resolution cannot be due before the response."})


# =============================================================================
# Breach detection: each warning, breach and escalation recorded once
# =============================================================================


class ClockEvent(SchoolOwned):
    """A ticket's SLA clock passing a threshold: the warning, the breach, the escalation to the LEA.

    Unique per ticket, clock and level, so a beat task that runs twice, or a worker that dies mid-run
    and is retried, records each event once.
    """

    class Clock(models.TextChoices):
        RESPONSE = "response", "Response"
        RESOLUTION = "resolution", "Resolution"

    class Level(models.TextChoices):
        WARNING = "warning", "Warning"
        BREACH = "breach", "Breach"
        ESCALATION = "escalation", "Escalated to the LEA"

    incident = models.ForeignKey("incidents.Incident", on_delete=models.CASCADE, related_name="clock_events")
    clock = models.CharField(max_length=10, choices=Clock.choices)
    level = models.CharField(max_length=10, choices=Level.choices)
    due_at = models.DateTimeField(help_text="The due time the ticket was measured against.")
    reached_at = models.DateTimeField(help_text="When the clock passed the threshold.")
    recorded_at = models.DateTimeField(auto_now_add=True)
    told = models.CharField(max_length=300, blank=True, help_text="Who was told (names), for the record.")

    class Meta:
        ordering = ["-reached_at"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "clock", "level"], name="clock_event_once"),
        ]
        indexes = [models.Index(fields=["school", "reached_at"], name="clock_event_school_idx")]

    def __str__(self) -> str:
        return f"{self.get_clock_display()} {self.get_level_display().lower()}"


# =============================================================================
# Rollups for the dashboards
# =============================================================================


class DailyFigures(SchoolOwned):
    """One school's tickets on one day, per priority, kind and service: what the dashboards add up.

    Rebuilt by `servicelevels.rollups` (a Celery beat task for today and yesterday, and on demand for a
    range); every column is a count or a sum so terms and years are sums of days.
    """

    day = models.DateField()
    priority = models.PositiveSmallIntegerField(choices=Priority.choices)
    kind = models.CharField(max_length=10, choices=TicketKind.choices)
    service = models.ForeignKey(ITService, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    logged = models.PositiveIntegerField(default=0)
    responded = models.PositiveIntegerField(default=0, help_text="First responses given this day.")
    responded_in_time = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0, help_text="Resolved this day (and not since reopened).")
    resolved_in_time = models.PositiveIntegerField(default=0)
    first_contact_fixes = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0, help_text="Of those resolved, how many were ever reopened.")
    resolve_minutes = models.PositiveBigIntegerField(default=0, help_text="Sum of wall-clock minutes to resolve.")
    satisfaction_sum = models.PositiveIntegerField(default=0)
    satisfaction_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["school", "day"]
        verbose_name_plural = "daily figures"
        constraints = [
            models.UniqueConstraint(
                fields=["school", "day", "priority", "kind", "service"],
                condition=models.Q(service__isnull=False),
                name="daily_figures_unique_service",
            ),
            models.UniqueConstraint(
                fields=["school", "day", "priority", "kind"],
                condition=models.Q(service__isnull=True),
                name="daily_figures_unique_no_service",
            ),
        ]
        indexes = [models.Index(fields=["school", "day"], name="daily_figures_school_day_idx")]
