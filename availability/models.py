"""Availability and Capacity Management (FITS): detect and prevent ICT problems proactively.

The records of monitoring: checks on configuration items (`Check`, with the SNMP credentials they use),
the raw results of every run (`CheckResult`, kept for the school's retention period) and their hourly and
daily rollups (`ResultRollup`), each batch a worker ran (`PollRun`), each CI's state (`CIState`) and each
period it was down (`Outage`, with the one incident it opened). Capacity: measured series (`Metric`,
`MetricSample`, `MetricRollup`), the thresholds they are held to (`CapacityThreshold`) and the warnings
they raised (`CapacityAlert`). Preventative maintenance: recurring schedules (`MaintenanceSchedule`) that
raise tasks (incidents.Task) with checklists.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from fits.scoping import SchoolOwned, SchoolScopedQuerySet


class MonitoringQuerySet(SchoolScopedQuerySet):
    """Monitoring is support staff's business: an ICT user's role does not open it."""

    staff_only = True


# =============================================================================
# Vocabulary
# =============================================================================


class State(models.TextChoices):
    """What monitoring knows of a check or a CI (availability.probes uses the first four)."""

    UP = "up", "Up"
    DOWN = "down", "Down"
    DEGRADED = "degraded", "Degraded"
    UNKNOWN = "unknown", "Unknown"
    UNREACHABLE = "unreachable", "Unreachable"  # behind a failed switch or router: not its own fault


class CheckKind(models.TextChoices):
    PING = "ping", "Ping (ICMP)"
    TCP = "tcp", "TCP port"
    HTTP = "http", "Web page (HTTP/HTTPS)"
    DNS = "dns", "DNS name"
    SNMP_UPTIME = "snmp_uptime", "SNMP uptime"
    SNMP_INTERFACES = "snmp_interfaces", "SNMP interfaces (IF-MIB)"
    SNMP_STORAGE = "snmp_storage", "SNMP storage (HOST-RESOURCES-MIB)"


SNMP_KINDS = frozenset({CheckKind.SNMP_UPTIME, CheckKind.SNMP_INTERFACES, CheckKind.SNMP_STORAGE})


class Period(models.TextChoices):
    HOUR = "hour", "Hour"
    DAY = "day", "Day"


# =============================================================================
# Settings and credentials
# =============================================================================


class MonitoringSettings(SchoolOwned):
    """How a school is monitored: which queue its checks go to (its own poller), damping and retention."""

    queue = models.CharField(
        "poller queue",
        max_length=60,
        blank=True,
        help_text="Empty: the shared 'monitoring' queue. A queue name (e.g. monitoring.highfield) sends this "
        "school's checks to a poller running inside its own network (README: a poller in a school).",
    )
    failures_before_down = models.PositiveSmallIntegerField(
        default=3, help_text="Flap damping: consecutive failed runs before a check counts as down."
    )
    raw_retention_days = models.PositiveSmallIntegerField(
        default=14, help_text="Raw results are kept this long; hourly and daily rollups keep the history."
    )
    hourly_retention_days = models.PositiveSmallIntegerField(default=90)
    alerts_enabled = models.BooleanField(default=True, help_text="Open incidents when a monitored CI goes down.")
    poller_name = models.CharField(max_length=150, blank=True, editable=False)
    poller_seen_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = MonitoringQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "monitoring settings"
        constraints = [models.UniqueConstraint(fields=["school"], name="monitoring_settings_one_per_school")]

    def __str__(self) -> str:
        return f"Monitoring at {self.school}"


class SnmpCredential(SchoolOwned):
    """How to talk SNMP to the school's devices: a v2c community or a v3 user; checks name one."""

    class Version(models.TextChoices):
        V2C = "v2c", "SNMP v2c (community)"
        V3 = "v3", "SNMP v3 (user)"

    name = models.CharField(max_length=100)
    version = models.CharField(max_length=3, choices=Version.choices, default=Version.V2C)
    community = models.CharField(max_length=100, blank=True)
    username = models.CharField("v3 user", max_length=100, blank=True)
    auth_protocol = models.CharField(max_length=8, blank=True, default="SHA")
    auth_key = models.CharField(max_length=200, blank=True)
    priv_protocol = models.CharField("privacy protocol", max_length=8, blank=True, default="AES")
    priv_key = models.CharField("privacy key", max_length=200, blank=True)
    port = models.PositiveIntegerField(default=161)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MonitoringQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["school", "name"], name="snmp_credential_name_unique")]

    def __str__(self) -> str:
        return self.name


