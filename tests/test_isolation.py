"""Nothing of one school reaches people of another (DESIGN.md 4.2, "One scoping rule").

The test walks every URL pattern the project routes (pages, the API router, the admin) from the
root resolver, and visits each as people of two schools and two authorities. A record of another
school must answer exactly like a missing one (404); lists, home pages and endpoints must not show
another school's incidents, comments or school names; actions on another school's record must
change nothing.

Three small tables say how to fill each route: RECORD_ROUTES (routes about one record: which model,
which kwargs), LIST_ROUTES (lists and forms: what they list, how to log a record through them) and
NO_SCHOOL_DATA (routes that show nothing of a school, with the reason). A routed pattern that is in
none of them fails `test_every_route_is_classified`: add it to a table, and the walk covers it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.test import Client, RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from cmdb.inventory.services import inventory_receive
from fits.middleware import SESSION_KEY
from fits.models import Activity, School, User
from incidents import services
from incidents.models import Incident
from tests.helpers.urls import Route, iter_routes

# =============================================================================
# The world: records at every school, made through the services
# =============================================================================

# key: (school, the person who logs and reports it, the school's technician, where it is in its lifecycle)
# Every school has an unassigned one and a resolved or assigned one, so that every list of every
# home page (queue, unrouted calls, awaiting confirmation, oldest open...) would show a leak.
INCIDENTS = {
    "highfield-staff": ("highfield", "staff", "tech", "new"),
    "highfield-tech": ("highfield", "tech", "tech", "assigned"),
    "riverside": ("riverside", "tech2", "tech2", "new"),
    "riverside-fixed": ("riverside", "tech2", "tech2", "resolved"),
    "westfield": ("westfield", "outsider", "outsider", "new"),
    "westfield-fixed": ("westfield", "outsider", "outsider", "resolved"),
}


def title_of(key: str) -> str:
    return f"Projector dead [secret:{key}]"


def comment_of(key: str) -> str:
    return f"Tried another cable [comment:{key}]"


def note_of(key: str) -> str:
    return f"Lamp hours exceeded [internal:{key}]"


@dataclass
class World:
    people: dict[str, User]
    schools: dict[str, School]
    incidents: dict[str, Incident]
    submissions: dict[str, Any] = field(default_factory=dict)  # inventories from agents, by school slug
    cmdb: dict[str, dict[str, Any]] = field(default_factory=dict)  # CMDB records by model, then school slug
    articles: dict[str, Any] = field(default_factory=dict)  # a published knowledge article, by school slug

    def records(self, model: str) -> dict[str, Any]:
        """The records of `model` in the world, by key (a school slug or an INCIDENTS key)."""
        by_model = {"fits.School": self.schools, "incidents.Incident": self.incidents}
        by_model["cmdb.InventorySubmission"] = self.submissions
        by_model[ARTICLE] = self.articles
        by_model.update(self.cmdb)
        assert model in by_model, (
            f"The isolation world has no records of {model}. Create one at every school in the `world` "
            f"fixture (through the services), and say who sees which in SEES."
        )
        return by_model[model]


@pytest.fixture
def world(cast, highfield, riverside, westfield, log_incident) -> World:
    """At each school: incidents with a public comment and an internal note, in several states."""
    schools = {school.slug: school for school in (highfield, riverside, westfield)}
    incidents = {}
    for key, (slug, logger, technician, state) in INCIDENTS.items():
        tech = cast[technician]
        incident = log_incident(schools[slug], by=cast[logger], title=title_of(key), room=f"Room [secret:{key}]")
        services.incident_comment(incident=incident, author=cast[logger], text=comment_of(key), public=True)
        services.incident_comment(incident=incident, author=tech, text=note_of(key), public=False)
        if state == "assigned":
            incident = services.incident_assign(incident=incident, assignee=tech, actor=tech)
        elif state == "resolved":
            incident = services.incident_transition(
                incident=incident, action="resolve", actor=tech, note="Fixed.", resolution_code="fixed"
            )
        incidents[key] = incident
    # An inventory from an agent at each school: its computer is named after the school, so a leak shows.
    submissions = {
        slug: inventory_receive(school=school, body=json.dumps(
            {"deviceid": f"agent-{slug}", "content": {"hardware": {"name": f"PC of {school.name} {cmdb_of(slug)}"}}}
        ).encode()).submission
        for slug, school in schools.items()
    }  # fmt: skip
    cmdb = cmdb_world(schools, {"highfield": cast["tech"], "riverside": cast["tech2"], "westfield": cast["outsider"]})
    cmdb.update(problems_world(schools, cast, incidents))
    cmdb.update(changes_world(schools, cast))
    cmdb.update(releases_world(schools, cast))
    cmdb.update(service_desk_config_world(schools, cast))
    cmdb.update(calendars_world(schools, cast))
    cmdb.update(service_levels_world(schools, cast, cmdb))
    cmdb.update(saved_filters_world(cast))
    cmdb.update(notifications_world(cast, incidents))
    cmdb.update(mail_world(schools))
    cmdb.update(requests_world(schools, cast))
    cmdb.update(portal_world(schools, cast, incidents, cmdb))
    cmdb.update(tasks_world(schools, cast))
    cmdb.update(capacity_world(schools, cast))
    cmdb.update(availability_world(schools, cast))
    cmdb.update(sysadmin_world(schools, cast))
    cmdb.update(patches_world(schools, cast))
    cmdb.update(security_world(schools, cast))
    cmdb.update(storage_world(schools, cast))
    cmdb.update(printing_world(schools, cast))
    cmdb.update(directory_world(schools, cast))
    cmdb.update(finance_world(schools, cast))
    cmdb.update(strategy_world(schools, cast))
    cmdb.update(continuity_world(schools, cast))
    cmdb.update(assessment_world(schools, cast))
    writers = {"highfield": cast["tech"], "riverside": cast["tech2"], "westfield": cast["outsider"]}
    articles = {slug: knowledge_article(school, writers[slug]) for slug, school in schools.items()}
    return World(people=cast, schools=schools, incidents=incidents, submissions=submissions, cmdb=cmdb,
                 articles=articles)  # fmt: skip


ARTICLE = "servicedesk.KnowledgeArticle"
SAVED_FILTER = "servicedesk.SavedFilter"  # a person's own: only its owner sees it (see Sees.saved_filters)
CANDIDATE = "problems.ProblemCandidate"


def knowledge_article(school: School, author: User):
    """A published article for everyone, titled with the school's name so that a leak shows."""
    from servicedesk.services import article_create

    return article_create(school=school, author=author, title=f"Projector help at {school.name}",
                          body="Press Source.", publish=True)  # fmt: skip


NOTIFICATION = "fits.Notification"


def notifications_world(cast: dict[str, User], incidents: dict[str, Incident]) -> dict[str, dict[str, Any]]:
    """At each school, a notification for its technician about one of its incidents (notifications are
    each person's own: nobody else, not even an administrator, may open it)."""
    from fits.notifications import notify

    technicians = {"highfield-staff": "tech", "riverside": "tech2", "westfield": "outsider"}
    records = {}
    for key, username in technicians.items():
        (row,) = notify(incidents[key], "commented", [cast[username]], context={"comment": {"text": comment_of(key)}})
        records[key.split("-")[0]] = row
    return {NOTIFICATION: records}


def saved_filters_world(cast: dict[str, User]) -> dict[str, dict[str, Any]]:
    """Each school's technician has two saved workbench filters (the spare one is for the route that deletes)."""
    from servicedesk.workbench import saved_filter_create

    owners = {"highfield": cast["tech"], "riverside": cast["tech2"], "westfield": cast["outsider"]}
    records: dict[str, dict[str, Any]] = {SAVED_FILTER: {}, f"{SAVED_FILTER}:spare": {}}
    for slug, owner in owners.items():
        for model, name in ((SAVED_FILTER, "Open"), (f"{SAVED_FILTER}:spare", "Spare")):
            records[model][slug] = saved_filter_create(owner=owner, name=f"{name} {cmdb_of(slug)}", query="queue=open")
    return records


INBOUND = "servicedesk.InboundMessage"  # support staff's, like the CMDB

# The service catalogue: an item of each school's catalogue and a request for it, seen like its ticket.
REQUEST_TYPE = "servicedesk.RequestType"
SERVICE_REQUEST = "servicedesk.ServiceRequest"
TASK = "servicedesk.FulfilmentTask"
CATALOGUE_MODELS = (REQUEST_TYPE, SERVICE_REQUEST, TASK)


def requests_world(schools: dict[str, School], cast: dict[str, User]) -> dict[str, dict[str, Any]]:
    """At each school, a catalogue item (and a spare one, for the routes that retire) named after the school,
    and a request for it with two fulfilment tasks; highfield's is staff's, so the ICT user sees it."""
    from servicedesk import services as desk

    keepers = {"highfield": cast["tech"], "riverside": cast["tech2"], "westfield": cast["outsider"]}
    askers = {"highfield": cast["staff"], "riverside": cast["tech2"], "westfield": cast["outsider"]}
    records: dict[str, dict[str, Any]] = {REQUEST_TYPE: {}, f"{REQUEST_TYPE}:spare": {}, SERVICE_REQUEST: {}, TASK: {}}
    for slug, school in schools.items():
        questions = [{"name": "purpose", "label": "What for?", "type": "text"}]
        tasks = [f"Charge the laptop at {school.name}", f"Hand it over at {school.name}"]
        item = desk.request_type_create(school=school, actor=keepers[slug], name=f"Laptop loan at {school.name}",
                                        summary="A laptop.", fields=questions, tasks=tasks)  # fmt: skip
        spare = desk.request_type_create(school=school, actor=keepers[slug], name=f"Spare item at {school.name}",
                                         summary="Spare.")  # fmt: skip
        asked = desk.request_log(school=school, logged_by=askers[slug], request_type=item, answers={"purpose": "Trip"})
        records[REQUEST_TYPE][slug], records[f"{REQUEST_TYPE}:spare"][slug] = item, spare
        records[SERVICE_REQUEST][slug] = asked
        records[TASK][slug] = asked.ticket.tasks.order_by("position").first()
    return records


def mail_world(schools: dict[str, School]) -> dict[str, dict[str, Any]]:
    """At each school, e-mail from an unknown sender held for the desk, its subject marked [cmdb:slug]."""
    from servicedesk.mail import message_ingest

    records = {}
    for slug, school in schools.items():
        raw = (
            f"From: A parent <parent@{slug}.example.com>\r\nSubject: Printer jammed {cmdb_of(slug)}\r\n"
            f"Message-ID: <held.{slug}@example.com>\r\n\r\nPlease help.\r\n"
        ).encode()
        records[slug] = message_ingest(school=school, raw=raw, source="pipe")
    return {INBOUND: records}


def cmdb_of(slug: str) -> str:
    return f"[cmdb:{slug}]"


LESSON = "incidents.Lesson"  # the timetable: support staff's, like the CMDB


