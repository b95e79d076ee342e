"""Directory Services Administration (FITS OM): each school's LDAP directory or Active Directory, synchronised into
records of its accounts (people and computers), groups and organisational units, with every change kept; starters,
changes and leavers carried out against the directory (or handed to a technician as a task); sign-in with the
school's directory account; housekeeping reports.

Everything here is the support staff's, like the CMDB (an ICT user's role does not open it). The connection
settings and their secrets are kept by the network manager (fits.access.can_configure_directory).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from fits.models import Role
from fits.scoping import SchoolOwned, SchoolScopedQuerySet


class DirectoryQuerySet(SchoolScopedQuerySet):
    """Support staff's records, like the CMDB: an ICT user's role does not open them."""

    staff_only = True


# =============================================================================
# Connection settings (one per school)
# =============================================================================


class DirectoryKind(models.TextChoices):
    ACTIVE_DIRECTORY = "ad", "Active Directory"
    OPENLDAP = "openldap", "OpenLDAP (or another LDAP server)"


class Security(models.TextChoices):
    NONE = "none", "None (plain LDAP, loopback or a test server only)"
    START_TLS = "starttls", "StartTLS"
    LDAPS = "ldaps", "LDAPS (ldaps://)"


# What each kind of directory is asked, unless the school's settings say otherwise.
KIND_DEFAULTS: dict[str, dict[str, str]] = {
    DirectoryKind.ACTIVE_DIRECTORY: {
        "user_filter": "(&(objectCategory=person)(objectClass=user))",
        "group_filter": "(objectClass=group)",
        "computer_filter": "(objectClass=computer)",
        "username_attribute": "sAMAccountName",
        "new_account_classes": "top person organizationalPerson user",
    },
    DirectoryKind.OPENLDAP: {
        "user_filter": "(objectClass=inetOrgPerson)",
        "group_filter": "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))",
        "computer_filter": "(objectClass=device)",
        "username_attribute": "uid",
        "new_account_classes": "inetOrgPerson",
    },
}

# Groups whose members hold administrator rights (the admin group report; Security Administration's register).
ADMIN_GROUP_NAMES = frozenset(
    {"domain admins", "enterprise admins", "schema admins", "administrators", "account operators", "server operators"}
)


class DirectorySettings(SchoolOwned):
    """How to reach a school's directory and what to read from it (FITS OM: the directory administrator's setup).

    The bind passwords are write-only: forms and the API never show them. `role_map` maps directory groups to
    FITS roles for sign-in: [{"group": "Domain Admins", "role": "network_manager"}, ...].
    """

    kind = models.CharField(max_length=10, choices=DirectoryKind.choices, default=DirectoryKind.ACTIVE_DIRECTORY)
    server_uris = models.CharField(
        "servers",
        max_length=500,
        help_text="One or more LDAP URIs, separated by spaces, tried in order: ldap://dc1.school.local "
        "ldap://dc2.school.local",
    )
    security = models.CharField(max_length=10, choices=Security.choices, default=Security.START_TLS)
    ca_certificate = models.TextField(
        "CA certificate", blank=True, help_text="PEM text of the CA that signed the servers' certificates."
    )
    verify_certificate = models.BooleanField(default=True, help_text="Refuse servers whose certificate fails checks.")
    bind_dn = models.CharField("bind account", max_length=300, help_text="A read-only account: DN or user@domain.")
    bind_password = models.CharField(max_length=200, blank=True)
    base_dn = models.CharField("base DN", max_length=300, help_text="e.g. dc=highfield,dc=sch,dc=uk")
    user_base_dn = models.CharField("users under", max_length=300, blank=True, help_text="Empty: the base DN.")
    group_base_dn = models.CharField("groups under", max_length=300, blank=True, help_text="Empty: the base DN.")
    computer_base_dn = models.CharField("computers under", max_length=300, blank=True, help_text="Empty: the base DN.")
    user_filter = models.CharField(max_length=500, blank=True, help_text="Empty: the default for the kind.")
    group_filter = models.CharField(max_length=500, blank=True, help_text="Empty: the default for the kind.")
    computer_filter = models.CharField(max_length=500, blank=True, help_text="Empty: the default for the kind.")
    username_attribute = models.CharField(max_length=50, blank=True, help_text="Empty: the default for the kind.")
    new_account_classes = models.CharField(
        "object classes of new accounts", max_length=300, blank=True, help_text="Empty: the default for the kind."
    )
    timeout_seconds = models.PositiveIntegerField(default=10)
    # Writing: starters, changes and leavers carried out against the directory.
    write_enabled = models.BooleanField(
        "carry out starters and leavers", default=False, help_text="Off: each one becomes a task with instructions."
    )
    write_bind_dn = models.CharField(
        "write account", max_length=300, blank=True, help_text="An account allowed to create and change accounts."
    )
    write_bind_password = models.CharField(max_length=200, blank=True)
    starter_ou = models.CharField("new staff accounts in", max_length=300, blank=True)
    pupil_ou = models.CharField(
        "new pupils in",
        max_length=300,
        blank=True,
        help_text="{year} is replaced by the pupil's year: ou=Year{year},ou=Pupils,dc=highfield,dc=sch,dc=uk",
    )
    leavers_ou = models.CharField(
        "move leavers to", max_length=300, blank=True, help_text="Empty: leave them where they are."
    )
    upn_suffix = models.CharField(
        "sign-in domain",
        max_length=100,
        blank=True,
        help_text="People sign in as user@domain, e.g. highfield.sch.uk",
    )
    # Synchronisation and sign-in.
    sync_enabled = models.BooleanField("synchronise every hour", default=True)
    signin_enabled = models.BooleanField("sign-in with directory accounts", default=False)
    role_map = models.JSONField("groups and roles", default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DirectoryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "directory settings"
        constraints = [models.UniqueConstraint(fields=["school"], name="directory_settings_one_per_school")]

    def __str__(self) -> str:
        return f"Directory of {self.school}"

    def get_absolute_url(self) -> str:
        return reverse("directory:settings_detail", args=[self.pk])

    def default(self, name: str) -> str:
        """The setting `name`, or the kind's default when it is empty."""
        return getattr(self, name) or KIND_DEFAULTS[self.kind][name]

    @property
    def uris(self) -> list[str]:
        return self.server_uris.split()

    @property
    def can_write(self) -> bool:
        return self.write_enabled and bool(self.write_bind_dn or self.bind_dn)

    def roles_for(self, group_names: set[str]) -> set[str]:
        """The FITS roles a member of `group_names` gets at the school (case-insensitive group names)."""
        lowered = {name.lower() for name in group_names}
        return {row["role"] for row in self.role_map if str(row.get("group", "")).lower() in lowered}


