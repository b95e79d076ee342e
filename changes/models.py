"""Change Management (FITS): introduce ICT changes with the least disruption, keeping the records current.

A request for change (RFC) is documented, assessed (a short risk questionnaire), approved by whoever its
kind and risk call for (changes/policy.py), scheduled around the school's freeze and maintenance windows,
implemented, reviewed and closed. Standard changes come from pre-approved templates; emergency changes
may be scheduled and started at once and are reviewed retrospectively.
"""

from __future__ import annotations

import rules
from django.conf import settings
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from fits import access
from fits.scoping import SchoolOwned, SchoolScopedQuerySet, SharedOwned
from fits.workflow import Transition, Workflow


class ChangeKind(models.TextChoices):
    STANDARD = "standard", "Standard (pre-approved)"
    NORMAL = "normal", "Normal"
    EMERGENCY = "emergency", "Emergency"


class Risk(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Awaiting approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    SCHEDULED = "scheduled", "Scheduled"
    IN_PROGRESS = "in_progress", "In progress"
    IMPLEMENTED = "implemented", "Implemented"
    FAILED = "failed", "Failed"
    BACKED_OUT = "backed_out", "Backed out"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


# Changes that may still be cancelled: nothing has been touched yet.
EARLY_STATUSES = (Status.DRAFT, Status.SUBMITTED, Status.APPROVED, Status.SCHEDULED)
# Changes that hold a slot on the forward schedule (what conflicts are looked for among).
PLANNED_STATUSES = (Status.APPROVED, Status.SCHEDULED, Status.IN_PROGRESS)
# Changes whose work is over and that wait for their post-implementation review.
FINISHED_STATUSES = (Status.IMPLEMENTED, Status.FAILED, Status.BACKED_OUT)


class ReviewOutcome(models.TextChoices):
    SUCCESSFUL = "successful", "Successful"
    PARTIAL = "partial", "Partly successful"
    UNSUCCESSFUL = "unsuccessful", "Unsuccessful"


@rules.predicate
def is_emergency_change(user, change) -> bool:
    return getattr(change, "kind", None) == ChangeKind.EMERGENCY


@rules.predicate
def is_not_emergency_change(user, change) -> bool:
    return getattr(change, "kind", None) != ChangeKind.EMERGENCY


class ChangeTemplate(SharedOwned):
    """A pre-approved standard change ("Add a user to a group", "Replace toner") with its default plans."""

    name = models.CharField(max_length=150)
    description = models.TextField(blank=True)
    implementation_plan = models.TextField(blank=True)
    test_plan = models.TextField(blank=True)
    backout_plan = models.TextField(blank=True)
    duration_minutes = models.PositiveIntegerField(default=30, help_text="How long the change usually takes.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ChangeAdvisoryBoard(SharedOwned):
    """A change advisory board (CAB): named members who vote on high-risk changes, with a quorum of approvals."""

    name = models.CharField(max_length=150)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="change_boards", blank=True)
    quorum = models.PositiveSmallIntegerField(default=2, help_text="How many members must approve a change.")

    class Meta:
        ordering = ["name"]
        verbose_name = "change advisory board"

    def __str__(self) -> str:
        return self.name


class CABMeeting(SharedOwned):
    """A meeting of a change advisory board: the changes awaiting it are its agenda, and the votes cast there
    are its minuted decisions. It belongs where its board does (a school's, an authority's)."""

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        HELD = "held", "Held"

    board = models.ForeignKey(ChangeAdvisoryBoard, on_delete=models.CASCADE, related_name="meetings")
    held_at = models.DateTimeField("when")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED, editable=False)
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="cab_meetings", blank=True)
    minutes = models.TextField(blank=True, help_text="What was discussed beyond the votes.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_at"]
        verbose_name = "CAB meeting"
        indexes = [models.Index(fields=["board", "held_at"], name="cab_meeting_idx")]

    def __str__(self) -> str:
        return f"{self.board} {self.held_at:%d %b %Y}"


class FreezeWindow(SharedOwned):
    """Dates when no normal or standard change may run (exam seasons, inspections, the start of term)."""

    class Kind(models.TextChoices):
        EXAMS = "exams", "Exams"
        INSPECTION = "inspection", "Inspection"
        TERM_START = "term_start", "Start of term"
        OTHER = "other", "Other"

    name = models.CharField(max_length=150)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.EXAMS)
    starts = models.DateField()
    ends = models.DateField(help_text="The last day of the freeze (inclusive).")

    class Meta:
        ordering = ["starts"]
        constraints = [models.CheckConstraint(condition=models.Q(ends__gte=models.F("starts")), name="freeze_ends")]

    def __str__(self) -> str:
        return self.name

    @property
    def dates(self) -> str:
        return f"{self.starts.day} {self.starts:%b %Y} to {self.ends.day} {self.ends:%b %Y}"


