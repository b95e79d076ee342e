"""Reading what inventory agents send: the FusionInventory XML and the GLPI Agent JSON, as one shape.

An agent's request body is decompressed (`decode_body`), then read (`read_message`) into an
`AgentMessage`: which format, which action (PROLOG or CONTACT, INVENTORY...), the agent's device id
and tag and, for an inventory, a `ComputerInventory` with what the CMDB keeps of a computer.

Both formats carry the same sections (the GLPI JSON format is the FusionInventory XML in lower
case, see ../shared/inventory-format/), so the XML is first turned into the JSON's shape and one
reader serves both. Every refusal is a `PayloadError` saying what is wrong and where, in the
words of the format that was sent ("REQUEST/CONTENT/HARDWARE: missing", "content.softwares[3].name:
missing", "not XML: mismatched tag: line 3, column 5").
"""

from __future__ import annotations

import gzip
import ipaddress
import json
import re
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as parse_xml

from cmdb.models import Kind, normalise_mac

FUSION_XML = "fusion_xml"
GLPI_JSON = "glpi_json"

# A compressed inventory of a few MB must not become gigabytes in memory (a "zip bomb").
MAX_PAYLOAD_BYTES = 64 * 1024 * 1024

# Values BIOSes and agents report when they know nothing (GLPI keeps similar lists).
JUNK_IDENTIFIERS = frozenset(
    {
        "", "0", "none", "n/a", "na", "null", "unknown", "not specified", "not available", "not applicable",
        "to be filled by o.e.m.", "to be filled by oem", "default string", "system serial number",
        "system product name", "system manufacturer", "system version", "chassis serial number",
        "base board serial number", "invalid", "serial", "0000000000", "00000000", "123456789", "1234567890",
        "o.e.m.", "oem", "empty", "xxxxxxxxxx",
        "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff",
        "03000200-0400-0500-0006-000700080009", "00020003-0004-0005-0006-000700080009",
    }
)  # fmt: skip
JUNK_MACS = frozenset({"00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff"})
MAX_SPEED_MBPS = 1_000_000

LAPTOP_CHASSIS = frozenset(
    {"laptop", "notebook", "portable", "sub notebook", "convertible", "detachable", "lunch box", "sub chassis"}
)
TABLET_CHASSIS = frozenset({"tablet", "hand held", "handheld"})
SERVER_CHASSIS = frozenset(
    {
        "server", "rack mount chassis", "main server chassis", "multi-system chassis", "blade",
        "blade enclosure", "expansion chassis", "rackmount",
    }
)  # fmt: skip
MOBILE_SYSTEMS = re.compile(r"\b(android|ios|ipados)\b", re.IGNORECASE)
# File systems that are not the machine's own disks.
NETWORK_FILESYSTEMS = frozenset({"nfs", "nfs4", "cifs", "smbfs", "afs", "fuse.sshfs", "tmpfs", "devtmpfs", "overlay"})


class PayloadError(ValueError):
    """What an agent sent cannot be used; the message says what and where."""


# =============================================================================
# The shapes
# =============================================================================


@dataclass(frozen=True)
class NetworkPort:
    """One network interface as the agent saw it (its IPv4 and IPv6 entries merged)."""

    name: str
    mac: str
    ip_address: str | None = None
    speed_mbps: int | None = None
    wireless: bool = False


@dataclass(frozen=True)
class Software:
    name: str
    publisher: str = ""
    version: str = ""
    installed_on: date | None = None


@dataclass
class ComputerInventory:
    """What the CMDB keeps of one computer's inventory, whichever agent and format sent it.

    `ports` and `software` are None when the agent did not report that section at all (a partial
    inventory, or `--no-category=software`): the CMDB then leaves what it has as it is.
    """

    hostname: str = ""
    uuid: str = ""
    serial: str = ""
    manufacturer: str = ""
    model_name: str = ""
    kind: str = Kind.DESKTOP
    virtual: bool = False
    os: str = ""
    cpu: str = ""
    memory_mb: int | None = None
    disk_gb: int | None = None
    ports: list[NetworkPort] | None = None
    software: list[Software] | None = None
    partial: bool = False

    @property
    def macs(self) -> list[str]:
        return [port.mac for port in self.ports or [] if port.mac]


@dataclass
class AgentMessage:
    """One request of an agent: a first contact (PROLOG / CONTACT) or an inventory."""

    format: str
    action: str  # "prolog", "contact", "inventory", or whatever else the agent asked for, lower case
    payload: bytes  # decompressed
    device_id: str = ""
    tag: str = ""
    inventory: ComputerInventory | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_contact(self) -> bool:
        return self.action in ("prolog", "contact")


