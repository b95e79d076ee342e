"""The FITS maturity questionnaire: yes/no criteria per process and OM function, as data.

The FITS Assessment's own questions were not recovered (FITS.md 12); these are written from each process's goal,
activities, records and measures (FITS.md 1-10) and each OM function's text (FITS.md 11), with the review checklists
(Change, Configuration, Release, Problem) as criteria, and FITS OM's shape: each question has the recommended action
for a "no". An assessment records the questionnaire version it was answered against, so a later version (new or
reworded questions) never changes the score of an earlier year: add a version, never edit a published one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

CURRENT_VERSION = 1


@dataclass(frozen=True)
class Question:
    key: str  # "<area>.<name>", stable across versions while the question means the same
    text: str
    guidance: str
    action: str  # the recommended action while it is not yet met (FITS OM)


@dataclass(frozen=True)
class Area:
    """A FITS process or FITS OM function, with its questions."""

    key: str
    name: str
    kind: str  # "process" or "function"
    goal: str
    questions: tuple[Question, ...]

    @property
    def short(self) -> str:
        """A column heading for the LEA's grid."""
        return SHORT_NAMES.get(self.key, self.name)


def _q(area: str, name: str, text: str, guidance: str, action: str) -> Question:
    return Question(f"{area}.{name}", text, guidance, action)


