"""Probes for Availability and Capacity Management: is a configuration item answering, and how fast.

Every probe is a coroutine that returns a `ProbeResult` and never raises for a dead target: an unreachable,
refusing or silent target is a result (state "down" or "unknown"), not an exception. Each probe is bounded by
its own timeout (times its retries), so `run_many` can check hundreds of targets at once and one slow or dead
target never delays the others.

No Django models here: the Celery tasks of the availability app call these and store the results.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
import ssl
import time
from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

UP = "up"
DOWN = "down"
DEGRADED = "degraded"
UNKNOWN = "unknown"
STATES = (UP, DOWN, DEGRADED, UNKNOWN)


@dataclass(frozen=True)
class ProbeResult:
    """What one check of one target found."""

    state: str
    latency_ms: float | None = None
    message: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    checked_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __post_init__(self):
        if self.state not in STATES:
            raise ValueError(f"ProbeResult state must be one of {', '.join(STATES)}, not {self.state!r}.")

    @property
    def ok(self) -> bool:
        return self.state == UP


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def _tries(retries: int) -> str:
    tries = retries + 1
    return f"{tries} {'try' if tries == 1 else 'tries'}"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


# --- ICMP -------------------------------------------------------------------------------------------------


def _icmp_modes(privileged: bool | None) -> list[bool]:
    """The socket modes to try, in order: unprivileged first, then raw sockets when we are root."""
    if privileged is not None:
        return [privileged]
    modes = [False]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        modes.append(True)
    return modes


async def ping(
    host: str, count: int = 3, timeout: float = 1.0, privileged: bool | None = None, interval: float = 0.2
) -> ProbeResult:
    """ICMP echo `count` times, each waiting `timeout` seconds for its reply.

    `privileged=None` tries an unprivileged ICMP socket (needs net.ipv4.ping_group_range to include our
    group) and falls back to a raw socket when running as root; values["privileged"] says which one worked.
    Some replies lost is "degraded", none is "down"; no usable socket at all is "unknown" with the reason.
    """
    from icmplib import async_ping
    from icmplib.exceptions import ICMPLibError, NameLookupError, SocketPermissionError

    count = max(1, int(count))
    budget = count * (timeout + interval) + 1.0
    failures = []
    for mode in _icmp_modes(privileged):
        started = time.perf_counter()
        try:
            reply = await asyncio.wait_for(
                async_ping(host, count=count, interval=interval, timeout=timeout, privileged=mode), budget
            )
        except SocketPermissionError:
            failures.append(f"{'raw' if mode else 'unprivileged'} ICMP socket not permitted")
            continue
        except NameLookupError:
            return ProbeResult(UNKNOWN, message=f"cannot resolve {host}", values={"privileged": None})
        except TimeoutError:
            return ProbeResult(DOWN, _ms(started), f"no reply from {host} within {budget:g} s", {"privileged": mode})
        except (ICMPLibError, OSError) as exc:
            failures.append(f"{'raw' if mode else 'unprivileged'} ICMP failed: {_reason(exc)}")
            continue
        values = {
            "privileged": mode,
            "sent": reply.packets_sent,
            "received": reply.packets_received,
            "packet_loss": reply.packet_loss,
            "rtt_min_ms": reply.min_rtt,
            "rtt_avg_ms": reply.avg_rtt,
            "rtt_max_ms": reply.max_rtt,
        }
        latency = reply.avg_rtt if reply.packets_received else None
        if reply.packets_received == 0:
            return ProbeResult(DOWN, None, f"no reply from {host} after {_tries(count - 1)}", values)
        if reply.packets_received < reply.packets_sent:
            return ProbeResult(
                DEGRADED,
                latency,
                f"{host} answered {reply.packets_received} of {reply.packets_sent} pings",
                values,
            )
        pings = "ping" if reply.packets_received == 1 else "pings"
        return ProbeResult(UP, latency, f"{host} answered {reply.packets_received} {pings}", values)
    return ProbeResult(
        UNKNOWN,
        message=f"cannot ping {host}: " + "; ".join(failures),
        values={"privileged": None, "errors": failures},
    )


# --- TCP --------------------------------------------------------------------------------------------------


async def tcp(host: str, port: int, timeout: float = 2.0, retries: int = 0) -> ProbeResult:
    """Open (and close) a TCP connection to host:port."""
    reason = ""
    for _attempt in range(retries + 1):
        started = time.perf_counter()
        try:
            _reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
        except (OSError, TimeoutError) as exc:
            reason = _reason(exc)
            continue
        latency = _ms(started)
        writer.close()
        try:
            await asyncio.wait_for(writer.wait_closed(), timeout)
        except (OSError, TimeoutError):
            pass
        return ProbeResult(UP, latency, f"{host}:{port} accepted a connection", {"port": port})
    return ProbeResult(
        DOWN, None, f"{host}:{port} did not accept a connection after {_tries(retries)} ({reason})", {"port": port}
    )


# --- HTTP -------------------------------------------------------------------------------------------------


def _cert_days_left(cert: dict | None) -> int | None:
    if not cert or "notAfter" not in cert:
        return None
    expires = ssl.cert_time_to_seconds(cert["notAfter"])
    return int((expires - time.time()) // 86400)


async def _http_once(url: str, verify_tls: bool, ca_file: str | None, timeout: float) -> tuple[int, str, dict]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) address: {url}")
    verify: ssl.SSLContext | bool = False
    if verify_tls:
        verify = ssl.create_default_context(cafile=ca_file)
    values: dict[str, Any] = {}
    headers = {"User-Agent": "fits-availability-probe"}
    async with httpx.AsyncClient(verify=verify, timeout=timeout, headers=headers) as client:
        # Only the status matters: stream, so a large page is never downloaded.
        async with client.stream("GET", url) as response:
            if parts.scheme == "https":
                stream = response.extensions.get("network_stream")
                ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
                values["tls_version"] = ssl_object.version() if ssl_object else None
                values["cert_days_left"] = _cert_days_left(ssl_object.getpeercert() if ssl_object else None)
            return response.status_code, response.reason_phrase, values


async def http(
    url: str,
    expect_status: int | Collection[int] = 200,
    timeout: float = 5.0,
    verify_tls: bool = True,
    retries: int = 0,
    cert_warn_days: int = 14,
    ca_file: str | None = None,
) -> ProbeResult:
    """GET `url` and compare the status code; for https also report the certificate's days left.

    An unexpected status is "down"; a certificate expiring within `cert_warn_days` is "degraded". The
    certificate's expiry is only known when it is verified (`verify_tls=True`, against the system's
    authorities or `ca_file`, e.g. a school's own certificate authority).
    """
    expected = {expect_status} if isinstance(expect_status, int) else set(expect_status)
    reason = ""
    for _attempt in range(retries + 1):
        started = time.perf_counter()
        try:
            status, phrase, values = await asyncio.wait_for(_http_once(url, verify_tls, ca_file, timeout), timeout)
        except (OSError, ValueError, TimeoutError, ssl.SSLError, httpx.HTTPError) as exc:
            reason = _reason(exc)
            continue
        latency = _ms(started)
        values["status"] = status
        if status not in expected:
            wanted = " or ".join(str(code) for code in sorted(expected))
            return ProbeResult(DOWN, latency, f"{url} answered {status} {phrase}, expected {wanted}".strip(), values)
        days = values.get("cert_days_left")
        if days is not None and days < cert_warn_days:
            return ProbeResult(DEGRADED, latency, f"{url} certificate expires in {days} days", values)
        return ProbeResult(UP, latency, f"{url} answered {status} {phrase}".strip(), values)
    return ProbeResult(DOWN, None, f"no answer from {url} after {_tries(retries)} ({reason})", {})


# --- DNS --------------------------------------------------------------------------------------------------


async def dns(
    name: str, server: str | None = None, timeout: float = 2.0, retries: int = 0, port: int = 53
) -> ProbeResult:
    """Resolve `name` and list its addresses: through the system resolver, or by asking one `server` (a school's
    domain controller, say) directly with dnspython, so that server's DNS service is what is tested."""
    if server:
        return await _dns_from(name, server, timeout, retries, port)
    loop = asyncio.get_running_loop()
    reason = ""
    for _attempt in range(retries + 1):
        started = time.perf_counter()
        try:
            infos = await asyncio.wait_for(loop.getaddrinfo(name, None, proto=socket.IPPROTO_TCP), timeout)
        except (OSError, TimeoutError) as exc:
            reason = _reason(exc)
            continue
        addresses = sorted({info[4][0] for info in infos})
        return ProbeResult(UP, _ms(started), f"{name} resolves to {', '.join(addresses)}", {"addresses": addresses})
    return ProbeResult(DOWN, None, f"{name} did not resolve after {_tries(retries)} ({reason})", {})


