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


class Source(models.TextChoices):
    """Where the problem came from (FITS: incidents, network monitoring, preventative maintenance)."""

    INCIDENTS = "incidents", "Incidents"
    RECURRING = "recurring", "Recurring incidents spotted"
    MONITORING = "monitoring", "Monitoring"
    MAINTENANCE = "maintenance", "Preventative maintenance"


class ProblemQuerySet(SchoolScopedQuerySet):
    # Problems are support staff's work: an ICT user's role does not open them.
    staff_only = True

    def open(self) -> ProblemQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def for_list(self) -> ProblemQuerySet:
        """What every list of problems shows, in a fixed number of queries."""
        return (
            self.select_related("school", "assignee", "logged_by", "ci", "change")
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
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.INCIDENTS)
    change = models.ForeignKey(
        "changes.RequestForChange",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="problems",
        verbose_name="request for change",
        help_text="The request for change that carries the permanent fix (Change Management).",
    )
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


# =============================================================================
# Proactive problem spotting and the school's settings
# =============================================================================


class ProblemSettings(SchoolOwned):
    """A school's rules for Problem Management: when recurring incidents suggest a problem, and the
    fix-time bands of the monthly report (FITS: "a monthly graph against problem fix-time bands the
    school sets")."""

    recurring_incidents = models.PositiveSmallIntegerField(
        default=3, help_text="Incidents on the same CI or in the same category that suggest a problem."
    )
    recurring_days = models.PositiveSmallIntegerField(default=14, help_text="...within this many days.")
    fix_bands = models.JSONField(
        "fix-time bands (days)",
        default=list,
        blank=True,
        help_text="Upper bounds in days, e.g. [7, 28, 90]: fixed within a week, a month, a term, longer.",
    )

    DEFAULT_FIX_BANDS = (7, 28, 90)

    class Meta:
        verbose_name_plural = "problem settings"
        constraints = [models.UniqueConstraint(fields=["school"], name="problem_settings_one_per_school")]

    def __str__(self) -> str:
        return f"Problem settings of {self.school_id}"

    @property
    def bands(self) -> tuple[int, ...]:
        return tuple(sorted(self.fix_bands)) if self.fix_bands else self.DEFAULT_FIX_BANDS


class CandidateStatus(models.TextChoices):
    OPEN = "open", "To review"
    RAISED = "raised", "Raised as a problem"
    DISMISSED = "dismissed", "Dismissed"


class ProblemCandidateQuerySet(SchoolScopedQuerySet):
    staff_only = True

    def for_list(self) -> ProblemCandidateQuerySet:
        return self.select_related(
            "school", "ci", "category", "category__parent", "problem", "decided_by"
        ).prefetch_related("incidents")


class ProblemCandidate(SchoolOwned):
    """Incidents recurring on one CI or in one category: a possible problem for a technician to review."""

    ci = models.ForeignKey("cmdb.ConfigurationItem", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    category = models.ForeignKey(
        "incidents.Category", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    incidents = models.ManyToManyField("incidents.Incident", related_name="+")
    incident_count = models.PositiveIntegerField()
    window_days = models.PositiveSmallIntegerField()
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=CandidateStatus.choices, default=CandidateStatus.OPEN)
    problem = models.ForeignKey(Problem, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProblemCandidateQuerySet.as_manager()

    class Meta:
        ordering = ["-last_at", "-pk"]
        indexes = [models.Index(fields=["school", "status"], name="problem_candidate_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ci__isnull=False) | models.Q(category__isnull=False),
                name="problem_candidate_has_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.incident_count} incidents on {self.subject} in {self.window_days} days"

    def get_absolute_url(self) -> str:
        return f"{reverse('problems:candidates')}?status={self.status}#candidate-{self.pk}"

    @property
    def subject(self) -> str:
        return str(self.ci) if self.ci_id else f"category {self.category}"
