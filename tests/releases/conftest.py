"""Releases built the way the product builds them: through releases.services, by the demo cast."""

from __future__ import annotations

import pytest

from changes import services as changes
from cmdb import services as cmdb
from cmdb.models import Kind
from releases import services
from tests.changes.conftest import LOW_RISK


@pytest.fixture
def block(highfield, tech):
    site = cmdb.location_create(school=highfield, actor=tech, kind="site", name="Main site")
    return cmdb.location_create(school=highfield, actor=tech, kind="building", name="Junior block", parent=site)


@pytest.fixture
def suite(highfield, tech, block):
    """The ICT suite at highfield with four pupils' PCs and a projector (which takes no software)."""
    room = cmdb.location_create(school=highfield, actor=tech, kind="room", name="ICT suite", parent=block)
    pcs = [
        cmdb.ci_create(school=highfield, actor=tech, kind=Kind.DESKTOP, name=f"HF-ICT-PC{n:02d}", location=room)
        for n in range(1, 5)
    ]
    cmdb.ci_create(school=highfield, actor=tech, kind=Kind.DISPLAY, name="HF-ICT-PRJ", location=room)
    return room, pcs


@pytest.fixture
def image(highfield, tech, netmgr):
    """An approved Windows image in highfield's library."""
    item = services.item_propose(
        actor=tech,
        school=highfield,
        name="Windows 11 Education",
        publisher="Microsoft",
        version="24H2",
        kind="os_image",
        media_location=r"\\HF-SRV-01\dsl\win11-24h2.wim",
    )
    return services.item_approve(item=item, actor=netmgr)


@pytest.fixture
def approved_change(highfield, tech, netmgr):
    """A normal change, assessed, submitted and approved by the network manager."""
    change = changes.rfc_create(
        school=highfield,
        requester=tech,
        title="Reimage the ICT suite",
        reason="The summer image refresh.",
        implementation_plan="Image each PC over PXE.",
        backout_plan="Restore last year's image.",
    )
    changes.rfc_assess(change=change, actor=tech, answers=LOW_RISK)
    changes.rfc_submit(change=change, actor=tech)
    changes.rfc_approve(change=change, approver=netmgr, comment="Fine over the holidays.")
    change.refresh_from_db()
    return change


@pytest.fixture
def make_release(highfield, tech):
    def make(**fields):
        defaults = {"title": "Summer image refresh for the ICT suite", "kind": "major"}
        return services.release_create(school=highfield, actor=tech, **{**defaults, **fields})

    return make


@pytest.fixture
def rolling_release(make_release, image, approved_change, suite, tech):
    """A release of the image under the approved change, with the suite's PCs in one wave, rolling out."""
    room, pcs = suite
    release = make_release(changes=[approved_change], items=[image])
    services.wave_add(release=release, actor=tech, name="ICT suite", location=room)
    for action in ("build", "test", "ready", "roll_out"):
        release = services.release_transition(release=release, actor=tech, action=action)
    return release