# =============================================================================
# Checks and what they found
# =============================================================================


class CheckQuerySet(MonitoringQuerySet):
    def due(self, now) -> CheckQuerySet:
        """Active checks whose time has come and that no batch holds (a lease not yet run out)."""
        return self.filter(status=Check.Status.ACTIVE, next_run_at__lte=now).filter(
            models.Q(leased_until__isnull=True) | models.Q(leased_until__lt=now)
        )


class Check(SchoolOwned):
    """One test of one CI, run every `interval_seconds` within `timeout_seconds` (times `retries` + 1).

    `state` is the damped state: a check is down only after `failures_before_down` failed runs in a row
    (the school's setting when empty), and up again at the first good run.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"  # suggested for the CI's kind; a technician switches it on
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"

    ci = models.ForeignKey("cmdb.ConfigurationItem", on_delete=models.CASCADE, related_name="checks")
    kind = models.CharField(max_length=20, choices=CheckKind.choices)
    name = models.CharField(max_length=100)
    target = models.CharField(
        max_length=255,
        blank=True,
        help_text="Host name, address or URL. Empty: the CI's management address.",
    )
    port = models.PositiveIntegerField(null=True, blank=True, help_text="TCP port (TCP checks).")
    expect_status = models.PositiveSmallIntegerField(default=200, help_text="HTTP status a healthy page answers.")
    verify_tls = models.BooleanField("verify the certificate", default=True)
    dns_server = models.CharField(
        "DNS server",
        max_length=255,
        blank=True,
        help_text="DNS checks: the server to ask (e.g. the school's domain controller). Empty: the system's resolver.",
    )
    snmp_credential = models.ForeignKey(
        SnmpCredential, on_delete=models.PROTECT, null=True, blank=True, related_name="checks"
    )
    interval_seconds = models.PositiveIntegerField("interval (s)", default=300)
    timeout_seconds = models.FloatField("timeout (s)", default=2.0)
    retries = models.PositiveSmallIntegerField(default=1)
    failures_before_down = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Failed runs in a row before the check is down. Empty: the school's setting."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    state = models.CharField(max_length=12, choices=State.choices, default=State.UNKNOWN, editable=False)
    state_since = models.DateTimeField(null=True, blank=True, editable=False)
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    last_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_latency_ms = models.FloatField(null=True, blank=True, editable=False)
    last_message = models.CharField(max_length=300, blank=True, editable=False)
    next_run_at = models.DateTimeField(null=True, blank=True, editable=False)
    leased_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CheckQuerySet.as_manager()

    class Meta:
        ordering = ["ci", "kind", "name"]
        indexes = [
            models.Index(fields=["status", "next_run_at"], name="check_due_idx"),
            models.Index(fields=["ci", "status"], name="check_ci_idx"),
            models.Index(fields=["school", "state"], name="check_school_state_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} on {self.ci}"

    def get_absolute_url(self) -> str:
        return reverse("availability:check_detail", kwargs={"pk": self.pk})


class PollRun(SchoolOwned):
    """One batch of one school's checks, dispatched to a queue and run by a worker (our row, not Celery's).

    A batch is idempotent: a redelivered batch (its worker died) runs only the checks that have no result
    in this run yet, and its effects (results, states, incidents) are written in one transaction.
    """

    id = models.BigAutoField(primary_key=True)
    queue = models.CharField(max_length=60)
    check_ids = models.JSONField(default=list)
    dispatched_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=150, blank=True)
    checks_run = models.PositiveIntegerField(default=0)
    up = models.PositiveIntegerField(default=0)
    down = models.PositiveIntegerField(default=0)
    degraded = models.PositiveIntegerField(default=0)
    unknown = models.PositiveIntegerField(default=0)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    objects = MonitoringQuerySet.as_manager()

    class Meta:
        ordering = ["-dispatched_at"]
        indexes = [models.Index(fields=["school", "dispatched_at"], name="pollrun_school_idx")]

    def __str__(self) -> str:
        return f"Poll run {self.pk} ({self.queue})"


class CheckResult(SchoolOwned):
    """What one run of one check found (raw; pruned after the school's retention period)."""

    id = models.BigAutoField(primary_key=True)
    for_check = models.ForeignKey(Check, on_delete=models.CASCADE, related_name="results", verbose_name="check")
    run = models.ForeignKey(PollRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="results")
    checked_at = models.DateTimeField()
    state = models.CharField(max_length=12, choices=State.choices)
    latency_ms = models.FloatField(null=True, blank=True)
    message = models.CharField(max_length=300, blank=True)
    values = models.JSONField(default=dict, blank=True)

    objects = MonitoringQuerySet.as_manager()

    class Meta:
        ordering = ["-checked_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "for_check"], condition=models.Q(run__isnull=False), name="result_once_per_run"
            )
        ]
        indexes = [
            models.Index(fields=["for_check", "checked_at"], name="result_check_idx"),
            models.Index(fields=["checked_at"], name="result_age_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.for_check_id} {self.state} at {self.checked_at:%Y-%m-%d %H:%M}"


class ResultRollup(SchoolOwned):
    """A check's results over one hour or one day: how many runs found each state, and the latency."""

    for_check = models.ForeignKey(Check, on_delete=models.CASCADE, related_name="rollups", verbose_name="check")
    period = models.CharField(max_length=4, choices=Period.choices)
    starts_at = models.DateTimeField()
    runs = models.PositiveIntegerField(default=0)
    up = models.PositiveIntegerField(default=0)
    down = models.PositiveIntegerField(default=0)
    degraded = models.PositiveIntegerField(default=0)
    unknown = models.PositiveIntegerField(default=0)
    latency_avg_ms = models.FloatField(null=True, blank=True)
    latency_max_ms = models.FloatField(null=True, blank=True)

    objects = MonitoringQuerySet.as_manager()

    class Meta:
        ordering = ["for_check", "period", "starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["for_check", "period", "starts_at"], name="result_rollup_unique")
        ]
        indexes = [models.Index(fields=["school", "period", "starts_at"], name="result_rollup_school_idx")]


# =============================================================================
# The state of each CI, and its outages
# =============================================================================


class CIState(SchoolOwned):
    """What monitoring says of a CI now: the worst of its active checks, or unreachable behind a failure."""

    ci = models.OneToOneField(
        "cmdb.ConfigurationItem", on_delete=models.CASCADE, primary_key=True, related_name="monitoring_state"
    )
    state = models.CharField(max_length=12, choices=State.choices, default=State.UNKNOWN)
    since = models.DateTimeField()
    reason = models.CharField(max_length=300, blank=True)
    cause = models.ForeignKey(
        "cmdb.ConfigurationItem",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The failed device this one is unreachable behind (or a service's failed dependency).",
    )
    silenced_by = models.CharField(
        max_length=200, blank=True, help_text="The maintenance window or change in progress that silences alerts."
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = MonitoringQuerySet.as_manager()

    class Meta:
        verbose_name = "CI state"
        indexes = [models.Index(fields=["school", "state"], name="cistate_school_idx")]

    def __str__(self) -> str:
        return f"{self.ci_id}: {self.state}"


class Outage(SchoolOwned):
    """One period a CI was down (or unreachable), from the damped state; at most one open per CI.

    The outage of a device that is down in its own right opens one incident, which hears of it while it
    lasts and is resolved when it ends; an unreachable device or a silenced one opens none. `planned` marks
    an outage inside a maintenance window or a change in progress: availability figures leave it out.
    """

    class Kind(models.TextChoices):
        DOWN = "down", "Down"
        UNREACHABLE = "unreachable", "Unreachable"

    id = models.BigAutoField(primary_key=True)
    ci = models.ForeignKey("cmdb.ConfigurationItem", on_delete=models.CASCADE, related_name="outages")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.DOWN)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    message = models.CharField(max_length=300, blank=True)
    cause = models.ForeignKey(
        "cmdb.ConfigurationItem", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    planned = models.BooleanField(default=False)
    silenced_by = models.CharField(max_length=200, blank=True)
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.SET_NULL, null=True, blank=True, related_name="outages"
    )
    incident_updated_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = MonitoringQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["ci"], condition=models.Q(ended_at__isnull=True), name="outage_one_open_per_ci"
            )
        ]
        indexes = [
            models.Index(fields=["ci", "started_at"], name="outage_ci_idx"),
            models.Index(fields=["school", "started_at"], name="outage_school_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ci} {self.kind} from {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.ended_at is None


# =============================================================================
# Capacity
# =============================================================================


class MetricKind(models.TextChoices):
    DISK = "disk", "Disk use"
    MEMORY = "memory", "Memory use"
    INTERFACE = "interface", "Interface utilisation"
    LATENCY = "latency", "Response time"
    OTHER = "other", "Other"


class Metric(SchoolOwned):
    """One measured series on a CI (a volume's use, an interface's traffic), fed by its checks.

    `value` is in `unit`; for a capacity series `capacity` is the whole (bytes of the volume, bit/s of the
    link) and `percent` the share used, which thresholds compare. `counters` keeps the last raw counters of
    a rate series (interface octets) to compute the next rate.
    """

    ci = models.ForeignKey("cmdb.ConfigurationItem", on_delete=models.CASCADE, related_name="metrics")
    for_check = models.ForeignKey(
        Check, on_delete=models.SET_NULL, null=True, blank=True, related_name="metrics", verbose_name="check"
    )
    kind = models.CharField(max_length=10, choices=MetricKind.choices)
    key = models.CharField(max_length=150, help_text="Stable name within the CI, e.g. 'disk:/srv' or 'if:eth0'.")
    label = models.CharField(max_length=200)
    unit = models.CharField(max_length=12, blank=True)
    capacity = models.FloatField(null=True, blank=True)
    last_value = models.FloatField(null=True, blank=True)
    last_percent = models.FloatField(null=True, blank=True)
    last_at = models.DateTimeField(null=True, blank=True)
    counters = models.JSONField(default=dict, blank=True, editable=False)

    objects = MonitoringQuerySet.as_manager()

    class Meta:
        ordering = ["ci", "kind", "key"]
        constraints = [models.UniqueConstraint(fields=["ci", "key"], name="metric_key_unique")]
        indexes = [models.Index(fields=["school", "kind"], name="metric_school_idx")]

    def __str__(self) -> str:
        return f"{self.ci}: {self.label}"


class MetricSample(SchoolOwned):
    id = models.BigAutoField(primary_key=True)
    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="samples")
    at = models.DateTimeField()
    value = models.FloatField()
    percent = models.FloatField(null=True, blank=True)

    objects = MonitoringQuerySet.as_manager()

    class Meta:
        ordering = ["metric", "at"]
        indexes = [
            models.Index(fields=["metric", "at"], name="sample_metric_idx"),
            models.Index(fields=["at"], name="sample_age_idx"),
        ]


class MetricRollup(SchoolOwned):
    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="rollups")
    period = models.CharField(max_length=4, choices=Period.choices)
    starts_at = models.DateTimeField()
    samples = models.PositiveIntegerField(default=0)
    avg = models.FloatField()
    min = models.FloatField()
    max = models.FloatField()
    percent_avg = models.FloatField(null=True, blank=True)
    percent_max = models.FloatField(null=True, blank=True)

    objects = MonitoringQuerySet.as_manager()

    class Meta:
        ordering = ["metric", "period", "starts_at"]
        constraints = [models.UniqueConstraint(fields=["metric", "period", "starts_at"], name="metric_rollup_unique")]


class CapacityThreshold(SchoolOwned):
    """When a series is too full: warning and critical per cent of its capacity, and how far ahead to look.

    A threshold on one CI wins over the school's threshold for every CI (ci empty) of that kind of series.
    """

    kind = models.CharField(max_length=10, choices=MetricKind.choices)
    ci = models.ForeignKey(
        "cmdb.ConfigurationItem",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="capacity_thresholds",
        help_text="Empty: every CI of the school.",
    )
    warning_percent = models.FloatField(default=80.0)
    critical_percent = models.FloatField(default=90.0)
    forecast_days = models.PositiveSmallIntegerField(
        default=42, help_text="Warn when the trend reaches the critical level within this many days."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MonitoringQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "ci"]
        constraints = [models.UniqueConstraint(fields=["school", "kind", "ci"], name="threshold_unique")]

    def __str__(self) -> str:
        where = self.ci or "every CI"
        return f"{self.get_kind_display()} on {where}: {self.warning_percent:g} % / {self.critical_percent:g} %"


class CapacityAlert(SchoolOwned):
    """A series over (or forecast to reach) its threshold: a warning raises a task, critical an incident."""

    class Level(models.TextChoices):
        FORECAST = "forecast", "Forecast to fill"
        WARNING = "warning", "Warning"
        CRITICAL = "critical", "Critical"

    metric = models.ForeignKey(Metric, on_delete=models.CASCADE, related_name="alerts")
    level = models.CharField(max_length=10, choices=Level.choices)
    opened_at = models.DateTimeField()
    cleared_at = models.DateTimeField(null=True, blank=True)
    percent = models.FloatField(null=True, blank=True)
    forecast_full_on = models.DateField(null=True, blank=True, help_text="When the trend reaches critical.")
    message = models.CharField(max_length=300, blank=True)
    task = models.ForeignKey("incidents.Task", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = MonitoringQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["metric"], condition=models.Q(cleared_at__isnull=True), name="capacity_alert_one_open"
            )
        ]


