"""Patch Management's operations: keep the baseline, group the CIs, approve updates, import reports, plan rollouts.

Every state change of om.patches goes through here (the compliance run is om/patches/compliance.py).
"""

from __future__ import annotations

import csv
import io
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from changes import services as change_services
from changes.models import RequestForChange
from cmdb.models import ConfigurationItem, Kind, Location
from fits import access, activity
from fits.models import Authority, School, User
from om.patches.models import (
    Approval,
    ComplianceState,
    Decision,
    GroupMember,
    InstalledUpdate,
    PatchGroup,
    PatchImport,
    Rollout,
    Severity,
    State,
    Update,
    UpdateKind,
    version_key,
)

MAX_IMPORT_ROWS = 200_000
INSTALLED_WORDS = {"installed", "yes", "true", "1", "installedpendingreboot", "compliant"}
NOT_INSTALLED_WORDS = {"notinstalled", "not installed", "no", "false", "0", "needed", "missing", "failed", "downloaded"}


# =============================================================================
# The baseline: updates
# =============================================================================


@transaction.atomic
def update_save(
    *,
    actor: User,
    kind: str,
    identifier: str,
    product: str,
    school: School | None = None,
    authority: Authority | None = None,
    severity: str = Severity.IMPORTANT,
    min_version: str = "",
    title: str = "",
    released_on: date | None = None,
    update: Update | None = None,
) -> Update:
    """Add a line to a school's (or an authority's) patch baseline, or change one: a KB that must be installed, or
    the minimum version of a package, an application or a device model's firmware."""
    row = update or Update()
    if update is None:
        row.school, row.authority, row.created_by = school, authority if school is None else None, actor
    access.require(access.can_manage_update, actor, row, "You cannot keep this patch baseline.")
    identifier, product, min_version = identifier.strip(), product.strip(), min_version.strip()
    errors = {}
    if kind not in UpdateKind.values:
        errors["kind"] = f"Unknown kind {kind!r}."
    if severity not in Severity.values:
        errors["severity"] = f"Unknown severity {severity!r}."
    if not identifier:
        errors["identifier"] = "Name the update: a KB number, a package, an application or a device model."
    if not product:
        errors["product"] = "Say which product or operating system it is for."
    if kind in (UpdateKind.PACKAGE, UpdateKind.APPLICATION, UpdateKind.FIRMWARE) and not min_version:
        errors["min_version"] = "Give the minimum approved version."
    if kind == UpdateKind.WINDOWS_KB and identifier and not identifier.upper().startswith("KB"):
        errors["identifier"] = "A Windows update is named by its KB number (KB5034441)."
    if errors:
        raise ValidationError(errors)
    if kind == UpdateKind.WINDOWS_KB:
        identifier = identifier.upper()
    row.kind, row.identifier, row.product, row.severity = kind, identifier, product, severity
    row.min_version, row.min_version_key = min_version, version_key(min_version) if min_version else ""
    row.match_name, row.title, row.released_on = identifier.lower(), title.strip(), released_on
    duplicate = Update.objects.filter(
        school=row.school, authority=row.authority, kind=kind, identifier=identifier, min_version=min_version
    ).exclude(pk=row.pk)
    if duplicate.exists():
        raise ValidationError({"identifier": "This update is already in the baseline."})
    row.save()
    return row


# =============================================================================
# Groups and approvals (WSUS-style)
# =============================================================================


