"""Service Continuity Management (FITS): minimise the impact on ICT services of an environmental or other disaster.

FITS's steps: find the services, their assets, the risks and threats to them; apply countermeasures; write a
recovery plan per service and test it. Here:

- `Risk`: the school's risk register (threat, likelihood x impact = score and rating band, countermeasures,
  residual risk, owner, review date, the CIs and services it touches).
- `ContinuityPlan`: the recovery plan of one ICT service (a CMDB CI of the service kind), with its recovery order
  among the school's services, RTO and RPO, standby arrangements, version and approval; `RecoveryStep` (ordered,
  who, how long) and `PlanContact` (the recovery team and outside contacts) belong to it.
- `ContinuityTest`: a desk-top walk-through or live rehearsal of a plan: outcome, findings, RTO achieved, and the
  actions it raised as Tasks (`TestAction`).

Continuity is support staff's business, like the CMDB: an ICT user's role opens none of it.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from fits import access
from fits.scoping import SchoolOwned, SchoolScopedQuerySet
from fits.workflow import Transition, Workflow


class ContinuityQuerySet(SchoolScopedQuerySet):
    """Continuity records are support staff's (and the LEA consultants'): an ICT user's role does not open them."""

    staff_only = True


# =============================================================================
# Risks
# =============================================================================


class ThreatCategory(models.TextChoices):
    """FITS's risks and threats to ICT services, as categories; the risk says the rest in words."""

    DAMAGE = "damage", "Damage or vandalism"
    FLOOD = "flood", "Flood or water leak"
    FIRE = "fire", "Fire"
    MALWARE = "malware", "Virus or ransomware"
    SUPPLIER = "supplier", "Supplier failure"
    SICKNESS = "sickness", "Sickness or absence of key staff"
    RESIGNATION = "resignation", "Resignation of key staff"
    POWER = "power", "Power loss"
    THEFT = "theft", "Theft"
    NETWORK = "network", "Loss of the internet connection"
    HARDWARE = "hardware", "Hardware failure"
    DATA_LOSS = "data_loss", "Data loss or corruption"
    OTHER = "other", "Other"


LIKELIHOOD_LEVELS = {1: "Rare", 2: "Unlikely", 3: "Possible", 4: "Likely", 5: "Almost certain"}
IMPACT_LEVELS = {1: "Negligible", 2: "Minor", 3: "Moderate", 4: "Major", 5: "Severe"}
LIKELIHOOD_CHOICES = [(n, f"{n} {label}") for n, label in LIKELIHOOD_LEVELS.items()]
IMPACT_CHOICES = [(n, f"{n} {label}") for n, label in IMPACT_LEVELS.items()]


class Rating(models.TextChoices):
    """The band a score falls in (likelihood x impact, 1-25)."""

    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


# The lowest score of each band, highest first: 15-25 critical, 8-12 high, 4-6 medium, 1-3 low.
RATING_FLOORS = ((15, Rating.CRITICAL), (8, Rating.HIGH), (4, Rating.MEDIUM), (1, Rating.LOW))


def rating_for(score: int) -> str:
    """The rating band of a score (likelihood x impact)."""
    for floor, rating in RATING_FLOORS:
        if score >= floor:
            return rating
    return Rating.LOW


class RiskStatus(models.TextChoices):
    OPEN = "open", "Open"
    TREATED = "treated", "Treated"
    ACCEPTED = "accepted", "Accepted"
    CLOSED = "closed", "Closed"


