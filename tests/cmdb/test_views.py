"""The CMDB pages: the list and its filters, an item's tabs, the forms, lifecycle moves, ports, cables,
relationships, traces, locations, software and licences."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cmdb import services
from cmdb.models import (
    KIND_ATTRIBUTES,
    Cable,
    ConfigurationItem,
    Kind,
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
    """Riverside's own network, which nobody at highfield may see or touch."""
    return build(riverside, tech2, prefix="RV")


def names_listed(response) -> set[str]:
    assert response.status_code == 200, response.status_code
    return {row.record.name for row in response.context["table"].page.object_list}


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def html(response) -> str:
    return response.content.decode()


def text(response) -> str:
    """What the page says: its text without the tags, white space collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html(response))).replace(" .", ".").replace(" ,", ",")


# =============================================================================
# The list
# =============================================================================


def test_the_list_shows_the_schools_items_and_not_another_schools(net, elsewhere, client_for, tech):
    names = names_listed(client_for(tech).get("/cmdb/?group=network"))
    assert {"HF-CORE-01", "HF-EDGE-JUN", "HF-FW-01"} <= names
    assert not any(name.startswith("RV-") for name in names)


def test_the_list_filters_by_kind_group_status_and_location(net, client_for, tech, netmgr):
    client = client_for(tech)
    assert names_listed(client.get("/cmdb/?kind=switch")) == {"HF-CORE-01", "HF-EDGE-JUN"}
    assert names_listed(client.get("/cmdb/?kind=switch&kind=firewall")) == {"HF-CORE-01", "HF-EDGE-JUN", "HF-FW-01"}
    assert names_listed(client.get("/cmdb/?group=cabling")) == {"HF-PP-JUN", "HF-C4-01"}
    assert names_listed(client.get("/cmdb/?group=software")) == {"MIS"}
    services.ci_transition(ci=net["printer"], action="repair", actor=netmgr, note="Fuser unit")
    assert names_listed(client.get("/cmdb/?status=in_repair")) == {"HF-OFF-PRN"}
    room = net.rooms["Classroom 4"]
    assert names_listed(client.get(f"/cmdb/?location_id={room.pk}")) == {"HF-C4-01", "HF-C4-PC01"}
    # A building or a site includes everything in its rooms.
    in_block = names_listed(client.get(f"/cmdb/?location_id={net.rooms['site'].pk}"))
    assert {"HF-C4-PC01", "HF-OFF-PRN", "HF-CORE-01"} <= in_block and "MIS" not in in_block
    assert names_listed(client.get("/cmdb/?location=Classroom 4")) == {"HF-C4-01", "HF-C4-PC01"}


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("core", {"HF-CORE-01"}),  # name
        ("FOC1234X0AB", {"HF-CORE-01"}),  # serial
        ("hf-0001", {"HF-CORE-01"}),  # asset tag, any case
        ("10.20.0.2", {"HF-CORE-01"}),  # management address
        ("00:1A:2B:3C:4D:5E", {"HF-C4-PC01"}),  # MAC of a port, in any notation
        ("001a.2b3c.4d5e", {"HF-C4-PC01"}),
        ("3c:4d:5e", {"HF-C4-PC01"}),  # the end of a MAC
    ],
)
def test_search_finds_an_item_by_any_identifier(net, client_for, tech, q, found):
    assert names_listed(client_for(tech).get("/cmdb/", {"q": q})) == found


def test_the_warranty_filter(net, client_for, tech):
    client = client_for(tech)
    assert names_listed(client.get("/cmdb/?warranty=expired")) == {"HF-EDGE-JUN"}
    assert names_listed(client.get("/cmdb/?warranty=expiring")) == {"HF-CORE-01"}
    assert names_listed(client.get("/cmdb/?warranty=covered")) == {"HF-CORE-01", "HF-C4-PC01"}


def test_the_list_is_paginated_and_counts_groups(net, client_for, tech):
    response = client_for(tech).get("/cmdb/")
    assert response.context["table"].page.paginator.per_page == 25
    tabs = {t["slug"]: t["count"] for t in response.context["group_tabs"]}
    assert tabs == {"": 9, "computers": 2, "peripherals": 1, "network": 3, "cabling": 2, "software": 1}


def test_the_list_rows_are_what_the_sites_table_template_writes(net, elsewhere, client_for, consultant, netmgr):
    """ConfigurationItemTable.tbody_rows writes each cell itself (cmdb/_ci_table.html): the same HTML as
    django-tables2's BoundRow through django_tables2/fits_table.html, for every kind of cell."""
    from datetime import date, timedelta
    from decimal import Decimal
    from itertools import count

    from django.template.loader import render_to_string
    from django.utils import timezone

    today = timezone.localdate()
    site = net.rooms["site"]
    services.ci_create(school=net.school, actor=netmgr, kind=Kind.DESKTOP, name='<b>"PC" & co</b>', location=site,
                       manufacturer="Dell & Sons", model_name="<Opti>", serial="S<1>", asset_tag="T&1",
                       management_address="10.0.0.1 <lab>", warranty_end=today + timedelta(days=30),
                       purchase_cost=Decimal("1.00"))  # fmt: skip
    services.ci_create(school=net.school, actor=netmgr, kind=Kind.LAPTOP, name="Nowhere", serial="SN-9",
                       warranty_end=today - timedelta(days=1))  # fmt: skip
    services.ci_create(school=net.school, actor=netmgr, kind=Kind.PRINTER, name="Block printer",
                       location=net.rooms["block"], warranty_end=date(2031, 1, 5))  # fmt: skip
    for viewer, url in ((consultant, "/cmdb/?per_page=100"), (netmgr, "/cmdb/?per_page=5&page=2&sort=-warranty_end")):
        response = client_for(viewer).get(url)
        table, request = response.context["table"], response.wsgi_request
        context = {"table": table, "noun": "item", "caption": "Configuration items"}
        table._counter = count()
        reference = render_to_string("django_tables2/fits_table.html", context, request)
        table._counter = count()
        assert render_to_string("cmdb/_ci_table.html", context, request) == reference
        assert reference.count("<tr ") == len(table.page.object_list) > 2
    assert "&lt;b&gt;&quot;PC&quot; &amp; co&lt;/b&gt;" in html(client_for(consultant).get("/cmdb/?per_page=100"))


