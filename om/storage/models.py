"""Storage Management (FITS OM): shares on the school's servers and NAS devices, backup jobs and the results their
software reports, restore requests with the service levels the school promises, and the termly restore tests.

Volumes are not a model here: Availability and Capacity already reads each volume's size and use over SNMP
(HOST-RESOURCES-MIB) into `availability.Metric` series of kind "disk", with daily rollups and a forecast; the
storage pages read those (om/storage/volumes.py). A share may name the volume (the metric) it lives on.

Every record is support staff's, like the CMDB (OperationsQuerySet): an ICT user sees the restore they asked for on
their own REQ ticket, with the expectation written there, not here.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from fits.scoping import SchoolOwned
from om.models import OperationsQuerySet

# =============================================================================
# Shares
# =============================================================================


class DataClass(models.TextChoices):
    """What kind of data a share holds: it decides how carefully it is backed up and who may ask for a restore."""

    CURRICULUM = "curriculum", "Curriculum resources"
    STAFF = "staff", "Staff work"
    PUPIL = "pupil", "Pupil work"
    ADMIN = "admin", "School office and MIS"
    SENSITIVE = "sensitive", "Sensitive personal data (SEN, safeguarding, HR)"
    SYSTEM = "system", "Systems and software"


class Share(SchoolOwned):
    """A shared folder on a server or NAS: where it is, what it holds, who uses it, which backup job protects it."""

    server = models.ForeignKey(
        "cmdb.ConfigurationItem", on_delete=models.PROTECT, related_name="shares", verbose_name="server or NAS"
    )
    name = models.CharField(max_length=120, help_text="The share name, e.g. Staff$ or Curriculum.")
    path = models.CharField(max_length=300, help_text=r"Where it lives, e.g. D:\Shares\Staff or /volume1/staff.")
    volume = models.ForeignKey(
        "availability.Metric",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The volume it lives on, as capacity monitoring measures it.",
    )
    used_by = models.CharField("who uses it", max_length=200, blank=True, help_text="e.g. All teaching staff.")
    data_class = models.CharField("data", max_length=12, choices=DataClass.choices, default=DataClass.STAFF)
    notes = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OperationsQuerySet.as_manager()

    class Meta:
        ordering = ["server__name", "name"]
        constraints = [models.UniqueConstraint(fields=["server", "name"], name="storage_share_unique")]

    def __str__(self) -> str:
        return f"\\\\{self.server.name}\\{self.name}" if self.server_id else self.name

    def get_absolute_url(self) -> str:
        return f"{reverse('storage:share_list')}#share-{self.pk}"


# =============================================================================
# Backup jobs and their results
# =============================================================================


class Software(models.TextChoices):
    VEEAM = "veeam", "Veeam Backup & Replication / Agent"
    WSB = "wsb", "Windows Server Backup"
    HYPER_BACKUP = "hyper_backup", "Synology Hyper Backup"
    REDSTOR = "redstor", "Redstor"
    OTHER = "other", "Other"


class Schedule(models.TextChoices):
    DAILY = "daily", "Every day"
    WEEKDAYS = "weekdays", "Weekdays (Mon-Fri)"
    WEEKLY = "weekly", "Once a week"


WEEKDAYS = [(0, "Monday"), (1, "Tuesday"), (2, "Wednesday"), (3, "Thursday"), (4, "Friday"), (5, "Saturday"),
            (6, "Sunday")]  # fmt: skip


class ResultStatus(models.TextChoices):
    SUCCESS = "success", "Success"
    WARNING = "warning", "Warning"
    FAILED = "failed", "Failed"


class JobAlert(models.TextChoices):
    """Why the job's incident is open."""

    NONE = "", "None"
    FAILED = "failed", "Backup failed"
    MISSED = "missed", "Backup missed"


