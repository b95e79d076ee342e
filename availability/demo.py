"""The demo's monitoring (seed_demo): each school's monitoring settings and an SNMP credential, checks proposed for its
network's devices, and at highfield a few active checks pointed at the machine running the demo, so that what the
demo shows green or red is true there: its own web page on port 8000, a TCP port nothing listens on (an honest red),
ping and DNS of the machine itself, and the local snmpd if one answers on udp 161.

A month of history (hourly and daily rollups, one past outage) is seeded for those checks so the charts and the
availability figures have something to show; every seeded row says so ("seeded demo history"). States come only
from real runs: `python manage.py monitor --once`, or the monitoring worker and beat. Skipped for a school that
already has checks.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from availability import capacity, maintenance, services
from availability.models import (
    Check,
    CheckResult,
    Metric,
    MetricKind,
    MetricRollup,
    MetricSample,
    Outage,
    Period,
    Recurrence,
    ResultRollup,
    State,
)
from cmdb.models import ConfigurationItem
from fits.models import School, User

SEEDED = "seeded demo history"
DEMO_WEB = "http://127.0.0.1:8000/healthz/"
CLOSED_PORT = 9  # the discard service: nothing listens on it on an ordinary machine

# (CI, kind, name, target, port) of highfield's active checks.
LOCAL_CHECKS = [
    ("HF-SRV-01", "http", "FITS web page (this demo, port 8000)", DEMO_WEB, None),
    ("HF-SRV-01", "dns", "localhost resolves", "localhost", None),
    ("HF-SRV-02", "ping", "Ping (this machine)", "127.0.0.1", None),
    ("HF-SRV-02", "tcp", "Backup agent port (nothing listens: red)", "127.0.0.1", CLOSED_PORT),
    ("HF-CORE-01", "ping", "Ping (this machine)", "127.0.0.1", None),
    # On a printer nothing depends on: without a local snmpd it is an honest red that takes down no service.
    ("HF-ICT-PRN", "snmp_uptime", "Uptime (local snmpd, if any)", "127.0.0.1", None),
]


def seed_monitoring(
    schools: dict[str, School], people: dict[str, User], *, now: datetime | None = None
) -> dict[str, int]:
    """Monitoring for the demo; how many of each thing were added (empty when it was all there)."""
    admin = people.get("admin")
    if admin is None:
        return {}
    now = now or timezone.now()
    added = {"schools set up": 0, "active checks": 0, "checks proposed": 0, "seeded rollups": 0}
    added |= {"capacity series": 0, "maintenance schedules": 0}
    for slug, school in schools.items():
        if Check.objects.filter(school=school).exists():
            continue
        with transaction.atomic():
            services.settings_save(actor=admin, school=school, raw_retention_days=14, hourly_retention_days=90)
            credential = services.credential_save(
                actor=admin, school=school, name="Demo v2c (public, local snmpd)", community="public", port=161
            )
            if slug == "highfield":
                netmgr = people.get("netmgr") or admin
                checks = _local_checks(school, netmgr, credential, now)
                added["active checks"] += len(checks)
                added["seeded rollups"] += _history(checks, now)
                added["capacity series"] = _capacity(school, now)
                added["maintenance schedules"] = _maintenance(school, netmgr, people.get("tech"), now)
            added["checks proposed"] += services.propose_checks(school=school, now=now)
            added["schools set up"] += 1
    return {what: n for what, n in added.items() if n}


def _local_checks(school: School, actor: User, credential, now: datetime) -> list[Check]:
    """Highfield's active checks on addresses of the machine running the demo (they run at the next cycle)."""
    cis = {ci.name: ci for ci in ConfigurationItem.objects.filter(school=school, name__in=[c[0] for c in LOCAL_CHECKS])}
    checks = []
    for name, kind, label, target, port in LOCAL_CHECKS:
        ci = cis.get(name)
        if ci is None:
            continue
        checks.append(
            services.check_save(
                actor=actor, ci=ci, kind=kind, name=label, target=target, port=port, interval_seconds=60,
                timeout_seconds=2.0, snmp_credential=credential if kind.startswith("snmp") else None, now=now,
            )
        )  # fmt: skip
    return checks


def _history(checks: list[Check], now: datetime) -> int:
    """A month of rollups for the page, ping and DNS checks (up, one outage of the web page three days ago), the
    last hour's raw results, and that outage; labelled as seeded. The red and SNMP checks get none: what they
    show comes from their runs."""
    rows: list[ResultRollup] = []
    seeded = [c for c in checks if c.kind in ("http", "ping", "dns")]
    this_hour = now.replace(minute=0, second=0, microsecond=0)
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    outage_start = this_hour - timedelta(days=3)
    for check in seeded:
        base = {"http": 18.0, "ping": 0.2, "dns": 1.1}[check.kind]
        for hours in range(1, 49):
            start = this_hour - timedelta(hours=hours)
            rows.append(_rollup(check, Period.HOUR, start, runs=60, down=0, latency=base * (1 + (hours % 5) / 10)))
        for days in range(1, 31):
            start = today - timedelta(days=days)
            down = 40 if check.kind == "http" and start <= outage_start < start + timedelta(days=1) else 0
            rows.append(_rollup(check, Period.DAY, start, runs=1440, down=down, latency=base * (1 + (days % 3) / 10)))
        CheckResult.objects.bulk_create(
            CheckResult(school_id=check.school_id, for_check=check, checked_at=now - timedelta(minutes=minutes),
                        state=State.UP, latency_ms=base, message=f"{SEEDED}: up")
            for minutes in range(5, 65, 5)
        )  # fmt: skip
    ResultRollup.objects.bulk_create(rows)
    web = next((c for c in seeded if c.kind == "http"), None)
    if web is not None:
        Outage.objects.create(
            school_id=web.school_id, ci=web.ci, started_at=outage_start, ended_at=outage_start + timedelta(minutes=40),
            message=f"{SEEDED}: the web page did not answer (IIS restarted after updates)",
        )  # fmt: skip
    return len(rows)


