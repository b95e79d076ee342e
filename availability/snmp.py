"""A small SNMP client for the availability probes, over gufo-snmp (asyncio, v2c and v3).

`SnmpClient` hides gufo-snmp behind three calls (get, get_many, walk) that retry on timeouts and turn every
failure into `SnmpFailure` with a message that says which agent and OID; the helpers `sys_uptime`,
`interfaces` and `storage` read the MIB rows the availability and capacity checks need as plain Python values.
Should gufo-snmp ever have to go, only this module changes (pysnmp is the documented fallback).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
SYS_NAME = "1.3.6.1.2.1.1.5.0"
IF_DESCR = "1.3.6.1.2.1.2.2.1.2"
IF_OPER_STATUS = "1.3.6.1.2.1.2.2.1.8"
IF_SPEED = "1.3.6.1.2.1.2.2.1.5"  # bit/s, tops out at 4,294,967,295
IF_HIGH_SPEED = "1.3.6.1.2.1.31.1.1.1.15"  # Mbit/s, for links faster than ifSpeed can say
IF_HC_IN_OCTETS = "1.3.6.1.2.1.31.1.1.1.6"
IF_HC_OUT_OCTETS = "1.3.6.1.2.1.31.1.1.1.10"
HR_STORAGE_TYPE = "1.3.6.1.2.1.25.2.3.1.2"
HR_STORAGE_DESCR = "1.3.6.1.2.1.25.2.3.1.3"
HR_STORAGE_ALLOCATION_UNITS = "1.3.6.1.2.1.25.2.3.1.4"
HR_STORAGE_SIZE = "1.3.6.1.2.1.25.2.3.1.5"
HR_STORAGE_USED = "1.3.6.1.2.1.25.2.3.1.6"
HR_STORAGE_TYPES = "1.3.6.1.2.1.25.2.1."

# IF-MIB ifOperStatus values.
OPER_STATUS = {
    1: "up",
    2: "down",
    3: "testing",
    4: "unknown",
    5: "dormant",
    6: "notPresent",
    7: "lowerLayerDown",
}
# HOST-RESOURCES-TYPES hrStorageTypes (the last arc of 1.3.6.1.2.1.25.2.1.N).
STORAGE_TYPES = {
    1: "other",
    2: "ram",
    3: "virtualMemory",
    4: "fixedDisk",
    5: "removableDisk",
    6: "floppyDisk",
    7: "compactDisc",
    8: "ramDisk",
    9: "flashMemory",
    10: "networkDisk",
}

AUTH_PROTOCOLS = ("MD5", "SHA", "SHA224", "SHA256", "SHA384", "SHA512")
PRIV_PROTOCOLS = ("DES", "AES", "AES192", "AES256")


class SnmpFailure(Exception):
    """The agent did not answer, refused us, or has no such object."""


@dataclass(frozen=True)
class SnmpUser:
    """An SNMPv3 user: no keys is noAuthNoPriv, auth only is authNoPriv, both is authPriv."""

    name: str
    auth_protocol: str = "SHA"
    auth_key: str = ""
    priv_protocol: str = "AES"
    priv_key: str = ""

    def to_gufo(self):
        from gufo.snmp import user as gufo_user

        auth_classes = {
            "MD5": gufo_user.Md5Key,
            "SHA": gufo_user.Sha1Key,
            "SHA224": gufo_user.Sha224Key,
            "SHA256": gufo_user.Sha256Key,
            "SHA384": gufo_user.Sha384Key,
            "SHA512": gufo_user.Sha512Key,
        }
        priv_classes = {
            "DES": gufo_user.DesKey,
            "AES": gufo_user.Aes128Key,
            "AES192": gufo_user.Aes192Key,
            "AES256": gufo_user.Aes256Key,
        }
        auth = priv = None
        if self.auth_key:
            if self.auth_protocol.upper() not in auth_classes:
                raise SnmpFailure(f"unknown SNMPv3 auth protocol {self.auth_protocol!r} for user {self.name}")
            auth = auth_classes[self.auth_protocol.upper()](self.auth_key.encode())
        if self.priv_key:
            if not auth:
                raise SnmpFailure(f"SNMPv3 user {self.name} has a privacy key but no auth key")
            if self.priv_protocol.upper() not in priv_classes:
                raise SnmpFailure(f"unknown SNMPv3 privacy protocol {self.priv_protocol!r} for user {self.name}")
            priv = priv_classes[self.priv_protocol.upper()](self.priv_key.encode())
        return gufo_user.User(self.name, auth_key=auth, priv_key=priv)


def _python(value: Any) -> Any:
    """Octet strings as text when they are text, otherwise as they came."""
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value
    return value


class SnmpClient:
    """One SNMP agent: v2c with `community`, or v3 with `user` (an `SnmpUser`)."""

    def __init__(
        self,
        host: str,
        port: int = 161,
        *,
        community: str = "public",
        user: SnmpUser | None = None,
        timeout: float = 2.0,
        retries: int = 1,
        max_repetitions: int = 20,
    ):
        self.host = host
        self.port = port
        self.community = community
        self.user = user
        self.timeout = timeout
        self.retries = max(0, retries)
        self.max_repetitions = max_repetitions

    def __repr__(self):
        version = f"v3 user {self.user.name}" if self.user else "v2c"
        return f"<SnmpClient {self.host}:{self.port} {version}>"

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    def _session(self):
        from gufo.snmp import SnmpVersion
        from gufo.snmp.aio.client import SnmpSession

        if self.user:
            return SnmpSession(
                addr=self.host,
                port=self.port,
                user=self.user.to_gufo(),
                version=SnmpVersion.v3,
                timeout=self.timeout,
                max_repetitions=self.max_repetitions,
            )
        return SnmpSession(
            addr=self.host,
            port=self.port,
            community=self.community,
            version=SnmpVersion.v2c,
            timeout=self.timeout,
            max_repetitions=self.max_repetitions,
        )

    async def _call(self, what: str, operation):
        """Run `operation(session)` with retries on timeouts; every failure becomes SnmpFailure."""
        from gufo.snmp import NoSuchInstance, SnmpAuthError, SnmpError

        tries = self.retries + 1
        for _attempt in range(tries):
            try:
                session = self._session()
                # refresh() discovers the v3 engine id; bounded like every request.
                await asyncio.wait_for(session.refresh(), self.timeout + 0.5)
                return await operation(session)
            except TimeoutError:
                continue
            except NoSuchInstance as exc:
                raise SnmpFailure(f"{self.where} has no {what}") from exc
            except SnmpAuthError as exc:
                raise SnmpFailure(f"{self.where} refused our SNMP credentials for {what}") from exc
            except (SnmpError, OSError, ValueError) as exc:
                raise SnmpFailure(f"SNMP {what} on {self.where} failed: {exc or type(exc).__name__}") from exc
        noun = "try" if tries == 1 else "tries"
        raise SnmpFailure(f"no SNMP reply from {self.where} for {what} after {tries} {noun}")

    async def get(self, oid: str) -> Any:
        async def operation(session):
            return _python(await session.get(oid))

        return await self._call(oid, operation)

    async def get_many(self, oids: list[str]) -> dict[str, Any]:
        async def operation(session):
            answer = await session.get_many(oids)
            return {oid: _python(value) for oid, value in answer.items()}

        return await self._call(", ".join(oids), operation)

    async def walk(self, oid: str) -> dict[str, Any]:
        """Every OID under `oid` (GETBULK on v2c/v3), in agent order."""
        prefix = oid.rstrip(".") + "."

        async def operation(session):
            rows: dict[str, Any] = {}
            async for row_oid, value in session.fetch(oid):
                if not row_oid.startswith(prefix):
                    break
                rows[row_oid] = _python(value)
            return rows

        return await self._call(f"walk of {oid}", operation)

    async def column(self, oid: str) -> dict[int, Any]:
        """A table column keyed by its (single-arc) row index."""
        prefix = oid.rstrip(".") + "."
        return {int(row_oid[len(prefix) :]): value for row_oid, value in (await self.walk(oid)).items()}


async def sys_uptime(client: SnmpClient) -> float:
    """The agent's sysUpTime in seconds (TimeTicks are hundredths)."""
    return int(await client.get(SYS_UPTIME)) / 100


