"""Every operation that changes a release or the definitive software library.

Release Management (FITS) plans, builds, tests and deploys hardware and software and installs only tested
versions: library items are proposed, approved by the network manager (or the authority's consultant for its
shared items) and withdrawn; a release bundles approved changes and approved items, moves through its workflow
table (Release.WORKFLOW), and rolls out to CIs in waves. Recording a rollout outcome marks the CIs' software
versions in the CMDB and writes the CIs' timelines, in a bounded number of queries whatever the wave's size.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from changes.models import RequestForChange
from cmdb.models import (
    KIND_GROUPS,
    LOGICAL_KINDS,
    PASSIVE_KINDS,
    ConfigurationItem,
    Licence,
    LifecycleStatus,
    Location,
    SoftwareInstallation,
    SoftwareProduct,
)
from fits import access, activity
from fits.models import Activity, Authority, School, User
from fits.references import next_reference
from fits.workflow import InvalidTransition
from releases.models import (
    CHANGE_READY_STATUSES,
    ItemKind,
    ItemStatus,
    MediaLoan,
    Outcome,
    Release,
    ReleaseKind,
    RolloutTarget,
    RolloutWave,
    SoftwareLibraryItem,
    Status,
    validate_sha256,
)

REFERENCE_PREFIX = "REL"

# =============================================================================
# The definitive software library
# =============================================================================


def _check_may_propose(actor: User, school: School | None, authority: Authority | None) -> None:
    if school is not None:
        access.require(access.can_manage_release, actor, school, f"You cannot add to {school}'s software library.")
    elif authority is not None:
        access.require(
            access.can_manage_authority_config, actor, authority, f"You cannot add to {authority}'s software library."
        )
    else:
        access.require(access.is_administrator, actor, None, "Only an administrator adds items shared by everyone.")


@transaction.atomic
def item_propose(
    *,
    actor: User,
    name: str,
    version: str,
    school: School | None = None,
    authority: Authority | None = None,
    publisher: str = "",
    kind: str = ItemKind.APPLICATION,
    media_location: str = "",
    checksum: str = "",
    licence: Licence | None = None,
    licence_notes: str = "",
    notes: str = "",
) -> SoftwareLibraryItem:
    """Put a version forward for the definitive software library (a school's, or an authority's for all its
    schools). It is installed only once approved, after its tests."""
    if school is not None and authority is not None:
        raise ValidationError({"authority": "An item belongs to a school or to an authority, not both."})
    _check_may_propose(actor, school, authority)
    name, version, publisher = name.strip(), version.strip(), publisher.strip()
    if not name:
        raise ValidationError({"name": "Give the software or image a name."})
    if not version:
        raise ValidationError({"version": "Give the version: the library keeps exact versions."})
    if kind not in ItemKind.values:
        raise ValidationError({"kind": f"Unknown kind of library item {kind!r}."})
    checksum = checksum.strip().lower()
    try:
        validate_sha256(checksum)
    except ValidationError as error:
        raise ValidationError({"checksum": error.messages}) from error
    if licence is not None:
        if school is None:
            raise ValidationError({"licence": "Only a school's own item names one of its licences."})
        if licence.school_id != school.pk:
            raise ValidationError({"licence": f"{licence} belongs to another school."})
    clash = (
        SoftwareLibraryItem.objects.filter(
            school=school, authority=authority, name__iexact=name, version__iexact=version
        )
        .exclude(status=ItemStatus.WITHDRAWN)
        .first()
    )
    if clash is not None:
        raise ValidationError({"version": f"The library already has {clash.label} ({clash.get_status_display()})."})
    return SoftwareLibraryItem.objects.create(
        school=school,
        authority=authority,
        name=name,
        publisher=publisher,
        version=version,
        kind=kind,
        media_location=media_location.strip(),
        checksum=checksum,
        licence=licence,
        licence_notes=licence_notes.strip(),
        notes=notes.strip(),
        proposed_by=actor,
    )


def _locked_item(item: SoftwareLibraryItem) -> SoftwareLibraryItem:
    return SoftwareLibraryItem.objects.select_for_update().get(pk=item.pk)


@transaction.atomic
def item_approve(*, item: SoftwareLibraryItem, actor: User) -> SoftwareLibraryItem:
    """The version has passed its tests: releases may install it."""
    item = _locked_item(item)
    access.require(access.can_approve_library_item, actor, item, f"You cannot approve {item.label} for the library.")
    if item.status != ItemStatus.PROPOSED:
        raise ValidationError(f"{item.label} is {item.get_status_display().lower()}: only a proposed item is approved.")
    item.status, item.approved_by, item.approved_at = ItemStatus.APPROVED, actor, timezone.now()
    item.save(update_fields=["status", "approved_by", "approved_at"])
    return item


@transaction.atomic
def item_withdraw(*, item: SoftwareLibraryItem, actor: User, reason: str) -> SoftwareLibraryItem:
    """Take a version out of the library (superseded, faulty, licence lapsed): no release installs it any more."""
    item = _locked_item(item)
    access.require(access.can_approve_library_item, actor, item, f"You cannot withdraw {item.label}.")
    if item.status == ItemStatus.WITHDRAWN:
        raise ValidationError(f"{item.label} is already withdrawn.")
    if not reason.strip():
        raise ValidationError({"reason": f"Say why {item.label} is withdrawn."})
    item.status, item.withdrawn_reason = ItemStatus.WITHDRAWN, reason.strip()
    item.save(update_fields=["status", "withdrawn_reason"])
    return item


@transaction.atomic
def media_lend(*, item: SoftwareLibraryItem, school: School, borrower: User, actor: User, note: str = "") -> MediaLoan:
    """Book the master media of a library item out (the FITS media in/out book)."""
    access.require(access.can_manage_release, actor, school, f"You cannot book media out at {school}.")
    if not item.applies_at(school):
        raise ValidationError({"item": f"{item.label} is not in {school}'s library."})
    if not access.can_manage_release.test(borrower, school):
        raise ValidationError({"borrowed_by": f"{borrower} does not install software at {school}."})
    if MediaLoan.objects.filter(item=item, returned_at__isnull=True).exists():
        raise ValidationError(f"The media of {item.label} is already out: book it back in first.")
    return MediaLoan.objects.create(school=school, item=item, borrowed_by=borrower, note=note.strip())


@transaction.atomic
def media_return(*, loan: MediaLoan, actor: User) -> MediaLoan:
    """The media is back where the library keeps it."""
    loan = MediaLoan.objects.select_for_update(of=("self",)).select_related("item").get(pk=loan.pk)
    access.require(access.can_manage_release, actor, loan, "You cannot book media in at this school.")
    if loan.returned_at is not None:
        raise ValidationError(f"The media of {loan.item.label} was already returned.")
    loan.returned_at = timezone.now()
    loan.save(update_fields=["returned_at"])
    return loan


# =============================================================================
# Releases: raising and editing
# =============================================================================


def _check_changes(school: School, changes: Iterable[RequestForChange]) -> list[RequestForChange]:
    changes = list(changes)
    for change in changes:
        if change.school_id != school.pk:
            raise ValidationError({"changes": f"{change.reference} belongs to another school."})
    return changes


def _check_items(school: School, items: Iterable[SoftwareLibraryItem]) -> list[SoftwareLibraryItem]:
    """Install only tested versions: every item must be approved and in force at the school."""
    items = list(items)
    for item in items:
        if not item.applies_at(school):
            raise ValidationError({"items": f"{item.label} is not in {school}'s software library."})
        if item.status != ItemStatus.APPROVED:
            raise ValidationError(
                {"items": f"{item.label} is {item.get_status_display().lower()}: a release installs only approved "
                          "(tested) versions from the library."}
            )  # fmt: skip
    return items


def _check_dates(start: date | None, end: date | None) -> None:
    if start is not None and end is not None and end < start:
        raise ValidationError({"planned_end": "The release must end on or after the day it starts."})


def _check_manager(manager: User | None, school: School) -> None:
    if manager is not None and not access.can_manage_release.test(manager, school):
        raise ValidationError({"manager": f"{manager} cannot manage releases at {school}."})


@transaction.atomic
def release_create(
    *,
    school: School,
    actor: User,
    title: str,
    kind: str = ReleaseKind.MINOR,
    description: str = "",
    manager: User | None = None,
    build_plan: str = "",
    test_plan: str = "",
    rollout_plan: str = "",
    installation_checklist: str = "",
    planned_start: date | None = None,
    planned_end: date | None = None,
    changes: Iterable[RequestForChange] = (),
    items: Iterable[SoftwareLibraryItem] = (),
) -> Release:
    """Plan a release at `school`: what it bundles, how it is built and tested, how it rolls out."""
    access.require(access.can_manage_release, actor, school, "You cannot plan releases at this school.")
    if not title.strip():
        raise ValidationError({"title": "Give the release a short title."})
    if kind not in ReleaseKind.values:
        raise ValidationError({"kind": f"Unknown kind of release {kind!r}."})
    _check_dates(planned_start, planned_end)
    manager = manager or actor
    _check_manager(manager, school)
    changes, items = _check_changes(school, changes), _check_items(school, items)
    release = Release.objects.create(
        school=school,
        reference=next_reference(school_id=school.pk, prefix=REFERENCE_PREFIX),
        title=title.strip(),
        kind=kind,
        description=description.strip(),
        manager=manager,
        build_plan=build_plan.strip(),
        test_plan=test_plan.strip(),
        rollout_plan=rollout_plan.strip(),
        installation_checklist=installation_checklist.strip(),
        planned_start=planned_start,
        planned_end=planned_end,
        created_by=actor,
    )
    release.changes.set(changes)
    release.items.set(items)
    activity.record(release, actor=actor, kind=Activity.Kind.CREATED, text="Planned.")
    return release


EDITABLE_FIELDS = (
    "title",
    "kind",
    "description",
    "manager",
    "build_plan",
    "test_plan",
    "rollout_plan",
    "installation_checklist",
    "planned_start",
    "planned_end",
)
TEXT_FIELDS = ("title", "description", "build_plan", "test_plan", "rollout_plan", "installation_checklist")


def _locked(release: Release) -> Release:
    return Release.objects.select_for_update().get(pk=release.pk)


def _require_manage(actor: User, release: Release, what: str) -> None:
    access.require(access.can_manage_release, actor, release, f"You cannot {what} {release.reference}.")


@transaction.atomic
def release_update(
    *,
    release: Release,
    actor: User,
    changes: Iterable[RequestForChange] | None = None,
    items: Iterable[SoftwareLibraryItem] | None = None,
    **fields: Any,
) -> Release:
    """Edit a release's plans, dates, manager, changes and library items, until it starts rolling out."""
    release = _locked(release)
    _require_manage(actor, release, "edit")
    if not release.is_editable:
        raise ValidationError(
            f"{release.reference} is {release.get_status_display().lower()}: its plans are fixed once the rollout "
            "has started."
        )
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"These cannot be edited on a release: {', '.join(sorted(unknown))}.")
    for name in TEXT_FIELDS:
        if name in fields:
            fields[name] = (fields[name] or "").strip()
    if "title" in fields and not fields["title"]:
        raise ValidationError({"title": "Give the release a short title."})
    if "kind" in fields and fields["kind"] not in ReleaseKind.values:
        raise ValidationError({"kind": f"Unknown kind of release {fields['kind']!r}."})
    _check_dates(fields.get("planned_start", release.planned_start), fields.get("planned_end", release.planned_end))
    if "manager" in fields:
        _check_manager(fields["manager"], release.school)
    changed: dict[str, list[str]] = {}
    for name, value in fields.items():
        old = getattr(release, name)
        if old != value:
            changed[name] = ["" if old in (None, "") else str(old), "" if value in (None, "") else str(value)]
            setattr(release, name, value)
    if changed:
        release.save(update_fields=[*changed, "updated_at"])
    if changes is not None:
        changes = _check_changes(release.school, changes)
        before = set(release.changes.values_list("pk", flat=True))
        if before != {c.pk for c in changes}:
            release.changes.set(changes)
            changed["changes"] = [", ".join(sorted(c.reference for c in changes))]
    if items is not None:
        items = list(items)
        before_items = set(release.items.values_list("pk", flat=True))
        # Items already in the release may stay even if withdrawn since (the rollout refuses them); new ones
        # must be approved.
        _check_items(release.school, [item for item in items if item.pk not in before_items])
        if before_items != {item.pk for item in items}:
            release.items.set(items)
            changed["items"] = [", ".join(sorted(item.label for item in items))]
    if changed:
        labels = [Release._meta.get_field(name).verbose_name for name in changed]
        activity.record(
            release, actor=actor, kind=Activity.Kind.FIELD, text="Edited: " + ", ".join(labels) + ".", changes=changed
        )
    return release