# =============================================================================
# What the sync keeps: OUs, accounts, groups and memberships
# =============================================================================


class EntryState(models.TextChoices):
    ACTIVE = "active", "Active"
    DISABLED = "disabled", "Disabled"
    GONE = "gone", "Gone from the directory"


class AccountKind(models.TextChoices):
    USER = "user", "Person"
    COMPUTER = "computer", "Computer"


class DirectoryEntry(SchoolOwned):
    """What every synchronised entry has: its identity in the directory, where it is, and when it changed."""

    external_id = models.CharField(
        max_length=100, help_text="objectGUID (Active Directory) or entryUUID (OpenLDAP); the DN when neither."
    )
    dn = models.CharField("DN", max_length=500)
    change_stamp = models.CharField(max_length=60, blank=True, help_text="uSNChanged / whenChanged / modifyTimestamp.")
    first_seen_at = models.DateTimeField()
    changed_at = models.DateTimeField()
    gone_at = models.DateTimeField(null=True, blank=True)

    objects = DirectoryQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def parent_dn(self) -> str:
        return self.dn.split(",", 1)[1] if "," in self.dn else ""


class OrganisationalUnit(DirectoryEntry):
    """An OU of the school's directory (Staff, Pupils/Year7, Computers, Leavers...)."""

    name = models.CharField(max_length=200)
    description = models.CharField(max_length=300, blank=True)
    is_present = models.BooleanField(default=True)

    class Meta:
        ordering = ["dn"]
        constraints = [models.UniqueConstraint(fields=["school", "external_id"], name="directory_ou_unique")]

    def __str__(self) -> str:
        return self.name


