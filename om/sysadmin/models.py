"""Systems Administration (FITS OM): a logbook per server and a run book per service.

Routine operations (check the backups daily, the disk space weekly, a restore test each term) are not models of
their own: they are availability.MaintenanceSchedule rows with `function="sysadmin"`, raising incidents.Task rows
with origin ROUTINE (om/sysadmin/services.py, availability/maintenance.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from fits.scoping import SchoolOwned
from om.models import OperationsQuerySet


class LogbookEntry(SchoolOwned):
    """One line of a server's logbook: when, who, what was done or found. Also an internal note on the CI's
    timeline, so the CI page tells the same story."""

    class Kind(models.TextChoices):
        CHECK = "check", "Routine check"
        MAINTENANCE = "maintenance", "Maintenance"
        CHANGE = "change", "Change made"
        FAULT = "fault", "Fault found"
        NOTE = "note", "Note"

    ci = models.ForeignKey("cmdb.ConfigurationItem", on_delete=models.CASCADE, related_name="logbook")
    occurred_at = models.DateTimeField(help_text="When the work was done or the finding made.")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.NOTE)
    text = models.TextField(help_text="What was done or found.")
    task = models.ForeignKey(
        "incidents.Task", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        help_text="The routine task this entry reports on, if any.",
    )  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OperationsQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "logbook entries"
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(fields=["ci", "occurred_at"], name="logbook_ci_idx"),
            models.Index(fields=["school", "occurred_at"], name="logbook_school_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ci_id} {self.occurred_at:%Y-%m-%d %H:%M} {self.get_kind_display()}"

    def get_absolute_url(self) -> str:
        return reverse("sysadmin:logbook", kwargs={"ci": self.ci_id})


class RunBook(SchoolOwned):
    """How to operate one service: start, stop, restore and whom to call. Its text lives in versions; the
    current one is the latest, and each is reviewed by someone on a date."""

    title = models.CharField(max_length=200)
    service = models.ForeignKey(
        "servicelevels.ITService", on_delete=models.CASCADE, null=True, blank=True, related_name="run_books",
        verbose_name="ICT service",
    )  # fmt: skip
    ci = models.ForeignKey(
        "cmdb.ConfigurationItem", on_delete=models.CASCADE, null=True, blank=True, related_name="run_books",
        verbose_name="CMDB service",
    )  # fmt: skip
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=0, editable=False)
    review_due = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OperationsQuerySet.as_manager()

    class Meta:
        ordering = ["title", "pk"]
        indexes = [models.Index(fields=["school", "review_due"], name="runbook_review_idx")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("sysadmin:runbook_detail", kwargs={"pk": self.pk})


class RunBookVersion(SchoolOwned):
    """One version of a run book's procedures, as written; reviewed (or not yet) by a named person."""

    run_book = models.ForeignKey(RunBook, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    start = models.TextField("starting the service", blank=True)
    stop = models.TextField("stopping the service", blank=True)
    restore = models.TextField("restoring from backup", blank=True)
    contacts = models.TextField(blank=True, help_text="Suppliers, support lines, who to call out of hours.")
    notes = models.TextField(blank=True)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    written_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(max_length=300, blank=True)

    objects = OperationsQuerySet.as_manager()

    class Meta:
        ordering = ["run_book", "-number"]
        constraints = [models.UniqueConstraint(fields=["run_book", "number"], name="runbook_version_unique")]

    def __str__(self) -> str:
        return f"{self.run_book_id} v{self.number}"
