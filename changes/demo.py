"""The demo's Change Management (seed_demo): the pre-approved standard changes, bolton's change advisory board,
the freeze and maintenance windows, and a term's worth of requests for change at highfield and riverside.

Everything is built through the services, as the school's staff and the LEA would build it (changes.services for
the changes, changes.cab for the templates, the board and its meeting, changes.windows for the freeze and
maintenance windows); only the timestamps are moved afterwards (raised last week, implemented on the day of
their window...), as seed_demo's `_backdate` does for incidents. Dates are relative to today: the exam freeze is
the next summer exam season, the start-of-term freeze the first days of the next term in the school's calendar,
and normal changes are planned on days no freeze covers (the service refuses them otherwise).

Bolton (kept by its consultant): the four standard changes, the "Bolton schools CAB" (netmgr, leader, consultant;
quorum 2) with a meeting on Thursday next week, the "GCSE and A-level exams" and "Start of term" freezes. Highfield
(kept by netmgr): its January "Mock exams" freeze and a Wednesday 16:00-18:00 maintenance window.

Idempotent with the rest of seed_demo: each part is skipped once it is there (the templates and the board once
bolton has them, a school's changes once it has any).

At highfield (tech raises, netmgr approves, the board votes on the high-risk one) there is a change in every
status: a draft, one awaiting the network manager, a high-risk MIS upgrade in half-term with one CAB vote of the
two it needs, an approved one, the core switch firmware upgrade scheduled next week (and an uplink re-patch on
the same switch in an overlapping window: the conflict), one in progress, one implemented awaiting its review, a
failed one, a backed-out one, a closed one with its post-implementation review, a rejected and a cancelled one,
an emergency firewall change awaiting its retrospective review and a standard toner change in Wednesday's
maintenance window. Riverside has a few, so the consultant's cross-school view has something.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from changes import cab, policy, services, windows
from changes.models import (
    ChangeAdvisoryBoard,
    ChangeApproval,
    ChangeKind,
    ChangeTemplate,
    FreezeWindow,
    MaintenanceWindow,
    RequestForChange,
    ReviewOutcome,
    Status,
)
from cmdb.models import ConfigurationItem
from fits.models import Activity, Authority, School, User
from incidents.models import Incident

BOARD_NAME = "Bolton schools CAB"
EXAMS_FREEZE = "GCSE and A-level exams"
MOCKS_FREEZE = "Mock exams"
TERM_START_FREEZE = "Start of term"

# =============================================================================
# The risk questionnaire's answers the demo gives (changes/policy.py)
# =============================================================================

LOW = {"users_affected": "few", "service_criticality": "low", "tested": "yes", "backout": "yes", "school_day": "no"}
MEDIUM = {
    "users_affected": "department",
    "service_criticality": "medium",
    "tested": "yes",
    "backout": "partial",
    "school_day": "no",
}
WHOLE_SCHOOL = {
    "users_affected": "school",
    "service_criticality": "high",
    "tested": "yes",
    "backout": "yes",
    "school_day": "no",
}  # 6 points: medium
HIGH = {
    "users_affected": "school",
    "service_criticality": "high",
    "tested": "yes",
    "backout": "partial",
    "school_day": "no",
}

# An emergency: the whole school during the day, not tried before (high risk, which is why it is reviewed).
EMERGENCY = {
    "users_affected": "school",
    "service_criticality": "high",
    "tested": "no",
    "backout": "yes",
    "school_day": "yes",
}

# =============================================================================
# The standard changes (authority-wide for bolton)
# =============================================================================

# (name, description, implementation plan, test plan, backout plan, minutes)
TEMPLATES = [
    (
        "Add a user to a group",
        "Add a member of staff to an Active Directory security or distribution group (a shared drive, a printer, "
        "a mailing list) at their line manager's request.",
        "Check the request came from the line manager or the school office.\n"
        "Add the account to the group in Active Directory Users and Computers.\n"
        "Note the group on the ticket.",
        "Ask the person to sign out and in again, then open the shared drive or send to the list.",
        "Remove the account from the group.",
        15,
    ),
    (
        "Replace a printer's toner",
        "Fit a new toner cartridge from the school's stock in a printer or copier that reports low toner.",
        "Take a cartridge of the printer's model from the stock cupboard.\n"
        "Fit it, remove the old one and bag it for the supplier's recycling collection.\n"
        "Update the stock sheet.",
        "Print the printer's status page: the toner level reads full and the page is clean.",
        "Refit the old cartridge if the new one is faulty, and report the faulty one to the supplier.",
        20,
    ),
    (
        "Re-patch a wall socket",
        "Connect a wall socket to another switch port (another VLAN, or a port that works) at the patch panel.",
        "Find the socket's panel port from the CMDB (the socket's cable trace).\n"
        "Move the patch lead to the chosen switch port and label both ends.\n"
        "Record the new connection in the CMDB.",
        "Plug a laptop into the socket: it gets an address on the expected VLAN and reaches the internet.",
        "Move the patch lead back to the port recorded in the CMDB before the change.",
        30,
    ),
    (
        "Install approved software from the library",
        "Install a title at its approved version from the definitive software library on named school computers.",
        "Check the title and version are approved in the definitive software library and a licence seat is free.\n"
        "Install it with the library's package, silently, as the deployment account.\n"
        "Record the installation against the computer in the CMDB.",
        "Open the program as a pupil account and as a staff account; it starts and saves a file.",
        "Uninstall it with the package's uninstaller and free the licence seat.",
        45,
    ),
]


# =============================================================================
# Dates: the freezes and days no freeze covers
# =============================================================================


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _monday_on_or_after(day: date) -> date:
    return day + timedelta(days=(7 - day.weekday()) % 7)


def _weekday_after(day: date, weekday: int) -> date:
    """The first `weekday` (0 Monday) strictly after `day`."""
    return day + timedelta(days=(weekday - day.weekday() - 1) % 7 + 1)


def exam_season(today: date) -> tuple[date, date]:
    """The next summer exam season (GCSEs and A levels): from the second week of May to late June."""
    for year in (today.year, today.year + 1):
        starts, ends = _monday_on_or_after(date(year, 5, 10)), date(year, 6, 25)
        if ends >= today:
            return starts, ends
    raise AssertionError("unreachable")


def mock_exams(today: date) -> tuple[date, date]:
    """The next January's mock exams: two weeks from the second Monday of January."""
    for year in (today.year, today.year + 1):
        starts = _monday_on_or_after(date(year, 1, 8))
        ends = starts + timedelta(days=11)
        if ends >= today:
            return starts, ends
    raise AssertionError("unreachable")


