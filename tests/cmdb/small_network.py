"""A small school network built through cmdb.services, for the page and API tests.

firewall - core switch - edge switch - patch panel - wall socket - PC in Classroom 4, a server on the
core with the MIS running on it, and a printer straight on the edge switch. Names, serials, asset tags
and the PC's MAC address are fixed, so tests can search for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.utils import timezone

from cmdb import services
from cmdb.models import ConfigurationItem, Kind, Location, Port, PortKind, Relationship
from fits.models import School, User


@dataclass
class Network:
    school: School
    items: dict[str, ConfigurationItem] = field(default_factory=dict)
    ports: dict[str, Port] = field(default_factory=dict)
    rooms: dict[str, Location] = field(default_factory=dict)

    def __getitem__(self, key: str) -> ConfigurationItem:
        return self.items[key]


def build(school: School, actor: User, prefix: str = "HF") -> Network:
    net = Network(school=school)
    today = timezone.localdate()

    def ci(key: str, kind: str, name: str, room: str | None = None, **fields: Any) -> ConfigurationItem:
        net.items[key] = services.ci_create(
            school=school, actor=actor, kind=kind, name=name, location=net.rooms.get(room), **fields
        )
        return net.items[key]

    def port(key: str, item: str, name: str, **fields: Any) -> Port:
        net.ports[key] = services.port_create(ci=net.items[item], actor=actor, name=name, **fields)
        return net.ports[key]

    def cable(a: str, b: str, label: str) -> None:
        services.cable_connect(a_port=net.ports[a], b_port=net.ports[b], actor=actor, label=label)

    site = services.location_create(school=school, actor=actor, kind="site", name="Main site")
    block = services.location_create(school=school, actor=actor, kind="building", name="Junior block", parent=site)
    net.rooms = {"site": site, "block": block}
    for room in ("Comms cupboard", "Classroom 4", "School office"):
        net.rooms[room] = services.location_create(school=school, actor=actor, kind="room", name=room, parent=block)

    ci("firewall", Kind.FIREWALL, f"{prefix}-FW-01", "Comms cupboard")
    ci(
        "core",
        Kind.SWITCH,
        f"{prefix}-CORE-01",
        "Comms cupboard",
        attributes={"port_count": 24, "firmware": "17.9"},
        serial="FOC1234X0AB",
        asset_tag=f"{prefix}-0001",
        management_address="10.20.0.2",
        warranty_end=today + timedelta(days=30),
    )
    ci(
        "edge",
        Kind.SWITCH,
        f"{prefix}-EDGE-JUN",
        "Comms cupboard",
        attributes={"port_count": 24},
        warranty_end=today - timedelta(days=10),
    )
    ci("panel", Kind.PATCH_PANEL, f"{prefix}-PP-JUN", "Comms cupboard", attributes={"port_count": 24})
    ci("socket", Kind.WALL_SOCKET, f"{prefix}-C4-01", "Classroom 4")
    ci(
        "pc",
        Kind.DESKTOP,
        f"{prefix}-C4-PC01",
        "Classroom 4",
        attributes={"memory_mb": 16384},
        serial="5CG1234XYZ",
        warranty_end=today + timedelta(days=400),
    )
    ci("printer", Kind.PRINTER, f"{prefix}-OFF-PRN", "School office", attributes={"colour": True})
    ci("server", Kind.SERVER, f"{prefix}-SRV-01", "Comms cupboard", attributes={"role": "MIS"})
    ci("mis", Kind.SERVICE, "MIS", attributes={"purpose": "management", "criticality": "high"})
    services.relationship_add(source=net["mis"], target=net["server"], actor=actor, kind=Relationship.Kind.RUNS_ON)

    port("fw", "firewall", "lan1")
    port("core_up", "core", "gi1/0/24", is_uplink=True)
    port("core_edge", "core", "gi1/0/1")
    port("core_srv", "core", "gi1/0/2")
    port("edge_up", "edge", "gi1/0/24", is_uplink=True)
    port("edge_1", "edge", "gi1/0/1")
    port("edge_2", "edge", "gi1/0/2")
    port("panel_rear", "panel", "rear 1", kind=PortKind.REAR)
    port("panel_front", "panel", "1", kind=PortKind.FRONT, rear_port=net.ports["panel_rear"])
    port("socket_rear", "socket", "rear", kind=PortKind.REAR)
    port("socket_front", "socket", "front", kind=PortKind.FRONT, rear_port=net.ports["socket_rear"])
    port("pc", "pc", "eth0", mac="00-1A-2B-3C-4D-5E")
    port("printer", "printer", "eth0")
    port("srv", "server", "eth0")

    cable("core_up", "fw", "Firewall to core")
    cable("core_edge", "edge_up", "Core to junior block")
    cable("core_srv", "srv", "Server")
    cable("edge_1", "panel_front", "PP-JUN 1 patch")
    cable("panel_rear", "socket_rear", "PP-JUN 1 to C4-01")
    cable("socket_front", "pc", "C4-01 lead")
    cable("edge_2", "printer", "Printer")
    return net
