"""Patch Management (FITS OM): keep the components installed on the network up to date with the latest patches.

An `Update` is what must be installed (a Windows KB, a Linux package at a minimum version, an application or a
firmware line), kept by a school or by its authority for all its schools. It is approved for `PatchGroup`s of CIs
in the manner of WSUS (`Approval`: approved with a deadline, declined, not applicable). What is installed comes from
the CMDB's inventory (agents' software, CI attribute "firmware") and from imported WSUS or vendor reports
(`InstalledUpdate`, each `PatchImport` keeping its raw CSV). The compliance run (om/patches/compliance.py) computes
`ComplianceState` per (CI, approved update) in SQL, with `ComplianceChange` history, `ComplianceDaily` counts for the
dashboards and one `ComplianceRun` row per run.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.urls import reverse

from fits.scoping import SchoolOwned, SchoolScopedQuerySet, SharedOwned, SharedScopedQuerySet

VERSION_PART_WIDTH = 12
VERSION_PARTS = 20
_EPOCH = re.compile(r"^\d+:")
_PARTS = re.compile(r"\d+|[a-z]+")


def version_key(version: str) -> str:
    """A key that sorts versions as people read them, compared by plain string order in SQL.

    Each numeric or alphabetic run becomes a fixed-width part (numbers zero-padded on the left, letters padded on the
    right), so "1.2.10" sorts after "1.2.9" and no separator or collation changes the order. A Debian epoch ("1:")
    is dropped: the upstream version is what a baseline names.
    """
    text = _EPOCH.sub("", (version or "").strip().lower())
    parts = []
    for part in _PARTS.findall(text)[:VERSION_PARTS]:
        if part.isdigit():
            part = part.lstrip("0")[-VERSION_PART_WIDTH:] or "0"
            parts.append(part.rjust(VERSION_PART_WIDTH, "0"))
        else:
            parts.append(part[:VERSION_PART_WIDTH].ljust(VERSION_PART_WIDTH, "0"))
    return "".join(parts)


class PatchQuerySet(SchoolScopedQuerySet):
    """Patch records are support staff's business: an ICT user's role does not open them."""

    staff_only = True


class SharedPatchQuerySet(SharedScopedQuerySet):
    staff_only = True


class UpdateKind(models.TextChoices):
    WINDOWS_KB = "windows_kb", "Windows update (KB)"
    PACKAGE = "package", "Linux package"
    APPLICATION = "application", "Application"
    FIRMWARE = "firmware", "Firmware"


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    IMPORTANT = "important", "Important"
    MODERATE = "moderate", "Moderate"
    LOW = "low", "Low"


SEVERITY_ORDER = {Severity.CRITICAL: 0, Severity.IMPORTANT: 1, Severity.MODERATE: 2, Severity.LOW: 3}
# Kinds judged by a minimum version (the rest, Windows KBs, by being installed at all).
VERSIONED_KINDS = frozenset({UpdateKind.PACKAGE, UpdateKind.APPLICATION, UpdateKind.FIRMWARE})


class Update(SharedOwned):
    """One line of a patch baseline: what must be installed, by whom it is kept (a school or its authority)."""

    kind = models.CharField(max_length=12, choices=UpdateKind.choices)
    identifier = models.CharField(
        max_length=200,
        help_text="The KB number (KB5034441), the package name as the inventory reports it (openssl), the "
        "application's name, or the device model whose firmware this is.",
    )
    product = models.CharField(max_length=200, help_text="The product or operating system, for the dashboards.")
    title = models.CharField(max_length=300, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.IMPORTANT)
    min_version = models.CharField(
        "minimum version", max_length=100, blank=True, help_text="For packages, applications and firmware."
    )
    min_version_key = models.CharField(max_length=255, blank=True, editable=False)
    # The identifier as the compliance run matches it (lower case).
    match_name = models.CharField(max_length=200, editable=False, db_index=True)
    released_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SharedPatchQuerySet.as_manager()

    class Meta:
        ordering = ["product", "identifier", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "authority", "kind", "identifier", "min_version"], name="patch_update_unique"
            )
        ]

    def __str__(self) -> str:
        version = f" {self.min_version}" if self.min_version else ""
        return f"{self.identifier}{version}"

    def get_absolute_url(self) -> str:
        return reverse("patches:update_detail", args=[self.pk])

    @property
    def is_versioned(self) -> bool:
        return self.kind in VERSIONED_KINDS


class PatchGroup(SchoolOwned):
    """A group of CIs that updates are approved for (WSUS computer groups): every CI of a kind, optionally in one
    location, plus CIs named one by one."""

    name = models.CharField(max_length=100)
    ci_kind = models.CharField("CI kind", max_length=20, blank=True, help_text="Every CI of this kind (or none).")
    location = models.ForeignKey("cmdb.Location", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    members = models.ManyToManyField("cmdb.ConfigurationItem", blank=True, related_name="+", through="GroupMember")
    description = models.CharField(max_length=300, blank=True)

    objects = PatchQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["school", "name"], name="patch_group_unique")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("patches:group_detail", args=[self.pk])


class GroupMember(SchoolOwned):
    """A CI named in a patch group by hand."""

    group = models.ForeignKey(PatchGroup, on_delete=models.CASCADE, related_name="+")
    ci = models.ForeignKey("cmdb.ConfigurationItem", on_delete=models.CASCADE, related_name="+")

    objects = PatchQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "ci"], name="patch_group_member_unique")]


class Decision(models.TextChoices):
    APPROVED = "approved", "Approved for install"
    DECLINED = "declined", "Declined"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


class Approval(SchoolOwned):
    """An update's approval for one group, in the manner of WSUS. Declined or not applicable for a group keeps its
    CIs out of the update's compliance even when another group approves it."""

    update = models.ForeignKey(Update, on_delete=models.CASCADE, related_name="approvals")
    group = models.ForeignKey(PatchGroup, on_delete=models.CASCADE, related_name="approvals")
    decision = models.CharField(max_length=15, choices=Decision.choices, default=Decision.APPROVED)
    deadline = models.DateField(null=True, blank=True, help_text="Missing after this day is overdue.")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now=True)

    objects = PatchQuerySet.as_manager()

    class Meta:
        ordering = ["group__name"]
        constraints = [models.UniqueConstraint(fields=["update", "group"], name="patch_approval_unique")]

    def __str__(self) -> str:
        return f"{self.update} for {self.group}: {self.get_decision_display()}"


