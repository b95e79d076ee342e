"""Incident Management (FITS): restore the service to the user as soon as possible."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from fits import access
from fits.scoping import SchoolOwned, SchoolScopedQuerySet, SharedOwned, SharedScopedQuerySet
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


def priority_for(impact: int, urgency: int, *, authority_id: int | None = None) -> Priority:
    """The priority the impact x urgency matrix gives: the authority's own matrix, else the default."""
    if authority_id is not None:
        # One cell at most (priority_rule_unique): no order to work out.
        rules = PriorityRule.objects.filter(authority_id=authority_id, impact=impact, urgency=urgency).order_by()
        for priority in rules.values_list("priority", flat=True)[:1]:
            return Priority(priority)
    return Priority(PRIORITY_MATRIX[(impact, urgency)])


class PriorityRule(models.Model):
    """One cell of an authority's own impact x urgency matrix (cells it does not set keep the default)."""

    authority = models.ForeignKey("fits.Authority", on_delete=models.CASCADE, related_name="priority_rules")
    impact = models.PositiveSmallIntegerField(choices=Impact.choices)
    urgency = models.PositiveSmallIntegerField(choices=Urgency.choices)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["authority", "impact", "urgency"], name="priority_rule_unique"),
        ]

    def __str__(self) -> str:
        cell = f"{self.get_impact_display()} x {self.get_urgency_display()}"
        return f"{self.authority}: {cell} = {self.get_priority_display()}"


# =============================================================================
# Categories and support groups (shared by an authority's schools)
# =============================================================================


class TicketKind(models.TextChoices):
    """The desk works incidents (something is broken) and service requests (please provide) in one queue."""

    INCIDENT = "incident", "Incident"
    REQUEST = "request", "Service request"


class CategoryQuerySet(SharedScopedQuerySet):
    """Categories are the support staff's way of sorting tickets: callers describe the fault in their words."""

    staff_only = True


class Category(SharedOwned):
    """What the ticket is about (hardware, network, MIS...), a two-level tree an authority sets for its schools."""

    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="children")
    name = models.CharField(max_length=80)
    applies_to = models.CharField(
        max_length=10, choices=TicketKind.choices, blank=True, help_text="Leave empty for both."
    )
    default_group = models.ForeignKey(
        "incidents.SupportGroup",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="New tickets in this category go to this group's queue.",
    )
    is_active = models.BooleanField(default=True)
    # Security Administration (om.security): tickets in a security category are seen only by the school's network
    # manager and leaders, administrators, the assignee and the reporter (IncidentQuerySet.visible_to).
    is_security = models.BooleanField(
        "security incidents",
        default=False,
        help_text="Security incidents and data breaches: only the network manager, school leaders, whoever works "
        "the ticket and its caller see tickets in this category.",
    )

    objects = models.Manager.from_queryset(CategoryQuerySet)()

    class Meta:
        ordering = ["parent__name", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return f"{self.parent.name} › {self.name}" if self.parent_id else self.name


class SupportGroupQuerySet(SharedScopedQuerySet):
    """Support groups are support staff's business: an ICT user's role does not open them."""

    staff_only = True


class SupportGroup(SharedOwned):
    """A team that works tickets: the school's ICT team, the LEA support unit, or a supplier.

    A group owned by an authority works tickets of all its schools (escalation to the LEA);
    a supplier group is told by e-mail and tracked with its own reference.
    """

    class Kind(models.TextChoices):
        SCHOOL = "school", "School ICT team"
        AUTHORITY = "authority", "LEA support unit"
        SUPPLIER = "supplier", "Supplier"

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.SCHOOL)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="support_groups")
    email = models.EmailField(blank=True, help_text="Escalations to a supplier are sent here.")
    phone = models.CharField(max_length=30, blank=True)
    notes = models.TextField(blank=True, help_text="Contract, hours, how to log a call with them.")
    is_active = models.BooleanField(default=True)

    objects = models.Manager.from_queryset(SupportGroupQuerySet)()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_external(self) -> bool:
        return self.kind != self.Kind.SCHOOL


