"""The CMDB API: /api/cmdb/items/ and its actions, locations, ports and traces, cables, relationships,
software, installations and licences."""

from __future__ import annotations

import pytest

from cmdb import services
from cmdb.models import (
    Cable,
    ConfigurationItem,
    Licence,
    LicenceSeat,
    Port,
    Relationship,
    SoftwareInstallation,
    SoftwareProduct,
)
from tests.cmdb.small_network import build

pytestmark = pytest.mark.django_db


@pytest.fixture
def net(highfield, netmgr):
    return build(highfield, netmgr)


@pytest.fixture
def elsewhere(riverside, tech2):
    return build(riverside, tech2, prefix="RV")


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def names(response) -> set[str]:
    return {row["display"] for row in results(response)}


def errors(response) -> dict[str, list[str]]:
    """drf-standardized-errors' list, as {attribute: [messages]}."""
    found: dict[str, list[str]] = {}
    for error in response.json()["errors"]:
        found.setdefault(error["attr"] or "", []).append(error["detail"])
    return found


# =============================================================================
# Items: list, filters, one item
# =============================================================================


def test_items_are_the_schools_own(net, elsewhere, api_for, tech, consultant):
    assert {"HF-CORE-01", "MIS"} <= names(api_for(tech).get("/api/cmdb/items/?limit=100"))
    assert not any(name.startswith("RV-") for name in names(api_for(tech).get("/api/cmdb/items/?limit=100")))
    both = names(api_for(consultant).get("/api/cmdb/items/?kind=switch"))
    assert both == {"HF-CORE-01", "HF-EDGE-JUN", "RV-CORE-01", "RV-EDGE-JUN"}


def test_items_filter_like_the_page(net, api_for, tech):
    client = api_for(tech)
    assert names(client.get("/api/cmdb/items/?kind=switch&kind=firewall")) == {"HF-CORE-01", "HF-EDGE-JUN", "HF-FW-01"}
    assert names(client.get(f"/api/cmdb/items/?location_id={net.rooms['block'].pk}&group=computers")) == {
        "HF-C4-PC01",
        "HF-SRV-01",
    }
    assert names(client.get("/api/cmdb/items/?q=00-1a-2b-3c-4d-5e")) == {"HF-C4-PC01"}
    assert names(client.get("/api/cmdb/items/?warranty=expired")) == {"HF-EDGE-JUN"}
    assert names(client.get("/api/cmdb/items/?status=retired")) == set()
    assert client.get("/api/cmdb/items/?kind=toaster").status_code == 400


def test_filtering_by_another_school_finds_nothing(net, elsewhere, api_for, tech):
    response = api_for(tech).get("/api/cmdb/items/?school=riverside")
    assert response.status_code == 400 or response.json()["results"] == []


def test_one_item_in_full_and_brief(net, api_for, tech):
    core = api_for(tech).get(f"/api/cmdb/items/{net['core'].pk}/").json()
    assert core["school"] == "highfield" and core["kind"] == "switch" and core["status"] == "live"
    assert core["location"]["display"] == "Main site / Junior block / Comms cupboard"
    assert core["attributes"] == {"port_count": 24, "firmware": "17.9"}
    assert core["actions"] == ["repair", "stock", "retire"]
    brief = api_for(tech).get("/api/cmdb/items/?brief=1&kind=firewall").json()["results"][0]
    assert set(brief) == {"id", "url", "display", "kind", "status"}


def test_another_schools_item_is_404_and_ict_users_see_no_cmdb(net, elsewhere, api_for, tech, staff):
    assert api_for(tech).get(f"/api/cmdb/items/{elsewhere['core'].pk}/").status_code == 404
    assert api_for(tech).get(f"/api/cmdb/items/{elsewhere['core'].pk}/impact/").status_code == 404
    client = api_for(staff)
    for prefix in ("items", "locations", "ports", "cables", "relationships", "software", "installations", "licences"):
        assert results(client.get(f"/api/cmdb/{prefix}/")) == [], prefix
    assert client.get(f"/api/cmdb/items/{net['core'].pk}/").status_code == 404