class PatchImport(SchoolOwned):
    """A WSUS or vendor report imported as CSV, kept as it came."""

    file_name = models.CharField(max_length=200, blank=True)
    raw = models.TextField()
    rows = models.PositiveIntegerField(default=0)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = PatchQuerySet.as_manager()

    class Meta:
        ordering = ["-imported_at", "-pk"]

    def __str__(self) -> str:
        return self.file_name or f"Import {self.pk}"


class InstalledUpdate(SchoolOwned):
    """What a report says of one update on one CI: installed (at a version) or not."""

    ci = models.ForeignKey("cmdb.ConfigurationItem", on_delete=models.CASCADE, related_name="+")
    update = models.ForeignKey(Update, on_delete=models.CASCADE, related_name="+")
    installed = models.BooleanField(default=True)
    version = models.CharField(max_length=100, blank=True)
    version_key = models.CharField(max_length=255, blank=True)
    reported_at = models.DateTimeField()
    source = models.ForeignKey(PatchImport, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    objects = PatchQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ci", "update"], name="patch_installed_unique")]


class VersionKey(models.Model):
    """The sortable key of each version text the inventory reports (system-wide: a cache of version_key)."""

    version = models.CharField(max_length=255, unique=True)
    key = models.CharField(max_length=255)

    def __str__(self) -> str:
        return self.version


class State(models.TextChoices):
    COMPLIANT = "compliant", "Compliant"
    MISSING = "missing", "Missing"
    OVERDUE = "overdue", "Overdue"
    UNKNOWN = "unknown", "Not reporting"


class ComplianceQuerySet(PatchQuerySet):
    def for_list(self) -> ComplianceQuerySet:
        return self.select_related("school", "ci__location", "update__school", "update__authority", "task")


class ComplianceState(SchoolOwned):
    """A CI's state for one update approved for it, as the last compliance run found it."""

    ci = models.ForeignKey("cmdb.ConfigurationItem", on_delete=models.CASCADE, related_name="+")
    update = models.ForeignKey(Update, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices)
    since = models.DateTimeField(help_text="When the CI entered this state.")
    deadline = models.DateField(null=True, blank=True)
    installed_version = models.CharField(max_length=255, blank=True)
    task = models.ForeignKey("incidents.Task", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    objects = ComplianceQuerySet.as_manager()

    class Meta:
        ordering = ["ci__name", "update__identifier"]
        constraints = [models.UniqueConstraint(fields=["ci", "update"], name="patch_state_unique")]
        indexes = [
            models.Index(fields=["school", "state"], name="patch_state_school_idx"),
            models.Index(fields=["update", "state"], name="patch_state_update_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ci_id}/{self.update_id}: {self.state}"


class ComplianceChange(SchoolOwned):
    """History: a CI's state for an update changed (from empty when first approved for it)."""

    ci = models.ForeignKey("cmdb.ConfigurationItem", on_delete=models.CASCADE, related_name="+")
    update = models.ForeignKey(Update, on_delete=models.CASCADE, related_name="+")
    old_state = models.CharField(max_length=10, blank=True)
    new_state = models.CharField(max_length=10, choices=State.choices)
    changed_at = models.DateTimeField(db_index=True)

    objects = PatchQuerySet.as_manager()

    class Meta:
        ordering = ["-changed_at", "-pk"]
        indexes = [models.Index(fields=["ci", "update"], name="patch_change_pair_idx")]


class ComplianceDaily(SchoolOwned):
    """How many (CI, update) pairs were in each state at a school on a day, for the dashboards' trend."""

    day = models.DateField()
    state = models.CharField(max_length=10, choices=State.choices)
    count = models.PositiveIntegerField()

    objects = PatchQuerySet.as_manager()

    class Meta:
        ordering = ["-day", "state"]
        constraints = [models.UniqueConstraint(fields=["school", "day", "state"], name="patch_daily_unique")]


class ComplianceRun(models.Model):
    """One run of the compliance computation (all schools, or one): when, how long, how much it touched."""

    # A run's own record, not a school's: it says which school it was limited to, if any, by slug.
    scope = models.CharField(max_length=60, blank=True, help_text="The school's slug, or empty for all schools.")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    rows = models.PositiveIntegerField(default=0, help_text="(CI, update) pairs computed.")
    changed = models.PositiveIntegerField(default=0)
    tasks_raised = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"Compliance run {self.started_at:%Y-%m-%d %H:%M}"


class Rollout(SchoolOwned):
    """An update's rollout at a school, planned as a request for change (FITS Change Management)."""

    update = models.ForeignKey(Update, on_delete=models.CASCADE, related_name="rollouts")
    change = models.ForeignKey("changes.RequestForChange", on_delete=models.CASCADE, related_name="+")
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    raised_at = models.DateTimeField(auto_now_add=True)

    objects = PatchQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at"]

    def __str__(self) -> str:
        return f"Rollout of {self.update} ({self.change})"
