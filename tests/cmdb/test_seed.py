"""The demo network seed_demo builds: a believable school network, read through the API as a technician would.

One test per run of the seed (it builds three schools' networks through the services, a few seconds).
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from cmdb.models import ConfigurationItem, Kind, Licence, Relationship
from incidents.models import Incident

pytestmark = pytest.mark.django_db

SERVICES = {"Internet access", "E-mail", "Learning platform", "MIS", "Printing", "File storage"}


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def api_as(username: str):
    from rest_framework.test import APIClient

    from fits.models import User

    client = APIClient()
    client.force_authenticate(User.objects.get(username=username))
    return client


def test_the_demo_network_core_switch_impact_and_a_classroom_trace(seeded_demo):
    output = seeded_demo
    assert "Demo ready: 3 schools, 21 incidents added." in output
    client = api_as("tech")

    # The core switch: the edge switches, the rooms and PCs behind them, the services that rely on them.
    core = ConfigurationItem.objects.get(school__slug="highfield", name="HF-CORE-01")
    body = client.get(f"/api/cmdb/items/{core.pk}/impact/").json()
    direct = {row["ci"]["display"] for row in body["items"] if row["depth"] == 1}
    assert {"HF-EDGE-MAIN", "HF-EDGE-INF", "HF-EDGE-JUN", "HF-EDGE-ICT"} <= direct
    affected = {row["ci"]["display"]: row for row in body["items"]}
    ict_pcs = [name for name in affected if name.startswith("HF-ICT-PC")]
    assert len(ict_pcs) == 30 and affected["HF-ICT-PC17"]["via"]["display"] == "HF-EDGE-ICT"
    assert {"HF-C4-PC01", "HF-SCI-PRJ", "HF-OFF-PRN", "HF-HALL-AP"} <= set(affected)
    rooms = {room["display"] for room in body["rooms"]}
    assert {
        "Main site / Junior block / ICT suite",
        "Main site / Junior block / Classroom 4",
        "Main site / Infant block / Classroom 1",
        "Main site / Main building / School office",
    } <= rooms
    assert {service["display"] for service in body["services"]} == SERVICES
    # The firewall and router are upstream of the core, not behind it.
    assert "HF-FW-01" not in affected and "HF-RTR-01" not in affected
    upstream = client.get(f"/api/cmdb/items/{core.pk}/depends-on/").json()
    assert [row["ci"]["display"] for row in upstream["items"]] == ["HF-FW-01", "HF-RTR-01"]

    # A classroom socket traces to its switch port through the patch panel.
    socket = ConfigurationItem.objects.get(school__slug="highfield", name="HF-C4-01")
    front = socket.ports.get(name="front")
    trace = client.get(f"/api/cmdb/ports/{front.pk}/trace/").json()
    hops = [port["display"] for port in trace["ports"]]
    assert trace["complete"] is True
    assert hops[0].startswith("HF-EDGE-JUN gi1/0/") and hops[1:3] == ["HF-PP-JUN 1", "HF-PP-JUN rear 1"]
    assert hops[3:5] == ["HF-C4-01 rear", "HF-C4-01 front"] and hops[-1] == "HF-C4-PC01 eth0"

    # The same on the page.
    from django.test import Client

    from fits.models import User

    page = Client()
    page.force_login(User.objects.get(username="netmgr"))
    response = page.get(f"/cmdb/{core.pk}/?tab=relationships")
    assert response.status_code == 200
    assert {s.name for s in response.context["impact"].services} == SERVICES
    assert page.get(f"/cmdb/ports/{front.pk}/").context["path"].complete


def test_the_demo_is_believable_and_seeding_again_adds_nothing(seeded_demo):
    for slug, ict_suite in (("highfield", 30), ("riverside", 12), ("westfield", 10)):
        items = ConfigurationItem.objects.filter(school__slug=slug)
        kinds = set(items.values_list("kind", flat=True))
        assert {
            Kind.SWITCH,
            Kind.ROUTER,
            Kind.FIREWALL,
            Kind.SERVER,
            Kind.PATCH_PANEL,
            Kind.WALL_SOCKET,
            Kind.DESKTOP,
            Kind.DISPLAY,
            Kind.PRINTER,
            Kind.ACCESS_POINT,
            Kind.SERVICE,
        } <= kinds, slug
        assert items.filter(kind=Kind.SERVER).count() == 2
        assert items.filter(location__name="ICT suite", kind=Kind.DESKTOP).count() == ict_suite + 1  # and the teacher's
        assert set(items.filter(kind=Kind.SERVICE).values_list("name", flat=True)) == SERVICES
        uplinks = items.filter(kind=Kind.SWITCH).exclude(ports__is_uplink=True)
        assert not uplinks.exists(), f"{slug}: switches without an uplink: {list(uplinks)}"
        assert Licence.objects.filter(school__slug=slug).count() == 4
    assert Relationship.objects.filter(source__name="Printing", kind="runs_on", target__name="HF-SRV-02").exists()
    assert Relationship.objects.filter(source__name="E-mail", target__name="Internet access").count() == 3
    # Some of the week's incidents are about a configuration item.
    projector = Incident.objects.get(school__slug="highfield", title="Projector shows no picture")
    assert projector.ci.name == "HF-SCI-PRJ" and projector.ci.location.name == "Science lab"
    # 18 in the week, 3 recurring on a projector, and the storage demo's failed and missed backups (the system's).
    assert Incident.objects.filter(ci__isnull=False).count() == 23
    assert Incident.objects.filter(ci__isnull=False, title__startswith="Backup ").count() == 2
    # History: who changed what.
    core = ConfigurationItem.objects.get(name="HF-CORE-01")
    assert core.history.first().history_user.username == "netmgr"
    assert ConfigurationItem.objects.filter(status="in_repair").count() == 3
    before = ConfigurationItem.objects.count()
    assert "Networks: 0 configuration items added." in seed()
    assert ConfigurationItem.objects.count() == before
