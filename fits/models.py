"""The shared core: authorities, schools, people and their roles, references and activity."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from simple_history.models import HistoricalRecords

from fits.scoping import SchoolOwned, SchoolScopedQuerySet

# =============================================================================
# Roles
# =============================================================================


class Role(models.TextChoices):
    """What a person does at one school (DESIGN.md 1)."""

    ICT_USER = "ict_user", "ICT user"
    DESK = "desk", "Service desk administrator"
    TECHNICIAN = "technician", "Technician"
    NETWORK_MANAGER = "network_manager", "Network manager"
    SCHOOL_LEADER = "school_leader", "School leader"


class AuthorityRoleKind(models.TextChoices):
    """What a person does for every school of an authority."""

    CONSULTANT = "consultant", "LEA consultant"
    SUPPORT = "support", "Authority support unit"


# Roles that see and handle all of a school's tickets, not just their own.
STAFF_ROLES = frozenset({Role.DESK, Role.TECHNICIAN, Role.NETWORK_MANAGER, Role.SCHOOL_LEADER}) | frozenset(
    AuthorityRoleKind
)


# Roles that do technical work on incidents.
TECHNICAL_ROLES = frozenset({Role.TECHNICIAN, Role.NETWORK_MANAGER, AuthorityRoleKind.SUPPORT})

# =============================================================================
# Authorities and schools
# =============================================================================


class Nation(models.TextChoices):
    """Which bank holidays apply (the holidays library's GB subdivisions)."""

    ENGLAND = "ENG", "England"
    WALES = "WLS", "Wales"
    SCOTLAND = "SCT", "Scotland"
    NORTHERN_IRELAND = "NIR", "Northern Ireland"


class Authority(models.Model):
    """A local education authority (LEA) or trust, with its schools and its support unit."""

    name = models.CharField(max_length=150)
    slug = models.SlugField(max_length=50, unique=True)
    code = models.CharField("LA code", max_length=10, blank=True, help_text="DfE local authority number, e.g. 350.")
    nation = models.CharField(max_length=3, choices=Nation.choices, default=Nation.ENGLAND)
    email = models.EmailField("support e-mail", blank=True)
    phone = models.CharField("support phone", max_length=30, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "authorities"

    def __str__(self) -> str:
        return self.name


class School(models.Model):
    """A school: the unit that owns records, staff and service levels."""

    class Phase(models.TextChoices):
        PRIMARY = "primary", "Primary"
        SECONDARY = "secondary", "Secondary"
        ALL_THROUGH = "all_through", "All-through"
        SPECIAL = "special", "Special"
        NURSERY = "nursery", "Nursery"

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="schools", null=True, blank=True)
    name = models.CharField(max_length=150)
    slug = models.SlugField(max_length=50, unique=True)
    code = models.CharField("URN", max_length=10, blank=True, help_text="DfE unique reference number.")
    phase = models.CharField(max_length=20, choices=Phase.choices, blank=True)
    address = models.TextField(blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    support_email = models.EmailField(
        "ICT support e-mail",
        blank=True,
        help_text="The address users write to for ICT support: notifications are sent from it and replies "
        "come back to it (its mailbox is polled when one is set up).",
    )
    website = models.URLField(blank=True)
    is_active = models.BooleanField(default=True)
    safeguarding_leads = models.ManyToManyField(
        "fits.User",
        blank=True,
        related_name="safeguarding_lead_for",
        verbose_name="designated safeguarding leads",
        help_text="The designated safeguarding lead and deputies: they see safeguarding-flagged incidents "
        "and are told when one is logged.",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# =============================================================================
# People
# =============================================================================


class UserQuerySet(models.QuerySet):
    def with_role_at(self, school_id: int, roles: set[str] | frozenset[str]) -> UserQuerySet:
        """People holding one of `roles` at the school, directly or through its authority."""
        # One subquery of the two role tables, not joins: joining both made every person a row (slow at scale).
        members = Membership.objects.filter(school_id=school_id, role__in=roles).order_by().values("user_id")
        unit = AuthorityRole.objects.filter(authority__schools=school_id, role__in=roles).order_by().values("user_id")
        return self.filter(is_active=True, pk__in=members.union(unit)).distinct()

    def technicians_at(self, school_id: int) -> UserQuerySet:
        """Who can work incidents at a school: its technicians and network manager, the authority's unit."""
        return self.with_role_at(school_id, TECHNICAL_ROLES)


SYSTEM_USERNAME = "fits-system"


class PersonManager(UserManager.from_queryset(UserQuerySet)):
    def system_account(self) -> User:
        """The account the product itself acts as (monitoring, scheduled work), made on first use.

        It holds every permission a service checks (a superuser) but can never sign in: it is inactive
        and has no usable password. Timelines show its acts as "FITS monitoring" and the like.
        """
        account = self.filter(is_system_account=True).order_by("pk").first()
        if account is None:
            account, _ = self.get_or_create(
                username=SYSTEM_USERNAME,
                defaults={"first_name": "FITS", "last_name": "(automatic)", "is_active": False, "is_superuser": True},
            )
            account.is_system_account, account.is_active, account.is_superuser = True, False, True
            account.set_unusable_password()
            account.save()
        return account


class EmailFrequency(models.TextChoices):
    """How a person wants to hear about their tickets by e-mail (in-app notifications always arrive)."""

    EACH = "each", "An e-mail for each update"
    DAILY = "daily", "One daily digest"
    NONE = "none", "No e-mail"


class User(AbstractUser):
    """A person who signs in: staff, technicians, consultants, administrators."""

    objects = PersonManager()

    phone = models.CharField(max_length=30, blank=True)
    job_title = models.CharField(max_length=100, blank=True)
    email_frequency = models.CharField(
        "e-mail updates", max_length=10, choices=EmailFrequency.choices, default=EmailFrequency.EACH
    )
    is_system_account = models.BooleanField(
        default=False,
        editable=False,
        help_text="The account the product itself acts as (monitoring, scheduled work); it cannot sign in.",
    )

    class Meta:
        ordering = ["first_name", "last_name", "username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @cached_property
    def _school_links(self) -> tuple[dict[int, frozenset[str]], frozenset[int]]:
        """Every tie to a school, read in one query: roles held there (memberships and the authority's roles at
        each of its schools), and where this person is a named safeguarding lead. Every page needs them."""
        named_lead = "__safeguarding_lead"
        ties = (
            Membership.objects.filter(user=self, school__is_active=True)
            .values_list("school_id", "role")
            .order_by()
            .union(
                AuthorityRole.objects.filter(user=self, authority__schools__is_active=True).values_list(
                    "authority__schools", "role"
                ).order_by(),
                School.safeguarding_leads.through.objects.filter(user=self).annotate(tie=models.Value(named_lead))
                .values_list("school_id", "tie").order_by(),
                all=True,
            )
        )  # fmt: skip
        roles: dict[int, set[str]] = {}
        leads: set[int] = set()
        for school_id, role in ties:
            if role == named_lead:
                leads.add(school_id)
            else:
                roles.setdefault(school_id, set()).add(role)
        return {school_id: frozenset(r) for school_id, r in roles.items()}, frozenset(leads)

    @property
    def school_roles(self) -> dict[int, frozenset[str]]:
        """Roles held at each visible school: memberships plus the roles of the school's authority."""
        return self._school_links[0]

    @property
    def visible_school_ids(self) -> list[int]:
        """The schools whose records this user may see (all of them for a superuser)."""
        if self.is_superuser:
            return list(School.objects.values_list("pk", flat=True))
        return list(self.school_roles)

    @property
    def staff_school_ids(self) -> list[int]:
        """The schools where this user is support staff (any role but ICT user)."""
        return [school_id for school_id, roles in self.school_roles.items() if roles & STAFF_ROLES]

    def roles_at(self, school_id: int | None) -> frozenset[str]:
        if school_id is None:
            return frozenset()
        return self.school_roles.get(school_id, frozenset())

    @cached_property
    def safeguarding_school_ids(self) -> frozenset[int]:
        """Schools where this person may see safeguarding-flagged incidents: as a named lead or as a leader."""
        leading = {school_id for school_id, roles in self.school_roles.items() if Role.SCHOOL_LEADER in roles}
        return self._school_links[1] | leading

    @cached_property
    def authority_roles(self) -> list[AuthorityRole]:
        return list(self.authorityrole_set.select_related("authority"))

    @cached_property
    def memberships(self) -> list[Membership]:
        return list(self.membership_set.select_related("school").filter(school__is_active=True))


class Membership(models.Model):
    """A role held by a person at one school."""

    user = models.ForeignKey(User, on_delete=models.CASCADE)
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "school", "role"], name="membership_unique")]
        ordering = ["school__name", "role"]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.school}"


