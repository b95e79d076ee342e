"""What every FITS OM function shares: its written policy and who carries out each of its activities.

FITS-OM 7: the network manager plans the operations and allocates each activity to the service desk
administrator, a technician, a senior technician or themselves; staff carry them out and report issues. Every
function app (om.patches, om.security, om.sysadmin, ...) shows its policy and its activities' owners from here.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from fits.scoping import SchoolOwned, SchoolScopedQuerySet


class Function(models.TextChoices):
    """The six FITS OM functions."""

    SYSADMIN = "sysadmin", "Systems Administration"
    STORAGE = "storage", "Storage Management"
    DIRECTORY = "directory", "Directory Services Administration"
    PRINTING = "printing", "Print and Output Management"
    SECURITY = "security", "Security Administration"
    PATCHES = "patches", "Patch Management"


class OperationsQuerySet(SchoolScopedQuerySet):
    """Operations records are support staff's business: an ICT user's role does not open them."""

    staff_only = True


class FunctionPolicy(SchoolOwned):
    """A function's policy at a school (FITS: each function has a policy), reviewed on a date by its owner."""

    function = models.CharField(max_length=12, choices=Function.choices)
    text = models.TextField(help_text="What the school does and why: scope, standards, who decides.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    review_due = models.DateField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = OperationsQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "function policies"
        ordering = ["function"]
        constraints = [models.UniqueConstraint(fields=["school", "function"], name="function_policy_unique")]

    def __str__(self) -> str:
        return f"{self.get_function_display()} policy"


class ActivityAllocation(SchoolOwned):
    """One activity of a function and who carries it out (and who stands in), as the network manager allocated it."""

    class Frequency(models.TextChoices):
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"
        MONTHLY = "monthly", "Monthly"
        TERMLY = "termly", "Termly"
        YEARLY = "yearly", "Yearly"
        AS_NEEDED = "as_needed", "As needed"

    function = models.CharField(max_length=12, choices=Function.choices)
    activity = models.CharField(max_length=200)
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.AS_NEEDED)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    deputy = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    notes = models.CharField(max_length=300, blank=True)
    allocated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    allocated_at = models.DateTimeField(auto_now=True)

    objects = OperationsQuerySet.as_manager()

    class Meta:
        ordering = ["function", "activity"]
        constraints = [
            models.UniqueConstraint(fields=["school", "function", "activity"], name="activity_allocation_unique")
        ]

    def __str__(self) -> str:
        return self.activity