def _rollup(check: Check, period: str, start: datetime, *, runs: int, down: int, latency: float) -> ResultRollup:
    return ResultRollup(
        school_id=check.school_id, for_check=check, period=period, starts_at=start, runs=runs, up=runs - down,
        down=down, latency_avg_ms=round(latency, 2), latency_max_ms=round(latency * 3, 2),
    )  # fmt: skip


# (CI, kind, key, label, unit, capacity, per cent 30 days ago, per cent now) of highfield's seeded capacity series.
GIB = 1024**3
CAPACITY_SERIES = [
    ("HF-SRV-01", MetricKind.DISK, "disk:D:\\", "D:\\ Shared data (fixed disk)", "B", 2048 * GIB, 62.0, 77.0),
    ("HF-SRV-01", MetricKind.DISK, "disk:C:\\", "C:\\ System (fixed disk)", "B", 256 * GIB, 41.0, 42.0),
    ("HF-SRV-01", MetricKind.MEMORY, "memory:Physical memory", "Physical memory", "B", 32 * GIB, 58.0, 56.0),
    ("HF-SRV-02", MetricKind.DISK, "disk:E:\\", "E:\\ Backups (fixed disk)", "B", 4096 * GIB, 70.0, 83.0),
]


def _capacity(school: School, now: datetime) -> int:
    """A month of daily figures for the file server's disks and memory and the backup server's disk, labelled as
    seeded, then Capacity Management's own evaluation: the shared-data disk is forecast to fill (a task), the
    backup disk is over its warning level (a task)."""
    cis = {
        ci.name: ci for ci in ConfigurationItem.objects.filter(school=school, name__in={s[0] for s in CAPACITY_SERIES})
    }
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    metric_ids = []
    for ci_name, kind, key, label, unit, whole, then, current in CAPACITY_SERIES:
        ci = cis.get(ci_name)
        if ci is None:
            continue
        metric = Metric.objects.create(
            school=school, ci=ci, kind=kind, key=key, label=f"{label} ({SEEDED})", unit=unit, capacity=whole,
            last_value=whole * current / 100, last_percent=current, last_at=now,
        )  # fmt: skip
        rollups = []
        for days in range(30, 0, -1):
            percent = current - (current - then) * days / 30 + (0.4 if days % 4 == 0 else 0.0)
            rollups.append(
                MetricRollup(
                    school=school, metric=metric, period=Period.DAY, starts_at=today - timedelta(days=days),
                    samples=288, avg=whole * percent / 100, min=whole * (percent - 0.3) / 100,
                    max=whole * (percent + 0.5) / 100, percent_avg=round(percent, 2),
                    percent_max=round(percent + 0.5, 2),
                )
            )  # fmt: skip
        MetricRollup.objects.bulk_create(rollups)
        MetricSample.objects.create(
            school=school, metric=metric, at=now, value=whole * current / 100, percent=current
        )  # fmt: skip
        metric_ids.append(metric.pk)
    capacity.evaluate(metric_ids=metric_ids, now=now)
    return len(metric_ids)


def _maintenance(school: School, netmgr: User, tech: User | None, now: datetime) -> int:
    """FITS preventative maintenance at highfield: projector filters each half-term, the server logs weekly, the
    UPS battery yearly; the tasks due within their lead time are raised at once."""
    server = ConfigurationItem.objects.filter(school=school, name="HF-SRV-01").first()
    plans = [
        {
            "title": "Clean the projector filters",
            "instructions": "Dust clogs the filters and the lamps overheat and fail early. Projector off and cool.",
            "checklist": "Clean or replace the air filter\nWipe the lens with a lens cloth\nNote the lamp hours",
            "ci_kind": "display",
            "recurrence": Recurrence.HALF_TERMLY,
            "lead_days": 10,
        },
        {
            "title": "Check the server logs",
            "instructions": "Windows event logs and the backup software's report on the file server.",
            "checklist": "System and application event logs: errors since last week\nLast night's backup report\n"
            "Free space on every volume",
            "ci": server,
            "recurrence": Recurrence.WEEKLY,
            "lead_days": 2,
        },
        {
            "title": "Test the server cabinet's UPS battery",
            "instructions": "Run the UPS self-test out of hours and record the runtime it reports.",
            "checklist": "Run the self-test\nRecord the runtime estimate\nReplace the battery if under 10 minutes",
            "ci": server,
            "recurrence": Recurrence.YEARLY,
            "lead_days": 14,
        },
    ]
    made = 0
    for plan in plans:
        if plan.get("ci_kind") is None and plan.get("ci") is None:
            continue
        maintenance.schedule_save(actor=netmgr, school=school, assignee=tech, now=now, **plan)
        made += 1
    maintenance.maintenance_raise_due(now)
    return made