@transaction.atomic
def release_add_changes(*, release: Release, actor: User, changes: Iterable[RequestForChange]) -> Release:
    """Bundle more requests for change into the release (of its own school)."""
    release = _locked(release)
    current = list(release.changes.all())
    added = [c for c in _check_changes(release.school, changes) if c.pk not in {x.pk for x in current}]
    return release_update(release=release, actor=actor, changes=current + added)


# =============================================================================
# Rollout waves
# =============================================================================


def _check_takes_release(ci: ConfigurationItem) -> str | None:
    """Why `ci` cannot be a rollout target, or None."""
    if ci.kind in LOGICAL_KINDS or ci.kind in PASSIVE_KINDS:
        return f"{ci} is a {ci.get_kind_display().lower()}: a release is installed on devices."
    if ci.status in (LifecycleStatus.RETIRED, LifecycleStatus.DISPOSED):
        return f"{ci} is {ci.get_status_display().lower()}."
    return None


def cis_matching(*, school: School, location: Location | None = None, kind: str = "") -> list[ConfigurationItem]:
    """The CIs a CMDB filter names: the computers in a room (or a block and its rooms), or its devices of a kind."""
    cis = ConfigurationItem.objects.filter(school=school).exclude(kind__in=[*LOGICAL_KINDS, *PASSIVE_KINDS])
    cis = cis.exclude(status__in=[LifecycleStatus.RETIRED, LifecycleStatus.DISPOSED])
    if location is not None:
        if location.school_id != school.pk:
            raise ValidationError({"location": f"{location} belongs to another school."})
        # The room itself, or a block and its rooms, or a site, its blocks and their rooms.
        cis = cis.filter(Q(location=location) | Q(location__parent=location) | Q(location__parent__parent=location))
    # Without a kind, the computers: an image or an application goes on those (firmware names its kind).
    cis = cis.filter(kind=kind) if kind else cis.filter(kind__in=KIND_GROUPS["Computers"])
    return list(cis.order_by("name"))