class DirectoryAccount(DirectoryEntry):
    """A person's or a computer's account in the school's directory, as the last sync found it."""

    kind = models.CharField(max_length=10, choices=AccountKind.choices, default=AccountKind.USER)
    username = models.CharField(max_length=150)
    display_name = models.CharField(max_length=200, blank=True)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.CharField(max_length=254, blank=True)
    principal_name = models.CharField("UPN", max_length=254, blank=True)
    title = models.CharField(max_length=200, blank=True)
    ou_dn = models.CharField("OU", max_length=500, blank=True)
    operating_system = models.CharField(max_length=100, blank=True)
    host_name = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=10, choices=EntryState.choices, default=EntryState.ACTIVE)
    last_logon_at = models.DateTimeField("last logon", null=True, blank=True)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="directory_accounts"
    )
    granted_roles = models.JSONField(
        default=list, blank=True, help_text="Roles the directory's groups gave at sign-in."
    )
    signed_in_at = models.DateTimeField("last FITS sign-in", null=True, blank=True)

    class Meta:
        ordering = ["username"]
        constraints = [models.UniqueConstraint(fields=["school", "external_id"], name="directory_account_unique")]
        indexes = [models.Index(fields=["school", "kind", "state"], name="directory_account_state_idx")]

    def __str__(self) -> str:
        return self.username

    def get_absolute_url(self) -> str:
        return reverse("directory:account_detail", args=[self.pk])

    @property
    def is_enabled(self) -> bool:
        return self.state == EntryState.ACTIVE


class DirectoryGroup(DirectoryEntry):
    """A group of the school's directory (Teachers, Office, Domain Admins...)."""

    name = models.CharField(max_length=200)
    description = models.CharField(max_length=300, blank=True)
    is_admin_group = models.BooleanField(default=False, help_text="Its members hold administrator rights.")
    is_present = models.BooleanField(default=True)
    member_count = models.PositiveIntegerField(default=0)
    members = models.ManyToManyField(DirectoryAccount, through="GroupMembership", related_name="directory_groups")

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["school", "external_id"], name="directory_group_unique")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("directory:group_detail", args=[self.pk])


class GroupMembership(SchoolOwned):
    """An account in a group, as the directory says now (a removed membership is in the change log)."""

    group = models.ForeignKey(DirectoryGroup, on_delete=models.CASCADE, related_name="memberships")
    account = models.ForeignKey(DirectoryAccount, on_delete=models.CASCADE, related_name="memberships")

    objects = DirectoryQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "account"], name="directory_membership_unique")]


# =============================================================================
# History: sync runs and the change log
# =============================================================================


