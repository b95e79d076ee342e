"""The demo's Release Management (seed_demo): highfield's definitive software library, the summer image refresh of
its ICT suite rolling out (wave 1 done with one failure, wave 2 pending) under an approved change, and last term's
SMART Notebook release, completed.

Built through the services, as highfield's technician and network manager would build it, on the demo CMDB's CIs
(the ICT suite's pupils' PCs, the classroom PCs with SMART Notebook); only the completed release's dates are moved
back a term afterwards, as seed_demo backdates its incidents. Skipped once highfield has a release.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from changes import services as changes
from cmdb.models import ConfigurationItem, SoftwareInstallation
from fits.models import School, User
from releases import services
from releases.models import Release, RolloutTarget, SoftwareLibraryItem

LOW_RISK = {"users_affected": "few", "service_criticality": "low", "tested": "yes", "backout": "yes",
            "school_day": "no"}  # fmt: skip

LIBRARY = [
    # name, publisher, version, kind, media, approved
    ("Windows 11 Education", "Microsoft", "24H2", "os_image", r"\\HF-SRV-01\dsl$\images\win11-edu-24h2-ict.wim", True),
    ("Microsoft Office LTSC Professional Plus", "Microsoft", "2024", "application",
     r"\\HF-SRV-01\dsl$\apps\office-ltsc-2024", True),
    ("SMART Notebook", "SMART Technologies", "24.0", "application", "ICT office cupboard, DSL box 2 (USB stick)", True),
    ("Aruba 2930F switch firmware", "HPE Aruba Networking", "WC.16.11.0021", "firmware",
     r"\\HF-SRV-01\dsl$\firmware\aruba", False),
]  # fmt: skip
CHECKSUM = "3f1c9a0b7d2e4f6a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a"


def _change(school: School, tech: User, netmgr: User, title: str, reason: str):
    change = changes.rfc_create(
        school=school,
        requester=tech,
        title=title,
        reason=reason,
        implementation_plan="Carried out by the release of the same name, wave by wave.",
        test_plan="The release's acceptance tests.",
        backout_plan="Reimage from the previous approved version in the software library.",
    )
    changes.rfc_assess(change=change, actor=tech, answers=LOW_RISK)
    changes.rfc_submit(change=change, actor=tech)
    changes.rfc_approve(change=change, approver=netmgr, comment="Agreed: over the holiday, suite closed.")
    change.refresh_from_db()
    return change


def _move(release: Release, tech: User, *actions: str) -> Release:
    for action in actions:
        release = services.release_transition(release=release, actor=tech, action=action)
    return release


def seed_releases(schools: dict[str, School], people: dict[str, User]) -> str:
    """Release Management for the demo; says what was added."""
    school, tech, netmgr = schools.get("highfield"), people.get("tech"), people.get("netmgr")
    if school is None or tech is None or netmgr is None or Release.objects.filter(school=school).exists():
        return "already set up"
    computers = {ci.name: ci for ci in ConfigurationItem.objects.filter(school=school, kind__in=["desktop", "laptop"])}
    today = timezone.localdate()
    suite = sorted((ci for name, ci in computers.items() if "-ICT-PC" in name), key=lambda ci: ci.name)
    if not suite:
        return "no ICT suite in the CMDB"
    with transaction.atomic():
        items = {}
        for name, publisher, version, kind, media, approved in LIBRARY:
            item = services.item_propose(
                actor=tech, school=school, name=name, publisher=publisher, version=version, kind=kind,
                media_location=media, checksum=CHECKSUM if kind == "os_image" else "",
            )  # fmt: skip
            items[name] = services.item_approve(item=item, actor=netmgr) if approved else item
        services.media_lend(item=items["Windows 11 Education"], school=school, borrower=tech, actor=tech,
                            note="Imaging the ICT suite")  # fmt: skip

        # Last term: SMART Notebook 24 on the classroom PCs, completed.
        classroom_ids = SoftwareInstallation.objects.filter(school=school, product__name="SMART Notebook").values_list(
            "ci_id", flat=True
        )
        classroom = [ci for ci in computers.values() if ci.pk in set(classroom_ids)]
        done = services.release_create(
            school=school, actor=tech, title="SMART Notebook 24 for the classrooms", kind="minor",
            description="The board software to the version the new SMART Boards need.",
            build_plan="Package the MSI with the school's licence key; deploy through the software share.",
            test_plan="Install on the spare laptop; open last year's lesson files; check the pen on Classroom 4's "
                      "board.",
            rollout_plan="All classroom PCs after school on one evening.",
            installation_checklist="Close Notebook\nInstall the package\nOpen a lesson file\nTest the pen",
            planned_start=today - timedelta(days=95), planned_end=today - timedelta(days=95),
            changes=[_change(school, tech, netmgr, "SMART Notebook 24 on the classroom PCs", "New boards need it.")],
            items=[items["SMART Notebook"]],
        )  # fmt: skip
        if classroom:
            services.wave_add(release=done, actor=tech, name="Classroom PCs", cis=classroom)
            done = _move(done, tech, "build", "test", "ready", "roll_out")
            services.rollout_record(release=done, targets=list(done.targets.all()), outcome="succeeded", actor=tech)
            done = _move(done, tech, "complete")
            then = timezone.now() - timedelta(days=95)
            Release.objects.filter(pk=done.pk).update(
                created_at=then - timedelta(days=14), built_at=then - timedelta(days=3), started_at=then,
                finished_at=then + timedelta(hours=3),
            )  # fmt: skip
            RolloutTarget.objects.filter(release=done).update(done_at=then + timedelta(hours=2))

        # This summer: the ICT suite's new image, rolling out.
        refresh = services.release_create(
            school=school, actor=tech, title="Summer image refresh for the ICT suite", kind="major",
            description="Windows 11 Education 24H2 with Office LTSC 2024 on every pupil PC of the ICT suite.",
            manager=netmgr,
            build_plan="Build the reference PC from the 24H2 media; install Office LTSC 2024 and the curriculum "
                       "software; sysprep and capture to the DSL share.",
            test_plan="Stability: the reference image runs a school day on two PCs.\nAcceptance: a Year 6 class logs "
                      "in, prints, and opens Purple Mash and Scratch.",
            rollout_plan="Wave 1: the first half of the suite over PXE. Wave 2: the rest, once wave 1 is checked.",
            installation_checklist="PXE boot and image\nJoin the domain\nCheck Office activates\nPrint a test page",
            planned_start=today - timedelta(days=2), planned_end=today + timedelta(days=5),
            changes=[_change(school, tech, netmgr, "Summer image refresh for the ICT suite", "The 23H2 image is out "
                             "of support and slow to log in.")],
            items=[items["Windows 11 Education"], items["Microsoft Office LTSC Professional Plus"]],
        )  # fmt: skip
        half = len(suite) // 2
        services.wave_add(release=refresh, actor=tech, name="ICT suite, first half", cis=suite[:half])
        services.wave_add(release=refresh, actor=tech, name="ICT suite, second half", cis=suite[half:])
        refresh = _move(refresh, tech, "build", "test", "ready", "roll_out")
        first = list(RolloutTarget.objects.filter(release=refresh, wave__order=1).order_by("ci__name"))
        if first:
            services.rollout_record(release=refresh, targets=first[1:], outcome="succeeded", actor=tech)
            services.rollout_record(
                release=refresh, targets=first[:1], outcome="failed", actor=tech,
                note="Imaging stopped at 40%: the disk reports SMART errors. PC booked for repair.",
            )  # fmt: skip
    added = SoftwareLibraryItem.objects.filter(school=school).count()
    return f"{added} software library items, 2 releases (one rolling out, one completed)"
