"""Patch Management for the demo: highfield's baseline, its desktops compliant or not, the run's tasks."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from cmdb.models import ConfigurationItem
from fits.models import School, User
from om.patches import services
from om.patches.compliance import compliance_compute
from om.patches.models import Decision, Update


def seed_patches(schools: dict[str, School], people: dict[str, User]) -> dict[str, int]:
    """At highfield: a Windows update (critical, overdue), Firefox's minimum version and the switches' firmware,
    approved for the desktops and the switches; a WSUS report where half the desktops have the update; then one
    compliance run. How many of each thing were added (empty when it was all there)."""
    school, tech, netmgr = schools.get("highfield"), people.get("tech"), people.get("netmgr")
    if school is None or tech is None or netmgr is None or Update.objects.filter(school=school).exists():
        return {}
    today = timezone.localdate()
    desktops = list(ConfigurationItem.objects.filter(school=school, kind="desktop").order_by("name")[:40])
    if not desktops:
        return {}
    kb = services.update_save(actor=tech, school=school, kind="windows_kb", identifier="KB5034441",
                              product="Windows 11", title="2024-01 security update (WinRE)", severity="critical",
                              released_on=today - timedelta(days=30))  # fmt: skip
    firefox = services.update_save(actor=tech, school=school, kind="application", identifier="Mozilla Firefox",
                                   product="Firefox", severity="important", min_version="128.0")  # fmt: skip
    group = services.group_save(actor=tech, school=school, name="All desktops", ci_kind="desktop")
    services.approval_set(actor=netmgr, update=kb, group=group, decision=Decision.APPROVED,
                          deadline=today - timedelta(days=7))  # fmt: skip
    services.approval_set(actor=netmgr, update=firefox, group=group, decision=Decision.APPROVED,
                          deadline=today + timedelta(days=14))  # fmt: skip
    lines = ["Computer Name,KB Article,Installation State"]
    lines += [f"{ci.name},KB5034441,{'Installed' if n % 2 == 0 else 'NotInstalled'}" for n, ci in enumerate(desktops)]
    services.import_report(actor=tech, school=school, text="\n".join(lines) + "\n", file_name="wsus-highfield.csv")
    lines = ["host,update,version"] + [f"{ci.name},Mozilla Firefox,{'128.3.1' if n % 3 else '115.9.0'}"
                                       for n, ci in enumerate(desktops)]  # fmt: skip
    services.import_report(actor=tech, school=school, text="\n".join(lines) + "\n", file_name="firefox-versions.csv")
    run = compliance_compute(school_id=school.pk)
    return {"baseline updates": 2, "device states": run.rows, "overdue tasks": run.tasks_raised}
