"""Load the demo: the authorities, schools and logins of DESIGN.md 6 and a believable week of work."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from fits.models import Authority, AuthorityRole, AuthorityRoleKind, Membership, Role, School, User

AUTHORITIES = [
    {"slug": "bolton", "name": "Bolton Council", "code": "350", "email": "ictunit@bolton.example.gov.uk"},
    {"slug": "wigan", "name": "Wigan Council", "code": "359", "email": "schoolsict@wigan.example.gov.uk"},
]
SCHOOLS = [
    {
        "slug": "highfield",
        "name": "Highfield Primary School",
        "authority": "bolton",
        "phase": "primary",
        "code": "105180",
        "postcode": "BL3 4AA",
        "phone": "01204 555 0101",
    },
    {
        "slug": "riverside",
        "name": "Riverside Academy",
        "authority": "bolton",
        "phase": "secondary",
        "code": "105190",
        "postcode": "BL1 8RT",
        "phone": "01204 555 0202",
    },
    {
        "slug": "westfield",
        "name": "Westfield High School",
        "authority": "wigan",
        "phase": "secondary",
        "code": "106480",
        "postcode": "WN5 9XY",
        "phone": "01942 555 0303",
    },
]
# The logins: password equal to the username.
LOGINS = [
    ("admin", "Alex", "Admin", "ICT administrator", None, None),
    ("consultant", "Carol", "Lomax", "Schools ICT consultant", "bolton", AuthorityRoleKind.CONSULTANT),
    ("leader", "Helen", "Ward", "Headteacher", "highfield", Role.SCHOOL_LEADER),
    ("netmgr", "Nadeem", "Shah", "Network manager", "highfield", Role.NETWORK_MANAGER),
    ("tech", "Tom", "Baxter", "ICT technician", "highfield", Role.TECHNICIAN),
    ("desk", "Dawn", "Fletcher", "School business officer (service desk)", "highfield", Role.DESK),
    ("staff", "Sam", "Okafor", "Year 4 teacher", "highfield", Role.ICT_USER),
    ("tech2", "Priya", "Nair", "ICT technician", "riverside", Role.TECHNICIAN),
    ("outsider", "Owen", "Price", "ICT technician", "westfield", Role.TECHNICIAN),
]
# Callers who appear in the demo's incidents but cannot sign in (no usable password).
CALLERS = [
    ("highfield", "mrs.patel", "Anita", "Patel", "Year 2 teacher"),
    ("highfield", "mr.jones", "Gareth", "Jones", "Office manager"),
    ("riverside", "ms.clarke", "Emma", "Clarke", "Head of science"),
    ("riverside", "mr.hughes", "David", "Hughes", "Exams officer"),
    ("westfield", "mrs.evans", "Rhian", "Evans", "Teaching assistant"),
    ("westfield", "mr.ali", "Imran", "Ali", "Head of year 9"),
]

# A week at a school: (days ago, hours into the day, caller, summary, description, room, impact, urgency, story)
# story: the actions taken after logging, as (action, actor, note) with actor "tech" meaning the school's technician.
WEEK = [
    (
        6,
        8.5,
        0,
        "Interactive whiteboard not responding to pen",
        "The board shows the picture but the pen does nothing. Restarted the laptop, no change. Worked fine on Friday.",
        "Classroom 4",
        2,
        2,
        [
            ("start", "tech", ""),
            ("resolve", "tech", "Recalibrated the board and replaced the pen battery."),
            ("close", "caller", ""),
        ],
    ),
    (
        5,
        9.25,
        1,
        "Office printer jamming on every job",
        "Paper jams in tray 2 each time we print letters home.",
        "School office",
        2,
        2,
        [("start", "tech", ""), ("resolve", "tech", "Removed a torn label from the rollers.")],
    ),
    (
        4,
        13.0,
        0,
        "Cannot log in to the learning platform",
        "Pupils in my class get 'account locked' when they sign in.",
        "Classroom 2",
        2,
        1,
        [("start", "tech", ""), ("hold", "tech", "Waiting for the platform supplier to unlock accounts.")],
    ),
    (
        3,
        10.5,
        1,
        "Wi-Fi drops in the hall during assemblies",
        "The laptop loses Wi-Fi every few minutes in the hall.",
        "Main hall",
        1,
        2,
        [("assign", "tech", "")],
    ),
    (
        2,
        15.0,
        0,
        "Laptop trolley not charging",
        "Half the laptops in trolley B were flat this morning.",
        "Year 4 corridor",
        2,
        3,
        [],
    ),
    (
        1,
        8.0,
        1,
        "New starter needs an e-mail account",
        "Our new teaching assistant starts on Monday.",
        "School office",
        3,
        3,
        [("start", "tech", "")],
    ),
    (
        0,
        8.75,
        0,
        "Projector shows no picture",
        "The projector in the science lab says 'no signal'.",
        "Science lab",
        2,
        1,
        [],
    ),
]


class Command(BaseCommand):
    help = (
        "Create the demo authorities (bolton, wigan), schools (highfield, riverside, westfield), logins "
        "(admin, consultant, leader, netmgr, tech, desk, staff, tech2, outsider; password = username), callers "
        "who cannot sign in (mrs.patel, ms.clarke...) and a believable week of incidents at each school. Safe to "
        "run again: nothing is duplicated, but the logins' passwords are reset to their usernames. For "
        "demonstrations and development only: never run it on a real installation."
    )

    def handle(self, *args, **options) -> None:
        with transaction.atomic():
            authorities = self._authorities()
            schools = self._schools(authorities)
            people = self._people(schools, authorities)
            self._agent_keys(schools)
        created = 0
        for school in schools.values():
            created += self._week_of_incidents(school, people)
        self.stdout.write(self.style.SUCCESS(f"Demo ready: {len(schools)} schools, {created} incidents added."))

    def _agent_keys(self, schools: dict[str, School]) -> None:
        """Each demo school's inventory agents authenticate with the key demo-agent-SLUG (DESIGN.md 6)."""
        from cmdb.services import agent_key_rotate

        for slug, school in schools.items():
            agent_key_rotate(school=school, actor=None, key=f"demo-agent-{slug}")

    def _authorities(self) -> dict[str, Authority]:
        return {a["slug"]: Authority.objects.update_or_create(slug=a["slug"], defaults=a)[0] for a in AUTHORITIES}

    def _schools(self, authorities: dict[str, Authority]) -> dict[str, School]:
        schools = {}
        for data in SCHOOLS:
            values = {**data, "authority": authorities[data["authority"]]}
            values["email"] = f"office@{data['slug']}.example.sch.uk"
            schools[data["slug"]] = School.objects.update_or_create(slug=data["slug"], defaults=values)[0]
        return schools

    def _people(self, schools: dict[str, School], authorities: dict[str, Authority]) -> dict[str, User]:
        people = {}
        for username, first, last, title, where, role in LOGINS:
            domain = f"{where}.example.sch.uk" if where in schools else "example.gov.uk"
            user, _ = User.objects.update_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "job_title": title,
                    "email": f"{username}@{domain}",
                    "is_superuser": username == "admin",
                    "is_staff": username == "admin",
                    "is_active": True,
                },
            )
            user.set_password(username)
            user.save(update_fields=["password"])
            if role in AuthorityRoleKind.values:
                AuthorityRole.objects.get_or_create(user=user, authority=authorities[where], role=role)
            elif role:
                Membership.objects.get_or_create(user=user, school=schools[where], role=role)
            people[username] = user
        for slug, username, first, last, title in CALLERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "job_title": title,
                    "email": f"{username}@{slug}.example.sch.uk",
                },
            )
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            Membership.objects.get_or_create(user=user, school=schools[slug], role=Role.ICT_USER)
            people[username] = user
        return people

    def _week_of_incidents(self, school: School, people: dict[str, User]) -> int:
        """Log a week of incidents through the services, then date them across the week."""
        from incidents import services
        from incidents.models import Channel, Incident

        if Incident.objects.filter(school=school).exists():
            return 0
        callers = {
            "highfield": [people["staff"], people["mrs.patel"]],
            "riverside": [people["ms.clarke"], people["mr.hughes"]],
            "westfield": [people["mrs.evans"], people["mr.ali"]],
        }[school.slug]
        tech = {"highfield": people["tech"], "riverside": people["tech2"], "westfield": people["outsider"]}[school.slug]
        desk = people["desk"] if school.slug == "highfield" else tech
        midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        for days_ago, hour, caller_index, title, description, room, impact, urgency, story in WEEK:
            caller = callers[caller_index]
            logged_by = caller if caller_index == 0 else desk
            with transaction.atomic():
                incident = services.incident_log(
                    school=school,
                    logged_by=logged_by,
                    reporter=caller,
                    title=title,
                    description=description,
                    room=room,
                    impact=impact,
                    urgency=urgency,
                    channel=Channel.PORTAL if logged_by == caller else Channel.PHONE,
                )
                for action, who, note in story:
                    actor = caller if who == "caller" else tech
                    if action == "assign":
                        services.incident_assign(incident=incident, assignee=tech, actor=desk)
                    else:
                        services.incident_transition(incident=incident, action=action, actor=actor, note=note)
                self._backdate(incident, midnight - timedelta(days=days_ago) + timedelta(hours=hour))
        return len(WEEK)

    @staticmethod
    def _backdate(incident, logged_at) -> None:
        """Spread the incident's timeline over the week: logged at `logged_at`, each step an hour apart."""
        from django.contrib.contenttypes.models import ContentType

        from fits.models import Activity
        from incidents.models import Incident

        logged_at = min(logged_at, timezone.now() - timedelta(minutes=30))
        entries = Activity.objects.filter(
            content_type=ContentType.objects.get_for_model(incident), object_id=incident.pk
        ).order_by("pk")
        step = timedelta(hours=1)
        last = logged_at
        for index, entry in enumerate(entries):
            last = min(logged_at + index * step, timezone.now())
            Activity.objects.filter(pk=entry.pk).update(created_at=last)
        incident.refresh_from_db()
        changes = {"created_at": logged_at, "updated_at": last}
        if incident.resolved_at:
            changes["resolved_at"] = last if incident.closed_at is None else last - step
        if incident.closed_at:
            changes["closed_at"] = last
        Incident.objects.filter(pk=incident.pk).update(**changes)
