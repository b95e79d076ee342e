"""Problem Management (FITS): find the underlying cause of incidents and remove it.

A problem gathers incidents with a common cause; once the cause is known it becomes a known
error with a workaround the desk can look up, until a structural fix resolves it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from fits import access
from fits.scoping import SchoolOwned, SchoolScopedQuerySet
from fits.workflow import Transition, Workflow


class Status(models.TextChoices):
    LOGGED = "logged", "Logged"
    INVESTIGATING = "investigating", "Investigating"
    KNOWN_ERROR = "known_error", "Known error"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


OPEN_STATUSES = (Status.LOGGED, Status.INVESTIGATING, Status.KNOWN_ERROR)


class ProblemQuerySet(SchoolScopedQuerySet):
    # Problems are support staff's work: an ICT user's role does not open them.
    staff_only = True

    def open(self) -> ProblemQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def for_list(self) -> ProblemQuerySet:
        """What every list of problems shows, in a fixed number of queries."""
        return (
            self.select_related("school", "assignee", "logged_by", "ci")
            .annotate(incident_count=models.Count("incidents", distinct=True))
            .order_by("-created_at")
        )


class Problem(SchoolOwned):
    """The unknown underlying cause of one or more incidents (the problem record)."""

    reference = models.CharField(max_length=20, editable=False)
    title = models.CharField("summary", max_length=200)
    description = models.TextField(help_text="The symptoms, and which incidents share them.")
    ci = models.ForeignKey(
        "cmdb.ConfigurationItem",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="problems",
        verbose_name="configuration item",
    )
    incidents = models.ManyToManyField("incidents.Incident", related_name="problems", blank=True, editable=False)
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="logged_problems")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_problems",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.LOGGED, editable=False)
    root_cause = models.TextField(blank=True, editable=False)
    resolution = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    resolved_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = ProblemQuerySet.as_manager()

    WORKFLOW = Workflow(
        Status,
        [
            Transition(
                "investigate",
                "Start investigating",
                (Status.LOGGED,),
                Status.INVESTIGATING,
                access.can_work_problem,
                style="primary",
                help="Look for the underlying cause; record findings as notes on the timeline.",
            ),
            Transition(
                "known_error",
                "Record the root cause",
                (Status.INVESTIGATING,),
                Status.KNOWN_ERROR,
                access.can_work_problem,
                note_required=True,
                note_label="Root cause: what is wrong underneath",
                style="warning",
            ),
            Transition(
                "resolve",
                "Resolve",
                (Status.INVESTIGATING, Status.KNOWN_ERROR),
                Status.RESOLVED,
                access.can_work_problem,
                note_required=True,
                note_label="The structural fix that removes the cause",
                style="success",
            ),
            Transition(
                "close",
                "Close",
                (Status.RESOLVED,),
                Status.CLOSED,
                access.can_work_problem,
                style="success",
                help="The fix held: no new incidents with this cause.",
            ),
            Transition(
                "cancel",
                "Cancel",
                (Status.LOGGED, Status.INVESTIGATING, Status.KNOWN_ERROR),
                Status.CANCELLED,
                access.can_work_problem,
                note_required=True,
                note_label="Why is this not a problem after all?",
            ),
        ],
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["school", "reference"], name="problem_reference_unique")]
        indexes = [models.Index(fields=["school", "status"], name="problem_queue_idx")]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("problems:detail", kwargs={"pk": self.pk})

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class KnownErrorQuerySet(SchoolScopedQuerySet):
    staff_only = True

    def published(self) -> KnownErrorQuerySet:
        return self.filter(published=True)

    def search(self, text: str) -> KnownErrorQuerySet:
        text = text.strip()
        if not text:
            return self
        return self.filter(
            models.Q(symptom__icontains=text)
            | models.Q(workaround__icontains=text)
            | models.Q(problem__reference__iexact=text)
            | models.Q(problem__title__icontains=text)
        )

    def for_list(self) -> KnownErrorQuerySet:
        return self.select_related("school", "problem", "recorded_by")


class KnownError(SchoolOwned):
    """A problem whose cause is known, with the workaround the desk gives until it is fixed."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="known_errors")
    symptom = models.CharField(max_length=200, help_text="What the user sees, in their words.")
    workaround = models.TextField(help_text="What the desk or the user can do meanwhile.")
    published = models.BooleanField(default=True, help_text="Offered to technicians looking up a workaround.")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = KnownErrorQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.symptom

    def get_absolute_url(self) -> str:
        return reverse("problems:detail", kwargs={"pk": self.problem_id})
