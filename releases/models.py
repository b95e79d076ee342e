"""Release Management (FITS): plan, build, test and deploy hardware and software, installing only tested versions.

A release bundles requests for change (the summer image refresh of the ICT suite), carries its build procedure,
its test plan (stability and acceptance tests), its rollout plan and installation checklist, and installs approved
versions from the definitive software library (DSL) on configuration items in waves. Rolling out records, for each
CI, whether it succeeded or failed, and marks the CI's software versions in the CMDB.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from fits import access
from fits.scoping import SchoolOwned, SchoolScopedQuerySet, SharedOwned, SharedScopedQuerySet
from fits.workflow import Transition, Workflow

# =============================================================================
# The definitive software library
# =============================================================================


class ItemKind(models.TextChoices):
    APPLICATION = "application", "Application"
    OS_IMAGE = "os_image", "Operating system image"
    FIRMWARE = "firmware", "Firmware"
    DRIVER_PACK = "driver_pack", "Driver pack"
    HARDWARE_BUILD = "hardware_build", "Hardware build"


class ItemStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    APPROVED = "approved", "Approved"
    WITHDRAWN = "withdrawn", "Withdrawn"


SHA256 = re.compile(r"^[0-9a-f]{64}$")


def validate_sha256(value: str) -> None:
    if value and not SHA256.match(value):
        raise ValidationError("A SHA-256 checksum is 64 hexadecimal characters (0-9, a-f).")


class LibraryItemQuerySet(SharedScopedQuerySet):
    # The library is support staff's: an ICT user's role does not open it.
    staff_only = True

    def approved(self) -> LibraryItemQuerySet:
        return self.filter(status=ItemStatus.APPROVED)

    def for_list(self) -> LibraryItemQuerySet:
        return self.select_related("school", "authority", "licence__product", "proposed_by", "approved_by")


class SoftwareLibraryItem(SharedOwned):
    """One version in the definitive software library: an application, an image, firmware, a driver pack or a
    hardware build, where its master media is kept, and whether it is approved (tested) for installation.

    A school keeps its own; an authority's are shared with all its schools (the LEA's standard image)."""

    name = models.CharField(max_length=200, help_text="The product, as the CMDB names it (Windows 11 Education).")
    publisher = models.CharField(max_length=200, blank=True)
    version = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=ItemKind.choices, default=ItemKind.APPLICATION)
    media_location = models.CharField(
        "where the media is kept",
        max_length=255,
        blank=True,
        help_text="The cupboard, safe or share path of the master copy (\\\\server\\dsl\\win11-24h2.wim).",
    )
    checksum = models.CharField(
        "SHA-256 checksum", max_length=64, blank=True, validators=[validate_sha256], help_text="Optional."
    )
    licence = models.ForeignKey(
        "cmdb.Licence",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="library_items",
        help_text="The school's licence for it (school items only).",
    )
    licence_notes = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=ItemStatus.choices, default=ItemStatus.PROPOSED, editable=False)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)
    withdrawn_reason = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()
    objects = LibraryItemQuerySet.as_manager()

    class Meta:
        ordering = ["name", "version"]
        verbose_name = "software library item"
        indexes = [
            models.Index(fields=["school", "status"], name="dsl_school_status_idx"),
            models.Index(fields=["authority", "status"], name="dsl_authority_status_idx"),
        ]

    def __str__(self) -> str:
        return self.label

    def get_absolute_url(self) -> str:
        return reverse("releases:library") + f"#item-{self.pk}"

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}".strip()

    @property
    def is_approved(self) -> bool:
        return self.status == ItemStatus.APPROVED


class MediaLoanQuerySet(SchoolScopedQuerySet):
    staff_only = True


class MediaLoan(SchoolOwned):
    """The media in/out book (FITS): who took the master copy of a library item out, and when it came back.
    It belongs to the school of the person who borrowed it."""

    item = models.ForeignKey(SoftwareLibraryItem, on_delete=models.CASCADE, related_name="loans")
    borrowed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    out_at = models.DateTimeField(auto_now_add=True)
    returned_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=255, blank=True)

    objects = MediaLoanQuerySet.as_manager()

    class Meta:
        ordering = ["-out_at"]
        indexes = [models.Index(fields=["item", "returned_at"], name="media_loan_out_idx")]

    def __str__(self) -> str:
        return f"{self.item} to {self.borrowed_by}"

    def get_absolute_url(self) -> str:
        return self.item.get_absolute_url()


# =============================================================================
# Releases
# =============================================================================


class ReleaseKind(models.TextChoices):
    MAJOR = "major", "Major"
    MINOR = "minor", "Minor"
    EMERGENCY = "emergency", "Emergency"


class Status(models.TextChoices):
    PLANNED = "planned", "Planned"
    BUILDING = "building", "Building"
    TESTING = "testing", "Testing"
    READY = "ready", "Ready to roll out"
    ROLLING_OUT = "rolling_out", "Rolling out"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


# Releases whose plans, changes and library items may still be edited, and that may still be cancelled.
EARLY_STATUSES = (Status.PLANNED, Status.BUILDING, Status.TESTING, Status.READY)
# Releases whose work is over.
FINISHED_STATUSES = (Status.COMPLETED, Status.FAILED, Status.CANCELLED)
# The changes a release may roll out under: approved, on the forward schedule, or being carried out.
CHANGE_READY_STATUSES = ("approved", "scheduled", "in_progress")


class ReleaseQuerySet(SchoolScopedQuerySet):
    # Releases are support staff's work, like changes.
    staff_only = True

    def for_list(self) -> ReleaseQuerySet:
        return (
            self.select_related("school", "manager")
            .annotate(
                target_count=Count("targets", distinct=True),
                succeeded_count=Count("targets", filter=Q(targets__outcome="succeeded"), distinct=True),
                failed_count=Count("targets", filter=Q(targets__outcome="failed"), distinct=True),
            )
            .order_by("-created_at", "-pk")
        )


class Release(SchoolOwned):
    """A release: changes bundled, built, tested and rolled out to CIs in waves, with approved library versions."""

    reference = models.CharField(max_length=20, editable=False)
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=ReleaseKind.choices, default=ReleaseKind.MINOR)
    description = models.TextField(blank=True, help_text="What the release brings and why.")
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_releases",
        verbose_name="release manager",
    )
    build_plan = models.TextField("build procedure", blank=True, help_text="How the build is made, step by step.")
    test_plan = models.TextField(blank=True, help_text="Stability and acceptance tests before rollout.")
    rollout_plan = models.TextField(blank=True, help_text="Who installs what, when, and how to back out.")
    installation_checklist = models.TextField(blank=True, help_text="One check per line, ticked at each CI.")
    changes = models.ManyToManyField(
        "changes.RequestForChange", related_name="releases", blank=True, verbose_name="requests for change"
    )
    items = models.ManyToManyField(
        SoftwareLibraryItem, related_name="releases", blank=True, verbose_name="software library items"
    )
    planned_start = models.DateField(null=True, blank=True)
    planned_end = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED, editable=False)
    outcome_note = models.TextField(blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    built_at = models.DateTimeField(null=True, blank=True, editable=False, help_text="Built and tested.")
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = ReleaseQuerySet.as_manager()

    WORKFLOW = Workflow(
        Status,
        [
            Transition("build", "Start the build", (Status.PLANNED,), Status.BUILDING, access.can_manage_release,
                       style="primary", help="Follow the build procedure with the approved library versions."),
            Transition("test", "Start testing", (Status.BUILDING,), Status.TESTING, access.can_manage_release,
                       style="primary", help="Stability and acceptance tests, as the test plan says."),
            Transition("rebuild", "Back to the build", (Status.TESTING,), Status.BUILDING, access.can_manage_release,
                       note_required=True, note_label="What failed in testing?", style="warning"),
            Transition("ready", "Tests passed: ready", (Status.TESTING,), Status.READY, access.can_manage_release,
                       style="success"),
            Transition("roll_out", "Start the rollout", (Status.READY,), Status.ROLLING_OUT,
                       access.can_manage_release, style="primary",
                       help="Only when every change of the release is approved, scheduled or in progress."),
            Transition("complete", "Complete", (Status.ROLLING_OUT,), Status.COMPLETED, access.can_manage_release,
                       style="success", help="Every CI is done; failures, if any, are noted."),
            Transition("fail", "Mark failed", (Status.ROLLING_OUT,), Status.FAILED, access.can_manage_release,
                       note_required=True, note_label="What went wrong, and what was backed out?", style="danger"),
            Transition("cancel", "Cancel", EARLY_STATUSES, Status.CANCELLED, access.can_manage_release,
                       note_required=True, note_label="Why is the release no longer wanted?"),
        ],
    )  # fmt: skip

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["school", "reference"], name="release_reference_unique"),
            models.CheckConstraint(
                condition=Q(planned_start__isnull=True) | Q(planned_end__isnull=True)
                | Q(planned_end__gte=models.F("planned_start")),
                name="release_planned_dates",
            ),
        ]  # fmt: skip
        indexes = [
            models.Index(fields=["school", "status"], name="release_queue_idx"),
            models.Index(fields=["school", "finished_at"], name="release_finished_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("releases:detail", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        return self.status in EARLY_STATUSES


class RolloutWaveQuerySet(SchoolScopedQuerySet):
    staff_only = True


class RolloutWave(SchoolOwned):
    """A wave of the rollout: a group of CIs installed together (the ICT suite's first row, then the rest)."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="waves")
    order = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=150)
    planned_start = models.DateTimeField(null=True, blank=True)
    planned_end = models.DateTimeField(null=True, blank=True)

    objects = RolloutWaveQuerySet.as_manager()

    class Meta:
        ordering = ["release", "order"]
        constraints = [models.UniqueConstraint(fields=["release", "order"], name="rollout_wave_order_unique")]

    def __str__(self) -> str:
        return f"Wave {self.order}: {self.name}"