# =============================================================================
# Bodies: zlib (the agents' default), gzip, or plain
# =============================================================================


def decode_body(body: bytes) -> bytes:
    """The request body decompressed: zlib or gzip by their magic bytes, else as it is."""
    if not body.strip():
        raise PayloadError("empty request: the agent sent nothing")
    if body[:2] == b"\x1f\x8b":
        return _bounded(zlib.decompressobj(16 + zlib.MAX_WBITS), body, "gzip")
    if body[:1] == b"\x78" and (body[0] * 256 + body[1]) % 31 == 0:  # a zlib header (RFC 1950)
        return _bounded(zlib.decompressobj(), body, "zlib")
    return body


def _bounded(decompressor: Any, body: bytes, name: str) -> bytes:
    try:
        data = decompressor.decompress(body, MAX_PAYLOAD_BYTES)
    except zlib.error as error:
        raise PayloadError(f"not valid {name} data: {error}") from error
    if decompressor.unconsumed_tail:
        raise PayloadError(f"the inventory is larger than {MAX_PAYLOAD_BYTES // (1024 * 1024)} MB once decompressed")
    if not decompressor.eof:
        raise PayloadError(f"truncated {name} data: the body ends before the compressed stream does")
    return data


def compress(data: bytes, how: str) -> bytes:
    """Compress a reply the way the agent compressed its request."""
    if how == "zlib":
        return zlib.compress(data)
    if how == "gzip":
        return gzip.compress(data)
    return data


def compression_of(body: bytes) -> str:
    if body[:2] == b"\x1f\x8b":
        return "gzip"
    if len(body) > 1 and body[:1] == b"\x78" and (body[0] * 256 + body[1]) % 31 == 0:
        return "zlib"
    return ""


def sniff_format(payload: bytes, content_type: str = "") -> str:
    """FusionInventory XML or GLPI JSON, from the first character (as GLPI does), else the content type."""
    start = payload.lstrip()[:1]
    if start == b"{":
        return GLPI_JSON
    if start == b"<":
        return FUSION_XML
    return GLPI_JSON if "json" in content_type else FUSION_XML


def read_message(payload: bytes, content_type: str = "") -> AgentMessage:
    """Read a decompressed request of either format."""
    start = payload.lstrip()[:1]
    if start == b"{":
        return _read_json(payload)
    if start == b"<":
        return _read_xml(payload)
    shown = payload[:20]
    raise PayloadError(
        f"neither XML nor JSON: the body starts with {shown!r}; send the agent's inventory "
        "(zlib-compressed or plain XML or JSON)"
    )


# =============================================================================
# FusionInventory XML
# =============================================================================

# Singular sections of CONTENT; every other section may repeat and is read as a list.
SINGLE_SECTIONS = frozenset({"hardware", "bios", "operatingsystem", "accesslog", "versionclient", "versionprovider"})
# Where the XML names a field differently from the JSON.
XML_RENAMES = {"networks": {"macaddr": "mac"}, "softwares": {"installdate": "install_date"}}


def _read_xml(payload: bytes) -> AgentMessage:
    root = _parse_xml(payload)
    if root.tag != "REQUEST":
        raise PayloadError(f"{root.tag}: the root element must be REQUEST")
    action = (root.findtext("QUERY") or "").strip()
    if not action:
        raise PayloadError("REQUEST/QUERY: missing (PROLOG or INVENTORY)")
    message = AgentMessage(
        format=FUSION_XML, action=action.lower(), payload=payload, device_id=(root.findtext("DEVICEID") or "").strip()
    )
    if message.action != "inventory":
        return message
    content = root.find("CONTENT")
    if content is None:
        raise PayloadError("REQUEST/CONTENT: missing")
    sections = _xml_sections(content)
    message.tag = _xml_tag(sections.get("accountinfo", []))
    message.inventory = _computer(sections, Where("xml"), partial=False, itemtype=root.findtext("ITEMTYPE") or "")
    return message


def _parse_xml(payload: bytes) -> Element:
    try:
        return parse_xml(payload, forbid_dtd=True)
    except DefusedXmlException as error:
        raise PayloadError(f"not accepted: {error} (DTDs and entities are refused)") from error
    except ParseError as error:
        if not _is_utf8(payload):
            # Some agents send ISO-8859-1 while declaring UTF-8; GLPI reads those too.
            try:
                text = payload.decode("latin-1")
                text = re.sub(r"^(<\?xml[^>]*?)encoding=['\"][^'\"]*['\"]", r"\1", text)
                return parse_xml(text.encode("utf-8"), forbid_dtd=True)
            except (ParseError, DefusedXmlException):
                pass
        line, column = getattr(error, "position", (0, 0))
        reason = str(error).split(":")[0]
        raise PayloadError(f"not XML: {reason}: line {line}, column {column + 1}") from error