class SyncRun(SchoolOwned):
    """One synchronisation of a school's directory: what it added, changed and disabled, or why it failed."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Every hour"
        COMMAND = "command", "Command line"
        PAGE = "page", "Sync now (page)"
        API = "api", "Sync now (API)"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.SCHEDULE)
    full = models.BooleanField(default=False, help_text="Compared every entry, not only those whose stamp moved.")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    added = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    disabled = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    entries_read = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    objects = DirectoryQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"Sync of {self.started_at:%d %b %Y %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("directory:run_detail", args=[self.pk])

    @property
    def summary(self) -> str:
        if self.status == self.Status.FAILED:
            return f"Failed: {self.error}"
        return f"{self.added} added, {self.changed} changed, {self.disabled} disabled, {self.unchanged} unchanged"


class ChangeAction(models.TextChoices):
    ADDED = "added", "Added"
    CHANGED = "changed", "Changed"
    DISABLED = "disabled", "Disabled"
    ENABLED = "enabled", "Enabled again"
    GONE = "gone", "Gone from the directory"
    JOINED = "joined", "Joined group"
    LEFT = "left", "Left group"


class DirectoryChange(SchoolOwned):
    """One change to a directory record, found by a sync or made by FITS (starters and leavers): old -> new."""

    run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, null=True, blank=True, related_name="changes")
    account = models.ForeignKey(
        DirectoryAccount, on_delete=models.CASCADE, null=True, blank=True, related_name="changes"
    )
    group = models.ForeignKey(DirectoryGroup, on_delete=models.CASCADE, null=True, blank=True, related_name="changes")
    ou = models.ForeignKey(OrganisationalUnit, on_delete=models.CASCADE, null=True, blank=True, related_name="changes")
    action = models.CharField(max_length=10, choices=ChangeAction.choices)
    field = models.CharField(max_length=50, blank=True)
    old = models.TextField(blank=True)
    new = models.TextField(blank=True)
    at = models.DateTimeField()

    objects = DirectoryQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["school", "at"], name="directory_change_at_idx")]

    def __str__(self) -> str:
        subject = self.account or self.group or self.ou
        return f"{subject}: {self.get_action_display()} {self.field}".strip()


# =============================================================================
# Starters, changes and leavers
# =============================================================================


class RequestKind(models.TextChoices):
    STARTER = "starter", "Starter"
    CHANGE = "change", "Change"
    LEAVER = "leaver", "Leaver"


class RequestState(models.TextChoices):
    AWAITING = "awaiting", "Awaiting approval"
    QUEUED = "queued", "Being carried out"
    DONE = "done", "Done in the directory"
    TASK = "task", "Task raised"
    FAILED = "failed", "Failed"
    DECLINED = "declined", "Declined"


class IntakeUpload(SchoolOwned):
    """A CSV of the school's MIS export (yearly intake or leavers), kept as uploaded, previewed, then applied."""

    class Kind(models.TextChoices):
        INTAKE = "intake", "Pupil intake (starters)"
        LEAVERS = "leavers", "Leavers"

    class Status(models.TextChoices):
        PREVIEW = "preview", "Previewed, not applied"
        APPLIED = "applied", "Applied"
        CANCELLED = "cancelled", "Cancelled"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    file_name = models.CharField(max_length=200)
    raw = models.TextField(help_text="The file as uploaded.")
    rows = models.JSONField(default=list, blank=True, help_text="What each good row would do.")
    errors = models.JSONField(default=list, blank=True, help_text="Each bad row: row, column, message.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEW)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    objects = DirectoryQuerySet.as_manager()

    class Meta:
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.file_name}"

    def get_absolute_url(self) -> str:
        return reverse("directory:intake_detail", args=[self.pk])


class AccountRequest(SchoolOwned):
    """A starter, change or leaver: from a catalogue request (its ticket) or a bulk MIS upload; carried out against
    the directory when the school allows FITS to write, otherwise a task with exact instructions."""

    kind = models.CharField(max_length=10, choices=RequestKind.choices)
    state = models.CharField(max_length=10, choices=RequestState.choices, default=RequestState.AWAITING)
    ticket = models.ForeignKey(
        "incidents.Incident", on_delete=models.SET_NULL, null=True, blank=True, related_name="account_requests"
    )
    upload = models.ForeignKey(IntakeUpload, on_delete=models.SET_NULL, null=True, blank=True, related_name="requests")
    task = models.ForeignKey("incidents.Task", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    account = models.ForeignKey(
        DirectoryAccount, on_delete=models.SET_NULL, null=True, blank=True, related_name="requests"
    )
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    username = models.CharField(max_length=150, blank=True)
    title = models.CharField("role or year", max_length=200, blank=True)
    ou_dn = models.CharField("OU", max_length=500, blank=True)
    groups = models.JSONField(default=list, blank=True)
    effective_on = models.DateField(null=True, blank=True, help_text="First day, or last day for a leaver.")
    details = models.JSONField(default=dict, blank=True, help_text="The request's answers or the MIS row, as given.")
    outcome = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)

    objects = DirectoryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.username or self.full_name}"

    def get_absolute_url(self) -> str:
        return reverse("directory:request_detail", args=[self.pk])

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


ROLE_CHOICES = Role.choices
