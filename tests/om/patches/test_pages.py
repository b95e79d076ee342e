"""Patch Management's pages and API: the dashboard, a rollout raised as a change, imports, and who may see them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from changes.models import RequestForChange
from cmdb.models import ConfigurationItem
from cmdb.services import ci_create
from om.patches import services
from om.patches.compliance import compliance_compute
from om.patches.models import Decision, PatchImport, Rollout

pytestmark = pytest.mark.django_db


@pytest.fixture
def overdue(highfield, tech, netmgr):
    pc = ci_create(school=highfield, actor=tech, kind="desktop", name="PC-LIB-01")
    ConfigurationItem.objects.filter(pk=pc.pk).update(last_inventory_at=timezone.now())
    kb = services.update_save(actor=tech, school=highfield, kind="windows_kb", identifier="KB5034441",
                              product="Windows 11", severity="critical")  # fmt: skip
    group = services.group_save(actor=tech, school=highfield, name="Desktops", ci_kind="desktop")
    services.approval_set(actor=netmgr, update=kb, group=group, decision=Decision.APPROVED,
                          deadline=timezone.localdate() - timedelta(days=2))  # fmt: skip
    compliance_compute()
    return kb


def test_the_dashboard_shows_the_overdue_device_by_severity_and_product(overdue, client_for, tech):
    page = client_for(tech).get("/om/patches/").content.decode()
    assert "PC-LIB-01" in page and "KB5034441" in page and "Windows 11" in page and "Critical" in page


def test_an_ict_user_and_another_school_see_nothing(overdue, client_for, staff, tech2):
    assert client_for(staff).get("/om/patches/").status_code == 404
    assert "PC-LIB-01" not in client_for(tech2).get("/om/patches/").content.decode()
    assert client_for(tech2).get(f"/om/patches/updates/{overdue.pk}/").status_code == 404


def test_a_rollout_is_raised_as_a_change_naming_the_devices(overdue, client_for, tech, highfield):
    client = client_for(tech)
    client.post("/school/switch/", {"school": highfield.slug})
    response = client.post(f"/om/patches/updates/{overdue.pk}/rollout/")
    rollout = Rollout.objects.get()
    assert response.status_code == 302 and response["Location"] == rollout.change.get_absolute_url()
    change = RequestForChange.objects.get()
    assert change.school == highfield and "KB5034441" in change.title
    assert list(change.cis.values_list("name", flat=True)) == ["PC-LIB-01"]


def test_a_report_uploaded_on_the_page_is_imported_or_refused_with_its_row(overdue, client_for, tech, highfield):
    client = client_for(tech)
    client.post("/school/switch/", {"school": highfield.slug})
    bad = SimpleUploadedFile("bad.csv", b"host,kb,state\nPC-NOPE,KB5034441,Installed\n")
    page = client.post("/om/patches/imports/", {"report": bad}, follow=True).content.decode()
    assert "Row 2, column host: no CI named" in page and not PatchImport.objects.exists()
    good = SimpleUploadedFile("good.csv", b"host,kb,state\nPC-LIB-01,KB5034441,Installed\n")
    client.post("/om/patches/imports/", {"report": good})
    assert PatchImport.objects.get().file_name == "good.csv"


def test_the_api_lists_states_and_imports_a_report(overdue, api_for, tech, highfield):
    api = api_for(tech)
    states = api.get("/api/patches/compliance/?state=overdue").json()["results"]
    assert [(row["ci"]["display"], row["update"]["identifier"]) for row in states] == [("PC-LIB-01", "KB5034441")]
    response = api.post("/api/patches/imports/", {"school": highfield.slug,
                                                  "csv": "host,kb,state\nPC-LIB-01,KB5034441,Installed\n"})  # fmt: skip
    assert response.status_code == 201, response.content
    refused = api.post("/api/patches/imports/", {"school": highfield.slug, "csv": "host,kb,state\nX,KB1,Installed\n"})
    assert refused.status_code == 400 and "Row 2" in str(refused.json())


def test_a_group_is_added_and_changed_on_its_pages(overdue, client_for, tech, tech2, highfield):
    from om.patches.models import PatchGroup

    client = client_for(tech)
    client.post("/school/switch/", {"school": highfield.slug})
    page = client.get("/om/patches/groups/").content.decode()
    assert "Add a group at Highfield" in page and "PC-LIB-01" in page  # the CIs to name, of this school only
    page = client.post("/om/patches/groups/", {"name": "", "ci_kind": ""}, follow=True).content.decode()
    assert "This field is required." in page and PatchGroup.objects.count() == 1
    pc = ConfigurationItem.objects.get(name="PC-LIB-01")
    response = client.post("/om/patches/groups/", {"name": "Library PCs", "members": [pc.pk]})
    group = PatchGroup.objects.get(name="Library PCs")
    assert response["Location"] == group.get_absolute_url()
    assert list(group.members.values_list("name", flat=True)) == ["PC-LIB-01"]
    page = client.post(f"/om/patches/groups/{group.pk}/edit/", {"name": "Desktops", "members": [pc.pk]},
                       follow=True).content.decode()  # fmt: skip
    assert "The school already has a group of this name." in page
    client.post(f"/om/patches/groups/{group.pk}/edit/", {"name": "Library", "ci_kind": "laptop", "members": []})
    group.refresh_from_db()
    assert group.name == "Library" and group.ci_kind == "laptop" and not group.members.exists()
    # Another school's technician cannot reach it.
    assert client_for(tech2).post(f"/om/patches/groups/{group.pk}/edit/", {"name": "Mine"}).status_code == 404


def test_a_baseline_line_is_changed_on_its_page_and_the_next_run_follows(overdue, client_for, tech, netmgr):
    from om.patches.models import ComplianceState, State

    client = client_for(tech)
    page = client.get(f"/om/patches/updates/{overdue.pk}/").content.decode()
    assert "Change this line" in page
    data = {"kind": "windows_kb", "identifier": "5034441", "product": "Windows 11", "severity": "critical"}
    page = client.post(f"/om/patches/updates/{overdue.pk}/edit/", data, follow=True).content.decode()
    assert "A Windows update is named by its KB number (KB5034441)." in page
    data = {**data, "identifier": "KB5034441", "severity": "low", "title": "WinRE"}
    response = client.post(f"/om/patches/updates/{overdue.pk}/edit/", data)
    assert response.status_code == 302
    overdue.refresh_from_db()
    assert overdue.severity == "low" and overdue.title == "WinRE"
    compliance_compute()
    assert ComplianceState.objects.get().state == State.OVERDUE  # still missing, still past its deadline
