"""Monitoring as people set it up: checks on CIs, the checks proposed for each kind of device, the school's
monitoring settings and its SNMP credentials.

FITS: "detect and prevent ICT problems proactively". Technicians (and the network manager) add, pause and
remove checks and accept the proposals; the network manager alone keeps the school's settings and SNMP
credentials, whose community strings and keys are write-only (never shown back in pages or the API).
Every refusal says what is wrong and where.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from availability.models import SNMP_KINDS, Check, CheckKind, MonitoringSettings, SnmpCredential
from cmdb.models import ConfigurationItem, Kind, LifecycleStatus, SoftwareInstallation
from fits import access, activity
from fits.models import Activity, School, User

MIN_INTERVAL_SECONDS = 30
MAX_INTERVAL_SECONDS = 24 * 60 * 60

# What a check records of its settings on the CI's timeline and in the forms and the API.
CHECK_FIELDS = (
    "kind",
    "name",
    "target",
    "port",
    "expect_status",
    "verify_tls",
    "dns_server",
    "snmp_credential",
    "interval_seconds",
    "timeout_seconds",
    "retries",
    "failures_before_down",
)


# =============================================================================
# Checks
# =============================================================================


def _require_manage(actor: User, ci: ConfigurationItem) -> None:
    access.require(
        access.can_manage_monitoring,
        actor,
        ci,
        f"You cannot change the monitoring of {ci} at {ci.school}: the school's technicians and network manager do.",
    )


def _looks_like_host(value: str) -> bool:
    """An IP address or a DNS host name (letters, digits, hyphens and dots), as a resolver's server is given."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return bool(
            re.fullmatch(r"(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?(\.[A-Za-z0-9-]{1,63})*", value)
        )
    return True


def _clean_check(check: Check, ci: ConfigurationItem) -> None:
    """Refuse a check that could never run, saying which setting is wrong."""
    errors: dict[str, str] = {}
    if check.kind not in CheckKind.values:
        errors["kind"] = f"Choose a kind of check ({', '.join(CheckKind.values)})."
    check.name = (check.name or "").strip() or (CheckKind(check.kind).label if check.kind in CheckKind.values else "")
    check.target = (check.target or "").strip()
    if len(check.name) > 100:
        errors["name"] = "Keep the name to 100 characters."
    if not check.target and not ci.management_address:
        errors["target"] = (
            f"{ci} has no management address in the CMDB: give the check a host name, address or URL to test."
        )
    if check.kind == CheckKind.TCP and not (check.port and 1 <= check.port <= 65535):
        errors["port"] = "A TCP check needs the port to connect to (1 to 65535), e.g. 445 for file sharing."
    if check.kind != CheckKind.TCP:
        check.port = None
    if check.kind == CheckKind.HTTP:
        url = urlsplit(check.target)
        if url.scheme not in ("http", "https") or not url.hostname:
            errors["target"] = "A web page check needs the page's address, starting http:// or https://."
        if not 100 <= (check.expect_status or 0) <= 599:
            errors["expect_status"] = "The expected HTTP status is a number from 100 to 599 (usually 200)."
    check.dns_server = (check.dns_server or "").strip() if check.kind == CheckKind.DNS else ""
    if check.dns_server and not _looks_like_host(check.dns_server):
        errors["dns_server"] = "Give the DNS server as an address or a host name (e.g. 10.20.0.11), nothing else."
    if check.kind in SNMP_KINDS:
        credential = check.snmp_credential
        if credential is not None and credential.school_id != ci.school_id:
            errors["snmp_credential"] = f"Choose an SNMP credential of {ci.school} (or none: v2c “public”)."
    else:
        check.snmp_credential = None
    interval = check.interval_seconds or 0
    if not MIN_INTERVAL_SECONDS <= interval <= MAX_INTERVAL_SECONDS:
        errors["interval_seconds"] = (
            f"Run a check every {MIN_INTERVAL_SECONDS} seconds at the most often and once a day "
            f"({MAX_INTERVAL_SECONDS} s) at the least; {interval} s is outside that."
        )
    timeout = check.timeout_seconds or 0
    if timeout <= 0 or (interval and timeout >= interval):
        errors["timeout_seconds"] = (
            f"The timeout ({timeout:g} s) must be more than 0 and shorter than the interval ({interval} s)."
        )
    if check.retries is None or check.retries > 5:
        errors["retries"] = "Retry a failed check up to 5 times."
    if check.failures_before_down is not None and not 1 <= check.failures_before_down <= 20:
        errors["failures_before_down"] = "Count from 1 to 20 failed runs in a row before down (or leave it empty)."
    if errors:
        raise ValidationError(errors)