def test_the_tabs_and_the_pager_count_up_to_a_cap(net, client_for, tech, monkeypatch):
    """A list of an authority's 250,000 CIs counts up to 10,000 and says "10,000+" (here a cap of 3)."""
    from cmdb import views

    monkeypatch.setattr(views, "COUNT_CAP", 3)
    client = client_for(tech)
    response = client.get("/cmdb/?per_page=2")
    tabs = {t["slug"]: (t["count"], t["more"]) for t in response.context["group_tabs"]}
    assert tabs == {"": (3, True), "computers": (2, False), "peripherals": (1, False), "network": (3, False),
                    "cabling": (2, False), "software": (1, False)}  # fmt: skip
    assert "1–2 of 3+ items" in html(response) and ">3+</span>" in html(response)
    assert len(names_listed(response)) == 2
    # A page further down counts as far as it: page 4 of 2 each needs 8 (and one more, for the next page).
    response = client.get("/cmdb/?per_page=2&page=4")
    assert "7–8 of 8+ items" in html(response) and len(names_listed(response)) == 2
    assert response.context["table"].page.has_next()
    # Only the list's own tab counts that far; the others stop at the cap, and read as on the first page.
    assert response.context["view"].tab_counts["tabs"] == {"": 9, "computers": 2, "peripherals": 1, "network": 3,
                                                           "cabling": 2, "software": 1}  # fmt: skip
    assert {t["slug"]: (t["count"], t["more"]) for t in response.context["group_tabs"]} == tabs
    network = client.get("/cmdb/?per_page=2&page=2&group=network").context["view"].tab_counts["tabs"]
    assert network == {"": 4, "computers": 2, "peripherals": 1, "network": 3, "cabling": 2, "software": 1}
    response = client.get("/cmdb/?per_page=2&page=5")
    assert "9–9 of 9 items" in html(response) and len(names_listed(response)) == 1
    # Under the cap the counts are exact, as before.
    monkeypatch.setattr(views, "COUNT_CAP", 10_000)
    assert "1–2 of 9 items" in html(client.get("/cmdb/?per_page=2"))


def test_the_pages_of_the_list_are_the_sorted_list_cut_in_pieces(net, elsewhere, client_for, consultant):
    client = client_for(consultant)
    everything = [row.record.pk for row in client.get("/cmdb/?per_page=100").context["table"].page.object_list]
    pieces = []
    for page in (1, 2, 3, 4, 5):  # 4, 4, 4, 4 and 2; the two MIS services, one at each school, in one order
        response = client.get(f"/cmdb/?per_page=4&page={page}")
        pieces += [row.record.pk for row in response.context["table"].page.object_list]
    assert pieces == everything and len(everything) == 18


def test_an_authoritys_rooms_wait_for_a_school_to_be_chosen(net, elsewhere, client_for, consultant, monkeypatch):
    from cmdb import views

    client = client_for(consultant)
    assert 'value="" disabled>Choose a school' not in html(client.get("/cmdb/"))
    monkeypatch.setattr(views, "LOCATION_OPTIONS_MAX", 6)  # each school has 5 rooms, buildings and sites
    page = client.get("/cmdb/")
    assert page.context["locations_need_school"] and 'value="" disabled>Choose a school' in html(page)
    assert "Main site / Junior block" not in str(page.context["location_options"])
    room = net.rooms["Classroom 4"]
    chosen = client.get(f"/cmdb/?location_id={room.pk}")
    assert f'<option value="{room.pk}" selected>{room.path} (Highfield' in html(chosen)
    narrowed = client.get("/cmdb/?school=riverside")
    assert not narrowed.context["locations_need_school"]
    assert "(Riverside Academy)" in narrowed.context["location_options"]
    assert "(Highfield" not in narrowed.context["location_options"]


def test_a_consultant_filters_by_school(net, elsewhere, client_for, consultant):
    client = client_for(consultant)
    names = names_listed(client.get("/cmdb/?kind=switch"))
    assert names == {"HF-CORE-01", "HF-EDGE-JUN", "RV-CORE-01", "RV-EDGE-JUN"}
    assert names_listed(client.get("/cmdb/?kind=switch&school=riverside")) == {"RV-CORE-01", "RV-EDGE-JUN"}
    page = html(client.get("/cmdb/"))
    assert 'name="school"' in page and "Riverside Academy" in page


