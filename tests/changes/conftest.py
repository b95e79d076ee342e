"""Changes built the way the product builds them: through changes.services, by the demo cast."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.utils import timezone

from changes import services
from cmdb import services as cmdb_services
from cmdb.models import Kind

LOW_RISK = {
    "users_affected": "few",
    "service_criticality": "low",
    "tested": "yes",
    "backout": "yes",
    "school_day": "no",
}
HIGH_RISK = {
    "users_affected": "school",
    "service_criticality": "high",
    "tested": "no",
    "backout": "partial",
    "school_day": "no",
}


def at(year: int, month: int, day: int, hour: int = 16, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=timezone.get_current_timezone())


@pytest.fixture
def core_switch(highfield, tech):
    return cmdb_services.ci_create(school=highfield, actor=tech, kind=Kind.SWITCH, name="HF-CORE-01")


@pytest.fixture
def mis_server(highfield, tech, core_switch):
    server = cmdb_services.ci_create(school=highfield, actor=tech, kind=Kind.SERVER, name="HF-SRV-01")
    cmdb_services.relationship_add(source=server, target=core_switch, actor=tech)
    return server


@pytest.fixture
def raise_change(highfield):
    """raise_change(by=user, answers=LOW_RISK, submit=True, **fields): a normal change, assessed and submitted."""

    def make(*, by, answers=LOW_RISK, submit=True, school=None, **fields):
        defaults = {
            "title": "Upgrade the core switch firmware",
            "reason": "Vendor security advisory.",
            "implementation_plan": "Upload the image, reboot in the evening.",
            "test_plan": "Ping every edge switch.",
            "backout_plan": "Boot the previous image.",
        }
        change = services.rfc_create(school=school or highfield, requester=by, **{**defaults, **fields})
        if answers is not None:
            change = services.rfc_assess(change=change, actor=by, answers=answers)
        if submit:
            change = services.rfc_submit(change=change, actor=by)
        return change

    return make
