"""The CMDB services the pages and the API stand on: lifecycle, field history, the school boundary."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cmdb import services
from cmdb.models import ConfigurationItem, Kind, Licence, LicenceSeat, LifecycleStatus, Port, SoftwareInstallation
from fits.models import Activity

pytestmark = pytest.mark.django_db


@pytest.fixture
def pc(highfield, netmgr):
    return services.ci_create(school=highfield, actor=netmgr, kind=Kind.DESKTOP, name="HF-PC01")


def test_the_lifecycle_table_reads_like_the_school_works():
    rows = set(ConfigurationItem.WORKFLOW.as_table())
    assert ("Ordered", "Receive into stock", "In stock") in rows
    assert ("In repair", "Put live", "Live") in rows
    assert ("Retired", "Dispose", "Disposed") in rows
    assert not any(source == "Disposed" for source, _, _ in rows)  # disposed is the end


@pytest.mark.parametrize(
    ("who", "actions"),
    [("tech", ["repair", "stock", "retire"]), ("netmgr", ["repair", "stock", "retire"]), ("desk", []),
     ("leader", []), ("consultant", []), ("admin", ["repair", "stock", "retire"])],
)  # fmt: skip
def test_only_technicians_and_the_network_manager_move_items(pc, cast, who, actions):
    assert [t.name for t in ConfigurationItem.WORKFLOW.available(cast[who], pc)] == actions


def test_a_move_is_checked_noted_and_recorded(pc, tech, desk):
    with pytest.raises(ValidationError, match="is required to retire"):
        services.ci_transition(ci=pc, action="retire", actor=tech)
    with pytest.raises(PermissionDenied):
        services.ci_transition(ci=pc, action="retire", actor=desk, note="Old")
    pc = services.ci_transition(ci=pc, action="retire", actor=tech, note="Old")
    assert pc.status == LifecycleStatus.RETIRED
    entry = Activity.objects.filter(object_id=pc.pk, kind="status").get()
    assert (entry.actor, entry.text, entry.changes) == (tech, "Old", {"status": ["live", "retired"]})
    assert pc.history.first().history_user == tech and pc.history.first().status == "retired"


def test_an_update_records_who_changed_what(pc, tech):
    services.ci_update(ci=pc, actor=tech, serial="ABC", attributes={"memory_mb": "8192"})
    pc.refresh_from_db()
    assert pc.attributes == {"memory_mb": 8192}
    newest, oldest = pc.history.all()[:2]
    assert newest.history_user == tech
    assert {c.field for c in newest.diff_against(oldest).changes} == {"serial", "attributes"}


def test_items_stay_within_their_school(pc, highfield, riverside, netmgr, tech2):
    theirs = services.ci_create(school=riverside, actor=tech2, kind=Kind.SERVER, name="RV-SRV-01")
    with pytest.raises(ValidationError, match="belongs to another school"):
        services.relationship_add(source=pc, target=theirs, actor=netmgr)
    room = services.location_create(school=riverside, actor=tech2, kind="site", name="Riverside campus")
    with pytest.raises(ValidationError, match="belongs to another school"):
        services.ci_update(ci=pc, actor=netmgr, location=room)
    with pytest.raises(PermissionDenied):
        services.ci_create(school=riverside, actor=netmgr, kind=Kind.DESKTOP, name="Not mine")


# =============================================================================
# Ports: change and remove
# =============================================================================


def test_a_port_is_changed_by_the_same_rules_as_it_was_added(pc, tech, desk):
    port = services.port_create(ci=pc, actor=tech, name="eth0")
    services.port_create(ci=pc, actor=tech, name="eth1")
    port = services.port_update(port=port, actor=tech, name=" eth0 ", vlan=20, speed_mbps=1000, mac="00-1A-2B-3C-4D-5E")
    assert (port.vlan, port.speed_mbps, port.mac) == (20, 1000, "00:1a:2b:3c:4d:5e")
    entry = Activity.objects.filter(object_id=pc.pk, kind="field").latest("pk")
    assert entry.text == "Port eth0 changed." and entry.changes["port eth0: vlan"] == [None, 20]
    with pytest.raises(ValidationError, match="already has a port called eth1"):
        services.port_update(port=port, actor=tech, name="eth1")
    with pytest.raises(ValidationError, match="between 1 and 4094"):
        services.port_update(port=port, actor=tech, vlan=4095)
    with pytest.raises(ValidationError, match="MAC"):
        services.port_update(port=port, actor=tech, mac="not a mac")
    with pytest.raises(ValidationError, match="Unknown fields: cable"):
        services.port_update(port=port, actor=tech, cable=None)
    with pytest.raises(PermissionDenied):
        services.port_update(port=port, actor=desk, vlan=30)
    port.refresh_from_db()
    assert (port.name, port.vlan) == ("eth0", 20)


def test_a_cabled_port_is_removed_only_once_the_cable_is_off(pc, highfield, tech, tech2):
    switch = services.ci_create(school=highfield, actor=tech, kind=Kind.SWITCH, name="HF-SW")
    a, b = services.port_create(ci=pc, actor=tech, name="eth0"), services.port_create(ci=switch, actor=tech, name="1")
    cable = services.cable_connect(a_port=a, b_port=b, actor=tech)
    with pytest.raises(ValidationError, match="disconnect the cable first"):
        services.port_remove(port=a, actor=tech)
    with pytest.raises(PermissionDenied):
        services.port_remove(port=a, actor=tech2)
    services.cable_disconnect(cable=cable, actor=tech)
    services.port_remove(port=a, actor=tech)
    assert not Port.objects.filter(pk=a.pk).exists()
    assert Activity.objects.filter(object_id=pc.pk, text="Port eth0 removed.").exists()


# =============================================================================
# Software, installations, licences and their seats
# =============================================================================


@pytest.fixture
def notebook(highfield, tech):
    return services.software_product_create(school=highfield, actor=tech, name="SMART Notebook", publisher="SMART")


def test_software_is_named_once_per_school(notebook, highfield, riverside, tech, tech2, desk):
    with pytest.raises(ValidationError, match="already has SMART Notebook by SMART"):
        services.software_product_create(school=highfield, actor=tech, name=" smart notebook", publisher="SMART")
    other = services.software_product_create(school=highfield, actor=tech, name="SMART Notebook", publisher="Other")
    theirs = services.software_product_create(school=riverside, actor=tech2, name="SMART Notebook", publisher="SMART")
    assert other.pk != notebook.pk and theirs.school == riverside
    with pytest.raises(PermissionDenied):
        services.software_product_create(school=highfield, actor=desk, name="Scratch")
    with pytest.raises(PermissionDenied):
        services.software_product_create(school=riverside, actor=tech, name="Scratch")
    with pytest.raises(ValidationError, match="Give the software a name"):
        services.software_product_create(school=highfield, actor=tech, name="  ")


def test_software_is_installed_by_hand_on_devices_only(notebook, pc, highfield, riverside, tech, tech2, desk):
    installation = services.software_install(ci=pc, product=notebook, actor=tech, version=" 22.1 ")
    assert (installation.version, installation.source) == ("22.1", SoftwareInstallation.Source.MANUAL)
    assert Activity.objects.filter(object_id=pc.pk, text="Software installed by hand: SMART Notebook 22.1.").exists()
    with pytest.raises(ValidationError, match="already has SMART Notebook 22.1"):
        services.software_install(ci=pc, product=notebook, actor=tech, version="22.1")
    services.software_install(ci=pc, product=notebook, actor=tech, version="23.0")  # another version is another row
    service = services.ci_create(school=highfield, actor=tech, kind=Kind.SERVICE, name="MIS",
                                 attributes={"purpose": "management"})  # fmt: skip
    with pytest.raises(ValidationError, match="software is installed on devices"):
        services.software_install(ci=service, product=notebook, actor=tech)
    with pytest.raises(PermissionDenied):
        services.software_install(ci=pc, product=notebook, actor=desk, version="24")
    theirs = services.software_product_create(school=riverside, actor=tech2, name="Scratch")
    with pytest.raises(ValidationError, match="belongs to another school"):
        services.software_install(ci=pc, product=theirs, actor=tech)
    their_pc = services.ci_create(school=riverside, actor=tech2, kind=Kind.DESKTOP, name="RV-PC01")
    with pytest.raises(PermissionDenied):
        services.software_install(ci=their_pc, product=notebook, actor=tech)


def test_only_software_recorded_by_hand_is_uninstalled(notebook, pc, tech, tech2):
    by_hand = services.software_install(ci=pc, product=notebook, actor=tech, version="22.1")
    found = services.software_install(ci=pc, product=notebook, actor=tech, version="21", source="inventory")
    with pytest.raises(ValidationError, match="come back with the next inventory"):
        services.software_uninstall(installation=found, actor=tech)
    with pytest.raises(PermissionDenied):
        services.software_uninstall(installation=by_hand, actor=tech2)
    services.software_uninstall(installation=by_hand, actor=tech)
    assert list(SoftwareInstallation.objects.filter(ci=pc)) == [found]
    assert Activity.objects.filter(object_id=pc.pk, text="Software uninstalled: SMART Notebook 22.1.").exists()


def test_a_licence_has_seats_and_a_term(notebook, highfield, riverside, tech, tech2, desk):
    today = timezone.localdate()
    licence = services.licence_create(school=highfield, actor=tech, product=notebook, seats=2, reference="SM-1",
                                      starts_on=today, expires_on=today + timedelta(days=365))  # fmt: skip
    assert licence.history.first().history_user == tech
    with pytest.raises(ValidationError, match="expires after it starts"):
        services.licence_update(licence=licence, actor=tech, expires_on=today - timedelta(days=1))
    with pytest.raises(ValidationError, match="0 or more"):
        services.licence_update(licence=licence, actor=tech, seats=-1)
    licence = services.licence_update(licence=licence, actor=tech, seats=None, model=Licence.Model.SITE)
    assert (licence.seats, licence.model) == (None, "site")
    with pytest.raises(PermissionDenied):
        services.licence_update(licence=licence, actor=desk, seats=5)
    with pytest.raises(PermissionDenied):
        services.licence_update(licence=licence, actor=tech2, seats=5)
    with pytest.raises(PermissionDenied):
        services.licence_create(school=riverside, actor=tech, product=notebook)
    with pytest.raises(ValidationError, match="belongs to another school"):
        services.licence_create(school=riverside, actor=tech2, product=notebook)
    with pytest.raises(ValidationError, match="Unknown fields: product"):
        services.licence_update(licence=licence, actor=tech, product=notebook)


def test_seats_go_to_devices_or_people_of_the_school_until_none_are_left(
    notebook, pc, highfield, riverside, tech, tech2, staff, outsider
):
    laptop = services.ci_create(school=highfield, actor=tech, kind=Kind.LAPTOP, name="HF-LT01")
    spare = services.ci_create(school=highfield, actor=tech, kind=Kind.LAPTOP, name="HF-LT02")
    licence = services.licence_create(school=highfield, actor=tech, product=notebook, seats=2)
    seat = services.licence_seat_assign(licence=licence, actor=tech, ci=pc)
    assert Activity.objects.filter(object_id=pc.pk, text=f"Given a seat of {licence}.").exists()
    with pytest.raises(ValidationError, match="already holds a seat"):
        services.licence_seat_assign(licence=licence, actor=tech, ci=pc)
    with pytest.raises(ValidationError, match="licensed per device"):
        services.licence_seat_assign(licence=licence, actor=tech, user=staff)
    services.licence_seat_assign(licence=licence, actor=tech, ci=laptop)
    with pytest.raises(ValidationError, match="All 2 seats of SMART Notebook"):
        services.licence_seat_assign(licence=licence, actor=tech, ci=spare)
    with pytest.raises(PermissionDenied):
        services.licence_seat_release(seat=seat, actor=tech2)
    services.licence_seat_release(seat=seat, actor=tech)
    services.licence_seat_assign(licence=licence, actor=tech, ci=spare)
    their_pc = services.ci_create(school=riverside, actor=tech2, kind=Kind.DESKTOP, name="RV-PC01")
    with pytest.raises(ValidationError, match="belongs to another school"):
        services.licence_seat_assign(licence=licence, actor=tech, ci=their_pc)
    with pytest.raises(PermissionDenied):
        services.licence_seat_assign(licence=licence, actor=tech2, ci=their_pc)
    people = services.licence_create(school=highfield, actor=tech, product=notebook, model=Licence.Model.PER_USER)
    services.licence_seat_assign(licence=people, actor=tech, user=staff)  # unlimited
    with pytest.raises(ValidationError, match="has no role at this school"):
        services.licence_seat_assign(licence=people, actor=tech, user=outsider)
    with pytest.raises(ValidationError, match="one device or to one person"):
        services.licence_seat_assign(licence=people, actor=tech)
    assert LicenceSeat.objects.filter(licence=licence).count() == 2