@pytest.fixture(autouse=True)
def _attachments_in_a_temporary_folder(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def portal_world(schools, cast, incidents, cmdb) -> dict[str, dict[str, Any]]:
    """At each school, two lessons in its [cmdb:slug] room (the spare one for the route that removes), and on
    every incident a text file attached by its logger, saying the incident's secret (`attachment_pk` on it)."""
    from datetime import time

    from django.core.files.uploadedfile import SimpleUploadedFile

    keepers = {"highfield": cast["tech"], "riverside": cast["tech2"], "westfield": cast["outsider"]}
    records: dict[str, dict[str, Any]] = {LESSON: {}, f"{LESSON}:spare": {}}
    for slug in schools:
        room, mark = cmdb["cmdb.Location"][slug], cmdb_of(slug)
        for model, (hour, name) in ((LESSON, (9, "Lesson")), (f"{LESSON}:spare", (10, "Spare lesson"))):
            records[model][slug] = services.lesson_create(
                location=room, actor=keepers[slug], weekday=0, starts=time(hour), ends=time(hour, 50),
                name=f"{name} {mark}",
            )  # fmt: skip
    for key, incident in incidents.items():
        logger = cast[INCIDENTS[key][1]]
        text = SimpleUploadedFile(f"notes {key}.txt", f"Notes on [secret:{key}]".encode())
        (attached,) = services.incident_attach(incident=incident, actor=logger, uploads=[text])
        incident.attachment_pk = attached.pk
    return records


def with_attachment(record: Any) -> dict[str, Any]:
    return {"pk": record.pk, "attachment": getattr(record, "attachment_pk", 0)}


def with_attachment_id(record: Any) -> dict[str, Any]:
    return {"pk": record.pk, "attachment_id": getattr(record, "attachment_pk", 0)}


# The service desk's configuration: categories and support groups (support staff's, like the CMDB).
# A school's own of each, named so that a leak shows.
CATEGORY = "incidents.Category"
GROUP = "incidents.SupportGroup"


def service_desk_config_world(schools: dict[str, School], cast: dict[str, User]) -> dict[str, dict[str, Any]]:
    """At each school its own category and ICT team, with the school's [cmdb:slug] marker."""
    from incidents.services import category_save, support_group_save

    admin = cast["admin"]
    records: dict[str, dict[str, Any]] = {CATEGORY: {}, GROUP: {}}
    for slug, school in schools.items():
        records[CATEGORY][slug] = category_save(actor=admin, school=school, name=f"Hardware {cmdb_of(slug)}")
        records[GROUP][slug] = support_group_save(
            actor=admin, school=school, name=f"Team {cmdb_of(slug)}", kind="school"
        )
    return records


# School calendars (service levels): support staff's configuration, like the service desk's.
CALENDAR = "servicelevels.Calendar"


def calendars_world(schools: dict[str, School], cast: dict[str, User]) -> dict[str, dict[str, Any]]:
    """At each school its own calendar, named with the school's [cmdb:slug] marker."""
    from servicelevels.calendars import calendar_create

    return {
        CALENDAR: {
            slug: calendar_create(actor=cast["admin"], school=school, name=f"Calendar {cmdb_of(slug)}")
            for slug, school in schools.items()
        }
    }


# Service Level Management (support staff's, like the calendars): at each school an ICT service, an SLA, a
# subscription to its authority's package, a term and an INSET day in its calendar (and spare ones to remove).
# Packages belong to an authority: keyed by the first school of each (see Sees.keys), named [lea:authority].
IT_SERVICE, AGREEMENT, SUBSCRIPTION = "servicelevels.ITService", "servicelevels.Agreement", "servicelevels.Subscription"
PACKAGE, TERM, CLOSURE = "servicelevels.SupportPackage", "servicelevels.TermDate", "servicelevels.Closure"
AUTHORITY_OF = {"highfield": "bolton", "riverside": "bolton", "westfield": "wigan"}
PACKAGE_KEYS = {"bolton": "highfield", "wigan": "westfield"}


def lea_of(authority: str) -> str:
    return f"[lea:{authority}]"


def service_levels_world(schools, cast, cmdb) -> dict[str, dict[str, Any]]:
    from datetime import date

    from servicelevels import calendars
    from servicelevels import services as levels

    admin = cast["admin"]
    records: dict[str, dict[str, Any]] = {
        name: {} for name in (IT_SERVICE, AGREEMENT, SUBSCRIPTION, PACKAGE, TERM, f"{TERM}:spare", CLOSURE,
                              f"{CLOSURE}:spare")
    }  # fmt: skip
    for authority, slug in PACKAGE_KEYS.items():
        records[PACKAGE][slug] = levels.support_package_create(
            authority=schools[slug].authority, actor=admin, name=f"Gold {lea_of(authority)}",
            targets={"1": {"response": 30, "resolution": 240}},
        )  # fmt: skip
    for slug, school in schools.items():
        mark = cmdb_of(slug)
        service = levels.it_service_create(school=school, actor=admin, name=f"Service {mark}")
        agreement = levels.agreement_create(
            school=school, actor=admin, owner=admin, name=f"SLA {mark}", starts=date(2026, 9, 1),
            review_date=date(2027, 7, 1), services=[service], description=f"Agreed {mark}",
        )  # fmt: skip
        levels.agreement_copy_built_in_targets(agreement=agreement, actor=admin)
        package = records[PACKAGE][PACKAGE_KEYS[AUTHORITY_OF[slug]]]
        subscription = levels.subscription_create(
            school=school, package=package, actor=admin, starts=date(2026, 9, 1), ends=date(2027, 8, 31),
            review_date=date(2027, 4, 1), notes=f"Bought {mark}",
        )  # fmt: skip
        calendar = cmdb[CALENDAR][slug]
        records[IT_SERVICE][slug], records[AGREEMENT][slug], records[SUBSCRIPTION][slug] = (
            service, agreement, subscription
        )  # fmt: skip
        for model, day in ((TERM, 1), (f"{TERM}:spare", 2)):
            records[model][slug] = calendars.term_date_add(
                calendar=calendar, actor=admin, name=f"Term {day} {mark}", starts=date(2026, 9, day),
                ends=date(2026, 10, 20 + day),
            )  # fmt: skip
        for model, day in ((CLOSURE, 1), (f"{CLOSURE}:spare", 2)):
            records[model][slug] = calendars.closure_add(
                calendar=calendar, actor=admin, kind="inset", name=f"INSET {day} {mark}", starts=date(2026, 9, day)
            )
    return records


def cmdb_world(schools: dict[str, School], technicians: dict[str, User]) -> dict[str, dict[str, Any]]:
    """At each school, a small network: a room, a switch cabled to a PC, a service running on the switch,
    software with a licence. Every name carries the school's [cmdb:slug] marker. The `:spare` cable and
    relationship are for the routes that remove one."""
    from cmdb import services as cmdb

    records: dict[str, dict[str, Any]] = {}
    for slug, school in schools.items():
        tech, mark = technicians[slug], cmdb_of(slug)
        site = cmdb.location_create(school=school, actor=tech, kind="site", name=f"Site {mark}")
        block = cmdb.location_create(school=school, actor=tech, kind="building", name=f"Block {mark}", parent=site)
        room = cmdb.location_create(school=school, actor=tech, kind="room", name=f"Room {mark}", parent=block)
        switch = cmdb.ci_create(school=school, actor=tech, kind="switch", name=f"Switch {mark}", location=room)
        pc = cmdb.ci_create(school=school, actor=tech, kind="desktop", name=f"PC {mark}", location=room)
        service = cmdb.ci_create(school=school, actor=tech, kind="service", name=f"Service {mark}",
                                 attributes={"purpose": "learning"})  # fmt: skip
        ports = [cmdb.port_create(ci=ci, actor=tech, name=name) for ci in (switch, pc) for name in ("p1", "p2")]
        cable = cmdb.cable_connect(a_port=ports[0], b_port=ports[2], actor=tech, label=f"Cable {mark}")
        spare_cable = cmdb.cable_connect(a_port=ports[1], b_port=ports[3], actor=tech, label=f"Spare {mark}")
        runs_on = cmdb.relationship_add(source=service, target=switch, actor=tech, kind="runs_on")
        spare_link = cmdb.relationship_add(source=pc, target=service, actor=tech)
        product = cmdb.software_product_create(school=school, actor=tech, name=f"Software {mark}")
        installation = cmdb.software_install(ci=pc, product=product, actor=tech, version="1.0")
        spare_installation = cmdb.software_install(ci=pc, product=product, actor=tech, version="2.0")
        licence = cmdb.licence_create(school=school, actor=tech, product=product, seats=5, reference=f"Licence {mark}")
        seat = cmdb.licence_seat_assign(licence=licence, actor=tech, ci=pc)
        for model, record in {
            "cmdb.ConfigurationItem": switch,
            "cmdb.Location": room,
            "cmdb.Port": ports[0],
            "cmdb.Cable": cable,
            "cmdb.Cable:spare": spare_cable,
            "cmdb.Relationship": runs_on,
            "cmdb.Relationship:spare": spare_link,
            "cmdb.SoftwareProduct": product,
            "cmdb.SoftwareInstallation": installation,
            "cmdb.SoftwareInstallation:spare": spare_installation,
            "cmdb.LicenceSeat:spare": seat,
            "cmdb.Licence": licence,
        }.items():
            records.setdefault(model, {})[slug] = record
    return records


def problems_world(schools: dict[str, School], cast: dict[str, User], incidents: dict[str, Incident]):
    """At each school, a problem (support staff only, like the CMDB: named with the [cmdb:slug] marker)
    linked to the school's first incident, with an investigation note and a known error."""
    from problems import services as problems

    technicians = {"highfield": cast["tech"], "riverside": cast["tech2"], "westfield": cast["outsider"]}
    from incidents.models import Category
    from problems.models import ProblemCandidate

    records: dict[str, dict[str, Any]] = {"problems.Problem": {}, "problems.KnownError": {}, CANDIDATE: {}}
    for slug, school in schools.items():
        tech, mark = technicians[slug], cmdb_of(slug)
        incident = next(i for key, i in incidents.items() if key.startswith(slug))
        problem = problems.problem_log(school=school, logged_by=tech, title=f"Problem {mark}", incidents=[incident])
        problems.problem_comment(problem=problem, author=tech, text=f"Investigating {mark}")
        known = problems.known_error_record(problem=problem, actor=tech, symptom=f"Symptom {mark}", workaround="Wait")
        records["problems.Problem"][slug], records["problems.KnownError"][slug] = problem, known
        # Recurring incidents in a school's own category (what problem_candidates_spot would find).
        category = Category.objects.create(school=school, name=f"Category {mark}")
        candidate = ProblemCandidate.objects.create(
            school=school,
            category=category,
            incident_count=3,
            window_days=14,
            first_at=incident.created_at,
            last_at=incident.created_at,
        )
        candidate.incidents.set([incident])
        records[CANDIDATE][slug] = candidate
    return records


METRIC, THRESHOLD = "availability.Metric", "availability.CapacityThreshold"


def capacity_world(schools: dict[str, School], cast: dict[str, User]):
    """At each school (support staff's, named with the [cmdb:slug] marker): a server whose disk is over its
    warning level (an open capacity alert and its task), with a threshold of its own and a spare one to remove."""
    from django.utils import timezone

    from availability import capacity
    from availability.models import Check
    from cmdb.services import ci_create

    technicians = {"highfield": cast["tech"], "riverside": cast["tech2"], "westfield": cast["outsider"]}
    records: dict[str, dict[str, Any]] = {METRIC: {}, THRESHOLD: {}, f"{THRESHOLD}:spare": {}}
    for slug, school in schools.items():
        tech, mark = technicians[slug], cmdb_of(slug)
        server = ci_create(school=school, actor=tech, kind="server", name=f"Server {mark}")
        check = Check.objects.create(school=school, ci=server, kind="snmp_storage", name=f"Storage {mark}")
        reading = capacity.Reading(server.pk, check.pk, "disk", "disk:/srv", f"Disk {mark}", "B", 85, 100)
        [metric_id] = capacity.store(school_id=school.pk, readings=[reading], now=timezone.now())
        capacity.evaluate(metric_ids=[metric_id], now=timezone.now())
        records[METRIC][slug] = check.metrics.get(pk=metric_id)
        save = capacity.threshold_save
        records[THRESHOLD][slug] = save(actor=tech, school=school, kind="disk", ci=server, warning_percent=80,
                                        critical_percent=95)  # fmt: skip
        records[f"{THRESHOLD}:spare"][slug] = save(actor=tech, school=school, kind="memory", warning_percent=85,
                                                   critical_percent=95)  # fmt: skip
    return records


# Monitoring (availability/views.py, api.py): support staff's, like the CMDB (named with the [cmdb:slug] marker).
CHECK, PROPOSAL, CREDENTIAL = "availability.Check", "availability.Check:proposed", "availability.SnmpCredential"
CI_STATE, OUTAGE, RESULT, POLL_RUN = (
    "availability.CIState", "availability.Outage", "availability.CheckResult", "availability.PollRun")  # fmt: skip


def availability_world(schools: dict[str, School], cast: dict[str, User]) -> dict[str, dict[str, Any]]:
    """At each school: a switch that is down (its check, state, open outage, a result and the poll run that found
    it), a spare check to remove, two proposed checks (one to dismiss), and two SNMP credentials (one to remove)."""
    from django.utils import timezone

    from availability import services as monitoring
    from availability.models import CheckResult, CIState, Outage, PollRun
    from cmdb.services import ci_create

    technicians = {"highfield": cast["tech"], "riverside": cast["tech2"], "westfield": cast["outsider"]}
    keys = (CHECK, f"{CHECK}:spare", PROPOSAL, f"{PROPOSAL}:spare", CREDENTIAL, f"{CREDENTIAL}:spare", CI_STATE,
            OUTAGE, RESULT, POLL_RUN)  # fmt: skip
    records: dict[str, dict[str, Any]] = {key: {} for key in keys}
    now = timezone.now()
    for slug, school in schools.items():
        tech, mark, admin = technicians[slug], cmdb_of(slug), cast["admin"]
        switch = ci_create(school=school, actor=tech, kind="switch", name=f"Switch {mark}",
                           management_address="10.9.9.9")  # fmt: skip
        monitoring.settings_save(actor=admin, school=school, queue=f"monitoring.{slug}")
        credential = monitoring.credential_save(actor=admin, school=school, name=f"SNMP {mark}", community="c0mm")
        records[CREDENTIAL][slug] = credential
        spare = monitoring.credential_save(actor=admin, school=school, name=f"Spare {mark}", community="c0mm")
        records[f"{CREDENTIAL}:spare"][slug] = spare
        check = monitoring.check_save(actor=tech, ci=switch, kind="snmp_uptime", name=f"Uptime {mark}",
                                      snmp_credential=credential)  # fmt: skip
        records[CHECK][slug] = check
        records[f"{CHECK}:spare"][slug] = monitoring.check_save(actor=tech, ci=switch, kind="tcp", port=22,
                                                                name=f"SSH {mark}")  # fmt: skip
        printer = ci_create(school=school, actor=tech, kind="printer", name=f"Printer {mark}",
                            management_address="10.9.9.8")  # fmt: skip
        monitoring.propose_checks(school=school)
        records[PROPOSAL][slug], records[f"{PROPOSAL}:spare"][slug] = printer.checks.order_by("kind")
        run = PollRun.objects.create(school=school, queue="monitoring", check_ids=[check.pk], checks_run=1, down=1,
                                     worker=f"poller {mark}", finished_at=now)  # fmt: skip
        records[POLL_RUN][slug] = run
        records[RESULT][slug] = CheckResult.objects.create(school=school, for_check=check, run=run, checked_at=now,
                                                           state="down", message=f"no answer {mark}")  # fmt: skip
        records[CI_STATE][slug] = CIState.objects.create(school=school, ci=switch, state="down", since=now,
                                                         reason=f"Uptime {mark}: no answer")  # fmt: skip
        records[OUTAGE][slug] = Outage.objects.create(school=school, ci=switch, started_at=now,
                                                      message=f"no answer {mark}")  # fmt: skip
    return records


# Patch Management (om/patches): support staff's, like the CMDB (named with the [cmdb:slug] marker).
PATCH_UPDATE, PATCH_GROUP = "patches.Update", "patches.PatchGroup"
PATCH_STATE, PATCH_IMPORT = "patches.ComplianceState", "patches.PatchImport"


def patches_world(schools: dict[str, School], cast: dict[str, User]) -> dict[str, dict[str, Any]]:
    """At each school: a package in its baseline approved for its desktops, a desktop overdue with it (the compliance
    run's state), and an imported report."""
    from datetime import timedelta

    from django.utils import timezone

    from cmdb.models import ConfigurationItem
    from cmdb.services import ci_create
    from om.patches import services as patches
    from om.patches.compliance import compliance_compute
    from om.patches.models import ComplianceState

    technicians = {"highfield": cast["tech"], "riverside": cast["tech2"], "westfield": cast["outsider"]}
    records: dict[str, dict[str, Any]] = {key: {} for key in (PATCH_UPDATE, PATCH_GROUP, PATCH_STATE, PATCH_IMPORT)}
    for slug, school in schools.items():
        tech, mark, admin = technicians[slug], cmdb_of(slug), cast["admin"]
        pc = ci_create(school=school, actor=tech, kind="desktop", name=f"PC {mark}")
        ConfigurationItem.objects.filter(pk=pc.pk).update(last_inventory_at=timezone.now())
        update = patches.update_save(actor=tech, school=school, kind="package", identifier=f"pkg {mark}",
                                     product=f"Debian {mark}", min_version="2.0")  # fmt: skip
        group = patches.group_save(actor=tech, school=school, name=f"Desktops {mark}", ci_kind="desktop")
        patches.approval_set(actor=admin, update=update, group=group, decision="approved",
                             deadline=timezone.localdate() - timedelta(days=1))  # fmt: skip
        csv = f"host,package,version\nPC {mark},pkg {mark},1.0\n"
        report = patches.import_report(actor=tech, school=school, text=csv, file_name=f"report {mark}.csv")
        compliance_compute(school_id=school.pk)
        records[PATCH_UPDATE][slug], records[PATCH_GROUP][slug], records[PATCH_IMPORT][slug] = update, group, report
        records[PATCH_STATE][slug] = ComplianceState.objects.get(ci=pc, update=update)
    return records


# FITS OM base and Systems Administration (om/, om/sysadmin/): support staff's, like the CMDB ([cmdb:slug]).
POLICY, ALLOCATION, ROUTINE = "om.FunctionPolicy", "om.ActivityAllocation", "availability.MaintenanceSchedule:routine"
SERVER, LOGBOOK, RUN_BOOK = "sysadmin.Server", "sysadmin.LogbookEntry", "sysadmin.RunBook"
# Pages about one OM function (not one record): the function their URL names (url_of fills these in).
FIXED_KWARGS: dict[str, dict[str, Any]] = {
    "om:function": {"function": "sysadmin"},
    "om:policy_edit": {"function": "sysadmin"},
    "om:allocation_create": {"function": "sysadmin"},
}


def sysadmin_world(schools: dict[str, School], cast: dict[str, User]) -> dict[str, dict[str, Any]]:
    """At each school: the sysadmin policy and an activity (and a spare one to remove), a routine operation, a
    server with a logbook entry, and a run book of a CMDB service."""
    from datetime import date

    from cmdb.services import ci_create
    from om import services as om
    from om.sysadmin import services as sysadmin

    technicians = {"highfield": cast["tech"], "riverside": cast["tech2"], "westfield": cast["outsider"]}
    keys = (POLICY, ALLOCATION, f"{ALLOCATION}:spare", ROUTINE, SERVER, LOGBOOK, RUN_BOOK)
    records: dict[str, dict[str, Any]] = {key: {} for key in keys}
    admin = cast["admin"]
    for slug, school in schools.items():
        tech, mark = technicians[slug], cmdb_of(slug)
        records[POLICY][slug] = om.policy_save(actor=admin, school=school, function="sysadmin", text=f"Policy {mark}")
        for key, name in ((ALLOCATION, "Backups"), (f"{ALLOCATION}:spare", "Spare")):
            records[key][slug] = om.allocation_save(actor=admin, school=school, function="sysadmin", owner=tech,
                                                    activity=f"{name} {mark}", frequency="daily")  # fmt: skip
        records[ROUTINE][slug] = sysadmin.routine_save(actor=tech, school=school, title=f"Routine {mark}",
                                                       recurrence="weekly", starts_on=date(2026, 12, 7))  # fmt: skip
        server = ci_create(school=school, actor=tech, kind="server", name=f"Server {mark}")
        records[SERVER][slug] = server
        records[LOGBOOK][slug] = sysadmin.logbook_add(actor=tech, ci=server, text=f"Checked {mark}")
        service = ci_create(school=school, actor=tech, kind="service", name=f"Mail {mark}",
                            attributes={"purpose": "management"})  # fmt: skip
        records[RUN_BOOK][slug] = sysadmin.run_book_create(actor=tech, school=school, title=f"Run book {mark}",
                                                           ci=service, start=f"Start {mark}")  # fmt: skip
    return records


RFC = "changes.RequestForChange"
RELEASE, LIBRARY_ITEM, MEDIA_LOAN = "releases.Release", "releases.SoftwareLibraryItem", "releases.MediaLoan"


def releases_world(schools: dict[str, School], cast: dict[str, User]):
    """At each school (support staff's, named with the [cmdb:slug] marker): an approved item in its software
    library with its media booked out, and a planned release of it with a wave of one PC."""
    from cmdb.services import ci_create
    from releases import services as releases

    technicians = {"highfield": cast["tech"], "riverside": cast["tech2"], "westfield": cast["outsider"]}
    records: dict[str, dict[str, Any]] = {RELEASE: {}, LIBRARY_ITEM: {}, MEDIA_LOAN: {}}
    for slug, school in schools.items():
        tech, mark = technicians[slug], cmdb_of(slug)
        item = releases.item_propose(actor=tech, school=school, name=f"Image {mark}", version="1")
        item = releases.item_approve(item=item, actor=cast["admin"])
        records[LIBRARY_ITEM][slug] = item
        records[MEDIA_LOAN][slug] = releases.media_lend(item=item, school=school, borrower=tech, actor=tech)
        release = releases.release_create(school=school, actor=tech, title=f"Release {mark}", items=[item])
        pc = ci_create(school=school, actor=tech, kind="desktop", name=f"PC {mark}")
        releases.wave_add(release=release, actor=tech, name=f"Wave {mark}", cis=[pc])
        records[RELEASE][slug] = release
    return records


# Tasks (planned work) and preventative maintenance: support staff's, like the CMDB (named with [cmdb:slug]).
PLANNED_TASK, SCHEDULE = "incidents.Task", "availability.MaintenanceSchedule"


def tasks_world(schools: dict[str, School], cast: dict[str, User]) -> dict[str, dict[str, Any]]:
    """At each school: an open task with a checklist, a weekly maintenance schedule, and a spare one to delete."""
    from datetime import date

    from availability.maintenance import schedule_save
    from incidents.task_services import task_raise

    technicians = {"highfield": cast["tech"], "riverside": cast["tech2"], "westfield": cast["outsider"]}
    records: dict[str, dict[str, Any]] = {PLANNED_TASK: {}, SCHEDULE: {}, f"{SCHEDULE}:spare": {}}
    for slug, school in schools.items():
        tech, mark = technicians[slug], cmdb_of(slug)
        records[PLANNED_TASK][slug] = task_raise(school=school, actor=tech, title=f"Task {mark}",
                                                 steps=[f"Step {mark}"], due_on=date(2026, 12, 1))  # fmt: skip
        for key, title in ((SCHEDULE, "Check logs"), (f"{SCHEDULE}:spare", "Spare")):
            records[key][slug] = schedule_save(actor=tech, school=school, title=f"{title} {mark}", ci_kind="server",
                                               recurrence="weekly", starts_on=date(2026, 12, 7))  # fmt: skip
    return records


def first_step(task: Any) -> int:
    """The id of a task's first checklist line (1 for the classification test's stand-in record)."""
    return task.steps.first().pk if hasattr(task, "steps") else 1


def changes_world(schools: dict[str, School], cast: dict[str, User]):
    """At each school, a request for change (support staff only, named with the [cmdb:slug] marker), assessed
    and still a draft, so that every action on it has something to do."""
    from changes import services as changes

    technicians = {"highfield": cast["tech"], "riverside": cast["tech2"], "westfield": cast["outsider"]}
    answers = {"users_affected": "few", "service_criticality": "low", "tested": "yes", "backout": "yes",
               "school_day": "no"}  # fmt: skip
    records: dict[str, dict[str, Any]] = {RFC: {}}
    for slug, school in schools.items():
        tech, mark = technicians[slug], cmdb_of(slug)
        change = changes.rfc_create(school=school, requester=tech, title=f"Change {mark}", reason=f"Because {mark}",
                                    implementation_plan="Do it.", backout_plan="Undo it.")  # fmt: skip
        records[RFC][slug] = changes.rfc_assess(change=change, actor=tech, answers=answers)
    records.update(change_windows_world(schools, cast))
    records.update(cab_world(schools, technicians, cast["admin"]))
    return records


# Change advisory boards, their meetings and standard change templates: a school's own of each (changes/cab.py).
BOARD, MEETING, TEMPLATE = "changes.ChangeAdvisoryBoard", "changes.CABMeeting", "changes.ChangeTemplate"


def cab_world(schools: dict[str, School], technicians: dict[str, User], admin: User) -> dict[str, dict[str, Any]]:
    from datetime import timedelta

    from django.utils import timezone

    from changes import cab

    records: dict[str, dict[str, Any]] = {BOARD: {}, MEETING: {}, TEMPLATE: {}}
    for slug, school in schools.items():
        mark = cmdb_of(slug)
        board = cab.board_create(actor=admin, school=school, name=f"Board {mark}", members=[technicians[slug]],
                                 quorum=1)  # fmt: skip
        records[BOARD][slug] = board
        records[MEETING][slug] = cab.meeting_schedule(board=board, actor=admin,
                                                      held_at=timezone.now() + timedelta(days=7))  # fmt: skip
        records[TEMPLATE][slug] = cab.template_create(actor=admin, school=school, name=f"Standard {mark}",
                                                      implementation_plan=f"Steps {mark}")  # fmt: skip
    return records


FREEZE, MAINTENANCE = "changes.FreezeWindow", "changes.MaintenanceWindow"


def change_windows_world(schools: dict[str, School], cast: dict[str, User]):
    """At each school, a freeze window (well ahead, so that it refuses no change the walk schedules) and a maintenance
    window, each with a spare for the routes that remove; named with the [cmdb:slug] marker."""
    from datetime import time, timedelta

    from django.utils import timezone

    from changes import windows

    keys = (FREEZE, f"{FREEZE}:spare", MAINTENANCE, f"{MAINTENANCE}:spare")
    records: dict[str, dict[str, Any]] = {key: {} for key in keys}
    later = timezone.localdate() + timedelta(days=400)
    for slug, school in schools.items():
        mark, admin = cmdb_of(slug), cast["admin"]
        for key, offset in ((FREEZE, 0), (f"{FREEZE}:spare", 10)):
            records[key][slug] = windows.freeze_window_create(actor=admin, school=school, name=f"Exams {mark} {offset}",
                                                              starts=later + timedelta(days=offset),
                                                              ends=later + timedelta(days=offset + 2))  # fmt: skip
        for key, weekday in ((MAINTENANCE, 2), (f"{MAINTENANCE}:spare", 4)):
            records[key][slug] = windows.maintenance_window_create(actor=admin, school=school, weekday=weekday,
                                                                   opens=time(16), closes=time(18),
                                                                   name=f"Slot {mark}")  # fmt: skip
    return records


# Security Administration (om/security): the breach log, administrator accounts and access reviews are the network
# manager's, leaders' and administrators' only (named with the [security:slug] marker); the firewall register and
# antivirus states are support staff's, like the CMDB (the [cmdb:slug] marker).
BREACH, BREACH_ACTION, RULE = "security.Breach", "security.BreachAction", "security.FirewallRule"
ANTIVIRUS, ACCOUNT = "security.AntivirusStatus", "security.PrivilegedAccount"
ACCESS_REVIEW, REVIEW_ITEM = "security.AccessReview", "security.AccessReviewItem"
SECURITY_READERS_ONLY = (BREACH, ACCOUNT, ACCESS_REVIEW)  # BreachAction and AccessReviewItem by their prefixes


def security_of(slug: str) -> str:
    return f"[security:{slug}]"


def security_world(schools: dict[str, School], cast: dict[str, User]) -> dict[str, dict[str, Any]]:
    """At each school: a breach with an action, a firewall rule, a computer's antivirus state, an administrator
    account and an access review of it in progress."""
    from django.utils import timezone

    from cmdb.services import ci_create
    from om.security import services as security
    from om.security.models import AntivirusStatus

    technicians = {"highfield": cast["tech"], "riverside": cast["tech2"], "westfield": cast["outsider"]}
    records: dict[str, dict[str, Any]] = {key: {} for key in (BREACH, BREACH_ACTION, RULE, ANTIVIRUS, ACCOUNT,
                                                               ACCESS_REVIEW, REVIEW_ITEM)}  # fmt: skip
    for slug, school in schools.items():
        admin, tech, secret, mark = cast["admin"], technicians[slug], security_of(slug), cmdb_of(slug)
        breach = security.breach_log(school=school, actor=admin, title=f"Breach {secret}", description="Lost list.",
                                     discovered_at=timezone.now())  # fmt: skip
        records[BREACH][slug] = breach
        records[BREACH_ACTION][slug] = security.breach_action_add(breach=breach, actor=admin, text=f"Act {secret}")
        firewall = ci_create(school=school, actor=tech, kind="firewall", name=f"Firewall {mark}")
        records[RULE][slug] = security.firewall_rule_save(actor=tech, firewall=firewall, name=f"Rule {mark}",
                                                          purpose="Web traffic")  # fmt: skip
        computer = ci_create(school=school, actor=tech, kind="desktop", name=f"PC {mark}")
        records[ANTIVIRUS][slug] = AntivirusStatus.objects.create(school=school, ci=computer, product="Defender",
                                                                  last_seen=timezone.now())  # fmt: skip
        account = security.privileged_account_save(school=school, actor=admin, account=f"admin {secret}",
                                                   system="Domain")  # fmt: skip
        records[ACCOUNT][slug] = account
        review = security.access_review_start(school=school, actor=admin)
        records[ACCESS_REVIEW][slug] = review
        records[REVIEW_ITEM][slug] = review.items.get()
    return records


# Storage Management (om/storage): support staff's, like the CMDB (named with the [cmdb:slug] marker).
BACKUP_JOB, BACKUP_RESULT, BACKUP_REPORT = "storage.BackupJob", "storage.BackupResult", "storage.BackupReport"
SHARE, RESTORE, RESTORE_TEST = "storage.Share", "storage.RestoreRequest", "storage.RestoreTest"


def storage_world(schools: dict[str, School], cast: dict[str, User]) -> dict[str, dict[str, Any]]:
    """At each school: a share on a server, a backup job protecting it with a result reported by e-mail (its
    report kept), a restore request and a restore test."""
    from datetime import timedelta

    from django.utils import timezone

    from cmdb.services import ci_create
    from om.storage import services as storage

    technicians = {"highfield": cast["tech"], "riverside": cast["tech2"], "westfield": cast["outsider"]}
    keys = (BACKUP_JOB, BACKUP_RESULT, BACKUP_REPORT, SHARE, RESTORE, RESTORE_TEST)
    records: dict[str, dict[str, Any]] = {key: {} for key in keys}
    yesterday = timezone.localtime() - timedelta(days=1)
    for slug, school in schools.items():
        tech, mark = technicians[slug], cmdb_of(slug)
        server = ci_create(school=school, actor=tech, kind="server", name=f"File server {mark}")
        share = storage.share_save(actor=tech, school=school, server=server, name=f"Share {mark}", path="D:\\Data")
        job = storage.backup_job_save(actor=tech, school=school, name=f"Job {mark}", destination=f"NAS {mark}",
                                      cis=[server], shares=[share], retention_days=30)  # fmt: skip
        mail = (f"From: veeam@{slug}.sch.uk\nSubject: [Success] Job {mark} (1 machines)\n"
                f"Date: {yesterday:%a, %d %b %Y %H:%M:%S %z}\n\nProcessed {mark}\n")  # fmt: skip
        outcome = storage.backup_report_receive(school=school, raw=mail)
        records[SHARE][slug], records[BACKUP_JOB][slug] = share, job
        records[BACKUP_REPORT][slug], records[BACKUP_RESULT][slug] = outcome.report, outcome.result
        records[RESTORE][slug] = storage.restore_request_log(
            school=school, ticket=None, kind="file", job=job, what=f"Restore {mark}", location=f"Share {mark}"
        )
        records[RESTORE_TEST][slug] = storage.restore_test_record(
            job=job, actor=tech, tested_on=timezone.localdate(), restored=f"Test {mark}", minutes=5, verified_by=tech,
            restored_from=timezone.localdate() - timedelta(days=2), evidence=f"Opened {mark}")  # fmt: skip
    return records


# Service Continuity Management (continuity/): support staff's and the LEA consultants', like the CMDB ([cmdb:slug]).
RISK, PLAN, CONTINUITY_TEST = "continuity.Risk", "continuity.ContinuityPlan", "continuity.ContinuityTest"


def continuity_world(schools: dict[str, School], cast: dict[str, User]) -> dict[str, dict[str, Any]]:
    """At each school: a risk to its server, a recovery plan for its service (with a step and an outside contact)
    and a walk-through of the plan, all named with the [cmdb:slug] marker (kept by an administrator: riverside and
    westfield have no network manager in the cast)."""
    from datetime import timedelta

    from django.utils import timezone

    from cmdb.services import ci_create
    from continuity import services as continuity

    technicians = {"highfield": cast["tech"], "riverside": cast["tech2"], "westfield": cast["outsider"]}
    admin, today = cast["admin"], timezone.localdate()
    records: dict[str, dict[str, Any]] = {RISK: {}, PLAN: {}, CONTINUITY_TEST: {}}
    for slug, school in schools.items():
        mark = cmdb_of(slug)
        service = ci_create(school=school, actor=technicians[slug], kind="service", name=f"Files {mark}",
                            attributes={"purpose": "teaching"})  # fmt: skip
        risk = continuity.risk_save(actor=admin, school=school, title=f"Flood {mark}", category="flood", likelihood=2,
                                    impact=5, review_date=today + timedelta(days=30), cis=[service])  # fmt: skip
        plan = continuity.plan_save(actor=admin, school=school, service=service, recovery_order=1, rto_minutes=240,
                                    rpo_minutes=1440, standby=f"Standby {mark}", risks=[risk],
                                    review_date=today + timedelta(days=60))  # fmt: skip
        continuity.plan_steps_save(plan=plan, actor=admin, steps=[{"text": f"Restore {mark}", "minutes": 60}])
        continuity.plan_contacts_save(plan=plan, actor=admin, contacts=[
            {"kind": "external", "organisation": f"Supplier {mark}", "phone": "0161 555 0142"}])  # fmt: skip
        records[RISK][slug], records[PLAN][slug] = risk, plan
        records[CONTINUITY_TEST][slug] = continuity.continuity_test_record(
            plan=plan, actor=admin, tested_on=today, kind="walkthrough", scenario=f"Flooded {mark}", outcome="passed",
            findings=f"Found {mark}")  # fmt: skip
    return records


# The FITS maturity assessment (fits/assessment/): support staff's, leaders' and the LEA consultants' ([cmdb:slug] in
# an answer's evidence).
ASSESSMENT, ASSESSMENT_ANSWER = "assessment.Assessment", "assessment.Answer"


def assessment_world(schools: dict[str, School], cast: dict[str, User]) -> dict[str, dict[str, Any]]:
    """At each school: this year's assessment with one answer whose evidence names the school's marker."""
    from fits.assessment import services as assessment

    records: dict[str, dict[str, Any]] = {ASSESSMENT: {}, ASSESSMENT_ANSWER: {}}
    for slug, school in schools.items():
        started = assessment.assessment_start(school=school, actor=cast["admin"])
        records[ASSESSMENT_ANSWER][slug] = assessment.assessment_answer(
            assessment=started, actor=cast["admin"], question="cmdb.audited", level="partly",
            evidence=f"Audit sheet {cmdb_of(slug)}")  # fmt: skip
        records[ASSESSMENT][slug] = started
    return records


# The ICT strategy and technical support strategy (fits/strategy/): support staff's, leaders' and the LEA
# consultants' ([cmdb:slug] in a section's text).
STRATEGY_DOC, STRATEGY_VERSION = "strategy.StrategyDocument", "strategy.StrategyVersion"
STRATEGY_SECTION = "strategy.StrategySection"


def strategy_world(schools: dict[str, School], cast: dict[str, User]) -> dict[str, dict[str, Any]]:
    """At each school: its technical support strategy, version 1 in draft, whose first section names the school's
    marker (written by an administrator: riverside and westfield have no network manager in the cast)."""
    from fits.strategy import services as strategy

    records: dict[str, dict[str, Any]] = {STRATEGY_DOC: {}, STRATEGY_VERSION: {}, STRATEGY_SECTION: {}}
    for slug, school in schools.items():
        document = strategy.strategy_document_create(school=school, kind="support", actor=cast["admin"])
        section = strategy.strategy_section_edit(document=document, key="services", actor=cast["admin"],
                                                 text=f"Our services {cmdb_of(slug)}")  # fmt: skip
        records[STRATEGY_DOC][slug], records[STRATEGY_SECTION][slug] = document, section
        records[STRATEGY_VERSION][slug] = section.version
    return records


# Print and Output Management (om/printing): support staff's, like the CMDB (named with the [cmdb:slug] marker).
PRINTER, PRINT_QUEUE, CARTRIDGE = "printing.Printer", "printing.PrintQueue", "printing.CartridgeModel"
SUPPLY, MOVEMENT, PRINT_USAGE = "printing.Supply", "printing.StockMovement", "printing.PrintUsageDay"


# Directory Services Administration (om/directory/): support staff's, like the CMDB ([cmdb:slug]); the settings are
# read by support staff (never a password) and changed by the network manager.
DIR_SETTINGS, DIR_ACCOUNT = "directory.DirectorySettings", "directory.DirectoryAccount"
DIR_GROUP = "directory.DirectoryGroup"
DIR_OU, DIR_RUN, DIR_CHANGE = "directory.OrganisationalUnit", "directory.SyncRun", "directory.DirectoryChange"
DIR_UPLOAD, DIR_REQUEST = "directory.IntakeUpload", "directory.AccountRequest"


def directory_world(schools: dict[str, School], cast: dict[str, User]) -> dict[str, dict[str, Any]]:
    """At each school: directory settings (an unreachable server), a sync run, an OU, an account in a group with its
    change, an MIS upload previewed and a leaver request (a task: FITS does not write there). The synchronised rows
    are made as a sync would write them: there is no directory server in this test."""
    from django.utils import timezone

    from om.directory import services as directory
    from om.directory.models import (
        DirectoryAccount,
        DirectoryChange,
        DirectoryGroup,
        GroupMembership,
        OrganisationalUnit,
        SyncRun,
    )

    technicians = {"highfield": cast["tech"], "riverside": cast["tech2"], "westfield": cast["outsider"]}
    keys = (DIR_SETTINGS, DIR_ACCOUNT, DIR_GROUP, DIR_OU, DIR_RUN, DIR_CHANGE, DIR_UPLOAD, DIR_REQUEST)
    records: dict[str, dict[str, Any]] = {key: {} for key in keys}
    now = timezone.now()
    for slug, school in schools.items():
        mark, tech = cmdb_of(slug), technicians[slug]
        records[DIR_SETTINGS][slug] = directory.settings_save(
            school=school, actor=cast["admin"], kind="ad", server_uris="ldap://127.0.0.1:9", security="none",
            bind_dn=f"cn=sync {mark}", bind_password=f"secret-{slug}", base_dn=f"dc={slug},dc=sch,dc=uk",
            timeout_seconds=1,
        )  # fmt: skip
        run = SyncRun.objects.create(school=school, started_at=now, finished_at=now, status="failed",
                                     error=f"Cannot reach {mark}")  # fmt: skip
        entry = {"school": school, "first_seen_at": now, "changed_at": now}
        ou = OrganisationalUnit.objects.create(external_id=f"ou-{slug}", dn=f"ou=Staff,dc={slug}",
                                               name=f"Staff {mark}", **entry)  # fmt: skip
        account = DirectoryAccount.objects.create(external_id=f"a-{slug}", dn=f"uid=jo,ou=Staff,dc={slug}",
                                                  username=f"jo-{slug}", display_name=f"Jo {mark}", first_name="Jo",
                                                  last_name=f"Bloggs {mark}", ou_dn=f"ou=Staff,dc={slug}",
                                                  state="disabled", **entry)  # fmt: skip
        group = DirectoryGroup.objects.create(external_id=f"g-{slug}", dn=f"cn=Staff,dc={slug}",
                                              name=f"Group {mark}", member_count=1, **entry)  # fmt: skip
        GroupMembership.objects.create(school=school, group=group, account=account)
        records[DIR_CHANGE][slug] = DirectoryChange.objects.create(school=school, run=run, account=account,
                                                                   action="added", new=mark, at=now)  # fmt: skip
        csv = f"Legal Surname,Forename,Year\nBloggs {mark},Sam,7\n".encode()
        records[DIR_UPLOAD][slug] = directory.intake_preview(school=school, actor=tech, kind="intake",
                                                             file_name=f"intake {mark}.csv", data=csv)  # fmt: skip
        records[DIR_REQUEST][slug] = directory.account_request_open(school=school, kind="leaver", details={},
                                                                    username=f"jo-{slug}")  # fmt: skip
        records[DIR_ACCOUNT][slug], records[DIR_GROUP][slug], records[DIR_OU][slug] = account, group, ou
        records[DIR_RUN][slug] = run
    return records


def printing_world(schools: dict[str, School], cast: dict[str, User]) -> dict[str, dict[str, Any]]:
    """At each school: a watched printer (no address: reading it now fails at once) with two readings (a low toner
    and its task, a day's usage), a queue, a cartridge below its reorder level and a stock movement, the policy."""
    from datetime import timedelta

    from django.utils import timezone

    from cmdb.services import ci_create
    from om.printing import services as printing
    from om.printing.models import Supply
    from om.printing.reading import PrinterAnswer, SupplyRow

    technicians = {"highfield": cast["tech"], "riverside": cast["tech2"], "westfield": cast["outsider"]}
    records: dict[str, dict[str, Any]] = {key: {} for key in (PRINTER, PRINT_QUEUE, CARTRIDGE, SUPPLY, MOVEMENT,
                                                               PRINT_USAGE)}  # fmt: skip
    for slug, school in schools.items():
        tech, mark = technicians[slug], cmdb_of(slug)
        printing.print_policy_save(actor=cast["admin"], school=school, low_supply_percent=20)
        ci = ci_create(school=school, actor=tech, kind="printer", name=f"Printer {mark}", model_name=f"Model {mark}")
        printer = printing.printer_add(actor=tech, ci=ci)
        now = timezone.now()
        for hours, pages, level in ((2, 100, 30), (1, 160, 10)):
            printing.printer_record_reading(printer=printer, now=now - timedelta(hours=hours), answer=PrinterAnswer(
                pages, [SupplyRow("1.1", f"Black toner {mark}", 3, 19, 100, level)]))  # fmt: skip
        cartridge = printing.cartridge_save(actor=tech, school=school, name=f"Toner {mark}", part_number=f"T-{slug}",
                                            printer_models=f"Model {mark}", reorder_level=2)  # fmt: skip
        movement = printing.stock_move(actor=tech, cartridge=cartridge, kind="received", quantity=1,
                                       note=f"Delivery {mark}")  # fmt: skip
        queue = printing.queue_save(actor=tech, school=school, name=f"Queue {mark}", printer=printer)
        records[PRINTER][slug], records[PRINT_QUEUE][slug], records[CARTRIDGE][slug] = printer, queue, cartridge
        records[SUPPLY][slug], records[MOVEMENT][slug] = Supply.objects.get(printer=printer), movement
        records[PRINT_USAGE][slug] = printer.usage_days.get()
    return records


# Financial Management (finance/): support staff's, leaders' and the LEA's, like the CMDB ([cmdb:slug] marker).
SUPPLIER, CONTRACT, BUDGET = "finance.Supplier", "finance.Contract", "finance.Budget"
EXPENDITURE = "finance.Expenditure"


def finance_world(schools: dict[str, School], cast: dict[str, User]) -> dict[str, dict[str, Any]]:
    """At each school: a supplier, a contract with it covering a CI, this year's budget and an expenditure line."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from cmdb.services import ci_create
    from finance import services as finance

    admin, today = cast["admin"], timezone.localdate()
    records: dict[str, dict[str, Any]] = {key: {} for key in (SUPPLIER, CONTRACT, BUDGET, EXPENDITURE)}
    for slug, school in schools.items():
        mark = cmdb_of(slug)
        supplier = finance.supplier_save(actor=admin, school=school, name=f"Supplier {mark}")
        ci = ci_create(school=school, actor=admin, kind="laptop", name=f"Laptop {mark}", purchase_cost=Decimal("500"),
                       purchase_date=today - timedelta(days=40))  # fmt: skip
        records[CONTRACT][slug] = finance.contract_save(
            actor=admin, school=school, supplier=supplier, title=f"Contract {mark}", kind="support",
            starts_on=today - timedelta(days=30), ends_on=today + timedelta(days=100), annual_cost=Decimal("1200"),
            cis=[ci])  # fmt: skip
        records[BUDGET][slug] = finance.budget_save(actor=admin, school=school, year=today.year - 1,
                                                    amounts={"hardware": 1000}, notes=f"Budget {mark}")  # fmt: skip
        records[EXPENDITURE][slug] = finance.expenditure_record(
            actor=admin, school=school, spent_on=today, item=f"Item {mark}", category="hardware", amount=Decimal("9"),
            supplier=supplier, ci=ci)  # fmt: skip
        records[SUPPLIER][slug] = supplier
    finance.contracts_check_notice(today=today)
    return records


# =============================================================================
# Who sees what: written out by hand, never computed with visible_to
# =============================================================================


@dataclass(frozen=True)
class Sees:
    schools: frozenset[str]
    incidents: frozenset[str]
    internal_notes: bool = True
    cmdb: frozenset[str] | None = None  # schools whose CMDB records they see, when not all of `schools`
    notifications: frozenset[str] = frozenset()  # the schools whose notification in the world is theirs
    saved_filters: frozenset[str] = frozenset()  # the schools whose saved workbench filters are theirs (owner only)
    security: frozenset[str] = frozenset()  # the schools whose breach log and admin accounts they read

    def keys(self, model: str) -> frozenset[str]:
        cmdb = self.schools if self.cmdb is None else self.cmdb
        if model.startswith(SECURITY_READERS_ONLY):  # the network manager's, leaders' and administrators'
            return self.security
        if model.startswith("security."):  # the firewall register and antivirus: support staff's
            return cmdb
        if model == NOTIFICATION:
            return self.notifications
        if model.startswith(SAVED_FILTER):
            return self.saved_filters
        if model.startswith(("cmdb.", "problems.", "changes.", "releases.", INBOUND, LESSON, PLANNED_TASK,
                             "availability.", "patches.", "om.", "sysadmin.",
                             "printing.", "storage.", "directory.", "continuity.",
                             "assessment.", "strategy.", "finance.")):  # support staff's  # fmt: skip
            return cmdb
        if model in (CATEGORY, GROUP, CALENDAR):  # the service desk's configuration is support staff's
            return cmdb
        if model == PACKAGE:  # an authority's: seen at each of its schools (keyed by its first school)
            return frozenset(slug for authority, slug in PACKAGE_KEYS.items() if authority in
                             {AUTHORITY_OF[school] for school in cmdb})  # fmt: skip
        if model.startswith("servicelevels."):  # service levels: support staff's, leaders' and the LEA's
            return cmdb
        if model.startswith(CATALOGUE_MODELS):  # the world's requests are all seen by their askers
            return self.schools
        return {"fits.School": self.schools, "incidents.Incident": self.incidents, "cmdb.InventorySubmission": cmdb,
                ARTICLE: self.schools}[model]  # fmt: skip


BOLTON = frozenset({"highfield", "riverside"})
HIGHFIELD_STAFF = Sees(frozenset({"highfield"}), frozenset({"highfield-staff", "highfield-tech"}))

RIVERSIDE = frozenset({"riverside", "riverside-fixed"})

SEES = {
    "admin": Sees(BOLTON | {"westfield"}, frozenset(INCIDENTS), security=BOLTON | {"westfield"}),
    "consultant": Sees(BOLTON, HIGHFIELD_STAFF.incidents | RIVERSIDE),
    "leader": replace(HIGHFIELD_STAFF, security=frozenset({"highfield"})),
    "netmgr": replace(HIGHFIELD_STAFF, security=frozenset({"highfield"})),
    "tech": replace(HIGHFIELD_STAFF, notifications=frozenset({"highfield"}), saved_filters=frozenset({"highfield"})),
    "desk": HIGHFIELD_STAFF,
    # An ICT user sees only the incidents they reported, and never the internal notes.
    "staff": Sees(frozenset({"highfield"}), frozenset({"highfield-staff"}), internal_notes=False, cmdb=frozenset()),
    "tech2": Sees(
        frozenset({"riverside"}),
        RIVERSIDE,
        notifications=frozenset({"riverside"}),
        saved_filters=frozenset({"riverside"}),
    ),
    "outsider": Sees(
        frozenset({"westfield"}),
        frozenset({"westfield", "westfield-fixed"}),
        notifications=frozenset({"westfield"}),
        saved_filters=frozenset({"westfield"}),
    ),
}


def forbidden_markers(world: World, viewer: str, *, slugs: bool = True) -> dict[str, str]:
    """{text that must not appear: what it would leak} for `viewer`."""
    sees = SEES[viewer]
    markers = {}
    for key in INCIDENTS:
        if key not in sees.incidents:
            markers[f"[secret:{key}]"] = f"incident {key}"
            markers[comment_of(key)] = f"a comment on incident {key}"
        if key not in sees.incidents or not sees.internal_notes:
            markers[note_of(key)] = f"an internal note on incident {key}"
    for slug, school in world.schools.items():
        if slug not in sees.schools:
            markers[school.name] = f"the name of {slug}"
            if slugs:
                markers[f'"{slug}"'] = f"the slug of {slug}"
        if slug not in sees.keys("cmdb.ConfigurationItem"):
            markers[cmdb_of(slug)] = f"the CMDB of {slug}"
        if slug not in sees.keys(BREACH):
            markers[security_of(slug)] = f"the breach log or admin accounts of {slug}"
    for authority, slug in PACKAGE_KEYS.items():
        if slug not in sees.keys(PACKAGE):
            markers[lea_of(authority)] = f"the traded services of {authority}"
    return markers


def body(response) -> str:
    """The response's text; a streamed one (an export) is read once and kept."""
    if not response.streaming:
        return response.content.decode(errors="replace")
    if not hasattr(response, "read_body"):
        response.read_body = b"".join(response.streaming_content).decode(errors="replace")
    return response.read_body


def leaks(response, markers: dict[str, str]) -> list[str]:
    content = body(response)
    return [f"{what} ({marker!r})" for marker, what in markers.items() if marker in content]


# =============================================================================
# The route tables
# =============================================================================


def by_pk(record: Any) -> dict[str, Any]:
    return {"pk": record.pk}


@dataclass(frozen=True)
class RecordRoute:
    """A page or endpoint about one record: fetched (GET) or acted on (POST)."""

    model: str
    kwargs: Callable[[Any], dict[str, Any]] = by_pk
    method: str = "get"
    data: dict[str, Any] = field(default_factory=dict)
    # A form about the record that sends people who may read but not change it back to the record's page.
    readers_sent_back: bool = False


@dataclass(frozen=True)
class ListRoute:
    """A page or endpoint that lists records, shows figures drawn from them, or logs new ones."""

    shows: str | None = None  # the model whose rows it lists (checked to appear for people who see them)
    creates: Callable[[School, User | None, str], dict[str, Any]] | None = None  # POST data logging a record
    cmdb: bool = False  # a CMDB page: 404 for people who see no school's CMDB, as if it were not there
    refuses: bool = False  # an endpoint for some roles only (the dashboards' API): anyone else gets 403


@dataclass(frozen=True)
class NoSchoolData:
    reason: str
    method: str = "get"
    public: bool = False  # answers people who are not signed in


def log_page_data(school: School, reporter: User | None, title: str) -> dict[str, Any]:
    return {
        "school": school.pk,
        "reporter": reporter.pk if reporter else "",
        "channel": "phone",
        "title": title,
        "description": "Logged through the page.",
        "room": "",
        "impact": 3,
        "urgency": 3,
    }


def phone_page_data(school: School, reporter: User | None, title: str) -> dict[str, Any]:
    return {"school": school.pk, "reporter": reporter.pk if reporter else "", "channel": "phone", "title": title,
            "impact": 3, "urgency": 3}  # fmt: skip


def log_api_data(school: School, reporter: User | None, title: str) -> dict[str, Any]:
    data = {"school": school.slug, "title": title, "description": "Logged through the API."}
    return {**data, "reporter": reporter.pk} if reporter else data


INCIDENT = "incidents.Incident"
CI = "cmdb.ConfigurationItem"

RECORD_ROUTES: dict[str, RecordRoute] = {
    "incidents:detail": RecordRoute(INCIDENT),
    "incidents:assign": RecordRoute(INCIDENT, method="post", data={"assignee": "", "note": "Back to the queue"}),
    "incidents:comment": RecordRoute(INCIDENT, method="post", data={"text": "Any news?", "public": "on"}),
    "incidents:transition": RecordRoute(INCIDENT, lambda r: {"pk": r.pk, "action": "start"}, method="post"),
    "api:incident-detail": RecordRoute(INCIDENT),
    "api:incident-activity": RecordRoute(INCIDENT),
    "api:incident-assign": RecordRoute(INCIDENT, method="post", data={"assignee": None}),
    "api:incident-comment": RecordRoute(INCIDENT, method="post", data={"text": "Any news?"}),
    "api:incident-transition": RecordRoute(INCIDENT, method="post", data={"action": "start"}),
    # Groups and escalation, time, merging, major incidents (incidents/work_views.py, work_api.py)
    **{f"incidents:{name}": RecordRoute(INCIDENT, method="post") for name in (
        "escalate", "take_back", "supplier_reference", "log_time", "merge", "declare_major", "link_major",
        "link_child", "unlink_major", "major_update", "set_service", "set_category")},
    **{f"api:incident-{name}": RecordRoute(INCIDENT, method="post") for name in (
        "escalate", "take-back", "supplier-reference", "merge", "declare-major", "link-major", "unlink-major",
        "major-update", "service", "category")},
    "api:incident-time": RecordRoute(INCIDENT),
    # The service desk's configuration (incidents/config_views.py): people who may not change a row read it
    "incidents:category_edit": RecordRoute(CATEGORY),
    "incidents:group_edit": RecordRoute(GROUP),
    "api:category-detail": RecordRoute(CATEGORY),
    "api:support-group-detail": RecordRoute(GROUP),
    "api:school-detail": RecordRoute("fits.School"),
    "inventory:submission_detail": RecordRoute("cmdb.InventorySubmission"),
    "inventory:submission_payload": RecordRoute("cmdb.InventorySubmission"),
    "inventory:rotate": RecordRoute("fits.School", lambda r: {"slug": r.slug}, method="post"),
    "cmdb:ci_detail": RecordRoute(CI),
    "cmdb:ci_edit": RecordRoute(CI),
    "cmdb:port_create": RecordRoute(CI),
    "cmdb:cable_create": RecordRoute(CI),
    "cmdb:relationship_create": RecordRoute(CI),
    "cmdb:ci_transition": RecordRoute(CI, lambda r: {"pk": r.pk, "action": "repair"}, method="post",
                                      data={"note": "Fan noise"}),
    "cmdb:port_detail": RecordRoute("cmdb.Port"),
    "cmdb:cable_remove": RecordRoute("cmdb.Cable:spare", method="post"),
    "cmdb:relationship_remove": RecordRoute("cmdb.Relationship:spare", method="post"),
    "cmdb:licence_detail": RecordRoute("cmdb.Licence"),
    "cmdb:licence_edit": RecordRoute("cmdb.Licence"),
    "cmdb:licence_seat_assign": RecordRoute("cmdb.Licence"),
    "cmdb:seat_release": RecordRoute("cmdb.LicenceSeat:spare", method="post"),
    "cmdb:software_install": RecordRoute(CI),
    "cmdb:installation_remove": RecordRoute("cmdb.SoftwareInstallation:spare", method="post"),
    "cmdb:port_edit": RecordRoute("cmdb.Port"),
    "cmdb:port_remove": RecordRoute("cmdb.Port", method="post"),  # cabled: refused, "disconnect the cable first"
    "api:cmdb-item-detail": RecordRoute(CI),
    "api:cmdb-item-impact": RecordRoute(CI),
    "api:cmdb-item-depends-on": RecordRoute(CI),
    "api:cmdb-item-history": RecordRoute(CI),
    "api:cmdb-item-activity": RecordRoute(CI),
    "api:cmdb-item-transition": RecordRoute(CI, method="post", data={"action": "repair", "note": "Fan noise"}),
    "api:cmdb-location-detail": RecordRoute("cmdb.Location"),
    "api:cmdb-port-detail": RecordRoute("cmdb.Port"),
    "api:cmdb-port-trace": RecordRoute("cmdb.Port"),
    "api:cmdb-cable-detail": RecordRoute("cmdb.Cable"),
    "api:cmdb-relationship-detail": RecordRoute("cmdb.Relationship"),
    "api:cmdb-software-detail": RecordRoute("cmdb.SoftwareProduct"),
    "api:cmdb-installation-detail": RecordRoute("cmdb.SoftwareInstallation"),
    "api:cmdb-licence-detail": RecordRoute("cmdb.Licence"),
    "api:cmdb-licence-assign": RecordRoute("cmdb.Licence", method="post", data={}),
    "api:cmdb-licence-release": RecordRoute("cmdb.Licence", method="post", data={}),
    "changes:detail": RecordRoute(RFC),
    "changes:assess": RecordRoute(RFC, method="post", data={"users_affected": "few", "service_criticality": "low",
                                                           "tested": "yes", "backout": "yes", "school_day": "no"}),
    "changes:vote": RecordRoute(RFC, method="post", data={"decision": "approve", "comment": "Fine"}),
    "changes:edit": RecordRoute(RFC, readers_sent_back=True),
    "changes:schedule": RecordRoute(RFC, method="post"),
    "changes:review": RecordRoute(RFC, method="post", data={"outcome": "successful", "notes": "Fine"}),
    "changes:transition": RecordRoute(RFC, lambda r: {"pk": r.pk, "action": "submit"}, method="post"),
    # Capacity (availability/capacity_views.py): support staff read it; technicians change the thresholds.
    "availability:capacity_metric": RecordRoute(METRIC),
    "availability:threshold_update": RecordRoute(THRESHOLD),
    "availability:threshold_delete": RecordRoute(f"{THRESHOLD}:spare", method="post"),
    # Monitoring (availability/views.py, api.py): support staff read it; technicians keep the checks, the network
    # manager the credentials (other people read a credential's page, never its secrets).
    "availability:check_detail": RecordRoute(CHECK),
    "availability:check_edit": RecordRoute(CHECK, readers_sent_back=True),
    "availability:check_pause": RecordRoute(CHECK, method="post"),
    "availability:check_resume": RecordRoute(CHECK, method="post"),
    "availability:check_delete": RecordRoute(f"{CHECK}:spare", method="post"),
    "availability:proposal_accept": RecordRoute(PROPOSAL, method="post"),
    "availability:proposal_dismiss": RecordRoute(f"{PROPOSAL}:spare", method="post"),
    "availability:credential_update": RecordRoute(CREDENTIAL),
    "availability:credential_delete": RecordRoute(f"{CREDENTIAL}:spare", method="post"),
    "api:availability-check-detail": RecordRoute(CHECK),
    "api:availability-check-pause": RecordRoute(CHECK, method="post"),
    "api:availability-check-resume": RecordRoute(CHECK, method="post"),
    "api:availability-check-accept": RecordRoute(PROPOSAL, method="post"),
    "api:availability-state-detail": RecordRoute(CI_STATE),
    "api:availability-result-detail": RecordRoute(RESULT),
    "api:availability-outage-detail": RecordRoute(OUTAGE),
    "api:availability-poll-run-detail": RecordRoute(POLL_RUN),
    # Patch Management (om/patches/views.py, api.py): support staff read it; technicians keep the baseline and import
    # reports, the network manager approves (POSTs without a form answer with a message).
    "patches:update_detail": RecordRoute(PATCH_UPDATE),
    "patches:update_approve": RecordRoute(PATCH_UPDATE, method="post"),
    "patches:update_rollout": RecordRoute(PATCH_UPDATE, method="post"),
    "patches:group_detail": RecordRoute(PATCH_GROUP),
    "patches:group_edit": RecordRoute(PATCH_GROUP, method="post", data={"name": "", "ci_kind": "desktop"}),
    "patches:update_edit": RecordRoute(PATCH_UPDATE, method="post", data={"kind": "kb"}),
    "api:patches-update-detail": RecordRoute(PATCH_UPDATE),
    "api:patches-update-rollout": RecordRoute(PATCH_UPDATE, method="post"),
    "api:patches-group-detail": RecordRoute(PATCH_GROUP),
    "api:patches-compliance-detail": RecordRoute(PATCH_STATE),
    "api:patches-import-detail": RecordRoute(PATCH_IMPORT),
    "releases:detail": RecordRoute(RELEASE),
    "releases:edit": RecordRoute(RELEASE),
    "releases:transition": RecordRoute(RELEASE, lambda r: {"pk": r.pk, "action": "build"}, method="post"),
    "releases:wave_add": RecordRoute(RELEASE, method="post", data={"name": "More", "kind": "desktop"}),
    "releases:rollout": RecordRoute(RELEASE, method="post", data={"outcome": "skipped", "targets": [1]}),
    "releases:library_approve": RecordRoute(LIBRARY_ITEM, method="post"),
    "releases:library_withdraw": RecordRoute(LIBRARY_ITEM, method="post", data={"reason": "Superseded"}),
    "releases:media_lend": RecordRoute(LIBRARY_ITEM, method="post"),
    "releases:media_return": RecordRoute(MEDIA_LOAN, method="post"),
    "api:release-detail": RecordRoute(RELEASE),
    "api:release-transition": RecordRoute(RELEASE, method="post", data={"action": "build"}),
    "api:release-waves": RecordRoute(RELEASE, method="post", data={"name": "More", "kind": "desktop"}),
    "api:release-rollout": RecordRoute(RELEASE, method="post", data={"outcome": "skipped", "wave": 1}),
    "api:release-library-detail": RecordRoute(LIBRARY_ITEM),
    "api:release-library-approve": RecordRoute(LIBRARY_ITEM, method="post"),
    "api:release-library-withdraw": RecordRoute(LIBRARY_ITEM, method="post", data={"reason": "Superseded"}),
    # The Change Management API (changes/api.py): another school's change answers 404 to every action.
    "api:change-detail": RecordRoute(RFC),
    "api:change-activity": RecordRoute(RFC),
    "api:change-assess": RecordRoute(RFC, method="post", data={"answers": {"users_affected": "few"}}),  # refused
    "api:change-submit": RecordRoute(RFC, method="post"),
    "api:change-vote": RecordRoute(RFC, method="post", data={"decision": "approve", "comment": "Fine"}),
    "api:change-schedule": RecordRoute(RFC, method="post", data={}),
    "api:change-start": RecordRoute(RFC, method="post"),
    "api:change-implement": RecordRoute(RFC, method="post", data={"note": "Done"}),
    "api:change-fail": RecordRoute(RFC, method="post", data={"note": "Broke"}),
    "api:change-back-out": RecordRoute(RFC, method="post", data={"note": "Undone"}),
    "api:change-review": RecordRoute(RFC, method="post", data={"outcome": "successful", "notes": "Fine"}),
    "api:change-close": RecordRoute(RFC, method="post"),
    "api:change-cancel": RecordRoute(RFC, method="post", data={"note": "Not wanted"}),
    # Boards, meetings, standard changes: read by the school's support staff, kept by its network manager.
    "changes:board_detail": RecordRoute(BOARD),
    "changes:board_edit": RecordRoute(BOARD),
    "changes:meeting_schedule": RecordRoute(BOARD, method="post", data={}),  # no date: refused
    "changes:meeting_detail": RecordRoute(MEETING),
    "changes:meeting_record": RecordRoute(MEETING, method="post", data={"minutes": "Quiet week"}),
    "changes:meeting_vote": RecordRoute(MEETING, method="post", data={"decision": "approve", "comment": "Fine"}),
    "changes:template_edit": RecordRoute(TEMPLATE),
    "changes:template_retire": RecordRoute(TEMPLATE, method="post"),
    "changes:template_reinstate": RecordRoute(TEMPLATE, method="post"),
    "changes:freeze_edit": RecordRoute(FREEZE),
    "changes:freeze_delete": RecordRoute(f"{FREEZE}:spare", method="post"),
    "changes:maintenance_edit": RecordRoute(MAINTENANCE),
    "changes:maintenance_delete": RecordRoute(f"{MAINTENANCE}:spare", method="post"),
    "problems:detail": RecordRoute("problems.Problem"),
    "problems:assign": RecordRoute("problems.Problem", method="post", data={"assignee": "", "note": "Unassigned"}),
    "problems:comment": RecordRoute("problems.Problem", method="post", data={"text": "Any findings?"}),
    "problems:link_incident": RecordRoute("problems.Problem", method="post", data={"incident": ""}),
    "problems:unlink_incident": RecordRoute("problems.Problem", method="post", data={"incident": ""}),
    "problems:link_change": RecordRoute("problems.Problem", method="post", data={"change": ""}),
    "problems:raise_change": RecordRoute("problems.Problem", readers_sent_back=True),
    "problems:known_error_create": RecordRoute("problems.Problem", method="post",
                                               data={"symptom": "Locked out", "workaround": "Wait"}),
    "problems:transition": RecordRoute("problems.Problem", lambda r: {"pk": r.pk, "action": "investigate"},
                                       method="post"),
    "api:problem-detail": RecordRoute("problems.Problem"),
    "api:problem-activity": RecordRoute("problems.Problem"),
    "api:problem-assign": RecordRoute("problems.Problem", method="post", data={"assignee": None}),
    "api:problem-comment": RecordRoute("problems.Problem", method="post", data={"text": "Any findings?"}),
    "api:problem-link-incident": RecordRoute("problems.Problem", method="post", data={"incident": 0}),
    "api:problem-link-change": RecordRoute("problems.Problem", method="post", data={"change": None}),
    "api:problem-known-error": RecordRoute("problems.Problem", method="post",
                                           data={"symptom": "Locked out", "workaround": "Wait"}),
    "api:problem-transition": RecordRoute("problems.Problem", method="post", data={"action": "investigate"}),
    "problems:candidate_raise": RecordRoute(CANDIDATE, method="post", data={"title": "Recurring"}),
    "api:problem-candidate-detail": RecordRoute(CANDIDATE),
    "api:problem-candidate-raise": RecordRoute(CANDIDATE, method="post", data={"title": "Recurring"}),
    "api:problem-candidate-dismiss": RecordRoute(CANDIDATE, method="post", data={"note": "Not a problem"}),
    "problems:candidate_dismiss": RecordRoute(CANDIDATE, method="post", data={"note": "Not a problem"}),
    "api:known-error-detail": RecordRoute("problems.KnownError"),
    "notifications:open": RecordRoute(NOTIFICATION, method="post"),
    "api:notification-detail": RecordRoute(NOTIFICATION),
    "api:notification-read": RecordRoute(NOTIFICATION, method="post"),
    # The wording of a school's e-mails: read by anyone at the school, changed by its network manager and desk.
    "notifications:template_list": RecordRoute("fits.School", lambda r: {"slug": r.slug}),
    "notifications:template_edit": RecordRoute("fits.School", lambda r: {"slug": r.slug, "event": "resolved"}),
    "notifications:template_preview": RecordRoute("fits.School", lambda r: {"slug": r.slug, "event": "resolved"},
                                                  method="post", data={"subject": "Done", "body": "{{ note }}"}),
    "notifications:template_reset": RecordRoute("fits.School", lambda r: {"slug": r.slug, "event": "resolved"},
                                                method="post"),
    "knowledge_detail": RecordRoute(ARTICLE),
    "knowledge_edit": RecordRoute(ARTICLE, method="post", data={}),
    "knowledge_transition": RecordRoute(ARTICLE, lambda r: {"pk": r.pk, "action": "withdraw"}, method="post"),
    "saved_filter_rename": RecordRoute(SAVED_FILTER, method="post", data={"name": "Renamed"}),
    "saved_filter_move": RecordRoute(SAVED_FILTER, method="post", data={"position": 1}),
    "saved_filter_delete": RecordRoute(f"{SAVED_FILTER}:spare", method="post"),
    "api:saved-filter-detail": RecordRoute(SAVED_FILTER),
    "api:saved-filter-move": RecordRoute(SAVED_FILTER, method="post", data={"position": 0}),
    "api:knowledge-article-detail": RecordRoute(ARTICLE),
    "api:knowledge-article-transition": RecordRoute(ARTICLE, method="post", data={"action": "withdraw"}),
    "mail:inbound_detail": RecordRoute(INBOUND),
    "mail:inbound_raw": RecordRoute(INBOUND),
    "mail:inbound_accept": RecordRoute(INBOUND, method="post", data={}),  # refused: nobody chosen
    "mail:inbound_discard": RecordRoute(INBOUND, method="post"),
    "mail:inbound_retry": RecordRoute(INBOUND, method="post"),  # refused: only failed mail is tried again
    "api:inbound-message-detail": RecordRoute(INBOUND),
    "catalogue:request": RecordRoute(REQUEST_TYPE),
    "catalogue:approve": RecordRoute(SERVICE_REQUEST, method="post", data={"comment": "Fine"}),  # not awaiting: refused
    "catalogue:decline": RecordRoute(SERVICE_REQUEST, method="post", data={"comment": "No"}),
    "catalogue:task_add": RecordRoute(SERVICE_REQUEST, method="post", data={"title": "One more step"}),
    "catalogue:task_complete": RecordRoute(TASK, method="post"),
    "catalogue:task_reopen": RecordRoute(TASK, method="post"),
    "catalogue:task_assign": RecordRoute(TASK, method="post", data={"assignee": ""}),
    "catalogue:type_edit": RecordRoute(REQUEST_TYPE, method="post", data={}),
    "catalogue:type_retire": RecordRoute(f"{REQUEST_TYPE}:spare", method="post"),
    "catalogue:type_reinstate": RecordRoute(f"{REQUEST_TYPE}:spare", method="post"),
    "api:request-type-detail": RecordRoute(REQUEST_TYPE),
    "api:request-type-retire": RecordRoute(f"{REQUEST_TYPE}:spare", method="post"),
    "api:request-type-reinstate": RecordRoute(f"{REQUEST_TYPE}:spare", method="post"),
    "api:service-request-detail": RecordRoute(SERVICE_REQUEST),
    "api:service-request-approve": RecordRoute(SERVICE_REQUEST, method="post", data={"comment": "Fine"}),
    "api:service-request-decline": RecordRoute(SERVICE_REQUEST, method="post", data={"comment": "No"}),
    "api:service-request-add-task": RecordRoute(SERVICE_REQUEST, method="post", data={"title": "One more step"}),
    "api:fulfilment-task-detail": RecordRoute(TASK),
    "api:fulfilment-task-complete": RecordRoute(TASK, method="post", data={}),
    "api:fulfilment-task-reopen": RecordRoute(TASK, method="post", data={}),
    "api:fulfilment-task-assign": RecordRoute(TASK, method="post", data={"assignee": None}),
    # The caller's side: confirm (a rating of 9: refused), attachments, the safeguarding flag (unconfirmed: refused).
    "incidents:confirm": RecordRoute(INCIDENT, method="post", data={"satisfaction": "9"}),
    "incidents:attach": RecordRoute(INCIDENT, method="post", data={}),
    "incidents:attachment": RecordRoute(INCIDENT, with_attachment),
    "incidents:flag_safeguarding": RecordRoute(INCIDENT, method="post", data={"note": "Not confirmed"}),
    "incidents:unflag_safeguarding": RecordRoute(INCIDENT, method="post", data={}),
    "api:incident-confirm": RecordRoute(INCIDENT, method="post", data={"satisfaction": 9}),
    "api:incident-attachments": RecordRoute(INCIDENT),
    "api:incident-attachment": RecordRoute(INCIDENT, with_attachment_id),
    # The timetable (support staff's, like the CMDB).
    "incidents:timetable_room": RecordRoute("cmdb.Location"),
    "incidents:lesson_create": RecordRoute("cmdb.Location", method="post", data={"name": ""}),
    "incidents:lesson_edit": RecordRoute(LESSON),
    "incidents:lesson_delete": RecordRoute(f"{LESSON}:spare", method="post"),
    "api:lesson-detail": RecordRoute(LESSON),
    "servicelevels:calendar_detail": RecordRoute(CALENDAR),
    "servicelevels:calendar_import": RecordRoute(CALENDAR, method="post"),
    # Service Level Management: the catalogue, agreements, traded services, calendar editing, and their API.
    "servicelevels:calendar_hours": RecordRoute(CALENDAR),
    "servicelevels:calendar_term_create": RecordRoute(CALENDAR, method="post", data={"name": ""}),
    "servicelevels:calendar_closure_create": RecordRoute(CALENDAR, method="post", data={"name": ""}),
    "servicelevels:calendar_term_edit": RecordRoute(TERM),
    "servicelevels:calendar_term_delete": RecordRoute(f"{TERM}:spare", method="post"),
    "servicelevels:calendar_closure_edit": RecordRoute(CLOSURE),
    "servicelevels:calendar_closure_delete": RecordRoute(f"{CLOSURE}:spare", method="post"),
    "servicelevels:service_detail": RecordRoute(IT_SERVICE),
    "servicelevels:service_edit": RecordRoute(IT_SERVICE),
    "servicelevels:service_retire": RecordRoute(IT_SERVICE, method="post"),
    "servicelevels:service_reinstate": RecordRoute(IT_SERVICE, method="post"),
    "servicelevels:agreement_detail": RecordRoute(AGREEMENT),
    "servicelevels:agreement_edit": RecordRoute(AGREEMENT),
    "servicelevels:agreement_targets": RecordRoute(AGREEMENT),
    "servicelevels:agreement_copy_targets": RecordRoute(AGREEMENT, method="post"),
    "servicelevels:agreement_review": RecordRoute(AGREEMENT, method="post", data={"note": ""}),
    "servicelevels:agreement_transition": RecordRoute(AGREEMENT, lambda r: {"pk": r.pk, "action": "agree"},
                                                      method="post"),
    "servicelevels:package_edit": RecordRoute(PACKAGE),
    "servicelevels:subscription_edit": RecordRoute(SUBSCRIPTION),
    "api:service-level-service-detail": RecordRoute(IT_SERVICE),
    "api:service-level-service-retire": RecordRoute(IT_SERVICE, method="post"),
    "api:service-level-agreement-detail": RecordRoute(AGREEMENT),
    "api:service-level-agreement-activity": RecordRoute(AGREEMENT),
    "api:service-level-agreement-agree": RecordRoute(AGREEMENT, method="post"),
    "api:service-level-agreement-revise": RecordRoute(AGREEMENT, method="post"),
    "api:service-level-agreement-retire": RecordRoute(AGREEMENT, method="post"),
    "api:service-level-agreement-targets": RecordRoute(AGREEMENT, method="post", data={"targets": []}),
    "api:service-level-agreement-review": RecordRoute(AGREEMENT, method="post", data={"note": ""}),
    "api:service-level-package-detail": RecordRoute(PACKAGE),
    "api:service-level-subscription-detail": RecordRoute(SUBSCRIPTION),
    "api:service-level-calendar-detail": RecordRoute(CALENDAR),
    "api:service-level-calendar-days": RecordRoute(CALENDAR),
    # Tasks (incidents/task_views.py, task_api.py) and preventative maintenance (availability/maintenance_views.py)
    "incidents:task_detail": RecordRoute(PLANNED_TASK),
    "incidents:task_edit": RecordRoute(PLANNED_TASK, readers_sent_back=True),
    "incidents:task_assign": RecordRoute(PLANNED_TASK, method="post", data={"assignee": "", "group": ""}),
    "incidents:task_step": RecordRoute(PLANNED_TASK, lambda r: {"pk": r.pk, "step": first_step(r)}, method="post",
                                       data={"done": "on"}),
    "incidents:task_transition": RecordRoute(PLANNED_TASK, lambda r: {"pk": r.pk, "action": "start"},
                                             method="post"),
    "api:task-detail": RecordRoute(PLANNED_TASK),
    "api:task-complete": RecordRoute(PLANNED_TASK, method="post", data={"outcome": ""}),
    "api:task-step": RecordRoute(PLANNED_TASK, method="post", data={"step": 0}),
    "api:task-transition": RecordRoute(PLANNED_TASK, method="post", data={"action": "start"}),
    "availability:maintenance_detail": RecordRoute(SCHEDULE),
    "availability:maintenance_edit": RecordRoute(SCHEDULE, readers_sent_back=True),
    "availability:maintenance_pause": RecordRoute(SCHEDULE, method="post"),
    "availability:maintenance_resume": RecordRoute(SCHEDULE, method="post"),
    "availability:maintenance_delete": RecordRoute(f"{SCHEDULE}:spare", method="post"),
    # FITS OM base (om/views.py, api.py) and Systems Administration (om/sysadmin/views.py, api.py)
    "om:policy_detail": RecordRoute(POLICY),
    "om:policy_review": RecordRoute(POLICY, method="post"),
    "om:allocation_edit": RecordRoute(ALLOCATION, readers_sent_back=True),
    "om:allocation_delete": RecordRoute(f"{ALLOCATION}:spare", method="post"),
    "api:om-policy-detail": RecordRoute(POLICY),
    "api:om-activity-detail": RecordRoute(ALLOCATION),
    "api:sysadmin-routine-detail": RecordRoute(ROUTINE),
    "api:sysadmin-logbook-detail": RecordRoute(LOGBOOK),
    "api:sysadmin-runbook-detail": RecordRoute(RUN_BOOK),
    "api:sysadmin-runbook-review": RecordRoute(RUN_BOOK, method="post"),
    "sysadmin:logbook": RecordRoute(SERVER, lambda r: {"ci": r.pk}),
    "sysadmin:logbook_add": RecordRoute(SERVER, lambda r: {"ci": r.pk}, method="post", data={"text": "Looked."}),
    "sysadmin:runbook_detail": RecordRoute(RUN_BOOK),
    "sysadmin:runbook_revise": RecordRoute(RUN_BOOK, readers_sent_back=True),
    "sysadmin:runbook_review": RecordRoute(RUN_BOOK, method="post"),
    # Security Administration (om/security/views.py, api.py): the breach log and admin accounts for the network
    # manager, leaders and administrators; the firewall register and antivirus for support staff.
    "security:breach_detail": RecordRoute(BREACH),
    "security:breach_edit": RecordRoute(BREACH),
    "security:breach_transition": RecordRoute(BREACH, method="post", data={"action": "contain"}),
    "security:breach_report": RecordRoute(BREACH, method="post", data={}),
    "security:breach_action_add": RecordRoute(BREACH, method="post", data={"text": ""}),
    "security:breach_action_done": RecordRoute(BREACH_ACTION, method="post"),
    "security:rule_detail": RecordRoute(RULE),
    "security:rule_edit": RecordRoute(RULE, readers_sent_back=True),
    "security:rule_review": RecordRoute(RULE, method="post", data={"note": ""}),
    "security:account_remove": RecordRoute(ACCOUNT, method="post", data={"note": ""}),
    "security:review_detail": RecordRoute(ACCESS_REVIEW),
    "security:review_sign_off": RecordRoute(ACCESS_REVIEW, method="post"),
    "security:review_decide": RecordRoute(REVIEW_ITEM, method="post", data={"decision": "keep"}),
    "security:category_mark": RecordRoute(CATEGORY, method="post"),
    "api:security-breach-detail": RecordRoute(BREACH),
    "api:security-firewall-rule-detail": RecordRoute(RULE),
    "api:security-antivirus-detail": RecordRoute(ANTIVIRUS),
    "api:security-privileged-account-detail": RecordRoute(ACCOUNT),
    "api:security-access-review-detail": RecordRoute(ACCESS_REVIEW),
    # Print and Output Management (om/printing/views.py, api.py): support staff read it; technicians and the network
    # manager change it (others' POSTs come back with a message)
    "printing:printer_detail": RecordRoute(PRINTER),
    "printing:printer_edit": RecordRoute(PRINTER, method="post", data={"colour": "on", "reading_enabled": "on"}),
    "printing:printer_read": RecordRoute(PRINTER, method="post"),
    "printing:supply_cartridge": RecordRoute(SUPPLY, method="post", data={"cartridge": ""}),
    "printing:queue_edit": RecordRoute(PRINT_QUEUE),
    "printing:cartridge_detail": RecordRoute(CARTRIDGE),
    "api:printing-printer-detail": RecordRoute(PRINTER),
    "api:printing-queue-detail": RecordRoute(PRINT_QUEUE),
    "api:printing-cartridge-detail": RecordRoute(CARTRIDGE),
    "api:printing-movement-detail": RecordRoute(MOVEMENT),
    "api:printing-usage-detail": RecordRoute(PRINT_USAGE),
    "api:security-breach-transition": RecordRoute(BREACH, method="post", data={"action": "contain"}),
    "api:security-breach-report": RecordRoute(BREACH, method="post", data={}),
    "api:security-breach-actions": RecordRoute(BREACH, method="post", data={"text": ""}),
    "api:security-firewall-rule-review": RecordRoute(RULE, method="post", data={"note": ""}),
    "api:security-access-review-decide": RecordRoute(ACCESS_REVIEW, method="post", data={"item": 0}),
    "api:security-access-review-sign-off": RecordRoute(ACCESS_REVIEW, method="post"),
    # Storage Management (om/storage/views.py, api.py): support staff read it; technicians and the network manager act
    "storage:share_edit": RecordRoute(SHARE, readers_sent_back=True),
    "storage:job_detail": RecordRoute(BACKUP_JOB),
    "storage:job_edit": RecordRoute(BACKUP_JOB, readers_sent_back=True),
    "storage:job_result_add": RecordRoute(BACKUP_JOB, method="post", data={"status": "success"}),
    "storage:job_offsite": RecordRoute(BACKUP_JOB, method="post"),
    "storage:test_create": RecordRoute(BACKUP_JOB, readers_sent_back=True),
    "storage:report_detail": RecordRoute(BACKUP_REPORT),
    "storage:restore_detail": RecordRoute(RESTORE),
    "storage:restore_complete": RecordRoute(RESTORE, method="post", data={"outcome": "partial"}),
    "api:storage-job-detail": RecordRoute(BACKUP_JOB),
    "api:storage-backup-result-detail": RecordRoute(BACKUP_RESULT),
    "api:storage-backup-report-detail": RecordRoute(BACKUP_REPORT),
    "api:storage-restore-detail": RecordRoute(RESTORE),
    "api:storage-restore-test-detail": RecordRoute(RESTORE_TEST),
    # Financial Management (finance/views.py, api.py): support staff, leaders and the LEA read it; the financial
    # manager (network manager, leaders) keeps it, the desk records expenditure
    "finance:expenditure_edit": RecordRoute(EXPENDITURE, readers_sent_back=True),
    "finance:supplier_edit": RecordRoute(SUPPLIER, readers_sent_back=True),
    "finance:contract_detail": RecordRoute(CONTRACT),
    "finance:contract_edit": RecordRoute(CONTRACT, readers_sent_back=True),
    "finance:contract_renew": RecordRoute(CONTRACT, method="post"),
    "finance:contract_cancel": RecordRoute(CONTRACT, method="post"),
    "finance:ci_cost_edit": RecordRoute(CI, readers_sent_back=True),
    "api:finance-supplier-detail": RecordRoute(SUPPLIER),
    "api:finance-contract-detail": RecordRoute(CONTRACT),
    "api:finance-budget-detail": RecordRoute(BUDGET),
    "api:finance-expenditure-detail": RecordRoute(EXPENDITURE),
    "api:finance-ci-cost-detail": RecordRoute(CI),
    # Service Continuity Management (continuity/views.py, api.py): support staff read; the network manager and leaders
    # keep it (the others are sent back from the forms)
    "continuity:risk_detail": RecordRoute(RISK),
    "continuity:risk_edit": RecordRoute(RISK, readers_sent_back=True),
    "continuity:risk_review": RecordRoute(RISK, method="post", data={"next_review": "2099-01-01"}),
    "continuity:risk_transition": RecordRoute(RISK, lambda r: {"pk": r.pk, "action": "treat"}, method="post"),
    "continuity:plan_detail": RecordRoute(PLAN),
    "continuity:plan_edit": RecordRoute(PLAN, readers_sent_back=True),
    "continuity:plan_steps": RecordRoute(PLAN, readers_sent_back=True),
    "continuity:plan_contacts": RecordRoute(PLAN, readers_sent_back=True),
    "continuity:plan_print": RecordRoute(PLAN),
    "continuity:plan_pdf": RecordRoute(PLAN),
    "continuity:test_create": RecordRoute(PLAN, readers_sent_back=True),
    "continuity:plan_review": RecordRoute(PLAN, method="post", data={"next_review": "2099-01-01"}),
    "continuity:plan_transition": RecordRoute(PLAN, lambda r: {"pk": r.pk, "action": "approve"}, method="post"),
    "continuity:test_detail": RecordRoute(CONTINUITY_TEST),
    "api:continuity-risk-detail": RecordRoute(RISK),
    "api:continuity-risk-transition": RecordRoute(RISK, method="post", data={"action": "treat"}),
    "api:continuity-plan-detail": RecordRoute(PLAN),
    "api:continuity-plan-dependencies": RecordRoute(PLAN),
    "api:continuity-plan-steps": RecordRoute(PLAN, method="post", data={"steps": []}),
    "api:continuity-plan-contacts": RecordRoute(PLAN, method="post", data={"contacts": []}),
    "api:continuity-plan-transition": RecordRoute(PLAN, method="post", data={"action": "approve"}),
    "api:continuity-test-detail": RecordRoute(CONTINUITY_TEST),
    # Directory Services Administration (om/directory/views.py, api.py): support staff read; the network manager
    # changes the settings (others are sent back to them); technicians apply uploads
    "directory:account_detail": RecordRoute(DIR_ACCOUNT),
    "directory:group_detail": RecordRoute(DIR_GROUP),
    "directory:run_detail": RecordRoute(DIR_RUN),
    "directory:request_detail": RecordRoute(DIR_REQUEST),
    "directory:intake_detail": RecordRoute(DIR_UPLOAD),
    "directory:intake_apply": RecordRoute(DIR_UPLOAD, method="post"),
    "directory:intake_cancel": RecordRoute(DIR_UPLOAD, method="post"),
    "directory:settings_detail": RecordRoute(DIR_SETTINGS),
    "directory:settings_edit": RecordRoute(DIR_SETTINGS, readers_sent_back=True),
    "directory:settings_test": RecordRoute(DIR_SETTINGS, method="post"),
    "api:directory-settings-detail": RecordRoute(DIR_SETTINGS),
    "api:directory-account-detail": RecordRoute(DIR_ACCOUNT),
    "api:directory-group-detail": RecordRoute(DIR_GROUP),
    "api:directory-ou-detail": RecordRoute(DIR_OU),
    "api:directory-change-detail": RecordRoute(DIR_CHANGE),
    "api:directory-account-request-detail": RecordRoute(DIR_REQUEST),
    "api:directory-sync-run-detail": RecordRoute(DIR_RUN),
    # The ICT strategy and technical support strategy (fits/strategy/): support staff, leaders and the LEA's consultants
    # read; the network manager and leaders write (the others are sent back from the form); each capacity signs
    "strategy:document": RecordRoute(STRATEGY_DOC),
    "strategy:section_edit": RecordRoute(STRATEGY_DOC, lambda r: {"pk": r.pk, "key": "services"},
                                         readers_sent_back=True),
    "strategy:sign": RecordRoute(STRATEGY_DOC, method="post", data={"capacity": "la_adviser"}),
    "strategy:dates": RecordRoute(STRATEGY_DOC, method="post", data={"draft_date": "2026-09-01",
                                                                     "review_date": "2027-09-01"}),
    "strategy:version": RecordRoute(STRATEGY_VERSION),
    "strategy:version_pdf": RecordRoute(STRATEGY_VERSION),
    "api:strategy-document-detail": RecordRoute(STRATEGY_DOC),
    "api:strategy-document-edit-section": RecordRoute(STRATEGY_DOC, method="post", data={"key": "services",
                                                                                         "text": "Changed"}),
    "api:strategy-document-dates": RecordRoute(STRATEGY_DOC, method="post", data={"draft_date": "2026-09-01",
                                                                                  "review_date": "2027-09-01"}),
    "api:strategy-document-sign": RecordRoute(STRATEGY_DOC, method="post", data={"capacity": "la_adviser"}),
    "api:strategy-version-detail": RecordRoute(STRATEGY_VERSION),
    "api:strategy-section-detail": RecordRoute(STRATEGY_SECTION),
    # The FITS maturity assessment (fits/assessment/): support staff, leaders and the LEA's consultants read; the
    # network manager and leaders answer and complete; consultants moderate
    "assessment:detail": RecordRoute(ASSESSMENT),
    "assessment:export": RecordRoute(ASSESSMENT),
    "assessment:area": RecordRoute(ASSESSMENT, lambda r: {"pk": r.pk, "area": "cmdb"}),
    "assessment:transition": RecordRoute(ASSESSMENT, lambda r: {"pk": r.pk, "action": "complete"}, method="post"),
    "assessment:moderate": RecordRoute(ASSESSMENT, lambda r: {"pk": r.pk, "area": "cmdb"}, method="post",
                                       data={"percent": 10, "comment": "Moderated"}),
    "api:assessment-detail": RecordRoute(ASSESSMENT),
    "api:assessment-answer": RecordRoute(ASSESSMENT, method="post", data={"question": "cmdb.populated",
                                                                          "level": "fully"}),
    "api:assessment-complete": RecordRoute(ASSESSMENT, method="post"),
    "api:assessment-reopen": RecordRoute(ASSESSMENT, method="post"),
    "api:assessment-answer-detail": RecordRoute(ASSESSMENT_ANSWER),
}  # fmt: skip

LIST_ROUTES: dict[str, ListRoute] = {
    "home": ListRoute(),
    "incidents:list": ListRoute(shows=INCIDENT),
    # The service desk's configuration: support staff's (404 for anyone else, like the CMDB)
    "incidents:config": ListRoute(cmdb=True),
    "incidents:category_list": ListRoute(shows=CATEGORY, cmdb=True),
    "incidents:category_create": ListRoute(cmdb=True),
    "incidents:group_list": ListRoute(shows=GROUP, cmdb=True),
    "incidents:group_create": ListRoute(cmdb=True),
    "incidents:priority_matrix": ListRoute(cmdb=True),
    "servicelevels:calendar_list": ListRoute(shows=CALENDAR, cmdb=True),
    "servicelevels:service_list": ListRoute(shows=IT_SERVICE, cmdb=True),
    "servicelevels:service_create": ListRoute(cmdb=True),
    "servicelevels:agreement_list": ListRoute(shows=AGREEMENT, cmdb=True),
    "servicelevels:agreement_create": ListRoute(cmdb=True),
    "servicelevels:package_list": ListRoute(shows=PACKAGE, cmdb=True),
    "servicelevels:package_create": ListRoute(cmdb=True),
    "servicelevels:subscription_list": ListRoute(cmdb=True),  # names each school the viewer sees, with or without one
    "servicelevels:subscription_create": ListRoute(cmdb=True),
    "api:service-level-service-list": ListRoute(shows=IT_SERVICE, cmdb=True),
    "api:service-level-agreement-list": ListRoute(shows=AGREEMENT, cmdb=True),
    "api:service-level-package-list": ListRoute(shows=PACKAGE, cmdb=True),
    "api:service-level-subscription-list": ListRoute(shows=SUBSCRIPTION, cmdb=True),
    "api:service-level-calendar-list": ListRoute(shows=CALENDAR, cmdb=True),
    "api:category-list": ListRoute(shows=CATEGORY),
    "changes:list": ListRoute(shows=RFC, cmdb=True),
    "changes:create": ListRoute(cmdb=True),
    "availability:overview": ListRoute(shows=CI_STATE, cmdb=True),
    "availability:check_list": ListRoute(shows=CHECK, cmdb=True),
    "availability:check_create": ListRoute(cmdb=True),
    "availability:outage_list": ListRoute(shows=OUTAGE, cmdb=True),
    "availability:proposals": ListRoute(shows=PROPOSAL, cmdb=True),
    "availability:settings": ListRoute(cmdb=True),  # the chosen school's (one of the viewer's), else their first
    "availability:credential_list": ListRoute(shows=CREDENTIAL, cmdb=True),
    "availability:credential_create": ListRoute(cmdb=True),
    "api:availability-check-list": ListRoute(shows=CHECK, cmdb=True),
    "api:availability-state-list": ListRoute(shows=CI_STATE, cmdb=True),
    "api:availability-result-list": ListRoute(shows=RESULT, cmdb=True),
    "api:availability-outage-list": ListRoute(shows=OUTAGE, cmdb=True),
    "api:availability-poll-run-list": ListRoute(shows=POLL_RUN, cmdb=True),
    "api:availability-figures-list": ListRoute(shows=CHECK, cmdb=True),  # the monitored CIs, by name
    "patches:dashboard": ListRoute(shows=PATCH_STATE, cmdb=True),
    "patches:compliance_list": ListRoute(shows=PATCH_STATE, cmdb=True),
    "patches:update_list": ListRoute(shows=PATCH_UPDATE, cmdb=True),
    "patches:group_list": ListRoute(shows=PATCH_GROUP, cmdb=True),
    "patches:import_list": ListRoute(shows=PATCH_IMPORT, cmdb=True),
    "api:patches-update-list": ListRoute(shows=PATCH_UPDATE, cmdb=True),
    "api:patches-group-list": ListRoute(shows=PATCH_GROUP, cmdb=True),
    "api:patches-compliance-list": ListRoute(shows=PATCH_STATE, cmdb=True),
    "api:patches-import-list": ListRoute(shows=PATCH_IMPORT, cmdb=True),
    "availability:capacity": ListRoute(shows=METRIC, cmdb=True),
    "availability:threshold_list": ListRoute(shows=THRESHOLD, cmdb=True),
    "availability:threshold_create": ListRoute(cmdb=True),
    "releases:list": ListRoute(shows=RELEASE, cmdb=True),
    "releases:create": ListRoute(cmdb=True),
    "releases:library": ListRoute(shows=LIBRARY_ITEM, cmdb=True),
    "releases:library_propose": ListRoute(cmdb=True),
    "api:release-list": ListRoute(shows=RELEASE, cmdb=True),
    "api:release-library-list": ListRoute(shows=LIBRARY_ITEM, cmdb=True),
    "api:change-list": ListRoute(shows=RFC, cmdb=True),
    "api:change-template-list": ListRoute(shows=TEMPLATE, cmdb=True),
    "api:change-freeze-window-list": ListRoute(shows=FREEZE, cmdb=True),
    "api:change-maintenance-window-list": ListRoute(shows=MAINTENANCE, cmdb=True),
    "api:change-board-list": ListRoute(shows=BOARD, cmdb=True),
    "changes:board_list": ListRoute(shows=BOARD, cmdb=True),
    "changes:board_create": ListRoute(cmdb=True),
    "changes:template_list": ListRoute(shows=TEMPLATE, cmdb=True),
    "changes:template_create": ListRoute(cmdb=True),
    # The forward schedule shows the maintenance windows in force; its calendar, the freezes (the world's changes
    # are drafts, not on the schedule).
    "changes:forward_schedule": ListRoute(shows=MAINTENANCE, cmdb=True),
    "changes:forward_schedule_ics": ListRoute(shows=FREEZE, cmdb=True),
    "changes:freeze_list": ListRoute(shows=FREEZE, cmdb=True),
    "changes:freeze_create": ListRoute(cmdb=True),
    "changes:maintenance_list": ListRoute(shows=MAINTENANCE, cmdb=True),
    "changes:maintenance_create": ListRoute(cmdb=True),
    "api:support-group-list": ListRoute(shows=GROUP),
    "incidents:create": ListRoute(creates=log_page_data),
    "api:incident-list": ListRoute(shows=INCIDENT, creates=log_api_data),
    "api:school-list": ListRoute(shows="fits.School"),
    "inventory:settings": ListRoute(),
    "inventory:submission_list": ListRoute(),
    "cmdb:import": ListRoute(cmdb=True),
    "cmdb:export": ListRoute(cmdb=True),
    "cmdb:audit": ListRoute(cmdb=True),
    "cmdb:ci_list": ListRoute(shows=CI, cmdb=True),
    "cmdb:ci_create": ListRoute(cmdb=True),
    "cmdb:location_list": ListRoute(shows="cmdb.Location", cmdb=True),
    "cmdb:location_create": ListRoute(cmdb=True),
    "cmdb:software_list": ListRoute(shows="cmdb.SoftwareProduct", cmdb=True),
    "cmdb:software_create": ListRoute(cmdb=True),
    "cmdb:licence_list": ListRoute(shows="cmdb.Licence", cmdb=True),
    "cmdb:licence_create": ListRoute(cmdb=True),
    "api:cmdb-item-list": ListRoute(shows=CI),
    "api:cmdb-location-list": ListRoute(shows="cmdb.Location"),
    "api:cmdb-port-list": ListRoute(shows="cmdb.Port"),
    "api:cmdb-cable-list": ListRoute(shows="cmdb.Cable"),
    "api:cmdb-relationship-list": ListRoute(shows="cmdb.Relationship"),
    "api:cmdb-software-list": ListRoute(shows="cmdb.SoftwareProduct"),
    "api:cmdb-installation-list": ListRoute(shows="cmdb.SoftwareInstallation"),
    "api:cmdb-licence-list": ListRoute(shows="cmdb.Licence"),
    "problems:list": ListRoute(shows="problems.Problem", cmdb=True),
    "problems:create": ListRoute(cmdb=True),
    "problems:known_error_list": ListRoute(shows="problems.KnownError", cmdb=True),
    "problems:candidates": ListRoute(shows=CANDIDATE, cmdb=True),
    "api:problem-candidate-list": ListRoute(shows=CANDIDATE, cmdb=True),
    "problems:report": ListRoute(cmdb=True),
    "problems:settings": ListRoute(cmdb=True),
    "api:problem-list": ListRoute(shows="problems.Problem", cmdb=True),
    "api:known-error-list": ListRoute(shows="problems.KnownError", cmdb=True),
    "notifications:list": ListRoute(),  # the person's own (RECORD_ROUTES opens another's: 404)
    "api:notification-list": ListRoute(),
    "notifications:templates": ListRoute(),  # the schools whose e-mails the person words
    "knowledge_list": ListRoute(shows=ARTICLE),
    "knowledge_create": ListRoute(),
    "knowledge_suggest": ListRoute(),
    "api:knowledge-article-list": ListRoute(shows=ARTICLE),
    # The workbench is for support staff (an ICT user is sent home); tests/servicedesk/test_workbench.py checks
    # which tickets each queue shows. Saved filters are their owner's: the list shows none of anyone else's.
    "workbench": ListRoute(),
    "workbench_poll": ListRoute(),
    "workbench_filter_lists": ListRoute(),
    "api:workbench-counts-list": ListRoute(),
    "api:saved-filter-list": ListRoute(),
    # Inbound mail is support staff's (an ICT user is refused the page, and the API lists nothing for them).
    "mail:inbound_list": ListRoute(),
    "mail:mailbox": ListRoute(),  # the network manager's; others are sent elsewhere
    "api:inbound-message-list": ListRoute(shows=INBOUND),
    # The service catalogue: what each person may request, their approvals, the editor (support staff's).
    "catalogue:index": ListRoute(shows=REQUEST_TYPE),
    "catalogue:approvals": ListRoute(),
    "catalogue:type_list": ListRoute(),
    "catalogue:type_create": ListRoute(),
    "api:request-type-list": ListRoute(shows=REQUEST_TYPE),
    "api:service-request-list": ListRoute(shows=SERVICE_REQUEST),
    "api:fulfilment-task-list": ListRoute(shows=TASK),
    # The portal and the phone form, their lookups (nothing listed until something is typed), my tickets.
    "incidents:mine": ListRoute(),
    "incidents:lookup_rooms": ListRoute(),
    "incidents:lookup_devices": ListRoute(),
    "incidents:lesson_hint": ListRoute(),
    "incidents:phone": ListRoute(creates=phone_page_data),
    "incidents:phone_callers": ListRoute(),
    "incidents:phone_priority": ListRoute(),
    "incidents:timetable": ListRoute(cmdb=True),
    "incidents:timetable_import": ListRoute(cmdb=True),
    "api:lesson-list": ListRoute(shows=LESSON),
    "safeguarding_leads": ListRoute(shows="fits.School"),
    # The service reports (servicelevels/report_views.py): ?school=<slug> picks the school, one the viewer cannot
    # see answers 404; support staff and ICT users are refused (403). tests/servicelevels/test_reports.py.
    **dict.fromkeys(
        [
            f"servicelevels:report_{name}"
            for name in ("list", "termly", "termly_pdf", "termly_csv", "pack", "pack_pdf", "pack_csv")
        ],
        ListRoute(),
    ),
    # The dashboards (servicelevels/dashboard_views.py, dashboard_api.py): ?school=<slug> picks the school (404 for
    # one the viewer cannot see); ICT users are refused the school's, all but consultants the authority's (403).
    # tests/servicelevels/test_dashboards.py.
    "servicelevels:dashboard": ListRoute(),
    "servicelevels:authority": ListRoute(),
    # The availability report (availability/report_views.py): ?school=<slug> or the switcher picks the school
    # (404 for one the viewer cannot see), else all the viewer's; ICT users are refused (403).
    # tests/availability/test_report.py.
    "availability:report": ListRoute(),
    # Tasks and preventative maintenance: support staff's (404 for anyone else, like the CMDB).
    "incidents:task_list": ListRoute(shows=PLANNED_TASK, cmdb=True),
    "incidents:task_create": ListRoute(cmdb=True),
    "api:task-list": ListRoute(shows=PLANNED_TASK, cmdb=True),
    "availability:maintenance_list": ListRoute(shows=SCHEDULE, cmdb=True),
    "availability:maintenance_create": ListRoute(cmdb=True),
    # FITS OM base and Systems Administration: support staff's (404 for anyone else, like the CMDB).
    "om:index": ListRoute(cmdb=True),
    "om:function": ListRoute(shows=ALLOCATION, cmdb=True),  # FIXED_KWARGS: the sysadmin function
    "om:policy_edit": ListRoute(cmdb=True),
    "om:allocation_create": ListRoute(cmdb=True),
    "api:om-policy-list": ListRoute(shows=POLICY, cmdb=True),
    "api:om-activity-list": ListRoute(shows=ALLOCATION, cmdb=True),
    "sysadmin:routines": ListRoute(shows=ROUTINE, cmdb=True),
    "sysadmin:routine_create": ListRoute(cmdb=True),
    "api:sysadmin-routine-list": ListRoute(shows=ROUTINE, cmdb=True),
    "sysadmin:servers": ListRoute(shows=SERVER, cmdb=True),
    "api:sysadmin-logbook-list": ListRoute(shows=LOGBOOK, cmdb=True),
    "sysadmin:runbooks": ListRoute(shows=RUN_BOOK, cmdb=True),
    "api:sysadmin-runbook-list": ListRoute(shows=RUN_BOOK, cmdb=True),
    "sysadmin:runbook_create": ListRoute(cmdb=True),
    "api:service-level-dashboard-list": ListRoute(refuses=True),
    "api:service-level-authority-list": ListRoute(refuses=True),
    # Sign-ins of a network manager's own school's people (tests/security/test_sign_in_record.py); 403 for others
    "sign_ins": ListRoute(refuses=True),
    # Security Administration: support staff reach the pages (404 for anyone else, like the CMDB); the breach log and
    # admin accounts list only what the network manager, leaders and administrators may read.
    "security:breach_list": ListRoute(shows=BREACH, cmdb=True),
    "security:breach_create": ListRoute(cmdb=True),  # the network manager and leaders; others are sent back
    "security:rule_list": ListRoute(shows=RULE, cmdb=True),
    "security:rule_create": ListRoute(cmdb=True),
    "security:antivirus": ListRoute(cmdb=True),
    "security:account_list": ListRoute(shows=ACCOUNT, cmdb=True),
    "security:account_create": ListRoute(cmdb=True),
    "security:account_import": ListRoute(cmdb=True),
    "security:categories": ListRoute(shows=CATEGORY, cmdb=True),
    "api:security-breach-list": ListRoute(shows=BREACH),
    "api:security-firewall-rule-list": ListRoute(shows=RULE),
    "api:security-antivirus-list": ListRoute(shows=ANTIVIRUS),
    "api:security-privileged-account-list": ListRoute(shows=ACCOUNT),
    "api:security-access-review-list": ListRoute(shows=ACCESS_REVIEW),
    # Storage Management (om/storage/): support staff reach the pages (404 for anyone else, like the CMDB)
    "storage:overview": ListRoute(cmdb=True),
    "storage:share_list": ListRoute(shows=SHARE, cmdb=True),
    "storage:share_create": ListRoute(cmdb=True),
    "storage:job_list": ListRoute(shows=BACKUP_JOB, cmdb=True),
    "storage:job_create": ListRoute(cmdb=True),
    "storage:report_list": ListRoute(shows=BACKUP_REPORT, cmdb=True),
    "storage:report_paste": ListRoute(cmdb=True),
    "storage:restore_list": ListRoute(shows=RESTORE, cmdb=True),
    "storage:expectations": ListRoute(cmdb=True),
    "storage:test_list": ListRoute(shows=RESTORE_TEST, cmdb=True),
    "api:storage-job-list": ListRoute(shows=BACKUP_JOB),
    "api:storage-backup-result-list": ListRoute(shows=BACKUP_RESULT),
    "api:storage-backup-report-list": ListRoute(shows=BACKUP_REPORT),
    "api:storage-restore-list": ListRoute(shows=RESTORE),
    "api:storage-restore-test-list": ListRoute(shows=RESTORE_TEST),
    # Financial Management (finance/): support staff, leaders and the LEA (404 for anyone else, like the CMDB); a page
    # about one school takes ?school=slug (404 for another school's)
    "finance:overview": ListRoute(cmdb=True),
    "finance:budget_edit": ListRoute(cmdb=True),
    "finance:expenditure_list": ListRoute(shows=EXPENDITURE, cmdb=True),
    "finance:expenditure_create": ListRoute(cmdb=True),
    "finance:expenditure_import": ListRoute(cmdb=True),
    "finance:expenditure_export": ListRoute(cmdb=True),
    "finance:supplier_list": ListRoute(shows=SUPPLIER, cmdb=True),
    "finance:supplier_create": ListRoute(cmdb=True),
    "finance:contract_list": ListRoute(shows=CONTRACT, cmdb=True),
    "finance:contract_create": ListRoute(cmdb=True),
    "finance:ci_costs": ListRoute(cmdb=True),
    "finance:tco": ListRoute(cmdb=True),
    "finance:support_cost": ListRoute(cmdb=True),
    "finance:reports": ListRoute(cmdb=True),
    "finance:reports_csv": ListRoute(cmdb=True),
    "finance:settings": ListRoute(cmdb=True),
    "api:finance-supplier-list": ListRoute(shows=SUPPLIER),
    "api:finance-contract-list": ListRoute(shows=CONTRACT),
    "api:finance-budget-list": ListRoute(shows=BUDGET),
    "api:finance-expenditure-list": ListRoute(shows=EXPENDITURE),
    "api:finance-ci-cost-list": ListRoute(),
    "api:finance-report-list": ListRoute(),
    # Service Continuity Management (continuity/): support staff reach the pages (404 for anyone else, like the CMDB)
    "continuity:overview": ListRoute(shows=PLAN, cmdb=True),
    "continuity:risk_list": ListRoute(shows=RISK, cmdb=True),
    "continuity:risk_matrix": ListRoute(cmdb=True),
    "continuity:risk_create": ListRoute(cmdb=True),
    "continuity:plan_list": ListRoute(shows=PLAN, cmdb=True),
    "continuity:plan_create": ListRoute(cmdb=True),
    "continuity:test_list": ListRoute(shows=CONTINUITY_TEST, cmdb=True),
    "api:continuity-risk-list": ListRoute(shows=RISK, cmdb=True),
    "api:continuity-plan-list": ListRoute(shows=PLAN, cmdb=True),
    "api:continuity-test-list": ListRoute(shows=CONTINUITY_TEST, cmdb=True),
    # Print and Output Management (om/printing/)
    "printing:printer_list": ListRoute(shows=PRINTER, cmdb=True),
    "printing:queue_list": ListRoute(shows=PRINT_QUEUE, cmdb=True),
    "printing:cartridge_list": ListRoute(shows=CARTRIDGE, cmdb=True),
    "printing:reorder": ListRoute(shows=CARTRIDGE, cmdb=True),
    "printing:usage": ListRoute(shows=PRINT_USAGE, cmdb=True),
    "printing:usage_export": ListRoute(shows=PRINT_USAGE, cmdb=True),
    "printing:policy": ListRoute(cmdb=True),
    "api:printing-printer-list": ListRoute(shows=PRINTER, cmdb=True),
    "api:printing-queue-list": ListRoute(shows=PRINT_QUEUE, cmdb=True),
    "api:printing-cartridge-list": ListRoute(shows=CARTRIDGE, cmdb=True),
    "api:printing-movement-list": ListRoute(shows=MOVEMENT, cmdb=True),
    "api:printing-usage-list": ListRoute(cmdb=True),  # ids and figures: its school slugs are checked
    # Directory Services Administration (om/directory/)
    "directory:overview": ListRoute(cmdb=True),
    "directory:account_list": ListRoute(shows=DIR_ACCOUNT, cmdb=True),
    "directory:group_list": ListRoute(shows=DIR_GROUP, cmdb=True),
    "directory:ou_list": ListRoute(shows=DIR_OU, cmdb=True),
    "directory:run_list": ListRoute(shows=DIR_RUN, cmdb=True),
    "directory:request_list": ListRoute(shows=DIR_REQUEST, cmdb=True),
    "directory:intake": ListRoute(shows=DIR_UPLOAD, cmdb=True),
    "directory:settings_create": ListRoute(cmdb=True),  # the network manager's; others are sent back
    "directory:reports": ListRoute(shows=DIR_ACCOUNT, cmdb=True),  # the disabled account is still in its group
    "api:directory-settings-list": ListRoute(shows=DIR_SETTINGS),
    "api:directory-account-list": ListRoute(shows=DIR_ACCOUNT),
    "api:directory-group-list": ListRoute(shows=DIR_GROUP),
    "api:directory-ou-list": ListRoute(shows=DIR_OU),
    "api:directory-change-list": ListRoute(shows=DIR_CHANGE),
    "api:directory-account-request-list": ListRoute(shows=DIR_REQUEST),
    "api:directory-sync-run-list": ListRoute(shows=DIR_RUN),
    # The strategies (fits/strategy/): 404 for ICT users, like the CMDB; the sections list their text
    "strategy:home": ListRoute(cmdb=True),
    "api:strategy-document-list": ListRoute(),
    "api:strategy-version-list": ListRoute(),
    "api:strategy-section-list": ListRoute(shows=STRATEGY_SECTION),
    # The FITS maturity assessment (fits/assessment/): 404 for ICT users, like the CMDB
    "assessment:home": ListRoute(cmdb=True),
    "assessment:history": ListRoute(cmdb=True),
    "assessment:lea": ListRoute(cmdb=True),
    "assessment:lea_export": ListRoute(cmdb=True),
    "api:assessment-list": ListRoute(),
    "api:assessment-answer-list": ListRoute(shows=ASSESSMENT_ANSWER),
}

NO_SCHOOL_DATA: dict[str, NoSchoolData] = {
    "strategy:create": NoSchoolData(
        "POST only: starts a strategy at one of the viewer's schools, chosen from their own (tests/strategy)",
        method="post",
    ),
    "sysadmin:routines_load": NoSchoolData(
        "loads the routine operations into the chosen school only, by the network manager (tests/om/sysadmin)",
        method="post",
    ),
    "incidents:timetable_import_confirm": NoSchoolData(
        "imports only a timetable this session previewed, into its school (tests/incidents/test_lessons.py)",
        method="post",
    ),
    "catalogue:type_preview": NoSchoolData("draws the catalogue editor's posted, unsaved questions", method="post"),
    "healthz": NoSchoolData("liveness: the database and cache answer", public=True),
    "login": NoSchoolData("the sign-in form", public=True),
    "logout": NoSchoolData("signs out", method="post", public=True),
    "password_change": NoSchoolData("the user's own password"),
    "password_change_done": NoSchoolData("a confirmation"),
    "two_factor": NoSchoolData("the person's own two-factor sign-in"),
    "two_factor_verify": NoSchoolData("the code of the person's own pending sign-in", public=True),
    "switch_school": NoSchoolData("takes only a school of the user's (test_switching_school_*)", method="post"),
    "api:token": NoSchoolData("exchanges a password for a token", method="post", public=True),
    "api:me": NoSchoolData("the user's own roles (test_me_shows_only_your_own_schools)"),
    "notifications:badge": NoSchoolData(
        "the person's own unread count; 286 (htmx: stop polling) when signed out", public=True
    ),
    "notifications:read_all": NoSchoolData("marks the person's own notifications read", method="post"),
    "api:notification-read-all": NoSchoolData("marks the person's own notifications read", method="post"),
    "notifications:settings": NoSchoolData("the person's own e-mail setting"),
    "api:schema": NoSchoolData("the OpenAPI description, the same for everyone", public=True),
    "api:docs": NoSchoolData("the browsable docs of the schema", public=True),
    "api:redoc": NoSchoolData("the ReDoc view of the schema", public=True),
    "api:api-root": NoSchoolData("links to the endpoints"),
    "workbench_bulk": NoSchoolData(
        "POST only: acts on ticked tickets among those the user may see (tests/servicedesk/test_workbench_bulk.py)",
        method="post",
    ),
    "saved_filter_create": NoSchoolData("POST only: saves a filter set for the user themself", method="post"),
    "availability:proposals_accept_all": NoSchoolData(
        "POST only: switches on the proposals of one of the viewer's schools (tests/availability/test_pages.py)",
        method="post",
    ),
    "cmdb:import_template": NoSchoolData("the import template: a heading row and two made-up example rows"),
    "cmdb:import_confirm": NoSchoolData(
        "imports only a file this session previewed, into the school it was previewed for "
        "(tests/cmdb/test_transfer.py)",
        method="post",
    ),
    "inventory:agent": NoSchoolData(
        "the agents' door: authenticates agents with a school's key, not people (tests/cmdb/test_inventory.py)",
        method="post",
        public=True,
    ),
    "security:review_start": NoSchoolData(
        "POST only: starts an access review at one of the viewer's schools (tests/om/security/test_register.py)",
        method="post",
    ),
    "assessment:start": NoSchoolData(
        "POST only: starts this year's assessment at one of the viewer's own schools (tests/assessment)", method="post"
    ),
    "directory:sync": NoSchoolData(
        "POST only: queues a sync of one of the viewer's schools, chosen from their own (tests/om/directory)",
        method="post",
    ),
}

# Values for the admin's URL kwargs; the admin is checked as a whole (test_admin_*).
ADMIN_KWARGS = {"object_id", "content_type_id", "app_label", "url", "id", "pk"}  # pk: django-otp's device pages


def routes() -> list[Route]:
    return list(iter_routes())


def routes_in(table: dict[str, Any]) -> list[Route]:
    return [route for route in routes() if route.key in table]


def url_of(route: Route, kwargs: dict[str, Any], fmt: str = "json") -> str:
    return route.url({**FIXED_KWARGS.get(route.key, {}), **kwargs, "format": fmt})


def send(client: Client, route: Route, method: str, url: str, data: dict[str, Any] | None = None):
    if method == "get":
        return client.get(url)
    if route.is_api:
        return getattr(client, method)(url, data or {}, format="json")
    return getattr(client, method)(url, data or {})


def clients(user: User, client_for, api_for) -> tuple[Client, APIClient]:
    return client_for(user), api_for(user)


# =============================================================================
# Every route is in a table
# =============================================================================


def test_every_route_is_classified():
    known = RECORD_ROUTES.keys() | LIST_ROUTES.keys() | NO_SCHOOL_DATA.keys()
    problems = []
    for route in routes():
        if route.is_admin:
            unknown = set(route.kwarg_names) - ADMIN_KWARGS - {"format"}
            if unknown:
                problems.append(f"admin route {route.route!r}: no value for {sorted(unknown)} in ADMIN_KWARGS")
        elif route.name is None:
            problems.append(f"{route.route!r} has no name: name it, then add it to a table in this module")
        elif route.key not in known:
            problems.append(
                f"{route.key!r} ({route.route!r}) is not covered by the isolation test: add it to RECORD_ROUTES "
                f"(one record: model and kwargs), LIST_ROUTES (lists, forms) or, if it shows nothing of any "
                f"school, NO_SCHOOL_DATA with the reason"
            )
        elif route.key in RECORD_ROUTES:
            spec = RECORD_ROUTES[route.key]
            record = type("Record", (), {"pk": 1, "slug": "x"})()
            missing = set(route.kwarg_names) - set(spec.kwargs(record)) - {"format"}
            if missing:
                problems.append(f"RECORD_ROUTES[{route.key!r}] does not fill {sorted(missing)}")
        elif route.kwarg_names and set(route.kwarg_names) - {"format"} - set(FIXED_KWARGS.get(route.key, {})):
            problems.append(f"{route.key!r} takes {route.kwarg_names}: it is about one record, use RECORD_ROUTES")
    routed = {route.key for route in routes()}
    problems += [f"{key!r} is in a table but no longer routed: remove it" for key in sorted(known - routed)]
    assert not problems, "\n".join(problems)


def test_the_walk_sees_pages_api_and_admin():
    keys = {route.key for route in routes()}
    assert {"home", "incidents:detail", "api:incident-list", "api:incident-activity", "admin:index"} <= keys


# =============================================================================
# One record: another school's answers 404 and does not change
# =============================================================================


def snapshot(world: World, keys: set[str]) -> dict[str, tuple]:
    """What an action could change on the incidents `keys`: status, assignee, timestamps, timeline."""
    state = {}
    for key in keys:
        incident = Incident.objects.get(pk=world.incidents[key].pk)
        entries = Activity.objects.filter(object_id=incident.pk, school_id=incident.school_id).count()
        state[key] = (incident.status, incident.assignee_id, incident.updated_at, entries)
    return state


@pytest.mark.parametrize("viewer", list(SEES))
def test_another_schools_record_answers_like_a_missing_one(viewer, world, client_for, api_for):
    user = world.people[viewer]
    page, api = clients(user, client_for, api_for)
    sees = SEES[viewer]
    hidden_incidents = set(INCIDENTS) - sees.incidents
    before = snapshot(world, hidden_incidents)
    hidden_cmdb = set(world.schools) - sees.keys(CI)
    cmdb_before = cmdb_snapshot(world, hidden_cmdb)
    markers = forbidden_markers(world, viewer)
    problems = []
    for route in routes_in(RECORD_ROUTES):
        spec = RECORD_ROUTES[route.key]
        client = api if route.is_api else page
        for key, record in world.records(spec.model).items():
            url = url_of(route, spec.kwargs(record))
            response = send(client, route, spec.method, url, spec.data)
            status = response.status_code
            where = f"{spec.method.upper()} {url} ({route.key}, {key}) as {viewer}"
            if key in sees.keys(spec.model):
                sent_back = (
                    spec.readers_sent_back and status == 302 and response["Location"] == record.get_absolute_url()
                )
                if spec.method == "get" and status != 200 and not sent_back:
                    problems.append(f"{where}: {status}, expected 200 (the viewer may see it)")
                elif status == 404 or status >= 500:
                    problems.append(f"{where}: {status}, expected the action to be handled")
            elif status != 404:
                problems.append(f"{where}: {status}, expected 404 like a missing record")
            if status == 200:
                problems += [f"{where} shows {leak}" for leak in leaks(response, markers)]
            if route.is_api and spec.method == "get" and key not in sees.keys(spec.model):
                for method in ("put", "patch", "delete"):
                    response = send(client, route, method, url, {"title": "changed"})
                    if response.status_code not in (404, 405):
                        problems.append(f"{method.upper()} {url} as {viewer}: {response.status_code}, expected 404/405")
    after = snapshot(world, hidden_incidents)
    problems += [
        f"incident {key} changed: {before[key]} -> {after[key]}" for key in before if before[key] != after[key]
    ]
    cmdb_after = cmdb_snapshot(world, hidden_cmdb)
    problems += [f"the CMDB of {slug} changed: {cmdb_before[slug]} -> {cmdb_after[slug]}" for slug in cmdb_before
                 if cmdb_before[slug] != cmdb_after[slug]]  # fmt: skip
    assert not problems, "\n".join(problems)


def cmdb_snapshot(world: World, slugs: set[str]) -> dict[str, tuple]:
    """What an action could change in the CMDB of the schools `slugs`: the switch, the spare cable and link."""
    from cmdb.models import Cable, ConfigurationItem, Relationship

    state = {}
    for slug in slugs:
        switch = ConfigurationItem.objects.get(pk=world.cmdb[CI][slug].pk)
        cable = Cable.objects.filter(pk=world.cmdb["cmdb.Cable:spare"][slug].pk).exists()
        link = Relationship.objects.filter(pk=world.cmdb["cmdb.Relationship:spare"][slug].pk).exists()
        state[slug] = (switch.status, switch.updated_at, cable, link)
    return state


# =============================================================================
# Lists, home pages and forms show nothing of another school
# =============================================================================


def list_queries(world: World, viewer: str) -> list[str]:
    """The plain list, and lists filtered to each school the viewer cannot see (must be empty or refused)."""
    queries = [""]
    for slug, school in world.schools.items():
        if slug not in SEES[viewer].schools:
            queries += [f"?school={slug}", f"?school_id={school.pk}"]
    return queries


@pytest.mark.parametrize("viewer", list(SEES))
def test_lists_show_nothing_of_another_school(viewer, world, client_for, api_for):
    user = world.people[viewer]
    page, api = clients(user, client_for, api_for)
    problems = []
    for route in routes_in(LIST_ROUTES):
        spec = LIST_ROUTES[route.key]
        client = api if route.is_api else page
        # JSON and the browsable API (its filter form lists choices too), by suffix or by ?format=
        formats = ["json", "api"] if route.is_api else ["json"]
        for fmt in formats:
            url = url_of(route, {}, fmt)
            in_query = f"format={fmt}" if route.is_api and "format" not in route.kwarg_names else ""
            for school_filter in list_queries(world, viewer):
                params = "&".join(part for part in (school_filter.lstrip("?"), in_query) if part)
                query = f"?{params}" if params else ""
                response = client.get(url + query)
                where = f"GET {url}{query} as {viewer}"
                if school_filter and response.status_code in (400, 404):
                    continue  # a filter naming a school the viewer cannot see is refused, or missing: fine
                if response.status_code in (302, 403) and not route.is_api and not spec.shows:
                    continue  # a form the viewer may not use sends them elsewhere or refuses (the desk importing)
                if response.status_code == 403 and spec.refuses:
                    continue  # an endpoint for some roles only refuses the others
                if spec.cmdb and response.status_code == 404 and SEES[viewer].cmdb == frozenset():
                    continue  # the CMDB is not there for an ICT user
                if response.status_code != 200:
                    problems.append(f"{where}: {response.status_code}, expected 200")
                    continue
                filtered = bool(school_filter)
                markers = forbidden_markers(world, viewer, slugs=not filtered)
                problems += [f"{where} shows {leak}" for leak in leaks(response, markers)]
                if spec.shows and not filtered:
                    visible = SEES[viewer].keys(spec.shows)
                    shown = {key for key in visible if shown_in(response, world, spec.shows, key)}
                    if visible and not shown:
                        problems.append(f"{where} shows none of {sorted(visible)}: is the route filled right?")
    assert not problems, "\n".join(problems)


def shown_in(response, world: World, model: str, key: str) -> bool:
    content = body(response)
    if model == INCIDENT:
        return f"[secret:{key}]" in content
    if model.startswith(SECURITY_READERS_ONLY):
        return security_of(key) in content
    if model.startswith("security."):
        return cmdb_of(key) in content
    if model.startswith(
        (
            "cmdb.",
            "problems.",
            "changes.",
            "releases.",
            INBOUND,
            LESSON,
            PLANNED_TASK,
            "availability.",
            "patches.",
            "om.",
            "sysadmin.",
            "printing.",
            "storage.",
            "directory.",
            "continuity.",
            "assessment.",
            "strategy.",
            "finance.",
        )
    ):
        return cmdb_of(key) in content
    if model == ARTICLE:
        return world.articles[key].title in content
    if model in (SERVICE_REQUEST, TASK):
        record = world.records(model)[key]
        return (record.ticket.title if model == SERVICE_REQUEST else record.title) in content
    if model == SUBSCRIPTION:
        return world.records(model)[key].notes in content
    return world.records(model)[key].name in content


def test_filtering_the_api_by_another_school_returns_none_of_its_rows(world, api_for):
    tech = world.people["tech"]
    response = api_for(tech).get("/api/incidents/?school=riverside")
    assert response.status_code == 400 or response.json()["results"] == []
    response = api_for(tech).get(f"/api/incidents/?school_id={world.schools['westfield'].pk}")
    assert response.status_code == 400 or response.json()["results"] == []
    assert "[secret:riverside]" not in api_for(tech).get("/api/incidents/?q=secret").content.decode()


@pytest.mark.parametrize("viewer", [viewer for viewer in SEES if viewer != "admin"])
def test_nobody_logs_at_another_school_or_for_its_people(viewer, world, client_for, api_for):
    user = world.people[viewer]
    page, api = clients(user, client_for, api_for)
    sees = SEES[viewer]
    strangers = [
        person for name, person in world.people.items() if name != "admin" and not (SEES[name].schools & sees.schools)
    ]
    own_school = world.schools[sorted(sees.schools)[0]]
    problems = []
    for n, route in enumerate(routes_in({k: v for k, v in LIST_ROUTES.items() if v.creates})):
        client = api if route.is_api else page
        url = url_of(route, {})
        for slug, school in world.schools.items():
            if slug in sees.schools:
                continue
            title = f"Logged elsewhere {n} {slug}"
            response = send(client, route, "post", url, LIST_ROUTES[route.key].creates(school, None, title))
            if Incident.objects.filter(title=title).exists():
                problems.append(f"POST {url} as {viewer} logged an incident at {slug} ({response.status_code})")
        for stranger in strangers:
            title = f"Logged for a stranger {n} {stranger.username}"
            send(client, route, "post", url, LIST_ROUTES[route.key].creates(own_school, stranger, title))
            if Incident.objects.filter(title=title, reporter=stranger).exists():
                problems.append(f"POST {url} as {viewer} logged an incident for {stranger} of another school")
    assert not problems, "\n".join(problems)


# =============================================================================
# The school switcher and /api/me/
# =============================================================================


def test_switching_school_to_another_school_is_refused(world, client_for):
    client = client_for(world.people["tech"])
    client.post(reverse("switch_school"), {"school": "riverside", "next": "/incidents/"})
    assert client.session.get(SESSION_KEY) != world.schools["riverside"].pk
    content = client.get("/incidents/").content.decode()
    assert "[secret:riverside]" not in content and "[secret:highfield-tech]" in content


def test_switching_school_by_forging_the_session_shows_nothing_of_it(world, client_for):
    client = client_for(world.people["tech"])
    session = client.session
    session[SESSION_KEY] = world.schools["riverside"].pk
    session.save()
    for url in ("/", "/incidents/"):
        content = client.get(url).content.decode()
        assert "[secret:riverside]" not in content and "Riverside Academy" not in content, url


@pytest.mark.parametrize("viewer", list(SEES))
def test_me_shows_only_your_own_schools(viewer, world, api_for):
    response = api_for(world.people[viewer]).get("/api/me/")
    assert response.status_code == 200
    assert set(response.json()["schools"]) == SEES[viewer].schools


# =============================================================================
# Anonymous visitors and the admin
# =============================================================================


def test_anonymous_visitors_are_sent_to_sign_in(world):
    page, api = Client(), APIClient()
    login = reverse("login")
    record = {"incidents.Incident": world.incidents["highfield-staff"], "fits.School": world.schools["highfield"]}
    record["cmdb.InventorySubmission"] = world.submissions["highfield"]
    record[ARTICLE] = world.articles["highfield"]
    record.update({model: records["highfield"] for model, records in world.cmdb.items()})
    requests: list[tuple[Route, str, dict[str, Any]]] = []
    for route in routes():
        if route.key in RECORD_ROUTES:
            spec = RECORD_ROUTES[route.key]
            requests.append((route, spec.method, spec.kwargs(record[spec.model])))
        elif route.key in LIST_ROUTES:
            requests.append((route, "get", {}))
            if LIST_ROUTES[route.key].creates:
                requests.append((route, "post", {}))
        elif route.key in NO_SCHOOL_DATA and not NO_SCHOOL_DATA[route.key].public:
            requests.append((route, NO_SCHOOL_DATA[route.key].method, {}))
    problems = []
    for route, method, kwargs in requests:
        url = url_of(route, kwargs)
        response = send(api if route.is_api else page, route, method, url)
        where = f"anonymous {method.upper()} {url} ({route.key})"
        if route.is_api:
            if response.status_code not in (401, 403):
                problems.append(f"{where}: {response.status_code}, expected 401 or 403")
        elif response.status_code != 302 or not response["Location"].startswith(login):
            problems.append(f"{where}: {response.status_code}, expected a redirect to {login}")
    for key, spec in NO_SCHOOL_DATA.items():
        if spec.public:
            (route,) = [r for r in routes() if r.key == key and "format" not in r.kwarg_names]
            response = send(api if route.is_api else page, route, spec.method, route.url({}))
            if response.status_code >= 500:
                problems.append(f"public {key}: {response.status_code}")
    assert not problems, "\n".join(problems)


def admin_url(route: Route, world: World) -> str:
    incident = world.incidents["riverside"]
    values = {
        "object_id": incident.pk,
        "content_type_id": ContentType.objects.get_for_model(Incident).pk,
        "app_label": "incidents",
        "url": "no-such-page/",
        "id": world.people["tech2"].pk,
        "pk": incident.pk,  # django-otp's TOTP device config and QR pages (no such device: the admin's own 404)
        "format": "json",
    }
    return route.url(values, args=[incident.pk] * route.positional)


@pytest.mark.parametrize("viewer", ["anonymous", "tech", "consultant", "staff"])
def test_the_admin_is_closed_to_everyone_but_administrators(viewer, world, client_for):
    client = Client() if viewer == "anonymous" else client_for(world.people[viewer])
    admin_login, admin_index = reverse("admin:login"), reverse("admin:index")
    problems = []
    for route in routes():
        if not route.is_admin or route.name == "admin:login":
            continue
        url = admin_url(route, world)
        response = client.get(url)
        location = response.get("Location", "")
        allowed = (admin_login, admin_index) if route.name == "admin:logout" else (admin_login,)
        if response.status_code != 302 or not location.startswith(allowed):
            problems.append(f"GET {url} ({route.key}) as {viewer}: {response.status_code} {location}")
    assert not problems, "\n".join(problems)


def test_the_admin_scopes_school_owned_models_for_staff_who_are_not_superusers(world, client_for):
    """Should someone be made staff without being a superuser, the admin still shows only their schools."""
    tech = world.people["tech"]
    scoped = {
        model: model_admin for model, model_admin in admin.site._registry.items() if hasattr(model, "school_path")
    }
    assert scoped, "no school-owned model is in the admin?"
    tech.is_staff = True
    tech.save(update_fields=["is_staff"])
    content_types = ContentType.objects.get_for_models(*scoped).values()
    tech.user_permissions.set(Permission.objects.filter(content_type__in=content_types))
    tech = User.objects.get(pk=tech.pk)
    request = RequestFactory().get("/admin/")
    request.user = tech
    problems = []
    for model, model_admin in scoped.items():
        elsewhere = {f"{model.school_path}__in": tech.visible_school_ids}
        if not model._default_manager.exclude(**elsewhere).exists():
            problems.append(f"the world has no {model._meta.label} outside highfield: the check would be vacuous")
        leaked = model_admin.get_queryset(request).exclude(**elsewhere)
        if leaked.exists():
            problems.append(f"admin of {model._meta.label} shows {leaked.count()} rows of other schools")
    client = client_for(tech)
    markers = forbidden_markers(world, "tech", slugs=False)
    changelist = client.get(reverse("admin:incidents_incident_changelist"))
    assert changelist.status_code == 200
    problems += [f"admin changelist shows {leak}" for leak in leaks(changelist, markers)]
    for key in ("riverside", "highfield-tech"):
        change = client.get(reverse("admin:incidents_incident_change", args=[world.incidents[key].pk]))
        if change.status_code == 200:
            problems += [f"admin change page of incident {key} shows {leak}" for leak in leaks(change, markers)]
    assert not problems, "\n".join(problems)


def test_administrators_still_see_every_school_in_the_admin(world, client_for):
    client = client_for(world.people["admin"])
    changelist = client.get(reverse("admin:incidents_incident_changelist"))
    assert changelist.status_code == 200
    assert all(f"[secret:{key}]" in changelist.content.decode() for key in INCIDENTS)
    change = client.get(reverse("admin:incidents_incident_change", args=[world.incidents["westfield"].pk]))
    assert change.status_code == 200 and "Westfield High School" in change.content.decode()


# =============================================================================
# Security incidents (om.security): narrower than the school, like safeguarding concerns
# =============================================================================

SECURITY_INCIDENT = "Phishing link clicked in the office [security-incident]"


@pytest.mark.parametrize("viewer", ["tech", "desk", "staff"])
def test_a_security_incident_reaches_no_technician_desk_or_ict_user_anywhere(viewer, world, client_for, api_for):
    """An incident in a security category at highfield, logged by its network manager and assigned to nobody, is in
    no list, home page, search, form or endpoint of highfield's technician, desk or ICT user (the walk of every
    listed route, searched too), and each of its pages and endpoints answers them 404."""
    from om.security.services import category_mark_security

    netmgr, highfield = world.people["netmgr"], world.schools["highfield"]
    category = services.category_save(actor=netmgr, school=highfield, name="Security incident")
    category = category_mark_security(category=category, actor=netmgr, is_security=True)
    incident = services.incident_log(school=highfield, logged_by=netmgr, title=SECURITY_INCIDENT,
                                     description="Credentials typed into a fake login page.", impact=2, urgency=2,
                                     category=category)  # fmt: skip
    assert incident.security
    page, api = clients(world.people[viewer], client_for, api_for)
    problems = []
    for route in routes_in(LIST_ROUTES):
        client = api if route.is_api else page
        for fmt in ["json", "api"] if route.is_api else ["json"]:
            in_query = f"format={fmt}" if route.is_api and "format" not in route.kwarg_names else ""
            for search in ("", "q=Phishing"):
                params = "&".join(part for part in (search, in_query) if part)
                url = url_of(route, {}, fmt) + (f"?{params}" if params else "")
                if "[security-incident]" in body(client.get(url)):
                    problems.append(f"GET {url} as {viewer} shows the security incident")
    for route in routes_in(RECORD_ROUTES):
        spec = RECORD_ROUTES[route.key]
        if spec.model == INCIDENT and spec.method == "get":
            url = url_of(route, spec.kwargs(incident))
            status = send(api if route.is_api else page, route, "get", url).status_code
            if status != 404:
                problems.append(f"GET {url} as {viewer}: {status}, expected 404")
    assert not problems, "\n".join(problems)
    # Those who may see it do: the network manager (its reporter) and the school's leader.
    for allowed in ("netmgr", "leader"):
        assert SECURITY_INCIDENT in client_for(world.people[allowed]).get(incident.get_absolute_url()).content.decode()
