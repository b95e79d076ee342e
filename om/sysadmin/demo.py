"""The demo's operations management (seed_demo): at highfield, the Systems Administration policy, the FITS routine
operations allocated to the technician (with routine tasks left overdue from last week), a logbook on each server and
a run book for the MIS service; the other schools get the routine operations only. Skipped once a school has them."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from availability import maintenance
from cmdb.models import ConfigurationItem, Kind
from fits import access
from fits.models import School, User
from om import services as om
from om.sysadmin import services
from om.sysadmin.models import RunBook

POLICY = """Systems Administration at Highfield keeps the school's servers, storage, backups and UPS healthy.

- The network manager plans the routine operations and allocates them; the technician carries them out each school \
day and records what was found in the task and in the server's logbook.
- Backups run nightly and are checked every school day; a restore is tested each term.
- Changes to servers go through Change Management; faults are logged as incidents.
- Accounts of leavers are disabled within a week; the accounts are reviewed each term."""


def seed_sysadmin(
    schools: dict[str, School], people: dict[str, User], *, now: datetime | None = None
) -> dict[str, int]:
    """Systems Administration for the demo; how many of each thing were added (empty when all there)."""
    admin, netmgr, tech = people.get("admin"), people.get("netmgr"), people.get("tech")
    if admin is None or tech is None:
        return {}
    now = now or timezone.now()
    added = {"routine operations": 0, "routine tasks": 0, "logbook entries": 0, "run books": 0, "policies": 0}
    for slug, school in schools.items():
        if services.routine_schedules(school.pk).exists():
            continue
        with transaction.atomic():
            owner = tech if slug == "highfield" else None
            if owner is None:
                owner = next((p for p in people.values() if access.can_work_task.test(p, school)
                              and not p.is_superuser), None)  # fmt: skip
            if owner is None:
                continue
            started = now - timedelta(days=7)  # a week ago, so last week's daily checks are overdue now
            result = services.routines_load(actor=admin, school=school, owner=owner,
                                            deputy=netmgr if slug == "highfield" else None, now=started)  # fmt: skip
            added["routine operations"] += len(result.created)
            if slug != "highfield":
                continue
            added["routine tasks"] += _last_weeks_tasks(result.created, started, now)
            om.policy_save(actor=admin, school=school, function="sysadmin", text=POLICY, owner=netmgr or admin)
            added["policies"] += 1
            added["logbook entries"] += _logbooks(school, tech, now)
            added["run books"] += _run_book(school, tech, netmgr)
    return added if any(added.values()) else {}


def _last_weeks_tasks(routines, started: datetime, now: datetime) -> int:
    """Raise the routine tasks of the past week, day by day as beat would have; Monday's backup check is done, the
    rest are left open (overdue)."""
    from incidents import task_services
    from incidents.models import Task, TaskOrigin

    raised = 0
    for offset in range(8):
        raised += maintenance.maintenance_raise_due(now=started + timedelta(days=offset))
    first = Task.objects.filter(origin=TaskOrigin.ROUTINE, school_id=routines[0].school_id).order_by("due_on").first()
    if first is not None and first.assignee is not None:
        task_services.task_complete(task=first, actor=first.assignee, outcome="All backup jobs completed; 212 GB.")
    return raised


def _logbooks(school: School, tech: User, now: datetime) -> int:
    servers = list(ConfigurationItem.objects.filter(school=school, kind=Kind.SERVER).order_by("name")[:2])
    lines = [
        ("change", 20, "Installed the monthly Windows updates and restarted out of hours."),
        ("check", 6, "Event log clean apart from a time-sync warning; resynced with the domain controller."),
        ("fault", 2, "Disk 3 of the RAID reporting predictive failure; replacement ordered."),
    ]
    made = 0
    for server in servers:
        for kind, days, text in lines:
            services.logbook_add(actor=tech, ci=server, kind=kind, text=text, occurred_at=now - timedelta(days=days),
                                 now=now)  # fmt: skip
            made += 1
    return made


def _run_book(school: School, tech: User, netmgr: User | None) -> int:
    from servicelevels.models import ITService

    if RunBook.objects.filter(school=school).exists():
        return 0
    service = ITService.objects.filter(school=school).order_by("name").first()
    ci = ConfigurationItem.objects.filter(school=school, kind=Kind.SERVICE).order_by("name").first()
    if service is None and ci is None:
        return 0
    book = services.run_book_create(
        actor=tech, school=school, title=f"{(service or ci).name} run book", service=service,
        ci=ci if service is None else service.ci, owner=tech,
        start="1. Power on the VM host (SRV-01) and wait for the hypervisor.\n2. Start the MIS VM, then its service.",
        stop="1. Warn staff by e-mail 15 minutes before.\n2. Stop the MIS service, then shut the VM down.",
        restore="Restore last night's backup of the MIS VM to the spare host from the backup console; check the "
        "database opens and today's registers are there.",
        contacts="MIS supplier support: 0161 496 0000 (contract 4471). LEA support unit out of hours.",
    )  # fmt: skip
    if netmgr is not None:
        services.run_book_review(actor=netmgr, run_book=book, note="Walked through with the technician.")
    return 1
