"""Service Continuity Management for the demo, at highfield: a risk register of nine believable risks across the
matrix (one past its review date), recovery plans for the Internet access, File storage, MIS and E-mail services of
the demo CMDB (the MIS plan overdue for review), a desk-top walk-through of the File storage plan last term with its
findings and actions (raised as tasks), and the reminders the daily beat would raise."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from cmdb.models import ConfigurationItem, Kind
from continuity import services
from continuity.models import ContinuityPlan, Risk
from fits.models import School, User

STANDBY_SUPPLIER = ("Northwest Server Care", "0161 555 0142", "Standby server (contract NSC-4471)")
ICT_UNIT = ("Bolton Schools ICT Unit", "01204 555 0199", "LEA support desk and escalation")


def _risks(school: School, netmgr: User, tech: User, cis: dict[str, ConfigurationItem]) -> dict[str, Risk]:
    today = timezone.localdate()

    def ci(*names: str) -> list[ConfigurationItem]:
        return [cis[name] for name in names if name in cis]

    rows = [
        ("flood", "Server room floods", "The server room is in the basement of the main block, under the kitchen's "
         "water pipes; the drain outside blocks in heavy rain.", 2, 5,
         "Servers raised 40 cm off the floor; water sensor alerting the network manager; nightly off-site copy.",
         (1, 4), ci("HF-SRV-01", "HF-SRV-02", "HF-CORE-01", "File storage", "MIS"), 180),
        ("malware", "Ransomware encrypts the file server", "A phishing e-mail opened by a member of staff; shared "
         "drives mapped for everyone.", 3, 5, "Immutable off-site backups; antivirus with ransomware protection; "
         "admin accounts with MFA; staff phishing training each September.", (2, 4),
         ci("HF-SRV-01", "File storage"), 120),
        ("network", "The LEA broadband line fails", "A single line to the LEA's network; roadworks on the main road "
         "cut it twice in 2024.", 3, 4, "4G router in the comms cabinet for the office and the MIS; the LEA's NOC "
         "contract restores within 5 hours.", (3, 2), ci("HF-RTR-01", "Internet access", "E-mail"), 150),
        ("power", "Power cut takes the server room down", "The UPS lasts about 20 minutes; no generator.", 3, 3,
         "UPS with graceful shutdown of the servers; restart order written in the plans.", None,
         ci("HF-SRV-01", "HF-SRV-02", "HF-CORE-01"), -21),
        ("sickness", "Network manager off sick for weeks", "One network manager holds most of the knowledge.", 2, 3,
         "Plans and run books written down; the LEA ICT Unit can send a technician at two days' notice.", (2, 2),
         [], 200),
        ("resignation", "Network manager resigns", "Admin passwords and supplier contacts live with one person.", 2, 4,
         "Passwords in the school's password vault (two holders); supplier contacts in the plans.", (2, 2), [], 240),
        ("theft", "Laptop trolley stolen", "Thirty laptops in a trolley in a ground-floor classroom.", 2, 2,
         "Trolley locked to the wall; alarm zone; laptops encrypted and insured.", None, [], 300),
        ("supplier", "MIS supplier's hosted service is down", "Registers and the office depend on the supplier.", 2, 4,
         "Paper registers in each classroom's emergency pack; the office phones the supplier's priority line.",
         None, ci("MIS"), 160),
        ("fire", "Fire in the ICT suite", "Thirty PCs, the suite's switch and its printer in one room.", 1, 5,
         "Fire alarm and extinguishers; no server in the suite; PCs are rebuilt from the deployment image.", None,
         ci("HF-EDGE-ICT"), 320),
    ]  # fmt: skip
    risks = {}
    for category, title, description, likelihood, impact, controls, residual, affected, review_in in rows:
        risks[title] = services.risk_save(
            actor=netmgr,
            school=school,
            title=title,
            category=category,
            description=description,
            likelihood=likelihood,
            impact=impact,
            controls=controls,
            residual_likelihood=residual[0] if residual else None,
            residual_impact=residual[1] if residual else None,
            owner=netmgr if category not in ("theft", "fire") else tech,
            review_date=today + timedelta(days=max(review_in, 1)),
            cis=affected,
        )
        if review_in < 0:  # past its review date, so the reminder shows
            Risk.objects.filter(pk=risks[title].pk).update(review_date=today + timedelta(days=review_in))
    services.risk_transition(risk=risks["Laptop trolley stolen"], action="treat", actor=netmgr)
    services.risk_transition(risk=risks["Network manager resigns"], action="accept", actor=netmgr,
                             note="The vault and written plans are as far as the school can go.")  # fmt: skip
    return risks


def _team(netmgr: User, tech: User, leader: User, desk: User) -> list[dict]:
    rows = [
        (netmgr, "Service continuity manager: leads the recovery", "07700 900101"),
        (tech, "Rebuilds and restores the servers", "07700 900102"),
        (leader, "Invokes the plan; tells staff and parents", "07700 900103"),
        (desk, "Keeps the log; tells staff what is back", "01204 555 0101"),
    ]
    return [{"kind": "team", "person": person, "role": role, "phone": phone} for person, role, phone in rows]


def _outside(*rows: tuple[str, str, str]) -> list[dict]:
    return [{"kind": "external", "organisation": org, "name": "Service desk", "phone": phone, "role": role}
            for org, phone, role in rows]  # fmt: skip


def seed_continuity(schools: dict[str, School], people: dict[str, User]) -> dict[str, int]:
    """How many of each thing were added (empty when it was all there)."""
    school = schools.get("highfield")
    netmgr, tech, leader, desk = (people.get(name) for name in ("netmgr", "tech", "leader", "desk"))
    if school is None or None in (netmgr, tech, leader, desk) or Risk.objects.filter(school=school).exists():
        return {}
    cis = {ci.name: ci for ci in ConfigurationItem.objects.filter(school=school)}
    services_by_name = {ci.name: ci for ci in cis.values() if ci.kind == Kind.SERVICE}
    risks = _risks(school, netmgr, tech, cis)
    today = timezone.localdate()
    review = today + timedelta(days=200)
    team = _team(netmgr, tech, leader, desk)
    plans_spec = [
        ("Internet access", 1, 300, 0, "The school's link to the internet (the LEA broadband line, the router, the "
         "firewall and the core switch) is down for more than an hour in the school day.",
         "A 4G router (in the comms cabinet, labelled) gives the office and the MIS a connection within 30 minutes. "
         "The LEA's network operations centre restores the line within 5 hours under its contract.",
         ["The LEA broadband line fails", "Power cut takes the server room down"],
         [("Confirm the outage: check the router's WAN light and the LEA's status page", tech, "", 10),
          ("Call the LEA's network operations centre and log a fault; note the reference", tech, "", 10),
          ("Connect the 4G router to the firewall's WAN2 port and switch the office VLAN over", tech, "", 30),
          ("Tell staff by text what works (office, MIS) and what does not (pupil internet)", None, "The desk", 10),
          ("When the line is back: move back to WAN1, test filtering, unplug the 4G router", tech, "", 20)],
         _outside(ICT_UNIT, ("LEA broadband (NEN) network operations", "0800 555 0110", "Broadband line faults"))),
        ("File storage", 2, 480, 1440, "The file server (HF-SRV-01) or its shares are lost: flood, fire, ransomware or "
         "a hardware failure that cannot be repaired the same day.",
         "Northwest Server Care holds a standby server for the school (contract NSC-4471): delivered and racked "
         "within 4 hours of the call. The nightly backup on HF-SRV-02 and the off-site copy hold yesterday's data.",
         ["Server room floods", "Ransomware encrypts the file server", "Power cut takes the server room down"],
         [("Invoke the plan: the leader agrees, the desk starts the log", None, "Leader and desk", 15),
          ("Call Northwest Server Care for the standby server (contract NSC-4471)", netmgr, "", 10),
          ("Isolate the failed server from the network (ransomware: pull the cable, do not shut down)", tech, "", 10),
          ("Rack and cable the standby server; join it to the domain", None, "Supplier engineer", 120),
          ("Restore the Staff and Curriculum shares from last night's backup on HF-SRV-02", tech, "", 180),
          ("Check the restored shares open and the permissions are right (a teacher tests)", tech, "", 30),
          ("Tell staff the shares are back and what, if anything, was lost", None, "The desk", 10)],
         _outside(ICT_UNIT, STANDBY_SUPPLIER)),
        ("MIS", 3, 240, 1440, "The MIS database server (HF-SRV-01) is down, or the MIS cannot be reached in the "
         "school day: registers, safeguarding records and the office stop.",
         "Paper registers in every classroom's emergency pack; the MIS supplier can host a read-only copy from last "
         "night's backup within a day.",
         ["Server room floods", "MIS supplier's hosted service is down"],
         [("Issue the paper registers from the office's emergency pack", None, "The desk", 15),
          ("Call the MIS supplier's priority line and log the outage", netmgr, "", 10),
          ("Restore the MIS database to the standby server from last night's backup", tech, "", 150),
          ("Type the paper registers into the MIS", None, "Attendance officer", 60)],
         _outside(ICT_UNIT, ("MIS supplier support", "0345 555 0173", "Priority line for the MIS"))),
        ("E-mail", 4, 1440, 60, "Microsoft 365 e-mail cannot be reached (the internet is down, or Microsoft's "
         "service is).",
         "None needed on site: mail stays in the cloud; staff use the Outlook app on their phones over 4G.",
         ["The LEA broadband line fails"],
         [("Check Microsoft's service health page from a phone", tech, "", 5),
          ("If the school's internet is down, follow the Internet access plan first", tech, "", 5),
          ("Tell staff to use the Outlook app on their phones", None, "The desk", 10)],
         _outside(ICT_UNIT)),
    ]  # fmt: skip
    plans = {}
    for name, order, rto, rpo, summary, standby, risk_titles, steps, outside in plans_spec:
        service = services_by_name.get(name)
        if service is None:
            continue
        plan = services.plan_save(
            actor=netmgr, school=school, service=service, recovery_order=order, summary=summary, rto_minutes=rto,
            rpo_minutes=rpo, standby=standby, owner=netmgr, review_date=review, test_every_months=12,
            risks=[risks[title] for title in risk_titles if title in risks],
        )  # fmt: skip
        services.plan_steps_save(plan=plan, actor=netmgr, steps=[
            {"text": text, "who": who, "who_text": who_text, "minutes": minutes}
            for text, who, who_text, minutes in steps
        ])  # fmt: skip
        services.plan_contacts_save(plan=plan, actor=netmgr, contacts=team + outside)
        services.plan_transition(plan=plan, action="approve", actor=leader if name == "MIS" else netmgr)
        plans[name] = plan
    if "MIS" in plans:  # a year on: overdue for its review, so the reminder shows
        ContinuityPlan.objects.filter(pk=plans["MIS"].pk).update(review_date=today - timedelta(days=12))
    tests = 0
    if "File storage" in plans:
        services.continuity_test_record(
            plan=plans["File storage"], actor=netmgr, tested_on=today - timedelta(days=130), kind="walkthrough",
            scenario="Monday 7:30: the caretaker finds the server room flooded after a weekend of rain; HF-SRV-01 "
            "and HF-SRV-02 are under water.",
            outcome="issues",
            findings="The backups on HF-SRV-02 would be lost with the server room: only the off-site copy survives, "
            "and restoring 1.2 TB from it takes about 9 hours, beyond the 8-hour RTO. The standby server's "
            "contract number was not in the plan.",
            participants=[netmgr, tech, leader, desk], others="Northwest Server Care's account manager",
            rto_achieved_minutes=600, restores_tried=2, restores_passed=1,
            actions=[
                {"text": "Add the standby server's contract number to the plan", "owner": netmgr,
                 "due_on": today - timedelta(days=110)},
                {"text": "Test a full restore of the Staff share from the off-site copy and time it", "owner": tech,
                 "due_on": today + timedelta(days=14)},
            ],
        )  # fmt: skip
        tests += 1
    reminders = services.continuity_reminders_raise(today=today)
    return {"risks": len(risks), "recovery plans": len(plans), "continuity tests": tests, "reminders": reminders}