class AuthorityRole(models.Model):
    """A role held by a person for every school of an authority (consultants, the support unit)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE)
    authority = models.ForeignKey(Authority, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=20, choices=AuthorityRoleKind.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "authority", "role"], name="authority_role_unique")]
        ordering = ["authority__name", "role"]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} for {self.authority}"


# =============================================================================
# References and activity (DESIGN.md 4.3)
# =============================================================================


class ReferenceSequence(SchoolOwned):
    """The last number handed out for one kind of record at one school (INC, PRB, RFC...)."""

    prefix = models.CharField(max_length=8)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["school", "prefix"], name="reference_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.school_id}:{self.prefix}:{self.last_number}"


class ActivityQuerySet(SchoolScopedQuerySet):
    """Timelines in bulk are for support staff; an ICT user reads one through its record's page."""

    staff_only = True


class Activity(SchoolOwned):
    """One entry in a record's timeline: a comment, a status change, an assignment, a link.

    Shared by every process, so one template and one serializer show every timeline.
    """

    class Kind(models.TextChoices):
        CREATED = "created", "Logged"
        COMMENT = "comment", "Comment"
        STATUS = "status", "Status change"
        ASSIGNMENT = "assignment", "Assignment"
        FIELD = "field", "Details changed"
        LINK = "link", "Link"

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    public = models.BooleanField(default=True, help_text="Seen by the person who logged the record.")
    text = models.TextField(blank=True)
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["content_type", "object_id", "created_at"], name="activity_record_idx")]
        verbose_name_plural = "activities"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.actor or 'system'}"