async def interfaces(client: SnmpClient) -> list[dict[str, Any]]:
    """IF-MIB rows: index, name, oper_status ("up", "down", ...), the 64-bit octet counters and the link speed
    in bit/s (speed_bps: ifHighSpeed when the agent has it, else ifSpeed; None when unknown or 0)."""
    descr = await client.column(IF_DESCR)
    status = await client.column(IF_OPER_STATUS)
    try:
        in_octets = await client.column(IF_HC_IN_OCTETS)
        out_octets = await client.column(IF_HC_OUT_OCTETS)
    except SnmpFailure:
        in_octets, out_octets = {}, {}
    speeds = await _speeds(client)
    return [
        {
            "index": index,
            "name": str(descr[index]),
            "oper_status": OPER_STATUS.get(status.get(index), "unknown"),
            "in_octets": in_octets.get(index),
            "out_octets": out_octets.get(index),
            "speed_bps": speeds.get(index),
        }
        for index in sorted(descr)
    ]


async def _speeds(client: SnmpClient) -> dict[int, int]:
    """Each interface's speed in bit/s, from ifHighSpeed (Mbit/s) where set, else ifSpeed; zero is unknown."""
    try:
        high = await client.column(IF_HIGH_SPEED)
    except SnmpFailure:
        high = {}
    try:
        low = await client.column(IF_SPEED)
    except SnmpFailure:
        low = {}
    speeds = {index: int(value) * 1_000_000 for index, value in high.items() if int(value or 0) > 0}
    for index, value in low.items():
        if index not in speeds and int(value or 0) > 0:
            speeds[index] = int(value)
    return speeds


async def storage(client: SnmpClient) -> list[dict[str, Any]]:
    """HOST-RESOURCES-MIB hrStorage rows with sizes in bytes and the used percentage (None when size 0)."""
    descr = await client.column(HR_STORAGE_DESCR)
    kinds = await client.column(HR_STORAGE_TYPE)
    units = await client.column(HR_STORAGE_ALLOCATION_UNITS)
    sizes = await client.column(HR_STORAGE_SIZE)
    used = await client.column(HR_STORAGE_USED)
    rows = []
    for index in sorted(descr):
        unit = int(units.get(index) or 0)
        size = int(sizes.get(index) or 0) * unit
        in_use = int(used.get(index) or 0) * unit
        kind = str(kinds.get(index) or "")
        kind_name = "other"
        if kind.startswith(HR_STORAGE_TYPES) and kind[len(HR_STORAGE_TYPES) :].isdigit():
            kind_name = STORAGE_TYPES.get(int(kind[len(HR_STORAGE_TYPES) :]), "other")
        rows.append(
            {
                "index": index,
                "name": str(descr[index]),
                "type": kind_name,
                "size_bytes": size,
                "used_bytes": in_use,
                "used_pct": round(in_use * 100 / size, 1) if size else None,
            }
        )
    return rows