def _is_utf8(payload: bytes) -> bool:
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _xml_sections(content: Element) -> dict[str, Any]:
    """CONTENT as the JSON format has it: lower-case names, repeated sections as lists."""
    sections: dict[str, Any] = {}
    for element in content:
        name = element.tag.lower()
        renames = XML_RENAMES.get(name, {})
        value = _xml_value(element, renames)
        if name in SINGLE_SECTIONS:
            sections.setdefault(name, value)
        else:
            sections.setdefault(name, []).append(value)
    return sections


def _xml_value(element: Element, renames: dict[str, str]) -> Any:
    children = list(element)
    if not children:
        return (element.text or "").strip()
    value: dict[str, Any] = {}
    for child in children:
        value.setdefault(renames.get(child.tag.lower(), child.tag.lower()), _xml_value(child, {}))
    return value


def _xml_tag(accountinfo: list[Any]) -> str:
    for entry in accountinfo:
        if isinstance(entry, dict) and str(entry.get("keyname", "")).upper() == "TAG":
            return str(entry.get("keyvalue") or "").strip()
    return ""


# =============================================================================
# GLPI Agent JSON
# =============================================================================


def _read_json(payload: bytes) -> AgentMessage:
    try:
        document = json.loads(payload)
    except UnicodeDecodeError as error:
        raise PayloadError(f"not JSON: not UTF-8 text ({error.reason} at byte {error.start})") from error
    except json.JSONDecodeError as error:
        raise PayloadError(f"not JSON: {error.msg}: line {error.lineno}, column {error.colno}") from error
    if not isinstance(document, dict):
        raise PayloadError(f"not an inventory: the JSON is a {type(document).__name__}, not an object")
    action = document.get("action", "inventory")
    if not isinstance(action, str) or not action:
        raise PayloadError("action: must be a word such as contact or inventory")
    device_id = document.get("deviceid")
    message = AgentMessage(format=GLPI_JSON, action=action.lower(), payload=payload)
    if device_id is not None and not isinstance(device_id, str):
        raise PayloadError("deviceid: must be a string")
    message.device_id = clean_text(device_id or "")
    tag = document.get("tag") or ""
    message.tag = clean_text(tag if isinstance(tag, str) else str(tag))
    if message.action != "inventory":
        return message
    if not message.device_id:
        raise PayloadError("deviceid: missing (the inventory format requires the agent's device id)")
    content = document.get("content")
    if content is None:
        raise PayloadError("content: missing (the inventory format requires it)")
    if not isinstance(content, dict):
        raise PayloadError("content: must be an object")
    if not message.tag:
        message.tag = _xml_tag(_as_list(content.get("accountinfo")))
    itemtype = document.get("itemtype", "Computer")
    partial = document.get("partial", False) is True
    message.inventory = _computer(content, Where("json"), partial=partial, itemtype=str(itemtype or ""))
    return message


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


# =============================================================================
# One reader for both: the computer
# =============================================================================


class Where:
    """Names a place in the payload in the words of the format that was sent."""

    def __init__(self, style: str) -> None:
        self.style = style

    def __call__(self, section: str, index: int | None = None, name: str | None = None) -> str:
        if self.style == "xml":
            path = f"REQUEST/CONTENT/{section.upper()}"
            if index is not None:
                path += f"[{index + 1}]"
            return f"{path}/{name.upper()}" if name else path
        path = f"content.{section}"
        if index is not None:
            path += f"[{index}]"
        return f"{path}.{name}" if name else path


