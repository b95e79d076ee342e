"""From a check to its probe: what to ask, where, with which credentials, and what the answer means.

`probe(check)` returns a coroutine factory for `availability.probes.run_many`, so the engine can run hundreds of
checks at once. The factory never raises: a check with nothing to aim at is an "unknown" result that says why,
and each probe is bounded by the check's timeout and retries (and a ceiling here, in case a probe misjudges).

What the SNMP checks leave in `CheckResult.values` (availability.capacity reads these):

- snmp_uptime: {"uptime_seconds": float, "restarted": bool}; a restart since the last run (uptime lower than
  before) is said in the message, e.g. "restarted about 4 min ago (was up 12 d 3 h)".
- snmp_interfaces: {"interfaces": [{"index", "name", "oper_status", "in_octets", "out_octets", ...}]}
  (availability.snmp.interfaces rows).
- snmp_storage: {"storage": [{"index", "name", "type", "size_bytes", "used_bytes", "used_pct"}]}
  (availability.snmp.storage rows).

The other kinds keep what their probe reported (ping round trips, the TCP port, the HTTP status and
certificate days left, the DNS addresses).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from . import probes
from .models import CheckKind
from .probes import DOWN, UNKNOWN, UP, ProbeResult

ProbeFactory = Callable[[], Awaitable[ProbeResult]]

SNMP_DEFAULT_PORT = 161
SNMP_DEFAULT_COMMUNITY = "public"
# SNMP table checks walk several columns, each within the check's timeout and retries.
SNMP_TABLE_COLUMNS = {CheckKind.SNMP_INTERFACES: 6, CheckKind.SNMP_STORAGE: 5}
PING_INTERVAL = 0.2


# =============================================================================
# Where to look
# =============================================================================


def target_of(check) -> str:
    """The check's own target, or else the management address of the CI it watches ("" when neither)."""
    return (check.target or check.ci.management_address or "").strip()