def _terms(school: School) -> list[tuple[date, date]]:
    from servicelevels.calendars import calendar_for

    calendar = calendar_for(school)
    if calendar is None:
        return []
    return list(calendar.terms.order_by("starts").values_list("starts", "ends"))


def next_term_start(school: School, today: date) -> date:
    """The first day of the next term (or half-term) in the school's calendar; else the next of the usual
    starts (early January, mid April, early September)."""
    starts = [s for s, _ in _terms(school) if s > today]
    if starts:
        return starts[0]
    usual = [
        _monday_on_or_after(date(year, month, day))
        for year in (today.year, today.year + 1)
        for month, day in ((1, 5), (4, 12), (9, 2))
    ]
    return min(d for d in usual if d > today)


def next_half_term(school: School, today: date) -> date:
    """The Monday of the next half-term holiday (a break of under a fortnight between two terms), else three
    weeks from today."""
    terms = _terms(school)
    for (_, ends), (starts, _) in zip(terms, terms[1:], strict=False):
        if ends >= today and (starts - ends).days <= 12:
            return _monday_on_or_after(ends + timedelta(days=1))
    return today + timedelta(days=21)


def _frozen(school: School, day: date) -> bool:
    return bool(policy.freezes_over(school, _at(day, 12), _at(day, 12)))


def free_day(school: School, day: date, *, step: int = 1, weekday: int | None = None) -> date:
    """The first working day from `day` (onwards, or backwards with step=-1) that no freeze at `school` covers
    (and that is a `weekday`, when given)."""
    for _ in range(400):
        if day.weekday() < 5 and (weekday is None or day.weekday() == weekday) and not _frozen(school, day):
            return day
        day += timedelta(days=step)
    raise ValueError(f"No day free of freezes near {day} at {school}.")


# =============================================================================
# The configuration: templates, the board, the windows
# =============================================================================


def _seed_templates(authority: Authority, keeper: User) -> int:
    if ChangeTemplate.objects.filter(authority=authority, school=None).exists():
        return 0
    for name, description, implementation, test, backout, minutes in TEMPLATES:
        cab.template_create(
            actor=keeper,
            authority=authority,
            name=name,
            description=description,
            implementation_plan=implementation,
            test_plan=test,
            backout_plan=backout,
            duration_minutes=minutes,
        )
    return len(TEMPLATES)