@transaction.atomic
def wave_add(
    *,
    release: Release,
    actor: User,
    name: str,
    cis: Iterable[ConfigurationItem] | None = None,
    location: Location | None = None,
    kind: str = "",
    planned_start: datetime | None = None,
    planned_end: datetime | None = None,
) -> RolloutWave:
    """Add a wave of CIs to the rollout plan: named one by one, or by a CMDB filter (every computer in the
    ICT suite). A CI is in one wave of a release at most."""
    release = _locked(release)
    _require_manage(actor, release, "plan the rollout of")
    if release.status in (Status.COMPLETED, Status.FAILED, Status.CANCELLED):
        raise ValidationError(f"{release.reference} is {release.get_status_display().lower()}: no more waves.")
    if not name.strip():
        raise ValidationError({"name": "Name the wave (the ICT suite, front row)."})
    if planned_start and planned_end and planned_end <= planned_start:
        raise ValidationError({"planned_end": "The wave must end after it starts."})
    if cis is None:
        if location is None and not kind:
            raise ValidationError({"cis": "Name the CIs, or choose a room or a kind of device."})
        chosen = cis_matching(school=release.school, location=location, kind=kind)
    else:
        chosen = list(cis)
        for ci in chosen:
            if ci.school_id != release.school_id:
                raise ValidationError({"cis": f"{ci} belongs to another school."})
            why = _check_takes_release(ci)
            if why:
                raise ValidationError({"cis": why})
    if not chosen:
        raise ValidationError({"cis": "No configuration items match: nothing to roll out to."})
    already = dict(RolloutTarget.objects.filter(release=release, ci__in=chosen).values_list("ci__name", "wave__name"))
    if already:
        names = ", ".join(f"{ci} ({wave})" for ci, wave in sorted(already.items()))
        raise ValidationError({"cis": f"Already in a wave of {release.reference}: {names}."})
    order = (release.waves.aggregate(last=Max("order"))["last"] or 0) + 1
    wave = RolloutWave.objects.create(
        school_id=release.school_id,
        release=release,
        order=order,
        name=name.strip(),
        planned_start=planned_start,
        planned_end=planned_end,
    )
    RolloutTarget.objects.bulk_create(
        [RolloutTarget(school_id=release.school_id, release=release, wave=wave, ci=ci) for ci in chosen]
    )
    activity.record(
        release,
        actor=actor,
        kind=Activity.Kind.FIELD,
        text=f"Wave {order} added: {wave.name}, {len(chosen)} configuration item{'s' if len(chosen) != 1 else ''}.",
        changes={"wave": [wave.name, len(chosen)]},
    )
    return wave