def _computer(sections: dict[str, Any], where: Where, *, partial: bool, itemtype: str) -> ComputerInventory:
    if itemtype and itemtype.lower() not in ("computer", "phone", "unmanaged"):
        raise PayloadError(
            f"itemtype {itemtype}: not handled here; FITS takes computer inventories (network equipment and "
            "printers are recorded in the CMDB by hand)"
        )
    hardware = _section(sections, "hardware", where, required=not partial)
    bios = _section(sections, "bios", where)
    system = _section(sections, "operatingsystem", where)

    inventory = ComputerInventory(partial=partial)
    inventory.hostname = _text(hardware, "name")
    inventory.uuid = _identifier(_text(hardware, "uuid"))
    inventory.serial = _identifier(_text(bios, "ssn"))
    inventory.manufacturer = _identifier(_text(bios, "smanufacturer") or _text(bios, "mmanufacturer"))
    inventory.model_name = _identifier(_text(bios, "smodel") or _text(bios, "mmodel"))
    inventory.os = _os_name(system, hardware)
    inventory.memory_mb = _number(hardware.get("memory"), where("hardware", name="memory"))
    inventory.cpu = _cpu(_list(sections, "cpus", where))
    if "storages" in sections or not partial:  # a partial inventory of volumes alone says nothing of the disks
        inventory.disk_gb = _disk_gb(_list(sections, "storages", where), _list(sections, "drives", where), where)
    vmsystem = _text(hardware, "vmsystem")
    inventory.virtual = bool(vmsystem) and vmsystem.lower() != "physical"
    inventory.kind = _kind(_text(hardware, "chassis_type"), inventory, itemtype)
    if "networks" in sections:
        inventory.ports = _ports(_list(sections, "networks", where), where)
    if "softwares" in sections:
        inventory.software = _software(_list(sections, "softwares", where), where)
    if not partial and not (inventory.hostname or inventory.uuid or inventory.serial or inventory.macs):
        raise PayloadError(
            f"{where('hardware')}: no name, UUID, serial number or MAC address: nothing tells which computer this is"
        )
    return inventory


def _section(sections: dict[str, Any], name: str, where: Where, *, required: bool = False) -> dict[str, Any]:
    value = sections.get(name)
    if value is None or value == "":
        if required:
            raise PayloadError(f"{where(name)}: missing")
        return {}
    if not isinstance(value, dict):
        raise PayloadError(
            f"{where(name)}: must be {'an element with fields' if where.style == 'xml' else 'an object'}"
        )
    return value


def _list(sections: dict[str, Any], name: str, where: Where) -> list[dict[str, Any]]:
    value = sections.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise PayloadError(f"{where(name)}: must be a list")
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise PayloadError(f"{where(name, index)}: must be {'an element' if where.style == 'xml' else 'an object'}")
    return value


def _text(section: dict[str, Any], name: str) -> str:
    value = section.get(name)
    if value is None or isinstance(value, dict | list):
        return ""
    return clean_text(str(value))


def clean_text(value: str) -> str:
    """Text a database takes: no NUL characters, no lone surrogates (JSON allows both)."""
    return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8").strip()


def _identifier(value: str) -> str:
    """An identifier, or "" for the placeholders BIOSes report ("To Be Filled By O.E.M.")."""
    value = " ".join(value.split())
    return "" if value.lower() in JUNK_IDENTIFIERS else value


