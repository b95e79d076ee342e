"""Every operation of Directory Services Administration that changes state: the connection settings, starters,
changes and leavers (carried out against the directory, or handed over as a task with exact instructions), the
bulk MIS intake, and sign-in's roles. The sync itself is om/directory/sync.py.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from datetime import date, datetime
from typing import Any

import ldap
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from fits import access, activity
from fits.models import Membership, Role, School, User
from incidents.models import TaskOrigin
from incidents.task_services import task_raise
from om.directory.connection import DirectoryError, count_entries, write
from om.directory.models import (
    AccountRequest,
    ChangeAction,
    DirectoryAccount,
    DirectoryChange,
    DirectoryGroup,
    DirectoryKind,
    DirectorySettings,
    EntryState,
    GroupMembership,
    IntakeUpload,
    RequestKind,
    RequestState,
    Security,
)

# =============================================================================
# Settings
# =============================================================================

SETTINGS_FIELDS = (
    "kind",
    "server_uris",
    "security",
    "ca_certificate",
    "verify_certificate",
    "bind_dn",
    "base_dn",
    "user_base_dn",
    "group_base_dn",
    "computer_base_dn",
    "user_filter",
    "group_filter",
    "computer_filter",
    "username_attribute",
    "new_account_classes",
    "timeout_seconds",
    "write_enabled",
    "write_bind_dn",
    "starter_ou",
    "pupil_ou",
    "leavers_ou",
    "upn_suffix",
    "sync_enabled",
    "signin_enabled",
)
SECRETS = ("bind_password", "write_bind_password")
URI = re.compile(r"^ldaps?://[A-Za-z0-9.\-\[\]:]+(:\d+)?/?$")


def role_map_parse(text: str) -> list[dict[str, str]]:
    """ "Domain Admins = network manager" lines into [{"group", "role"}]; an unknown role names its line."""
    by_name = {label.lower(): value for value, label in Role.choices} | {value: value for value in Role.values}
    mapping, seen = [], set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        group, sep, role = line.partition("=")
        group, role = group.strip(), role.strip().lower()
        if not sep or not group or not role:
            raise ValidationError({"role_map": f"Line {number}: write it as “group = role”, e.g. Teachers = ICT user."})
        if role not in by_name:
            choices = ", ".join(label for _, label in Role.choices)
            raise ValidationError({"role_map": f"Line {number}: “{role}” is not a role (use one of: {choices})."})
        if (group.lower(), by_name[role]) not in seen:
            seen.add((group.lower(), by_name[role]))
            mapping.append({"group": group, "role": by_name[role]})
    return mapping


def role_map_text(mapping: list[dict[str, str]]) -> str:
    labels = dict(Role.choices)
    return "\n".join(f"{row['group']} = {labels.get(row['role'], row['role'])}" for row in mapping)


def _check_dn(name: str, value: str) -> None:
    if value and not ldap.dn.is_dn(value):
        raise ValidationError({name: f"“{value}” is not a DN (e.g. ou=Staff,dc=highfield,dc=sch,dc=uk)."})


def _check_filter(name: str, value: str) -> None:
    if value and not (value.startswith("(") and value.endswith(")") and value.count("(") == value.count(")")):
        raise ValidationError(
            {name: f"“{value}” is not an LDAP filter: it must be in brackets, e.g. (objectClass=user)."}
        )


@transaction.atomic
def settings_save(
    *, school: School, actor: User, role_map: str | list | None = None, **values: Any
) -> DirectorySettings:
    """Connect a school to its directory, or change how (the network manager's). A password left empty keeps the
    stored one; `role_map` is text ("group = role" lines) or the parsed list."""
    access.require(access.can_configure_directory, actor, school, "Only the network manager connects the directory.")
    unknown = set(values) - set(SETTINGS_FIELDS) - set(SECRETS)
    if unknown:
        raise TypeError(f"Unknown directory settings: {sorted(unknown)}")
    config = DirectorySettings.objects.select_for_update().filter(school=school).first()
    created = config is None
    config = config or DirectorySettings(school=school)
    for name, value in values.items():
        if name in SECRETS and not value:
            continue  # write-only: empty keeps the stored secret
        setattr(config, name, value.strip() if isinstance(value, str) and name not in SECRETS else value)
    errors: dict[str, str] = {}
    uris = config.server_uris.split()
    if not uris:
        errors["server_uris"] = "Give at least one server, e.g. ldaps://dc1.highfield.local"
    for uri in uris:
        if not URI.match(uri):
            errors["server_uris"] = f"“{uri}” is not an LDAP URI: write ldap://host[:port] or ldaps://host[:port]."
    if config.security == Security.LDAPS and any(uri.startswith("ldap://") for uri in uris):
        errors["security"] = "LDAPS needs ldaps:// servers (or choose StartTLS for ldap:// ones)."
    if not config.bind_dn:
        errors["bind_dn"] = "Name the account FITS binds as (a read-only one is enough to synchronise)."
    if not config.base_dn:
        errors["base_dn"] = "Give the base DN of the directory, e.g. dc=highfield,dc=sch,dc=uk"
    if config.write_enabled and not (config.write_bind_dn or config.bind_dn):
        errors["write_bind_dn"] = "Name the account allowed to create and change accounts."
    if config.signin_enabled and not config.upn_suffix:
        errors["upn_suffix"] = "People sign in as user@domain: give the domain (e.g. highfield.sch.uk)."
    if config.timeout_seconds < 1 or config.timeout_seconds > 120:
        errors["timeout_seconds"] = "Between 1 and 120 seconds."
    if errors:
        raise ValidationError(errors)
    for name in ("base_dn", "user_base_dn", "group_base_dn", "computer_base_dn", "starter_ou", "leavers_ou"):
        _check_dn(name, getattr(config, name))
    _check_dn("pupil_ou", config.pupil_ou.replace("{year}", "7"))
    for name in ("user_filter", "group_filter", "computer_filter"):
        _check_filter(name, getattr(config, name))
    if role_map is not None:
        config.role_map = role_map_parse(role_map) if isinstance(role_map, str) else list(role_map)
    if config.signin_enabled and not config.role_map:
        raise ValidationError({"role_map": "Sign-in needs at least one group mapped to a role."})
    config.save()
    shown = {name: values[name] for name in values if name not in SECRETS}
    activity.record(
        config,
        actor=actor,
        kind="created" if created else "field",
        public=False,
        text="Directory connected." if created else "Directory settings changed.",
        changes={name: ["", str(value)] for name, value in shown.items()} if not created else {},
    )
    return config


def settings_test(*, config: DirectorySettings, actor: User) -> dict[str, int]:
    """The "Test connection" button: bind with the stored account and count what a sync would read."""
    access.require(access.can_configure_directory, actor, config, "Only the network manager tests the connection.")
    try:
        return count_entries(config)
    except DirectoryError as error:
        raise ValidationError(str(error)) from error


# =============================================================================
# Starters, changes and leavers
# =============================================================================


def username_for(first_name: str, last_name: str, *, school_id: int, suffix: str = "", taken: set[str] = frozenset()):
    """A free username: the first initial and the surname, in plain lowercase letters (Zoë O'Brien-Smith ->
    zobriensmith), with the suffix (a pupil's intake year), and 2, 3... when it is taken."""

    def plain(text: str) -> str:
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        return re.sub(r"[^a-z0-9]", "", text.lower())

    stem = (plain(first_name)[:1] + plain(last_name))[:18] + suffix
    if not stem:
        raise ValidationError("A username needs a first name or a surname.")
    used = {name.lower() for name in taken}
    used |= {
        name.lower()
        for name in DirectoryAccount.objects.filter(school_id=school_id, username__istartswith=stem).values_list(
            "username", flat=True
        )
    }
    used |= {
        name.lower()
        for name in AccountRequest.objects.filter(school_id=school_id, username__istartswith=stem)
        .exclude(state__in=[RequestState.DECLINED, RequestState.FAILED])
        .values_list("username", flat=True)
    }
    candidate, number = stem, 1
    while candidate in used:
        number += 1
        candidate = f"{stem}{number}"
    return candidate


def _ps(value: str) -> str:
    """A PowerShell double-quoted string."""
    return '"' + value.replace("`", "``").replace('"', '`"').replace("$", "`$") + '"'


def _split_name(full_name: str) -> tuple[str, str]:
    parts = full_name.strip().split()
    if len(parts) < 2:
        return (parts[0] if parts else "", "")
    return " ".join(parts[:-1]), parts[-1]


def _groups_named(school_id: int, names: list[str]) -> tuple[list[DirectoryGroup], list[str]]:
    wanted = [name.strip() for name in names if name.strip()]
    found = {g.name.lower(): g for g in DirectoryGroup.objects.filter(school_id=school_id, is_present=True)}
    return [found[n.lower()] for n in wanted if n.lower() in found], [n for n in wanted if n.lower() not in found]


def _account_dn(config: DirectorySettings | None, request: AccountRequest) -> str:
    ou = request.ou_dn or (config.starter_ou if config else "") or (config.base_dn if config else "")
    if config is not None and config.kind == DirectoryKind.OPENLDAP:
        rdn = f"uid={ldap.dn.escape_dn_chars(request.username)}"
    else:
        rdn = f"cn={ldap.dn.escape_dn_chars(request.full_name or request.username)}"
    return f"{rdn},{ou}"


def instructions(request: AccountRequest, config: DirectorySettings | None) -> tuple[str, list[str]]:
    """Exact instructions for carrying a request out by hand: (description, checklist steps)."""
    upn = f"{request.username}@{config.upn_suffix}" if config and config.upn_suffix else request.username
    groups = request.groups
    account = request.account
    identity = _ps(account.username if account else request.username)
    lines: list[str] = []
    if request.kind == RequestKind.STARTER:
        ou = request.ou_dn or (config.starter_ou if config else "") or "(the staff OU)"
        lines += [
            f"Create the account for {request.full_name}.",
            f"Username: {request.username}   Sign-in name: {upn}   OU: {ou}",
            f"Role / year: {request.title or '-'}   First day: {request.effective_on or '-'}",
            f"Groups: {', '.join(groups) or 'none named'}",
            "",
            "Active Directory (PowerShell, RSAT):",
            f"New-ADUser -Name {_ps(request.full_name)} -GivenName {_ps(request.first_name)} -Surname "
            f"{_ps(request.last_name)} -SamAccountName {_ps(request.username)} -UserPrincipalName {_ps(upn)} "
            f"-Path {_ps(ou)} -Title {_ps(request.title)} -Enabled $false",
            *[f"Add-ADGroupMember -Identity {_ps(group)} -Members {_ps(request.username)}" for group in groups],
            f"Set-ADAccountPassword -Identity {_ps(request.username)} -Reset   # then Enable-ADAccount on day one",
        ]
        steps = [
            f"Create {request.username} in {ou}",
            "Add to the groups named",
            "Set the first password and hand it over",
            "Enable the account on the first day",
        ]
    elif request.kind == RequestKind.LEAVER:
        where = account.dn if account else f"(find {request.username})"
        leavers = config.leavers_ou if config and config.leavers_ou else ""
        lines += [
            f"Disable the account of {request.full_name or request.username} ({request.username}).",
            f"Account: {where}   Last day: {request.effective_on or '-'}",
            "",
            "Active Directory (PowerShell, RSAT):",
            f"Disable-ADAccount -Identity {identity}",
            f"Get-ADPrincipalGroupMembership {identity} | Where-Object name -ne 'Domain Users' | "
            f"ForEach-Object {{ Remove-ADGroupMember -Identity $_ -Members {identity} -Confirm:$false }}",
        ]
        if leavers and account:
            lines.append(f"Move-ADObject -Identity {_ps(account.dn)} -TargetPath {_ps(leavers)}")
        steps = [f"Disable {request.username}", "Remove from every group but Domain Users"]
        steps += [f"Move to {leavers}"] if leavers else []
    else:
        add, remove = request.details.get("add_groups", []), request.details.get("remove_groups", [])
        lines += [f"Change the account {request.username}."]
        if request.title:
            lines += [f"New role: {request.title}", f"Set-ADUser -Identity {identity} -Title {_ps(request.title)}"]
        lines += [f"Add-ADGroupMember -Identity {_ps(g)} -Members {identity}" for g in add]
        lines += [f"Remove-ADGroupMember -Identity {_ps(g)} -Members {identity} -Confirm:$false" for g in remove]
        steps = [f"Change {request.username} as described"]
    missing = request.details.get("unknown_groups", [])
    if missing:
        lines += ["", f"Not found in the directory (check the names): {', '.join(missing)}"]
    return "\n".join(lines), steps


def _raise_task(request: AccountRequest, config: DirectorySettings | None, why: str) -> None:
    description, steps = instructions(request, config)
    verb = {"starter": "Create the account of", "leaver": "Disable the account of", "change": "Change the account of"}
    title = f"{verb[request.kind]} {request.full_name or request.username}"
    if request.ticket_id:
        title += f" ({request.ticket.reference})"
    task = task_raise(
        school=request.school,
        title=title,
        origin=TaskOrigin.ROUTINE,
        description=f"{why}\n\n{description}",
        steps=steps,
        due_on=request.effective_on,
        source=request,
        source_key=f"directory:request:{request.pk}",
    )
    request.task, request.state = task, RequestState.TASK
    request.outcome = f"{why} Task {task.reference} raised with the instructions."
    request.save(update_fields=["task", "state", "outcome"])
    _note_ticket(request, request.outcome)


def _note_ticket(request: AccountRequest, text: str) -> None:
    if request.ticket_id:
        activity.record_comment(request.ticket, actor=User.objects.system_account(), text=text, public=False)


def account_request_open(
    *,
    school: School,
    kind: str,
    details: dict[str, Any],
    ticket: Any = None,
    upload: IntakeUpload | None = None,
    first_name: str = "",
    last_name: str = "",
    username: str = "",
    title: str = "",
    ou_dn: str = "",
    groups: list[str] | None = None,
    effective_on: date | None = None,
) -> AccountRequest:
    """Record a starter, change or leaver (approved) and set it going: against the directory after commit when the
    school lets FITS write, otherwise as a task with exact instructions. Idempotent per ticket."""
    if ticket is not None:
        existing = AccountRequest.objects.filter(school=school, ticket=ticket).first()
        if existing is not None and existing.state not in (RequestState.AWAITING,):
            return existing
    else:
        existing = None
    config = DirectorySettings.objects.filter(school=school).first()
    account = None
    if kind != RequestKind.STARTER:
        account = (
            DirectoryAccount.objects.filter(school=school, kind="user", username__iexact=username)
            .exclude(state=EntryState.GONE)
            .first()
        )
        if account is not None:
            first_name, last_name = first_name or account.first_name, last_name or account.last_name
    elif not username:
        username = username_for(first_name, last_name, school_id=school.pk)
    known, unknown = _groups_named(school.pk, groups or [])
    details = {**details, "unknown_groups": unknown}
    request = existing or AccountRequest(school=school, kind=kind, ticket=ticket)
    for name, value in dict(
        upload=upload,
        account=account,
        first_name=first_name[:100],
        last_name=last_name[:100],
        username=username[:150],
        title=title[:200],
        ou_dn=ou_dn,
        effective_on=effective_on,
        groups=[g.name for g in known],
        details=details,
    ).items():
        setattr(request, name, value)
    request.state = RequestState.QUEUED
    request.save()
    if kind != RequestKind.STARTER and account is None:
        _raise_task(request, config, f"No account named {username or '(none given)'} was found in the directory.")
    elif config is None or not config.can_write:
        _raise_task(request, config, "FITS does not write to this school's directory.")
    else:
        from om.directory.tasks import account_request_carry_out_task

        request_id = request.pk
        transaction.on_commit(lambda: account_request_carry_out_task.delay(request_id))
    return request


def _modify_groups(ops: list, groups: list[DirectoryGroup], dn: str, mode: int) -> None:
    for group in groups:
        ops.append(("modify", group.dn, [(mode, "member", [dn.encode()])]))


@transaction.atomic
def account_request_carry_out(*, request_id: int) -> AccountRequest:
    """Carry out a queued request against the directory with the write account; the result goes on the request
    and, as an internal note, on its ticket. A failure (refused, not found) leaves a task with the instructions."""
    requests = AccountRequest.objects.select_for_update(of=("self",)).select_related("school", "account", "ticket")
    request = requests.get(pk=request_id)
    if request.state != RequestState.QUEUED:
        return request
    config = DirectorySettings.objects.get(school_id=request.school_id)
    now = timezone.now()
    ops: list[tuple[str, str, Any]] = []
    changes: list[DirectoryChange] = []
    groups = list(DirectoryGroup.objects.filter(school_id=request.school_id, name__in=request.groups, is_present=True))
    account = request.account
    if request.kind == RequestKind.STARTER:
        dn = _account_dn(config, request)
        upn = f"{request.username}@{config.upn_suffix}" if config.upn_suffix else ""
        entry: dict[str, list[bytes]] = {
            "objectClass": [name.encode() for name in config.default("new_account_classes").split()],
            "cn": [(request.full_name or request.username).encode()],
            "sn": [(request.last_name or request.username).encode()],
            config.default("username_attribute"): [request.username.encode()],
        }
        optional = {
            "givenName": request.first_name,
            "displayName": request.full_name,
            "title": request.title,
            "mail": upn if config.upn_suffix else "",
        }
        if config.kind == DirectoryKind.ACTIVE_DIRECTORY:
            optional |= {"userPrincipalName": upn, "userAccountControl": "514"}  # disabled until the first password
        entry |= {name: [value.encode()] for name, value in optional.items() if value}
        ops.append(("add", dn, list(entry.items())))
        _modify_groups(ops, groups, dn, ldap.MOD_ADD)
        done = f"Created {request.username} ({dn}), disabled until its first password is set"
        done += f"; added to {', '.join(g.name for g in groups)}." if groups else "."
    elif request.kind == RequestKind.LEAVER:
        dn = account.dn
        if config.kind == DirectoryKind.ACTIVE_DIRECTORY:
            ops.append(("modify", dn, [(ldap.MOD_REPLACE, "userAccountControl", [b"514"])]))
        else:
            ops.append(("modify", dn, [(ldap.MOD_DELETE, "userPassword", None)]))
        groups = list(DirectoryGroup.objects.filter(memberships__account=account, is_present=True))
        _modify_groups(ops, groups, dn, ldap.MOD_DELETE)
        moved = config.leavers_ou and not dn.lower().endswith(config.leavers_ou.lower())
        if moved:
            ops.append(("move", dn, config.leavers_ou))
        done = f"Disabled {account.username}"
        done += f"; removed from {', '.join(g.name for g in groups)}" if groups else ""
        done += f"; moved to {config.leavers_ou}." if moved else "."
    else:
        dn = account.dn
        if request.title:
            ops.append(("modify", dn, [(ldap.MOD_REPLACE, "title", [request.title.encode()])]))
        add, _ = _groups_named(request.school_id, request.details.get("add_groups", []))
        remove, _ = _groups_named(request.school_id, request.details.get("remove_groups", []))
        _modify_groups(ops, add, dn, ldap.MOD_ADD)
        _modify_groups(ops, remove, dn, ldap.MOD_DELETE)
        done = f"Changed {account.username}" + (f": role {request.title}" if request.title else "")
        done += f"; added to {', '.join(g.name for g in add)}" if add else ""
        done += f"; removed from {', '.join(g.name for g in remove)}" if remove else ""
        done += "."
    try:
        write(config, ops)
    except DirectoryError as error:
        request.state = RequestState.QUEUED  # _raise_task moves it on
        request.save(update_fields=["state"])
        _raise_task(request, config, f"FITS could not carry it out: {error}")
        request.state = RequestState.FAILED
        request.save(update_fields=["state"])
        return request
    # What FITS just did shows at once; the next sync confirms it.
    if account is not None and request.kind == RequestKind.LEAVER:
        changes.append(
            DirectoryChange(
                school_id=request.school_id,
                account=account,
                action=ChangeAction.DISABLED,
                field="state",
                old=account.state,
                new=EntryState.DISABLED,
                at=now,
            )
        )
        for group in groups:
            changes.append(
                DirectoryChange(
                    school_id=request.school_id,
                    account=account,
                    group=group,
                    action=ChangeAction.LEFT,
                    field="group",
                    old=group.name,
                    at=now,
                )
            )
        GroupMembership.objects.filter(account=account).delete()
        account.state, account.changed_at = EntryState.DISABLED, now
        if moved:
            account.dn = f"{dn.split(',', 1)[0]},{config.leavers_ou}"
            account.ou_dn = config.leavers_ou
        account.save()
    DirectoryChange.objects.bulk_create(changes)
    request.state, request.done_at, request.outcome = RequestState.DONE, now, done
    request.save(update_fields=["state", "done_at", "outcome"])
    _note_ticket(request, f"Directory: {done}")
    if request.kind == RequestKind.STARTER:
        description, _ = instructions(request, config)
        task_raise(
            school=request.school,
            title=f"Set the first password of {request.username} and hand it over",
            origin=TaskOrigin.ROUTINE,
            due_on=request.effective_on,
            source=request,
            source_key=f"directory:password:{request.pk}",
            description=f"FITS created the account disabled. Set its first password, give it to "
            f"{request.full_name} in person, and enable it on the first day.\n"
            f"Set-ADAccountPassword -Identity {_ps(request.username)} -Reset\n"
            f"Enable-ADAccount -Identity {_ps(request.username)}",
            steps=["Set the first password", "Hand it over in person", "Enable on the first day"],
        )
    return request


def account_request_fail(*, request_id: int, message: str) -> None:
    """A carry-out that broke (not the directory refusing: that is handled) is not left queued without a word."""
    AccountRequest.objects.filter(pk=request_id, state=RequestState.QUEUED).update(
        state=RequestState.FAILED, outcome=f"FITS could not carry it out: {message[:500]}"
    )


def account_request_decline(*, ticket: Any) -> None:
    AccountRequest.objects.filter(ticket=ticket, state=RequestState.AWAITING).update(
        state=RequestState.DECLINED, outcome="The request was declined."
    )


# =============================================================================
# Bulk intake and leavers from the MIS export
# =============================================================================

COLUMNS = {  # header names accepted for each column (SIMS, Arbor and Bromcom exports differ)
    "upn": ("upn", "unique pupil number"),
    "surname": ("legal surname", "surname", "last name"),
    "forename": ("forename", "legal forename", "first name", "preferred forename"),
    "year": ("year", "year group", "ncyear", "nc year"),
    "reg": ("reg", "reg group", "registration group", "form"),
    "date": ("admission date", "date of admission", "leaving date", "date of leaving", "date"),
    "username": ("username", "user name", "logon name"),
}
MAX_ROWS = 2000


def _date(value: str) -> date | None:
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(value, pattern).date()  # noqa: DTZ007 - a calendar date, no time
        except ValueError:
            continue
    raise ValueError(value)


@transaction.atomic
def intake_preview(*, school: School, actor: User, kind: str, file_name: str, data: bytes) -> IntakeUpload:
    """Read a CSV of the MIS export and keep it with what each row would do and each bad row's error (row and
    column named). Nothing is applied until `intake_apply`."""
    access.require(access.can_work_directory, actor, school, "Only technicians and the network manager upload these.")
    if kind not in IntakeUpload.Kind.values:
        raise ValidationError({"kind": "Choose intake or leavers."})
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as error:
            raise ValidationError({"file": "The file is not text: export it from the MIS as CSV."}) from error
    reader = csv.reader(io.StringIO(text))
    header = [name.strip().lower() for name in next(reader, [])]
    where = {key: next((i for i, name in enumerate(header) if name in names), None) for key, names in COLUMNS.items()}
    needed = ["surname", "forename"] + (["year"] if kind == IntakeUpload.Kind.INTAKE else [])
    missing = [COLUMNS[key][0].title() for key in needed if where[key] is None]
    if missing:
        raise ValidationError(
            {
                "file": f"Row 1 (the header) has no {', '.join(missing)} column. Columns found: "
                f"{', '.join(header) or 'none'}."
            }
        )
    config = DirectorySettings.objects.filter(school=school).first()
    rows, errors, taken = [], [], set()
    accounts = list(DirectoryAccount.objects.filter(school=school, kind="user").exclude(state=EntryState.GONE))
    for number, values in enumerate(reader, start=2):
        if not any(value.strip() for value in values):
            continue
        if number > MAX_ROWS + 1:
            errors.append({"row": number, "column": "", "message": f"More than {MAX_ROWS} rows: split the file."})
            break

        def cell(key: str, values=values) -> str:
            index = where[key]
            return values[index].strip() if index is not None and index < len(values) else ""

        surname, forename = cell("surname"), cell("forename")
        problem = None
        if not surname:
            problem = ("Legal Surname", "is empty")
        elif not forename:
            problem = ("Forename", "is empty")
        when = None
        if problem is None and cell("date"):
            try:
                when = _date(cell("date"))
            except ValueError:
                problem = (header[where["date"]].title(), f"“{cell('date')}” is not a date (use dd/mm/yyyy)")
        year = re.sub(r"^(year|yr|y)\s*", "", cell("year").lower()).strip()
        if problem is None and kind == IntakeUpload.Kind.INTAKE and not (year.isdigit() and 1 <= int(year) <= 14):
            problem = ("Year", f"“{cell('year')}” is not a year group (1 to 14, or R)")
        if problem is not None:
            errors.append({"row": number, "column": problem[0], "message": f"{problem[0]} {problem[1]}."})
            continue
        row = {
            "row": number,
            "upn": cell("upn"),
            "first_name": forename,
            "last_name": surname,
            "year": year,
            "reg": cell("reg"),
            "date": when.isoformat() if when else "",
        }
        if kind == IntakeUpload.Kind.INTAKE:
            suffix = f"{(when or timezone.localdate()).year % 100:02d}"
            row["username"] = username_for(forename, surname, school_id=school.pk, suffix=suffix, taken=taken)
            taken.add(row["username"])
            pupil_ou = config.pupil_ou if config else ""
            row["ou"] = pupil_ou.replace("{year}", year) if pupil_ou else ""
            row["action"] = f"Create {row['username']}" + (f" in {row['ou']}" if row["ou"] else "")
        else:
            username = cell("username")
            if username:
                match = [a for a in accounts if a.username.lower() == username.lower()]
            else:
                match = [
                    a
                    for a in accounts
                    if a.first_name.lower() == forename.lower() and a.last_name.lower() == surname.lower()
                ]
            if len(match) != 1:
                why = (
                    "no account matches"
                    if not match
                    else f"{len(match)} accounts match ({', '.join(a.username for a in match)}): add a Username column"
                )
                errors.append(
                    {
                        "row": number,
                        "column": "Username" if username else "Forename",
                        "message": f"{forename} {surname}: {why}.",
                    }
                )
                continue
            row["username"] = match[0].username
            row["action"] = f"Disable {match[0].username}" + (" (already disabled)" if not match[0].is_enabled else "")
        rows.append(row)
    if not rows and not errors:
        raise ValidationError({"file": "The file has a header but no rows."})
    return IntakeUpload.objects.create(
        school=school, kind=kind, file_name=file_name[:200], raw=text, rows=rows, errors=errors, uploaded_by=actor
    )


@transaction.atomic
def intake_apply(*, upload: IntakeUpload, actor: User) -> list[AccountRequest]:
    """Apply a previewed upload: one AccountRequest per good row, all in one transaction. An upload with errors is
    refused: fix the file and upload it again."""
    upload = IntakeUpload.objects.select_for_update().get(pk=upload.pk)
    access.require(access.can_work_directory, actor, upload, "Only technicians and the network manager apply these.")
    if upload.status != IntakeUpload.Status.PREVIEW:
        raise ValidationError(f"This upload is {upload.get_status_display().lower()}: upload the file again.")
    if upload.errors:
        raise ValidationError(f"{len(upload.errors)} rows have errors: fix them in the file and upload it again.")
    kind = RequestKind.STARTER if upload.kind == IntakeUpload.Kind.INTAKE else RequestKind.LEAVER
    requests = []
    for row in upload.rows:
        requests.append(
            account_request_open(
                school=upload.school,
                kind=kind,
                upload=upload,
                details={"mis": row},
                first_name=row["first_name"],
                last_name=row["last_name"],
                username=row["username"],
                ou_dn=row.get("ou", ""),
                title=f"Pupil, Year {row['year']}" if row.get("year") else "",
                groups=[f"Year {row['year']}"] if kind == RequestKind.STARTER and row.get("year") else [],
                effective_on=date.fromisoformat(row["date"]) if row.get("date") else None,
            )
        )
    upload.status, upload.applied_at = IntakeUpload.Status.APPLIED, timezone.now()
    upload.save(update_fields=["status", "applied_at"])
    return requests


@transaction.atomic
def intake_cancel(*, upload: IntakeUpload, actor: User) -> IntakeUpload:
    upload = IntakeUpload.objects.select_for_update().get(pk=upload.pk)
    access.require(access.can_work_directory, actor, upload, "Only technicians and the network manager do this.")
    if upload.status == IntakeUpload.Status.PREVIEW:
        upload.status = IntakeUpload.Status.CANCELLED
        upload.save(update_fields=["status"])
    return upload


# =============================================================================
# Sign-in: the roles a directory account's groups give
# =============================================================================


@transaction.atomic
def signin_apply(*, school: School, user: User, account_dn: str, username: str, group_names: set[str]) -> set[str]:
    """Give a person signing in with their directory account the roles their groups map to at the school, take
    back roles the directory gave before and no longer does, and link the account record. Refused (PermissionDenied)
    when no group of theirs is mapped."""
    config = DirectorySettings.objects.get(school=school)
    roles = config.roles_for(group_names)
    account = (
        DirectoryAccount.objects.filter(school=school, kind="user")
        .filter(Q(dn__iexact=account_dn) | Q(username__iexact=username))
        .exclude(state=EntryState.GONE)
        .first()
    )
    previous = set(account.granted_roles) if account else set()
    for granted in DirectoryAccount.objects.filter(school=school, person=user).values_list("granted_roles", flat=True):
        previous |= set(granted)
    if not user.has_usable_password() and user.username.endswith(f"@{school.slug}"):
        # made by the directory sign-in: every role it holds at the school came from the directory
        previous |= set(Membership.objects.filter(user=user, school=school).values_list("role", flat=True))
    stale = previous - roles
    if stale:
        Membership.objects.filter(user=user, school=school, role__in=stale).delete()
    if not roles:
        raise PermissionDenied(
            f"Your directory account is in no group that {school} has given a role in FITS. Ask the network manager."
        )
    for role in roles:
        Membership.objects.get_or_create(user=user, school=school, role=role)
    if account is not None:
        account.person, account.granted_roles, account.signed_in_at = user, sorted(roles), timezone.now()
        account.save(update_fields=["person", "granted_roles", "signed_in_at"])
    return roles
