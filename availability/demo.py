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

from availability import services
from availability.models import Check, CheckResult, Outage, Period, ResultRollup, State
from cmdb.models import ConfigurationItem
from fits.models import School, User

SEEDED = "seeded demo history"
DEMO_WEB = "http://127.0.0.1:8000/healthz"
CLOSED_PORT = 9  # the discard service: nothing listens on it on an ordinary machine

# (CI, kind, name, target, port) of highfield's active checks.
LOCAL_CHECKS = [
    ("HF-SRV-01", "http", "FITS web page (this demo, port 8000)", DEMO_WEB, None),
    ("HF-SRV-01", "dns", "localhost resolves", "localhost", None),
    ("HF-SRV-02", "ping", "Ping (this machine)", "127.0.0.1", None),
    ("HF-SRV-02", "tcp", "Backup agent port (nothing listens: red)", "127.0.0.1", CLOSED_PORT),
    ("HF-CORE-01", "snmp_uptime", "Uptime (local snmpd, if any)", "127.0.0.1", None),
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
    for slug, school in schools.items():
        if Check.objects.filter(school=school).exists():
            continue
        with transaction.atomic():
            services.settings_save(actor=admin, school=school, raw_retention_days=14, hourly_retention_days=90)
            credential = services.credential_save(
                actor=admin, school=school, name="Demo v2c (public, local snmpd)", community="public", port=161
            )
            if slug == "highfield":
                checks = _local_checks(school, people.get("netmgr") or admin, credential, now)
                added["active checks"] += len(checks)
                added["seeded rollups"] += _history(checks, now)
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
