"""Generate a believable local authority at scale, fast, for the benchmarks (`make bench`, tests/perf).

At `--schools 500` (the defaults per school): 250,000 configuration items (25,000 of them monitored), 1.5 million
incidents and service requests with their timelines, 100,000 desktops with 50 approved updates each (5 million
compliance states and the imported reports they rest on) and 20,000 people. Rows go straight into the real tables
(COPY on PostgreSQL, executemany on SQLite) with ids taken from each table's sequence; what the product keeps
consistent on every write is kept here too: reference counters, SLA clocks (agreement, targets and due times),
the patch evidence behind every compliance state, the monitoring checks' next runs.
"""

from __future__ import annotations

import random
import time
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from availability.models import Check, CheckKind
from availability.models import State as CheckState
from cmdb.models import ConfigurationItem, Kind, LifecycleStatus, Location
from fits.management.commands._scale import Tally, Writer
from fits.models import (
    Activity,
    Authority,
    AuthorityRole,
    AuthorityRoleKind,
    Membership,
    ReferenceSequence,
    Role,
    School,
    User,
)
from incidents.models import Category, Channel, Incident, ResolutionCode, Status, SupportGroup, TicketKind
from om.patches.models import (
    Approval,
    ComplianceState,
    Decision,
    InstalledUpdate,
    PatchGroup,
    Severity,
    Update,
    UpdateKind,
)
from om.patches.models import State as PatchState
from servicelevels.models import Agreement, ITService, ServiceTarget

# The people of a school: (role, how many, username stem).
STAFF = [
    (Role.NETWORK_MANAGER, 1, "netmgr"),
    (Role.TECHNICIAN, 3, "tech"),
    (Role.DESK, 1, "desk"),
    (Role.SCHOOL_LEADER, 1, "leader"),
]
# The kinds of a school's configuration items, by share; desktops are the patched endpoints.
CI_MIX = [
    (Kind.DESKTOP, 0.40),
    (Kind.LAPTOP, 0.24),
    (Kind.TABLET, 0.10),
    (Kind.DISPLAY, 0.08),
    (Kind.PRINTER, 0.05),
    (Kind.SWITCH, 0.04),
    (Kind.ACCESS_POINT, 0.05),
    (Kind.SERVER, 0.02),
    (Kind.PERIPHERAL, 0.02),
]
MONITORED_KINDS = {Kind.SWITCH, Kind.ACCESS_POINT, Kind.SERVER, Kind.PRINTER}
TROUBLES = ["Printer", "Projector", "Laptop", "Wi-Fi", "MIS", "Whiteboard", "E-mail", "Login", "Tablet", "Scanner"]
FAULTS = ["not working", "slow", "keeps freezing", "shows an error", "will not start", "no sound", "offline"]
REQUESTS = ["New starter account", "Install software", "Move a PC", "Password reset", "Projector bulb", "Toner"]
CATEGORIES = ["Hardware", "Software", "Network", "Printing", "Accounts", "AV", "MIS", "E-mail", "Telephony", "Other"]
# Minutes to respond and to resolve by priority (1 critical .. 5 planning).
TARGETS = {1: (30, 240), 2: (60, 480), 3: (240, 1440), 4: (480, 2880), 5: (960, 7200)}
YEARS = 3


