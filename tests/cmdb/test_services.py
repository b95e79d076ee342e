"""The CMDB services the pages and the API stand on: lifecycle, field history, the school boundary."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cmdb import services
from cmdb.models import ConfigurationItem, Kind, LifecycleStatus
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