# =============================================================================
# Recording, changing, moving along the lifecycle
# =============================================================================


def test_record_an_item(net, api_for, netmgr):
    response = api_for(netmgr).post(
        "/api/cmdb/items/",
        {
            "school": "highfield",
            "name": "HF-AP-HALL",
            "kind": "access_point",
            "location": net.rooms["block"].pk,
            "status": "in_stock",
            "attributes": {"band": "dual", "ssids": "Staff"},
            "serial": "UBNT1",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "in_stock" and body["attributes"] == {"band": "dual", "ssids": "Staff"}
    assert ConfigurationItem.objects.get(pk=body["id"]).history.first().history_user == netmgr


def test_bad_attributes_are_a_400_naming_them(net, api_for, netmgr):
    response = api_for(netmgr).post(
        "/api/cmdb/items/",
        {"school": "highfield", "name": "PP", "kind": "patch_panel", "attributes": {"colour": "red"}},
        format="json",
    )
    assert response.status_code == 400
    assert errors(response)["attributes"] == [
        "colour: not an attribute of a patch panel",
        "Ports: required for a patch panel",
    ]


def test_nobody_records_at_another_school_or_with_its_location(net, elsewhere, api_for, tech, desk):
    client = api_for(tech)
    response = client.post("/api/cmdb/items/", {"school": "riverside", "name": "X", "kind": "desktop"}, format="json")
    assert response.status_code == 400 and "school" in errors(response)
    response = client.post(
        "/api/cmdb/items/",
        {"school": "highfield", "name": "X", "kind": "desktop", "location": elsewhere.rooms["block"].pk},
        format="json",
    )
    assert response.status_code == 400 and "location" in errors(response)
    response = api_for(desk).post("/api/cmdb/items/", {"school": "highfield", "name": "X", "kind": "desktop"})
    assert response.status_code == 403
    assert not ConfigurationItem.objects.filter(name="X").exists()


def test_change_an_item_but_not_its_status(net, api_for, tech):
    client = api_for(tech)
    url = f"/api/cmdb/items/{net['core'].pk}/"
    response = client.patch(url, {"serial": "NEW1", "attributes": {"port_count": 48}}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["serial"] == "NEW1" and response.json()["attributes"] == {"port_count": 48}
    response = client.patch(url, {"status": "retired"}, format="json")
    assert response.status_code == 400 and "transition" in errors(response)["status"][0]
    response = client.patch(url, {"attributes": {"port_count": -1}}, format="json")
    assert errors(response)["attributes"] == ["Ports: cannot be negative"]
    assert ConfigurationItem.objects.get(pk=net["core"].pk).status == "live"


def test_transition(net, api_for, tech, desk):
    url = f"/api/cmdb/items/{net['pc'].pk}/transition/"
    response = api_for(tech).post(url, {"action": "retire"}, format="json")
    assert response.status_code == 400
    assert errors(response)["note"] == ["Why is it retired? is required to retire."]
    response = api_for(tech).post(url, {"action": "retire", "note": "Replaced by a laptop"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "retired"
    assert response.json()["actions"] == ["deploy", "stock", "dispose"]
    response = api_for(tech).post(url, {"action": "repair", "note": "x"}, format="json")
    assert response.status_code == 400
    assert "Cannot send for repair a record that is retired" in str(response.json())
    assert api_for(desk).post(url, {"action": "deploy"}, format="json").status_code == 403


# =============================================================================
# Impact, depends-on, history, activity
# =============================================================================


def test_impact_lists_downstream_items_by_depth_rooms_and_services(net, api_for, tech):
    body = api_for(tech).get(f"/api/cmdb/items/{net['core'].pk}/impact/").json()
    assert body["root"]["display"] == "HF-CORE-01"
    items = {(row["ci"]["display"], row["depth"], row["via"]["display"], row["how"]) for row in body["items"]}
    assert items == {
        ("HF-EDGE-JUN", 1, "HF-CORE-01", "is cabled to"),
        ("HF-SRV-01", 1, "HF-CORE-01", "is cabled to"),
        ("HF-C4-PC01", 2, "HF-EDGE-JUN", "is cabled to"),
        ("HF-OFF-PRN", 2, "HF-EDGE-JUN", "is cabled to"),
        ("MIS", 2, "HF-SRV-01", "runs on"),
    }
    pc = next(row for row in body["items"] if row["ci"]["display"] == "HF-C4-PC01")
    assert pc["ci"]["location"] == "Main site / Junior block / Classroom 4"
    assert [room["display"] for room in body["rooms"]] == [
        "Main site / Junior block / Classroom 4",
        "Main site / Junior block / Comms cupboard",
        "Main site / Junior block / School office",
    ]
    assert [service["display"] for service in body["services"]] == ["MIS"]


def test_depends_on_walks_upstream(net, api_for, tech):
    body = api_for(tech).get(f"/api/cmdb/items/{net['mis'].pk}/depends-on/").json()
    assert [(row["ci"]["display"], row["how"]) for row in body["items"]] == [
        ("HF-SRV-01", "runs on"),
        ("HF-CORE-01", "is cabled to"),
        ("HF-FW-01", "is cabled to"),
    ]
    assert body["services"] == []


def test_history_says_who_changed_what(net, api_for, netmgr, tech):
    services.ci_update(ci=net["core"], actor=tech, serial="NEW1", location=net.rooms["Classroom 4"])
    services.ci_transition(ci=net["core"], action="repair", actor=tech, note="PSU")
    body = api_for(tech).get(f"/api/cmdb/items/{net['core'].pk}/history/").json()
    newest, changed, created = body["results"]
    assert newest["user"]["username"] == "tech" and newest["type"] == "changed"
    assert newest["changes"] == [{"field": "status", "label": "Status", "old": "Live", "new": "In repair"}]
    assert {(c["label"], c["old"], c["new"]) for c in changed["changes"]} == {
        ("Location", "Main site / Junior block / Comms cupboard", "Main site / Junior block / Classroom 4"),
        ("Serial number", "FOC1234X0AB", "NEW1"),
    }
    assert created["type"] == "created" and created["user"]["username"] == "netmgr"
    activity = api_for(tech).get(f"/api/cmdb/items/{net['core'].pk}/activity/").json()["results"]
    assert activity[-1]["kind"] == "status" and activity[-1]["text"] == "PSU"


# =============================================================================
# Locations, ports and traces, cables, relationships
# =============================================================================


def test_locations(net, api_for, netmgr):
    client = api_for(netmgr)
    rooms = names(client.get(f"/api/cmdb/locations/?kind=room&parent_id={net.rooms['block'].pk}"))
    assert rooms == {
        "Main site / Junior block / Comms cupboard",
        "Main site / Junior block / Classroom 4",
        "Main site / Junior block / School office",
    }
    response = client.post(
        "/api/cmdb/locations/",
        {"school": "highfield", "kind": "room", "name": "Hall", "parent": net.rooms["block"].pk},
        format="json",
    )
    assert response.status_code == 201 and response.json()["path"] == "Main site / Junior block / Hall"
    response = client.post("/api/cmdb/locations/", {"school": "highfield", "kind": "room", "name": "Loft"})
    assert response.status_code == 400 and errors(response)["parent"] == ["A room belongs to a building."]


def test_ports_and_the_trace_from_a_classroom_socket(net, api_for, tech):
    client = api_for(tech)
    ports = results(client.get(f"/api/cmdb/ports/?ci_id={net['edge'].pk}"))
    by_name = {port["name"]: port for port in ports}
    assert by_name["gi1/0/1"]["connected_endpoint"]["display"] == "HF-C4-PC01 eth0"
    assert by_name["gi1/0/24"]["is_uplink"] is True
    assert names(client.get("/api/cmdb/ports/?mac=001A2B3C4D5E")) == {"HF-C4-PC01 eth0"}
    body = client.get(f"/api/cmdb/ports/{net.ports['socket_front'].pk}/trace/").json()
    assert body["complete"] is True
    assert [port["display"] for port in body["ports"]] == [
        "HF-EDGE-JUN gi1/0/1",
        "HF-PP-JUN 1",
        "HF-PP-JUN rear 1",
        "HF-C4-01 rear",
        "HF-C4-01 front",
        "HF-C4-PC01 eth0",
    ]
    assert [link["display"] if link else None for link in body["links"]] == [
        "PP-JUN 1 patch",
        None,
        "PP-JUN 1 to C4-01",
        None,
        "C4-01 lead",
    ]


def test_add_a_port_connect_and_disconnect_a_cable(net, api_for, netmgr):
    client = api_for(netmgr)
    response = client.post("/api/cmdb/ports/", {"ci": net["core"].pk, "name": "gi1/0/3", "speed_mbps": 1000})
    assert response.status_code == 201, response.content
    spare = response.json()["id"]
    laptop = services.ci_create(school=net.school, actor=netmgr, kind="laptop", name="HF-LT-01")
    nic = services.port_create(ci=laptop, actor=netmgr, name="eth0", mac="aa:bb:cc:dd:ee:ff")
    response = client.post("/api/cmdb/cables/", {"a_port": spare, "b_port": nic.pk, "label": "Desk"}, format="json")
    assert response.status_code == 201, response.content
    cable = response.json()
    assert {cable["a_port"]["display"], cable["b_port"]["display"]} == {"HF-CORE-01 gi1/0/3", "HF-LT-01 eth0"}
    assert Port.objects.get(pk=nic.pk).connected_endpoint_id == spare
    response = client.post("/api/cmdb/cables/", {"a_port": spare, "b_port": net.ports["printer"].pk}, format="json")
    assert response.status_code == 400 and "already has a cable" in str(response.json())
    assert client.delete(f"/api/cmdb/cables/{cable['id']}/").status_code == 204
    assert not Cable.objects.filter(pk=cable["id"]).exists()


def test_a_cable_across_schools_is_impossible(net, elsewhere, api_for, admin_user, tech, netmgr, tech2):
    ours = services.port_create(ci=net["core"], actor=netmgr, name="gi1/0/3")
    theirs = services.port_create(ci=elsewhere["core"], actor=tech2, name="gi1/0/3")
    response = api_for(tech).post("/api/cmdb/cables/", {"a_port": ours.pk, "b_port": theirs.pk}, format="json")
    assert response.status_code == 400 and "b_port" in errors(response)  # not even a choice for tech
    response = api_for(admin_user).post("/api/cmdb/cables/", {"a_port": ours.pk, "b_port": theirs.pk}, format="json")
    assert response.status_code == 400 and "A cable cannot join ports of two schools." in str(response.json())
    assert not Cable.objects.filter(a_port=ours).exists()


def test_relationships(net, elsewhere, api_for, netmgr):
    client = api_for(netmgr)
    rows = results(client.get(f"/api/cmdb/relationships/?ci_id={net['server'].pk}"))
    assert [(row["source"]["display"], row["kind"], row["target"]["display"]) for row in rows] == [
        ("MIS", "runs_on", "HF-SRV-01")
    ]
    response = client.post(
        "/api/cmdb/relationships/", {"source": net["printer"].pk, "target": net["server"].pk}, format="json"
    )
    assert response.status_code == 201 and response.json()["display"] == "HF-OFF-PRN depends on HF-SRV-01"
    response = client.post(
        "/api/cmdb/relationships/", {"source": net["printer"].pk, "target": elsewhere["server"].pk}, format="json"
    )
    assert response.status_code == 400 and "target" in errors(response)
    link = Relationship.objects.get(source=net["printer"])
    assert client.delete(f"/api/cmdb/relationships/{link.pk}/").status_code == 204
    assert not Relationship.objects.filter(pk=link.pk).exists()


# =============================================================================
# Software and licences
# =============================================================================


def test_software_installations_and_licences(net, api_for, tech, staff, highfield):
    product = SoftwareProduct.objects.create(school=highfield, name="Sophos Intercept X", publisher="Sophos")
    for item in (net["pc"], net["server"]):
        SoftwareInstallation.objects.create(school=highfield, ci=item, product=product, version="2024.2")
    licence = Licence.objects.create(school=highfield, product=product, seats=1, reference="SOP-1")
    LicenceSeat.objects.create(school=highfield, licence=licence, ci=net["pc"])
    LicenceSeat.objects.create(school=highfield, licence=licence, user=staff)
    client = api_for(tech)
    (row,) = results(client.get("/api/cmdb/software/"))
    assert (row["display"], row["installations"], row["seats_bought"]) == ("Sophos Intercept X", 2, 1)
    installed = results(client.get(f"/api/cmdb/installations/?product_id={product.pk}"))
    assert {row["ci"]["display"] for row in installed} == {"HF-C4-PC01", "HF-SRV-01"}
    (row,) = results(client.get("/api/cmdb/licences/"))
    assert (row["seats"], row["seats_used"], row["installed"]) == (1, 2, 2)
    holders = {(h["ci"] or {}).get("display") or h["user"]["username"] for h in row["holders"]}
    assert holders == {"HF-C4-PC01", "staff"}


def test_the_schema_describes_the_cmdb(anonymous_client):
    schema = anonymous_client.get("/api/schema/?format=json").json()
    for path in (
        "/api/cmdb/items/",
        "/api/cmdb/items/{id}/impact/",
        "/api/cmdb/items/{id}/depends-on/",
        "/api/cmdb/items/{id}/transition/",
        "/api/cmdb/items/{id}/history/",
        "/api/cmdb/ports/{id}/trace/",
        "/api/cmdb/cables/",
        "/api/cmdb/licences/",
    ):
        assert path in schema["paths"], path


@pytest.fixture
def anonymous_client():
    from rest_framework.test import APIClient

    return APIClient()


def test_record_software_install_it_and_uninstall_it(net, api_for, tech, desk, highfield):
    client = api_for(tech)
    response = client.post("/api/cmdb/software/", {"school": "highfield", "name": "Scratch", "publisher": "MIT"})
    assert response.status_code == 201, response.content
    product = response.json()["id"]
    again = client.post("/api/cmdb/software/", {"school": "highfield", "name": "scratch", "publisher": "MIT"})
    assert again.status_code == 400 and "already has Scratch by MIT" in errors(again)["name"][0]
    assert api_for(desk).post("/api/cmdb/software/", {"school": "highfield", "name": "X"}).status_code == 403
    response = client.post("/api/cmdb/installations/", {"ci": net["pc"].pk, "product": product, "version": "3.29"})
    assert response.status_code == 201, response.content
    assert (response.json()["version"], response.json()["source"]) == ("3.29", "manual")
    refused = client.post("/api/cmdb/installations/", {"ci": net["mis"].pk, "product": product})
    assert refused.status_code == 400 and "installed on devices" in str(refused.json())
    installation = SoftwareInstallation.objects.get(pk=response.json()["id"])
    assert api_for(desk).delete(f"/api/cmdb/installations/{installation.pk}/").status_code == 403
    assert client.delete(f"/api/cmdb/installations/{installation.pk}/").status_code == 204
    assert not SoftwareInstallation.objects.filter(pk=installation.pk).exists()


def test_software_of_another_school_cannot_be_installed_or_licensed(net, elsewhere, api_for, tech, tech2, riverside):
    theirs = services.software_product_create(school=riverside, actor=tech2, name="Purple Mash")
    client = api_for(tech)
    refused = client.post("/api/cmdb/installations/", {"ci": net["pc"].pk, "product": theirs.pk})
    assert refused.status_code == 400 and "product" in errors(refused)
    refused = client.post("/api/cmdb/licences/", {"school": "highfield", "product": theirs.pk, "seats": 5})
    assert refused.status_code == 400 and "product" in errors(refused)
    refused = client.post("/api/cmdb/licences/", {"school": "riverside", "product": theirs.pk, "seats": 5})
    assert refused.status_code == 400 and not Licence.objects.exists()


def test_licences_are_recorded_changed_and_their_seats_assigned(net, api_for, tech, desk, staff, highfield):
    product = services.software_product_create(school=highfield, actor=tech, name="SMART Notebook")
    client = api_for(tech)
    response = client.post(
        "/api/cmdb/licences/", {"school": "highfield", "product": product.pk, "seats": 1, "reference": "SM-1"}
    )
    assert response.status_code == 201, response.content
    licence = response.json()
    assert (licence["seats"], licence["seats_used"], licence["model"]) == (1, 0, "device")
    url = f"/api/cmdb/licences/{licence['id']}/"
    bad = client.patch(url, {"starts_on": "2025-09-01", "expires_on": "2025-08-31"})
    assert bad.status_code == 400 and errors(bad)["expires_on"] == ["A licence expires after it starts."]
    assert client.patch(url, {"product": product.pk}).status_code == 400
    assert api_for(desk).patch(url, {"seats": 3}).status_code == 403
    response = client.post(f"{url}assign/", {"ci": net["pc"].pk})
    assert response.status_code == 201 and response.json()["seats_used"] == 1
    full = client.post(f"{url}assign/", {"ci": net["server"].pk})
    assert full.status_code == 400 and "All 1 seat of SMART Notebook" in str(full.json())
    assert client.patch(url, {"seats": None, "model": "site"}, format="json").json()["seats"] is None
    assert client.post(f"{url}assign/", {"user": staff.pk}).status_code == 201
    assert api_for(desk).post(f"{url}release/", {"user": staff.pk}).status_code == 403
    response = client.post(f"{url}release/", {"user": staff.pk})
    assert response.status_code == 200 and response.json()["seats_used"] == 1
    assert client.post(f"{url}release/", {"user": staff.pk}).status_code == 400
    seat = LicenceSeat.objects.get()
    assert client.post(f"{url}release/", {"seat": seat.pk}).json()["seats_used"] == 0


def test_ports_are_changed_and_removed(net, api_for, tech, desk):
    client = api_for(tech)
    url = f"/api/cmdb/ports/{net.ports['printer'].pk}/"
    response = client.patch(url, {"vlan": 30, "speed_mbps": 100, "mac": "AA-BB-CC-DD-EE-FF"})
    assert response.status_code == 200, response.content
    assert (response.json()["vlan"], response.json()["mac"]) == (30, "aa:bb:cc:dd:ee:ff")
    assert errors(client.patch(url, {"vlan": 5000}))["vlan"] == ["A VLAN is between 1 and 4094."]
    assert client.patch(url, {"ci": net["pc"].pk}).status_code == 400
    assert api_for(desk).patch(url, {"vlan": 40}).status_code == 403
    refused = client.delete(url)
    assert refused.status_code == 400 and "disconnect the cable first" in str(refused.json())
    spare = services.port_create(ci=net["printer"], actor=tech, name="usb")
    assert client.delete(f"/api/cmdb/ports/{spare.pk}/").status_code == 204
    assert not Port.objects.filter(pk=spare.pk).exists()
