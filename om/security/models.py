"""Security Administration (FITS OM): the breach log, the firewall and filtering rule register, antivirus status per
computer from the agents' inventories, and the audit of privileged accounts with its periodic access reviews.

Security incidents themselves are incidents in a security category (incidents.Category.is_security): they live in
Incident Management and its scoping narrows them (incidents.models.IncidentQuerySet.visible_to). The records here
are narrower still where they must be: the breach log and who holds administrator rights are for the school's
network manager, its leaders and administrators only (SecurityQuerySet); the firewall register and antivirus states
are the support staff's, like the CMDB (the desk and ICT users never see them through an ICT user's role).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse

from fits import access
from fits.models import Role
from fits.scoping import SchoolOwned, SchoolScopedQuerySet
from fits.workflow import Transition, Workflow

# The ICO must be told of a reportable personal data breach within 72 hours of the school becoming aware of it
# (UK GDPR Article 33).
ICO_HOURS = 72
SECURITY_ROLES = frozenset({Role.NETWORK_MANAGER, Role.SCHOOL_LEADER})


def security_reader_school_ids(user: Any) -> list[int]:
    """Schools where `user` reads the breach log and the privileged accounts: as network manager or leader."""
    return [school_id for school_id, roles in user.school_roles.items() if roles & SECURITY_ROLES]


class SecurityQuerySet(SchoolScopedQuerySet):
    """Records for the school's network manager and leaders (and administrators): nobody else, not even the
    school's technicians, the desk or the LEA's consultants."""

    staff_only = True

    def visible_to(self, user: Any) -> SecurityQuerySet:
        visible = super().visible_to(user)
        if not getattr(user, "is_authenticated", False) or user.is_superuser:
            return visible
        return visible.filter(**{f"{self.model.school_path}__in": security_reader_school_ids(user)})


class OperationsQuerySet(SchoolScopedQuerySet):
    """Support staff's records, like the CMDB: an ICT user's role does not open them."""

    staff_only = True


# =============================================================================
# The breach log (UK GDPR: personal data breaches, the ICO within 72 hours)
# =============================================================================


class BreachStatus(models.TextChoices):
    OPEN = "open", "Open"
    CONTAINED = "contained", "Contained"
    CLOSED = "closed", "Closed"


class BreachRisk(models.TextChoices):
    """The ICO's test: is the breach likely to result in a risk to people's rights and freedoms?"""

    UNLIKELY = "unlikely", "Unlikely to result in a risk (record it, no report)"
    RISK = "risk", "A risk to people (report to the ICO within 72 hours)"
    HIGH = "high", "A high risk (report to the ICO and tell the people affected)"
    UNKNOWN = "unknown", "Not assessed yet"


class Breach(SchoolOwned):
    """A personal data breach at the school: what happened, what data and whom it touched, the risk, whether the
    ICO and others were told, and what is being done. The school's record of its data-protection duty."""

    reference = models.CharField(max_length=20, editable=False)
    title = models.CharField("summary", max_length=200)
    description = models.TextField("what happened")
    occurred_at = models.DateTimeField("when it happened", null=True, blank=True)
    discovered_at = models.DateTimeField("when the school found out")
    data_affected = models.TextField(
        "data affected", blank=True, help_text="What kinds of personal data: names, addresses, grades, health..."
    )
    people_affected = models.PositiveIntegerField("people affected", default=0)
    records_affected = models.PositiveIntegerField("records affected", null=True, blank=True)
    children_data = models.BooleanField("children's data", default=False)
    special_category = models.BooleanField(
        "special category data", default=False, help_text="Health, ethnicity, religion, biometrics, SEN details..."
    )
    risk = models.CharField(max_length=10, choices=BreachRisk.choices, default=BreachRisk.UNKNOWN)
    ico_reported_at = models.DateTimeField("reported to the ICO", null=True, blank=True, editable=False)
    ico_reference = models.CharField("ICO case reference", max_length=60, blank=True, editable=False)
    not_reported_reason = models.TextField(
        "why it was not reported", blank=True, help_text="When the ICO is not told: the reasoning, for the record."
    )
    others_told = models.TextField(
        "others told", blank=True, help_text="Parents, the people affected, the LA's data protection officer..."
    )
    dpo_told_at = models.DateTimeField("DPO told", null=True, blank=True)
    individuals_told_at = models.DateTimeField("people affected told", null=True, blank=True)
    incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="security incident",
    )
    status = models.CharField(max_length=10, choices=BreachStatus.choices, default=BreachStatus.OPEN, editable=False)
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    deadline_warned_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = SecurityQuerySet.as_manager()

    WORKFLOW = Workflow(
        BreachStatus,
        [
            Transition(
                "contain",
                "Contained",
                (BreachStatus.OPEN,),
                BreachStatus.CONTAINED,
                access.can_manage_breaches,
                style="primary",
                help="The breach is stopped: no more data is leaving.",
            ),
            Transition(
                "close",
                "Close",
                (BreachStatus.OPEN, BreachStatus.CONTAINED),
                BreachStatus.CLOSED,
                access.can_manage_breaches,
                note_required=True,
                note_label="Outcome",
                style="success",
            ),
            Transition(
                "reopen",
                "Reopen",
                (BreachStatus.CONTAINED, BreachStatus.CLOSED),
                BreachStatus.OPEN,
                access.can_manage_breaches,
                note_required=True,
            ),
        ],
    )

    class Meta:
        verbose_name_plural = "breaches"
        ordering = ["-discovered_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["school", "reference"], name="breach_reference_unique")]
        indexes = [models.Index(fields=["school", "status", "discovered_at"], name="breach_list_idx")]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("security:breach_detail", args=[self.pk])

    @property
    def ico_deadline(self):
        """When the ICO must have been told: 72 hours after the school found out."""
        return self.discovered_at + timedelta(hours=ICO_HOURS)

    @property
    def reportable(self) -> bool:
        """Whether the ICO is to be told: any risk to people, or not assessed yet (assume so until it is)."""
        return self.risk != BreachRisk.UNLIKELY

    @property
    def awaiting_report(self) -> bool:
        return self.reportable and self.ico_reported_at is None and not self.not_reported_reason


class BreachAction(SchoolOwned):
    """One thing to do about a breach (recall the e-mail, reset passwords, retrain), with its owner."""

    breach = models.ForeignKey(Breach, on_delete=models.CASCADE, related_name="actions")
    text = models.CharField("action", max_length=300)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    due_on = models.DateField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = SecurityQuerySet.as_manager()

    class Meta:
        ordering = ["done_at", "due_on", "pk"]

    def __str__(self) -> str:
        return self.text


# =============================================================================
# The firewall and filtering rule register
# =============================================================================


class RuleAction(models.TextChoices):
    ALLOW = "allow", "Allow"
    DENY = "deny", "Deny"
    FILTER = "filter", "Filter (web filtering policy)"


class FirewallRule(SchoolOwned):
    """One rule of a firewall or web filter, with why it is there, who owns it and when it is next reviewed."""

    firewall = models.ForeignKey(
        "cmdb.ConfigurationItem", on_delete=models.CASCADE, related_name="firewall_rules", verbose_name="firewall"
    )
    name = models.CharField("rule", max_length=120)
    source = models.CharField(max_length=200, default="any")
    destination = models.CharField(max_length=200, default="any")
    service = models.CharField(max_length=120, default="any", help_text="Ports and protocols, e.g. tcp/443.")
    action = models.CharField(max_length=10, choices=RuleAction.choices, default=RuleAction.ALLOW)
    purpose = models.TextField(help_text="Why the rule is there, in words a reviewer can check.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    review_months = models.PositiveSmallIntegerField("review every (months)", default=12)
    review_due = models.DateField()
    last_reviewed_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    is_active = models.BooleanField(default=True)

    objects = OperationsQuerySet.as_manager()

    class Meta:
        ordering = ["review_due", "name", "pk"]
        constraints = [models.UniqueConstraint(fields=["firewall", "name"], name="firewall_rule_unique")]
        indexes = [models.Index(fields=["school", "is_active", "review_due"], name="firewall_rule_review_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.firewall})"

    def get_absolute_url(self) -> str:
        return reverse("security:rule_detail", args=[self.pk])


# =============================================================================
# Antivirus status per computer, from the agents' inventories
# =============================================================================


class AntivirusStatus(SchoolOwned):
    """What the latest inventory of a computer said about its antivirus (FusionInventory ANTIVIRUS section)."""

    ci = models.OneToOneField("cmdb.ConfigurationItem", on_delete=models.CASCADE, related_name="antivirus")
    product = models.CharField(max_length=200, blank=True)
    version = models.CharField(max_length=60, blank=True)
    enabled = models.BooleanField(default=False)
    up_to_date = models.BooleanField(default=False)
    last_seen = models.DateTimeField(help_text="When the inventory that said so arrived.")
    submission = models.ForeignKey(
        "cmdb.InventorySubmission", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = OperationsQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "antivirus statuses"
        ordering = ["ci__name"]
        indexes = [models.Index(fields=["school", "enabled", "up_to_date"], name="antivirus_state_idx")]

    def __str__(self) -> str:
        return f"{self.product or 'No antivirus'} on {self.ci_id}"

    @property
    def working(self) -> bool:
        return bool(self.product) and self.enabled and self.up_to_date


# =============================================================================
# Privileged accounts and access reviews
# =============================================================================


class PrivilegedAccount(SchoolOwned):
    """An account that holds administrator rights somewhere (the domain, a server, the firewall, the MIS).

    Recorded by hand or imported from a CSV export for now; the directory sync (issue 9) will keep them."""

    class Source(models.TextChoices):
        MANUAL = "manual", "Recorded by hand"
        CSV = "csv", "Imported from CSV"
        DIRECTORY = "directory", "Directory sync"

    account = models.CharField(max_length=150, help_text="The sign-in name, e.g. HIGHFIELD\\admin.jbloggs.")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    holder = models.CharField(max_length=150, blank=True, help_text="Who uses it, when not a FITS user.")
    system = models.CharField("where", max_length=150, help_text="The domain, server, firewall or application.")
    ci = models.ForeignKey("cmdb.ConfigurationItem", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    rights = models.CharField(max_length=150, default="Administrator", help_text="e.g. Domain Admins.")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL, editable=False)
    is_active = models.BooleanField(default=True, editable=False)
    notes = models.CharField(max_length=300, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)
    removed_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = SecurityQuerySet.as_manager()

    class Meta:
        ordering = ["system", "account"]
        constraints = [
            models.UniqueConstraint(fields=["school", "system", "account"], name="privileged_account_unique")
        ]
        indexes = [models.Index(fields=["school", "is_active"], name="privileged_account_idx")]

    def __str__(self) -> str:
        return f"{self.account} on {self.system}"


class AccessReviewStatus(models.TextChoices):
    OPEN = "open", "In progress"
    SIGNED_OFF = "signed_off", "Signed off"


class AccessReview(SchoolOwned):
    """A periodic review of who holds administrator rights: each account kept or removed with a note, signed off
    by the network manager or a leader; the next review's date set at sign-off."""

    started_at = models.DateTimeField(auto_now_add=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=12, choices=AccessReviewStatus.choices, default=AccessReviewStatus.OPEN, editable=False
    )
    signed_off_at = models.DateTimeField(null=True, blank=True, editable=False)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    next_due = models.DateField(null=True, blank=True, editable=False)
    note = models.TextField(blank=True)

    objects = SecurityQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"Access review of {self.started_at:%d %b %Y}"

    def get_absolute_url(self) -> str:
        return reverse("security:review_detail", args=[self.pk])


class AccessReviewItem(SchoolOwned):
    """One account in a review: kept or removed, and why."""

    class Decision(models.TextChoices):
        PENDING = "", "Not decided"
        KEEP = "keep", "Keep"
        REMOVE = "remove", "Remove"

    review = models.ForeignKey(AccessReview, on_delete=models.CASCADE, related_name="items")
    account = models.ForeignKey(PrivilegedAccount, on_delete=models.CASCADE, related_name="review_items")
    decision = models.CharField(max_length=6, choices=Decision.choices, blank=True, default="")
    note = models.CharField(max_length=300, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = SecurityQuerySet.as_manager()

    class Meta:
        ordering = ["account__system", "account__account"]
        constraints = [models.UniqueConstraint(fields=["review", "account"], name="access_review_item_unique")]

    def __str__(self) -> str:
        return f"{self.account}: {self.get_decision_display()}"


# Module-level names of nested choices, for the API schema's enum names.
PrivilegedAccountSource = PrivilegedAccount.Source
AccessReviewDecision = AccessReviewItem.Decision