def test_ict_users_find_no_cmdb(net, client_for, staff):
    client = client_for(staff)
    for url in ("/cmdb/", "/cmdb/new/", f"/cmdb/{net['core'].pk}/", "/cmdb/locations/", "/cmdb/licences/"):
        assert client.get(url).status_code == 404, url


def test_the_desk_reads_the_cmdb_but_is_not_offered_changes(net, client_for, desk):
    client = client_for(desk)
    listing = text(client.get("/cmdb/"))
    assert "HF-CORE-01" in listing and "Record an item" not in listing
    detail = client.get(f"/cmdb/{net['core'].pk}/")
    assert detail.status_code == 200 and detail.context["actions"] == []
    assert "Edit details" not in text(detail)
    response = client.get("/cmdb/new/")
    assert response.status_code == 302 and response["Location"] == "/cmdb/"


# =============================================================================
# One item, in tabs
# =============================================================================

TABS = ["overview", "ports", "relationships", "software", "history", "records"]


@pytest.mark.parametrize("kind", list(Kind))
def test_every_tab_renders_for_every_kind(kind, highfield, netmgr, client_for):
    required = {name: 24 if a.type is int else "learning" for name, a in KIND_ATTRIBUTES[kind].items() if a.required}
    ci = services.ci_create(school=highfield, actor=netmgr, kind=kind, name=f"A {kind}", attributes=required)
    client = client_for(netmgr)
    for tab in TABS:
        response = client.get(f"/cmdb/{ci.pk}/?tab={tab}")
        assert response.status_code == 200, tab
        assert response.context["tab"] == tab


def test_another_schools_item_answers_404_on_every_tab_and_form(elsewhere, client_for, tech):
    client = client_for(tech)
    pk = elsewhere["core"].pk
    for url in [f"/cmdb/{pk}/?tab={tab}" for tab in TABS] + [
        f"/cmdb/{pk}/edit/",
        f"/cmdb/{pk}/ports/new/",
        f"/cmdb/{pk}/cables/new/",
        f"/cmdb/{pk}/relationships/new/",
        f"/cmdb/ports/{elsewhere.ports['pc'].pk}/",
    ]:
        assert client.get(url).status_code == 404, url
    for url in (f"/cmdb/{pk}/edit/", f"/cmdb/{pk}/ports/new/", f"/cmdb/{pk}/repair/"):
        assert client.post(url, {"name": "x", "note": "x"}).status_code == 404, url
    cable = Port.objects.get(pk=elsewhere.ports["pc"].pk).cable
    assert client.post(f"/cmdb/cables/{cable.pk}/remove/").status_code == 404
    assert Cable.objects.filter(pk=cable.pk).exists()


def test_the_overview_says_what_fails_with_it(net, client_for, tech):
    page = text(client_for(tech).get(f"/cmdb/{net['core'].pk}/"))
    assert "FOC1234X0AB" in page and "Main site / Junior block / Comms cupboard" in page
    assert "5 other items in 3 rooms are affected, and 1 service: MIS." in page
    assert "Switch details" in page and "17.9" in page


def test_the_impact_tab_lists_levels_rooms_and_services(net, client_for, tech):
    response = client_for(tech).get(f"/cmdb/{net['core'].pk}/?tab=relationships")
    levels = response.context["impact_levels"]
    assert [(level["depth"], level["count"]) for level in levels] == [(1, 2), (2, 3)]
    labels = {group["label"] for level in levels for group in level["groups"]}
    assert labels == {"Cabled behind HF-CORE-01", "Cabled behind HF-EDGE-JUN", "Relying on HF-SRV-01 (runs on)"}
    page = html(response)
    assert 'id="impact-services"' in page and "MIS" in page
    rooms = dict(response.context["impact_rooms"])
    assert [room.name for room in rooms["Main site / Junior block"]] == [
        "Classroom 4",
        "Comms cupboard",
        "School office",
    ]
    # Upstream: the firewall, through the core's uplink.
    assert [a.ci.name for a in response.context["upstream"].items] == ["HF-FW-01"]


def test_the_ports_tab_shows_cables_and_the_far_end(net, client_for, tech):
    response = client_for(tech).get(f"/cmdb/{net['edge'].pk}/?tab=ports")
    rows = {row["port"].name: row for row in response.context["port_rows"]}
    assert [name for name in rows] == ["gi1/0/1", "gi1/0/2", "gi1/0/24"]
    assert rows["gi1/0/1"]["neighbour"].ci.name == "HF-PP-JUN"
    assert rows["gi1/0/1"]["port"].connected_endpoint.ci.name == "HF-C4-PC01"
    assert "Disconnect" in text(response)


def test_the_records_tab_lists_the_incidents_about_it(net, client_for, tech, log_incident, staff):
    incident = log_incident(net.school, by=tech, title="Printer jams", ci=net["printer"])
    log_incident(net.school, by=tech, title="Something else")
    response = client_for(tech).get(f"/cmdb/{net['printer'].pk}/?tab=records")
    (tab,) = [t for t in response.context["tabs"] if t["slug"] == "records"]
    assert tab["label"].startswith("Incidents") and tab["count"] == 1  # "and problems" since that app exists
    page = text(response)
    assert incident.reference in page and "Printer jams" in page and "Something else" not in page


