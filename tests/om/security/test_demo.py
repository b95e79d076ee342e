"""The demo's Security Administration: an open breach whose ICO deadline runs, a security incident, rules with one
review overdue (its task raised), antivirus states with a few not working, the admin accounts and a signed-off
review; seeding again adds nothing."""

from __future__ import annotations

from cmdb.services import ci_create
from incidents.models import Incident, Task, TaskOrigin
from om.security.demo import seed_security
from om.security.models import AccessReview, AntivirusStatus, Breach, FirewallRule, PrivilegedAccount


def test_the_demo_shows_each_part_and_is_seeded_once(highfield, cast, tech):
    ci_create(school=highfield, actor=tech, kind="firewall", name="HF-FW")
    for i in range(14):
        ci_create(school=highfield, actor=tech, kind="desktop", name=f"HF-PC-{i:02d}")
    people = cast
    added = seed_security({"highfield": highfield}, people)
    assert added["breaches"] == 1 and added["firewall rules"] == 4 and added["review tasks"] == 1
    breach = Breach.objects.get()
    assert breach.status == "open" and breach.awaiting_report and breach.incident.security
    assert Incident.objects.filter(security=True).count() == 1
    assert FirewallRule.objects.count() == 4 and Task.objects.filter(origin=TaskOrigin.REVIEW).count() == 1
    states = list(AntivirusStatus.objects.all())
    assert len(states) == 14 and sum(not s.working for s in states) == 4
    assert PrivilegedAccount.objects.filter(is_active=False).count() == 1
    assert AccessReview.objects.get().status == "signed_off"
    assert seed_security({"highfield": highfield}, people) == {}