# =============================================================================
# The workflow
# =============================================================================


def _move(release: Release, name: str, *, actor: User, note: str = "") -> str:
    workflow = Release.WORKFLOW
    try:
        transition = workflow.check_action(release.status, name)
    except InvalidTransition:
        if name not in workflow.transitions:
            raise
        allowed = ", ".join(t.label.lower() for t in workflow.allowed(release.status)) or "nothing"
        raise InvalidTransition(
            f"Cannot {workflow.transitions[name].label.lower()} {release.reference}: it is "
            f"{release.get_status_display().lower()}; from there you can: {allowed}."
        ) from None
    access.require(transition.permission, actor, release, f"You cannot {transition.label.lower()} {release.reference}.")
    if transition.note_required and not note.strip():
        raise ValidationError({"note": f"{transition.note_label} Please say."})
    old = release.status
    release.status = transition.target
    return old


def _check_may_roll_out(release: Release) -> None:
    """A release rolls out only under approved changes and with approved (tested) library versions."""
    blocking = [c for c in release.changes.all() if c.status not in CHANGE_READY_STATUSES]
    if blocking:
        names = "; ".join(f"{c.reference} ({c.title}) is {c.get_status_display().lower()}" for c in blocking)
        raise ValidationError(
            f"{release.reference} cannot start rolling out: {names}. Its changes must be approved, scheduled or in "
            "progress first."
        )
    if not release.changes.exists() and release.kind != ReleaseKind.EMERGENCY:
        raise ValidationError(
            f"{release.reference} bundles no request for change: link the approved change it carries out first."
        )
    withdrawn = [item.label for item in release.items.all() if item.status != ItemStatus.APPROVED]
    if withdrawn:
        raise ValidationError(
            f"{release.reference} cannot start rolling out: {', '.join(withdrawn)} "
            f"{'is' if len(withdrawn) == 1 else 'are'} no longer approved in the software library."
        )
    if not release.targets.exists():
        raise ValidationError(f"{release.reference} has no rollout wave: add the CIs it is installed on first.")