def test_the_software_tab(net, client_for, tech, highfield):
    product = SoftwareProduct.objects.create(school=highfield, name="SMART Notebook", publisher="SMART")
    SoftwareInstallation.objects.create(school=highfield, ci=net["pc"], product=product, version="22.1")
    licence = Licence.objects.create(school=highfield, product=product, seats=1)
    LicenceSeat.objects.create(school=highfield, licence=licence, ci=net["pc"])
    page = html(client_for(tech).get(f"/cmdb/{net['pc'].pk}/?tab=software"))
    assert "SMART Notebook" in page and "22.1" in page and f"/cmdb/licences/{licence.pk}/" in page


def test_the_detail_tabs_cost_the_same_however_big_the_item(net, highfield, netmgr, client_for):
    client = client_for(netmgr)
    core = net["core"]

    def counts() -> dict[str, int]:
        found = {}
        for tab in TABS:
            client.get(f"/cmdb/{core.pk}/?tab={tab}")
            with CaptureQueriesContext(connection) as queries:
                assert client.get(f"/cmdb/{core.pk}/?tab={tab}").status_code == 200
            found[tab] = len(queries)
        return found

    before = counts()
    for i in range(3, 15):  # more ports, cables, PCs behind them, relationships, edits
        pc = services.ci_create(
            school=highfield, actor=netmgr, kind=Kind.DESKTOP, name=f"PC-{i}", location=net.rooms["Classroom 4"]
        )
        services.cable_connect(
            a_port=services.port_create(ci=core, actor=netmgr, name=f"gi1/0/{i}"),
            b_port=services.port_create(ci=pc, actor=netmgr, name="eth0"),
            actor=netmgr,
        )
        services.relationship_add(source=pc, target=core, actor=netmgr, kind=Relationship.Kind.CONNECTED_TO)
        services.ci_update(ci=core, actor=netmgr, notes=f"Patched {i}")
    assert counts() == before


# =============================================================================
# Recording and editing an item
# =============================================================================


def test_recording_starts_with_the_kind(client_for, netmgr, highfield):
    client = client_for(netmgr)
    picker = client.get("/cmdb/new/")
    assert picker.context["choose_kind"] and "?kind=switch" in html(picker)
    form = client.get("/cmdb/new/?kind=switch").context["form"]
    assert {"attr_port_count", "attr_managed", "attr_firmware", "attr_poe"} <= set(form.fields)
    assert form.fields["school"].widget.is_hidden


def ci_data(**overrides):
    data = {
        "kind": "switch",
        "name": "HF-EDGE-INF",
        "initial_status": "live",
        "location": "",
        "owner": "",
        "attr_port_count": "48",
        "attr_managed": "yes",
        "attr_firmware": "15.2",
        "attr_poe": "",
    }
    return {**data, **overrides}


def test_record_a_switch_with_its_attributes(client_for, netmgr, highfield, net):
    response = client_for(netmgr).post("/cmdb/new/?kind=switch", ci_data(location=net.rooms["Comms cupboard"].pk))
    ci = ConfigurationItem.objects.get(name="HF-EDGE-INF")
    assert response.status_code == 302 and response["Location"] == f"/cmdb/{ci.pk}/"
    assert ci.attributes == {"port_count": 48, "managed": True, "firmware": "15.2"}
    assert ci.location.name == "Comms cupboard" and ci.status == "live" and ci.school == highfield


def test_attribute_errors_are_shown_on_their_fields(client_for, netmgr, highfield):
    client = client_for(netmgr)
    response = client.post("/cmdb/new/?kind=switch", ci_data(attr_port_count="lots", attr_managed="perhaps"))
    form = response.context["form"]
    assert response.status_code == 200
    assert form.errors["attr_port_count"] == ["Must be a whole number."]
    assert form.errors["attr_managed"] == ["Must be yes or no."]
    assert "Ports: Must be a whole number." in text(response)  # the summary at the top links to the field
    response = client.post("/cmdb/new/?kind=patch_panel", ci_data(kind="patch_panel", attr_port_count=""))
    assert response.context["form"].errors["attr_port_count"] == ["This field is required."]
    response = client.post("/cmdb/new/?kind=service", ci_data(kind="service", attr_purpose="fun"))
    assert response.context["form"].errors["attr_purpose"] == ["Must be one of learning, teaching, management."]
    assert not ConfigurationItem.objects.exists()


def test_the_services_own_errors_land_on_their_fields(client_for, netmgr, net):
    response = client_for(netmgr).post("/cmdb/new/?kind=switch", ci_data(asset_tag="HF-0001"))
    assert response.context["form"].errors["asset_tag"] == ["Asset tag HF-0001 is already used by HF-CORE-01."]