def _describe(check: Check) -> str:
    where = check.target or check.ci.management_address
    port = f":{check.port}" if check.port else ""
    return f"{check.get_kind_display()} check “{check.name}” on {where}{port}"


@transaction.atomic
def check_save(
    *,
    actor: User,
    ci: ConfigurationItem,
    kind: str,
    name: str = "",
    target: str = "",
    port: int | None = None,
    expect_status: int = 200,
    verify_tls: bool = True,
    dns_server: str = "",
    snmp_credential: SnmpCredential | None = None,
    interval_seconds: int = 300,
    timeout_seconds: float = 2.0,
    retries: int = 1,
    failures_before_down: int | None = None,
    check: Check | None = None,
    now: datetime | None = None,
) -> Check:
    """Add a check to a CI (or change one): it runs at the next cycle of the poller.

    A check cannot move to another CI: remove it and add one there (its history belongs to its CI).
    """
    _require_manage(actor, ci)
    now = now or timezone.now()
    creating = check is None
    if creating:
        check = Check(school_id=ci.school_id, ci=ci, status=Check.Status.ACTIVE, next_run_at=now)
    else:
        check = Check.objects.select_for_update().get(pk=check.pk)
        if check.ci_id != ci.pk:
            raise ValidationError({"ci": f"A check stays on its CI ({check.ci}): remove it and add one to {ci}."})
    check.ci = ci
    before = {name_: getattr(check, name_) for name_ in CHECK_FIELDS}
    values = {
        "kind": kind,
        "name": name,
        "target": target,
        "port": port,
        "expect_status": expect_status,
        "verify_tls": verify_tls,
        "dns_server": dns_server,
        "snmp_credential": snmp_credential,
        "interval_seconds": interval_seconds,
        "timeout_seconds": timeout_seconds,
        "retries": retries,
        "failures_before_down": failures_before_down,
    }
    for field_name, value in values.items():
        setattr(check, field_name, value)
    _clean_check(check, ci)
    if not creating and check.status == Check.Status.ACTIVE and before["interval_seconds"] != check.interval_seconds:
        check.next_run_at = now  # run at the next cycle with the new settings
    check.save()
    if creating:
        text = f"Monitoring: {_describe(check)} added."
    else:
        changed = [f for f in CHECK_FIELDS if before[f] != getattr(check, f)]
        if not changed:
            return check
        text = f"Monitoring: {_describe(check)} changed ({', '.join(f.replace('_', ' ') for f in changed)})."
    activity.record(ci, actor=actor, kind=Activity.Kind.FIELD, text=text, public=False)
    return check


@transaction.atomic
def check_pause(*, check: Check, actor: User) -> Check:
    """Stop running a check (a device away for repair); its history stays, it counts for nothing meanwhile."""
    check = Check.objects.select_for_update().select_related("ci").get(pk=check.pk)
    _require_manage(actor, check.ci)
    if check.status != Check.Status.ACTIVE:
        raise ValidationError(
            f"{_describe(check)} is {check.get_status_display().lower()}, not running: nothing to pause."
        )
    check.status = Check.Status.PAUSED
    check.leased_until = None
    check.save(update_fields=["status", "leased_until", "updated_at"])
    activity.record(check.ci, actor=actor, kind=Activity.Kind.FIELD, text=f"Monitoring: {_describe(check)} paused.",
                    public=False)  # fmt: skip
    return check


@transaction.atomic
def check_resume(*, check: Check, actor: User, now: datetime | None = None) -> Check:
    """Run a paused check again, from the next cycle."""
    check = Check.objects.select_for_update().select_related("ci").get(pk=check.pk)
    _require_manage(actor, check.ci)
    if check.status != Check.Status.PAUSED:
        raise ValidationError(f"{_describe(check)} is {check.get_status_display().lower()}, not paused.")
    _activate(check, now or timezone.now())
    activity.record(check.ci, actor=actor, kind=Activity.Kind.FIELD, text=f"Monitoring: {_describe(check)} resumed.",
                    public=False)  # fmt: skip
    return check