# =============================================================================
# The timetable (lesson impact)
# =============================================================================


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class LessonQuerySet(SchoolScopedQuerySet):
    """The timetable is support staff's, like the CMDB; an ICT user only hears of the lesson in a room
    while logging a fault there (incidents.services.lesson_now)."""

    staff_only = True


class Lesson(SchoolOwned):
    """A lesson timetabled in a room each week (from the school's MIS): a fault there now stops teaching."""

    location = models.ForeignKey("cmdb.Location", on_delete=models.CASCADE, related_name="lessons")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts = models.TimeField()
    ends = models.TimeField()
    name = models.CharField(max_length=100, help_text="The class or group, e.g. 9X2 Computing.")
    teacher = models.CharField(max_length=100, blank=True)

    objects = LessonQuerySet.as_manager()

    class Meta:
        ordering = ["weekday", "starts"]
        indexes = [models.Index(fields=["location", "weekday", "starts"], name="lesson_room_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends__gt=models.F("starts")), name="lesson_ends_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.get_weekday_display()} {self.starts:%H:%M}–{self.ends:%H:%M}"


# =============================================================================
# Incident
# =============================================================================


class Status(models.TextChoices):
    PENDING_APPROVAL = "pending_approval", "Awaiting approval"
    NEW = "new", "New"
    ASSIGNED = "assigned", "Assigned"
    IN_PROGRESS = "in_progress", "In progress"
    ON_HOLD = "on_hold", "On hold"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    REOPENED = "reopened", "Reopened"


class HoldReason(models.TextChoices):
    """Why work stopped; the SLA clock pauses only while the ticket waits on the caller."""

    AWAITING_CALLER = "awaiting_caller", "Waiting for the caller"
    AWAITING_SUPPLIER = "awaiting_supplier", "Waiting for a supplier or the LEA"
    AWAITING_PARTS = "awaiting_parts", "Waiting for parts"
    SCHEDULED = "scheduled", "Booked for a later visit"
    AWAITING_CHANGE = "awaiting_change", "Waiting for a change"


class ResolutionCode(models.TextChoices):
    FIXED = "fixed", "Fixed"
    WORKAROUND = "workaround", "Workaround given"
    ADVICE = "advice", "Advice or training given"
    REPLACED = "replaced", "Hardware replaced"
    NO_FAULT = "no_fault", "No fault found"
    DUPLICATE = "duplicate", "Duplicate of another ticket"
    WITHDRAWN = "withdrawn", "Withdrawn by the caller"
    FULFILLED = "fulfilled", "Request fulfilled"
    DECLINED = "declined", "Request declined"


class Satisfaction(models.IntegerChoices):
    VERY_POOR = 1, "Very poor"
    POOR = 2, "Poor"
    FAIR = 3, "Fair"
    GOOD = 4, "Good"
    EXCELLENT = 5, "Excellent"


OPEN_STATUSES = (
    Status.PENDING_APPROVAL,
    Status.NEW,
    Status.ASSIGNED,
    Status.IN_PROGRESS,
    Status.ON_HOLD,
    Status.REOPENED,
)


class Channel(models.TextChoices):
    """How the call reached the single point of contact."""

    PORTAL = "portal", "Portal"
    EMAIL = "email", "E-mail"
    PHONE = "phone", "Phone"
    IN_PERSON = "in_person", "In person"
    API = "api", "API"
    MONITORING = "monitoring", "Monitoring"


def _glance_rows(since) -> models.Q:
    """The only tickets the glance's figures count (each figure's filter implies this): the open and resolved ones
    and those logged or resolved since `since`. Said in the WHERE clause, the indexes find them; an authority's
    1.5 million tickets are otherwise all read to count 45,000 (0.9 s, not 0.05)."""
    return (
        models.Q(status__in=[*OPEN_STATUSES, Status.RESOLVED])
        | models.Q(created_at__gte=since)
        | models.Q(resolved_at__gte=since)
    )


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


def security_school_ids(user: Any) -> frozenset[int]:
    """Schools where `user` sees security incidents and breaches: as the network manager or a school leader."""
    from fits.models import Role

    readers = {Role.NETWORK_MANAGER, Role.SCHOOL_LEADER}
    return frozenset(school_id for school_id, roles in user.school_roles.items() if roles & readers)


class IncidentQuerySet(SchoolScopedQuerySet):
    def visible_to(self, user: Any) -> IncidentQuerySet:
        """Support staff see their schools' tickets; an ICT user sees only the ones they reported.

        Safeguarding-flagged tickets are narrower still: the reporter, the school's safeguarding
        leads and leaders, and the person assigned (DESIGN.md 4.2: everything starts here, so lists,
        search, exports and the API all obey it).
        """
        visible = super().visible_to(user)
        if not user.is_authenticated or user.is_superuser:
            return visible
        staff_ids = user.staff_school_ids
        # Support staff at every school they see (technicians, consultants): the school test above suffices.
        staff = models.Q() if len(staff_ids) == len(user.visible_school_ids) else models.Q(school_id__in=staff_ids)
        # Safeguarding-flagged tickets: the named leads, school leaders and whoever works it.
        may_see_sensitive = (
            models.Q(safeguarding=False)
            | models.Q(school_id__in=user.safeguarding_school_ids)
            | models.Q(assignee=user)
        )
        # Security incidents (om.security): the network manager, leaders and whoever works it.
        may_see_security = (
            models.Q(security=False) | models.Q(school_id__in=security_school_ids(user)) | models.Q(assignee=user)
        )
        return visible.filter((staff & may_see_sensitive & may_see_security) | models.Q(reporter=user))

    def open(self) -> IncidentQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def unassigned(self) -> IncidentQuerySet:
        return self.open().filter(assignee__isnull=True)

    def glance(self, *, since) -> dict[str, Any]:
        """The figures of the school-at-a-glance cards, in one query."""
        return self.filter(_glance_rows(since)).aggregate(**_glance_aggregates(since))

    def glance_by_school(self, *, since) -> dict[int, dict[str, Any]]:
        """The same figures per school, in one query: {school_id: figures}."""
        rows = self.filter(_glance_rows(since)).order_by().values("school_id").annotate(**_glance_aggregates(since))
        return {row.pop("school_id"): row for row in rows}

    def count_by(self, field: str) -> dict[Any, int]:
        """{value: count} for one field, counted in SQL."""
        return dict(self.order_by().values_list(field).annotate(n=models.Count("pk")).values_list(field, "n"))

    def in_groups_of(self, user: Any) -> IncidentQuerySet:
        """Tickets in the queue of a group `user` works: one they are named in, or their authority's LEA unit."""
        from fits.models import AuthorityRole, AuthorityRoleKind

        named = SupportGroup.members.through.objects.filter(user_id=user.pk).values("supportgroup_id")
        units = AuthorityRole.objects.filter(user_id=user.pk, role=AuthorityRoleKind.SUPPORT).values("authority_id")
        return self.filter(
            models.Q(group_id__in=named)
            | models.Q(group__kind=SupportGroup.Kind.AUTHORITY, group__authority_id__in=units)
        )

    def with_time_spent(self) -> IncidentQuerySet:
        """Annotate `time_spent`: the minutes logged on each ticket (fits.TimeEntry), in the same query."""
        from django.db.models.functions import Coalesce

        from fits.models import TimeEntry

        entries = (
            TimeEntry.objects.filter(
                content_type__app_label="incidents", content_type__model="incident", object_id=models.OuterRef("pk")
            )
            .order_by()
            .values("object_id")
            .annotate(total=models.Sum("minutes"))
            .values("total")
        )
        return self.annotate(time_spent=Coalesce(models.Subquery(entries), 0, output_field=models.IntegerField()))

    def for_list(self) -> IncidentQuerySet:
        """What every list of incidents shows, in a fixed number of queries."""
        return self.select_related("school", "reporter", "logged_by", "assignee")


class Incident(SchoolOwned):
    """An event outside normal operation that interrupts an ICT service or lowers its quality.

    Holds the incident sheet (the user's part and the desk's part) and its place in the
    lifecycle; every change of status, assignment or comment is on its activity timeline.

    The school, CI, reporter, category, group and assignee have no index of their own (db_index=False): each
    leads one of the composite indexes in Meta, which serves the same lookups. Every index is written on every
    ticket logged and weighed by the planner on every query of the largest table.
    """

    school = models.ForeignKey("fits.School", on_delete=models.PROTECT, related_name="+", db_index=False)
    reference = models.CharField(max_length=20, editable=False)
    kind = models.CharField(max_length=10, choices=TicketKind.choices, default=TicketKind.INCIDENT, editable=False)
    title = models.CharField("summary", max_length=200)
    description = models.TextField(
        help_text="What you expected, what happened, what you have tried, and when it last worked."
    )
    location = models.ForeignKey(
        "cmdb.Location",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="incidents",
        verbose_name="room",
        help_text="The room or area, from the school's list of locations.",
    )
    room = models.CharField("where exactly", max_length=100, blank=True, help_text="e.g. the desk by the window.")
    ci = models.ForeignKey(
        "cmdb.ConfigurationItem",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="incidents",
        db_index=False,
        verbose_name="configuration item",
        help_text="The device, software or service at fault, if known.",
    )
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.PORTAL)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reported_incidents", db_index=False
    )
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="logged_incidents")
    impact = models.PositiveSmallIntegerField(choices=Impact.choices, default=Impact.LOW)
    urgency = models.PositiveSmallIntegerField(choices=Urgency.choices, default=Urgency.MEDIUM)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, editable=False)
    category = models.ForeignKey(
        Category, on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets", db_index=False
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW, editable=False)
    hold_reason = models.CharField(max_length=20, choices=HoldReason.choices, blank=True, editable=False)
    group = models.ForeignKey(
        SupportGroup,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name="support group",
        editable=False,
        db_index=False,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_incidents",
        db_index=False,
    )
    supplier_reference = models.CharField(
        max_length=60, blank=True, editable=False, help_text="The supplier's or the LEA's own call number."
    )
    # Major incidents: one parent (is_major) gathers the children logged by everyone affected.
    is_major = models.BooleanField("major incident", default=False, editable=False)
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
        verbose_name="major incident",
        editable=False,
    )
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="duplicates", editable=False
    )
    safeguarding = models.BooleanField(
        default=False,
        help_text="A child-protection concern (e.g. something seen on a screen): only the safeguarding leads, "
        "school leaders and whoever works it will see this ticket.",
    )
    security = models.BooleanField(
        "security incident",
        default=False,
        editable=False,
        help_text="Set from the category (Category.is_security): only the network manager, school leaders, whoever "
        "works it and the caller see it.",
    )
    lesson = models.CharField(
        max_length=150, blank=True, editable=False, help_text="The lesson timetabled in the room when it was logged."
    )
    resolution = models.TextField(blank=True, editable=False)
    resolution_code = models.CharField(max_length=20, choices=ResolutionCode.choices, blank=True, editable=False)
    satisfaction = models.PositiveSmallIntegerField(choices=Satisfaction.choices, null=True, blank=True, editable=False)
    satisfaction_comment = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    first_response_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolved_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolved_at_first_contact = models.BooleanField(
        default=False, editable=False, help_text="Resolved by the desk while the caller was still there."
    )
    reopen_count = models.PositiveSmallIntegerField(default=0, editable=False)

    # The SLA clock (servicelevels.sla keeps these; recomputed when priority, status or calendar change).
    service = models.ForeignKey(
        "servicelevels.ITService",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name="ICT service",
        help_text="The ICT service affected, from the school's service catalogue.",
    )
    agreement = models.ForeignKey(
        "servicelevels.Agreement",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        editable=False,
        verbose_name="service level agreement",
    )
    response_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolution_due_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="Empty while the clock is stopped (waiting on the caller)."
    )
    response_met = models.BooleanField(null=True, editable=False, help_text="Empty until the first response.")
    resolution_met = models.BooleanField(null=True, editable=False, help_text="Empty until resolved.")
    clock_check_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When breach detection next looks at this ticket."
    )

    # The computed clock is not history: its changes follow from the status and priority changes that are.
    history = HistoricalRecords(
        excluded_fields=[
            "updated_at",
            "response_due_at",
            "resolution_due_at",
            "response_met",
            "resolution_met",
            "clock_check_at",
        ]
    )
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
                fields_template="incidents/work/hold_fields.html",
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
                fields_template="incidents/work/resolve_fields.html",
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
            # Service requests that need approval (servicedesk.services.request_approve / request_decline).
            Transition(
                "approve",
                "Approve",
                (Status.PENDING_APPROVAL,),
                Status.NEW,
                access.can_approve_request,
                automatic=True,
                help="The approver agrees: the request joins the queue to be fulfilled.",
            ),
            Transition(
                "decline",
                "Decline",
                (Status.PENDING_APPROVAL,),
                Status.CLOSED,
                access.can_approve_request,
                automatic=True,
                note_required=True,
                note_label="Why is it declined? The requester is told.",
                help="The approver refuses: the request is closed as declined and the requester told why.",
            ),
            # Escalation, merging (incident_escalate, incident_merge).
            Transition(
                "requeue",
                "Back to a queue",
                (Status.ASSIGNED, Status.IN_PROGRESS, Status.ON_HOLD),
                Status.NEW,
                access.can_escalate_incident,
                automatic=True,
                help="Escalated to the LEA support unit, or handed back by it: in a group's queue until someone "
                "takes it.",
            ),
            Transition(
                "await_supplier",
                "Hand to a supplier",
                (Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.REOPENED),
                Status.ON_HOLD,
                access.can_escalate_incident,
                automatic=True,
                help="Escalated to a supplier: on hold, waiting for the supplier, until it is taken back.",
            ),
            Transition(
                "merge",
                "Merge into another ticket",
                (
                    Status.PENDING_APPROVAL,
                    Status.NEW,
                    Status.ASSIGNED,
                    Status.IN_PROGRESS,
                    Status.ON_HOLD,
                    Status.REOPENED,
                    Status.RESOLVED,
                ),
                Status.CLOSED,
                access.can_merge_incident,
                automatic=True,
                help="A duplicate call: closed as a duplicate, its caller follows the surviving ticket.",
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
            models.Index(fields=["group", "status"], name="incident_group_idx"),
            models.Index(fields=["ci", "created_at"], name="incident_ci_idx"),
            models.Index(fields=["category", "created_at"], name="incident_category_idx"),
            # The workbench sorts a school's whole history (50,000 tickets) by these: read in order, not sorted.
            models.Index(fields=["school", "updated_at"], name="incident_school_updated_idx"),
            models.Index(fields=["school", "created_at"], name="incident_school_created_idx"),
            models.Index(fields=["school", "priority", "created_at"], name="incident_school_priority_idx"),
            models.Index(fields=["school", "status", "resolution_due_at"], name="incident_school_due_idx"),
            models.Index(fields=["clock_check_at"], name="incident_clock_check_idx"),
            models.Index(fields=["school", "resolved_at"], name="incident_school_resolved_idx"),
            # The open tickets of many schools in the workbench's two orders (due first, by priority): read in
            # order from these, not sorted from every open ticket of an authority (issue 11).
            models.Index(
                fields=["resolution_due_at", "priority", "id"],
                condition=models.Q(status__in=OPEN_STATUSES),
                name="incident_open_due_idx",
            ),
            models.Index(
                fields=["priority", "created_at", "id"],
                condition=models.Q(status__in=OPEN_STATUSES),
                name="incident_open_priority_idx",
            ),
            # The incident list's own order (priority, newest first; incidents.tables), over every ticket: a
            # consultant's first page is read in order, not sorted out of an authority's 1.5 million.
            models.Index(fields=["priority", "-created_at"], name="incident_list_order_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("incidents:detail", kwargs={"pk": self.pk})

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


# =============================================================================
# Tasks: planned work that is not a fault (FITS: preventative maintenance, routine operations, reviews)
# =============================================================================


class TaskStatus(models.TextChoices):
    OPEN = "open", "To do"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


OPEN_TASK_STATUSES = (TaskStatus.OPEN, TaskStatus.IN_PROGRESS)


class TaskOrigin(models.TextChoices):
    """What raised the task: a person, or one of the processes' schedules and alerts."""

    MANUAL = "manual", "Raised by hand"
    MAINTENANCE = "maintenance", "Preventative maintenance"
    CAPACITY = "capacity", "Capacity warning"
    MONITORING = "monitoring", "Monitoring"
    ROUTINE = "routine", "Routine operation"
    REVIEW = "review", "Review due"
    REPLENISHMENT = "replenishment", "Replenishment"
    PATCH = "patch", "Overdue patch"


class TaskQuerySet(SchoolScopedQuerySet):
    """Tasks are support staff's work: an ICT user's role does not open them."""

    staff_only = True

    def for_list(self) -> TaskQuerySet:
        return self.select_related("school", "ci", "location", "group", "assignee").annotate(
            step_count=models.Count("steps", distinct=True),
            steps_done=models.Count("steps", filter=models.Q(steps__done_at__isnull=False), distinct=True),
        )


class Task(SchoolOwned):
    """A piece of planned work for the school's technicians (TSK-000001): clean the projector filters this
    half-term, act on a disk forecast to fill up, test the UPS battery. Raised by a person or by a process's
    schedule or alert (`origin`, `source`), worked through its checklist (`steps`) and closed with the
    evidence of what was done (`outcome`). Overdue tasks are told to their assignee and the network manager.
    """

    reference = models.CharField(max_length=20, editable=False)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    origin = models.CharField(max_length=20, choices=TaskOrigin.choices, default=TaskOrigin.MANUAL)
    status = models.CharField(max_length=20, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    ci = models.ForeignKey(
        "cmdb.ConfigurationItem", on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks"
    )
    location = models.ForeignKey(
        "cmdb.Location", on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks"
    )
    group = models.ForeignKey(SupportGroup, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks"
    )
    due_on = models.DateField(null=True, blank=True)
    # What raised it (a maintenance schedule, a capacity alert...): shown as a link on the task.
    source_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    # One task per occurrence: a schedule or alert that runs twice finds its task by this key, not a second one.
    source_key = models.CharField(max_length=120, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    outcome = models.TextField(blank=True, help_text="What was done and found: the evidence the work happened.")
    overdue_notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    # The moves a task may make; pages and the API draw their buttons from it (docs/workflows.md).
    WORKFLOW = Workflow(
        TaskStatus,
        [
            Transition(
                "start", "Start", (TaskStatus.OPEN,), TaskStatus.IN_PROGRESS, access.can_work_task, style="primary"
            ),
            Transition(
                "complete", "Complete", OPEN_TASK_STATUSES, TaskStatus.DONE, access.can_work_task,
                note_required=True, note_label="What was done and found (the evidence)", style="success",
            ),
            Transition(
                "cancel", "Cancel", OPEN_TASK_STATUSES, TaskStatus.CANCELLED, access.can_work_task,
                note_required=True, note_label="Why is it no longer needed?", style="danger",
            ),
            Transition(
                "reopen", "Reopen", (TaskStatus.DONE, TaskStatus.CANCELLED), TaskStatus.OPEN, access.can_work_task,
                note_label="Why is more work needed?", style="warning",
            ),
        ],
    )  # fmt: skip

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["school", "reference"], name="task_reference_unique"),
            models.UniqueConstraint(
                fields=["school", "source_key"], condition=~models.Q(source_key=""), name="task_source_key_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["school", "status", "due_on"], name="task_queue_idx"),
            models.Index(fields=["assignee", "status"], name="task_assignee_idx"),
            models.Index(fields=["ci", "created_at"], name="task_ci_idx"),
            models.Index(fields=["source_type", "source_id"], name="task_source_idx"),
            models.Index(fields=["status", "due_on"], name="task_overdue_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("incidents:task_detail", kwargs={"pk": self.pk})

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_TASK_STATUSES


class TaskStep(SchoolOwned):
    """One line of a task's checklist, ticked with who did it and an optional note."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(max_length=300)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["task", "position", "pk"]

    def __str__(self) -> str:
        return self.text

    @property
    def is_done(self) -> bool:
        return self.done_at is not None