@transaction.atomic
def group_save(
    *,
    actor: User,
    school: School,
    name: str,
    ci_kind: str = "",
    location: Location | None = None,
    members=(),
    description: str = "",
    group: PatchGroup | None = None,
) -> PatchGroup:
    """Define a group of CIs updates are approved for: every CI of a kind (in a location) and CIs named by hand."""
    access.require(access.can_manage_patches, actor, school, "You cannot keep this school's patch groups.")
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Name the group."})
    if ci_kind and ci_kind not in Kind.values:
        raise ValidationError({"ci_kind": f"Unknown kind {ci_kind!r}."})
    members = list(members)
    for record in (location, *members):
        if record is not None and record.school_id != school.pk:
            raise ValidationError(f"{record} belongs to another school.")
    if not ci_kind and not members:
        raise ValidationError({"ci_kind": "Choose a kind of CI, or name the CIs."})
    if PatchGroup.objects.filter(school=school, name=name).exclude(pk=getattr(group, "pk", None)).exists():
        raise ValidationError({"name": "The school already has a group of this name."})
    created = group is None
    group = group or PatchGroup(school=school)
    group.name, group.ci_kind, group.location, group.description = name, ci_kind, location, description.strip()
    group.save()
    GroupMember.objects.filter(group=group).exclude(ci__in=members).delete()
    have = set(GroupMember.objects.filter(group=group).values_list("ci_id", flat=True))
    GroupMember.objects.bulk_create(
        [GroupMember(school=school, group=group, ci=ci) for ci in members if ci.pk not in have]
    )
    activity.record(group, actor=actor, kind="created" if created else "field", text=f"Patch group {name}")
    return group


@transaction.atomic
def approval_set(
    *, actor: User, update: Update, group: PatchGroup, decision: str, deadline: date | None = None
) -> Approval:
    """Approve an update for a group with a deadline, decline it, or mark it not applicable (WSUS)."""
    access.require(access.can_approve_patches, actor, group.school, "Only the network manager approves updates.")
    if not update.applies_at(group.school):
        raise ValidationError({"update": f"{update} is not in {group.school}'s baseline."})
    if decision not in Decision.values:
        raise ValidationError({"decision": f"Unknown decision {decision!r}."})
    if decision != Decision.APPROVED:
        deadline = None
    approval, _ = Approval.objects.update_or_create(
        update=update,
        group=group,
        defaults={"school": group.school, "decision": decision, "deadline": deadline, "decided_by": actor},
    )
    activity.record(
        group,
        actor=actor,
        kind="field",
        text=f"{update}: {approval.get_decision_display()}" + (f", deadline {deadline}" if deadline else ""),
    )
    return approval


# =============================================================================
# Imported reports (WSUS or vendor CSV)
# =============================================================================

COLUMNS = {
    "host": ("host", "hostname", "computer", "computer name", "computername", "device", "name"),
    "update": (
        "update",
        "kb",
        "kb number",
        "kb article",
        "kbarticle",
        "update title",
        "package",
        "identifier",
        "firmware",
    ),
    "state": ("state", "status", "installation state", "installed"),
    "version": ("version", "installed version"),
}


def _columns(header: list[str]) -> dict[str, int]:
    found = {}
    lowered = [cell.strip().lower() for cell in header]
    for column, names in COLUMNS.items():
        for index, cell in enumerate(lowered):
            if cell in names and column not in found:
                found[column] = index
    missing = [column for column in ("host", "update") if column not in found]
    if missing:
        raise ValidationError(
            f"Row 1: the header has no {' or '.join(missing)} column (it names: {', '.join(header) or 'nothing'})."
        )
    if "state" not in found and "version" not in found:
        raise ValidationError("Row 1: the header needs a state or a version column.")
    return found