@transaction.atomic
def check_delete(*, check: Check, actor: User) -> None:
    """Remove a check with its results and rollups (the CI's outages and their incidents stay)."""
    check = Check.objects.select_for_update().select_related("ci").get(pk=check.pk)
    _require_manage(actor, check.ci)
    if check.status != Check.Status.PROPOSED:
        activity.record(check.ci, actor=actor, kind=Activity.Kind.FIELD,
                        text=f"Monitoring: {_describe(check)} removed.", public=False)  # fmt: skip
    check.delete()


def _activate(check: Check, now: datetime) -> None:
    check.status = Check.Status.ACTIVE
    check.next_run_at = now
    check.leased_until = None
    check.save(update_fields=["status", "next_run_at", "leased_until", "updated_at"])


# =============================================================================
# Proposals: sensible checks for each kind of device
# =============================================================================


@dataclass(frozen=True)
class Proposal:
    kind: str
    name: str
    port: int | None = None


PING = Proposal(CheckKind.PING, "Ping")
SNMP_UPTIME = Proposal(CheckKind.SNMP_UPTIME, "Uptime (SNMP)")
SNMP_INTERFACES = Proposal(CheckKind.SNMP_INTERFACES, "Interfaces (SNMP)")
SNMP_STORAGE = Proposal(CheckKind.SNMP_STORAGE, "Storage (SNMP)")

# Desktops, laptops and tablets come and go with the school day: none are proposed (a check can be added by hand).
PROPOSALS_BY_KIND: dict[str, tuple[Proposal, ...]] = {
    Kind.SWITCH: (PING, SNMP_UPTIME, SNMP_INTERFACES),
    Kind.ROUTER: (PING, SNMP_UPTIME, SNMP_INTERFACES),
    Kind.FIREWALL: (PING, SNMP_UPTIME, SNMP_INTERFACES),
    Kind.SERVER: (PING, SNMP_STORAGE),  # plus its services: SERVICE_PORTS
    Kind.STORAGE: (PING, SNMP_STORAGE),
    Kind.PRINTER: (SNMP_UPTIME, PING),
    Kind.ACCESS_POINT: (PING,),
}

# A server's services, from the words of its role or of the software installed on it: (pattern, port, name).
SERVICE_PORTS: tuple[tuple[str, int, str], ...] = (
    (r"\bfile|\bsmb\b|samba|\bshares?\b", 445, "File sharing (SMB)"),
    (r"remote desktop|\brdp\b|\brds\b|terminal serv", 3389, "Remote desktop (RDP)"),
    (r"\bweb\b|\biis\b|apache|nginx|intranet|\bvle\b|moodle|http", 80, "Web (HTTP)"),
    (r"\bweb\b|\biis\b|apache|nginx|intranet|\bvle\b|moodle|https|\bssl\b", 443, "Web (HTTPS)"),
    (r"\bdns\b|domain controller|\bdc\b|bind9?\b", 53, "DNS"),
    (r"ldap|domain controller|\bdc\b|active directory|\bad\b", 389, "Directory (LDAP)"),
    (r"sql server|\bmssql\b", 1433, "SQL Server"),
    (r"mysql|mariadb", 3306, "MySQL"),
    (r"\bmail\b|exchange|smtp", 25, "Mail (SMTP)"),
    (r"\bprint serv", 631, "Printing (IPP)"),
)


def server_services(words: str) -> list[Proposal]:
    """The TCP checks of the services a server's role or software names ("File and print server" -> 445)."""
    words = words.lower()
    return [Proposal(CheckKind.TCP, name, port) for pattern, port, name in SERVICE_PORTS if re.search(pattern, words)]


def proposals_for(ci: ConfigurationItem, software: list[str] | None = None) -> list[Proposal]:
    """The checks that suit a CI of its kind (a server's: with a TCP check of each service it runs)."""
    proposals = list(PROPOSALS_BY_KIND.get(ci.kind, ()))
    if ci.kind == Kind.SERVER:
        words = " ".join([str((ci.attributes or {}).get("role") or ""), *(software or [])])
        proposals[1:1] = server_services(words)
    return proposals