def test_another_schools_location_is_not_offered(client_for, tech, net, elsewhere):
    form = client_for(tech).get("/cmdb/new/?kind=desktop").context["form"]
    assert net.rooms["Classroom 4"] in form.fields["location"].queryset
    assert elsewhere.rooms["Classroom 4"] not in form.fields["location"].queryset
    response = client_for(tech).post(
        "/cmdb/new/?kind=desktop", ci_data(kind="desktop", name="Sneaky", location=elsewhere.rooms["Classroom 4"].pk)
    )
    assert "location" in response.context["form"].errors
    assert not ConfigurationItem.objects.filter(name="Sneaky").exists()


def test_edit_an_item_and_the_history_says_who_changed_what(client_for, netmgr, tech, net):
    core = net["core"]
    client = client_for(tech)
    form = client.get(f"/cmdb/{core.pk}/edit/").context["form"]
    assert form.initial["name"] == "HF-CORE-01" and form["attr_firmware"].value() == "17.9"
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(attr_firmware="17.12", serial="FOC9999", attr_managed="yes")
    response = client.post(f"/cmdb/{core.pk}/edit/", data)
    assert response.status_code == 302
    core.refresh_from_db()
    assert core.serial == "FOC9999" and core.attributes["firmware"] == "17.12" and core.attributes["managed"] is True
    history = client.get(f"/cmdb/{core.pk}/?tab=history")
    latest = history.context["history"][0]
    assert latest.user == tech and latest.type == "changed"
    changes = {(c.label, c.old, c.new) for c in latest.changes}
    assert changes == {
        ("Serial number", "FOC1234X0AB", "FOC9999"),
        ("Firmware", "17.9", "17.12"),
        ("Managed", None, True),
    }
    page = text(history)
    assert "Tech changed 3 details" in page and "FOC1234X0AB" in page
    assert history.context["history"][-1].type == "created" and history.context["history"][-1].user == netmgr


def test_the_desk_sees_why_it_cannot_edit_and_cannot_post(client_for, desk, net):
    core = net["core"]
    client = client_for(desk)
    response = client.get(f"/cmdb/{core.pk}/edit/")
    assert response.status_code == 200 and "Only technicians and the network manager change the CMDB" in text(response)
    data = {"name": "Renamed", "kind": "switch", "attr_port_count": "24"}
    response = client.post(f"/cmdb/{core.pk}/edit/", data, follow=True)
    core.refresh_from_db()
    assert core.name == "HF-CORE-01"
    assert messages_of(response) == ["Only technicians and the network manager change the CMDB."]
    for url in (f"/cmdb/{core.pk}/ports/new/", f"/cmdb/{core.pk}/relationships/new/"):
        assert messages_of(client.post(url, {"name": "x"}, follow=True)) == messages_of(response)
    assert not core.ports.filter(name="x").exists()


# =============================================================================
# Lifecycle
# =============================================================================


def test_lifecycle_buttons_come_from_the_workflow(net, client_for, tech):
    response = client_for(tech).get(f"/cmdb/{net['pc'].pk}/")
    assert [t.name for t in response.context["actions"]] == ["repair", "stock", "retire"]
    assert "Send for repair" in text(response)


def test_a_lifecycle_move_through_the_page(net, client_for, tech):
    client = client_for(tech)
    pc = net["pc"]
    response = client.post(f"/cmdb/{pc.pk}/repair/", follow=True)
    assert "What is being repaired, and by whom? is required to send for repair." in messages_of(response)
    response = client.post(f"/cmdb/{pc.pk}/repair/", {"note": "Dead PSU, with Dell"}, follow=True)
    assert "HF-C4-PC01 is now in repair." in messages_of(response)
    pc.refresh_from_db()
    assert pc.status == "in_repair"
    response = client.post(f"/cmdb/{pc.pk}/dispose/", {"note": "Scrap"}, follow=True)
    assert messages_of(response) == [
        "Cannot dispose a record that is in repair; from in repair you can: put live, return to stock, retire."
    ]
    response = client.post(f"/cmdb/{pc.pk}/teleport/", follow=True)
    assert messages_of(response) == ["There is no action called 'teleport'."]


def test_the_desk_cannot_move_an_item(net, client_for, desk):
    response = client_for(desk).post(f"/cmdb/{net['pc'].pk}/repair/", {"note": "x"}, follow=True)
    assert messages_of(response) == ["You cannot send for repair this item."]
    assert ConfigurationItem.objects.get(pk=net["pc"].pk).status == "live"


# =============================================================================
# Ports, cables, relationships
# =============================================================================


def test_add_a_run_of_switch_ports(net, client_for, netmgr):
    client = client_for(netmgr)
    edge = net["edge"]
    response = client.post(
        f"/cmdb/{edge.pk}/ports/new/", {"name": "gi1/0/[3-6]", "kind": "ethernet", "speed_mbps": 1000}
    )
    assert response.status_code == 302
    assert sorted(edge.ports.values_list("name", flat=True)) == sorted(
        ["gi1/0/1", "gi1/0/2", "gi1/0/24", "gi1/0/3", "gi1/0/4", "gi1/0/5", "gi1/0/6"]
    )
    response = client.post(f"/cmdb/{edge.pk}/ports/new/", {"name": "gi1/0/[5-8]", "kind": "ethernet"})
    assert response.context["form"].errors["name"] == ["HF-EDGE-JUN already has a port called gi1/0/5."]
    assert edge.ports.count() == 7  # nothing of the failed run was kept