def split_host_port(target: str) -> tuple[str, int | None]:
    """ "host:port" or "[v6]:port" -> (host, port); a bare host or IPv6 address -> (host, None)."""
    if target.startswith("["):
        host, _, rest = target[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
        return host, int(port) if port.isdigit() else None
    if target.count(":") == 1:
        host, _, port = target.partition(":")
        if port.isdigit():
            return host, int(port)
    return target, None


def http_url(target: str, port: int | None) -> str:
    """A check's web address: the target when it is a URL, else http://target[:port]/."""
    if target.startswith(("http://", "https://")):
        return target
    return f"http://{target}:{port}/" if port else f"http://{target}/"


def budget_seconds(check) -> float:
    """The longest a check may take: every try of every request it makes, plus a little slack."""
    return budget(check.kind, check.timeout_seconds, check.retries)


def budget(kind: str, timeout: float, retries: int) -> float:
    tries = retries + 1
    if kind == CheckKind.PING:
        return tries * (timeout + PING_INTERVAL) + 1.5
    requests = SNMP_TABLE_COLUMNS.get(kind, 1)
    if kind in (CheckKind.SNMP_UPTIME, *SNMP_TABLE_COLUMNS):
        # each SNMP request also discovers the agent first (availability.snmp: refresh, timeout + 0.5 s)
        return requests * tries * (2 * timeout + 0.5) + 1.0
    return requests * tries * timeout + 1.0


# =============================================================================
# The probe of each kind of check
# =============================================================================


def probe(check, *, previous_uptime: float | None = None) -> ProbeFactory:
    """A coroutine factory that runs `check` once and returns its ProbeResult (never raises).

    `check` needs its `ci` and `snmp_credential` loaded (select_related). `previous_uptime` is the uptime the
    last snmp_uptime run found, to notice a restart.
    """
    target = target_of(check)
    if not target:
        return _known(ProbeResult(UNKNOWN, message=f"{check.ci} has no address to check"))
    build = _BUILDERS[check.kind]
    made = build(check, target, previous_uptime)
    if isinstance(made, ProbeResult):
        return _known(made)
    limit = budget_seconds(check)

    async def bounded() -> ProbeResult:
        try:
            async with asyncio.timeout(limit):  # a deadline, not a task: cheap for thousands of probes
                return await made()
        except TimeoutError:
            return ProbeResult(UNKNOWN, round(limit * 1000, 2), f"{check.name} gave no result within {limit:g} s")

    return bounded


def _known(result: ProbeResult) -> ProbeFactory:
    async def answer() -> ProbeResult:
        return result

    return answer


def _ping(check, target, _previous):
    host, _port = split_host_port(target)
    count = max(1, check.retries + 1)
    return lambda: probes.ping(host, count=count, timeout=check.timeout_seconds, interval=PING_INTERVAL)


def _tcp(check, target, _previous):
    host, port = split_host_port(target)
    port = check.port or port
    if not port:
        return ProbeResult(UNKNOWN, message=f"{check.name}: no TCP port to check on {host}")
    return lambda: probes.tcp(host, port, timeout=check.timeout_seconds, retries=check.retries)


def _http(check, target, _previous):
    url = http_url(target, check.port)
    return lambda: probes.http(
        url,
        expect_status=check.expect_status,
        timeout=check.timeout_seconds,
        verify_tls=check.verify_tls,
        retries=check.retries,
    )


def _dns(check, target, _previous):
    server = check.dns_server or None
    return lambda: probes.dns(target, server=server, timeout=check.timeout_seconds, retries=check.retries)


def snmp_client(check, target: str):
    """The SnmpClient for a check: its credential (v2c community or v3 user), else v2c "public" on 161."""
    from .models import SnmpCredential
    from .snmp import SnmpClient, SnmpUser

    host, port = split_host_port(target)
    credential = check.snmp_credential
    options: dict[str, Any] = {"timeout": check.timeout_seconds, "retries": check.retries}
    if credential is None:
        return SnmpClient(host, port or SNMP_DEFAULT_PORT, community=SNMP_DEFAULT_COMMUNITY, **options)
    if credential.version == SnmpCredential.Version.V3:
        user = SnmpUser(
            name=credential.username,
            auth_protocol=credential.auth_protocol or "SHA",
            auth_key=credential.auth_key,
            priv_protocol=credential.priv_protocol or "AES",
            priv_key=credential.priv_key,
        )
        return SnmpClient(host, port or credential.port, user=user, **options)
    community = credential.community or SNMP_DEFAULT_COMMUNITY
    return SnmpClient(host, port or credential.port, community=community, **options)


def _snmp(measure):
    """Wrap an SNMP measurement: the agent's failures are "down" results that say which agent and what."""

    def build(check, target, previous):
        client = snmp_client(check, target)

        async def run() -> ProbeResult:
            from .snmp import SnmpFailure

            started = time.perf_counter()
            try:
                return await measure(client, started, previous)
            except SnmpFailure as exc:
                return ProbeResult(DOWN, None, str(exc)[:300])

        return run

    return build


async def _uptime(client, started, previous) -> ProbeResult:
    from .snmp import sys_uptime

    seconds = await sys_uptime(client)
    latency = _ms(started)
    restarted = previous is not None and seconds < previous
    if restarted:
        message = f"{client.host} restarted about {duration_words(seconds)} ago (was up {duration_words(previous)})"
    else:
        message = f"{client.host} up for {duration_words(seconds)}"
    return ProbeResult(UP, latency, message, {"uptime_seconds": seconds, "restarted": restarted})


async def _interfaces(client, started, _previous) -> ProbeResult:
    from .snmp import interfaces

    rows = jsonable(await interfaces(client))
    latency = _ms(started)
    up = sum(1 for row in rows if row["oper_status"] == "up")
    return ProbeResult(UP, latency, f"{client.host}: {len(rows)} interfaces, {up} up", {"interfaces": rows})


async def _storage(client, started, _previous) -> ProbeResult:
    from .snmp import storage

    rows = jsonable(await storage(client))
    latency = _ms(started)
    measured = [row for row in rows if row["used_pct"] is not None]
    message = f"{client.host}: {len(rows)} storage areas"
    if measured:
        fullest = max(measured, key=lambda row: row["used_pct"])
        message += f", fullest {fullest['name']} at {fullest['used_pct']:g} %"
    return ProbeResult(UP, latency, message[:300], {"storage": rows})


_BUILDERS = {
    CheckKind.PING: _ping,
    CheckKind.TCP: _tcp,
    CheckKind.HTTP: _http,
    CheckKind.DNS: _dns,
    CheckKind.SNMP_UPTIME: _snmp(_uptime),
    CheckKind.SNMP_INTERFACES: _snmp(_interfaces),
    CheckKind.SNMP_STORAGE: _snmp(_storage),
}


# =============================================================================
# Small helpers
# =============================================================================


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def duration_words(seconds: float) -> str:
    """12 d 3 h, 5 h 20 min, 4 min, 30 s: the two largest units, for messages."""
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


def jsonable(value: Any) -> Any:
    """SNMP answers as JSON: octet strings that are not text become hex (a MAC address, a binary index)."""
    if isinstance(value, bytes):
        return value.hex(":")
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    return value