class Outcome(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


# The outcomes a person records (pending is where every CI starts).
RECORDED_OUTCOMES = [(value, label) for value, label in Outcome.choices if value != Outcome.PENDING]


class RolloutTargetQuerySet(SchoolScopedQuerySet):
    staff_only = True

    def counts_by_wave(self) -> dict[int, dict[str, int]]:
        """{wave id: {outcome: count}}, in one aggregate query: the release report's figures."""
        counts: dict[int, dict[str, int]] = {}
        for row in self.values("wave_id", "outcome").annotate(n=Count("pk")).order_by():
            counts.setdefault(row["wave_id"], dict.fromkeys(Outcome.values, 0))[row["outcome"]] = row["n"]
        return counts


class RolloutTarget(SchoolOwned):
    """One CI in a wave: whether the release was installed on it, by whom and when; a failure says why."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="targets")
    wave = models.ForeignKey(RolloutWave, on_delete=models.CASCADE, related_name="targets")
    ci = models.ForeignKey("cmdb.ConfigurationItem", on_delete=models.CASCADE, related_name="release_targets")
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    note = models.TextField(blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)

    objects = RolloutTargetQuerySet.as_manager()

    class Meta:
        ordering = ["wave__order", "ci__name"]
        constraints = [
            models.UniqueConstraint(fields=["release", "ci"], name="rollout_target_once_per_release"),
            models.CheckConstraint(condition=~Q(outcome="failed", note=""), name="rollout_failure_has_note"),
        ]
        indexes = [
            models.Index(fields=["wave", "outcome"], name="rollout_wave_outcome_idx"),
            models.Index(fields=["school", "outcome", "done_at"], name="rollout_installed_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ci} ({self.get_outcome_display().lower()})"