@transaction.atomic
def import_report(*, actor: User, school: School, text: str, file_name: str = "") -> PatchImport:
    """Import a WSUS or vendor report (CSV: host, update, state and/or version) of what is installed where.

    Every row is checked first; any bad row refuses the whole file with its row and column, and nothing is written.
    The file is kept as it came.
    """
    access.require(access.can_manage_patches, actor, school, "You cannot import patch reports at this school.")
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise ValidationError("The file is empty.")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = next(reader)
    except StopIteration as error:
        raise ValidationError("The file is empty.") from error
    cols = _columns(header)
    names = {name.lower(): pk for pk, name in ConfigurationItem.objects.filter(school=school).values_list("pk", "name")}
    updates: dict[str, Update] = {}
    for update in Update.objects.of_school(school.pk):
        updates.setdefault(update.identifier.lower(), update)
    errors: list[str] = []
    found: dict[tuple[int, int], tuple[bool, str]] = {}
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if number > MAX_IMPORT_ROWS:
            errors.append(f"The file has more than {MAX_IMPORT_ROWS} rows.")
            break

        def cell(column: str, row=row) -> str:
            index = cols.get(column)
            return row[index].strip() if index is not None and index < len(row) else ""

        host, ident, state, version = cell("host"), cell("update"), cell("state"), cell("version")
        ci_id = names.get(host.lower()) or names.get(host.split(".")[0].lower())
        if not host:
            errors.append(f"Row {number}, column {header[cols['host']]}: no host name.")
        elif ci_id is None:
            errors.append(f"Row {number}, column {header[cols['host']]}: no CI named {host!r} at {school}.")
        update = updates.get(ident.lower())
        if update is None:
            errors.append(f"Row {number}, column {header[cols['update']]}: {ident!r} is not in the patch baseline.")
        installed = True
        if "state" in cols:
            word = state.lower().replace("_", " ")
            if word in INSTALLED_WORDS or word.replace(" ", "") in INSTALLED_WORDS:
                installed = True
            elif word in NOT_INSTALLED_WORDS or word.replace(" ", "") in NOT_INSTALLED_WORDS:
                installed = False
            else:
                errors.append(f"Row {number}, column {header[cols['state']]}: {state!r} is not an installation state.")
        elif not version:
            errors.append(f"Row {number}, column {header[cols['version']]}: no version.")
        if update is not None and update.is_versioned and installed and not version:
            errors.append(f"Row {number}, column version: {update} needs the installed version.")
        if len(errors) >= 50:
            errors.append("…and perhaps more: correct these first.")
            break
        if ci_id is not None and update is not None:
            found[(ci_id, update.pk)] = (installed, version[:100])
    if errors:
        raise ValidationError(errors)
    if not found:
        raise ValidationError("The file has no rows.")
    now = timezone.now()
    report = PatchImport.objects.create(
        school=school, file_name=file_name[:200], raw=text, rows=len(found), imported_by=actor
    )
    InstalledUpdate.objects.bulk_create(
        [
            InstalledUpdate(
                school=school,
                ci_id=ci_id,
                update_id=update_id,
                installed=installed,
                version=version,
                version_key=version_key(version) if version else "",
                reported_at=now,
                source=report,
            )
            for (ci_id, update_id), (installed, version) in found.items()
        ],  # fmt: skip
        update_conflicts=True,
        unique_fields=["ci", "update"],
        update_fields=["installed", "version", "version_key", "reported_at", "source"],
        batch_size=2000,
    )
    activity.record(
        report, actor=actor, kind="created", text=f"Imported {len(found)} rows from {file_name or 'a report'}"
    )
    return report


# =============================================================================
# Rollouts as changes
# =============================================================================


@transaction.atomic
def rollout_raise_change(*, actor: User, school: School, update: Update, **rfc_fields) -> Rollout:
    """Plan an update's rollout at a school as a request for change (a draft), naming the CIs that still need it."""
    access.require(access.can_manage_patches, actor, school, "You cannot plan patch rollouts at this school.")
    if not update.applies_at(school):
        raise ValidationError({"update": f"{update} is not in {school}'s baseline."})
    needing = ConfigurationItem.objects.filter(
        pk__in=ComplianceState.objects.filter(
            school=school, update=update, state__in=(State.MISSING, State.OVERDUE)
        ).values("ci_id")
    )
    count = needing.count()
    rfc_fields.setdefault("title", f"Roll out {update} ({update.product})"[:200])
    rfc_fields.setdefault(
        "reason",
        f"Patch Management: {update} ({update.get_severity_display().lower()}) is approved and {count} "
        f"device{'s' if count != 1 else ''} still need{'s' if count == 1 else ''} it.",
    )
    rfc_fields.setdefault("implementation_plan", f"Deploy {update} to the devices listed; check the next inventory.")
    rfc_fields.setdefault("backout_plan", "Uninstall the update or restore the previous version.")
    change: RequestForChange = change_services.rfc_create(
        school=school, requester=actor, cis=list(needing[:500]), **rfc_fields
    )
    return Rollout.objects.create(school=school, update=update, change=change, raised_by=actor)