class BackupJob(SchoolOwned):
    """A backup the school relies on: what it protects, where it goes, when it runs, how long copies are kept, and
    whether a copy leaves the site. Its software reports each run (om/storage/mail.py, the API); a failed or missed
    run opens one incident for the job, and a later success resolves it."""

    name = models.CharField(
        max_length=150, help_text="As the backup software names the job: reports are matched on it."
    )
    software = models.CharField(max_length=14, choices=Software.choices, default=Software.VEEAM)
    cis = models.ManyToManyField(
        "cmdb.ConfigurationItem", blank=True, related_name="backup_jobs", verbose_name="servers and devices"
    )
    shares = models.ManyToManyField(Share, blank=True, related_name="backup_jobs")
    protects = models.CharField(
        "also protects", max_length=300, blank=True, help_text="Anything else, in words: the MIS database, mailboxes..."
    )
    destination = models.CharField(max_length=200, help_text="Where the copies go: NAS01 /backups, USB disk, cloud.")
    schedule = models.CharField(max_length=10, choices=Schedule.choices, default=Schedule.WEEKDAYS)
    run_at = models.TimeField("runs at", default=time(22, 0))
    weekday = models.PositiveSmallIntegerField("on", choices=WEEKDAYS, null=True, blank=True)
    grace_hours = models.PositiveSmallIntegerField(
        "expected within (hours)", default=4, help_text="How long after it starts the result should have arrived."
    )
    retention_days = models.PositiveIntegerField("kept for (days)", default=30)
    retention_versions = models.PositiveIntegerField("versions kept", null=True, blank=True)
    offsite = models.BooleanField("off-site copy", default=False)
    offsite_where = models.CharField("off-site where", max_length=200, blank=True)
    offsite_every_days = models.PositiveSmallIntegerField("off-site every (days)", null=True, blank=True)
    offsite_last_at = models.DateTimeField("last off-site copy", null=True, blank=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    is_active = models.BooleanField("active", default=True)
    # Kept by the services: the latest result, the one open incident and why, the run already found missed.
    last_result = models.ForeignKey(
        "BackupResult", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    alert = models.CharField(max_length=6, choices=JobAlert.choices, blank=True, default="", editable=False)
    missed_run = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OperationsQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["school", "name"], name="storage_backup_job_unique")]
        indexes = [models.Index(fields=["school", "is_active"], name="storage_job_active_idx")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("storage:job_detail", args=[self.pk])

    # --- The schedule -------------------------------------------------------------------------------------------

    def runs_on(self, day: date) -> bool:
        if self.schedule == Schedule.WEEKDAYS:
            return day.weekday() < 5
        if self.schedule == Schedule.WEEKLY:
            return day.weekday() == (self.weekday if self.weekday is not None else 4)
        return True

    def previous_run(self, before: datetime) -> datetime | None:
        """The latest scheduled start at or before `before` (school local time), within the last 8 days."""
        local = timezone.localtime(before)
        for back in range(0, 9):
            day = local.date() - timedelta(days=back)
            if not self.runs_on(day):
                continue
            start = timezone.make_aware(datetime.combine(day, self.run_at))
            if start <= before:
                return start
        return None

    @property
    def schedule_text(self) -> str:
        at = self.run_at.strftime("%H:%M")
        if self.schedule == Schedule.WEEKLY:
            return f"{dict(WEEKDAYS).get(self.weekday if self.weekday is not None else 4)}s at {at}"
        if self.schedule == Schedule.WEEKDAYS:
            return f"Weekdays at {at}"
        return f"Daily at {at}"

    @property
    def retention_text(self) -> str:
        text = f"{self.retention_days} days"
        return f"{text}, {self.retention_versions} versions" if self.retention_versions else text

    def offsite_due(self, now: datetime) -> datetime | None:
        """When the next off-site copy is due (None: no off-site copy expected)."""
        if not self.offsite or not self.offsite_every_days:
            return None
        since = self.offsite_last_at or self.created_at or now
        return since + timedelta(days=self.offsite_every_days)

    @property
    def status(self) -> str:
        """What the list's badge says: failed/missed (an open alert), else the latest result's status, else none."""
        if self.alert:
            return self.alert
        return self.last_result.status if self.last_result_id and self.last_result else "none"


class ResultSource(models.TextChoices):
    API = "api", "API"
    EMAIL = "email", "E-mail report"
    MANUAL = "manual", "Recorded by hand"


class BackupReport(SchoolOwned):
    """A report as it arrived (an e-mail or an API call), kept whole: accepted into a result, or rejected with the
    reason, so nobody has to wonder what the backup software actually said."""

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    source = models.CharField(max_length=6, choices=ResultSource.choices)
    received_at = models.DateTimeField(auto_now_add=True)
    subject = models.CharField(max_length=300, blank=True)
    sender = models.CharField(max_length=200, blank=True)
    raw = models.TextField("as received")
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    reason = models.CharField(max_length=500, blank=True)
    job = models.ForeignKey(BackupJob, on_delete=models.SET_NULL, null=True, blank=True, related_name="reports")
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = OperationsQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["school", "outcome", "received_at"], name="storage_report_idx")]

    def __str__(self) -> str:
        return f"{self.get_source_display()} report of {timezone.localtime(self.received_at):%d %b %Y %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("storage:report_detail", args=[self.pk])