def test_a_patch_panels_front_ports_bring_their_rear_ports(net, client_for, netmgr):
    panel = net["panel"]
    form = client_for(netmgr).get(f"/cmdb/{panel.pk}/ports/new/").context["form"]
    assert "mac" not in form.fields and form.fields["kind"].initial == "front"
    client_for(netmgr).post(f"/cmdb/{panel.pk}/ports/new/", {"name": "[2-3]", "kind": "front", "with_rear": "on"})
    fronts = dict(panel.ports.filter(kind="front").values_list("name", "rear_port__name"))
    assert fronts == {"1": "rear 1", "2": "rear 2", "3": "rear 3"}


def test_cable_form_offers_only_free_ports_of_the_same_school(net, elsewhere, client_for, admin_user, netmgr, tech2):
    services.port_create(ci=net["core"], actor=netmgr, name="gi1/0/3")
    services.port_create(ci=net["pc"], actor=netmgr, name="eth1")
    services.port_create(ci=elsewhere["pc"], actor=tech2, name="eth1")
    form = client_for(admin_user).get(f"/cmdb/{net['core'].pk}/cables/new/").context["form"]
    assert [p.name for p in form.fields["a_port"].queryset] == ["gi1/0/3"]
    offered = set(form.fields["b_port"].queryset)
    assert [str(p) for p in offered] == ["HF-C4-PC01 eth1"]
    assert not any(p.cable_id for p in offered)
    # Even the administrator, who sees every school, is not offered riverside's ports...
    far = services.port_create(ci=elsewhere["edge"], actor=tech2, name="gi1/0/9")
    assert far not in offered
    # ...and cannot post one.
    a_port = form.fields["a_port"].queryset.get()
    response = client_for(admin_user).post(
        f"/cmdb/{net['core'].pk}/cables/new/", {"a_port": a_port.pk, "b_port": far.pk, "type": "cat6"}
    )
    assert "b_port" in response.context["form"].errors
    assert Port.objects.get(pk=far.pk).cable_id is None


def test_connect_and_disconnect_a_cable(net, client_for, netmgr):
    client = client_for(netmgr)
    spare = services.port_create(ci=net["core"], actor=netmgr, name="gi1/0/3")
    laptop = services.ci_create(school=net.school, actor=netmgr, kind="laptop", name="HF-LT-01")
    nic = services.port_create(ci=laptop, actor=netmgr, name="eth0")
    response = client.get(f"/cmdb/{net['core'].pk}/cables/new/?port={spare.pk}")
    assert response.context["form"]["a_port"].value() == spare.pk
    response = client.post(
        f"/cmdb/{net['core'].pk}/cables/new/",
        {"a_port": spare.pk, "b_port": nic.pk, "type": "cat6", "label": "Desk lead"},
    )
    assert response.status_code == 302
    cable = Cable.objects.get(label="Desk lead")
    assert Port.objects.get(pk=nic.pk).connected_endpoint_id == spare.pk
    response = client.post(f"/cmdb/cables/{cable.pk}/remove/", {"next": f"/cmdb/{net['core'].pk}/?tab=ports"})
    assert response["Location"] == f"/cmdb/{net['core'].pk}/?tab=ports"
    assert not Cable.objects.filter(pk=cable.pk).exists()
    assert Port.objects.get(pk=nic.pk).connected_endpoint_id is None


def test_removing_goes_back_only_to_this_site(net, client_for, netmgr):
    link = Relationship.objects.get(source=net["mis"])
    response = client_for(netmgr).post(f"/cmdb/relationships/{link.pk}/remove/", {"next": "https://evil.example/"})
    assert response["Location"] == f"/cmdb/{net['mis'].pk}/?tab=relationships"


def test_add_and_remove_a_relationship(net, client_for, netmgr):
    client = client_for(netmgr)
    printer = net["printer"]
    form = client.get(f"/cmdb/{printer.pk}/relationships/new/").context["form"]
    offered = set(form.fields["other"].queryset)
    assert net["server"] in offered and printer not in offered
    response = client.post(
        f"/cmdb/{printer.pk}/relationships/new/",
        {"direction": "out", "kind": "depends_on", "other": net["server"].pk, "note": "Queues"},
    )
    assert response.status_code == 302
    link = Relationship.objects.get(source=printer, target=net["server"])
    response = client.post(
        f"/cmdb/{printer.pk}/relationships/new/", {"direction": "out", "kind": "depends_on", "other": net["server"].pk}
    )
    assert response.context["form"].non_field_errors() == ["HF-OFF-PRN already depends on HF-SRV-01."]
    client.post(f"/cmdb/relationships/{link.pk}/remove/")
    assert not Relationship.objects.filter(pk=link.pk).exists()


def test_another_schools_items_are_not_offered_as_the_other_end(net, elsewhere, client_for, admin_user):
    form = client_for(admin_user).get(f"/cmdb/{net['pc'].pk}/relationships/new/").context["form"]
    assert elsewhere["server"] not in set(form.fields["other"].queryset)
    response = client_for(admin_user).post(
        f"/cmdb/{net['pc'].pk}/relationships/new/",
        {"direction": "in", "kind": "depends_on", "other": elsewhere["server"].pk},
    )
    assert "other" in response.context["form"].errors
    assert not Relationship.objects.filter(target=net["pc"]).exists()