# =============================================================================
# Preventative maintenance
# =============================================================================


class Recurrence(models.TextChoices):
    DAILY = "daily", "Every school day"
    WEEKLY = "weekly", "Every week"
    MONTHLY = "monthly", "Every month"
    HALF_TERMLY = "half_termly", "Each half-term"
    TERMLY = "termly", "Each term"
    YEARLY = "yearly", "Every year"


class MaintenanceSchedule(SchoolOwned):
    """Recurring preventative maintenance (FITS): clean projector filters each half-term, test the UPS
    battery yearly, check the server logs weekly. Each occurrence raises one task (incidents.Task) with the
    checklist, `lead_days` before it is due, on a day the school is open."""

    title = models.CharField(max_length=200)
    instructions = models.TextField(blank=True)
    checklist = models.TextField(blank=True, help_text="One step per line; each becomes a tick box on the task.")
    ci = models.ForeignKey(
        "cmdb.ConfigurationItem", on_delete=models.CASCADE, null=True, blank=True, related_name="maintenance"
    )
    ci_kind = models.CharField(
        "every CI of kind", max_length=20, blank=True, help_text="E.g. every projector: one step per device."
    )
    location = models.ForeignKey(
        "cmdb.Location",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Only the devices in this site, building or room.",
    )
    recurrence = models.CharField(max_length=12, choices=Recurrence.choices)
    every = models.PositiveSmallIntegerField(default=1, help_text="Every 1, 2, 3... of the recurrence.")
    school_days_only = models.BooleanField(
        default=True, help_text="Due dates fall on days the school is open (its calendar: terms, closures)."
    )
    lead_days = models.PositiveSmallIntegerField(default=7, help_text="Raise the task this many days before.")
    group = models.ForeignKey(
        "incidents.SupportGroup", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    next_due = models.DateField()
    is_active = models.BooleanField(default=True)
    # Empty: Availability's preventative maintenance. Else the FITS OM function whose routine operation this is
    # (an om.models.Function value such as "sysadmin"): its tasks are routine operations, shown on that function's
    # pages rather than on the maintenance list.
    function = models.CharField(max_length=12, blank=True, default="", editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MonitoringQuerySet.as_manager()

    class Meta:
        ordering = ["next_due", "title"]
        indexes = [
            models.Index(fields=["is_active", "next_due"], name="maintenance_due_idx"),
            models.Index(fields=["school", "function", "next_due"], name="maintenance_function_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("availability:maintenance_detail", kwargs={"pk": self.pk})