class BackupResult(SchoolOwned):
    """One run of a backup job, as its software (or a technician) reported it."""

    job = models.ForeignKey(BackupJob, on_delete=models.CASCADE, related_name="results")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField()
    status = models.CharField(max_length=7, choices=ResultStatus.choices)
    size_bytes = models.BigIntegerField("size (bytes)", null=True, blank=True)
    message = models.TextField(blank=True)
    source = models.CharField(max_length=6, choices=ResultSource.choices, default=ResultSource.MANUAL)
    report = models.ForeignKey(BackupReport, on_delete=models.SET_NULL, null=True, blank=True, related_name="results")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = OperationsQuerySet.as_manager()

    class Meta:
        ordering = ["-finished_at", "-pk"]
        indexes = [models.Index(fields=["job", "finished_at"], name="storage_result_job_idx")]

    def __str__(self) -> str:
        return f"{self.job.name}: {self.get_status_display()} {timezone.localtime(self.finished_at):%d %b %H:%M}"

    @property
    def duration(self) -> timedelta | None:
        return self.finished_at - self.started_at if self.started_at else None


# =============================================================================
# Restores: what the school promises, and each request
# =============================================================================


class RestoreKind(models.TextChoices):
    FILE = "file", "A file or a few files"
    FOLDER = "folder", "A folder"
    SHARE = "share", "A whole share or drive"
    MAILBOX = "mailbox", "A mailbox or e-mails"
    SYSTEM = "system", "A whole server or system"


class RestoreExpectation(SchoolOwned):
    """What the school promises for one kind of restore (FITS: "manage user expectations for data restores"): how
    fast, in school hours. How far back is the protecting job's retention."""

    kind = models.CharField(max_length=8, choices=RestoreKind.choices)
    target_hours = models.PositiveSmallIntegerField(
        "restored within (school hours)", help_text="8 school hours is one school day."
    )
    notes = models.CharField(max_length=300, blank=True, help_text="What users should know, e.g. open files.")

    objects = OperationsQuerySet.as_manager()

    class Meta:
        ordering = ["kind"]
        constraints = [models.UniqueConstraint(fields=["school", "kind"], name="storage_expectation_unique")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: within {self.target_hours} school hours"


class RestoreOutcome(models.TextChoices):
    PENDING = "", "Not done yet"
    RESTORED = "restored", "Restored"
    PARTIAL = "partial", "Partly restored"
    NOT_POSSIBLE = "not_possible", "Could not be restored"


class RestoreRequest(SchoolOwned):
    """A user's request to restore data, from the service catalogue: what, from where, from when, the job that holds
    it, and the target the school's expectations set (school hours on the school's calendar)."""

    ticket = models.OneToOneField(
        "incidents.Incident", on_delete=models.CASCADE, related_name="restore_request", null=True, blank=True
    )
    kind = models.CharField(max_length=8, choices=RestoreKind.choices, default=RestoreKind.FILE)
    what = models.CharField(max_length=300)
    location = models.CharField("from where", max_length=300, blank=True)
    restore_from = models.DateField("as it was on", null=True, blank=True)
    job = models.ForeignKey(BackupJob, on_delete=models.SET_NULL, null=True, blank=True, related_name="restores")
    requested_at = models.DateTimeField()
    target_hours = models.PositiveSmallIntegerField()
    target_at = models.DateTimeField("restore by")
    expectation = models.CharField("expectation told", max_length=400)
    beyond_retention = models.BooleanField(default=False, editable=False)
    outcome = models.CharField(max_length=12, choices=RestoreOutcome.choices, blank=True, default="", editable=False)
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    met = models.BooleanField(null=True, editable=False)
    note = models.TextField(blank=True, editable=False)

    objects = OperationsQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["school", "completed_at", "target_at"], name="storage_restore_idx")]

    def __str__(self) -> str:
        return f"Restore {self.what}"[:120]

    def get_absolute_url(self) -> str:
        return reverse("storage:restore_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.completed_at is None


# =============================================================================
# Restore tests, each term
# =============================================================================


class RestoreTest(SchoolOwned):
    """Evidence that a job's copies can be restored: what was restored, from which date, how long it took, who
    checked it. One per job per term is the house rule (FITS: tested backups)."""

    job = models.ForeignKey(BackupJob, on_delete=models.CASCADE, related_name="restore_tests")
    term_key = models.CharField(max_length=40, editable=False)
    term_label = models.CharField("term", max_length=60, editable=False)
    tested_on = models.DateField()
    restored = models.CharField("what was restored", max_length=300)
    restored_from = models.DateField("copy of")
    minutes = models.PositiveIntegerField("time taken (minutes)")
    succeeded = models.BooleanField(default=True)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    evidence = models.TextField(help_text="What was checked and found: file opened, checksums, screenshots' text.")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = OperationsQuerySet.as_manager()

    class Meta:
        ordering = ["-tested_on", "-pk"]
        indexes = [models.Index(fields=["job", "term_key"], name="storage_test_term_idx")]

    def __str__(self) -> str:
        return f"Restore test of {self.job.name} ({self.term_label})"

    def get_absolute_url(self) -> str:
        return reverse("storage:job_detail", args=[self.job_id])