V1: tuple[Area, ...] = (
    # --- Reactive ---------------------------------------------------------------------------------------------
    Area("servicedesk", "Service Desk", "process",
         "The single point of contact between support and users.", (
        _q("servicedesk", "single_point", "Is every call recorded in one place, whatever the channel?",
           "Book, form, e-mail, phone and answerphone calls all end up in the same call log.",
           "Choose one call log and route every channel into it; stop fixing calls that are not logged."),
        _q("servicedesk", "published", "Have you published how to log a call, the expected response and the hours?",
           "Staff know where to go, when the desk is open and how soon they will hear back.",
           "Publish a one-page guide to the service desk: how to log, hours, expected response."),
        _q("servicedesk", "owns_calls", "Does the desk own each call to resolution and keep the caller informed?",
           "Callers are told when their call is taken, passed on and resolved.",
           "Make the desk administrator the owner of every call until the caller confirms it is resolved."),
        _q("servicedesk", "not_technician", "Is the desk staffed by someone other than the technician?",
           "FITS advises that the single point of contact is not the person doing the technical work.",
           "Name a service desk administrator (often office staff) and keep the technician on technical work."),
        _q("servicedesk", "owner", "Is there a service desk owner who authorises changes to its procedures?",
           "A manager or supervisor, not technical, runs the desk.",
           "Name the service desk owner and write down the desk's procedures."),
        _q("servicedesk", "calls_reported", "Are calls counted by type and period and reported?",
           "Calls by type and month feed the service report.",
           "Report the number of calls by type each month in the service report."),
    )),
    Area("incidents", "Incident Management", "process",
         "Restore the service to the user as soon as possible, and record enough for Problem Management.", (
        _q("incidents", "incident_sheet", "Do users complete an incident sheet (what was expected, what happened, "
           "when it last worked)?", "The user's part of the sheet is filled in before a technician is asked.",
           "Adopt the FITS incident sheet and ask the desk to check it on logging."),
        _q("incidents", "priority_category", "Is every incident logged with a priority and a category?",
           "Priority from impact and urgency (whole school > lesson in progress > individual); a category.",
           "Agree a priority scale and a short category list, and set both when logging."),
        _q("incidents", "knowledge_first", "Is the knowledge base checked before a technician is requested?",
           "Known errors and workarounds are tried in school first.",
           "Keep known errors and workarounds in the knowledge base and make checking it a logging step."),
        _q("incidents", "closure", "On closure, is the user told, the log updated and follow-up passed to "
           "Problem Management?", "Closed incidents carry a resolution and the user has confirmed it.",
           "Add closure to the procedure: resolution recorded, user told, repeats passed to Problem Management."),
        _q("incidents", "measured", "Do you measure what fails and how long systems are unavailable?",
           "By category, room and asset; percentage within target.",
           "Report incidents by category and time to resolve each month."),
    )),
    # --- Proactive --------------------------------------------------------------------------------------------
    Area("problems", "Problem Management", "process",
         "Remove the underlying causes when quick fixes fail, incidents recur or a major incident hits.", (
        _q("problems", "incident_rule", "Is there a rule for when an incident becomes a problem?",
           "For example: the same fault three times in a month, or one fault affecting many users.",
           "Write the incident-to-problem rule and apply it at the weekly review of the call log."),
        _q("problems", "major_incident", "Is there a major-incident procedure?",
           "Server crash, virus outbreak, slow network: who leads, who is told, how it is reviewed.",
           "Write a one-page major-incident procedure and rehearse it once."),
        _q("problems", "from_incidents", "Are problems recorded in a problem log and linked to their incidents?",
           "Problems come from incidents, monitoring and preventative maintenance.",
           "Start a problem log and link each problem to the incidents that raised it."),
        _q("problems", "known_errors", "Are known errors and workarounds published back to Incident Management?",
           "The desk can apply a workaround while the root cause is fixed.",
           "Record the workaround on each problem and publish it as a known error."),
        _q("problems", "monthly_report", "Is a monthly problem report drawn from the log?",
           "Opened, closed and open problems against the fix-time bands the school sets.",
           "Report problems monthly against agreed fix-time bands."),
    )),
    Area("availability", "Availability and Capacity Management", "process",
         "Stop fire fighting: keep services available and capacity ahead of demand.", (
        _q("availability", "monitoring", "Are servers, switches and key services monitored automatically?",
           "Ping, TCP, HTTP or SNMP checks raise an alert before users call.",
           "Set up monitoring checks for every server, switch and key service."),
        _q("availability", "documented", "Are the network maps, cabling and device settings documented in the CMDB?",
           "Physical and logical maps, device settings, software and patch levels.",
           "Document the network in the CMDB: maps, cabling, settings."),
        _q("availability", "disk_weekly", "Is free disk against capacity reviewed weekly?",
           "Clean up first, then add disks; the weekly figure goes to Service Level.",
           "Add a weekly disk usage check and report it in the service report."),
        _q("availability", "maintenance", "Is there a preventative maintenance schedule and log?",
           "Cleaning, disk and log checks, UPS tests on a schedule.",
           "Write a preventative maintenance schedule and keep a log of each visit."),
        _q("availability", "spares", "Are spares, rebuild notes and named owners ready for failures?",
           "Preparation: spares, rebuild notes, tested backups, named owners.",
           "List the spares and rebuild notes per key device and name an owner for each."),
    )),
    # --- Change ----------------------------------------------------------------------------------------------
    Area("changes", "Change Management", "process",
         "Change hardware, software, services and documentation with minimum disruption, keeping records current.", (
        _q("changes", "rfc_major", "Is there an RFC for every major change?",
           "Changes affecting more than one user (a server, a network reconfiguration) start with an RFC.",
           "Require an RFC, raised before anything is bought, for every change affecting more than one user."),
        _q("changes", "approved_before", "Are changes approved before they are implemented?",
           "Approval to proceed and approval to implement, recorded with who and when.",
           "Make approval a step no change can skip; the network manager approves normal changes."),
        _q("changes", "communicated", "Are changes communicated, and the service desk warned in advance?",
           "Approved changes and downtime notices are published.",
           "Publish the change summary and tell the desk before each change."),
        _q("changes", "cmdb_updated", "Is the CMDB updated as part of closing a change?",
           "Step 9 of the FITS change process.",
           "Add 'CMDB updated' to the change closure checklist."),
        _q("changes", "reports_used", "Are change reports (raised, approved, succeeded, failed) produced and used?",
           "Weekly or monthly, consistently.",
           "Report RFCs raised, approved, rejected, succeeded and failed each month and review them."),
    )),
    Area("releases", "Release Management", "process",
         "Plan, build, test and deploy hardware and software; install only tested versions.", (
        _q("releases", "dsl", "Is there a definitive software library (DSL)?",
           "Original media and licensed build images kept centrally, with an in/out record.",
           "Create the DSL: store the approved versions and media in one controlled place."),
        _q("releases", "licence_log", "Is there a licence log mapping each licence to a computer?",
           "Licences are known and not exceeded.",
           "Start a licence log from the CMDB's software and licence records."),
        _q("releases", "build_procedures", "Are there documented build procedures (design, install, stability and "
           "acceptance test)?", "One build procedure per service.",
           "Document a build procedure for each standard build, starting with the staff laptop."),
        _q("releases", "checklist_installs", "Are installations done against a checklist?",
           "Installers follow the checklist and record the result.",
           "Give installers a checklist per build and file it with the release."),
        _q("releases", "tested_only", "Are only tested versions installed?",
           "Builds pass their tests before release to installers.",
           "Test each build before release and record the test."),
    )),
    Area("cmdb", "Configuration Management", "process",
         "An up-to-date CMDB of every infrastructure component, its location and its links.", (
        _q("cmdb", "populated", "Is the CMDB populated from a full audit?",
           "Every base unit, server, switch and printer is a configuration item.",
           "Carry out a full audit (inventory agents help) and load it into the CMDB."),
        _q("cmdb", "update_methods", "Are the update methods live (Change, incident/request, stock control)?",
           "Records change when the kit changes, not at the next audit.",
           "Make CMDB updates a step of change closure, installs and stock movements."),
        _q("cmdb", "moves_recorded", "Are moves recorded?",
           "A computer moved to another room is moved in the CMDB the same day.",
           "Log every move as a request and update the CI's location on completion."),
        _q("cmdb", "audited", "Is the CMDB audited regularly?",
           "Agents report inventory; physical checks find missing and incorrect records.",
           "Deploy inventory agents and audit the CMDB each term."),
        _q("cmdb", "relationships", "Are relationships between items recorded (depends on, runs on, connected to)?",
           "So that impact can be seen before a change or during an incident.",
           "Record the relationships of servers, switches and key services."),
    )),
    # --- Strategic -------------------------------------------------------------------------------------------
    Area("servicelevels", "Service Level Management", "process",
         "Agree which services are supported and at what level, then monitor and review.", (
        _q("servicelevels", "catalogue", "Is there a service catalogue stating what is and is not covered?",
           "Services, not equipment, with the components each relies on.",
           "Write a service catalogue with 'guesstimated' levels and share it with staff."),
        _q("servicelevels", "sla_agreed", "Is there an SLA, and is it measured?",
           "Targets per priority, measured against the incidents actually logged.",
           "Agree a simple SLA with the school's leaders and measure incidents against it."),
        _q("servicelevels", "service_report", "Is a regular service report produced and reviewed with users?",
           "Reactive, proactive and change statistics each term.",
           "Produce a termly service report and review it with the leadership team."),
        _q("servicelevels", "suppliers", "Are suppliers held to underpinning contracts?",
           "Supplier response times support the school's own targets.",
           "List suppliers' contracted response times beside the SLA targets."),
        _q("servicelevels", "priority_order", "Is there an agreed priority order of services?",
           "Which service is restored first when several fail.",
           "Agree the order of services with the leadership team."),
    )),
    Area("continuity", "Service Continuity Management", "process",
         "Find services, assets, risks and threats; apply countermeasures; plan and test recovery.", (
        _q("continuity", "services_ordered", "Are the services listed in their recovery order?",
           "Start with just the services and their recovery order.",
           "List the services and agree their recovery order."),
        _q("continuity", "risks", "Are risks and threats assessed with countermeasures?",
           "Damage, virus, supplier failure, sickness, power loss; single points of failure.",
           "Start a risk register and name a countermeasure for each high risk."),
        _q("continuity", "plan", "Is there a written recovery plan with a recovery team?",
           "Services in order, steps, team, standby arrangements.",
           "Write the recovery plan and name the recovery team."),
        _q("continuity", "tested", "Has the plan been tested (a scenario rehearsed) in the last year?",
           "Rehearse a scenario with the recovery team and record the findings.",
           "Rehearse one scenario this year and act on its findings."),
        _q("continuity", "kept_current", "Is the plan kept current through Configuration, Service Level and Change?",
           "Changes that affect recovery update the plan.",
           "Add 'continuity plan affected?' to the RFC checklist."),
    )),
    Area("finance", "Financial Management", "process",
         "Know the true cost of ICT; record, monitor, act and budget ahead.", (
        _q("finance", "expenditure_record", "Is there an expenditure record of all ICT spending?",
           "Including support, consumables and maintenance as well as kit.",
           "Start an expenditure record, one sheet per budget."),
        _q("finance", "categories", "Is spending categorised and graphed by category?",
           "Hardware, software, consumables, support, staff; no oversized miscellaneous.",
           "Categorise each item and graph the category totals each term."),
        _q("finance", "budget", "Is there a budget for the current year, checked against actual spending?",
           "Budget against actual, reviewed with the budget-holding leader.",
           "Set the year's ICT budget and compare it with spending each term."),
        _q("finance", "tco", "Do you know the total cost of ownership of the main services?",
           "Becta's TCO model: support and consumables included.",
           "Estimate the TCO of the main services with Becta's model."),
        _q("finance", "contracts", "Are contracts and warranties recorded with their end dates?",
           "Renewals are planned, not discovered.",
           "Record each contract and warranty with its end date and owner."),
    )),
    # --- FITS OM functions -----------------------------------------------------------------------------------
    Area("sysadmin", "Systems Administration", "function",
         "Day-to-day administration; allocates all OM activities across the support team.", (
        _q("sysadmin", "policy", "Is there a systems administration policy drafted by the network manager?",
           "FITS OM: one owner per function; the network manager drafts the policy.",
           "Draft the systems administration policy and agree it with the leadership team."),
        _q("sysadmin", "allocated", "Are the OM activities allocated across desk, technician and network manager?",
           "Who does each daily, weekly and termly activity.",
           "Allocate each OM activity to a role and publish the allocation."),
        _q("sysadmin", "routines_on_time", "Are routine operations (daily, weekly, termly checks) done on time?",
           "Checklists are completed and overdue ones chased.",
           "Schedule the routine checklists and review overdue ones weekly."),
        _q("sysadmin", "logbooks", "Are server logbooks kept?",
           "What was done to each server, when and by whom.",
           "Keep a logbook per server and record every intervention."),
        _q("sysadmin", "run_books", "Are there run books for the main procedures?",
           "Reviewed by the network manager.", "Write run books for restarts, account tasks and backups."),
    )),
    Area("storage", "Storage Management", "function",
         "Define, track and maintain data resources: classify, store, restore and recover data.", (
        _q("storage", "policy", "Is there a policy on classifying, storing, restoring and recovering data?",
           "Media, disposal and backup verification included.", "Write the storage and backup policy."),
        _q("storage", "classified", "Is data classified by volume, growth and restore needs?",
           "Which shares matter most and how quickly they must come back.",
           "Classify the shares and set restore expectations for each class."),
        _q("storage", "backups_monitored", "Are backups monitored, with every job reporting its result?",
           "Missed or failed backups raise an incident.",
           "Have each backup job report its result and follow up failures the same day."),
        _q("storage", "restores_tested", "Have restores been tested this term?",
           "A file restored from backup and checked, recorded with the evidence.",
           "Restore a sample file from each backup job every term and record the test."),
        _q("storage", "capacity", "Is storage capacity tracked so that volumes do not fill up unexpectedly?",
           "Growth and a forecast of when each volume is full.", "Monitor volume usage and review growth monthly."),
        _q("storage", "via_change", "Do storage changes go through Change Management?",
           "New volumes, moved shares, changed retention.", "Raise an RFC for every storage change."),
    )),
    Area("directory", "Directory Services Administration", "function",
         "Run the directory of users, computers and other objects.", (
        _q("directory", "roles", "Are the directory designer and administrator roles named?",
           "Who designs the structure, who administers it.", "Name the directory designer and administrator."),
        _q("directory", "documented", "Is the directory structure (OUs, groups) documented in the CMDB?",
           "So changes to it can be assessed.", "Document the OU and group structure."),
        _q("directory", "starters_leavers", "Are starters and leavers handled promptly from the MIS?",
           "Accounts created before the first day and disabled on leaving.",
           "Make starters and leavers a catalogue request driven by the MIS."),
        _q("directory", "sync", "Is the directory synchronised and checked regularly?",
           "Stale and disabled accounts are found.", "Run a scheduled directory sync and review its report."),
        _q("directory", "via_change", "Are directory changes installed through Change and Release?",
           "Piloted first.", "Raise an RFC for structural directory changes."),
    )),
    Area("printing", "Print and Output Management", "function",
         "Define a device deployment plan and policies; monitor availability, capacity and performance.", (
        _q("printing", "deployment_plan", "Is there a printer deployment plan and print policy?",
           "Which devices where, and the rules for their use.", "Write the print policy and deployment plan."),
        _q("printing", "monitored", "Are printers monitored for availability and supply levels?",
           "Low toner is seen before a lesson fails.", "Read supply levels over SNMP and alert on low ones."),
        _q("printing", "consumables", "Is consumable stock controlled with reorder levels?",
           "Stock received and issued is recorded.", "Keep a consumables stock with reorder levels."),
        _q("printing", "demand", "Is print demand forecast from page counts?",
           "Usage by printer and period.", "Collect page counts and review them termly."),
        _q("printing", "web_output", "Is web and intranet publishing covered by the output policy?",
           "Output includes publishing, not just printing.", "Add publishing to the output policy."),
    )),
    Area("security", "Security Administration", "function",
         "Confidentiality, integrity, availability and asset security.", (
        _q("security", "asset_inventory", "Is there an asset inventory kept up to date through Change?",
           "Security starts with knowing what there is.", "Keep the asset inventory in the CMDB, updated by RFCs."),
        _q("security", "threat_assessment", "Have threats and their impact been assessed, with cost-justified "
           "controls?", "Classification, threat and impact assessment.",
           "Assess the main threats and choose controls in proportion."),
        _q("security", "access_control", "Are user IDs, role-based access and privileged accounts reviewed?",
           "Who holds administrator rights is known and signed off.", "Review privileged accounts each term."),
        _q("security", "firewall_reviewed", "Are firewall and filtering rules reviewed regularly?",
           "Each rule has an owner and a review date.", "Record each firewall rule and review them all termly."),
        _q("security", "breaches_logged", "Are security breaches logged and followed up?",
           "Including reporting to the ICO where personal data is involved.",
           "Keep a breach log and a procedure for reporting."),
        _q("security", "log_audits", "Are security logs audited?", "Sign-in failures, antivirus alerts.",
           "Audit security logs on a schedule."),
    )),
    Area("patches", "Patch Management", "function",
         "Planned updates to anti-virus, anti-spyware, software and drivers, using the CMDB and network map.", (
        _q("patches", "administrator", "Is there a patch administrator following vendor sources?",
           "Someone reads the vendors' release notes and advisories.", "Name the patch administrator."),
        _q("patches", "baseline", "Are patch baselines defined for the school's software?",
           "The versions every computer should have.", "Define a baseline for the operating systems and key software."),
        _q("patches", "compliance", "Are computers compliant with the patch baseline?",
           "Most computers run the approved versions.",
           "Check compliance from inventory and roll out the missing updates."),
        _q("patches", "via_change", "Are patch rollouts planned through Change and Release?",
           "Tested on a pilot group first.", "Roll out patches as releases with a pilot group."),
        _q("patches", "antivirus", "Are anti-virus definitions up to date everywhere?",
           "Antivirus status per computer.", "Report antivirus status weekly and fix out-of-date clients."),
    )),
)  # fmt: skip

QUESTIONNAIRES: dict[int, tuple[Area, ...]] = {1: V1}

SHORT_NAMES = {
    "servicedesk": "Desk", "incidents": "Incident", "problems": "Problem", "availability": "Avail.",
    "changes": "Change", "releases": "Release", "cmdb": "Config.", "servicelevels": "Levels", "continuity": "Contin.",
    "finance": "Finance", "sysadmin": "Sysadmin", "storage": "Storage", "directory": "Directory", "printing": "Print",
    "security": "Security", "patches": "Patch",
}  # fmt: skip


def areas(version: int = CURRENT_VERSION) -> tuple[Area, ...]:
    return QUESTIONNAIRES[version]


@cache
def area_map(version: int = CURRENT_VERSION) -> dict[str, Area]:
    return {area.key: area for area in areas(version)}


@cache
def question_map(version: int = CURRENT_VERSION) -> dict[str, tuple[Area, Question]]:
    return {question.key: (area, question) for area in areas(version) for question in area.questions}