class MaintenanceWindow(SharedOwned):
    """A weekly slot in which standard changes may run (e.g. Wednesdays 16:00-18:00)."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    name = models.CharField(max_length=150, blank=True)
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["weekday", "opens"]
        constraints = [
            models.CheckConstraint(condition=models.Q(closes__gt=models.F("opens")), name="maintenance_closes")
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"


class RequestForChangeQuerySet(SchoolScopedQuerySet):
    # Changes are support staff's work: an ICT user's role does not open them.
    staff_only = True

    def planned(self) -> RequestForChangeQuerySet:
        return self.filter(status__in=PLANNED_STATUSES)

    def overlapping(self, start, end) -> RequestForChangeQuerySet:
        """Changes whose planned window overlaps [start, end)."""
        return self.filter(planned_start__lt=end, planned_end__gt=start)

    def for_list(self) -> RequestForChangeQuerySet:
        return self.select_related("school", "requester", "implementer", "template").order_by("-created_at")


class RequestForChange(SchoolOwned):
    """An RFC: a change to hardware, software, services or documentation, from request to review."""

    reference = models.CharField(max_length=20, editable=False)
    kind = models.CharField(max_length=20, choices=ChangeKind.choices, default=ChangeKind.NORMAL)
    template = models.ForeignKey(
        ChangeTemplate,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="changes",
        help_text="The pre-approved standard change this one follows.",
    )
    title = models.CharField("summary", max_length=200)
    reason = models.TextField(help_text="Why: the problem or new requirement behind the change.")
    description = models.TextField(blank=True, help_text="What will be changed.")
    cis = models.ManyToManyField(
        "cmdb.ConfigurationItem", related_name="changes", blank=True, verbose_name="affected configuration items"
    )
    incidents = models.ManyToManyField("incidents.Incident", related_name="changes", blank=True)
    risk_answers = models.JSONField(default=dict, blank=True, editable=False)
    risk = models.CharField(max_length=10, choices=Risk.choices, blank=True, editable=False)
    is_major = models.BooleanField(
        "major change", default=False, help_text="A major change needs a school leader's approval too."
    )
    implementation_plan = models.TextField(blank=True)
    test_plan = models.TextField(blank=True)
    backout_plan = models.TextField(blank=True)
    planned_start = models.DateTimeField(null=True, blank=True)
    planned_end = models.DateTimeField(null=True, blank=True)
    actual_start = models.DateTimeField(null=True, blank=True, editable=False)
    actual_end = models.DateTimeField(null=True, blank=True, editable=False)
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="requested_changes")
    implementer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="implemented_changes",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT, editable=False)
    cab = models.ForeignKey(
        ChangeAdvisoryBoard,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="changes",
        verbose_name="change advisory board",
    )
    schedule_warning = models.TextField(
        blank=True, editable=False, help_text="Recorded when an emergency change runs in a freeze window."
    )
    # Post-implementation review.
    review_outcome = models.CharField(max_length=20, choices=ReviewOutcome.choices, blank=True, editable=False)
    review_notes = models.TextField(blank=True, editable=False)
    cmdb_updated = models.BooleanField(default=False, editable=False, help_text="The CMDB records the change.")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True, editable=False)
    submitted_at = models.DateTimeField(null=True, blank=True, editable=False)
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])
    objects = RequestForChangeQuerySet.as_manager()

    WORKFLOW = Workflow(
        Status,
        [
            Transition(
                "submit",
                "Submit for approval",
                (Status.DRAFT,),
                Status.SUBMITTED,
                access.can_raise_change,
                style="primary",
                help="The plans and risk assessment are ready: ask the approvers.",
            ),
            Transition(
                "approve",
                "Approve",
                (Status.SUBMITTED,),
                Status.APPROVED,
                access.can_approve_change,
                automatic=True,
                help="Made when the last approval the change needs is given.",
            ),
            Transition(
                "reject",
                "Reject",
                (Status.SUBMITTED,),
                Status.REJECTED,
                access.can_approve_change,
                automatic=True,
                help="Made when an approver rejects it, or the board can no longer reach its quorum.",
            ),
            Transition(
                "schedule",
                "Schedule",
                (Status.APPROVED, Status.SCHEDULED),
                Status.SCHEDULED,
                access.can_raise_change,
                style="primary",
            ),
            Transition(
                "emergency_schedule",
                "Schedule now (emergency)",
                (Status.DRAFT, Status.SUBMITTED),
                Status.SCHEDULED,
                access.can_raise_change & is_emergency_change,
                style="danger",
                help="An emergency change is scheduled at once and reviewed afterwards.",
            ),
            Transition(
                "start",
                "Start work",
                (Status.SCHEDULED,),
                Status.IN_PROGRESS,
                access.can_raise_change,
                style="primary",
            ),
            Transition(
                "emergency_start",
                "Start now (emergency)",
                (Status.DRAFT, Status.SUBMITTED, Status.APPROVED),
                Status.IN_PROGRESS,
                access.can_raise_change & is_emergency_change,
                style="danger",
            ),
            Transition(
                "implement",
                "Mark implemented",
                (Status.IN_PROGRESS,),
                Status.IMPLEMENTED,
                access.can_raise_change,
                style="success",
            ),
            Transition(
                "fail",
                "Mark failed",
                (Status.IN_PROGRESS,),
                Status.FAILED,
                access.can_raise_change,
                note_required=True,
                note_label="What went wrong",
                style="danger",
            ),
            Transition(
                "back_out",
                "Back out",
                (Status.FAILED, Status.IN_PROGRESS),
                Status.BACKED_OUT,
                access.can_raise_change,
                note_required=True,
                note_label="How the change was backed out",
                style="warning",
            ),
            Transition(
                "close",
                "Close",
                FINISHED_STATUSES,
                Status.CLOSED,
                access.can_review_change,
                style="success",
                help="After the post-implementation review.",
            ),
            Transition(
                "cancel",
                "Cancel",
                EARLY_STATUSES,
                Status.CANCELLED,
                access.can_raise_change,
                note_required=True,
                note_label="Why is the change no longer wanted?",
            ),
        ],
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "request for change"
        verbose_name_plural = "requests for change"
        constraints = [
            models.UniqueConstraint(fields=["school", "reference"], name="change_reference_unique"),
            models.CheckConstraint(
                condition=models.Q(planned_start__isnull=True)
                | models.Q(planned_end__isnull=True)
                | models.Q(planned_end__gt=models.F("planned_start")),
                name="change_planned_window",
            ),
        ]
        indexes = [
            models.Index(fields=["school", "planned_start"], name="change_schedule_idx"),
            models.Index(fields=["school", "status"], name="change_queue_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("changes:detail", args=[self.pk])

    @property
    def reporter(self):
        """Who raised it, under the name notifications use for every record's originator."""
        return self.requester

    @property
    def is_emergency(self) -> bool:
        return self.kind == ChangeKind.EMERGENCY

    @property
    def is_standard(self) -> bool:
        return self.kind == ChangeKind.STANDARD


