"""The demo's Security Administration (seed_demo), at highfield: a security category with one security incident, an
open breach log entry whose ICO deadline is running, rules of the school's firewall (one review overdue, its task
raised), antivirus states of its computers (a few not working), its administrator accounts and a signed-off access
review. Skipped once highfield has a breach logged.

The demo's computers send no inventories, so their antivirus states are seeded here as an agent's would read them;
real ones come from the agents (om.security.services.antivirus_refresh).
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from cmdb.models import COMPUTER_KINDS, ConfigurationItem
from fits.models import School, User
from incidents import services as incidents
from om.security import services
from om.security.models import AntivirusStatus, Breach, BreachRisk

RULES = [
    # (name, source, destination, service, action, purpose, months ago reviewed / due in days)
    (
        "Allow web from the curriculum VLAN",
        "Curriculum VLAN",
        "any",
        "tcp/80,443",
        "allow",
        "Pupils and staff browse the web through the LA's filtering proxy.",
        200,
    ),
    (
        "Allow MIS from the office",
        "Office VLAN",
        "MIS (cloud)",
        "tcp/443",
        "allow",
        "The office reaches the cloud MIS; nothing else reaches it.",
        120,
    ),
    (
        "Filter: social media for pupils",
        "Pupil accounts",
        "Social media category",
        "web",
        "filter",
        "KCSIE: pupils cannot reach social media in school; staff can for the school's own accounts.",
        60,
    ),
    (
        "Allow remote support from the LA",
        "LA support range",
        "Management VLAN",
        "tcp/3389",
        "allow",
        "The LA's support unit connects to the servers for escalated calls. Review: is it still needed?",
        -10,
    ),
]

ACCOUNTS = [
    # (account, system, rights, person key or None, holder)
    ("HIGHFIELD\\admin.netmgr", "HIGHFIELD domain", "Domain Admins", "netmgr", ""),
    ("HIGHFIELD\\admin.tech", "HIGHFIELD domain", "Domain Admins", "tech", ""),
    ("HIGHFIELD\\admin.jsmith", "HIGHFIELD domain", "Domain Admins", None, "J Smith (technician until July)"),
    ("admin", "Firewall (HF-FW)", "Administrator", None, "Vendor support"),
    ("mis-admin", "MIS", "System administrator", None, "School business manager"),
]


def seed_security(schools: dict[str, School], people: dict[str, User], *, now=None) -> dict[str, int]:
    """Security Administration for the demo; how many of each thing were added (empty when it was all there)."""
    school, netmgr, tech = schools.get("highfield"), people.get("netmgr"), people.get("tech")
    if school is None or netmgr is None or tech is None or Breach.objects.filter(school=school).exists():
        return {}
    now = now or timezone.now()
    added = {"breaches": 0, "firewall rules": 0, "review tasks": 0, "antivirus states": 0, "admin accounts": 0}
    with transaction.atomic():
        category = incidents.category_save(actor=netmgr, school=school, name="Security incident")
        category = services.category_mark_security(category=category, actor=netmgr, is_security=True)
        incident = incidents.incident_log(
            school=school,
            logged_by=netmgr,
            title="Phishing e-mail: office staff entered their passwords",
            description="A fake 'DfE payroll' e-mail; two office staff entered their passwords on the linked page.",
            impact=2,
            urgency=1,
            category=category,
        )
        breach = services.breach_log(
            school=school,
            actor=netmgr,
            now=now,
            title="Class list with SEN notes e-mailed to the wrong parent",
            description="A Year 4 class list with SEN support notes went to a parent instead of the class teacher.",
            occurred_at=now - timedelta(hours=22),
            discovered_at=now - timedelta(hours=20),
            data_affected="Names, dates of birth, SEN support notes",
            people_affected=29,
            records_affected=29,
            children_data=True,
            special_category=True,
            risk=BreachRisk.RISK,
            others_told="The LA's data protection officer, by phone.",
            dpo_told_at=now - timedelta(hours=19),
            incident=incident,
        )
        services.breach_action_add(
            breach=breach,
            actor=netmgr,
            text="Ask the parent to delete the e-mail and confirm",
            owner=people.get("leader"),
            due_on=timezone.localdate(now),
        )
        done = services.breach_action_add(breach=breach, actor=netmgr, text="Recall the message in Outlook", owner=tech)
        services.breach_action_done(action=done, actor=netmgr)
        services.breach_action_add(
            breach=breach,
            actor=netmgr,
            text="Turn on external-recipient warnings in Exchange",
            owner=tech,
            due_on=timezone.localdate(now) + timedelta(days=7),
        )
        added["breaches"] = 1

        firewall = ConfigurationItem.objects.filter(school=school, kind="firewall").order_by("pk").first()
        if firewall is not None:
            today = timezone.localdate(now)
            for name, source, destination, service, action, purpose, days in RULES:
                services.firewall_rule_save(
                    actor=tech,
                    firewall=firewall,
                    name=name,
                    source=source,
                    destination=destination,
                    service=service,
                    action=action,
                    purpose=purpose,
                    owner=tech if days > 0 else netmgr,
                    review_due=today + timedelta(days=days),
                )
                added["firewall rules"] += 1
            added["review tasks"] = services.firewall_reviews_raise(today=today)

        computers = ConfigurationItem.objects.filter(school=school, kind__in=COMPUTER_KINDS).order_by("name")[:16]
        for i, computer in enumerate(computers):
            product, enabled, up_to_date = "Microsoft Defender Antivirus", True, True
            if i in (3, 9):
                up_to_date = False
            elif i == 6:
                enabled = False
            elif i == 12:
                product, enabled, up_to_date = "", False, False
            AntivirusStatus.objects.update_or_create(
                ci=computer,
                defaults={
                    "school": school,
                    "product": product,
                    "version": "4.18.24090" if product else "",
                    "enabled": enabled,
                    "up_to_date": up_to_date,
                    "last_seen": now - timedelta(hours=i),
                },
            )
            added["antivirus states"] += 1

        for account, system, rights, person, holder in ACCOUNTS:
            services.privileged_account_save(
                school=school,
                actor=netmgr,
                account=account,
                system=system,
                rights=rights,
                person=people.get(person) if person else None,
                holder=holder,
            )
            added["admin accounts"] += 1
        review = services.access_review_start(school=school, actor=netmgr)
        for item in review.items.select_related("account"):
            leaver = item.account.account.endswith("jsmith")
            services.access_review_decide(
                item=item, actor=netmgr, decision="remove" if leaver else "keep", note="Left in July" if leaver else ""
            )
        services.access_review_sign_off(review=review, actor=people.get("leader") or netmgr, note="Autumn term review.")
    return {what: n for what, n in added.items() if n}