def test_the_port_page_traces_a_classroom_socket_to_its_switch_port(net, client_for, tech):
    response = client_for(tech).get(f"/cmdb/ports/{net.ports['socket_front'].pk}/")
    hops = response.context["hops"]
    assert [(hop["ci"].name, [p.name for p in hop["ports"]]) for hop in hops] == [
        ("HF-EDGE-JUN", ["gi1/0/1"]),
        ("HF-PP-JUN", ["1", "rear 1"]),
        ("HF-C4-01", ["rear", "front"]),
        ("HF-C4-PC01", ["eth0"]),
    ]
    page = text(response)
    assert "From HF-EDGE-JUN gi1/0/1 to HF-C4-PC01 eth0, through HF-PP-JUN, HF-C4-01." in page
    assert "Complete" in page


# =============================================================================
# Locations, software, licences
# =============================================================================


def test_locations_are_a_tree_with_item_counts(net, client_for, tech):
    response = client_for(tech).get("/cmdb/locations/")
    ((school, roots),) = response.context["schools"]
    assert school == "Highfield Primary School"
    (site,) = roots
    assert site["location"].name == "Main site" and site["total"] == 8
    (block,) = site["children"]
    assert {child["location"].name: child["total"] for child in block["children"]} == {
        "Classroom 4": 2,
        "Comms cupboard": 5,
        "School office": 1,
    }
    assert response.context["unplaced"] == 1


def test_add_a_location(net, client_for, netmgr):
    client = client_for(netmgr)
    response = client.post(
        "/cmdb/locations/new/", {"kind": "room", "name": "ICT suite", "parent": net.rooms["block"].pk}
    )
    assert response.status_code == 302
    assert net.rooms["block"].children.filter(name="ICT suite").exists()
    response = client.post("/cmdb/locations/new/", {"kind": "room", "name": "Nowhere", "parent": ""})
    assert response.context["form"].errors["parent"] == ["A room belongs to a building."]


def test_software_and_licences(net, client_for, tech, highfield):
    product = SoftwareProduct.objects.create(school=highfield, name="SMART Notebook", publisher="SMART")
    for item in (net["pc"], net["server"]):
        SoftwareInstallation.objects.create(school=highfield, ci=item, product=product, version="22")
    licence = Licence.objects.create(school=highfield, product=product, seats=1, model=Licence.Model.PER_DEVICE)
    LicenceSeat.objects.create(school=highfield, licence=licence, ci=net["pc"])
    client = client_for(tech)
    software = client.get("/cmdb/software/")
    (row,) = software.context["table"].page.object_list
    assert (row.record.installs, row.record.seats_bought) == (2, 1)
    licences = client.get("/cmdb/licences/")
    (row,) = licences.context["table"].page.object_list
    assert (row.record.seats_used, row.record.installed) == (1, 2)
    assert "1 of 1" in text(licences)
    detail = client.get(f"/cmdb/licences/{licence.pk}/")
    assert [seat.ci for seat in detail.context["seats"]] == [net["pc"]]
    assert [i.ci for i in detail.context["unlicensed"]] == [net["server"]]
    assert names_listed(client.get(f"/cmdb/?software_id={product.pk}")) == {"HF-C4-PC01", "HF-SRV-01"}


def test_changing_the_kind_asks_for_the_new_kinds_details(net, client_for, netmgr):
    edge = net["edge"]
    client = client_for(netmgr)
    form = client.get(f"/cmdb/{edge.pk}/edit/").context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    response = client.post(f"/cmdb/{edge.pk}/edit/", {**data, "kind": "patch_panel", "attr_port_count": ""})
    form = response.context["form"]
    assert form.kind == "patch_panel" and form.errors["attr_port_count"] == ["This field is required."]
    # The details both kinds share (a port count) carry over; the switch's own (managed, PoE) do not.
    response = client.post(f"/cmdb/{edge.pk}/edit/", {**data, "kind": "patch_panel", "attr_managed": "yes"})
    edge.refresh_from_db()
    assert response.status_code == 302 and (edge.kind, edge.attributes) == ("patch_panel", {"port_count": 24})


# =============================================================================
# Writing software, licences, seats and ports through the pages
# =============================================================================