class Command(BaseCommand):
    help = (
        "Generate a large local authority for the benchmarks: --schools N schools with their people, CMDB, "
        "monitoring checks, incidents and requests with timelines, SLAs and patch compliance. At N=500: 250,000 CIs "
        "(25,000 monitored), 1.5 million tickets, 100,000 desktops x 50 updates, 20,000 people. Uses COPY on "
        "PostgreSQL, executemany on SQLite (keep N small there). Deterministic with --seed. Everyone's password is "
        "--password (default 'scale'); usernames are <school slug>-<role><n>, e.g. scale-0001-tech1, and the "
        "authority's consultant is <authority>-consultant. Refuses to run twice for the same --authority."
    )

    def add_arguments(self, parser):
        parser.add_argument("--schools", type=int, default=50, help="How many schools (default 50; 500 for an LEA).")
        parser.add_argument("--seed", type=int, default=11, help="Random seed: the same seed, the same data.")
        parser.add_argument("--authority", default="scale", help="Slug of the authority to create (default scale).")
        parser.add_argument("--people", type=int, default=40, help="People per school (default 40).")
        parser.add_argument("--cis", type=int, default=500, help="Configuration items per school (default 500).")
        parser.add_argument("--monitored", type=int, default=50, help="Monitored CIs per school (default 50).")
        parser.add_argument("--tickets", type=int, default=3000, help="Incidents and requests per school (3000).")
        parser.add_argument("--updates", type=int, default=50, help="Approved updates per desktop (default 50).")
        parser.add_argument("--password", default="scale", help="Password of every generated login.")

    def handle(self, *args, **options):
        if options["schools"] < 1:
            raise CommandError("--schools must be at least 1")
        if Authority.objects.filter(slug=options["authority"]).exists():
            raise CommandError(f"Authority '{options['authority']}' exists already: drop the database or pick another")
        tally = Tally()
        generator = Generator(options, tally, self.stdout)
        with transaction.atomic(), generator.w.without_triggers():
            generator.run()
        if connection.vendor == "postgresql":
            step = time.perf_counter()
            # VACUUM as well: the rows are new, so no page is yet marked all-visible and every index-only scan
            # (the lists' counts) would read the table too, until autovacuum came by (it is off on some machines).
            # (VACUUM cannot run inside a transaction: a caller's, e.g. a test's, gets the statistics alone.)
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)")
            self.stdout.write(f"  vacuum and analyze: {time.perf_counter() - step:.1f} s")
        seconds = tally.seconds
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated {tally.total:,} rows in {seconds:.1f} s: {tally.total / max(seconds, 1e-9):,.0f} rows/s "
                f"({options['schools']} schools, {connection.vendor})"
            )
        )
        for table, count in sorted(tally.rows.items(), key=lambda item: -item[1]):
            self.stdout.write(f"  {table:40} {count:>12,}")