async def _dns_from(name: str, server: str, timeout: float, retries: int, port: int = 53) -> ProbeResult:
    """Ask `server` (an address, or a host name the system resolves first) for the A and AAAA records of `name`.

    No answer within the timeout is "down" (the server's DNS service is not answering); an answer that the name
    does not exist is "down" too, saying so; a server name that does not resolve is "unknown".
    """
    import dns.asyncresolver
    import dns.exception
    import dns.resolver

    address = server
    try:
        ipaddress.ip_address(server)
    except ValueError:
        try:
            infos = await asyncio.wait_for(asyncio.get_running_loop().getaddrinfo(server, port), timeout)
        except (OSError, TimeoutError) as exc:
            return ProbeResult(UNKNOWN, message=f"cannot find the DNS server {server}: {_reason(exc)}")
        address = infos[0][4][0]
    resolver = dns.asyncresolver.Resolver(configure=False)
    resolver.nameservers = [address]
    resolver.port = port
    resolver.timeout = resolver.lifetime = timeout
    values = {"server": server}
    reason = ""
    for _attempt in range(retries + 1):
        started = time.perf_counter()
        addresses: list[str] = []
        try:
            for record_type in ("A", "AAAA"):
                try:
                    answer = await resolver.resolve(name, record_type, search=False)
                except dns.resolver.NoAnswer:
                    continue
                addresses += [record.to_text() for record in answer]
        except dns.resolver.NXDOMAIN:
            return ProbeResult(DOWN, _ms(started), f"{server} says {name} does not exist", values)
        except (dns.exception.Timeout, dns.resolver.NoNameservers, OSError) as exc:
            reason = "timed out" if isinstance(exc, dns.exception.Timeout) else str(exc) or type(exc).__name__
            continue
        if not addresses:
            return ProbeResult(DOWN, _ms(started), f"{server} has no address for {name}", values)
        values["addresses"] = sorted(addresses)
        return ProbeResult(UP, _ms(started), f"{server} resolves {name} to {', '.join(sorted(addresses))}", values)
    return ProbeResult(DOWN, None, f"{server} did not answer for {name} after {_tries(retries)} ({reason})", values)