@transaction.atomic
def release_transition(*, release: Release, actor: User, action: str, note: str = "") -> Release:
    """Move the release along its workflow: build, test, ready, roll out, complete, fail or cancel."""
    release = _locked(release)
    if action == "complete":
        return _complete(release, actor=actor, note=note)
    old = _move(release, action, actor=actor, note=note)
    fields = ["status", "updated_at"]
    now = timezone.now()
    if action == "ready":
        release.built_at = now
        fields.append("built_at")
    elif action == "roll_out":
        _check_may_roll_out(release)
        release.started_at = now
        fields.append("started_at")
    elif action in ("fail", "cancel"):
        release.finished_at, release.outcome_note = now, note.strip()
        fields += ["finished_at", "outcome_note"]
    release.save(update_fields=fields)
    activity.record_status(release, actor=actor, old=old, new=release.status, note=note.strip())
    return release


def _complete(release: Release, *, actor: User, note: str) -> Release:
    """Every CI is done: completed. With failures, only with a note saying what happens to them (else mark it
    failed)."""
    old = _move(release, "complete", actor=actor, note=note)
    counts = dict.fromkeys(Outcome.values, 0)
    for outcome in release.targets.values_list("outcome", flat=True):
        counts[outcome] += 1
    if counts[Outcome.PENDING]:
        raise ValidationError(
            f"{release.reference} still has {counts[Outcome.PENDING]} CI{'s' if counts[Outcome.PENDING] != 1 else ''} "
            "pending: record each outcome (or skip them) before completing it."
        )
    if counts[Outcome.FAILED] and not note.strip():
        raise ValidationError(
            {"note": f"{counts[Outcome.FAILED]} CI{'s' if counts[Outcome.FAILED] != 1 else ''} failed: say how the "
                     "failures are dealt with to complete it, or mark the release failed."}
        )  # fmt: skip
    summary = (
        f"{counts[Outcome.SUCCEEDED]} succeeded, {counts[Outcome.FAILED]} failed, {counts[Outcome.SKIPPED]} skipped."
    )
    release.finished_at, release.outcome_note = timezone.now(), note.strip()
    release.save(update_fields=["status", "updated_at", "finished_at", "outcome_note"])
    activity.record_status(release, actor=actor, old=old, new=release.status, note=f"{summary} {note.strip()}".strip())
    return release


