"""Imported WSUS and vendor reports: checked whole, refused with row and column, kept as they came."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cmdb.services import ci_create
from om.patches import services
from om.patches.compliance import compliance_compute
from om.patches.models import ComplianceState, Decision, InstalledUpdate, PatchImport, State

pytestmark = pytest.mark.django_db

WSUS = """Computer Name,KB Article,Installation State
pc-01.highfield.local,KB5034441,Installed
PC-02,KB5034441,NotInstalled
"""


@pytest.fixture
def baseline(highfield, tech, netmgr):
    pcs = [ci_create(school=highfield, actor=tech, kind="desktop", name=name) for name in ("PC-01", "PC-02")]
    kb = services.update_save(actor=tech, school=highfield, kind="windows_kb", identifier="KB5034441",
                              product="Windows 11", severity="critical")  # fmt: skip
    group = services.group_save(actor=tech, school=highfield, name="Desktops", ci_kind="desktop")
    services.approval_set(actor=netmgr, update=kb, group=group, decision=Decision.APPROVED,
                          deadline=timezone.localdate() - timedelta(days=1))  # fmt: skip
    return kb, pcs


def test_a_wsus_report_is_imported_kept_and_judged(baseline, highfield, tech):
    kb, (pc1, pc2) = baseline
    report = services.import_report(actor=tech, school=highfield, text=WSUS, file_name="wsus.csv")
    assert report.raw == WSUS and report.rows == 2 and report.file_name == "wsus.csv"
    assert dict(InstalledUpdate.objects.values_list("ci__name", "installed")) == {"PC-01": True, "PC-02": False}
    compliance_compute(school_id=highfield.pk)
    assert dict(ComplianceState.objects.values_list("ci__name", "state")) == {
        "PC-01": State.COMPLIANT,
        "PC-02": State.OVERDUE,
    }
    # A later report updates the rows it names.
    services.import_report(actor=tech, school=highfield, text="host;update;state\nPC-02;kb5034441;installed\n")
    assert InstalledUpdate.objects.count() == 2 and InstalledUpdate.objects.get(ci=pc2).installed
    compliance_compute(school_id=highfield.pk)
    assert set(ComplianceState.objects.values_list("state", flat=True)) == {State.COMPLIANT}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The file is empty."),
        ("machine,patch\nPC-01,KB5034441\n", "Row 1: the header has no host or update column"),
        ("host,update\nPC-01,KB5034441\n", "Row 1: the header needs a state or a version column."),
        ("host,update,state\nPC-99,KB5034441,Installed\n", "Row 2, column host: no CI named 'PC-99'"),
        ("host,update,state\nPC-01,KB1,Installed\n", "Row 2, column update: 'KB1' is not in the patch baseline."),
        ("host,update,state\nPC-01,KB5034441,Installed\nPC-02,KB5034441,maybe\n",
         "Row 3, column state: 'maybe' is not an installation state."),
        ("host,update,state\n,KB5034441,Installed\n", "Row 2, column host: no host name."),
    ],
)  # fmt: skip
def test_a_bad_report_is_refused_with_row_and_column_and_nothing_is_written(baseline, highfield, tech, text, message):
    with pytest.raises(ValidationError) as refused:
        services.import_report(actor=tech, school=highfield, text=text)
    assert any(line.startswith(message) for line in refused.value.messages), refused.value.messages
    assert not PatchImport.objects.exists() and not InstalledUpdate.objects.exists()


def test_one_bad_row_among_good_ones_writes_nothing(baseline, highfield, tech):
    text = WSUS + "PC-03,KB5034441,Installed\n"
    with pytest.raises(ValidationError) as refused:
        services.import_report(actor=tech, school=highfield, text=text)
    assert refused.value.messages == [
        "Row 4, column Computer Name: no CI named 'PC-03' at Highfield Primary School."
    ] or (refused.value.messages[0].startswith("Row 4, column Computer Name: no CI named 'PC-03'"))
    assert not InstalledUpdate.objects.exists()


def test_a_package_report_needs_versions_and_compares_them(highfield, tech, netmgr):
    server = ci_create(school=highfield, actor=tech, kind="server", name="SRV-01")
    package = services.update_save(actor=tech, school=highfield, kind="package", identifier="openssl",
                                   product="Debian 12", severity="important", min_version="3.0.11")  # fmt: skip
    group = services.group_save(actor=tech, school=highfield, name="Servers", members=[server])
    services.approval_set(actor=netmgr, update=package, group=group, decision=Decision.APPROVED)
    with pytest.raises(ValidationError) as refused:
        services.import_report(
            actor=tech, school=highfield, text="host,package,state,version\nSRV-01,openssl,installed,\n"
        )
    assert refused.value.messages == ["Row 2, column version: openssl 3.0.11 needs the installed version."]
    services.import_report(actor=tech, school=highfield, text="host,package,version\nSRV-01,openssl,3.0.9-1\n")
    compliance_compute()
    state = ComplianceState.objects.get()
    assert (state.state, state.installed_version) == (State.MISSING, "3.0.9-1")


def test_only_support_staff_at_the_school_import(baseline, highfield, staff, tech2):
    for person in (staff, tech2):
        with pytest.raises(PermissionDenied):
            services.import_report(actor=person, school=highfield, text=WSUS)