# --- SNMP -------------------------------------------------------------------------------------------------


async def snmp_get(host: str, oid: str, *, port: int = 161, timeout: float = 2.0, retries: int = 1, **auth):
    """GET one OID; values["value"] holds it. `auth`: community=..., or user=SnmpUser(...) for v3."""
    from .snmp import SnmpClient, SnmpFailure

    client = SnmpClient(host, port=port, timeout=timeout, retries=retries, **auth)
    started = time.perf_counter()
    try:
        value = await client.get(oid)
    except SnmpFailure as exc:
        return ProbeResult(DOWN, None, str(exc), {"oid": oid})
    return ProbeResult(UP, _ms(started), f"{host} answered {oid}", {"oid": oid, "value": value})


async def snmp_walk(host: str, oid: str, *, port: int = 161, timeout: float = 2.0, retries: int = 1, **auth):
    """Walk a subtree; values["rows"] maps each OID under `oid` to its value."""
    from .snmp import SnmpClient, SnmpFailure

    client = SnmpClient(host, port=port, timeout=timeout, retries=retries, **auth)
    started = time.perf_counter()
    try:
        rows = await client.walk(oid)
    except SnmpFailure as exc:
        return ProbeResult(DOWN, None, str(exc), {"oid": oid})
    return ProbeResult(UP, _ms(started), f"{host} answered {len(rows)} values under {oid}", {"oid": oid, "rows": rows})


# --- Many at once -----------------------------------------------------------------------------------------


async def run_many(
    probes: Iterable[Awaitable[ProbeResult] | Callable[[], Awaitable[ProbeResult]]],
    concurrency: int = 200,
    timeout: float | None = None,
) -> list[ProbeResult]:
    """Run probes concurrently, at most `concurrency` at a time; results in the order given.

    Each probe is bounded by its own timeout; `timeout` (when given) is a further ceiling per probe, after
    which that probe is "unknown". A probe that raises becomes an "unknown" result with the error, so one
    bad target never loses the others' results.
    """
    semaphore = asyncio.Semaphore(max(1, concurrency))

    async def guarded(probe) -> ProbeResult:
        async with semaphore:
            started = time.perf_counter()
            try:
                awaitable = probe() if callable(probe) else probe
                if timeout is None:
                    return await awaitable
                return await asyncio.wait_for(awaitable, timeout)
            except TimeoutError:
                return ProbeResult(UNKNOWN, _ms(started), f"probe gave no result within {timeout:g} s")
            except Exception as exc:  # noqa: BLE001 - a broken probe is a result, not a crash of the batch
                return ProbeResult(UNKNOWN, None, f"probe failed: {type(exc).__name__}: {exc}")

    return list(await asyncio.gather(*(guarded(probe) for probe in probes)))