class Generator:
    def __init__(self, options, tally: Tally, out):
        self.o = options
        self.rng = random.Random(options["seed"])
        self.now = timezone.now().replace(microsecond=0)
        self.w = Writer(now=self.now, tally=tally)
        self.out = out

    def step(self, name: str, started: float) -> None:
        self.out.write(f"  {name}: {time.perf_counter() - started:.1f} s ({self.w.tally.total:,} rows so far)")

    def run(self) -> None:
        t = time.perf_counter()
        self.people()
        self.step("authority, schools, people", t)
        t = time.perf_counter()
        self.places_and_config()
        self.step("locations, groups, categories, services, agreements", t)
        t = time.perf_counter()
        with self.w.indexes_after(ConfigurationItem):
            self.items()
        self.step("configuration items and checks", t)
        t = time.perf_counter()
        with self.w.indexes_after(Incident, Activity):
            self.tickets()
        self.step("incidents, requests and timelines", t)
        t = time.perf_counter()
        with self.w.indexes_after(InstalledUpdate, ComplianceState):
            self.patches()
        self.step("patch baselines and compliance", t)

    # people ---------------------------------------------------------------------------------------------------

    def people(self) -> None:
        o, w = self.o, self.w
        slug = o["authority"]
        self.authority = Authority.objects.create(name=f"{slug.title()} LEA (generated)", slug=slug, code="999")
        n = o["schools"]
        first = w.allocate(School, n)
        self.school_ids = list(range(first, first + n))
        self.slugs = [f"{slug}-{i + 1:04d}" for i in range(n)]
        w.write(
            School,
            ["id", "authority_id", "name", "slug", "phase"],
            (
                (sid, self.authority.pk, f"{slug.title()} School {i + 1}", self.slugs[i], "secondary")
                for i, sid in enumerate(self.school_ids)
            ),
        )
        password = make_password(o["password"])
        per_school = max(o["people"], sum(count for _, count, _ in STAFF) + 1)
        first_user = w.allocate(User, n * per_school + 1)
        self.users: dict[int, dict[str, list[int]]] = {}
        user_rows, memberships = [], []
        uid = first_user
        for i, sid in enumerate(self.school_ids):
            cast: dict[str, list[int]] = {}
            stems = [(role, count, stem) for role, count, stem in STAFF]
            stems.append((Role.ICT_USER, per_school - sum(c for _, c, _ in STAFF), "user"))
            for role, count, stem in stems:
                for k in range(count):
                    username = f"{self.slugs[i]}-{stem}{k + 1}"
                    user_rows.append(
                        (uid, username, password, f"{stem.title()}{k + 1}", f"School{i + 1}", f"{username}@example.org")
                    )
                    memberships.append((uid, sid, role))
                    cast.setdefault(role, []).append(uid)
                    uid += 1
            self.users[sid] = cast
        self.consultant = uid
        user_rows.append((uid, f"{slug}-consultant", password, "Lea", "Consultant", f"{slug}-consultant@example.org"))
        w.write(User, ["id", "username", "password", "first_name", "last_name", "email"], user_rows)
        w.write(
            Membership,
            ["id", "user_id", "school_id", "role"],
            ((w_id, *m) for w_id, m in zip(self._ids(Membership, len(memberships)), memberships, strict=True)),
        )
        AuthorityRole.objects.create(
            user_id=self.consultant, authority=self.authority, role=AuthorityRoleKind.CONSULTANT
        )

    def _ids(self, model, count: int) -> range:
        first = self.w.allocate(model, count)
        return range(first, first + count)

    # places and configuration ---------------------------------------------------------------------------------

    def places_and_config(self) -> None:
        w, n = self.w, len(self.school_ids)
        # Per school: a site, two buildings, twenty rooms.
        ids = iter(self._ids(Location, n * 23))
        rows, self.rooms = [], {}
        for sid in self.school_ids:
            site = next(ids)
            rows.append((site, sid, Location.Kind.SITE, "Main site", None))
            rooms = []
            for b in range(2):
                building = next(ids)
                rows.append((building, sid, Location.Kind.BUILDING, f"Block {'AB'[b]}", site))
                for r in range(10):
                    room = next(ids)
                    rows.append((room, sid, Location.Kind.ROOM, f"{'AB'[b]}{r + 1:02d}", building))
                    rooms.append(room)
            self.rooms[sid] = rooms
        w.write(Location, ["id", "school_id", "kind", "name", "parent_id"], rows)
        # The authority's categories, shared by its schools; one support group per school.
        cat_ids = self._ids(Category, len(CATEGORIES))
        w.write(
            Category,
            ["id", "authority_id", "name"],
            ((cid, self.authority.pk, name) for cid, name in zip(cat_ids, CATEGORIES, strict=True)),
        )
        self.categories = list(cat_ids)
        group_ids = self._ids(SupportGroup, n)
        w.write(
            SupportGroup,
            ["id", "school_id", "name"],
            ((gid, sid, "ICT team") for gid, sid in zip(group_ids, self.school_ids, strict=True)),
        )
        self.groups = dict(zip(self.school_ids, group_ids, strict=True))
        through = SupportGroup.members.through
        members = [
            (gid, uid)
            for sid, gid in self.groups.items()
            for uid in self.users[sid][Role.TECHNICIAN] + self.users[sid][Role.NETWORK_MANAGER]
        ]
        w.write(
            through,
            ["id", "supportgroup_id", "user_id"],
            ((mid, *m) for mid, m in zip(self._ids(through, len(members)), members, strict=True)),
        )
        # One default IT service and one agreed SLA with a target per priority and kind, per school.
        service_ids = self._ids(ITService, n)
        w.write(
            ITService,
            ["id", "school_id", "name", "is_default"],
            (
                (svc, sid, "Teaching and learning ICT", True)
                for svc, sid in zip(service_ids, self.school_ids, strict=True)
            ),
        )
        self.services = dict(zip(self.school_ids, service_ids, strict=True))
        agreement_ids = self._ids(Agreement, n)
        today = self.now.date()
        w.write(
            Agreement,
            ["id", "school_id", "name", "status", "starts", "review_date", "owner_id", "agreed_at"],
            (
                (
                    aid,
                    sid,
                    "ICT support SLA",
                    Agreement.Status.AGREED,
                    today - timedelta(days=365 * YEARS + 30),
                    today + timedelta(days=180),
                    self.users[sid][Role.NETWORK_MANAGER][0],
                    self.now - timedelta(days=365 * YEARS),
                )
                for aid, sid in zip(agreement_ids, self.school_ids, strict=True)
            ),
        )
        self.agreements = dict(zip(self.school_ids, agreement_ids, strict=True))
        targets = [
            (aid, priority, kind, *TARGETS[priority])
            for aid in agreement_ids
            for priority in TARGETS
            for kind in (TicketKind.INCIDENT, TicketKind.REQUEST)
        ]
        w.write(
            ServiceTarget,
            ["id", "agreement_id", "priority", "ticket_kind", "response_minutes", "resolution_minutes"],
            ((tid, *t) for tid, t in zip(self._ids(ServiceTarget, len(targets)), targets, strict=True)),
        )

    # configuration items and monitoring -----------------------------------------------------------------------

    def items(self) -> None:
        w, rng, per = self.w, self.rng, self.o["cis"]
        kinds: list[str] = []
        for kind, share in CI_MIX:
            kinds += [kind] * round(per * share)
        kinds = (kinds + [Kind.PERIPHERAL] * per)[:per]
        # Monitored: the infrastructure first (switches, access points, servers, printers), up to --monitored.
        monitored_at = [i for i, kind in enumerate(kinds) if kind in MONITORED_KINDS][: self.o["monitored"]]
        n = len(self.school_ids)
        first = w.allocate(ConfigurationItem, n * per)
        self.cis: dict[int, list[int]] = {}
        self.desktops: dict[int, list[int]] = {}
        self.monitored: dict[int, list[int]] = {}
        columns = [
            "id", "school_id", "name", "kind", "status", "location_id", "manufacturer", "model_name", "serial",
            "asset_tag", "management_address", "purchase_date", "warranty_end", "last_inventory_at",
        ]  # fmt: skip
        prefix = {Kind.DESKTOP: "PC", Kind.LAPTOP: "LT", Kind.TABLET: "TAB", Kind.SWITCH: "SW", Kind.SERVER: "SRV"}

        def rows():
            cid = first
            for s, sid in enumerate(self.school_ids):
                rooms = self.rooms[sid]
                ids = list(range(cid, cid + per))
                self.cis[sid] = ids
                self.desktops[sid] = [ids[i] for i, kind in enumerate(kinds) if kind == Kind.DESKTOP]
                self.monitored[sid] = [ids[i] for i in monitored_at]
                for i, kind in enumerate(kinds):
                    bought = self.now.date() - timedelta(days=rng.randint(30, 365 * 6))
                    yield (
                        cid,
                        sid,
                        f"{prefix.get(kind, kind[:3].upper())}-{s + 1:04d}-{i + 1:04d}",
                        kind,
                        LifecycleStatus.LIVE if rng.random() < 0.96 else LifecycleStatus.IN_REPAIR,
                        rooms[i % len(rooms)],
                        rng.choice(["Dell", "HP", "Lenovo", "Cisco", "Epson", "Ubiquiti"]),
                        f"Model {rng.randint(100, 999)}",
                        f"SN{sid:05d}{i:05d}",
                        f"A{s + 1:04d}-{i + 1:05d}",
                        f"10.{s // 250}.{s % 250}.{i % 250 + 1}" if kind in MONITORED_KINDS else "",
                        bought,
                        bought + timedelta(days=365 * 4),
                        self.now - timedelta(hours=rng.randint(1, 24 * 10)) if kind == Kind.DESKTOP else None,
                    )
                    cid += 1

        w.write(ConfigurationItem, columns, rows())
        # One ping check per monitored CI, 10 % of them down.
        checks = [(sid, ci) for sid in self.school_ids for ci in self.monitored[sid]]
        ids = self._ids(Check, len(checks))
        w.write(
            Check,
            ["id", "school_id", "ci_id", "kind", "name", "target", "status", "state", "state_since", "next_run_at"],
            (
                (
                    chk,
                    sid,
                    ci,
                    CheckKind.PING,
                    "Ping",
                    f"10.0.{ci % 250}.{ci % 200 + 1}",
                    Check.Status.ACTIVE,
                    CheckState.DOWN if rng.random() < 0.1 else CheckState.UP,
                    self.now - timedelta(hours=rng.randint(1, 500)),
                    self.now + timedelta(seconds=rng.randint(0, 300)),
                )
                for chk, (sid, ci) in zip(ids, checks, strict=True)
            ),
        )

    # tickets --------------------------------------------------------------------------------------------------

    def tickets(self) -> None:
        w, rng, per = self.w, self.rng, self.o["tickets"]
        n = len(self.school_ids)
        first = w.allocate(Incident, n * per)
        span = timedelta(days=365 * YEARS).total_seconds()
        open_statuses = [Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS, Status.ON_HOLD, Status.ASSIGNED]
        activity: list[tuple] = []
        counters: list[tuple] = []
        self.busy_tickets: list[int] = []
        columns = [
            "id", "school_id", "reference", "kind", "title", "description", "location_id", "ci_id", "channel",
            "reporter_id", "logged_by_id", "impact", "urgency", "priority", "category_id", "status", "hold_reason",
            "group_id", "assignee_id", "resolution", "resolution_code", "created_at", "updated_at",
            "first_response_at", "resolved_at", "closed_at", "service_id", "agreement_id", "response_due_at",
            "resolution_due_at", "response_met", "resolution_met", "clock_check_at",
        ]  # fmt: skip
        ticket_type = ContentType.objects.get_for_model(Incident).pk
        activity_columns = ["school_id", "content_type_id", "object_id", "kind", "actor_id", "public", "text"]
        activity_columns += ["changes", "created_at"]

        position = {"iid": first}

        def rows(school_ids):
            iid = position["iid"]
            for sid in school_ids:
                cast = self.users[sid]
                callers = cast[Role.ICT_USER] + cast[Role.SCHOOL_LEADER]
                techs = cast[Role.TECHNICIAN] + cast[Role.NETWORK_MANAGER]
                desk = cast[Role.DESK][0]
                numbers = {TicketKind.INCIDENT: 0, TicketKind.REQUEST: 0}
                rooms, cis = self.rooms[sid], self.cis[sid]
                busy = None
                for i in range(per):
                    created = (
                        self.now - timedelta(seconds=span * (per - i) / per) + timedelta(minutes=rng.randint(0, 5))
                    )
                    # The last 3 % of a school's tickets are still open; before them, resolved a few days back.
                    recent = i >= per * 0.97
                    status = rng.choice(open_statuses) if recent else Status.CLOSED
                    if i >= per * 0.95 and not recent:
                        status = Status.RESOLVED
                    kind = TicketKind.REQUEST if rng.random() < 0.2 else TicketKind.INCIDENT
                    numbers[kind] += 1
                    prefix = "REQ" if kind == TicketKind.REQUEST else "INC"
                    priority = rng.choice([2, 3, 3, 3, 4, 4, 5]) if rng.random() > 0.02 else 1
                    respond, resolve = TARGETS[priority]
                    response_due = created + timedelta(minutes=respond)
                    resolution_due = created + timedelta(minutes=resolve)
                    reporter = rng.choice(callers)
                    assignee = None if status == Status.NEW else rng.choice(techs)
                    if kind == TicketKind.REQUEST:
                        title = rng.choice(REQUESTS)
                    else:
                        title = f"{rng.choice(TROUBLES)} {rng.choice(FAULTS)} in {rng.randint(1, 40)}"
                    done = status in (Status.RESOLVED, Status.CLOSED)
                    code = ResolutionCode.FULFILLED if kind == TicketKind.REQUEST else ResolutionCode.FIXED
                    first_response = created + timedelta(minutes=rng.randint(2, respond * 2)) if assignee else None
                    resolved = created + timedelta(minutes=rng.randint(10, resolve * 2)) if done else None
                    closed = resolved + timedelta(days=5) if status == Status.CLOSED else None
                    updated = closed or resolved or first_response or created
                    if resolved and resolved > self.now:
                        resolved = closed = updated = self.now - timedelta(minutes=1)
                    if first_response and first_response > self.now:
                        first_response = None
                    check_at = None
                    if not done:
                        check_at = resolution_due if first_response else min(response_due, resolution_due)
                    yield (
                        iid, sid, f"{prefix}-{numbers[kind]:06d}", kind, title,
                        f"Reported by the caller: {title.lower()}.", rng.choice(rooms),
                        rng.choice(cis) if rng.random() < 0.6 else None,
                        rng.choice([Channel.PORTAL, Channel.PORTAL, Channel.EMAIL, Channel.PHONE]),
                        reporter, desk if rng.random() < 0.3 else reporter,
                        3 if priority >= 3 else 2, 2, priority, rng.choice(self.categories), status,
                        "awaiting_user" if status == Status.ON_HOLD else "", self.groups[sid], assignee,
                        "Fixed on site." if done else "",
                        code if done else "",
                        created, updated, first_response, resolved, closed, self.services[sid], self.agreements[sid],
                        response_due, resolution_due,
                        None if first_response is None else first_response <= response_due,
                        None if resolved is None else resolved <= resolution_due,
                        check_at,
                    )  # fmt: skip
                    # Its timeline: logged, assigned, resolved, closed, and now and then a comment.
                    logger = reporter
                    activity.append((sid, ticket_type, iid, Activity.Kind.CREATED, logger, True, "", {}, created))
                    if assignee:
                        activity.append(
                            (sid, ticket_type, iid, Activity.Kind.ASSIGNMENT, desk, True, "",
                             {"assignee": [None, assignee]}, first_response or created)
                        )  # fmt: skip
                    if rng.random() < 0.3:
                        activity.append(
                            (sid, ticket_type, iid, Activity.Kind.COMMENT, assignee or desk, rng.random() < 0.7,
                             "Looked at it; back later today.", {}, (first_response or created) + timedelta(minutes=5))
                        )  # fmt: skip
                    if resolved:
                        activity.append(
                            (sid, ticket_type, iid, Activity.Kind.STATUS, assignee, True, "Fixed on site.",
                             {"status": [Status.IN_PROGRESS, Status.RESOLVED]}, resolved)
                        )  # fmt: skip
                    if closed:
                        activity.append(
                            (sid, ticket_type, iid, Activity.Kind.STATUS, None, True, "",
                             {"status": [Status.RESOLVED, Status.CLOSED]}, closed)
                        )  # fmt: skip
                    if busy is None and recent and assignee:
                        busy = iid
                    iid += 1
                # One open ticket per school with a long timeline (200 entries), for the detail page's worst case.
                if busy is not None:
                    self.busy_tickets.append(busy)
                    for k in range(200 - 2):
                        at = self.now - timedelta(hours=200 - k)
                        activity.append(
                            (sid, ticket_type, busy, Activity.Kind.COMMENT, rng.choice(techs), k % 3 != 0,
                             f"Update {k + 1}: still investigating.", {}, at)
                        )  # fmt: skip
                counters.append((sid, "INC", numbers[TicketKind.INCIDENT]))
                counters.append((sid, "REQ", numbers[TicketKind.REQUEST]))
            position["iid"] = iid

        # In slices of schools: the tickets' COPY, then their timelines' (one COPY at a time on a connection).
        batch = max(1, 60_000 // per)
        for start in range(0, n, batch):
            w.write(Incident, columns, rows(self.school_ids[start : start + batch]))
            w.write(Activity, activity_columns, activity)
            activity.clear()
        w.write(
            ReferenceSequence,
            ["id", "school_id", "prefix", "last_number"],
            ((rid, *c) for rid, c in zip(self._ids(ReferenceSequence, len(counters)), counters, strict=True)),
        )

    # patches --------------------------------------------------------------------------------------------------

    def patches(self) -> None:
        """The authority's baseline of Windows updates, approved for every school's desktops; the imported reports
        (InstalledUpdate) as evidence, and the compliance state each pair has on that evidence, as the compliance
        run would compute it (so a recompute finds nothing to change)."""
        w, rng, count = self.w, self.rng, self.o["updates"]
        today = self.now.date()
        update_ids = self._ids(Update, count)
        w.write(
            Update,
            ["id", "authority_id", "kind", "identifier", "product", "title", "severity", "match_name", "released_on"],
            (
                (
                    uid,
                    self.authority.pk,
                    UpdateKind.WINDOWS_KB,
                    f"KB50{k:05d}",
                    "Windows 11",
                    f"Cumulative update {k + 1}",
                    Severity.CRITICAL if k % 10 == 9 else Severity.IMPORTANT,
                    "windows 11",
                    today - timedelta(days=7 * (count - k)),
                )
                for k, uid in enumerate(update_ids)
            ),
        )
        # Deadlines: the older fifth of the baseline is past its deadline (only "important" ones: no tasks raised).
        deadlines = {}
        for k, uid in enumerate(update_ids):
            past = k < count // 5 and k % 10 != 9
            deadlines[uid] = today - timedelta(days=3) if past else today + timedelta(days=14)
        group_ids = self._ids(PatchGroup, len(self.school_ids))
        w.write(
            PatchGroup,
            ["id", "school_id", "name", "ci_kind"],
            ((gid, sid, "Desktops", Kind.DESKTOP) for gid, sid in zip(group_ids, self.school_ids, strict=True)),
        )
        approvals = [(sid, uid, gid) for sid, gid in zip(self.school_ids, group_ids, strict=True) for uid in update_ids]
        w.write(
            Approval,
            ["id", "school_id", "update_id", "group_id", "decision", "deadline", "decided_by_id"],
            (
                (aid, sid, uid, gid, Decision.APPROVED, deadlines[uid], self.users[sid][Role.NETWORK_MANAGER][0])
                for aid, (sid, uid, gid) in zip(self._ids(Approval, len(approvals)), approvals, strict=True)
            ),
        )
        reported = self.now - timedelta(days=1)
        installed: dict[int, set[int]] = {}
        for sid in self.school_ids:
            for ci in self.desktops[sid]:
                installed[ci] = {uid for uid in update_ids if rng.random() < 0.85}

        def reports():
            for sid in self.school_ids:
                for ci in self.desktops[sid]:
                    for uid in update_ids:
                        if uid in installed[ci]:
                            yield (sid, ci, uid, True, "", "", reported)

        w.write(
            InstalledUpdate,
            ["school_id", "ci_id", "update_id", "installed", "version", "version_key", "reported_at"],
            reports(),
        )

        def states():
            for sid in self.school_ids:
                for ci in self.desktops[sid]:
                    for uid in update_ids:
                        if uid in installed[ci]:
                            state = PatchState.COMPLIANT
                        else:
                            state = PatchState.OVERDUE if deadlines[uid] < today else PatchState.MISSING
                        yield (sid, ci, uid, state, reported, deadlines[uid], "")

        w.write(
            ComplianceState,
            ["school_id", "ci_id", "update_id", "state", "since", "deadline", "installed_version"],
            states(),
        )
