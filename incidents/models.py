"""Incident Management (FITS): restore the service to the user as soon as possible."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from fits import access
from fits.scoping import SchoolOwned, SchoolScopedQuerySet
from fits.workflow import Transition, Workflow

# =============================================================================
# Impact x urgency = priority
# =============================================================================


class Impact(models.IntegerChoices):
    """How much of the school is affected (schools rank whole school > class > individual)."""

    HIGH = 1, "Whole school or a key service"
    MEDIUM = 2, "A class, lesson or department"
    LOW = 3, "One person"


class Urgency(models.IntegerChoices):
    """How soon the work suffers."""

    HIGH = 1, "Stops teaching or work now"
    MEDIUM = 2, "Work is affected but can go on"
    LOW = 3, "Can wait"


class Priority(models.IntegerChoices):
    CRITICAL = 1, "P1 Critical"
    HIGH = 2, "P2 High"
    MEDIUM = 3, "P3 Medium"
    LOW = 4, "P4 Low"
    PLANNING = 5, "P5 Planning"


PRIORITY_MATRIX: dict[tuple[int, int], int] = {
    (Impact.HIGH, Urgency.HIGH): Priority.CRITICAL,
    (Impact.HIGH, Urgency.MEDIUM): Priority.HIGH,
    (Impact.HIGH, Urgency.LOW): Priority.MEDIUM,
    (Impact.MEDIUM, Urgency.HIGH): Priority.HIGH,
    (Impact.MEDIUM, Urgency.MEDIUM): Priority.MEDIUM,
    (Impact.MEDIUM, Urgency.LOW): Priority.LOW,
    (Impact.LOW, Urgency.HIGH): Priority.MEDIUM,
    (Impact.LOW, Urgency.MEDIUM): Priority.LOW,
    (Impact.LOW, Urgency.LOW): Priority.PLANNING,
}


def priority_for(impact: int, urgency: int) -> Priority:
    """The priority the impact x urgency matrix gives."""
    return Priority(PRIORITY_MATRIX[(impact, urgency)])


# =============================================================================
# Incident
# =============================================================================


class Status(models.TextChoices):
    NEW = "new", "New"
    ASSIGNED = "assigned", "Assigned"
    IN_PROGRESS = "in_progress", "In progress"
    ON_HOLD = "on_hold", "On hold"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    REOPENED = "reopened", "Reopened"


OPEN_STATUSES = (Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.ON_HOLD, Status.REOPENED)


class Channel(models.TextChoices):
    """How the call reached the single point of contact."""

    PORTAL = "portal", "Portal"
    EMAIL = "email", "E-mail"
    PHONE = "phone", "Phone"
    IN_PERSON = "in_person", "In person"
    API = "api", "API"
    MONITORING = "monitoring", "Monitoring"


def _glance_aggregates(since) -> dict[str, models.Aggregate]:
    is_open = models.Q(status__in=OPEN_STATUSES)
    return {
        "open": models.Count("pk", filter=is_open),
        "urgent": models.Count("pk", filter=is_open & models.Q(priority__lte=Priority.HIGH)),
        "unassigned": models.Count("pk", filter=is_open & models.Q(assignee__isnull=True)),
        "awaiting": models.Count("pk", filter=models.Q(status=Status.RESOLVED)),
        "logged": models.Count("pk", filter=models.Q(created_at__gte=since)),
        "resolved": models.Count("pk", filter=models.Q(resolved_at__gte=since)),
        "oldest_open": models.Min("created_at", filter=is_open),
        "mean_time_to_resolve": models.Avg(
            models.F("resolved_at") - models.F("created_at"),
            filter=models.Q(resolved_at__gte=since),
            output_field=models.DurationField(),
        ),
    }


class IncidentQuerySet(SchoolScopedQuerySet):
    def visible_to(self, user: Any) -> IncidentQuerySet:
        """Support staff see their schools' incidents; an ICT user sees only the ones they reported."""
        visible = super().visible_to(user)
        if not user.is_authenticated or user.is_superuser:
            return visible
        return visible.filter(models.Q(school_id__in=user.staff_school_ids) | models.Q(reporter=user))

    def open(self) -> IncidentQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def unassigned(self) -> IncidentQuerySet:
        return self.open().filter(assignee__isnull=True)

    def glance(self, *, since) -> dict[str, Any]:
        """The figures of the school-at-a-glance cards, in one query."""
        return self.aggregate(**_glance_aggregates(since))

    def glance_by_school(self, *, since) -> dict[int, dict[str, Any]]:
        """The same figures per school, in one query: {school_id: figures}."""
        rows = self.order_by().values("school_id").annotate(**_glance_aggregates(since))
        return {row.pop("school_id"): row for row in rows}

    def count_by(self, field: str) -> dict[Any, int]:
        """{value: count} for one field, counted in SQL."""
        return dict(self.order_by().values_list(field).annotate(n=models.Count("pk")).values_list(field, "n"))

    def for_list(self) -> IncidentQuerySet:
        """What every list of incidents shows, in a fixed number of queries."""
        return self.select_related("school", "reporter", "logged_by", "assignee")