# =============================================================================
# Recording the rollout
# =============================================================================


def _products_for(school_id: int, items: list[SoftwareLibraryItem]) -> dict[int, SoftwareProduct]:
    """The school's CMDB product for each library item (by name and publisher), created when missing."""
    wanted = {(item.name, item.publisher) for item in items}
    found = {
        (p.name, p.publisher): p
        for p in SoftwareProduct.objects.filter(school_id=school_id, name__in={name for name, _ in wanted})
    }
    missing = [SoftwareProduct(school_id=school_id, name=n, publisher=p) for n, p in wanted if (n, p) not in found]
    if missing:
        SoftwareProduct.objects.bulk_create(missing)
        found.update(
            {
                (p.name, p.publisher): p
                for p in SoftwareProduct.objects.filter(school_id=school_id, name__in={n for n, _ in wanted})
            }
        )
    return {item.pk: found[(item.name, item.publisher)] for item in items}


def _mark_installed(release: Release, ci_ids: list[int], items: list[SoftwareLibraryItem], actor: User) -> None:
    """Set each CI's installed version of every library item of the release, replacing older versions of the same
    product (the CMDB's SoftwareInstallation rows), in a few queries per item whatever the number of CIs.

    Written in bulk here rather than through cmdb.services.software_install, which checks and writes one row at a
    time: the CIs were checked as software-bearing devices of the school when their wave was added."""
    today = timezone.localdate()
    products = _products_for(release.school_id, items)
    for item in items:
        product = products[item.pk]
        SoftwareInstallation.objects.filter(ci_id__in=ci_ids, product=product).exclude(version=item.version).delete()
        SoftwareInstallation.objects.bulk_create(
            [
                SoftwareInstallation(
                    school_id=release.school_id,
                    ci_id=ci_id,
                    product=product,
                    version=item.version,
                    installed_on=today,
                    source=SoftwareInstallation.Source.MANUAL,
                )
                for ci_id in ci_ids
            ],
            ignore_conflicts=True,  # already at that version: nothing to do
        )


