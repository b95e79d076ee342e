"""Shared fixtures of the Service Continuity tests: a real CMDB chain at highfield (the File storage service runs on
a server which depends on a NAS and the core switch; the NAS depends on the core switch too; the service also
depends on its share software, installed on the server), a risk, and a plan with steps and contacts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cmdb.models import Relationship
from cmdb.services import ci_create, relationship_add
from continuity import services


@pytest.fixture
def chain(highfield, tech):
    """{name: CI}: File storage -> (runs on) HF-SRV-01 -> (depends on) HF-NAS-01 and HF-CORE-01; HF-NAS-01 ->
    HF-CORE-01; File storage -> (depends on) DFS namespace -> (installed on) HF-SRV-01."""
    made = {
        "service": ci_create(school=highfield, actor=tech, kind="service", name="File storage",
                             attributes={"purpose": "teaching"}),
        "server": ci_create(school=highfield, actor=tech, kind="server", name="HF-SRV-01"),
        "nas": ci_create(school=highfield, actor=tech, kind="storage", name="HF-NAS-01",
                         attributes={"capacity_gb": 8000}),
        "core": ci_create(school=highfield, actor=tech, kind="switch", name="HF-CORE-01"),
        "dfs": ci_create(school=highfield, actor=tech, kind="software", name="DFS namespace"),
    }  # fmt: skip
    runs, depends, installed = Relationship.Kind.RUNS_ON, Relationship.Kind.DEPENDS_ON, Relationship.Kind.INSTALLED_ON
    for source, target, kind in (
        ("service", "server", runs),
        ("server", "nas", depends),
        ("server", "core", depends),
        ("nas", "core", depends),
        ("service", "dfs", depends),
        ("dfs", "server", installed),
    ):
        relationship_add(source=made[source], target=made[target], actor=tech, kind=kind)
    return made


@pytest.fixture
def risk(highfield, netmgr, chain):
    return services.risk_save(
        actor=netmgr, school=highfield, title="Server room floods", category="flood", likelihood=2, impact=5,
        controls="Servers raised off the floor.", review_date=timezone.localdate() + timedelta(days=90),
        cis=[chain["server"]], owner=netmgr,
    )  # fmt: skip


@pytest.fixture
def plan(highfield, netmgr, tech, leader, chain, risk):
    plan = services.plan_save(
        actor=netmgr, school=highfield, service=chain["service"], recovery_order=2, rto_minutes=480,
        rpo_minutes=1440, standby="Northwest Server Care hold a standby server (contract NSC-4471).", owner=netmgr,
        review_date=timezone.localdate() + timedelta(days=200), risks=[risk],
    )  # fmt: skip
    services.plan_steps_save(plan=plan, actor=netmgr, steps=[
        {"text": "Call Northwest Server Care for the standby server", "who": netmgr, "minutes": 10},
        {"text": "Rack the standby server", "who_text": "Supplier engineer", "minutes": 120},
        {"text": "Restore the Staff share from last night's backup", "who": tech, "minutes": 180},
    ])  # fmt: skip
    services.plan_contacts_save(plan=plan, actor=netmgr, contacts=[
        {"kind": "team", "person": netmgr, "role": "Leads the recovery", "phone": "07700 900101"},
        {"kind": "team", "person": leader, "role": "Invokes the plan", "phone": "07700 900103"},
        {"kind": "external", "name": "Service desk", "organisation": "Northwest Server Care", "phone": "0161 555 0142",
         "role": "Standby server"},
    ])  # fmt: skip
    plan.refresh_from_db()
    return plan