def _number(value: Any, where: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise PayloadError(f"{where}: must be a number, not {value!r}")
    try:
        number = float(str(value).strip())
    except ValueError as error:
        raise PayloadError(f"{where}: must be a number, not {value!r}") from error
    return int(number) if number >= 0 else None


def _os_name(system: dict[str, Any], hardware: dict[str, Any]) -> str:
    name = _text(system, "full_name") or _text(system, "name") or _text(hardware, "osname")
    version = _text(system, "version") or _text(hardware, "osversion")
    if version and version not in name:
        name = f"{name} {version}".strip()
    service_pack = _text(system, "service_pack")
    if service_pack and service_pack not in name:
        name = f"{name} {service_pack}"
    return name


def _cpu(cpus: list[dict[str, Any]]) -> str:
    names = [_text(cpu, "name") or _text(cpu, "description") for cpu in cpus]
    names = [name for name in names if name]
    if not names:
        return ""
    return names[0] if len(names) == 1 else f"{len(names)} × {names[0]}"


def _disk_gb(storages: list[dict[str, Any]], drives: list[dict[str, Any]], where: Where) -> int | None:
    """The size of the machine's disks (storages), else of its local file systems (drives); agents give MB."""
    total = 0
    for index, storage in enumerate(storages):
        kind = _text(storage, "type").lower()
        if kind and kind not in ("disk", "hdd", "ssd", "nvme"):
            continue  # CD-ROM drives, card readers, removable media
        total += _number(storage.get("disksize"), where("storages", index, "disksize")) or 0
    if not total:
        for index, drive in enumerate(drives):
            if _text(drive, "filesystem").lower() in NETWORK_FILESYSTEMS:
                continue
            total += _number(drive.get("total"), where("drives", index, "total")) or 0
    return round(total / 1000) if total else None


def _kind(chassis: str, inventory: ComputerInventory, itemtype: str) -> str:
    chassis = chassis.lower()
    if itemtype.lower() == "phone" or chassis in TABLET_CHASSIS or MOBILE_SYSTEMS.search(inventory.os):
        return Kind.TABLET
    if chassis in LAPTOP_CHASSIS:
        return Kind.LAPTOP
    if chassis in SERVER_CHASSIS or inventory.virtual or "server" in inventory.os.lower():
        return Kind.SERVER
    return Kind.DESKTOP


def _ports(networks: list[dict[str, Any]], where: Where) -> list[NetworkPort]:
    """The machine's network interfaces with a MAC address, one per interface.

    Loopback is skipped, and so are virtual interfaces (bridges, tunnels, containers' veths) when
    the agent reports any physical one; on macOS every interface is reported virtual, so then all
    are kept.
    """
    found: dict[str, dict[str, Any]] = {}
    for index, network in enumerate(networks):
        name = _text(network, "description") or _text(network, "name")
        if network.get("type") == "loopback" or name in ("lo", "lo0"):
            continue
        raw_mac = _text(network, "mac")
        try:
            mac = normalise_mac(raw_mac)
        except ValueError:
            mac = ""  # a malformed MAC is not worth refusing the whole inventory for
        if not name and not mac:
            continue
        if not name:
            raise PayloadError(f"{where('networks', index, 'description')}: missing (the interface's name)")
        entry = found.setdefault(
            name, {"macs": [], "ipv4": None, "ipv6": None, "speed": None, "wireless": False, "virtual": True}
        )
        if mac and mac not in JUNK_MACS and mac not in entry["macs"]:
            entry["macs"].append(mac)
        entry["ipv4"] = entry["ipv4"] or _address(_text(network, "ipaddress"), 4)
        entry["ipv6"] = entry["ipv6"] or _address(_text(network, "ipaddress6"), 6)
        entry["speed"] = entry["speed"] or _speed(network.get("speed"))
        entry["wireless"] = entry["wireless"] or _text(network, "type").lower() in ("wifi", "wireless", "802.11")
        entry["virtual"] = entry["virtual"] and str(network.get("virtualdev", "0")).lower() in ("1", "true")
    with_mac = {name: entry for name, entry in found.items() if entry["macs"]}
    physical = {name: entry for name, entry in with_mac.items() if not entry["virtual"]}
    chosen = physical or with_mac
    ports, names = [], set()
    for name, entry in chosen.items():
        for mac in entry["macs"]:
            port_name = name[:64]
            if port_name in names:  # Windows names interfaces by adapter; two of a kind share a name
                port_name = f"{name[: 64 - 20]} ({mac})"
            names.add(port_name)
            ports.append(
                NetworkPort(
                    name=port_name,
                    mac=mac,
                    ip_address=entry["ipv4"] or entry["ipv6"],
                    speed_mbps=entry["speed"],
                    wireless=entry["wireless"],
                )
            )
    return ports


def _address(value: str, version: int) -> str | None:
    try:
        address = ipaddress.ip_address(value.split("/")[0].split("%")[0])
    except ValueError:
        return None
    if address.version != version or address.is_loopback or address.is_link_local or address.is_unspecified:
        return None
    return str(address)


def _speed(value: Any) -> int | None:
    """Mbit/s; agents send "1000", "-1" (unknown), "1073.741824" or "1 Gb/s"."""
    match = re.match(r"\s*([\d.]+)\s*([GgMmKk]?)", str(value or ""))
    if not match:
        return None
    try:
        number = float(match.group(1))
    except ValueError:
        return None
    number *= {"g": 1000, "k": 0.001}.get(match.group(2).lower(), 1)
    # macOS reports an unknown speed as 2**63 bits; nothing real is faster than 1 Tbit/s.
    return int(number) if 1 <= number <= MAX_SPEED_MBPS else None


def _software(softwares: list[dict[str, Any]], where: Where) -> list[Software]:
    found: dict[tuple[str, str, str], Software] = {}
    for index, software in enumerate(softwares):
        name = " ".join(_text(software, "name").split())[:200]
        if not name:
            if where.style == "json":
                raise PayloadError(f"{where('softwares', index, 'name')}: missing")
            continue  # FusionInventory lists nameless Windows updates; skip them
        publisher = " ".join(_text(software, "publisher").split())[:200]
        version = _text(software, "version")[:100]
        key = (name, publisher, version)
        if key not in found:  # the same package for two architectures is one installation here
            found[key] = Software(name, publisher, version, _date(_text(software, "install_date")))
    return list(found.values())


def _date(value: str) -> date | None:
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d"):
        try:
            day = datetime.strptime(value, pattern).date()  # noqa: DTZ007 - a calendar date, no time zone
        except ValueError:
            continue
        return day if day > date(1970, 1, 1) else None
    return None
