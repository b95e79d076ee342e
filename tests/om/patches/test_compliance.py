"""Patch compliance: a real agent's inventory against a baseline, computed by the Celery task in SQL.

The issue's check: with inventory from the real FusionInventory agent and a baseline requiring a newer version than
installed, the compliance task marks the CI overdue and opens one task, however often it runs.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cmdb import services as cmdb_services
from cmdb.models import ConfigurationItem, SoftwareInstallation
from incidents.models import Task, TaskOrigin
from om.patches import services
from om.patches.compliance import compliance_compute
from om.patches.models import (
    ComplianceChange,
    ComplianceDaily,
    ComplianceRun,
    ComplianceState,
    Decision,
    State,
    version_key,
)
from om.patches.tasks import compliance_compute_task
from tests.cmdb.test_inventory import KEY, agent, computers, post

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def real_inventory(tmp_path_factory) -> bytes:
    """This machine's inventory, written by the real agent (`--local`), as it would send it."""
    workdir = tmp_path_factory.mktemp("agent")
    out = workdir / "out"
    out.mkdir()
    run = agent(workdir, "--local", str(out), "--tag", "highfield")
    assert run.returncode == 0, run.stderr
    (written,) = out.glob("*.ocs")
    return written.read_bytes()


@pytest.fixture
def inventoried(real_inventory, highfield):
    """The real agent's computer in highfield's CMDB, through the /inventory/ door."""
    cmdb_services.agent_key_rotate(school=highfield, actor=None, key=KEY)
    response = post(real_inventory)
    assert response.status_code == 200, response.content
    (ci,) = computers(highfield)
    return ci


def a_versioned_installation(ci: ConfigurationItem) -> SoftwareInstallation:
    rows = SoftwareInstallation.objects.filter(ci=ci).exclude(version="").select_related("product")
    for row in rows.order_by("product__name"):
        if any(ch.isdigit() for ch in row.version) and len(row.product.name) < 150:
            return row
    pytest.skip("the agent reported no software with a version")


def approve(*, update, ci, netmgr, tech, deadline):
    group = services.group_save(actor=tech, school=ci.school, name=f"All {ci.kind}s", ci_kind=ci.kind)
    services.approval_set(actor=netmgr, update=update, group=group, decision=Decision.APPROVED, deadline=deadline)
    return group


def test_version_keys_sort_as_people_read_versions():
    assert version_key("1.2.10") > version_key("1.2.9")
    assert version_key("3.0.11-1~deb12u2") > version_key("3.0.9")
    assert version_key("1:3.0.11") == version_key("3.0.11")  # the Debian epoch is not the upstream version
    assert version_key("2.0") > version_key("1.99.99")
    assert version_key("10.0.19045.3803") < version_key("10.0.19045.4046")


def test_a_real_agents_old_package_is_overdue_and_opens_one_task_however_often_it_runs(
    inventoried, highfield, tech, netmgr
):
    ci = inventoried
    installed = a_versioned_installation(ci)
    yesterday = timezone.localdate() - timedelta(days=1)
    newer = services.update_save(
        actor=tech, school=highfield, kind="package", identifier=installed.product.name, product="This machine",
        severity="critical", min_version=f"{installed.version}.99999",
    )  # fmt: skip
    older = services.update_save(
        actor=tech, school=highfield, kind="package", identifier=installed.product.name, product="This machine",
        severity="critical", min_version="0.0.1",
    )  # fmt: skip
    group = approve(update=newer, ci=ci, netmgr=netmgr, tech=tech, deadline=yesterday)
    services.approval_set(actor=netmgr, update=older, group=group, decision=Decision.APPROVED, deadline=yesterday)

    for _ in range(3):
        compliance_compute_task.apply(args=[None]).get()

    overdue = ComplianceState.objects.get(ci=ci, update=newer)
    assert overdue.state == State.OVERDUE
    assert overdue.installed_version == installed.version
    assert ComplianceState.objects.get(ci=ci, update=older).state == State.COMPLIANT
    (task,) = Task.objects.filter(school=highfield)
    assert task.ci == ci and task.origin == TaskOrigin.PATCH
    assert task.source_key == f"patch:{ci.pk}:{newer.pk}"
    assert overdue.task == task
    # History: each pair entered its state once; three runs recorded, the first raising the one task.
    assert ComplianceChange.objects.filter(ci=ci).count() == 2
    runs = list(ComplianceRun.objects.order_by("started_at"))
    assert [run.rows for run in runs] == [2, 2, 2]
    assert [run.changed for run in runs] == [2, 0, 0]
    assert [run.tasks_raised for run in runs] == [1, 0, 0]
    assert dict(ComplianceDaily.objects.filter(school=highfield).values_list("state", "count")) == {
        State.OVERDUE: 1,
        State.COMPLIANT: 1,
    }