class ApprovalRole(models.TextChoices):
    NETWORK_MANAGER = "network_manager", "Network manager"
    LEADER = "leader", "School leader"
    CAB = "cab", "CAB member"
    RETROSPECTIVE = "retrospective", "Retrospective review"


class Decision(models.TextChoices):
    APPROVE = "approve", "Approve"
    REJECT = "reject", "Reject"


class ChangeApprovalQuerySet(SchoolScopedQuerySet):
    staff_only = True


class ChangeApproval(SchoolOwned):
    """One approver's decision on a change, in one capacity (a CAB vote, the network manager's approval...)."""

    change = models.ForeignKey(RequestForChange, on_delete=models.CASCADE, related_name="approvals")
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="change_approvals")
    role = models.CharField("as", max_length=20, choices=ApprovalRole.choices)
    decision = models.CharField(max_length=10, choices=Decision.choices)
    comment = models.TextField(blank=True)
    meeting = models.ForeignKey(
        CABMeeting,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="decisions",
        help_text="The CAB meeting where the vote was cast and minuted.",
    )
    decided_at = models.DateTimeField(auto_now_add=True)

    objects = ChangeApprovalQuerySet.as_manager()

    class Meta:
        ordering = ["decided_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["change", "approver", "role"], name="change_approval_once_per_role")
        ]

    def __str__(self) -> str:
        return f"{self.approver} ({self.get_role_display()}): {self.get_decision_display()}"