def _seed_board(authority: Authority, keeper: User, people: dict[str, User], today: date) -> Counter:
    """Bolton's board (the network manager, the head and the LEA consultant; two approvals carry a change) and
    its next meeting, on Thursday next week after school."""
    added: Counter = Counter()
    board = ChangeAdvisoryBoard.objects.filter(authority=authority, school=None).first()
    if board is None:
        members = [people[name] for name in ("netmgr", "leader", "consultant") if name in people]
        board = cab.board_create(actor=keeper, authority=authority, name=BOARD_NAME, members=members, quorum=2)
        added["change advisory board"] += 1
    if not board.meetings.exists():
        thursday = _weekday_after(today + timedelta(days=6 - today.weekday()), 3)
        cab.meeting_schedule(board=board, actor=keeper, held_at=_at(thursday, 16), chair=keeper)
        added["CAB meeting"] += 1
    return added


def _seed_freezes(authority: Authority, keeper: User, schools: dict[str, School], today: date) -> int:
    """The authority's freezes: the next summer exam season and the first days of the next term."""
    if FreezeWindow.objects.filter(authority=authority, school=None).exists():
        return 0
    starts, ends = exam_season(today)
    windows.freeze_window_create(
        actor=keeper, authority=authority, name=EXAMS_FREEZE, kind=FreezeWindow.Kind.EXAMS, starts=starts, ends=ends
    )
    school = next((s for s in schools.values() if s.authority_id == authority.pk), None)
    term = next_term_start(school, today) if school else _monday_on_or_after(today + timedelta(days=30))
    windows.freeze_window_create(
        actor=keeper,
        authority=authority,
        name=TERM_START_FREEZE,
        kind=FreezeWindow.Kind.TERM_START,
        starts=term,
        ends=term + timedelta(days=2),
    )
    return 2


def _seed_school_windows(school: School, keeper: User, today: date) -> Counter:
    """Highfield's own: its mock exams next January and its Wednesday after-school maintenance window."""
    if FreezeWindow.objects.filter(school=school).exists() or MaintenanceWindow.objects.filter(school=school).exists():
        return Counter()
    starts, ends = mock_exams(today)
    windows.freeze_window_create(
        actor=keeper, school=school, name=MOCKS_FREEZE, kind=FreezeWindow.Kind.EXAMS, starts=starts, ends=ends
    )
    windows.maintenance_window_create(
        actor=keeper,
        school=school,
        name="After school",
        weekday=MaintenanceWindow.Weekday.WEDNESDAY,
        opens=time(16),
        closes=time(18),
    )
    return Counter({"freeze window": 1, "maintenance window": 1})


# =============================================================================
# The changes: each one a story told through the services
# =============================================================================


@dataclass
class Story:
    """One request for change and what happens to it; `days` is when it was raised (days before today)."""

    title: str
    reason: str
    cis: list[str]
    by: str = "tech"
    kind: str = ChangeKind.NORMAL
    template: str = ""
    description: str = ""
    implementation_plan: str = ""
    test_plan: str = ""
    backout_plan: str = ""
    answers: dict | None = None
    is_major: bool = False
    incident: str = ""
    days: int = 3
    window: tuple[datetime, datetime] | None = None
    steps: list[tuple] = field(default_factory=list)  # (action, username, text)


class ChangeBuilder:
    """Tells one school's change stories through changes.services, then dates them believably."""

    def __init__(self, school: School, people: dict[str, User]) -> None:
        self.school, self.people = school, people
        self.today = timezone.localdate()
        self.now = timezone.now()
        self.items = {ci.name: ci for ci in ConfigurationItem.objects.filter(school=school)}

    def person(self, name: str) -> User:
        return self.people[name]

    def cis(self, names: list[str]) -> list[ConfigurationItem]:
        return [self.items[name] for name in names if name in self.items]

    def day(self, offset: int, *, weekday: int | None = None) -> date:
        """A working day about `offset` days from today (backwards for the past) that no freeze covers."""
        return free_day(
            self.school, self.today + timedelta(days=offset), step=1 if offset >= 0 else -1, weekday=weekday
        )

    def tell(self, story: Story) -> RequestForChange:
        template = None
        if story.template:
            template = ChangeTemplate.objects.of_school(self.school.pk).get(name=story.template)
        incidents = (
            list(Incident.objects.filter(school=self.school, title=story.incident)[:1]) if story.incident else []
        )
        start, end = story.window or (None, None)
        change = services.rfc_create(
            school=self.school,
            requester=self.person(story.by),
            title=story.title,
            reason=story.reason,
            kind=story.kind,
            template=template,
            description=story.description,
            cis=self.cis(story.cis),
            incidents=incidents,
            is_major=story.is_major,
            implementation_plan=story.implementation_plan,
            test_plan=story.test_plan,
            backout_plan=story.backout_plan,
            planned_start=start,
            planned_end=end,
        )
        if story.answers:
            change = services.rfc_assess(change=change, actor=self.person(story.by), answers=story.answers)
        for action, who, text in story.steps:
            change = self._step(change, action, self.person(who), text)
        self._backdate(change, story)
        return change

    def _step(self, change: RequestForChange, action: str, actor: User, text: str) -> RequestForChange:
        if action == "submit":
            return services.rfc_submit(change=change, actor=actor)
        if action in ("approve", "reject"):
            services.rfc_vote(change=change, approver=actor, decision=action, comment=text)
            change.refresh_from_db()
            return change
        if action == "schedule":
            return services.rfc_schedule(change=change, actor=actor, implementer=actor)
        if action == "start":
            return services.rfc_start(change=change, actor=actor)
        if action == "implement":
            return services.rfc_implement(change=change, actor=actor, note=text)
        if action == "fail":
            return services.rfc_fail(change=change, actor=actor, note=text)
        if action == "back_out":
            return services.rfc_back_out(change=change, actor=actor, note=text)
        if action == "review":
            outcome, notes = text
            return services.rfc_review(change=change, actor=actor, outcome=outcome, notes=notes, cmdb_updated=True)
        if action == "close":
            return services.rfc_close(change=change, actor=actor, note=text)
        if action == "cancel":
            return services.rfc_cancel(change=change, actor=actor, note=text)
        raise ValueError(f"Unknown demo step {action!r}.")

    # --- dating the story -----------------------------------------------------------------------

    def _backdate(self, change: RequestForChange, story: Story) -> None:
        """Raised `story.days` ago in the morning, each step a little later; the work done in its planned
        window; the review the next day. Timeline entries, votes and the CIs' history follow."""
        change.refresh_from_db()
        now = self.now
        start, end = change.planned_start, change.planned_end
        # Raised in the morning or at lunch, at a time of its own.
        raised = _at(self.today - timedelta(days=story.days), 8) + timedelta(minutes=len(story.title) * 37 % 300)
        if start and start < now:  # an emergency is raised just before it runs, others days ahead
            raised = min(raised, start - (timedelta(minutes=30) if change.is_emergency else timedelta(days=3)))
        raised = min(raised, now - timedelta(hours=6))
        marks = {"created_at": raised}
        if change.submitted_at:
            marks["submitted_at"] = raised + timedelta(minutes=35)
        decided = min(raised + timedelta(days=1, hours=1), now - timedelta(hours=2))  # the approvers' day
        if change.approved_at:
            marks["approved_at"] = decided
            if change.is_standard:
                marks["approved_at"] = marks["submitted_at"]
        if change.actual_start:
            if start and start < now:
                marks["actual_start"] = start
            elif change.is_emergency:  # started as soon as it was raised
                marks["actual_start"] = raised + timedelta(minutes=20)
            else:
                marks["actual_start"] = now - timedelta(hours=1)
        if change.actual_end:
            if end and end < now:
                finished = end - timedelta(minutes=20)
            elif change.is_emergency:
                finished = marks["actual_start"] + timedelta(hours=1)
            else:
                finished = now - timedelta(minutes=30)
            marks["actual_end"] = max(finished, marks.get("actual_start", raised) + timedelta(minutes=30))
        if change.reviewed_at:
            marks["reviewed_at"] = min(marks["actual_end"] + timedelta(days=1), now - timedelta(minutes=20))
        if change.closed_at:
            latest = max(marks.values())
            marks["closed_at"] = min(latest + timedelta(hours=1), now - timedelta(minutes=10))
        RequestForChange.objects.filter(pk=change.pk).update(**marks, updated_at=max(marks.values()))

        at_status = {
            Status.SUBMITTED: marks.get("submitted_at"),
            Status.APPROVED: marks.get("approved_at"),
            Status.REJECTED: decided,
            Status.SCHEDULED: marks.get("approved_at", raised) + timedelta(hours=1),
            Status.IN_PROGRESS: marks.get("actual_start"),
            Status.IMPLEMENTED: marks.get("actual_end"),
            Status.FAILED: marks.get("actual_end"),
            Status.BACKED_OUT: (marks.get("actual_end") or raised) + timedelta(minutes=15),
            Status.CLOSED: marks.get("closed_at"),
            Status.CANCELLED: marks.get("closed_at"),
        }
        if change.is_emergency:
            at_status[Status.SCHEDULED] = raised + timedelta(minutes=10)
        entries = list(
            Activity.objects.filter(
                content_type=ContentType.objects.get_for_model(RequestForChange), object_id=change.pk
            ).order_by("pk")
        )
        last = raised
        vote_times = []
        for index, entry in enumerate(entries):
            when = last + timedelta(minutes=5)
            is_review = entry.text.startswith("Post-implementation review")
            if entry.kind == Activity.Kind.CREATED:
                when = raised
            elif entry.kind == Activity.Kind.STATUS:
                when = at_status.get(self._target(entry)) or when
            elif entry.kind == Activity.Kind.COMMENT and is_review:
                when = marks.get("reviewed_at") or when
            elif entry.kind == Activity.Kind.COMMENT:  # a vote: on the approvers' day, the deciding one last
                following = entries[index + 1] if index + 1 < len(entries) else None
                outcome = self._target(following) if following and following.kind == Activity.Kind.STATUS else None
                if outcome in (Status.APPROVED, Status.REJECTED) and not change.is_standard:
                    when = at_status[outcome]
                else:
                    when = max(decided - timedelta(hours=3), last + timedelta(minutes=5))
            when = min(max(when, last), now)
            if entry.kind == Activity.Kind.COMMENT and not is_review:
                vote_times.append(when)
            Activity.objects.filter(pk=entry.pk).update(created_at=when)
            last = when
        for vote, when in zip(change.approvals.order_by("pk"), vote_times, strict=False):
            ChangeApproval.objects.filter(pk=vote.pk).update(decided_at=when)
        if change.actual_end:
            Activity.objects.filter(
                content_type=ContentType.objects.get_for_model(ConfigurationItem),
                object_id__in=[ci.pk for ci in change.cis.all()],
                text__startswith=f"Change {change.reference} ",
            ).update(created_at=marks["actual_end"])

    @staticmethod
    def _target(entry: Activity) -> str | None:
        """The status a status entry of the timeline moved to."""
        return ((entry.changes or {}).get("status") or [None, None])[1]


def highfield_stories(builder: ChangeBuilder, school: School) -> list[Story]:
    """Highfield's changes, one in every status (see the module's docstring)."""
    p = "HF"
    day, today = builder.day, builder.today
    next_week = day(7 - today.weekday() + 1)  # a working day early next week (Tuesday, unless frozen)
    wednesday = day(7 - today.weekday() + 2, weekday=2)  # next week's Wednesday (or the next free one)
    half_term = free_day(school, next_half_term(school, today))
    # In progress now: started an hour ago in the working day, else after school on the last working day.
    now = builder.now.replace(minute=0, second=0, microsecond=0)
    if 8 <= timezone.localtime(now).hour < 19 and free_day(school, today) == today:
        running = (now - timedelta(hours=1), now + timedelta(hours=2))
    else:
        running = (_at(free_day(school, today - timedelta(days=1), step=-1), 16), now + timedelta(hours=3))
        if policy.freezes_over(school, *running):  # today is frozen: it started (and overran) before the freeze
            running = (running[0], running[0] + timedelta(hours=2, minutes=30))
    past = {n: day(-n) for n in (3, 6, 10, 14, 24)}
    return [
        Story(
            "Replace the ICT suite printer with a colour multifunction device",
            "The ICT suite's mono laser cannot print the Year 6 art portfolios in colour, and pupils queue at the "
            "office copier instead.",
            [f"{p}-ICT-PRN", f"{p}-EDGE-ICT"],
            description="Swap the HP LaserJet for a leased Kyocera colour MFP on the same wall socket, with "
            "follow-me printing through the print server.",
            implementation_plan="Agree the lease with the copier supplier. Fit the MFP after school, add its queue "
            "to the print server, remove the old queue.",
            test_plan="Print and scan a page from a pupil account and a staff account.",
            backout_plan="Reconnect the LaserJet and restore its queue.",
            answers=LOW,
            days=1,
        ),
        Story(
            "Move the staff room printer to the follow-me print queue",
            "Confidential letters are left on the staff room printer: staff should release their jobs with their "
            "badge.",
            [f"{p}-STAFF-PRN", f"{p}-SRV-02"],
            implementation_plan="Add the printer to the follow-me queue on the print server, enable the card reader, "
            "push the queue to staff laptops by group policy.",
            test_plan="Three members of staff print and release a job with their badge.",
            backout_plan="Remove the group policy and re-share the printer's direct queue.",
            answers=MEDIUM,
            window=(_at(day(7 - today.weekday() + 3), 15, 45), _at(day(7 - today.weekday() + 3), 17)),
            days=1,
            steps=[("submit", "tech", "")],
        ),
        Story(
            "Upgrade the MIS to the spring release in half-term",
            "The MIS supplier ends support for our version at Easter, and the spring release brings the new "
            "census fields the office needs.",
            [f"{p}-SRV-01", "MIS"],
            description="The MIS database and client upgrade on the main server, done in half-term so the office "
            "and registers are not affected.",
            implementation_plan="Full backup of the MIS database and the server snapshot. Run the supplier's "
            "upgrade. Upgrade the office clients by group policy.",
            test_plan="The office opens a pupil record, takes a test register and runs the census validation.",
            backout_plan="Restore the server snapshot and the database backup (about 3 hours).",
            answers=HIGH,
            window=(_at(half_term, 9), _at(half_term, 15)),
            days=2,
            steps=[
                ("submit", "tech", ""),
                ("approve", "netmgr", "Read the supplier's upgrade notes; the backup restore was tested last week."),
            ],
        ),
        Story(
            "Enable band steering on the hall access point",
            "The hall's laptops drop off the Wi-Fi in assemblies when 200 phones crowd the 2.4 GHz band.",
            [f"{p}-HALL-AP"],
            implementation_plan="Turn on band steering and minimum RSSI for the staff and pupil SSIDs on the hall "
            "access point from the UniFi controller.",
            test_plan="During Friday's assembly, watch the hall laptops stay connected on 5 GHz.",
            backout_plan="Turn band steering off again in the controller.",
            answers=LOW,
            incident="Wi-Fi drops in the hall during assemblies",
            window=(_at(day(7 - today.weekday() + 4), 16), _at(day(7 - today.weekday() + 4), 16, 30)),
            days=2,
            steps=[("submit", "tech", ""), ("approve", "netmgr", "Fine: do it after school.")],
        ),
        Story(
            "Upgrade the core switch firmware to 17.12.4",
            "Cisco's security advisory for IOS XE 17.12.3 (remote denial of service); 17.12.4 is the recommended "
            "release.",
            [f"{p}-CORE-01"],
            implementation_plan="Save the running configuration to the file server. Install 17.12.4 in install "
            "mode and reload (about 15 minutes without the network).",
            test_plan="Every edge switch's uplink comes back; the MIS, the internet and printing work from the office.",
            backout_plan="Roll back to 17.12.3 with 'install rollback' and reload.",
            answers=WHOLE_SCHOOL,
            window=(_at(next_week, 16), _at(next_week, 18, 30)),
            days=4,
            steps=[
                ("submit", "tech", ""),
                ("approve", "netmgr", "After school on the day the site team is in; tell the office beforehand."),
                ("schedule", "tech", ""),
            ],
        ),
        Story(
            "Re-patch the Junior block uplink to the new fibre module",
            "The Junior block's uplink port on the core switch shows CRC errors; the new SFP module is in stock.",
            [f"{p}-CORE-01", f"{p}-EDGE-JUN"],
            implementation_plan="Fit the new SFP in port 22 of the core switch, move the fibre patch, update the CMDB.",
            test_plan="No interface errors after an hour; Classroom 4's PC reaches the internet.",
            backout_plan="Move the fibre back to the old port.",
            answers=LOW,
            window=(_at(next_week, 17), _at(next_week, 18)),
            days=3,
            steps=[("submit", "tech", ""), ("approve", "netmgr", "OK."), ("schedule", "tech", "")],
        ),
        Story(
            "Install the new ICT suite printers",
            "The two ICT suite printers bought with the computing grant are on site.",
            [f"{p}-EDGE-ICT", f"{p}-SRV-02"],
            implementation_plan="Mount and cable both printers, add their queues to the print server and to the "
            "ICT suite's group policy.",
            test_plan="Print from three suite PCs to each printer.",
            backout_plan="Remove the queues; pupils print to the existing printer.",
            answers=LOW,
            window=running,
            days=5,
            steps=[
                ("submit", "tech", ""),
                ("approve", "netmgr", "Approved."),
                ("schedule", "tech", ""),
                ("start", "tech", ""),
            ],
        ),
        Story(
            "Upgrade the firewall to SFOS 21.0.0",
            "Sophos ends security updates for SFOS 20.0 this term.",
            [f"{p}-FW-01", "Internet access"],
            implementation_plan="Back up the configuration, upload SFOS 21.0.0 and reboot after school.",
            test_plan="Web filtering reports, the staff VPN and the MIS's cloud backup all work.",
            backout_plan="Boot the previous firmware from the firewall's second partition.",
            answers=WHOLE_SCHOOL,
            window=(_at(past[3], 16), _at(past[3], 17, 30)),
            days=9,
            steps=[
                ("submit", "tech", ""),
                ("approve", "netmgr", "Approved."),
                ("schedule", "tech", ""),
                ("start", "tech", ""),
                ("implement", "tech", "Upgraded; filtering and the VPN tested."),
            ],
        ),
        Story(
            "Push the new printer driver to the office PCs",
            "The office colour copier's new firmware needs the matching driver for stapled booklets.",
            [f"{p}-OFF-PRN", f"{p}-OFF-PC01", f"{p}-OFF-PC02"],
            implementation_plan="Deploy the driver package by group policy to the office PCs.",
            test_plan="Print a stapled booklet from both office PCs.",
            backout_plan="Remove the package from the policy; the old driver stays installed.",
            answers=LOW,
            window=(_at(past[6], 16), _at(past[6], 17)),
            days=11,
            steps=[
                ("submit", "tech", ""),
                ("approve", "netmgr", "Approved."),
                ("schedule", "tech", ""),
                ("start", "tech", ""),
                (
                    "fail",
                    "tech",
                    "The package would not install on the Windows 11 23H2 images (error 0x800f0247); the old "
                    "driver still prints, without stapling.",
                ),
            ],
        ),
        Story(
            "Move the learning platform sign-in to Microsoft 365",
            "Pupils juggle two passwords; single sign-on with their school Microsoft account would end the "
            "'account locked' calls.",
            ["Learning platform", "E-mail"],
            implementation_plan="Configure the platform's SAML connection to Microsoft Entra ID and switch the "
            "sign-in page.",
            test_plan="A pupil, a teacher and the office sign in with their school accounts.",
            backout_plan="Switch the platform back to its own passwords in its admin settings.",
            answers=MEDIUM,
            window=(_at(past[10], 16), _at(past[10], 17, 30)),
            days=16,
            steps=[
                ("submit", "tech", ""),
                ("approve", "netmgr", "Approved: keep the old sign-in ready."),
                ("schedule", "tech", ""),
                ("start", "tech", ""),
                ("fail", "tech", "Year 1-2 accounts have no Microsoft licence: they could not sign in."),
                ("back_out", "tech", "Switched the platform back to its own passwords; every class signed in."),
            ],
        ),
        Story(
            "Upgrade the core switch firmware to 17.12.3",
            "Bug fixes for the PoE drops on the edge switches' access points.",
            [f"{p}-CORE-01"],
            implementation_plan="Save the configuration, install 17.12.3 and reload in the evening.",
            test_plan="Every edge switch comes back; access points stay powered.",
            backout_plan="Roll back to 17.9.4.",
            answers=WHOLE_SCHOOL,
            window=(_at(past[24], 16), _at(past[24], 18)),
            days=30,
            steps=[
                ("submit", "tech", ""),
                ("approve", "netmgr", "Approved for half-term."),
                ("schedule", "tech", ""),
                ("start", "tech", ""),
                ("implement", "tech", "Upgraded; configuration saved to the file server."),
                (
                    "review",
                    "netmgr",
                    (ReviewOutcome.SUCCESSFUL, "No PoE drops since; the CMDB records the new firmware."),
                ),
                ("close", "netmgr", ""),
            ],
        ),
        Story(
            "Give the Year 6 coding club local administrator rights",
            "The coding club's Python editor asks for administrator rights to install packages.",
            [f"{p}-ICT-PC01", f"{p}-ICT-PC02"],
            implementation_plan="Add the coding club's pupil accounts to the suite PCs' local Administrators group.",
            backout_plan="Remove them from the group.",
            answers=LOW,
            days=8,
            steps=[
                ("submit", "tech", ""),
                (
                    "reject",
                    "netmgr",
                    "Pupils never get administrator rights (safeguarding and licensing): use the portable editor "
                    "from the software library instead.",
                ),
            ],
        ),
        Story(
            "Replace the Year 4 corridor access point",
            "The corridor access point kept rebooting.",
            [f"{p}-Y4-AP"],
            implementation_plan="Swap it for the spare U6 Pro and adopt it in the controller.",
            backout_plan="Refit the old one.",
            answers=LOW,
            days=6,
            steps=[("cancel", "tech", "It has been stable since the firmware update: not needed.")],
        ),
        Story(
            "Block the phishing sender's domain at the firewall",
            "A phishing e-mail impersonating the head asked staff to buy gift cards; two replied this morning.",
            [f"{p}-FW-01", "E-mail"],
            kind=ChangeKind.EMERGENCY,
            implementation_plan="Block the sender's domain and its links at the firewall and in the mail filter.",
            test_plan="A test message from the domain is quarantined; the link is blocked in a browser.",
            backout_plan="Remove the two block rules.",
            answers=EMERGENCY,
            window=(_at(today - timedelta(days=1), 10), _at(today - timedelta(days=1), 10, 45)),
            days=1,
            steps=[
                ("schedule", "tech", ""),
                ("start", "tech", ""),
                ("implement", "tech", "Domain and links blocked; staff told by the head."),
            ],
        ),
        Story(
            "Replace a printer's toner",
            "The office copier reports black toner low.",
            [f"{p}-OFF-PRN"],
            kind=ChangeKind.STANDARD,
            template="Replace a printer's toner",
            window=(_at(wednesday, 16), _at(wednesday, 16, 20)),
            days=1,
            steps=[("submit", "tech", ""), ("schedule", "tech", "")],
        ),
    ]


def riverside_stories(builder: ChangeBuilder, school: School) -> list[Story]:
    """A few at riverside (tech2), so the consultant's cross-school view has something."""
    p = "RV"
    day = builder.day
    soon = day(2)
    return [
        Story(
            "Replace the science lab projector with a short-throw model",
            "Teachers stand in the beam at the board; a short-throw projector above the board ends it.",
            [f"{p}-SCI-PRJ"],
            by="tech2",
            implementation_plan="The site team fits the wall bracket; connect the projector to the existing HDMI.",
            test_plan="A lesson's slides are readable from the back row.",
            backout_plan="Refit the old projector on its ceiling mount.",
            answers=LOW,
            days=2,
            steps=[("submit", "tech2", "")],
        ),
        Story(
            "Re-patch a wall socket",
            "The exams officer's office socket is on the pupils' VLAN.",
            [f"{p}-OFF-01"],
            by="tech2",
            kind=ChangeKind.STANDARD,
            template="Re-patch a wall socket",
            window=(_at(soon, 15, 30), _at(soon, 16)),
            days=1,
            steps=[("submit", "tech2", ""), ("schedule", "tech2", "")],
        ),
        Story(
            "Restore the MIS server's failed power supply",
            "One of the server's two power supplies failed overnight; the second is carrying the load alone.",
            [f"{p}-SRV-01", "MIS"],
            by="tech2",
            kind=ChangeKind.EMERGENCY,
            implementation_plan="Hot-swap the failed supply with the one Dell sent under warranty.",
            test_plan="Both supplies show green in the iDRAC.",
            backout_plan="None needed: the server runs on one supply.",
            answers=EMERGENCY,
            window=(_at(builder.today - timedelta(days=3), 7, 30), _at(builder.today - timedelta(days=3), 8, 15)),
            days=3,
            steps=[
                ("schedule", "tech2", ""),
                ("start", "tech2", ""),
                ("implement", "tech2", "Replaced; both supplies healthy."),
            ],
        ),
    ]