@transaction.atomic
def propose_checks(*, school: School, now: datetime | None = None) -> int:
    """Propose checks for the school's live CIs with a management address and no checks yet; the number proposed.

    Idempotent: a CI with any check (proposed, active, paused) gets none, so a dismissed proposal is not
    proposed again while the CI keeps another check, and running this every hour adds nothing twice.
    """
    candidates = list(
        ConfigurationItem.objects.filter(school=school, status=LifecycleStatus.LIVE, kind__in=list(PROPOSALS_BY_KIND))
        .exclude(management_address="")
        .exclude(checks__isnull=False)
        .order_by("pk")
    )
    if not candidates:
        return 0
    servers = [ci.pk for ci in candidates if ci.kind == Kind.SERVER]
    software: dict[int, list[str]] = {}
    for ci_id, product in SoftwareInstallation.objects.filter(ci_id__in=servers).values_list("ci_id", "product__name"):
        software.setdefault(ci_id, []).append(product)
    credential = SnmpCredential.objects.filter(school=school).order_by("name", "pk").first()
    interval = 300
    rows = [
        Check(
            school_id=school.pk,
            ci=ci,
            kind=proposal.kind,
            name=proposal.name,
            port=proposal.port,
            snmp_credential=credential if proposal.kind in SNMP_KINDS else None,
            interval_seconds=interval,
            status=Check.Status.PROPOSED,
        )
        for ci in candidates
        for proposal in proposals_for(ci, software.get(ci.pk))
    ]
    Check.objects.bulk_create(rows)
    return len(rows)


def propose_checks_all(now: datetime | None = None) -> int:
    """Proposals at every active school (hourly, from Celery beat); how many checks were proposed."""
    return sum(propose_checks(school=school, now=now) for school in School.objects.filter(is_active=True))


@transaction.atomic
def proposal_accept(*, check: Check, actor: User, now: datetime | None = None) -> Check:
    """Switch a proposed check on: it runs at the next cycle."""
    check = Check.objects.select_for_update().select_related("ci").get(pk=check.pk)
    _require_manage(actor, check.ci)
    if check.status != Check.Status.PROPOSED:
        raise ValidationError(f"{_describe(check)} is already {check.get_status_display().lower()}.")
    _clean_check(check, check.ci)
    _activate(check, now or timezone.now())
    activity.record(check.ci, actor=actor, kind=Activity.Kind.FIELD,
                    text=f"Monitoring: {_describe(check)} switched on (proposed).", public=False)  # fmt: skip
    return check


@transaction.atomic
def proposals_accept_all(*, school: School, actor: User, now: datetime | None = None) -> int:
    """Switch on every check proposed at the school; how many."""
    access.require(
        access.can_manage_monitoring, actor, school, f"You cannot switch on monitoring at {school}: its technicians do."
    )
    now = now or timezone.now()
    accepted = 0
    for check in Check.objects.filter(school=school, status=Check.Status.PROPOSED).select_related("ci"):
        proposal_accept(check=check, actor=actor, now=now)
        accepted += 1
    return accepted


@transaction.atomic
def proposal_dismiss(*, check: Check, actor: User) -> None:
    """Drop a proposed check (the CI keeps its other proposals)."""
    check = Check.objects.select_for_update().select_related("ci").get(pk=check.pk)
    _require_manage(actor, check.ci)
    if check.status != Check.Status.PROPOSED:
        raise ValidationError(f"{_describe(check)} is not a proposal: pause it or remove it instead.")
    check.delete()


# =============================================================================
# The school's settings and SNMP credentials (the network manager's)
# =============================================================================


def settings_for(school: School) -> MonitoringSettings:
    """The school's monitoring settings (the defaults, unsaved, when it has none yet)."""
    return MonitoringSettings.objects.filter(school=school).first() or MonitoringSettings(school=school)


QUEUE_RE = re.compile(r"^[A-Za-z0-9_.-]*$")


@transaction.atomic
def settings_save(
    *,
    actor: User,
    school: School,
    queue: str = "",
    failures_before_down: int = 3,
    raw_retention_days: int = 14,
    hourly_retention_days: int = 90,
    alerts_enabled: bool = True,
) -> MonitoringSettings:
    """Keep how the school is monitored: its poller's queue, flap damping, retention, alerts."""
    access.require(
        access.can_configure_monitoring,
        actor,
        school,
        f"Only the network manager of {school} keeps its monitoring settings.",
    )
    errors = {}
    queue = (queue or "").strip()
    if not QUEUE_RE.match(queue) or len(queue) > 60:
        errors["queue"] = "A queue name is letters, digits, dots, dashes and underscores (e.g. monitoring.highfield)."
    if not 1 <= failures_before_down <= 20:
        errors["failures_before_down"] = "Count from 1 to 20 failed runs in a row before a check is down."
    if not 1 <= raw_retention_days <= 366:
        errors["raw_retention_days"] = "Keep raw results from 1 day to a year (366 days)."
    if not raw_retention_days <= hourly_retention_days <= 3660:
        errors["hourly_retention_days"] = (
            f"Keep hourly rollups at least as long as raw results ({raw_retention_days} days) and at most 10 years."
        )
    if errors:
        raise ValidationError(errors)
    row, _created = MonitoringSettings.objects.select_for_update().get_or_create(school=school)
    row.queue, row.failures_before_down, row.alerts_enabled = queue, failures_before_down, alerts_enabled
    row.raw_retention_days, row.hourly_retention_days = raw_retention_days, hourly_retention_days
    row.save()
    return row


