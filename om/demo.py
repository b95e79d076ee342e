"""The demo's policies and activity allocations for Security Administration and Patch Management at highfield
(seed_demo; Systems Administration's come with its routine operations, om/sysadmin/demo.py). FITS-OM 7: the network
manager writes each function's policy and allocates its activities; the technicians carry them out."""

from __future__ import annotations

from fits.models import School, User
from om import services
from om.models import ActivityAllocation, FunctionPolicy

POLICIES = {
    "security": (
        "Security Administration keeps the school's systems and data safe: accounts, rights, firewall and web "
        "filtering, anti-virus and the response to security incidents and personal data breaches.\n\n"
        "- Administrator rights are held only by named ICT staff, each with a separate admin account; the list is "
        "reviewed and signed off every term.\n"
        "- Firewall and filtering rules each have an owner and a purpose, and are reviewed every year.\n"
        "- Every computer runs the managed anti-virus, updated daily; a computer not scanned for 7 days is a fault.\n"
        "- A suspected personal data breach is logged the same day and reported to the data protection officer; "
        "the DPO decides on reporting to the ICO within 72 hours of discovery.\n"
        "- Security incidents are seen only by the network manager, the head teacher and whoever works them."
    ),
    "patches": (
        "Patch Management keeps every device on the network up to date with the updates the school approves.\n\n"
        "- Windows updates are approved by the network manager for each group (pilot: the ICT suite; then all "
        "desktops) within 7 days of release; critical updates within 3 school days.\n"
        "- Applications (browsers, Office, Java) are kept at or above the baseline version.\n"
        "- Switch, firewall and printer firmware is reviewed each term and upgraded as a planned change.\n"
        "- A device overdue for a critical update gets a task the same day; one not reporting for 14 days is checked."
    ),
}

ACTIVITIES = {
    "security": [
        ("Review who holds administrator rights and sign it off", "termly", "netmgr", None),
        ("Review the firewall and web filtering rules", "yearly", "netmgr", "tech"),
        ("Check the anti-virus console for unprotected or unscanned computers", "weekly", "tech", "netmgr"),
        ("Log and handle security incidents and personal data breaches", "as_needed", "netmgr", "leader"),
    ],
    "patches": [
        ("Approve this month's Windows updates for the pilot and all desktops", "monthly", "netmgr", None),
        ("Import the WSUS report and chase devices that are overdue", "weekly", "tech", "netmgr"),
        ("Update browsers and plug-ins to the baseline version", "monthly", "tech", None),
        ("Review switch, firewall and printer firmware", "termly", "netmgr", "tech"),
    ],
}


def seed_policies(schools: dict[str, School], people: dict[str, User]) -> dict[str, int]:
    """At highfield, the policy of each function above and its activities, each with its owner; skipped for a
    function whose policy is there. How many of each were added."""
    school, admin, netmgr = schools.get("highfield"), people.get("admin"), people.get("netmgr")
    added = {"policies": 0, "allocated activities": 0}
    if school is None or admin is None or netmgr is None:
        return {}
    for function, text in POLICIES.items():
        if FunctionPolicy.objects.filter(school=school, function=function).exists():
            continue
        services.policy_save(actor=admin, school=school, function=function, text=text, owner=netmgr)
        added["policies"] += 1
        for activity, frequency, owner, deputy in ACTIVITIES[function]:
            if ActivityAllocation.objects.filter(school=school, function=function, activity=activity).exists():
                continue
            services.allocation_save(actor=netmgr, school=school, function=function, activity=activity,
                                     frequency=frequency, owner=people.get(owner),
                                     deputy=people.get(deputy) if deputy else None)  # fmt: skip
            added["allocated activities"] += 1
    return added if any(added.values()) else {}