def _record_on_cis(release: Release, ci_ids: list[int], *, actor: User, text: str) -> None:
    """The same entry on each CI's timeline (its history says what the release did to it), in one query."""
    content_type = ContentType.objects.get_for_model(ConfigurationItem)
    Activity.objects.bulk_create(
        [
            Activity(
                school_id=release.school_id,
                content_type=content_type,
                object_id=ci_id,
                kind=Activity.Kind.LINK,
                actor=actor,
                text=text,
                changes={"release": [release.reference, text]},
            )
            for ci_id in ci_ids
        ]
    )


@transaction.atomic
def rollout_record(
    *, release: Release, targets: Iterable[RolloutTarget], outcome: str, actor: User, note: str = ""
) -> int:
    """Record the outcome at one or many CIs of a release that is rolling out (a whole wave in one go).

    Succeeded: the CIs now run the release's library versions, and the CMDB says so. Failed: the note says why
    (required). Skipped: left out of this release (the PC is away for repair). A CI that succeeded stays so.
    Returns how many CIs were recorded."""
    release = _locked(release)
    _require_manage(actor, release, "record the rollout of")
    if release.status != Status.ROLLING_OUT:
        raise ValidationError(
            f"{release.reference} is {release.get_status_display().lower()}: outcomes are recorded while it rolls out."
        )
    if outcome not in (Outcome.SUCCEEDED, Outcome.FAILED, Outcome.SKIPPED):
        raise ValidationError({"outcome": "Say whether it succeeded, failed or was skipped."})
    note = note.strip()
    if outcome == Outcome.FAILED and not note:
        raise ValidationError({"note": "Say what went wrong on the failed CIs."})
    ids = {target.pk for target in targets}
    rows = list(
        RolloutTarget.objects.select_for_update()
        .filter(pk__in=ids, release=release)
        .values_list("pk", "ci_id", "ci__name", "outcome")
    )
    if len(rows) != len(ids):
        raise ValidationError({"targets": f"Only the CIs of {release.reference} can be recorded on it."})
    if not rows:
        raise ValidationError({"targets": "Choose the CIs to record."})
    done = sorted(name for _pk, _ci, name, old in rows if old == Outcome.SUCCEEDED)
    if done:
        raise ValidationError({"targets": f"Already installed successfully: {', '.join(done)}."})
    now = timezone.now()
    RolloutTarget.objects.filter(pk__in=ids).update(outcome=outcome, note=note, done_by=actor, done_at=now)
    ci_ids = [ci_id for _pk, ci_id, _name, _old in rows]
    items = list(release.items.all())
    if outcome == Outcome.SUCCEEDED:
        _mark_installed(release, ci_ids, items, actor)
        what = ", ".join(item.label for item in items) or "its build"
        _record_on_cis(release, ci_ids, actor=actor, text=f"Release {release.reference} installed {what}.")
    elif outcome == Outcome.FAILED:
        _record_on_cis(release, ci_ids, actor=actor, text=f"Release {release.reference} failed here: {note}")
    label = Outcome(outcome).label.lower()
    names = sorted(name for _pk, _ci, name, _old in rows)
    shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
    activity.record(
        release,
        actor=actor,
        kind=Activity.Kind.COMMENT,
        text=f"{len(rows)} CI{'s' if len(rows) != 1 else ''} {label}: {shown}." + (f" {note}" if note else ""),
        changes={"rollout": [label, len(rows)]},
    )
    return len(rows)


@transaction.atomic
def wave_record(*, wave: RolloutWave, outcome: str, actor: User, note: str = "") -> int:
    """Record the same outcome at every CI of a wave still pending ("mark the whole wave succeeded")."""
    pending = list(RolloutTarget.objects.filter(wave=wave, outcome=Outcome.PENDING).only("pk"))
    if not pending:
        raise ValidationError(f"Every CI of {wave} has its outcome already.")
    return rollout_record(release=wave.release, targets=pending, outcome=outcome, actor=actor, note=note)
