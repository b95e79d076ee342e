"""Cable traces through patch panels and wall sockets, and impact analysis over cabling and relationships."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cmdb import services
from cmdb.models import Kind, Location, Port, PortKind, Relationship
from cmdb.topology import depends_on, impact, trace

pytestmark = pytest.mark.django_db


@pytest.fixture
def network(highfield, netmgr):
    """A small school network: firewall - core - edge - panel - socket - PC, and a server with the MIS."""

    def ci(kind, name, room=None, **attributes):
        return services.ci_create(school=highfield, actor=netmgr, kind=kind, name=name, location=room,
                                  attributes=attributes)  # fmt: skip

    def port(item, name, **fields):
        return services.port_create(ci=item, actor=netmgr, name=name, **fields)

    def cable(a, b, label):
        return services.cable_connect(a_port=a, b_port=b, actor=netmgr, label=label)

    site = services.location_create(school=highfield, actor=netmgr, kind=Location.Kind.SITE, name="Main site")
    block = services.location_create(school=highfield, actor=netmgr, kind="building", name="Main block", parent=site)
    comms = services.location_create(school=highfield, actor=netmgr, kind="room", name="Comms room", parent=block)
    class1 = services.location_create(school=highfield, actor=netmgr, kind="room", name="Classroom 1", parent=block)

    n = {}
    n["firewall"] = ci(Kind.FIREWALL, "FW-01", comms)
    n["core"] = ci(Kind.SWITCH, "CORE-01", comms, port_count=24)
    n["edge"] = ci(Kind.SWITCH, "EDGE-A", comms, port_count=24)
    n["panel"] = ci(Kind.PATCH_PANEL, "PP-A", comms, port_count=24)
    n["socket"] = ci(Kind.WALL_SOCKET, "C1-01", class1)
    n["pc"] = ci(Kind.DESKTOP, "C1-PC01", class1)
    n["server"] = ci(Kind.SERVER, "SRV-01", comms)
    n["mis"] = ci(Kind.SERVICE, "MIS", None, purpose="management")
    services.relationship_add(source=n["mis"], target=n["server"], actor=netmgr, kind=Relationship.Kind.RUNS_ON)

    p = {}
    p["fw"] = port(n["firewall"], "lan1")
    p["core_fw"] = port(n["core"], "gi1/0/48", is_uplink=True)
    p["core_edge"] = port(n["core"], "gi1/0/1")
    p["core_srv"] = port(n["core"], "gi1/0/2")
    p["edge_up"] = port(n["edge"], "gi1/0/48", is_uplink=True)
    p["edge_1"] = port(n["edge"], "gi1/0/1")
    p["panel_rear"] = port(n["panel"], "rear 1", kind=PortKind.REAR)
    p["panel_front"] = port(n["panel"], "1", kind=PortKind.FRONT, rear_port=p["panel_rear"])
    p["socket_rear"] = port(n["socket"], "rear", kind=PortKind.REAR)
    p["socket_front"] = port(n["socket"], "front", kind=PortKind.FRONT, rear_port=p["socket_rear"])
    p["pc"] = port(n["pc"], "eth0", mac="00-1A-2B-3C-4D-5E")
    p["srv"] = port(n["server"], "eth0")

    cable(p["core_fw"], p["fw"], "FW uplink")
    cable(p["core_edge"], p["edge_up"], "Core to A")
    cable(p["socket_front"], p["pc"], "C1 patch lead")  # the room end first, the rest later
    cable(p["panel_rear"], p["socket_rear"], "C1-01 permanent link")
    cable(p["edge_1"], p["panel_front"], "PP-A 1 patch")
    cable(p["core_srv"], p["srv"], "Server")
    return n, p


def test_a_trace_from_a_classroom_socket_reaches_its_switch_port_through_the_patch_panel(network):
    n, p = network
    path = trace(p["socket_front"])
    names = [str(port) for port in path.ports]
    assert names == ["EDGE-A gi1/0/1", "PP-A 1", "PP-A rear 1", "C1-01 rear", "C1-01 front", "C1-PC01 eth0"]
    assert [str(link) if link else None for link in path.links] == [
        "PP-A 1 patch",
        None,
        "C1-01 permanent link",
        None,
        "C1 patch lead",
    ]
    assert path.complete


def test_the_two_ends_of_a_path_know_each_other_whatever_order_it_was_cabled_in(network):
    n, p = network
    pc, switch_port = Port.objects.get(pk=p["pc"].pk), Port.objects.get(pk=p["edge_1"].pk)
    assert pc.connected_endpoint_id == switch_port.pk
    assert switch_port.connected_endpoint_id == pc.pk
    assert pc.mac == "00:1a:2b:3c:4d:5e"
    # The panel and socket ports are on the path, not ends of it.
    assert Port.objects.get(pk=p["panel_front"].pk).connected_endpoint_id is None


def test_impact_of_the_core_switch_lists_what_is_behind_it_and_the_services_that_rely_on_it(network):
    n, p = network
    result = impact(n["core"])
    names = {a.ci.name for a in result.items}
    assert names == {"EDGE-A", "C1-PC01", "SRV-01", "MIS"}  # not the firewall: it is upstream
    assert [s.name for s in result.services] == ["MIS"]
    assert [room.path for room in result.rooms] == [
        "Main site / Main block / Classroom 1",
        "Main site / Main block / Comms room",
    ]
    pc = next(a for a in result.items if a.ci.name == "C1-PC01")
    assert (pc.depth, pc.via.name, pc.how) == (2, "EDGE-A", "is cabled to")


def test_an_end_device_affects_nothing_and_depends_on_the_path_to_the_core(network):
    n, p = network
    assert impact(n["pc"]).items == []
    assert [a.ci.name for a in depends_on(n["pc"]).items] == ["EDGE-A", "CORE-01", "FW-01"]
    assert [a.ci.name for a in depends_on(n["mis"]).items] == ["SRV-01", "CORE-01", "FW-01"]


def test_disconnecting_a_cable_breaks_the_path(network, netmgr):
    n, p = network
    permanent = Port.objects.get(pk=p["panel_rear"].pk).cable
    services.cable_disconnect(cable=permanent, actor=netmgr)
    assert Port.objects.get(pk=p["pc"].pk).connected_endpoint_id is None
    assert Port.objects.get(pk=p["edge_1"].pk).connected_endpoint_id is None
    assert "C1-PC01" not in {a.ci.name for a in impact(n["core"]).items}
    assert not trace(p["pc"]).complete


def test_a_port_holds_one_cable_and_a_cable_never_joins_two_schools(network, netmgr, riverside, tech2):
    n, p = network
    with pytest.raises(ValidationError, match="already has a cable"):
        services.cable_connect(a_port=p["pc"], b_port=p["srv"], actor=netmgr)
    other = services.ci_create(school=riverside, actor=tech2, kind=Kind.SWITCH, name="R-SW")
    far = services.port_create(ci=other, actor=tech2, name="1")
    spare = services.port_create(ci=n["core"], actor=netmgr, name="gi1/0/3")
    with pytest.raises(ValidationError, match="two schools"):
        services.cable_connect(a_port=spare, b_port=far, actor=netmgr)


def test_impact_costs_two_queries_a_level_however_many_items(network, highfield, netmgr):
    n, p = network
    for i in range(40):  # forty more PCs straight on the edge switch
        pc = services.ci_create(school=highfield, actor=netmgr, kind=Kind.DESKTOP, name=f"PC-{i:02d}")
        sw = services.port_create(ci=n["edge"], actor=netmgr, name=f"fa0/{i}")
        services.cable_connect(a_port=sw, b_port=services.port_create(ci=pc, actor=netmgr, name="eth0"), actor=netmgr)
    with CaptureQueriesContext(connection) as queries:
        result = impact(n["core"])
    assert len(result.items) == 44
    levels = max(a.depth for a in result.items) + 1  # the last level finds nothing more
    assert len(queries) <= 2 * levels + 1