class Incident(SchoolOwned):
    """An event outside normal operation that interrupts an ICT service or lowers its quality.

    Holds the incident sheet (the user's part and the desk's part) and its place in the
    lifecycle; every change of status, assignment or comment is on its activity timeline.
    """

    reference = models.CharField(max_length=20, editable=False)
    title = models.CharField("summary", max_length=200)
    description = models.TextField(
        help_text="What you expected, what happened, what you have tried, and when it last worked."
    )
    room = models.CharField(max_length=100, blank=True, help_text="Where the fault is, e.g. IT Suite 2.")
    ci = models.ForeignKey(
        "cmdb.ConfigurationItem",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="incidents",
        verbose_name="configuration item",
        help_text="The device, software or service at fault, if known.",
    )
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.PORTAL)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reported_incidents")
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="logged_incidents")
    impact = models.PositiveSmallIntegerField(choices=Impact.choices, default=Impact.LOW)
    urgency = models.PositiveSmallIntegerField(choices=Urgency.choices, default=Urgency.MEDIUM)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, editable=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW, editable=False)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_incidents",
    )
    resolution = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    resolved_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = IncidentQuerySet.as_manager()

    WORKFLOW = Workflow(
        Status,
        [
            Transition(
                "start",
                "Take and start",
                (Status.NEW, Status.ASSIGNED, Status.REOPENED),
                Status.IN_PROGRESS,
                access.can_work_incident,
                style="primary",
                help="Take the incident (it becomes yours) and start diagnosis.",
            ),
            Transition(
                "hold",
                "Put on hold",
                (Status.IN_PROGRESS,),
                Status.ON_HOLD,
                access.can_work_incident,
                note_required=True,
                note_label="What are you waiting for?",
            ),
            Transition("resume", "Resume", (Status.ON_HOLD,), Status.IN_PROGRESS, access.can_work_incident),
            Transition(
                "resolve",
                "Resolve",
                (Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.ON_HOLD, Status.REOPENED),
                Status.RESOLVED,
                access.can_work_incident,
                note_required=True,
                note_label="Resolution: the fix or workaround, in words the user understands",
                style="success",
            ),
            Transition(
                "close",
                "Confirm and close",
                (Status.RESOLVED,),
                Status.CLOSED,
                access.can_close_incident,
                style="success",
                help="The user confirms the service is back.",
            ),
            # Moves made by other operations: routing (incident_assign) and the closing task.
            Transition(
                "assign",
                "Assign",
                (Status.NEW, Status.REOPENED),
                Status.ASSIGNED,
                access.can_route_incident,
                automatic=True,
            ),
            Transition(
                "unassign",
                "Return to the queue",
                (Status.ASSIGNED,),
                Status.NEW,
                access.can_route_incident,
                automatic=True,
            ),
            Transition(
                "expire",
                "Close unconfirmed",
                (Status.RESOLVED,),
                Status.CLOSED,
                access.is_administrator,
                automatic=True,
                help="Closed by the daily task when the caller neither confirms nor reopens.",
            ),
            Transition(
                "reopen",
                "Reopen",
                (Status.RESOLVED,),
                Status.REOPENED,
                access.can_reopen_incident,
                note_required=True,
                note_label="What is still wrong?",
                style="warning",
            ),
        ],
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["school", "reference"], name="incident_reference_unique")]
        indexes = [
            models.Index(fields=["school", "status", "priority"], name="incident_queue_idx"),
            models.Index(fields=["assignee", "status"], name="incident_assignee_idx"),
            models.Index(fields=["reporter", "status"], name="incident_reporter_idx"),
            models.Index(fields=["created_at"], name="incident_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("incidents:detail", kwargs={"pk": self.pk})

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES
