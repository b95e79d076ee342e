"""Lists cost the same number of queries for one row as for fifty (no N+1, STYLE.md 2.8).

Every list page and list endpoint is measured twice with the same client: once over a small world
(one row; for the incident lists, one incident of each kind they show: new, phoned in and routed,
in progress, resolved, closed) and once after the world has grown to fifty rows, made through the
services. The two counts must be equal, and the large one must stay within a fixed budget
(pytest-django's django_assert_max_num_queries).

LISTS says how to grow the rows behind each route and as whom to look. The routes are enumerated
from the URLconf: every page without kwargs, every DRF viewset's list route and every GET action
must be in LISTS or be excused in NOT_LISTS with the reason, so a new list is measured as soon as
it is routed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fits.models import Activity, Membership, Role, School, User
from incidents import services
from incidents.models import Incident
from tests.helpers.urls import Route, iter_routes

LARGE = 50
INCIDENT_KINDS = ["new", "phoned in and routed", "in progress", "resolved", "closed"]

# =============================================================================
# Growing the rows behind each list, through the services
# =============================================================================


class Rows:
    """Grows the world behind the lists; each method brings its kind of row up to `n`."""

    def __init__(self, cast: dict[str, User], highfield: School, log_incident: Callable[..., Incident]) -> None:
        self.cast, self.highfield, self.log = cast, highfield, log_incident
        self.logged = 0
        self.discussed: Incident | None = None

    def incidents(self, n: int) -> None:
        """Incidents at highfield, cycling through the kinds the home pages and the queue list."""
        staff, desk, tech = self.cast["staff"], self.cast["desk"], self.cast["tech"]
        while self.logged < n:
            i, kind = self.logged, INCIDENT_KINDS[self.logged % len(INCIDENT_KINDS)]
            if kind == "phoned in and routed":
                incident = self.log(self.highfield, by=desk, reporter=staff, channel="phone", title=f"Call {i}")
                services.incident_assign(incident=incident, assignee=tech, actor=desk)
            else:
                incident = self.log(self.highfield, by=staff, title=f"Fault {i}", room=f"Room {i}")
            if kind in ("in progress", "resolved", "closed"):
                incident = services.incident_transition(incident=incident, action="start", actor=tech)
                services.incident_comment(incident=incident, author=tech, text="Looking at it.", public=True)
            if kind in ("resolved", "closed"):
                incident = services.incident_transition(
                    incident=incident, action="resolve", actor=tech, note="Done.", resolution_code="fixed"
                )
            if kind == "closed":
                services.incident_transition(incident=incident, action="close", actor=staff)
            self.logged += 1

    def schools(self, n: int) -> None:
        """Schools of bolton (configuration: there is no service for schools)."""
        authority = self.highfield.authority
        for i in range(authority.schools.count(), n):
            School.objects.create(slug=f"school-{i}", name=f"School {i}", authority=authority)

    def memberships(self, n: int) -> None:
        """Roles of tech at more and more schools (configuration too)."""
        tech = self.cast["tech"]
        for i in range(Membership.objects.filter(user=tech).count(), n):
            school = School.objects.create(slug=f"member-{i}", name=f"Member school {i}")
            Membership.objects.create(user=tech, school=school, role=Role.TECHNICIAN)

    def comments(self, n: int) -> None:
        """The timeline of one incident: public comments and internal notes, by two people."""
        if self.discussed is None:
            self.discussed = self.log(self.highfield, by=self.cast["staff"], title="Much discussed")
        incident, tech, staff = self.discussed, self.cast["tech"], self.cast["staff"]
        length = Activity.objects.filter(object_id=incident.pk, school_id=incident.school_id).count()
        for i in range(length, n):
            author, public = (tech, i % 3 != 0) if i % 2 else (staff, True)
            services.incident_comment(incident=incident, author=author, text=f"Comment {i}", public=public)

    def submissions(self, n: int) -> None:
        """Inventories agents sent to highfield: accepted ones, each a computer, and every third refused."""
        import json

        from cmdb.inventory.services import inventory_receive
        from cmdb.models import InventorySubmission

        for i in range(InventorySubmission.objects.count(), n):
            document = {"deviceid": f"pc-{i}", "content": {"hardware": {"name": f"PC-{i}"}}}
            body = b"<REQUEST><QUERY>" if i % 3 == 2 else json.dumps(document).encode()
            inventory_receive(school=self.highfield, body=body)

    def cmdb_problems(self, n: int) -> None:
        """Items at highfield for the CMDB audit and export, cycling through what the audit finds: no location,
        live past warranty, a serial shared with the item before, a switch port waiting for its cable."""
        from datetime import date

        from cmdb import services as cmdb

        tech = self.cast["tech"]
        if not hasattr(self, "audited"):
            self.audited = 0
            self.site = cmdb.location_create(school=self.highfield, actor=tech, kind="site", name="Site")
        while self.audited < n:
            i = self.audited
            fields = [
                {"kind": "desktop", "location": None},
                {"kind": "laptop", "warranty_end": date(2020, 1, 1), "purchase_cost": 499},
                {"kind": "desktop", "serial": f"SN-{i - 1}"},
                {"kind": "switch", "serial": f"SN-{i}", "attributes": {"port_count": 24}},
            ][i % 4]
            fields = {"location": self.site, **fields}
            item = cmdb.ci_create(school=self.highfield, actor=tech, name=f"CI {i}", **fields)
            if item.kind == "switch":
                cmdb.port_create(ci=item, actor=tech, name="gi1/0/1", cable_expected=True)
            self.audited += 1

    def network(self, n: int) -> None:
        """A network at highfield: PCs in their own rooms cabled to a core switch, each relying on a service,
        with software, a licence and a seat; every PC also changes the switch, so its history grows."""
        from cmdb import services as cmdb
        from cmdb.models import Licence, LicenceSeat, SoftwareInstallation, SoftwareProduct

        netmgr, school = self.cast["netmgr"], self.highfield
        if getattr(self, "core", None) is None:
            self.pcs = 0
            site = cmdb.location_create(school=school, actor=netmgr, kind="site", name="Main site")
            self.block = cmdb.location_create(school=school, actor=netmgr, kind="building", name="Block", parent=site)
            self.core = cmdb.ci_create(school=school, actor=netmgr, kind="switch", name="CORE-01")
            self.service = cmdb.ci_create(school=school, actor=netmgr, kind="service", name="MIS",
                                          attributes={"purpose": "management"})  # fmt: skip
        while self.pcs < n:
            i = self.pcs
            room = cmdb.location_create(school=school, actor=netmgr, kind="room", name=f"Room {i}", parent=self.block)
            pc = cmdb.ci_create(school=school, actor=netmgr, kind="desktop", name=f"PC-{i:02d}", location=room,
                                owner=self.cast["staff"], attributes={"memory_mb": 8192})  # fmt: skip
            cmdb.cable_connect(a_port=cmdb.port_create(ci=self.core, actor=netmgr, name=f"gi1/0/{i + 1}"),
                               b_port=cmdb.port_create(ci=pc, actor=netmgr, name="eth0", mac=f"00:00:00:00:00:{i:02x}"),
                               actor=netmgr, label=f"Cable {i}")  # fmt: skip
            cmdb.relationship_add(source=pc, target=self.service, actor=netmgr)
            product = SoftwareProduct.objects.create(school=school, name=f"App {i}")
            SoftwareInstallation.objects.create(school=school, ci=pc, product=product, version="1.0")
            licence = Licence.objects.create(school=school, product=product, seats=i % 3 or None)
            LicenceSeat.objects.create(school=school, licence=licence, ci=pc)
            LicenceSeat.objects.create(school=school, licence=licence, user=self.cast["staff"])
            cmdb.ci_update(ci=self.core, actor=netmgr, notes=f"Port {i + 1} patched.")
            self.pcs += 1

    def articles(self, n: int) -> None:
        """Published knowledge articles at highfield, all about projectors (so the suggestions find them)."""
        from servicedesk.models import KnowledgeArticle
        from servicedesk.services import article_create

        for i in range(KnowledgeArticle.objects.count(), n):
            article_create(school=self.highfield, author=self.cast["tech"], title=f"Projector fix {i}",
                           body="Press Source.", publish=True)  # fmt: skip

    def problems(self, n: int) -> None:
        """Problems at highfield, each with a linked incident and a known error; notes on the first one."""
        from problems import services as problems

        tech = self.cast["tech"]
        if getattr(self, "problem", None) is None:
            self.problems_logged = 0
        while self.problems_logged < n:
            i = self.problems_logged
            incident = self.log(self.highfield, by=self.cast["staff"], title=f"Symptom {i}")
            problem = problems.problem_log(school=self.highfield, logged_by=tech, title=f"Cause {i}",
                                           incidents=[incident])  # fmt: skip
            problems.known_error_record(problem=problem, actor=tech, symptom=f"Symptom {i}", workaround="Restart.")
            self.problem = getattr(self, "problem", None) or problem
            problems.problem_comment(problem=self.problem, author=tech, text=f"Finding {i}")
            self.problems_logged += 1

    def changes(self, n: int) -> None:
        """Requests for change at highfield, submitted, each on a CI of its own with an incident behind it."""
        from changes import services as changes
        from cmdb import services as cmdb
        from cmdb.models import Kind

        tech = self.cast["tech"]
        answers = {"users_affected": "few", "service_criticality": "low", "tested": "yes", "backout": "yes",
                   "school_day": "no"}  # fmt: skip
        self.changes_raised = getattr(self, "changes_raised", 0)
        while self.changes_raised < n:
            i = self.changes_raised
            ci = cmdb.ci_create(school=self.highfield, actor=tech, kind=Kind.SWITCH, name=f"SW-{i}")
            incident = self.log(self.highfield, by=self.cast["staff"], title=f"Switch {i} flaky")
            change = changes.rfc_create(school=self.highfield, requester=tech, title=f"Replace switch {i}",
                                        reason="Flaky.", cis=[ci], incidents=[incident],
                                        implementation_plan="Swap it.", backout_plan="Swap back.")  # fmt: skip
            changes.rfc_assess(change=change, actor=tech, answers=answers)
            changes.rfc_submit(change=change, actor=tech)
            self.changes_raised += 1

    def scheduled_changes(self, n: int) -> None:
        """Emergency changes at highfield scheduled from an hour from now, each on a CI of its own (the forward
        schedule shows the month and the calendar what is planned)."""
        from datetime import timedelta

        from django.utils import timezone

        from changes import services as changes
        from cmdb import services as cmdb
        from cmdb.models import Kind

        tech = self.cast["tech"]
        self.scheduled = getattr(self, "scheduled", 0)
        start = timezone.now() + timedelta(hours=1)
        while self.scheduled < n:
            i = self.scheduled
            ci = cmdb.ci_create(school=self.highfield, actor=tech, kind=Kind.SWITCH, name=f"FSC-SW-{i}")
            change = changes.rfc_create(school=self.highfield, requester=tech, kind="emergency", title=f"Reboot {i}",
                                        reason="Hung.", cis=[ci], implementation_plan="Reboot it.")  # fmt: skip
            changes.rfc_schedule(change=change, actor=tech, planned_start=start + timedelta(minutes=i),
                                 planned_end=start + timedelta(minutes=i + 30))  # fmt: skip
            self.scheduled += 1

    def change_windows(self, n: int) -> None:
        """Freeze windows and weekly maintenance windows at highfield, kept by an administrator."""
        from datetime import time, timedelta

        from django.utils import timezone

        from changes import windows

        admin = self.cast["admin"]
        self.windows_kept = getattr(self, "windows_kept", 0)
        while self.windows_kept < n:
            i = self.windows_kept
            day = timezone.localdate() + timedelta(days=i)
            windows.freeze_window_create(actor=admin, school=self.highfield, name=f"Freeze {i}", starts=day, ends=day)
            windows.maintenance_window_create(actor=admin, school=self.highfield, weekday=i % 7,
                                              opens=time(i // 7), closes=time(i // 7, 30))  # fmt: skip
            self.windows_kept += 1

    def boards_and_templates(self, n: int) -> None:
        """Change advisory boards at highfield (two members each) and standard change templates, by an administrator."""
        from changes import cab

        admin, members = self.cast["admin"], [self.cast["netmgr"], self.cast["leader"]]
        self.boards_kept = getattr(self, "boards_kept", 0)
        while self.boards_kept < n:
            i = self.boards_kept
            cab.board_create(actor=admin, school=self.highfield, name=f"Board {i}", members=members, quorum=1)
            cab.template_create(actor=admin, school=self.highfield, name=f"Standard {i}", implementation_plan="Do it.")
            self.boards_kept += 1

    def releases(self, n: int) -> None:
        """Releases at highfield, each with an approved library item, a request for change and a wave of one PC
        (every third rolling out with its PC installed), so the lists show their progress and the measures count."""
        from changes import services as changes
        from cmdb import services as cmdb
        from cmdb.models import Kind
        from releases import services as releases

        tech, netmgr = self.cast["tech"], self.cast["netmgr"]
        self.releases_planned = getattr(self, "releases_planned", 0)
        while self.releases_planned < n:
            i = self.releases_planned
            item = releases.item_propose(actor=tech, school=self.highfield, name=f"Image {i}", version="1")
            item = releases.item_approve(item=item, actor=netmgr)
            change = changes.rfc_create(school=self.highfield, requester=tech, title=f"Reimage {i}", reason="Old.")
            release = releases.release_create(school=self.highfield, actor=tech, title=f"Release {i}",
                                              items=[item], changes=[change])  # fmt: skip
            pc = cmdb.ci_create(school=self.highfield, actor=tech, kind=Kind.DESKTOP, name=f"REL-PC-{i}")
            releases.wave_add(release=release, actor=tech, name=f"Wave {i}", cis=[pc])
            for action in ("build", "test", "ready") if i % 3 == 0 else ():
                release = releases.release_transition(release=release, actor=tech, action=action)
            self.releases_planned += 1

    def candidates(self, n: int) -> None:
        """Candidate problems at highfield, each over a category of its own with two incidents."""
        from incidents.models import Category
        from problems.models import ProblemCandidate

        for i in range(ProblemCandidate.objects.count(), n):
            category = Category.objects.create(school=self.highfield, name=f"Category {i}")
            incidents = [self.log(self.highfield, by=self.cast["staff"], title=f"Again {i}") for _ in range(2)]
            candidate = ProblemCandidate.objects.create(school=self.highfield, category=category, incident_count=2,
                                                        window_days=14, first_at=incidents[0].created_at,
                                                        last_at=incidents[1].created_at)  # fmt: skip
            candidate.incidents.set(incidents)

    def saved_filters(self, n: int) -> None:
        """The workbench filters tech saved (a person's own: the API lists them)."""
        from servicedesk.models import SavedFilter
        from servicedesk.workbench import saved_filter_create

        tech = self.cast["tech"]
        for i in range(SavedFilter.objects.filter(owner=tech).count(), n):
            saved_filter_create(owner=tech, name=f"Filter {i}", query=f"queue=open&priority={i % 5 + 1}")

    def notifications(self, n: int) -> None:
        """Notifications of staff and tech about one incident, as its public comments make them."""
        from fits.models import Notification
        from fits.notifications import notify

        staff, tech = self.cast["staff"], self.cast["tech"]
        if getattr(self, "followed", None) is None:
            self.followed = self.log(self.highfield, by=self.cast["desk"], reporter=staff, title="Followed")
            services.incident_assign(incident=self.followed, assignee=tech, actor=self.cast["desk"])
        for i in range(Notification.objects.filter(recipient=staff).count(), n):
            notify(self.followed, "commented", [staff, tech], context={"comment": {"text": f"Update {i}"}})

    def inbound(self, n: int) -> None:
        """E-mail received at highfield, cycling through what becomes of it: a ticket opened, mail held for the
        desk, an auto-reply ignored, a reply added to the first ticket."""
        from servicedesk.mail import message_ingest
        from servicedesk.models import InboundMessage

        senders = ["staff@example.sch.uk", "parent@example.com", "staff@example.sch.uk", "tech@example.sch.uk"]
        for i in range(InboundMessage.objects.count(), n):
            headers = f"From: {senders[i % 4]}\r\nSubject: {'[INC-000001] ' if i % 4 == 3 else ''}Mail {i}\r\n"
            headers += "Auto-Submitted: auto-replied\r\n" if i % 4 == 2 else ""
            raw = f"{headers}Message-ID: <mail.{i}@example.com>\r\n\r\nThe projector in room {i}.\r\n".encode()
            message_ingest(school=self.highfield, raw=raw, source="pipe")

    def lessons(self, n: int) -> None:
        """Rooms at highfield with two lessons each (the timetable lists rooms with their week)."""
        from datetime import time

        from cmdb import services as cmdb
        from incidents.models import Lesson

        tech = self.cast["tech"]
        if getattr(self, "timetable_block", None) is None:
            site = cmdb.location_create(school=self.highfield, actor=tech, kind="site", name="Timetable site")
            self.timetable_block = cmdb.location_create(school=self.highfield, actor=tech, kind="building",
                                                        name="Teaching block", parent=site)  # fmt: skip
        for i in range(Lesson.objects.count() // 2, n):
            room = cmdb.location_create(school=self.highfield, actor=tech, kind="room", name=f"Classroom {i}",
                                        parent=self.timetable_block)  # fmt: skip
            for day in (0, 3):
                services.lesson_create(location=room, actor=tech, weekday=day, starts=time(9), ends=time(10),
                                       name=f"Class {i}")  # fmt: skip

    def attachments(self, n: int) -> None:
        """Files on one incident, attached by its caller and by the technician (some internal)."""
        from django.core.files.uploadedfile import SimpleUploadedFile

        from fits.models import Attachment

        if self.discussed is None:
            self.discussed = self.log(self.highfield, by=self.cast["staff"], title="Much discussed")
        staff, tech = self.cast["staff"], self.cast["tech"]
        for i in range(Attachment.objects.filter(object_id=self.discussed.pk).count(), n):
            who, public = (tech, i % 3 != 0) if i % 2 else (staff, True)
            upload = SimpleUploadedFile(f"screen {i}.txt", f"Error {i}".encode())
            services.incident_attach(incident=self.discussed, actor=who, uploads=[upload], public=public)

    def request_types(self, n: int) -> None:
        """Items of highfield's service catalogue, with questions and tasks, some for support staff only."""
        from servicedesk.models import RequestType
        from servicedesk.services import request_type_create

        questions = [{"name": "what", "label": "What?", "type": "text"}]
        for i in range(RequestType.objects.count(), n):
            request_type_create(school=self.highfield, actor=self.cast["desk"], name=f"Item {i}", summary="Ask.",
                                fields=questions, tasks=["Do it"], staff_only=i % 3 == 2)  # fmt: skip

    def requests(self, n: int) -> None:
        """Service requests at highfield from staff, each awaiting the school leader's or the network manager's
        approval, with two fulfilment tasks."""
        from servicedesk.models import RequestType, ServiceRequest
        from servicedesk.services import request_log, request_type_create

        if not RequestType.objects.filter(school=self.highfield).exists():
            for name, approver in (("Software", "network_manager"), ("Accounts", "school_leader")):
                request_type_create(school=self.highfield, actor=self.cast["desk"], name=name, summary="Ask.",
                                    tasks=["Check it", "Do it"], needs_approval=True, approver=approver)  # fmt: skip
        items = list(RequestType.objects.filter(school=self.highfield).order_by("name"))
        for i in range(ServiceRequest.objects.count(), n):
            request_log(school=self.highfield, logged_by=self.cast["staff"], request_type=items[i % 2], answers={})

    def service_desk_config(self, n: int) -> None:
        """Support groups and categories, at highfield and shared by bolton, through the services: every other group
        a school team with a member, every other category a subcategory of bolton's with the team as default group."""
        from incidents.models import Category, SupportGroup
        from incidents.services import category_save, support_group_save

        admin, tech, bolton, school = self.cast["admin"], self.cast["tech"], self.highfield.authority, self.highfield
        for i in range(SupportGroup.objects.count(), n):
            if i % 2:
                support_group_save(actor=admin, school=school, name=f"Team {i}", kind="school", members=[tech])
            else:
                support_group_save(actor=admin, authority=bolton, name=f"Supplier {i}", kind="supplier",
                                   email="help@example.com")  # fmt: skip
        team = SupportGroup.objects.filter(kind="school").first()
        for i in range(Category.objects.count(), n):
            top = Category.objects.filter(parent=None).order_by("pk").last()
            if i % 2:
                category_save(actor=admin, school=school, name=f"Category {i}", parent=top, default_group=team)
            else:
                category_save(actor=admin, authority=bolton, name=f"Category {i}")

    def time(self, n: int) -> None:
        """Time logged on one incident by two people."""
        from fits.models import TimeEntry

        if self.discussed is None:
            self.discussed = self.log(self.highfield, by=self.cast["staff"], title="Much discussed")
        for i in range(TimeEntry.objects.count(), n):
            person = self.cast["tech"] if i % 2 else self.cast["netmgr"]
            services.incident_log_time(incident=self.discussed, person=person, minutes=10 + i, note=f"Step {i}")

    def calendars(self, n: int) -> None:
        """bolton's calendar, then one of its own for each school of bolton (schools grown as needed)."""
        from servicelevels.calendars import calendar_create
        from servicelevels.models import Calendar

        admin, authority = self.cast["admin"], self.highfield.authority
        if not Calendar.objects.filter(school=None, authority=authority).exists():
            calendar_create(actor=admin, authority=authority, name="Bolton schools")
        self.schools(n)
        for school in authority.schools.filter(pk__gt=0).order_by("pk")[: max(n - 1, 0)]:
            if not Calendar.objects.filter(school=school).exists():
                calendar_create(actor=admin, school=school, name=f"{school.name} hours")

    def service_levels(self, n: int) -> None:
        """At highfield: services, agreements (with targets and services), bolton's packages, subscriptions (one a
        year) — each kind up to n, through the services."""
        from datetime import date

        from servicelevels import services as levels
        from servicelevels.models import Agreement, ITService, Subscription, SupportPackage

        admin, school = self.cast["admin"], self.highfield
        for i in range(ITService.objects.count(), n):
            levels.it_service_create(school=school, actor=admin, name=f"Service {i}", owner=self.cast["netmgr"])
        first = ITService.objects.order_by("pk").first()
        for i in range(SupportPackage.objects.count(), n):
            levels.support_package_create(
                authority=school.authority, actor=admin, name=f"Package {i}",
                targets={"1": {"response": 30, "resolution": 240}},
            )  # fmt: skip
        package = SupportPackage.objects.order_by("pk").first()
        for i in range(Subscription.objects.count(), n):
            levels.subscription_create(
                school=school, package=package, actor=admin, starts=date(2000 + i, 9, 1),
                ends=date(2001 + i, 8, 31), review_date=date(2001 + i, 4, 1),
            )  # fmt: skip
        for i in range(Agreement.objects.count(), n):
            agreement = levels.agreement_create(
                school=school, actor=admin, owner=admin, name=f"Agreement {i}", starts=date(2026, 9, 1),
                review_date=date(2027, 7, 1), services=[first], kind="ola",
            )  # fmt: skip
            levels.agreement_copy_built_in_targets(agreement=agreement, actor=admin)

    def monitored_cis(self, n: int) -> None:
        """Switches at highfield that monitoring watches (a state and an outage each, as the engine writes them),
        under an email service supported around the clock."""
        from datetime import timedelta

        from django.utils import timezone

        from availability.models import CIState, Outage
        from cmdb import services as cmdb
        from servicelevels import services as levels

        netmgr, school = self.cast["netmgr"], self.highfield
        if getattr(self, "watched", None) is None:
            self.watched = 0
            email = cmdb.ci_create(school=school, actor=netmgr, kind="service", name="Email",
                                   attributes={"purpose": "teaching"})  # fmt: skip
            levels.it_service_create(school=school, actor=self.cast["admin"], name="Email", ci=email,
                                     hours="around_the_clock")  # fmt: skip
            self.email = email
        now = timezone.now()
        while self.watched < n:
            i = self.watched
            switch = cmdb.ci_create(school=school, actor=netmgr, kind="switch", name=f"SW-{i:02d}")
            cmdb.relationship_add(source=self.email, target=switch, actor=netmgr)
            CIState.objects.create(school=school, ci=switch, state="up", since=now - timedelta(days=30))
            Outage.objects.create(school=school, ci=switch, started_at=now - timedelta(days=2, minutes=i + 1),
                                  ended_at=now - timedelta(days=2))  # fmt: skip
            self.watched += 1

    def monitoring(self, n: int) -> None:
        """Switches at highfield under monitoring, each with an SNMP credential, an active check that found it down
        (its result, the poll run, its state, an open outage with an incident) and a printer with proposed checks."""
        from django.utils import timezone

        from availability import services as monitoring
        from availability.models import CheckResult, CIState, Outage, PollRun
        from cmdb import services as cmdb

        tech, netmgr, school = self.cast["tech"], self.cast["netmgr"], self.highfield
        self.monitored = getattr(self, "monitored", 0)
        now = timezone.now()
        while self.monitored < n:
            i = self.monitored
            credential = monitoring.credential_save(actor=netmgr, school=school, name=f"SNMP {i}", community="c")
            switch = cmdb.ci_create(school=school, actor=tech, kind="switch", name=f"MON-SW-{i:02d}",
                                    management_address=f"10.8.0.{i + 1}")  # fmt: skip
            check = monitoring.check_save(actor=tech, ci=switch, kind="snmp_uptime", snmp_credential=credential)
            cmdb.ci_create(school=school, actor=tech, kind="printer", name=f"MON-PR-{i:02d}",
                           management_address=f"10.8.1.{i + 1}")  # fmt: skip
            monitoring.propose_checks(school=school)
            run = PollRun.objects.create(school=school, queue="monitoring", check_ids=[check.pk], checks_run=1,
                                         down=1, finished_at=now)  # fmt: skip
            CheckResult.objects.create(school=school, for_check=check, run=run, checked_at=now, state="down")
            CIState.objects.create(school=school, ci=switch, state="down" if i % 2 else "unreachable", since=now,
                                   cause=None if i % 2 else switch)  # fmt: skip
            incident = self.log(school, by=tech, title=f"MON-SW-{i:02d} is down")
            Outage.objects.create(school=school, ci=switch, started_at=now, incident=incident)
            self.monitored += 1

    def capacity(self, n: int) -> None:
        """Servers at highfield with a measured disk (three days of history), a threshold of their own, and
        every third one over its warning level: an open capacity alert with its task."""
        from datetime import datetime, time, timedelta

        from django.utils import timezone

        from availability import capacity
        from availability.models import Check, Metric, MetricRollup
        from cmdb import services as cmdb

        tech, school = self.cast["tech"], self.highfield
        now, today = timezone.now(), timezone.localdate()
        while (made := Metric.objects.count()) < n:
            server = cmdb.ci_create(school=school, actor=tech, kind="server", name=f"SRV-{made:02d}")
            check = Check.objects.create(school=school, ci=server, kind="snmp_storage", name="Storage")
            used = 85 if made % 3 == 0 else 40 + made
            reading = capacity.Reading(server.pk, check.pk, "disk", "disk:/srv", "Disk /srv", "B", used, 100)
            [metric_id] = capacity.store(school_id=school.pk, readings=[reading], now=now)
            MetricRollup.objects.bulk_create(
                MetricRollup(school=school, metric_id=metric_id, period="day", samples=1, avg=used, min=used,
                             max=used, percent_avg=used - d, percent_max=used - d,
                             starts_at=timezone.make_aware(datetime.combine(today - timedelta(days=d), time.min)))
                for d in (1, 2, 3)
            )  # fmt: skip
            capacity.threshold_save(actor=tech, school=school, kind="disk", ci=server, warning_percent=80,
                                    critical_percent=95)  # fmt: skip
            capacity.evaluate(metric_ids=[metric_id], now=now)

    def planned_tasks(self, n: int) -> None:
        """Tasks at highfield with a checklist and a device, every other one assigned and half-ticked, every
        third one done."""
        from datetime import date, timedelta

        from cmdb import services as cmdb
        from incidents import task_services as tasks
        from incidents.models import Task

        tech, school = self.cast["tech"], self.highfield
        while (made := Task.objects.count()) < n:
            pc = cmdb.ci_create(school=school, actor=tech, kind="desktop", name=f"PC-T{made:02d}")
            task = tasks.task_raise(school=school, actor=tech, title=f"Task {made}", steps=["One", "Two"], ci=pc,
                                    due_on=date(2026, 11, 1) + timedelta(days=made),
                                    assignee=tech if made % 2 else None)  # fmt: skip
            if made % 2:
                tasks.task_step_set(step=task.steps.first(), done=True, actor=tech)
            if made % 3 == 2:
                tasks.task_complete(task=task, actor=tech, outcome="Done.")

    def maintenance_schedules(self, n: int) -> None:
        """Maintenance schedules at highfield, each with its first task raised (every other one of a single
        device, the others of a kind in a room)."""
        from django.utils import timezone

        from availability import maintenance
        from availability.models import MaintenanceSchedule
        from cmdb import services as cmdb

        tech, school, today = self.cast["tech"], self.highfield, timezone.localdate()
        while (made := MaintenanceSchedule.objects.count()) < n:
            ups = cmdb.ci_create(school=school, actor=tech, kind="peripheral", name=f"UPS-{made:02d}")
            device = {"ci": ups} if made % 2 else {"ci_kind": "display"}
            maintenance.schedule_save(actor=tech, school=school, title=f"Maintenance {made}", recurrence="weekly",
                                      school_days_only=False, lead_days=0, starts_on=today, assignee=tech,
                                      **device)  # fmt: skip
        maintenance.maintenance_raise_due()

    # --- FITS OM: the OM base pages and Systems Administration (om/, om/sysadmin/) -------------------------------
    def om_allocations(self, n: int) -> None:
        """The sysadmin function's policy at highfield and its activities, each owned by tech."""
        from om import services as om
        from om.models import ActivityAllocation

        admin, tech, school = self.cast["admin"], self.cast["tech"], self.highfield
        om.policy_save(actor=admin, school=school, function="sysadmin", text="Back up nightly.", owner=tech)
        while (made := ActivityAllocation.objects.count()) < n:
            om.allocation_save(actor=admin, school=school, function="sysadmin", activity=f"Activity {made}",
                               frequency="weekly", owner=tech, deputy=self.cast["netmgr"])  # fmt: skip

    def routines(self, n: int) -> None:
        """Routine operations at highfield, each with its first task raised (every other one of a server)."""
        from django.utils import timezone

        from availability import maintenance
        from availability.models import MaintenanceSchedule
        from cmdb import services as cmdb
        from om.sysadmin import services as sysadmin

        tech, school, today = self.cast["tech"], self.highfield, timezone.localdate()
        while (made := MaintenanceSchedule.objects.count()) < n:
            device = {"ci": cmdb.ci_create(school=school, actor=tech, kind="server", name=f"SRV-{made:02d}")}
            sysadmin.routine_save(actor=tech, school=school, title=f"Routine {made}", recurrence="weekly",
                                  school_days_only=False, lead_days=0, starts_on=today, assignee=tech,
                                  **(device if made % 2 else {}))  # fmt: skip
        maintenance.maintenance_raise_due()

    def logbooks(self, n: int) -> None:
        """Servers at highfield with a logbook entry each, and `n` entries in the first server's logbook."""
        from cmdb import services as cmdb
        from cmdb.models import ConfigurationItem
        from om.sysadmin import services as sysadmin

        tech, school = self.cast["tech"], self.highfield
        while (made := ConfigurationItem.objects.filter(kind="server").count()) < n:
            server = cmdb.ci_create(school=school, actor=tech, kind="server", name=f"SRV-{made:02d}")
            sysadmin.logbook_add(actor=tech, ci=server, text=f"Built {made}", kind="change")
            self.server = getattr(self, "server", None) or server
        while self.server.logbook.count() < n:
            sysadmin.logbook_add(actor=tech, ci=self.server, text="Checked.", kind="check")

    def run_books(self, n: int) -> None:
        """Run books at highfield, each of a CMDB service, half of them reviewed."""
        from cmdb import services as cmdb
        from om.sysadmin import services as sysadmin
        from om.sysadmin.models import RunBook

        tech, school = self.cast["tech"], self.highfield
        while (made := RunBook.objects.count()) < n:
            service = cmdb.ci_create(school=school, actor=tech, kind="service", name=f"Service {made}",
                                     attributes={"purpose": "management"})  # fmt: skip
            book = sysadmin.run_book_create(actor=tech, school=school, title=f"Run book {made}", ci=service,
                                            owner=tech, start="Power on.", restore="From the NAS.")  # fmt: skip
            if made % 2:
                sysadmin.run_book_review(actor=self.cast["netmgr"], run_book=book)

    # --- FITS OM: Patch Management (om/patches/) ------------------------------------------------------------------
    def patches(self, n: int) -> None:
        """At highfield: `n` package updates approved for `n` groups' desktops, `n` reporting desktops overdue with
        each (n x n compliance states), `n` imported reports."""
        from datetime import timedelta

        from django.utils import timezone

        from cmdb import services as cmdb
        from cmdb.models import ConfigurationItem
        from om.patches import services as patches
        from om.patches.compliance import compliance_compute
        from om.patches.models import PatchGroup, PatchImport, Update

        tech, admin, school = self.cast["tech"], self.cast["admin"], self.highfield
        while (made := Update.objects.count()) < n:
            pc = cmdb.ci_create(school=school, actor=tech, kind="desktop", name=f"PC-P{made:02d}")
            ConfigurationItem.objects.filter(pk=pc.pk).update(last_inventory_at=timezone.now())
            update = patches.update_save(actor=tech, school=school, kind="package", identifier=f"pkg-{made}",
                                         product=f"Product {made % 5}", min_version="2.0")  # fmt: skip
            group = patches.group_save(actor=tech, school=school, name=f"Group {made}", ci_kind="desktop")
            patches.approval_set(actor=admin, update=update, group=group, decision="approved",
                                 deadline=timezone.localdate() - timedelta(days=1))  # fmt: skip
        while (made := PatchImport.objects.count()) < n:
            patches.import_report(actor=tech, school=school, text=f"host,package,version\nPC-P00,pkg-0,1.{made}\n")
        self.patch_update, self.patch_group = Update.objects.first(), PatchGroup.objects.first()
        compliance_compute(school_id=school.pk)

    # --- FITS OM: Security Administration (om/security/) -----------------------------------------------------------
    def security(self, n: int) -> None:
        """At highfield: `n` breaches (each with an action), firewall rules, computers with an antivirus state (half
        of them unprotected), administrator accounts and categories; two access reviews (one signed off)."""
        from django.utils import timezone

        from cmdb import services as cmdb
        from incidents import services as incidents
        from incidents.models import Category
        from om.security import services as security
        from om.security.models import AccessReview, AntivirusStatus, Breach, FirewallRule, PrivilegedAccount

        netmgr, tech, school, now = self.cast["netmgr"], self.cast["tech"], self.highfield, timezone.now()
        self.firewall = getattr(self, "firewall", None) or cmdb.ci_create(school=school, actor=tech, kind="firewall",
                                                                          name="HF-FW")  # fmt: skip
        while (made := Breach.objects.count()) < n:
            breach = security.breach_log(school=school, actor=netmgr, title=f"Breach {made}", description="Lost.",
                                         discovered_at=now, people_affected=made)  # fmt: skip
            security.breach_action_add(breach=breach, actor=netmgr, text="Recall", owner=tech)
        while (made := FirewallRule.objects.count()) < n:
            security.firewall_rule_save(actor=tech, firewall=self.firewall, name=f"Rule {made}", purpose="Web",
                                        owner=tech)  # fmt: skip
        while (made := AntivirusStatus.objects.count()) < n:
            pc = cmdb.ci_create(school=school, actor=tech, kind="desktop", name=f"PC-AV{made:02d}")
            AntivirusStatus.objects.create(school=school, ci=pc, product="Defender", enabled=True,
                                           up_to_date=bool(made % 2), last_seen=now)  # fmt: skip
        while (made := PrivilegedAccount.objects.count()) < n:
            security.privileged_account_save(school=school, actor=netmgr, account=f"admin{made}", system="Domain",
                                             person=tech)  # fmt: skip
        while (made := Category.objects.count()) < n:
            incidents.category_save(actor=netmgr, school=school, name=f"Category {made}")
        if not AccessReview.objects.exists():
            review = security.access_review_start(school=school, actor=netmgr)
            for item in review.items.all():
                security.access_review_decide(item=item, actor=netmgr, decision="keep")
            security.access_review_sign_off(review=review, actor=netmgr)
            security.access_review_start(school=school, actor=netmgr)

    # --- FITS OM: Directory Services Administration (om/directory/) ------------------------------------------------
    def directory(self, n: int) -> None:
        """At highfield: its directory settings and, as a sync writes them, `n` accounts (half disabled, each in a
        group, the admin group among them), groups, OUs, sync runs with a change each, account requests and MIS
        uploads."""
        from django.utils import timezone

        from om.directory import services as directory
        from om.directory.models import (
            AccountRequest,
            DirectoryAccount,
            DirectoryChange,
            DirectoryGroup,
            DirectorySettings,
            GroupMembership,
            IntakeUpload,
            OrganisationalUnit,
            SyncRun,
        )

        school, now, netmgr = self.highfield, timezone.now(), self.cast["netmgr"]
        if not DirectorySettings.objects.exists():
            directory.settings_save(school=school, actor=netmgr, server_uris="ldap://127.0.0.1:9", security="none",
                                    bind_dn="cn=sync", bind_password="x", base_dn="dc=highfield")  # fmt: skip
        entry = {"school": school, "first_seen_at": now, "changed_at": now}
        while (made := DirectoryAccount.objects.count()) < n:
            kind = "computer" if made % 5 == 4 else "user"
            account = DirectoryAccount.objects.create(external_id=f"a{made}", dn=f"uid=u{made},ou=Staff,dc=highfield",
                                                      username=f"u{made}", kind=kind, ou_dn="ou=Staff,dc=highfield",
                                                      state="active" if made % 2 else "disabled", **entry)  # fmt: skip
            group = DirectoryGroup.objects.create(external_id=f"g{made}", dn=f"cn=g{made},dc=highfield",
                                                  name="Domain Admins" if made == 0 else f"Group {made}",
                                                  is_admin_group=made == 0, member_count=1, **entry)  # fmt: skip
            GroupMembership.objects.create(school=school, group=group, account=account)
            OrganisationalUnit.objects.create(external_id=f"o{made}", dn=f"ou=o{made},dc=highfield", name=f"o{made}",
                                              **entry)  # fmt: skip
            run = SyncRun.objects.create(school=school, started_at=now, finished_at=now, status="succeeded",
                                         requested_by=netmgr)  # fmt: skip
            DirectoryChange.objects.create(school=school, run=run, account=account, group=group, action="joined",
                                           at=now)  # fmt: skip
            AccountRequest.objects.create(school=school, kind="leaver", state="done", account=account,
                                          username=f"u{made}")  # fmt: skip
            IntakeUpload.objects.create(school=school, kind="intake", file_name=f"f{made}.csv", raw="x",
                                        rows=[{"row": 2}], uploaded_by=netmgr)  # fmt: skip

    # --- FITS OM: Print and Output Management (om/printing/) -------------------------------------------------------
    def printing(self, n: int) -> None:
        """At highfield: `n` printers read twice (two supplies each, a low one with its task, a day's usage), `n`
        queues, `n` cartridges below their reorder level with a stock movement each."""
        from datetime import timedelta

        from django.utils import timezone

        from cmdb import services as cmdb
        from om.printing import services as printing
        from om.printing.models import CartridgeModel, Printer, PrintQueue
        from om.printing.reading import PrinterAnswer, SupplyRow

        tech, school, now = self.cast["tech"], self.highfield, timezone.now()
        while (made := Printer.objects.count()) < n:
            ci = cmdb.ci_create(school=school, actor=tech, kind="printer", name=f"PRN-{made:02d}", model_name="M404")
            printer = printing.printer_add(actor=tech, ci=ci)
            supplies = [SupplyRow("1.1", "Black", 3, 19, 100, 10), SupplyRow("1.2", "Drum", 9, 7, 100, -3)]
            for hours, pages in ((2, 100), (1, 150 + made)):
                printing.printer_record_reading(printer=printer, now=now - timedelta(hours=hours),
                                                answer=PrinterAnswer(pages, supplies))  # fmt: skip
            printing.queue_save(actor=tech, school=school, name=f"Queue {made}", printer=printer)
        while (made := CartridgeModel.objects.count()) < n:
            cartridge = printing.cartridge_save(actor=tech, school=school, name=f"Toner {made}", part_number=f"T{made}",
                                                printer_models="M404", reorder_level=5, unit_cost=10)  # fmt: skip
            printing.stock_move(actor=tech, cartridge=cartridge, kind="received", quantity=1, note="Delivery")
        assert PrintQueue.objects.count() == n

    # --- FITS OM: Storage Management (om/storage/) ------------------------------------------------------------------
    def storage(self, n: int) -> None:
        """At highfield: `n` disk volumes measured on a server, shares, backup jobs (each with a result read from an
        e-mail report, its report kept, and a restore test), and restore requests."""
        from datetime import timedelta

        from django.utils import timezone

        from availability.models import Metric
        from cmdb import services as cmdb
        from om.storage import services as storage
        from om.storage.models import BackupJob, RestoreRequest, Share

        tech, school, now = self.cast["tech"], self.highfield, timezone.now()
        self.file_server = getattr(self, "file_server", None) or cmdb.ci_create(
            school=school, actor=tech, kind="server", name="HF-FS"
        )
        while (made := Metric.objects.filter(ci=self.file_server).count()) < n:
            Metric.objects.create(school=school, ci=self.file_server, kind="disk", key=f"disk:V{made}",
                                  label=f"Disk V{made}", unit="B", capacity=1e12, last_value=5e11,
                                  last_percent=50.0 + made % 40, last_at=now)  # fmt: skip
        while (made := Share.objects.count()) < n:
            storage.share_save(actor=tech, school=school, server=self.file_server, name=f"Share{made}$",
                               path=f"D:\\Shares\\{made}")  # fmt: skip
        first_share = Share.objects.order_by("pk").first()
        while (made := BackupJob.objects.count()) < n:
            job = storage.backup_job_save(actor=tech, school=school, name=f"Job {made}", destination="NAS",
                                          cis=[self.file_server], shares=[first_share], retention_days=30,
                                          owner=tech)  # fmt: skip
            status = "Failed" if made % 3 == 0 else "Success"
            sent = timezone.localtime(now - timedelta(hours=2))
            storage.backup_report_receive(school=school, raw=(
                f"From: veeam@hf.sch.uk\nSubject: [{status}] Job {made} (1 machines)\n"
                f"Date: {sent:%a, %d %b %Y %H:%M:%S %z}\n\nDone.\n").encode())  # fmt: skip
            storage.restore_test_record(job=job, actor=tech, tested_on=timezone.localdate(), restored=f"File {made}",
                                        restored_from=timezone.localdate() - timedelta(days=1), minutes=5,
                                        verified_by=tech, evidence="Opened.")  # fmt: skip
        job = BackupJob.objects.order_by("pk").first()
        while (made := RestoreRequest.objects.count()) < n:
            restore = storage.restore_request_log(school=school, ticket=None, kind="file", what=f"Lost {made}",
                                                  job=job)  # fmt: skip
            if made % 2:
                storage.restore_complete(restore=restore, actor=tech, outcome="restored")

    # --- FITS process: Service Continuity Management (continuity/) --------------------------------------------------
    def continuity(self, n: int) -> None:
        """At highfield: `n` risks, `n` recovery plans (one per CMDB service, each with steps, contacts and a risk)
        and `n` continuity tests, each with an action raised as a task."""
        from datetime import timedelta

        from django.utils import timezone

        from cmdb import services as cmdb
        from continuity import services as continuity
        from continuity.models import ContinuityPlan, ContinuityTest, Risk

        netmgr, tech, school, today = self.cast["netmgr"], self.cast["tech"], self.highfield, timezone.localdate()
        while (made := Risk.objects.count()) < n:
            continuity.risk_save(actor=netmgr, school=school, title=f"Risk {made}", category="flood",
                                 likelihood=made % 5 + 1, impact=(made * 2) % 5 + 1, owner=netmgr,
                                 review_date=today + timedelta(days=made - 3))  # fmt: skip
        first_risk = Risk.objects.order_by("pk").first()
        while (made := ContinuityPlan.objects.count()) < n:
            service = cmdb.ci_create(school=school, actor=tech, kind="service", name=f"Service {made}",
                                     attributes={"purpose": "learning"})  # fmt: skip
            plan = continuity.plan_save(actor=netmgr, school=school, service=service, recovery_order=made + 1,
                                        rto_minutes=240, rpo_minutes=1440, owner=netmgr, risks=[first_risk],
                                        review_date=today + timedelta(days=made - 3))  # fmt: skip
            continuity.plan_steps_save(plan=plan, actor=netmgr, steps=[{"text": "Restore it", "who": tech}])
            continuity.plan_contacts_save(plan=plan, actor=netmgr, contacts=[
                {"kind": "team", "person": tech, "role": "Restores", "phone": "1"}])  # fmt: skip
            if made % 2 and made > 3:  # approved (a review date after today); the first few overdue drafts
                continuity.plan_transition(plan=plan, action="approve", actor=netmgr)
        plans = list(ContinuityPlan.objects.order_by("pk"))
        while (made := ContinuityTest.objects.count()) < n:
            continuity.continuity_test_record(
                plan=plans[made % len(plans)], actor=netmgr, tested_on=today - timedelta(days=made), kind="walkthrough",
                scenario="Flood.", outcome="issues", findings="Slow.", participants=[tech], rto_achieved_minutes=300,
                actions=[{"text": f"Fix {made}", "owner": tech, "due_on": today}])  # fmt: skip

    def assessments(self, n: int) -> None:
        """The FITS maturity assessment: highfield's this year with `n` answers (up to the questionnaire's length),
        and `n` - 1 more schools of bolton each with its assessment answered in part (the LEA's grid grows)."""
        from fits.assessment import services as assessment
        from fits.assessment.models import Answer, Assessment
        from fits.assessment.questionnaire import question_map

        admin, bolton = self.cast["admin"], self.highfield.authority
        keys = list(question_map())
        current = assessment.assessment_start(school=self.highfield, actor=admin)
        for key in keys[Answer.objects.filter(assessment=current).count() : min(n, len(keys))]:
            assessment.assessment_answer(assessment=current, actor=admin, question=key, level="partly")
        for i in range(Assessment.objects.count(), n):
            school = School.objects.create(slug=f"assessed-{i}", name=f"Assessed school {i}", authority=bolton)
            other = assessment.assessment_start(school=school, actor=admin)
            for key in keys[i % 10 : i % 10 + 3]:
                assessment.assessment_answer(assessment=other, actor=admin, question=key, level="fully")
            assessment.assessment_moderate(assessment=other, actor=admin, area="cmdb", percent=i % 100)
            assessment.assessment_transition(assessment=other, actor=admin, action="complete")

    def sign_ins(self, n: int) -> None:
        """Sign-ins and failures of highfield's people (axes' logs: there is no service, axes writes them)."""
        from axes.models import AccessFailureLog, AccessLog

        while (made := AccessLog.objects.count() + AccessFailureLog.objects.count()) < n:
            model = AccessLog if made % 2 else AccessFailureLog
            model.objects.create(username="staff", ip_address="10.0.0.1", user_agent="Firefox", http_accept="*/*")

    # --- The ICT strategy and technical support strategy (fits/strategy/) ------------------------------------------
    def strategy(self, n: int) -> None:
        """`n` strategy documents at schools of bolton (two a school: each school has one of each kind), each with a
        section written and, for every other one, the LA adviser's signature (the consultant's)."""
        from fits.strategy import services as strategy
        from fits.strategy.models import StrategyDocument

        admin, consultant = self.cast["admin"], self.cast["consultant"]
        while (made := StrategyDocument.objects.count()) < n:
            school = School.objects.create(slug=f"strategy-{made}", name=f"Strategy school {made}",
                                           authority=self.highfield.authority)  # fmt: skip
            for kind in ("ict", "support"):
                document = strategy.strategy_document_create(school=school, kind=kind, actor=admin)
                strategy.strategy_section_edit(document=document, key="resources", text="Two technicians.",
                                               actor=admin)  # fmt: skip
                if kind == "ict":  # a fresh copy of the consultant: their roles are cached, and the school is new
                    consultant = User.objects.get(pk=consultant.pk)
                    strategy.strategy_sign(document=document, capacity="la_adviser", actor=consultant)

    # --- Financial Management (finance/) ----------------------------------------------------------------------------
    def finance(self, n: int) -> None:
        """At highfield: this year's budget, and `n` each of suppliers, CIs with a cost (in a room, covered by a
        contract), contracts, expenditure lines and time entries on incidents about those CIs."""
        from datetime import timedelta
        from decimal import Decimal

        from django.utils import timezone

        from cmdb.models import ConfigurationItem, Location
        from cmdb.services import ci_create
        from finance import services as finance
        from finance.models import Budget, Contract, Expenditure, Supplier
        from fits.models import TimeEntry

        netmgr, tech, staff, school = self.cast["netmgr"], self.cast["tech"], self.cast["staff"], self.highfield
        today = timezone.localdate()
        if not Budget.objects.filter(school=school).exists():
            finance.finance_settings_save(actor=netmgr, school=school, funding_type="maintained", pupils=200)
            finance.budget_save(actor=netmgr, school=school, year=finance.money.year_of(today, 4),
                                amounts={"hardware": 5000, "software": 2000})  # fmt: skip
            site = Location.objects.create(school=school, kind="site", name="Site")
            building = Location.objects.create(school=school, kind="building", name="Block", parent=site)
            self.finance_room = Location.objects.create(school=school, kind="room", name="Suite", parent=building)
        while (made := Supplier.objects.count()) < n:
            finance.supplier_save(actor=netmgr, school=school, name=f"Supplier {made}")
        while (made := ConfigurationItem.objects.filter(name__startswith="FIN-").count()) < n:
            ci_create(school=school, actor=tech, kind="laptop", name=f"FIN-{made}", location=self.finance_room,
                      purchase_cost=Decimal("400"), purchase_date=today - timedelta(days=30 * made))  # fmt: skip
        suppliers = list(Supplier.objects.order_by("pk")[:1])
        cis = list(ConfigurationItem.objects.filter(name__startswith="FIN-").order_by("pk"))
        while (made := Contract.objects.count()) < n:
            finance.contract_save(actor=netmgr, school=school, supplier=suppliers[0], title=f"Contract {made}",
                                  kind="support", starts_on=today - timedelta(days=10), ends_on=today + timedelta(
                                      days=30 + made), annual_cost=Decimal("120"), cis=cis[made: made + 1])  # fmt: skip
        while (made := Expenditure.objects.count()) < n:
            finance.expenditure_record(actor=netmgr, school=school, spent_on=today, item=f"Line {made}",
                                       category="hardware", amount=Decimal("10"), supplier=suppliers[0],
                                       ci=cis[made % len(cis)], stage="ordered" if made % 3 else "paid")  # fmt: skip
        while (made := TimeEntry.objects.count()) < n:
            incident = self.log(school, by=staff, title=f"Laptop {made}", ci=cis[made % len(cis)])
            services.incident_log_time(incident=incident, person=tech, minutes=30)

    def kwargs(self, route: Route) -> dict[str, int]:
        if "function" in route.kwarg_names:  # the OM base's page of one function
            return {"function": "sysadmin"}
        if route.key == "sysadmin:logbook":
            return {"ci": self.server.pk}
        if "pk" not in route.kwarg_names:
            return {}
        if route.key.startswith("api:problem-"):
            return {"pk": self.problem.pk}
        return {"pk": self.core.pk} if route.key.startswith("api:cmdb-") else {"pk": self.discussed.pk}


@pytest.fixture
def rows(cast, highfield, riverside, log_incident) -> Rows:
    return Rows(cast, highfield, log_incident)


@pytest.fixture(autouse=True)
def _attachments_in_a_temporary_folder(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


# =============================================================================
# The lists, and the routes that are not lists
# =============================================================================


@dataclass(frozen=True)
class Target:
    grow: str  # the Rows method that grows its rows
    viewers: tuple[str, ...]
    # Queries allowed for fifty rows: what the most expensive viewer needed when this was written
    # (10 for the home pages, 9 for the queue...) plus two. Raise it on purpose, never to pass a test.
    budget: int
    small: int = len(INCIDENT_KINDS)  # rows in the small world


EVERYONE = ("staff", "desk", "tech", "netmgr", "leader", "consultant", "admin")
CMDB_READERS = ("desk", "tech", "consultant", "admin")
MONITORING_READERS = ("desk", "tech", "consultant", "admin")
OM_READERS = ("desk", "tech", "netmgr", "admin")
FINANCE_READERS = ("netmgr", "consultant")  # the financial manager, and the LEA across its schools
STRATEGY_READERS = ("consultant", "admin")  # two documents a school: only people of many schools see fifty
SECURITY_READERS = ("netmgr", "leader", "admin")  # the breach log and who holds administrator rights
ASSESSMENT_READERS = ("tech", "netmgr", "consultant", "admin")
CONTINUITY_READERS = ("desk", "consultant")  # a reader at the school, and the LEA's consultant across schools

LISTS: dict[str, Target] = {
    "home": Target("incidents", EVERYONE, budget=12),
    "incidents:list": Target("incidents", ("staff", "tech", "consultant", "admin"), budget=11),
    "api:incident-list": Target("incidents", ("staff", "tech", "consultant", "admin"), budget=9),
    "api:incident-activity": Target("comments", ("staff", "tech"), budget=10, small=1),
    "api:school-list": Target("schools", ("consultant", "admin"), budget=9, small=1),
    # From two schools to fifty (with one, that school is the current one and is read; with more, none is chosen).
    "api:me": Target("memberships", ("tech",), budget=10, small=2),
    "inventory:submission_list": Target("submissions", ("tech", "consultant", "admin"), budget=11, small=1),
    "inventory:settings": Target("submissions", ("netmgr", "tech"), budget=12, small=1),
    # The export streams its rows after the view returns: tests/cmdb/test_transfer.py counts them consumed too.
    "cmdb:export": Target("cmdb_problems", ("desk", "tech", "consultant", "admin"), budget=8, small=4),
    "cmdb:audit": Target("cmdb_problems", ("desk", "tech", "consultant", "admin"), budget=17, small=4),
    "cmdb:ci_list": Target("network", CMDB_READERS, budget=10, small=1),
    "cmdb:location_list": Target("network", CMDB_READERS, budget=10, small=1),
    "cmdb:software_list": Target("network", CMDB_READERS, budget=11, small=1),
    "cmdb:licence_list": Target("network", CMDB_READERS, budget=11, small=1),
    "api:cmdb-item-list": Target("network", CMDB_READERS, budget=9, small=1),
    "api:cmdb-item-impact": Target("network", CMDB_READERS, budget=13, small=1),
    "api:cmdb-item-depends-on": Target("network", CMDB_READERS, budget=10, small=1),
    "api:cmdb-item-history": Target("network", CMDB_READERS, budget=9, small=1),
    "api:cmdb-item-activity": Target("network", CMDB_READERS, budget=10, small=1),
    "api:cmdb-location-list": Target("network", CMDB_READERS, budget=9, small=1),
    "api:cmdb-port-list": Target("network", CMDB_READERS, budget=9, small=1),
    "api:cmdb-cable-list": Target("network", CMDB_READERS, budget=9, small=1),
    "api:cmdb-relationship-list": Target("network", CMDB_READERS, budget=9, small=1),
    "api:cmdb-software-list": Target("network", CMDB_READERS, budget=9, small=1),
    "api:cmdb-installation-list": Target("network", CMDB_READERS, budget=9, small=1),
    "api:cmdb-licence-list": Target("network", CMDB_READERS, budget=10, small=1),
    "problems:list": Target("problems", CMDB_READERS, budget=14, small=1),
    "changes:list": Target("changes", CMDB_READERS, budget=14, small=1),
    "releases:list": Target("releases", CMDB_READERS, budget=14, small=1),
    "releases:library": Target("releases", CMDB_READERS, budget=14, small=1),
    "api:release-list": Target("releases", CMDB_READERS, budget=14, small=1),
    "api:release-library-list": Target("releases", CMDB_READERS, budget=12, small=1),
    "api:change-list": Target("changes", CMDB_READERS, budget=12, small=1),
    "api:change-template-list": Target("boards_and_templates", CMDB_READERS, budget=9, small=1),
    "api:change-board-list": Target("boards_and_templates", CMDB_READERS, budget=10, small=1),
    "changes:board_list": Target("boards_and_templates", CMDB_READERS + ("netmgr",), budget=14, small=1),
    "changes:template_list": Target("boards_and_templates", CMDB_READERS + ("netmgr",), budget=13, small=1),
    "api:change-freeze-window-list": Target("change_windows", CMDB_READERS, budget=9, small=1),
    "api:change-maintenance-window-list": Target("change_windows", CMDB_READERS, budget=9, small=1),
    "changes:forward_schedule": Target("scheduled_changes", CMDB_READERS, budget=13, small=1),
    "changes:forward_schedule_ics": Target("scheduled_changes", CMDB_READERS, budget=11, small=1),
    "changes:freeze_list": Target("change_windows", CMDB_READERS, budget=12, small=1),
    "changes:maintenance_list": Target("change_windows", CMDB_READERS, budget=11, small=1),
    "problems:known_error_list": Target("problems", CMDB_READERS, budget=14, small=1),
    "api:problem-list": Target("problems", CMDB_READERS, budget=12, small=1),
    "api:problem-activity": Target("problems", CMDB_READERS, budget=12, small=1),
    "api:known-error-list": Target("problems", CMDB_READERS, budget=12, small=1),
    "problems:candidates": Target("candidates", CMDB_READERS, budget=12, small=1),
    "api:problem-candidate-list": Target("candidates", CMDB_READERS, budget=12, small=1),
    "problems:report": Target("problems", CMDB_READERS, budget=20, small=1),
    "knowledge_list": Target("articles", ("staff", "tech", "admin"), budget=12, small=1),
    "knowledge_suggest": Target("articles", ("staff", "tech"), budget=10, small=1),
    "api:knowledge-article-list": Target("articles", ("staff", "tech", "admin"), budget=10, small=1),
    # The service desk's configuration (incidents/config_views.py, work_api.py) and time spent
    "incidents:category_list": Target(
        "service_desk_config", ("tech", "netmgr", "consultant", "admin"), budget=12, small=1
    ),
    "incidents:group_list": Target(
        "service_desk_config", ("tech", "netmgr", "consultant", "admin"), budget=12, small=1
    ),
    "api:category-list": Target("service_desk_config", ("tech", "consultant", "admin"), budget=10, small=1),
    "api:support-group-list": Target("service_desk_config", ("tech", "consultant", "admin"), budget=10, small=1),
    "api:incident-time": Target("time", ("tech", "staff"), budget=10, small=1),
    "notifications:list": Target("notifications", ("staff", "tech"), budget=11, small=1),
    "api:notification-list": Target("notifications", ("staff", "tech"), budget=9, small=1),
    # The workbench: one page of 50 rows, the queue counts in one aggregate (1 vs 60 rows over two pages:
    # tests/servicedesk/test_workbench.py).
    "workbench": Target("incidents", ("desk", "tech", "netmgr", "consultant", "admin"), budget=20),
    "workbench_poll": Target("incidents", ("desk", "tech", "consultant", "admin"), budget=10),
    # The filters' choice lists, fetched when "More filters" opens (categories, groups, people, rooms, schools).
    "workbench_filter_lists": Target("incidents", ("desk", "tech", "consultant", "admin"), budget=12),
    "api:workbench-counts-list": Target("incidents", ("tech", "consultant", "admin"), budget=9),
    "api:saved-filter-list": Target("saved_filters", ("tech",), budget=8, small=1),
    "mail:inbound_list": Target("inbound", ("desk", "tech", "admin"), budget=13, small=4),
    "api:inbound-message-list": Target("inbound", ("desk", "tech", "admin"), budget=10, small=4),
    # The portal, the timetable, attachments, the safeguarding leads.
    "incidents:mine": Target("incidents", ("staff", "tech"), budget=12),
    "incidents:timetable": Target("lessons", ("desk", "tech", "consultant", "admin"), budget=12, small=1),
    "api:lesson-list": Target("lessons", ("desk", "tech", "admin"), budget=9, small=1),
    "api:incident-attachments": Target("attachments", ("staff", "tech"), budget=10, small=1),
    "safeguarding_leads": Target("schools", ("consultant", "admin"), budget=10, small=1),
    "servicelevels:calendar_list": Target("calendars", ("netmgr", "consultant", "admin"), budget=12, small=1),
    "api:service-level-calendar-list": Target("calendars", ("netmgr", "consultant", "admin"), budget=12, small=1),
    # Service Level Management: the catalogue, agreements, traded services (grown together at highfield).
    **{
        key: Target("service_levels", ("netmgr", "consultant", "admin"), budget=14, small=1)
        for key in (
            "servicelevels:service_list",
            "servicelevels:agreement_list",
            "servicelevels:package_list",
            "servicelevels:subscription_list",
            "api:service-level-service-list",
            "api:service-level-agreement-list",
            "api:service-level-package-list",
            "api:service-level-subscription-list",
        )
    },
    # The service reports: the schools whose reports one reads; the report and the pack over a growing problem log.
    "servicelevels:report_list": Target("schools", ("consultant", "admin"), budget=10, small=1),
    "servicelevels:report_termly": Target("problems", ("leader", "consultant"), budget=20, small=1),
    "servicelevels:report_pack": Target("problems", ("leader", "consultant"), budget=20, small=1),
    # The dashboards: one school's figures whatever its tickets; the authority's schools side by side.
    "servicelevels:dashboard": Target("incidents", ("leader", "tech", "consultant", "admin"), budget=19),
    "api:service-level-dashboard-list": Target("incidents", ("leader", "consultant", "admin"), budget=13),
    "servicelevels:authority": Target("schools", ("consultant", "admin"), budget=15, small=1),
    "api:service-level-authority-list": Target("schools", ("consultant", "admin"), budget=14, small=1),
    # The availability report: services against their targets and monitored CIs worst first (one page of 50).
    "availability:report": Target("monitored_cis", ("tech", "leader", "consultant", "admin"), budget=29, small=1),
    # Capacity: series fullest first with their trend, forecast and open alert; the thresholds (a page each).
    # Monitoring: the overview (down first, open outages: 100 rows at most), checks, outages, proposals, credentials.
    "availability:overview": Target("monitoring", MONITORING_READERS, budget=16, small=1),
    "availability:check_list": Target("monitoring", MONITORING_READERS, budget=10, small=1),
    "availability:outage_list": Target("monitoring", MONITORING_READERS, budget=10, small=1),
    "availability:proposals": Target("monitoring", MONITORING_READERS, budget=12, small=1),
    "availability:credential_list": Target("monitoring", MONITORING_READERS + ("netmgr",), budget=10, small=1),
    "api:availability-check-list": Target("monitoring", MONITORING_READERS, budget=9, small=1),
    "api:availability-state-list": Target("monitoring", MONITORING_READERS, budget=9, small=1),
    "api:availability-result-list": Target("monitoring", MONITORING_READERS, budget=9, small=1),
    "api:availability-outage-list": Target("monitoring", MONITORING_READERS, budget=9, small=1),
    "api:availability-poll-run-list": Target("monitoring", MONITORING_READERS, budget=9, small=1),
    "api:availability-figures-list": Target("monitoring", MONITORING_READERS, budget=17, small=1),
    "availability:capacity": Target("capacity", ("desk", "tech", "consultant", "admin"), budget=16, small=1),
    "availability:threshold_list": Target("capacity", ("desk", "tech", "consultant", "admin"), budget=10, small=1),
    # Tasks (due soonest first, with their checklist progress) and preventative maintenance (with the last task).
    "incidents:task_list": Target("planned_tasks", ("desk", "tech", "consultant", "admin"), budget=10, small=1),
    "api:task-list": Target("planned_tasks", ("desk", "tech", "consultant", "admin"), budget=10, small=1),
    "availability:maintenance_list": Target("maintenance_schedules", ("desk", "tech", "admin"), budget=10, small=1),
    # FITS OM: the functions, a function's policy and activities, and Systems Administration.
    "om:index": Target("om_allocations", OM_READERS, budget=10, small=1),
    "om:function": Target("om_allocations", OM_READERS, budget=12, small=1),
    "api:om-policy-list": Target("om_allocations", OM_READERS, budget=9, small=1),
    # The strategies (fits/strategy/): each school's two documents, their versions and sections, for the LEA.
    "strategy:home": Target("strategy", STRATEGY_READERS, budget=14, small=1),
    "api:strategy-document-list": Target("strategy", STRATEGY_READERS, budget=12, small=1),
    "api:strategy-version-list": Target("strategy", STRATEGY_READERS, budget=12, small=1),
    "api:strategy-section-list": Target("strategy", STRATEGY_READERS, budget=10, small=1),
    "api:om-activity-list": Target("om_allocations", OM_READERS, budget=9, small=1),
    "sysadmin:routines": Target("routines", OM_READERS, budget=12, small=1),
    "api:sysadmin-routine-list": Target("routines", OM_READERS, budget=9, small=1),
    "sysadmin:servers": Target("logbooks", OM_READERS, budget=10, small=1),
    "sysadmin:logbook": Target("logbooks", OM_READERS, budget=11, small=1),
    "api:sysadmin-logbook-list": Target("logbooks", OM_READERS, budget=9, small=1),
    "sysadmin:runbooks": Target("run_books", OM_READERS, budget=10, small=1),
    # Patch Management: the dashboard (figures in SQL, overdue devices), the devices' states, baseline, groups, imports.
    "patches:dashboard": Target("patches", OM_READERS, budget=15, small=1),
    "patches:compliance_list": Target("patches", OM_READERS, budget=15, small=1),
    "patches:update_list": Target("patches", OM_READERS, budget=15, small=1),
    "patches:group_list": Target("patches", OM_READERS, budget=15, small=1),
    "patches:import_list": Target("patches", OM_READERS, budget=15, small=1),
    "api:patches-update-list": Target("patches", OM_READERS, budget=15, small=1),
    "api:patches-group-list": Target("patches", OM_READERS, budget=15, small=1),
    "api:patches-compliance-list": Target("patches", OM_READERS, budget=15, small=1),
    "api:patches-import-list": Target("patches", OM_READERS, budget=15, small=1),
    "api:sysadmin-runbook-list": Target("run_books", OM_READERS, budget=10, small=1),
    # Security Administration: the breach log and admin accounts (network manager, leaders), the register and
    # antivirus (support staff), the security categories.
    "security:breach_list": Target("security", SECURITY_READERS, budget=12, small=1),
    "security:rule_list": Target("security", OM_READERS, budget=12, small=1),
    "security:antivirus": Target("security", OM_READERS, budget=12, small=1),
    "security:account_list": Target("security", SECURITY_READERS, budget=13, small=1),
    "security:categories": Target("security", SECURITY_READERS, budget=12, small=1),
    "api:security-breach-list": Target("security", SECURITY_READERS, budget=10, small=1),
    "api:security-firewall-rule-list": Target("security", OM_READERS, budget=10, small=1),
    "api:security-antivirus-list": Target("security", OM_READERS, budget=10, small=1),
    "api:security-privileged-account-list": Target("security", SECURITY_READERS, budget=10, small=1),
    "api:security-access-review-list": Target("security", SECURITY_READERS, budget=10, small=1),
    # Storage Management (om/storage/): support staff read it.
    "storage:overview": Target("storage", OM_READERS, budget=12, small=1),
    "storage:share_list": Target("storage", OM_READERS, budget=11, small=1),
    "storage:job_list": Target("storage", OM_READERS, budget=10, small=1),
    "storage:report_list": Target("storage", OM_READERS, budget=10, small=1),
    "storage:restore_list": Target("storage", OM_READERS, budget=10, small=1),
    "storage:test_list": Target("storage", OM_READERS, budget=11, small=1),
    # The FITS maturity assessment (fits/assessment/): support staff, leaders and the LEA's consultants read it.
    "assessment:home": Target("assessments", ASSESSMENT_READERS, budget=13, small=1),
    "assessment:history": Target("assessments", ASSESSMENT_READERS, budget=13, small=1),
    "assessment:lea": Target("assessments", ASSESSMENT_READERS, budget=15, small=1),
    "assessment:lea_export": Target("assessments", ("consultant", "admin"), budget=13, small=1),
    "api:assessment-list": Target("assessments", ASSESSMENT_READERS, budget=11, small=1),
    "api:assessment-answer-list": Target("assessments", ASSESSMENT_READERS, budget=9, small=1),
    # Service Continuity Management (continuity/): support staff and the LEA's consultants read it.
    "continuity:overview": Target("continuity", CONTINUITY_READERS, budget=20, small=1),
    "continuity:risk_list": Target("continuity", CONTINUITY_READERS, budget=20, small=1),
    "continuity:risk_matrix": Target("continuity", CONTINUITY_READERS, budget=20, small=1),
    "continuity:plan_list": Target("continuity", CONTINUITY_READERS, budget=20, small=1),
    "continuity:test_list": Target("continuity", CONTINUITY_READERS, budget=20, small=1),
    "api:continuity-risk-list": Target("continuity", CONTINUITY_READERS, budget=20, small=1),
    "api:continuity-plan-list": Target("continuity", CONTINUITY_READERS, budget=20, small=1),
    "api:continuity-test-list": Target("continuity", CONTINUITY_READERS, budget=20, small=1),
    "api:storage-job-list": Target("storage", OM_READERS, budget=12, small=1),
    "api:storage-backup-result-list": Target("storage", OM_READERS, budget=9, small=1),
    "api:storage-backup-report-list": Target("storage", OM_READERS, budget=9, small=1),
    "api:storage-restore-list": Target("storage", OM_READERS, budget=9, small=1),
    "api:storage-restore-test-list": Target("storage", OM_READERS, budget=9, small=1),
    # Financial Management (finance/): the financial manager and the LEA read it; figures add up in SQL.
    **{
        key: Target("finance", FINANCE_READERS, budget=budget, small=1)
        for key, budget in (
            ("finance:overview", 16),
            ("finance:expenditure_list", 12),
            ("finance:supplier_list", 11),
            ("finance:contract_list", 12),
            ("finance:ci_costs", 12),
            ("finance:tco", 20),
            ("finance:support_cost", 30),
            ("finance:reports", 18),
            ("finance:reports_csv", 19),
            ("finance:expenditure_export", 10),
            ("api:finance-supplier-list", 9),
            ("api:finance-contract-list", 10),
            ("api:finance-budget-list", 10),
            ("api:finance-expenditure-list", 9),
            ("api:finance-ci-cost-list", 10),
            ("api:finance-report-list", 14),
        )
    },
    # Print and Output Management: printers with their supplies (prefetched), queues, stock, reorder, usage (SQL).
    **{
        key: Target("printing", OM_READERS, budget=14, small=1)
        for key in (
            "printing:printer_list",
            "printing:queue_list",
            "printing:cartridge_list",
            "printing:reorder",
            "printing:usage",
            "printing:usage_export",
            "printing:policy",
            "api:printing-printer-list",
            "api:printing-queue-list",
            "api:printing-cartridge-list",
            "api:printing-movement-list",
            "api:printing-usage-list",
        )
    },
    # The service catalogue and requests.
    "catalogue:index": Target("request_types", ("staff", "desk", "admin"), budget=11, small=1),
    "catalogue:type_list": Target("request_types", ("desk", "leader", "consultant", "admin"), budget=11, small=1),
    "catalogue:approvals": Target("requests", ("leader", "netmgr", "admin"), budget=13, small=2),
    "api:request-type-list": Target("request_types", ("staff", "desk", "admin"), budget=9, small=1),
    "api:service-request-list": Target("requests", ("staff", "tech", "leader", "admin"), budget=12, small=2),
    "api:fulfilment-task-list": Target("requests", ("staff", "tech", "admin"), budget=10, small=2),
    # Directory Services Administration (om/directory/): support staff's.
    "directory:overview": Target("directory", OM_READERS, budget=14, small=1),
    "directory:account_list": Target("directory", OM_READERS, budget=14, small=1),
    "directory:group_list": Target("directory", OM_READERS, budget=14, small=1),
    "directory:ou_list": Target("directory", OM_READERS, budget=14, small=1),
    "directory:run_list": Target("directory", OM_READERS, budget=14, small=1),
    "directory:request_list": Target("directory", OM_READERS, budget=14, small=1),
    "directory:intake": Target("directory", OM_READERS, budget=14, small=1),
    "directory:reports": Target("directory", OM_READERS, budget=14, small=1),
    "api:directory-settings-list": Target("directory", OM_READERS, budget=10, small=1),
    "api:directory-account-list": Target("directory", OM_READERS, budget=10, small=1),
    "api:directory-group-list": Target("directory", OM_READERS, budget=10, small=1),
    "api:directory-ou-list": Target("directory", OM_READERS, budget=10, small=1),
    "api:directory-change-list": Target("directory", OM_READERS, budget=10, small=1),
    "api:directory-account-request-list": Target("directory", OM_READERS, budget=10, small=1),
    "api:directory-sync-run-list": Target("directory", OM_READERS, budget=10, small=1),
    # Sign-in security (fits/account_views.py): one UNION of axes' two logs, paginated
    "sign_ins": Target("sign_ins", ("netmgr", "admin"), budget=12, small=1),
}

NOT_LISTS: dict[str, str] = {
    # The strategies (fits/strategy/)
    "strategy:create": "POST only",
    "strategy:document": "one document: its working version's sections, their live facts (a query or two per fact "
    "provider, a fixed set), its sign-offs, versions and timeline",
    "strategy:section_edit": "one section's form",
    "strategy:sign": "POST only",
    "strategy:dates": "POST only",
    "strategy:version": "one version beside the one before it (their sections: one query each)",
    "strategy:version_pdf": "one version as PDF (the same contents as strategy:version)",
    "api:strategy-document-detail": "one record",
    "api:strategy-document-edit-section": "POST only",
    "api:strategy-document-dates": "POST only",
    "api:strategy-document-sign": "POST only",
    "api:strategy-version-detail": "one record",
    "api:strategy-section-detail": "one record",
    # Directory Services Administration (om/directory/)
    "directory:sync": "POST only",
    "directory:settings_create": "one form (its school choices are one query)",
    "directory:settings_detail": "one school's settings",
    "directory:settings_edit": "one school's settings form",
    "directory:settings_test": "POST only",
    "directory:account_detail": "one account: its groups, last 100 changes and requests (one query each)",
    "directory:group_detail": "one group: its members and last 100 changes (one query each)",
    "directory:run_detail": "one run: its first 500 changes (one query)",
    "directory:request_detail": "one account request",
    "directory:intake_detail": "one upload: its rows (in the record) and requests (one query)",
    "directory:intake_apply": "POST only",
    "directory:intake_cancel": "POST only",
    "api:directory-settings-detail": "one record",
    "api:directory-account-detail": "one record",
    "api:directory-group-detail": "one record",
    "api:directory-ou-detail": "one record",
    "api:directory-change-detail": "one record",
    "api:directory-account-request-detail": "one record",
    "api:directory-sync-run-detail": "one record",
    # Service Continuity Management (continuity/)
    "continuity:risk_create": "one form (its school, owner and CI choices are one query each)",
    "continuity:risk_detail": "one risk: its CIs, plans and timeline (one query each)",
    "continuity:risk_edit": "one risk's form",
    "continuity:risk_review": "POST only",
    "continuity:risk_transition": "POST only",
    "continuity:plan_create": "one form (its school, service, risk and owner choices are one query each)",
    "continuity:plan_detail": "one plan: steps, contacts, CMDB walk (two queries a level), SLAs, tests, timeline",
    "continuity:plan_edit": "one plan's form",
    "continuity:plan_steps": "one plan's steps as a formset (the people choices are one query a row)",
    "continuity:plan_contacts": "one plan's contacts as a formset (the people choices are one query a row)",
    "continuity:plan_print": "one plan, as its page",
    "continuity:plan_pdf": "one plan, as its page, in PDF",
    "continuity:plan_review": "POST only",
    "continuity:plan_transition": "POST only",
    "continuity:test_create": "one form and its three action rows",
    "continuity:test_detail": "one test: participants, actions with their tasks, timeline (one query each)",
    "api:continuity-risk-detail": "one record",
    "api:continuity-risk-transition": "POST only",
    "api:continuity-plan-detail": "one record",
    "api:continuity-plan-steps": "POST only",
    "api:continuity-plan-contacts": "POST only",
    "api:continuity-plan-transition": "POST only",
    "api:continuity-plan-dependencies": "one plan's CMDB walk (two queries a level of the chain)",
    "api:continuity-test-detail": "one record",
    # Storage Management (om/storage/)
    "storage:share_create": "one form (its school, server and volume choices are one query each)",
    "storage:share_edit": "one share's form",
    "storage:job_create": "one form (its school, CI, share and owner choices are one query each)",
    "storage:job_detail": "one job: its last 30 results, tests, shares, restores and timeline (one query each)",
    # The FITS maturity assessment (fits/assessment/)
    "assessment:start": "POST only",
    "assessment:detail": "one assessment: its scores (one aggregate), moderations and last 50 timeline entries",
    "assessment:export": "one assessment's questions as CSV (its answers are one query)",
    "assessment:transition": "POST only",
    "assessment:area": "one process's questions: its answers (one query) and each provider's few queries",
    "assessment:moderate": "POST only",
    "api:assessment-detail": "one record",
    "api:assessment-answer": "POST only",
    "api:assessment-complete": "POST only",
    "api:assessment-reopen": "POST only",
    "api:assessment-answer-detail": "one record",
    "storage:job_edit": "one job's form",
    "storage:job_result_add": "POST only",
    "storage:job_offsite": "POST only",
    "storage:test_create": "one form (its verifier choices are one query)",
    "storage:report_paste": "one form",
    "storage:report_detail": "one report as received, and its result",
    "storage:restore_detail": "one restore request",
    "storage:restore_complete": "POST only",
    "storage:expectations": "one school's five expectations and its longest retention (one query each)",
    "api:storage-job-detail": "one record",
    "api:storage-backup-result-detail": "one record",
    "api:storage-backup-report-detail": "one record",
    "api:storage-restore-detail": "one record",
    "api:storage-restore-test-detail": "one record",
    # Financial Management (finance/)
    "finance:budget_edit": "one school's budget form (its holder choices are one query)",
    "finance:expenditure_create": "one form (its supplier, CI and contract choices are one query each)",
    "finance:expenditure_edit": "one line's form",
    "finance:expenditure_import": "one upload form and the school's last 10 files",
    "finance:supplier_create": "one form",
    "finance:supplier_edit": "one supplier's form",
    "finance:contract_create": "one form (its supplier, CI and owner choices are one query each)",
    "finance:contract_detail": "one contract: its CIs, invoices (fixed slices) and timeline",
    "finance:contract_edit": "one contract's form",
    "finance:contract_renew": "POST only",
    "finance:contract_cancel": "POST only",
    "finance:ci_cost_edit": "one CI's depreciation form",
    "finance:settings": "one school's settings, defaults and rates (one query each)",
    "api:finance-supplier-detail": "one record",
    "api:finance-contract-detail": "one record",
    "api:finance-budget-detail": "one record with its lines",
    "api:finance-expenditure-detail": "one record",
    "api:finance-ci-cost-detail": "one CI with its depreciation",
    # Security Administration (om/security/)
    "security:breach_create": "one form (its school and security-incident choices are one query each)",
    "security:breach_detail": "one breach: its actions and timeline (one query each)",
    "security:breach_edit": "one breach's form",
    "security:breach_transition": "POST only",
    "security:breach_report": "POST only",
    "security:breach_action_add": "POST only",
    "security:breach_action_done": "POST only",
    "security:rule_create": "one form (its firewall and owner choices are one query each)",
    "security:rule_detail": "one rule and its timeline",
    "security:rule_edit": "one rule's form",
    "security:rule_review": "POST only",
    "security:account_create": "one form (its school and person choices are one query each)",
    "security:account_import": "one upload form",
    "security:account_remove": "POST only",
    "security:review_start": "POST only",
    "security:review_detail": "one review: its accounts (one query with their people) and timeline",
    "security:review_sign_off": "POST only",
    "security:review_decide": "POST only",
    "security:category_mark": "POST only",
    # Print and Output Management (om/printing/)
    "printing:printer_detail": "one printer: supplies, 30 days of readings, queues, tasks, 31 days (a query each)",
    "printing:printer_edit": "POST only",
    "printing:printer_read": "POST only",
    "printing:supply_cartridge": "POST only",
    "printing:queue_edit": "one queue's form (its server and printer choices are one query each)",
    "printing:cartridge_detail": "one cartridge: its latest 50 movements and supplies (one query each)",
    "api:printing-printer-detail": "one printer with its supplies (prefetched)",
    "api:printing-queue-detail": "one queue",
    "api:printing-cartridge-detail": "one cartridge",
    "api:printing-movement-detail": "one stock movement",
    "api:printing-usage-detail": "one printer's pages on one day",
    "api:security-breach-detail": "one breach with its actions (prefetched)",
    "api:security-firewall-rule-detail": "one rule",
    "api:security-antivirus-detail": "one computer's antivirus state",
    "api:security-privileged-account-detail": "one account",
    "api:security-access-review-detail": "one review with its accounts (prefetched)",
    "api:security-breach-transition": "POST only",
    "api:security-breach-report": "POST only",
    "api:security-breach-actions": "POST only",
    "api:security-firewall-rule-review": "POST only",
    "api:security-access-review-decide": "POST only",
    "api:security-access-review-sign-off": "POST only",
    # Patch Management (om/patches/)
    "patches:update_detail": "one update: its approvals, counts and first 50 devices needing it (fixed slices)",
    "patches:update_approve": "POST only",
    "patches:update_rollout": "POST only",
    "patches:group_detail": "one group: its approvals and members (fixed slices), the edit form",
    "patches:group_edit": "POST only",
    "patches:update_edit": "POST only",
    "api:patches-update-rollout": "POST only",
    "api:patches-update-detail": "one update",
    "api:patches-group-detail": "one group and its approvals",
    "api:patches-compliance-detail": "one device's state for one update",
    "api:patches-import-detail": "one imported report",
    # FITS OM base (om/) and Systems Administration (om/sysadmin/)
    "om:policy_detail": "one policy and its timeline",
    "om:policy_review": "POST only",
    "om:policy_edit": "one form (its owner choices are one query)",
    "om:allocation_create": "one form",
    "om:allocation_edit": "one allocation's form",
    "om:allocation_delete": "POST only",
    "api:om-policy-detail": "one record",
    "api:om-activity-detail": "one record",
    "api:sysadmin-routine-detail": "one record",
    "api:sysadmin-logbook-detail": "one record",
    "api:sysadmin-runbook-detail": "one record",
    "api:sysadmin-runbook-review": "POST only",
    "sysadmin:routine_create": "one form",
    "sysadmin:routines_load": "POST only",
    "sysadmin:logbook_add": "POST only",
    "sysadmin:runbook_create": "one form",
    "sysadmin:runbook_detail": "one run book (its latest 20 versions: one query)",
    "sysadmin:runbook_revise": "one form",
    "sysadmin:runbook_review": "POST only",
    "availability:check_create": "one form (its CI and credential choices are one query each)",
    "availability:check_detail": "one check (its latest 50 results and rollups: one query each)",
    "availability:check_edit": "one check's form",
    "availability:check_pause": "POST only",
    "availability:check_resume": "POST only",
    "availability:check_delete": "POST only",
    "availability:proposal_accept": "POST only",
    "availability:proposal_dismiss": "POST only",
    "availability:proposals_accept_all": "POST only",
    "availability:settings": "one school's settings form",
    "availability:credential_create": "one form",
    "availability:credential_update": "one credential's form",
    "availability:credential_delete": "POST only",
    "api:availability-check-detail": "one record",
    "api:availability-check-pause": "POST only",
    "api:availability-check-resume": "POST only",
    "api:availability-check-accept": "POST only",
    "api:availability-state-detail": "one record",
    "api:availability-result-detail": "one record",
    "api:availability-outage-detail": "one record",
    "api:availability-poll-run-detail": "one record",
    "availability:threshold_create": "one form (its CI choices are one query)",
    "availability:threshold_update": "one threshold's form",
    "availability:threshold_delete": "one threshold, asking before it goes",
    "availability:capacity_metric": "one series (its 90 daily figures and latest 10 alerts: one query each)",
    "incidents:task_create": "one form (its device, room, group and people choices are one query each)",
    "incidents:task_detail": "one task (its checklist and timeline: one query each)",
    "incidents:task_edit": "one task's form",
    "incidents:task_assign": "POST only",
    "incidents:task_step": "POST only",
    "incidents:task_transition": "POST only",
    "api:task-detail": "one task",
    "api:task-complete": "POST only",
    "api:task-step": "POST only",
    "api:task-transition": "POST only",
    "availability:maintenance_create": "one form",
    "availability:maintenance_detail": "one schedule (its coming dates, its last 50 tasks, up to 100 devices)",
    "availability:maintenance_edit": "one schedule's form",
    "availability:maintenance_pause": "POST only",
    "availability:maintenance_resume": "POST only",
    "availability:maintenance_delete": "POST only",
    "healthz": "liveness",
    "login": "the sign-in form",
    "logout": "signs out",
    "password_change": "one form",
    "password_change_done": "a confirmation",
    "two_factor": "the person's own two-factor settings (one form)",
    "two_factor_verify": "one form: the code of a pending sign-in",
    "switch_school": "POST only",
    "incidents:create": "one form",
    "incidents:detail": "one record (its timeline grows: tests/incidents/test_detail_page.py, 20 and 200 entries)",
    "incidents:assign": "POST only",
    "incidents:comment": "POST only",
    "incidents:transition": "POST only",
    "api:incident-detail": "one record",
    "api:incident-assign": "POST only",
    "api:incident-comment": "POST only",
    "api:incident-transition": "POST only",
    **dict.fromkeys(
        [
            f"incidents:{name}"
            for name in (
                "escalate",
                "take_back",
                "supplier_reference",
                "log_time",
                "merge",
                "declare_major",
                "link_major",
                "link_child",
                "unlink_major",
                "major_update",
                "set_service",
                "set_category",
            )
        ]
        + [
            f"api:incident-{name}"
            for name in (
                "escalate",
                "take-back",
                "supplier-reference",
                "merge",
                "declare-major",
                "link-major",
                "unlink-major",
                "major-update",
                "service",
                "category",
            )
        ],
        "POST only",
    ),
    "incidents:config": "a summary: a count and a count by kind",
    "incidents:category_create": "one form (its choices: the top-level categories, the groups)",
    "incidents:category_edit": "one form",
    "servicelevels:calendar_detail": "one calendar: a month grid (its rows load in four queries)",
    "servicelevels:calendar_import": "POST only: imports an .ics file into one calendar",
    "servicelevels:calendar_hours": "one form: seven lines of one calendar's hours",
    "servicelevels:calendar_term_create": "POST only",
    "servicelevels:calendar_closure_create": "POST only",
    "servicelevels:calendar_term_edit": "one form",
    "servicelevels:calendar_term_delete": "POST only",
    "servicelevels:calendar_closure_edit": "one form",
    "servicelevels:calendar_closure_delete": "POST only",
    "servicelevels:service_create": "one form",
    "servicelevels:service_detail": "one service: its agreements and targets (one query each), its history",
    "servicelevels:service_edit": "one form",
    "servicelevels:service_retire": "POST only",
    "servicelevels:service_reinstate": "POST only",
    "servicelevels:agreement_create": "one form",
    "servicelevels:agreement_detail": "one agreement: targets and services prefetched, its timeline and history",
    "servicelevels:agreement_edit": "one form",
    "servicelevels:agreement_targets": "one formset of one agreement's targets (at most 60 rows)",
    "servicelevels:agreement_copy_targets": "POST only",
    "servicelevels:agreement_review": "POST only",
    "servicelevels:agreement_transition": "POST only",
    "servicelevels:package_create": "one form",
    "servicelevels:package_edit": "one form",
    "servicelevels:subscription_create": "one form",
    "servicelevels:subscription_edit": "one form",
    "api:service-level-service-detail": "one record",
    "api:service-level-service-retire": "POST only",
    "api:service-level-agreement-detail": "one record",
    "api:service-level-agreement-activity": "one agreement's timeline, paginated like api:incident-activity",
    "api:service-level-agreement-agree": "POST only",
    "api:service-level-agreement-revise": "POST only",
    "api:service-level-agreement-retire": "POST only",
    "api:service-level-agreement-targets": "POST only",
    "api:service-level-agreement-review": "POST only",
    "api:service-level-package-detail": "one record",
    "api:service-level-subscription-detail": "one record",
    "api:service-level-calendar-detail": "one record",
    "api:service-level-calendar-days": "one calendar's days, worked out in memory from its rows (a year at most)",
    "servicelevels:report_termly_pdf": "servicelevels:report_termly as a PDF (the same contents, measured there)",
    "servicelevels:report_termly_csv": "servicelevels:report_termly as a CSV (the same contents, measured there)",
    "servicelevels:report_pack_pdf": "servicelevels:report_pack as a PDF (the same contents, measured there)",
    "servicelevels:report_pack_csv": "servicelevels:report_pack as a CSV (the same contents, measured there)",
    "incidents:group_create": "one form (its choices: the technicians)",
    "incidents:group_edit": "one group with its members and its open tickets' count",
    "incidents:priority_matrix": "a fixed grid of nine cells",
    "api:category-detail": "one record",
    "api:support-group-detail": "one record",
    "api:school-detail": "one record",
    "api:token": "POST only",
    "api:schema": "the OpenAPI description",
    "api:docs": "the schema's browsable docs",
    "api:redoc": "the schema's ReDoc view",
    "api:api-root": "links to the endpoints",
    "inventory:agent": "the agents' door (POST)",
    "inventory:rotate": "POST only",
    "inventory:submission_detail": "one record",
    "inventory:submission_payload": "one record's payload, as a download",
    "cmdb:import": "one form (and the preview of one file: tests/cmdb/test_transfer.py)",
    "cmdb:import_confirm": "POST only",
    "cmdb:import_template": "a fixed file",
    "cmdb:ci_create": "one form",
    "cmdb:location_create": "one form",
    "cmdb:ci_detail": "one record (its tabs are measured in tests/cmdb/test_views.py)",
    "cmdb:ci_edit": "one form",
    "cmdb:port_create": "one form",
    "cmdb:cable_create": "one form (its choices are measured in tests/cmdb/test_views.py)",
    "cmdb:relationship_create": "one form",
    "cmdb:ci_transition": "POST only",
    "cmdb:port_detail": "one cable path, a few hops long",
    "cmdb:cable_remove": "POST only",
    "cmdb:relationship_remove": "POST only",
    "cmdb:licence_detail": "one licence (its seats are measured in tests/cmdb/test_views.py)",
    "cmdb:licence_create": "one form",
    "cmdb:licence_edit": "one form",
    "cmdb:licence_seat_assign": "one form",
    "cmdb:seat_release": "POST only",
    "cmdb:software_create": "one form",
    "cmdb:software_install": "one form",
    "cmdb:installation_remove": "POST only",
    "cmdb:port_edit": "one form",
    "cmdb:port_remove": "POST only",
    "api:cmdb-item-detail": "one record",
    "api:cmdb-item-transition": "POST only",
    "api:cmdb-location-detail": "one record",
    "api:cmdb-port-detail": "one record",
    "api:cmdb-port-trace": "one cable path, a few hops long",
    "api:cmdb-cable-detail": "one record",
    "api:cmdb-relationship-detail": "one record",
    "api:cmdb-software-detail": "one record",
    "api:cmdb-installation-detail": "one record",
    "api:cmdb-licence-detail": "one record",
    "api:cmdb-licence-assign": "POST only",
    "api:cmdb-licence-release": "POST only",
    "changes:create": "one form (its CI and incident choices are one query each)",
    "changes:detail": "one change (its timeline grows; its approvals are bounded by its approvers)",
    "changes:assess": "POST only",
    "changes:vote": "POST only",
    "changes:schedule": "POST only",
    "changes:review": "POST only",
    "changes:transition": "POST only",
    "changes:board_create": "one form (whose board: the schools and authorities the person keeps; their people)",
    "changes:board_detail": "one board (its agenda is measured in tests/changes/test_cab.py)",
    "changes:board_edit": "one form over one board",
    "changes:meeting_schedule": "POST only",
    "changes:meeting_detail": "one meeting (its agenda is measured in tests/changes/test_cab.py)",
    "changes:meeting_record": "POST only",
    "changes:meeting_vote": "POST only",
    "changes:template_create": "one form (whose standard change: the schools and authorities the person keeps)",
    "changes:template_edit": "one form over one standard change",
    "changes:template_retire": "POST only",
    "changes:template_reinstate": "POST only",
    "releases:create": "one form (its change and library item choices are one query each)",
    "releases:library_propose": "one form",
    "releases:library_approve": "POST only",
    "releases:library_withdraw": "POST only",
    "releases:media_lend": "POST only",
    "releases:media_return": "POST only",
    "releases:detail": "one release (its waves list their CIs, in a fixed number of queries)",
    "releases:edit": "one release's form",
    "releases:wave_add": "POST only",
    "releases:rollout": "POST only",
    "releases:transition": "POST only",
    "api:release-detail": "one record",
    "api:release-transition": "POST only",
    "api:release-waves": "POST only",
    "api:release-rollout": "POST only",
    "api:release-library-detail": "one record",
    "api:release-library-approve": "POST only",
    "api:release-library-withdraw": "POST only",
    "api:change-detail": "one change (its conflicts walk the CMDB topology of its own items; votes are prefetched)",
    "api:change-activity": "one change's timeline, paginated (tests/changes/test_api.py: as many queries however long)",
    **dict.fromkeys(
        [
            f"api:change-{action}"
            for action in (
                "assess",
                "submit",
                "vote",
                "schedule",
                "start",
                "implement",
                "fail",
                "back-out",
                "review",
                "close",
                "cancel",
            )
        ],
        "POST only",
    ),  # fmt: skip
    "changes:freeze_create": "one form (whose window: the schools and authorities the person keeps)",
    "changes:freeze_edit": "one freeze window",
    "changes:freeze_delete": "POST only",
    "changes:maintenance_create": "one form (whose window: the schools and authorities the person keeps)",
    "changes:maintenance_edit": "one maintenance window",
    "changes:maintenance_delete": "POST only",
    "problems:create": "one form",
    "problems:settings": "one form (the school's settings)",
    "problems:candidate_raise": "POST only",
    "problems:candidate_dismiss": "POST only",
    "problems:detail": "one problem (its timeline grows: measured through api:problem-activity)",
    "problems:assign": "POST only",
    "problems:comment": "POST only",
    "problems:link_incident": "POST only",
    "problems:link_change": "POST only",
    "problems:raise_change": "one form, prefilled from one problem",
    "changes:edit": "one form over one change (its CI and incident choices are one query each)",
    "problems:unlink_incident": "POST only",
    "problems:known_error_create": "POST only",
    "problems:transition": "POST only",
    "api:problem-detail": "one record",
    "api:problem-assign": "POST only",
    "api:problem-comment": "POST only",
    "api:problem-link-incident": "POST only",
    "api:problem-link-change": "POST only",
    "api:problem-known-error": "POST only",
    "api:problem-transition": "POST only",
    "api:known-error-detail": "one record",
    "api:problem-candidate-detail": "one record",
    "api:problem-candidate-raise": "POST only",
    "api:problem-candidate-dismiss": "POST only",
    "knowledge_create": "one form",
    "knowledge_detail": "one record",
    "knowledge_edit": "one form",
    "knowledge_transition": "POST only",
    "api:knowledge-article-detail": "one record",
    "api:knowledge-article-transition": "POST only",
    "notifications:badge": "one count",
    "notifications:open": "POST only",
    "notifications:read_all": "POST only",
    "notifications:settings": "one form",
    "notifications:templates": "the schools whose e-mails the person words, in one query (or a redirect)",
    "notifications:template_list": "the fixed list of events, with the school's own wordings in one query",
    "notifications:template_edit": "one form",
    "notifications:template_preview": "POST only",
    "notifications:template_reset": "POST only",
    "api:notification-detail": "one record",
    "api:notification-read": "POST only",
    "api:notification-read-all": "POST only",
    "workbench_bulk": "POST only",
    "saved_filter_create": "POST only",
    "saved_filter_rename": "POST only",
    "saved_filter_move": "POST only",
    "saved_filter_delete": "POST only",
    "api:saved-filter-detail": "one record",
    "api:saved-filter-move": "POST only",
    "mail:inbound_detail": "one message (parsed from its raw bytes)",
    "mail:inbound_raw": "one message's raw bytes, as a download",
    "mail:inbound_accept": "POST only",
    "mail:inbound_discard": "POST only",
    "mail:inbound_retry": "POST only",
    "mail:mailbox": "one form (and the schools the network manager may choose from, in one query)",
    "api:inbound-message-detail": "one record",
    "incidents:lookup_rooms": "at most 12 rooms for what was typed (tests/incidents/test_portal.py counts it)",
    "incidents:lookup_devices": "at most 12 devices for what was typed (tests/incidents/test_portal.py counts it)",
    "incidents:lesson_hint": "the one lesson on now in one room",
    "incidents:phone": "one form",
    "incidents:phone_callers": "at most 12 people for what was typed, their open tickets in one query",
    "incidents:phone_priority": "one priority",
    "incidents:confirm": "POST only",
    "incidents:attach": "POST only",
    "incidents:attachment": "one file, as a download",
    "incidents:flag_safeguarding": "POST only",
    "incidents:unflag_safeguarding": "POST only",
    "incidents:timetable_import": "one form (and the preview of one file: tests/incidents/test_lessons.py)",
    "incidents:timetable_import_confirm": "POST only",
    "incidents:timetable_room": "one room's week",
    "incidents:lesson_create": "POST only (GET goes back to the room)",
    "incidents:lesson_edit": "one form",
    "incidents:lesson_delete": "POST only",
    "api:incident-confirm": "POST only",
    "api:incident-attachment": "one file, as a download",
    "api:lesson-detail": "one record",
    "catalogue:request": "one item's form",
    "catalogue:approve": "POST only",
    "catalogue:decline": "POST only",
    "catalogue:task_add": "POST only",
    "catalogue:task_complete": "POST only",
    "catalogue:task_reopen": "POST only",
    "catalogue:task_assign": "POST only",
    "catalogue:type_create": "one form",
    "catalogue:type_preview": "POST only: draws the editor's unsaved questions",
    "catalogue:type_edit": "one form",
    "catalogue:type_retire": "POST only",
    "catalogue:type_reinstate": "POST only",
    "api:request-type-detail": "one record",
    "api:request-type-retire": "POST only",
    "api:request-type-reinstate": "POST only",
    "api:service-request-detail": "one record",
    "api:service-request-approve": "POST only",
    "api:service-request-decline": "POST only",
    "api:service-request-add-task": "POST only",
    "api:fulfilment-task-detail": "one record",
    "api:fulfilment-task-complete": "POST only",
    "api:fulfilment-task-reopen": "POST only",
    "api:fulfilment-task-assign": "POST only",
}


def routes() -> list[Route]:
    """Pages and API routes (the admin is Django's; format-suffix twins repeat their route)."""
    return [route for route in iter_routes() if not route.is_admin and "format" not in route.kwarg_names]


def test_every_list_is_measured():
    problems = []
    for route in routes():
        if route.key in NOT_LISTS and route.viewset_actions.get("get") == "list":
            problems.append(f"{route.key!r} is a viewset's list: measure it (LISTS), do not excuse it")
        elif route.key not in LISTS and route.key not in NOT_LISTS:
            problems.append(
                f"{route.key!r} ({route.route!r}) is neither measured (LISTS: how to grow its rows, as whom, "
                f"within what budget) nor excused (NOT_LISTS, with the reason)"
            )
    routed = {route.key for route in routes()}
    problems += [f"{key!r} is no longer routed: remove it" for key in sorted((LISTS.keys() | NOT_LISTS) - routed)]
    assert not problems, "\n".join(problems)


def test_the_walk_finds_the_routers_lists():
    lists = {route.key for route in routes() if route.viewset_actions.get("get") == "list"}
    assert {"api:incident-list", "api:school-list"} <= lists


# =============================================================================
# One row against fifty
# =============================================================================


def shape(sql: str) -> str:
    """A query without its literals, so the same query for two rows counts as one shape."""
    return re.sub(r"'[^']*'|\b\d+\b", "?", sql)


def explain(small: CaptureQueriesContext, large: CaptureQueriesContext) -> str:
    counts = Counter(shape(query["sql"]) for query in large.captured_queries)
    counts.subtract(Counter(shape(query["sql"]) for query in small.captured_queries))
    return "\n".join(f"  {n:+d} x {sql[:400]}" for sql, n in counts.items() if n)


def groups(api: bool) -> list[tuple[str, int]]:
    """(how rows grow, how many in the small world) of the pages (api=False) or of the endpoints (api=True)."""
    return sorted({(t.grow, t.small) for key, t in LISTS.items() if key.startswith("api:") == api})


# Every list whose rows grow the same way is measured in one test: the rows are grown once, to a few and then to
# fifty, and every (list, viewer) is measured over both (growing fifty incidents through the services costs far
# more than the GETs). Pages and endpoints are two classes so that `make test` (--dist loadgroup, one group per
# class) measures them on both workers. A failure names each list and viewer that misbehaved.
class TestPages:
    @pytest.mark.parametrize(("grow", "small"), groups(api=False))
    def test_lists_cost_the_same_for_a_few_rows_as_for_fifty(self, grow, small, rows, cast, client_for):
        measure(grow, small, False, rows, cast, client_for)


class TestEndpoints:
    @pytest.mark.parametrize(("grow", "small"), groups(api=True))
    def test_lists_cost_the_same_for_a_few_rows_as_for_fifty(self, grow, small, rows, cast, client_for):
        measure(grow, small, True, rows, cast, client_for)


def measure(grow_name: str, small: int, api: bool, rows, cast, client_for) -> None:
    """GET each list over a few rows, then over fifty: the same number of queries, within its budget."""
    cases = [
        (key, viewer)
        for key, target in LISTS.items()
        if (target.grow, target.small, key.startswith("api:")) == (grow_name, small, api)
        for viewer in target.viewers
    ]
    by_key = {route.key: route for route in routes()}
    clients = {viewer: client_for(cast[viewer]) for viewer in {viewer for _, viewer in cases}}
    grow = getattr(rows, grow_name)
    grow(small)
    urls = {key: by_key[key].url(rows.kwargs(by_key[key])) for key, _ in cases}
    problems, few = [], {}
    for key, viewer in cases:
        client, url = clients[viewer], urls[key]
        client.get(url)  # warm up: session, content types
        with CaptureQueriesContext(connection) as few[key, viewer]:
            response = client.get(url)
        if response.status_code != 200:
            problems.append(f"GET {url} as {viewer} over {small} rows: {response.status_code}")
    grow(LARGE)
    for key, viewer in cases:
        url, budget = urls[key], LISTS[key].budget
        with CaptureQueriesContext(connection) as many:
            response = clients[viewer].get(url)
        if response.status_code != 200:
            problems.append(f"GET {url} as {viewer} over {LARGE} rows: {response.status_code}")
        elif len(few[key, viewer]) != len(many):
            problems.append(
                f"GET {url} as {viewer}: {len(few[key, viewer])} queries for {small} rows, {len(many)} for "
                f"{LARGE}:\n{explain(few[key, viewer], many)}"
            )
        elif len(many) > budget:  # checked last: the comparison says more
            problems.append(f"GET {url} as {viewer}: {len(many)} queries, over its budget of {budget}")
    assert not problems, "\n".join(problems)