PLURALS = {"request for change": "requests for change"}
STORIES = {"highfield": highfield_stories, "riverside": riverside_stories}


# =============================================================================
# The entry point
# =============================================================================


def seed_changes(
    authorities: dict[str, Authority], schools: dict[str, School], people: dict[str, User]
) -> dict[str, int]:
    """Change Management for the demo; returns what was added ({"standard changes": 4, ...})."""
    today = timezone.localdate()
    added: Counter = Counter()
    bolton = authorities.get("bolton")
    with transaction.atomic():
        consultant = people.get("consultant")
        if bolton is not None and consultant is not None:
            added["standard change"] += _seed_templates(bolton, consultant)
            added.update(_seed_board(bolton, consultant, people, today))
            added["freeze window"] += _seed_freezes(bolton, consultant, schools, today)
        highfield, netmgr = schools.get("highfield"), people.get("netmgr")
        if highfield is not None and netmgr is not None:
            added.update(_seed_school_windows(highfield, netmgr, today))
    for slug, stories in STORIES.items():
        school = schools.get(slug)
        if school is None or RequestForChange.objects.filter(school=school).exists():
            continue
        with transaction.atomic():
            builder = ChangeBuilder(school, people)
            # Oldest first, so the references follow the dates they were raised on.
            for story in sorted(stories(builder, school), key=lambda story: -story.days):
                builder.tell(story)
                added["request for change"] += 1
    return {(what if n == 1 else PLURALS.get(what, f"{what}s")): n for what, n in added.items() if n}