# Module-level names of nested choices, for the API schema's enum names (SPECTACULAR_SETTINGS).
ActivityKind = Activity.Kind


# =============================================================================
# Time spent, attachments and in-app notifications, shared by every process
# =============================================================================


class TimeEntry(SchoolOwned):
    """Time a person spent on a record (an incident, a request, a change), for workload and the cost of support."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    person = models.ForeignKey(User, on_delete=models.PROTECT, related_name="time_entries")
    minutes = models.PositiveIntegerField()
    worked_on = models.DateField(help_text="The day the work was done.")
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ["-worked_on", "-pk"]
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="timeentry_record_idx"),
            models.Index(fields=["person", "worked_on"], name="timeentry_person_idx"),
        ]
        verbose_name_plural = "time entries"

    def __str__(self) -> str:
        return f"{self.minutes} min by {self.person} on {self.worked_on}"


def attachment_path(instance: Attachment, filename: str) -> str:
    """A random storage name (never the uploader's), under one folder per school."""
    import uuid

    return f"attachments/{instance.school_id}/{uuid.uuid4().hex}"


class Attachment(SchoolOwned):
    """A file attached to a record (a screenshot on an incident, an e-mail attachment).

    Stored under a random name outside the static root and served only as a download, after
    the record's own permission check.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    file = models.FileField(upload_to=attachment_path, max_length=200)
    name = models.CharField("file name", max_length=200)
    media_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    public = models.BooleanField(default=True, help_text="Seen by the person who logged the record.")
    uploaded_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="attachment_record_idx")]

    def __str__(self) -> str:
        return self.name


class NotificationQuerySet(models.QuerySet):
    def visible_to(self, user: Any) -> NotificationQuerySet:
        """A person's notifications are theirs alone."""
        if user is None or not user.is_authenticated:
            return self.none()
        return self.filter(recipient=user)

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """An in-app notification: something happened on a record a person follows."""

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    school = models.ForeignKey(School, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    event = models.CharField(max_length=30)
    title = models.CharField(max_length=200)
    text = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(
        null=True, blank=True, help_text="When it went out by e-mail, on its own or in a digest."
    )

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread_idx"),
            models.Index(fields=["recipient", "emailed_at"], name="notification_digest_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class NotificationTemplate(SchoolOwned):
    """A school's own wording for one notification e-mail (the defaults live in templates/notifications/)."""

    event = models.CharField(max_length=30)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["event"]
        constraints = [models.UniqueConstraint(fields=["school", "event"], name="notification_template_unique")]

    def __str__(self) -> str:
        return f"{self.school_id}: {self.event}"