def test_the_package_upgraded_makes_the_ci_compliant_and_history_says_when(inventoried, highfield, tech, netmgr):
    ci = inventoried
    installed = a_versioned_installation(ci)
    update = services.update_save(
        actor=tech, school=highfield, kind="package", identifier=installed.product.name, product="This machine",
        severity="important", min_version=f"{installed.version}.1",
    )  # fmt: skip
    approve(update=update, ci=ci, netmgr=netmgr, tech=tech, deadline=timezone.localdate() + timedelta(days=7))
    compliance_compute(school_id=highfield.pk)
    assert ComplianceState.objects.get(ci=ci, update=update).state == State.MISSING
    SoftwareInstallation.objects.filter(pk=installed.pk).update(version=f"{installed.version}.2")
    compliance_compute(school_id=highfield.pk)
    state = ComplianceState.objects.get(ci=ci, update=update)
    assert state.state == State.COMPLIANT
    assert list(
        ComplianceChange.objects.filter(ci=ci, update=update).order_by("pk").values_list("old_state", "new_state")
    ) == [("", State.MISSING), (State.MISSING, State.COMPLIANT)]
    assert not Task.objects.exists()  # not critical, not overdue


def test_a_ci_that_stopped_reporting_is_unknown_and_declined_updates_are_not_judged(highfield, tech, netmgr):
    from cmdb.services import ci_create

    silent = ci_create(school=highfield, actor=tech, kind="desktop", name="PC-SILENT")
    ConfigurationItem.objects.filter(pk=silent.pk).update(last_inventory_at=timezone.now() - timedelta(days=60))
    kb = services.update_save(actor=tech, school=highfield, kind="windows_kb", identifier="kb5034441",
                              product="Windows 11", severity="critical")  # fmt: skip
    group = approve(update=kb, ci=silent, netmgr=netmgr, tech=tech, deadline=timezone.localdate() - timedelta(days=3))
    compliance_compute()
    assert ComplianceState.objects.get(ci=silent, update=kb).state == State.UNKNOWN
    assert not Task.objects.exists()
    other = services.group_save(actor=tech, school=highfield, name="Exam room", members=[silent])
    services.approval_set(actor=netmgr, update=kb, group=other, decision=Decision.DECLINED)
    compliance_compute()
    assert not ComplianceState.objects.filter(ci=silent).exists()
    del group


def test_firmware_is_judged_from_the_ci_attribute_for_its_model(highfield, tech, netmgr):
    from cmdb.services import ci_create

    old = ci_create(school=highfield, actor=tech, kind="switch", name="SW-OLD", model_name="GS724T",
                    attributes={"firmware": "6.0.1.9"})  # fmt: skip
    new = ci_create(school=highfield, actor=tech, kind="switch", name="SW-NEW", model_name="GS724T",
                    attributes={"firmware": "6.0.1.10"})  # fmt: skip
    other = ci_create(school=highfield, actor=tech, kind="switch", name="SW-OTHER", model_name="Other")
    firmware = services.update_save(
        actor=tech, school=highfield, kind="firmware", identifier="GS724T", product="Netgear switches",
        severity="critical", min_version="6.0.1.10",
    )  # fmt: skip
    approve(update=firmware, ci=old, netmgr=netmgr, tech=tech, deadline=timezone.localdate() - timedelta(days=1))
    result = compliance_compute()
    states = dict(ComplianceState.objects.values_list("ci__name", "state"))
    assert states == {"SW-OLD": State.OVERDUE, "SW-NEW": State.COMPLIANT}
    assert result.tasks_raised == 1
    assert Task.objects.get().ci == old
    del new, other