SECRET_FIELDS = ("community", "auth_key", "priv_key")
PROTOCOLS = {"auth_protocol": ("MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512"), "priv_protocol": ("DES", "AES")}


def _require_configure(actor: User, school: School) -> None:
    access.require(
        access.can_configure_monitoring,
        actor,
        school,
        f"Only the network manager of {school} keeps its SNMP credentials.",
    )


@transaction.atomic
def credential_save(
    *,
    actor: User,
    school: School,
    name: str,
    version: str = SnmpCredential.Version.V2C,
    community: str = "",
    username: str = "",
    auth_protocol: str = "SHA",
    auth_key: str = "",
    priv_protocol: str = "AES",
    priv_key: str = "",
    port: int = 161,
    credential: SnmpCredential | None = None,
) -> SnmpCredential:
    """Add or change an SNMP credential. Secrets are write-only: an empty community or key when changing one
    keeps the stored one (the pages never show it back)."""
    _require_configure(actor, school)
    if credential is not None:
        credential = SnmpCredential.objects.select_for_update().get(pk=credential.pk)
        if credential.school_id != school.pk:
            raise ValidationError(f"{credential} is not a credential of {school}.")
    else:
        credential = SnmpCredential(school=school)
    secrets: dict[str, Any] = {"community": community, "auth_key": auth_key, "priv_key": priv_key}
    for field_name, value in secrets.items():
        if value or credential.pk is None:
            setattr(credential, field_name, (value or "").strip())
    credential.name, credential.version, credential.port = (name or "").strip(), version, port
    credential.username = (username or "").strip()
    credential.auth_protocol, credential.priv_protocol = (auth_protocol or "").upper(), (priv_protocol or "").upper()
    _clean_credential(credential)
    credential.save()
    return credential


def _clean_credential(credential: SnmpCredential) -> None:
    errors = {}
    if not credential.name:
        errors["name"] = "Give the credential a name (e.g. “Switches v3”)."
    elif (
        SnmpCredential.objects.filter(school_id=credential.school_id, name__iexact=credential.name)
        .exclude(pk=credential.pk)
        .exists()
    ):
        errors["name"] = f"{credential.school} already has a credential called “{credential.name}”."
    if credential.version not in SnmpCredential.Version.values:
        errors["version"] = "Choose SNMP v2c or v3."
    elif credential.version == SnmpCredential.Version.V2C and not credential.community:
        errors["community"] = "An SNMP v2c credential needs its community string."
    elif credential.version == SnmpCredential.Version.V3:
        if not credential.username:
            errors["username"] = "An SNMP v3 credential needs its user name."
        for field_name, allowed in PROTOCOLS.items():
            if getattr(credential, field_name) not in allowed:
                errors[field_name] = f"Choose one of {', '.join(allowed)}."
        if credential.priv_key and not credential.auth_key:
            errors["auth_key"] = "SNMP v3 privacy (encryption) needs an authentication key too."
        for key in ("auth_key", "priv_key"):
            value = getattr(credential, key)
            if value and len(value) < 8:
                errors[key] = "SNMP v3 keys are at least 8 characters long."
    if not 1 <= (credential.port or 0) <= 65535:
        errors["port"] = "The SNMP port is from 1 to 65535 (usually 161)."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def credential_delete(*, credential: SnmpCredential, actor: User) -> None:
    """Remove a credential that no check uses any more."""
    credential = SnmpCredential.objects.select_for_update().get(pk=credential.pk)
    _require_configure(actor, credential.school)
    used = credential.checks.count()
    if used:
        raise ValidationError(
            f"{used} check{'s' if used != 1 else ''} still use{'' if used != 1 else 's'} “{credential.name}”: "
            "give them another credential first."
        )
    credential.delete()