class Risk(SchoolOwned):
    """One risk to the school's ICT services: what could happen, how likely, how bad, what is done about it."""

    WORKFLOW = Workflow(
        RiskStatus,
        [
            Transition(
                "treat",
                "Mark treated",
                (RiskStatus.OPEN,),
                RiskStatus.TREATED,
                access.can_manage_continuity,
                style="success",
                help="The countermeasures are in place: what remains is the residual risk.",
            ),
            Transition(
                "accept",
                "Accept",
                (RiskStatus.OPEN, RiskStatus.TREATED),
                RiskStatus.ACCEPTED,
                access.can_manage_continuity,
                note_required=True,
                note_label="Why the school accepts this risk",
                help="The school lives with it (the cost of doing more outweighs the harm).",
            ),
            Transition(
                "close",
                "Close",
                (RiskStatus.OPEN, RiskStatus.TREATED, RiskStatus.ACCEPTED),
                RiskStatus.CLOSED,
                access.can_manage_continuity,
                note_required=True,
                note_label="Why the risk no longer applies",
            ),
            Transition(
                "reopen",
                "Reopen",
                (RiskStatus.TREATED, RiskStatus.ACCEPTED, RiskStatus.CLOSED),
                RiskStatus.OPEN,
                access.can_manage_continuity,
                note_required=True,
                note_label="What has changed",
            ),
        ],
    )

    title = models.CharField(max_length=150, help_text="The risk in a few words, e.g. Server room floods.")
    category = models.CharField("threat", max_length=12, choices=ThreatCategory.choices)
    description = models.TextField(
        "threat in detail", blank=True, help_text="What could happen, and what makes it likelier (FITS: threats)."
    )
    likelihood = models.PositiveSmallIntegerField(choices=LIKELIHOOD_CHOICES)
    impact = models.PositiveSmallIntegerField(choices=IMPACT_CHOICES)
    # Kept by the services from likelihood and impact, so lists filter and sort on them.
    score = models.PositiveSmallIntegerField(editable=False, default=1)
    rating = models.CharField(max_length=8, choices=Rating.choices, editable=False, default=Rating.LOW)
    controls = models.TextField(
        "countermeasures", blank=True, help_text="What is done, or will be done, to make it less likely or less bad."
    )
    residual_likelihood = models.PositiveSmallIntegerField(choices=LIKELIHOOD_CHOICES, null=True, blank=True)
    residual_impact = models.PositiveSmallIntegerField(choices=IMPACT_CHOICES, null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    review_date = models.DateField(help_text="When the risk is next reviewed.")
    status = models.CharField(max_length=8, choices=RiskStatus.choices, default=RiskStatus.OPEN, editable=False)
    cis = models.ManyToManyField(
        "cmdb.ConfigurationItem",
        blank=True,
        related_name="continuity_risks",
        verbose_name="affected CIs and services",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ContinuityQuerySet.as_manager()

    class Meta:
        ordering = ["-score", "title"]
        indexes = [
            models.Index(fields=["school", "status"], name="continuity_risk_status_idx"),
            models.Index(fields=["review_date"], name="continuity_risk_review_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("continuity:risk_detail", args=[self.pk])

    @property
    def residual_score(self) -> int | None:
        if self.residual_likelihood and self.residual_impact:
            return self.residual_likelihood * self.residual_impact
        return None

    @property
    def residual_rating(self) -> str | None:
        score = self.residual_score
        return rating_for(score) if score else None

    @property
    def residual_rating_label(self) -> str:
        rating = self.residual_rating
        return Rating(rating).label if rating else ""

    @property
    def likelihood_label(self) -> str:
        return LIKELIHOOD_LEVELS.get(self.likelihood, "")

    @property
    def impact_label(self) -> str:
        return IMPACT_LEVELS.get(self.impact, "")

    def is_overdue(self, today: date) -> bool:
        return self.status != RiskStatus.CLOSED and self.review_date < today


# =============================================================================
# Recovery plans
# =============================================================================


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    APPROVED = "approved", "Approved"
    RETIRED = "retired", "Retired"


class ContinuityPlan(SchoolOwned):
    """The service-continuity recovery plan of one ICT service (FITS): what to do, in what order, by whom, to bring
    it back within its recovery time objective, losing no more than its recovery point objective."""

    WORKFLOW = Workflow(
        PlanStatus,
        [
            Transition(
                "approve",
                "Approve",
                (PlanStatus.DRAFT,),
                PlanStatus.APPROVED,
                access.can_approve_continuity,
                style="success",
                help="The network manager or a school leader approves this version: it is the plan to follow.",
            ),
            Transition(
                "revise",
                "Revise",
                (PlanStatus.APPROVED,),
                PlanStatus.DRAFT,
                access.can_manage_continuity,
                note_required=True,
                note_label="What is being revised, and why",
                help="Back to draft as a new version; it needs approving again.",
            ),
            Transition(
                "retire",
                "Retire",
                (PlanStatus.DRAFT, PlanStatus.APPROVED),
                PlanStatus.RETIRED,
                access.can_manage_continuity,
                style="danger",
                note_required=True,
                note_label="Why the plan is retired",
            ),
            Transition(
                "reinstate",
                "Reinstate as draft",
                (PlanStatus.RETIRED,),
                PlanStatus.DRAFT,
                access.can_manage_continuity,
            ),
        ],
    )

    service = models.ForeignKey(
        "cmdb.ConfigurationItem",
        on_delete=models.PROTECT,
        related_name="continuity_plans",
        help_text="The ICT service (a CMDB service) this plan brings back.",
    )
    recovery_order = models.PositiveSmallIntegerField(
        default=10, help_text="Which services come back first after a disaster: 1 first, then 2..."
    )
    summary = models.TextField(
        "scope and invocation",
        blank=True,
        help_text="What the plan covers, and when to invoke it (e.g. the server room is unusable for a day).",
    )
    rto_minutes = models.PositiveIntegerField(
        "recovery time objective (minutes)", help_text="How soon the service must be back, from the disaster."
    )
    rpo_minutes = models.PositiveIntegerField(
        "recovery point objective (minutes)", help_text="How much recent work the school can afford to lose."
    )
    standby = models.TextField(
        "standby arrangements",
        blank=True,
        help_text="e.g. a supplier-held standby server, a spare switch in the stock room, a 4G router.",
    )
    assets = models.TextField(
        blank=True,
        help_text="Assets beyond the CMDB's: buildings, data, licences, media, people and their skills.",
    )
    risks = models.ManyToManyField(Risk, blank=True, related_name="plans", help_text="The risks this plan answers.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="service continuity manager",
    )
    review_date = models.DateField(help_text="When the plan is next reviewed.")
    test_every_months = models.PositiveSmallIntegerField(
        "test every (months)", default=12, help_text="How often the plan is walked through or rehearsed."
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    status = models.CharField(max_length=8, choices=PlanStatus.choices, default=PlanStatus.DRAFT, editable=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_tested_on = models.DateField(null=True, blank=True, editable=False)  # kept by continuity_test_record
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ContinuityQuerySet.as_manager()

    class Meta:
        ordering = ["recovery_order", "service__name"]
        constraints = [models.UniqueConstraint(fields=["service"], name="continuity_one_plan_per_service")]
        indexes = [models.Index(fields=["school", "status"], name="continuity_plan_status_idx")]

    def __str__(self) -> str:
        return f"{self.service.name} recovery plan" if self.service_id else "Recovery plan"

    def get_absolute_url(self) -> str:
        return reverse("continuity:plan_detail", args=[self.pk])

    def next_test_due(self) -> date:
        """A test is due `test_every_months` after the last one (or after the plan was made, if never tested)."""
        start = self.last_tested_on or (
            timezone.localdate(self.created_at) if self.created_at else timezone.localdate()
        )
        return add_months(start, self.test_every_months)

    def review_overdue(self, today: date) -> bool:
        return self.status != PlanStatus.RETIRED and self.review_date < today

    def test_overdue(self, today: date) -> bool:
        return self.status != PlanStatus.RETIRED and self.next_test_due() < today


def add_months(day: date, months: int) -> date:
    """`day` moved on by `months`, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    import calendar

    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class RecoveryStep(models.Model):
    """One step of a plan, in order: what to do, who does it, about how long it takes."""

    plan = models.ForeignKey(ContinuityPlan, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    text = models.CharField("what to do", max_length=300)
    who = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    who_text = models.CharField("or who (outside)", max_length=120, blank=True, help_text="e.g. the supplier.")
    minutes = models.PositiveIntegerField("estimated minutes", null=True, blank=True)

    class Meta:
        ordering = ["plan", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.position}. {self.text}"

    @property
    def who_display(self) -> str:
        return str(self.who) if self.who_id else self.who_text


class ContactKind(models.TextChoices):
    TEAM = "team", "Recovery team"
    EXTERNAL = "external", "Outside contact"


class PlanContact(models.Model):
    """Who to call: a member of the school's recovery team with their role in the plan, or an outside contact
    (a supplier, the LEA, the insurer) with a phone number."""

    plan = models.ForeignKey(ContinuityPlan, on_delete=models.CASCADE, related_name="contacts")
    kind = models.CharField(max_length=8, choices=ContactKind.choices, default=ContactKind.TEAM)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(max_length=120, blank=True, help_text="For an outside contact: the person or desk.")
    organisation = models.CharField(max_length=120, blank=True)
    role = models.CharField("role in the plan", max_length=120, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["plan", "kind", "position", "pk"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.person_id:
            return self.person.get_full_name() or self.person.username
        return self.name


# =============================================================================
# Continuity tests
# =============================================================================


class TestKind(models.TextChoices):
    WALKTHROUGH = "walkthrough", "Desk-top walk-through"
    REHEARSAL = "rehearsal", "Live rehearsal"


class TestOutcome(models.TextChoices):
    PASSED = "passed", "Passed"
    ISSUES = "issues", "Passed with issues"
    FAILED = "failed", "Failed"


class ContinuityTest(SchoolOwned):
    """A test of a recovery plan (FITS: "a contingency plan and a recovery test"): a desk-top walk-through or a live
    rehearsal, with its outcome, findings, the recovery time achieved, and the actions it raised."""

    __test__ = False  # not a pytest test class

    plan = models.ForeignKey(ContinuityPlan, on_delete=models.CASCADE, related_name="tests")
    tested_on = models.DateField()
    kind = models.CharField(max_length=12, choices=TestKind.choices, default=TestKind.WALKTHROUGH)
    scenario = models.TextField(help_text="What was supposed to have happened, e.g. the server room flooded.")
    participants = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    others = models.CharField("other participants", max_length=300, blank=True, help_text="From outside the school.")
    outcome = models.CharField(max_length=8, choices=TestOutcome.choices)
    findings = models.TextField(blank=True)
    rto_achieved_minutes = models.PositiveIntegerField("recovery time achieved (minutes)", null=True, blank=True)
    restores_tried = models.PositiveSmallIntegerField("restores tried", null=True, blank=True)
    restores_passed = models.PositiveSmallIntegerField("restores that worked", null=True, blank=True)
    plan_version = models.PositiveIntegerField(editable=False, default=1)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ContinuityQuerySet.as_manager()

    class Meta:
        ordering = ["-tested_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.plan} on {self.tested_on:%d %b %Y}"

    def get_absolute_url(self) -> str:
        return reverse("continuity:test_detail", args=[self.pk])

    @property
    def rto_met(self) -> bool | None:
        """Whether the recovery time achieved was within the plan's objective (None when not measured)."""
        if self.rto_achieved_minutes is None:
            return None
        return self.rto_achieved_minutes <= self.plan.rto_minutes


class TestAction(models.Model):
    """Something a test found to do, with an owner and due date; raised as a Task so it shows in the task list."""

    __test__ = False

    test = models.ForeignKey(ContinuityTest, on_delete=models.CASCADE, related_name="actions")
    text = models.CharField("action", max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    due_on = models.DateField()
    task = models.ForeignKey(
        "incidents.Task", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )

    class Meta:
        ordering = ["test", "due_on", "pk"]

    def __str__(self) -> str:
        return self.text