def test_software_is_added_and_installed_by_hand_through_the_pages(net, client_for, tech, desk, highfield):
    client = client_for(tech)
    assert "/cmdb/software/new/" in html(client.get("/cmdb/software/"))
    assert "/cmdb/software/new/" not in html(client_for(desk).get("/cmdb/software/"))
    response = client.post("/cmdb/software/new/", {"name": "Scratch", "publisher": "MIT"}, follow=True)
    assert "Scratch added." in messages_of(response)
    again = client.post("/cmdb/software/new/", {"name": "Scratch", "publisher": "MIT"})
    assert "already has Scratch by MIT" in html(again)
    product = SoftwareProduct.objects.get(name="Scratch")
    pc = net["pc"]
    assert f"/cmdb/{pc.pk}/software/new/" in html(client.get(f"/cmdb/{pc.pk}/?tab=software"))
    response = client.post(f"/cmdb/{pc.pk}/software/new/", {"product": product.pk, "version": "3.29"}, follow=True)
    assert "Scratch 3.29 recorded on HF-C4-PC01." in messages_of(response)
    installation = SoftwareInstallation.objects.get(ci=pc)
    page = html(client.get(f"/cmdb/{pc.pk}/?tab=software"))
    assert f"/cmdb/installations/{installation.pk}/remove/" in page
    assert f"/cmdb/installations/{installation.pk}/remove/" not in html(
        client_for(desk).get(f"/cmdb/{pc.pk}/?tab=software")
    )
    response = client_for(desk).post(f"/cmdb/installations/{installation.pk}/remove/", follow=True)
    assert SoftwareInstallation.objects.filter(pk=installation.pk).exists()
    response = client.post(f"/cmdb/installations/{installation.pk}/remove/", follow=True)
    assert "Scratch 3.29 taken off HF-C4-PC01." in messages_of(response)
    assert not SoftwareInstallation.objects.filter(pk=installation.pk).exists()


def test_licences_are_recorded_edited_and_their_seats_assigned_through_the_pages(
    net, client_for, tech, desk, highfield
):
    product = services.software_product_create(school=highfield, actor=tech, name="SMART Notebook")
    client = client_for(tech)
    assert "/cmdb/licences/new/" in html(client.get("/cmdb/licences/"))
    assert "/cmdb/licences/new/" not in html(client_for(desk).get("/cmdb/licences/"))
    data = {"product": product.pk, "model": "device", "seats": "1", "reference": "SM-1"}
    bad = client.post("/cmdb/licences/new/", {**data, "starts_on": "2025-09-01", "expires_on": "2025-01-01"})
    assert "A licence expires after it starts." in html(bad)
    response = client.post("/cmdb/licences/new/", data, follow=True)
    licence = Licence.objects.get()
    assert response.redirect_chain[-1][0] == f"/cmdb/licences/{licence.pk}/"
    page = html(response)
    assert f"/cmdb/licences/{licence.pk}/seats/new/" in page and f"/cmdb/licences/{licence.pk}/edit/" in page
    assert f"/cmdb/licences/{licence.pk}/edit/" not in html(client_for(desk).get(f"/cmdb/licences/{licence.pk}/"))
    assert "Only technicians and the network manager" in html(
        client_for(desk).get(f"/cmdb/licences/{licence.pk}/edit/")
    )
    url = f"/cmdb/licences/{licence.pk}/seats/new/"
    response = client.post(url, {"ci": net["pc"].pk}, follow=True)
    assert "HF-C4-PC01 now holds a seat of SMART Notebook." in messages_of(response)
    assert "All 1 seat of SMART Notebook" in html(client.post(url, {"ci": net["server"].pk}))
    client.post(f"/cmdb/licences/{licence.pk}/edit/", {**data, "seats": "2", "reference": "SM-2"})
    licence.refresh_from_db()
    assert (licence.seats, licence.reference) == (2, "SM-2")
    seat = LicenceSeat.objects.get()
    client_for(desk).post(f"/cmdb/seats/{seat.pk}/release/")
    assert LicenceSeat.objects.filter(pk=seat.pk).exists()
    response = client.post(f"/cmdb/seats/{seat.pk}/release/", follow=True)
    assert "HF-C4-PC01 no longer holds a seat of SMART Notebook." in messages_of(response)


def test_ports_are_edited_and_removed_through_the_pages(net, client_for, tech, desk):
    client = client_for(tech)
    port = net.ports["printer"]
    page = html(client.get(f"/cmdb/ports/{port.pk}/"))
    assert f"/cmdb/ports/{port.pk}/edit/" in page and f"/cmdb/ports/{port.pk}/remove/" not in page  # cabled
    assert f"/cmdb/ports/{port.pk}/edit/" not in html(client_for(desk).get(f"/cmdb/ports/{port.pk}/"))
    data = {"name": "eth0", "kind": "ethernet", "vlan": "30", "mac": "AABBCCDDEEFF", "speed_mbps": "1000"}
    response = client.post(f"/cmdb/ports/{port.pk}/edit/", data, follow=True)
    port.refresh_from_db()
    assert (port.vlan, port.mac, port.speed_mbps) == (30, "aa:bb:cc:dd:ee:ff", 1000)
    assert "between 1 and 4094" in html(client.post(f"/cmdb/ports/{port.pk}/edit/", {**data, "vlan": "5000"}))
    spare = services.port_create(ci=net["printer"], actor=tech, name="usb")
    clash = client.post(f"/cmdb/ports/{port.pk}/edit/", {**data, "name": "usb"})
    assert "HF-OFF-PRN already has a port called usb." in html(clash)
    response = client.post(f"/cmdb/ports/{port.pk}/remove/", follow=True)
    assert any("disconnect the cable first" in m for m in messages_of(response))
    client_for(desk).post(f"/cmdb/ports/{spare.pk}/remove/")
    assert Port.objects.filter(pk=spare.pk).exists()
    response = client.post(f"/cmdb/ports/{spare.pk}/remove/", follow=True)
    assert response.redirect_chain[-1][0] == f"/cmdb/{net['printer'].pk}/?tab=ports"
    assert not Port.objects.filter(pk=spare.pk).exists()
