"""Fixtures of the support side of tickets: the LEA support unit and its person, a supplier, a school team.

Import the fixtures you use into a test module (`from tests.incidents.work_fixtures import lea_unit, ...`).
"""

from __future__ import annotations

import pytest

from fits.models import AuthorityRole, AuthorityRoleKind, User
from incidents import services
from incidents.models import SupportGroup
from tests.conftest import make_person


@pytest.fixture
def support(bolton) -> User:
    """Someone of Bolton's support unit: the authority's support role, no school of their own."""
    person = make_person("support", job_title="Schools ICT Unit engineer")
    AuthorityRole.objects.create(user=person, authority=bolton, role=AuthorityRoleKind.SUPPORT)
    return person


@pytest.fixture
def lea_unit(bolton, consultant) -> SupportGroup:
    """Bolton's LEA support unit, kept by the consultant, with no named members."""
    return services.support_group_save(
        actor=consultant, authority=bolton, name="Bolton Schools ICT Unit", kind="authority", phone="01204 333 000"
    )


@pytest.fixture
def supplier(bolton, consultant) -> SupportGroup:
    return services.support_group_save(
        actor=consultant, authority=bolton, name="Bolton Broadband", kind="supplier", email="noc@broadband.example"
    )


@pytest.fixture
def team(highfield, netmgr, tech) -> SupportGroup:
    """Highfield's ICT team: tech is its one member."""
    return services.support_group_save(
        actor=netmgr, school=highfield, name="Highfield ICT team", kind="school", members=[tech]
    )


@pytest.fixture
def ticket(highfield, staff, log_incident):
    return log_incident(highfield, by=staff, title="Wi-Fi drops in the hall")


def started(incident, tech):
    return services.incident_transition(incident=incident, action="start", actor=tech)
