"""Synchronising a school's directory into its directory records (FITS OM Directory Services Administration).

`directory_sync` reads every OU, person, group and computer with paged searches (python-ldap, 500 a page), then
writes what changed in one transaction:

- an entry is known by its objectGUID (Active Directory) or entryUUID (OpenLDAP), so a moved account stays itself;
- incremental: an entry whose change stamp (uSNChanged, entryCSN, whenChanged or modifyTimestamp) is the one stored
  is counted unchanged without comparing it (`full=True` compares everything);
- every difference is a DirectoryChange row (field, old -> new) of the run; nothing is ever deleted: an entry gone
  from the directory is marked gone (and an account disabled), a left group is a change row;
- one sync at a time per school: a second one while a run is in progress is refused (a run older than an hour is
  taken as abandoned);
- a failure (cannot bind, TLS, timeout, a bad filter) is recorded on the run with its message and nothing is written.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from fits.models import School, User
from om.directory.connection import OPERATIONAL, DirectoryError, connect, paged_search
from om.directory.models import (
    ADMIN_GROUP_NAMES,
    AccountKind,
    ChangeAction,
    DirectoryAccount,
    DirectoryChange,
    DirectoryGroup,
    DirectorySettings,
    EntryState,
    GroupMembership,
    OrganisationalUnit,
    SyncRun,
)

ABANDONED_AFTER = timedelta(hours=1)
STAMPS = ("uSNChanged", "entryCSN", "whenChanged", "modifyTimestamp")
ACCOUNT_DISABLED = 0x2  # userAccountControl ACCOUNTDISABLE
FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)
USER_ATTRIBUTES = [
    "cn",
    "sn",
    "givenName",
    "displayName",
    "mail",
    "title",
    "userPrincipalName",
    "sAMAccountName",
    "uid",
    "userAccountControl",
    "lastLogonTimestamp",
    "authTimestamp",
    "pwdAccountLockedTime",
    "dNSHostName",
    "operatingSystem",
]
GROUP_ATTRIBUTES = ["cn", "description", "member", "uniqueMember"]
OU_ATTRIBUTES = ["ou", "description"]
# Account fields the sync keeps and logs, in the order the change log shows them.
ACCOUNT_FIELDS = (
    "dn",
    "username",
    "display_name",
    "first_name",
    "last_name",
    "email",
    "principal_name",
    "title",
    "ou_dn",
    "operating_system",
    "host_name",
    "state",
    "last_logon_at",
)
QUIET_FIELDS = {"last_logon_at"}  # changes at every logon: kept, not logged


class SyncBusy(ValidationError):
    """A sync of the school is already running."""


# =============================================================================
# Reading entries
# =============================================================================


def _attrs(raw: dict[str, list[bytes]]) -> dict[str, list[bytes]]:
    return {name.lower(): values for name, values in raw.items()}


def _text(attrs: dict[str, list[bytes]], name: str) -> str:
    values = attrs.get(name.lower())
    return values[0].decode("utf-8", "replace").strip() if values else ""


def _identity(dn: str, attrs: dict[str, list[bytes]]) -> str:
    guid = attrs.get("objectguid")
    if guid and len(guid[0]) == 16:
        return str(uuid.UUID(bytes_le=guid[0]))
    return _text(attrs, "entryUUID") or dn.lower()


def _stamp(attrs: dict[str, list[bytes]]) -> str:
    return next((_text(attrs, name) for name in STAMPS if _text(attrs, name)), "")


def filetime(value: str) -> datetime | None:
    """An AD timestamp (100 ns since 1601) as a datetime; 0 and "never" (max int) as None."""
    try:
        ticks = int(value)
    except ValueError:
        return None
    if ticks <= 0 or ticks >= 0x7FFFFFFFFFFFFFFF:
        return None
    return FILETIME_EPOCH + timedelta(microseconds=ticks // 10)


def generalized_time(value: str) -> datetime | None:
    """An LDAP GeneralizedTime (20261124103000Z) as a datetime."""
    try:
        return datetime.strptime(value[:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def is_disabled(attrs: dict[str, list[bytes]]) -> bool:
    """Disabled in AD (userAccountControl bit 2) or locked for good in OpenLDAP (ppolicy's pwdAccountLockedTime)."""
    control = _text(attrs, "userAccountControl")
    if control.lstrip("-").isdigit() and int(control) & ACCOUNT_DISABLED:
        return True
    return bool(_text(attrs, "pwdAccountLockedTime"))


def account_values(config: DirectorySettings, kind: str, dn: str, attrs: dict[str, list[bytes]]) -> dict[str, Any]:
    """What an account entry says, in the fields DirectoryAccount keeps."""
    username = _text(attrs, config.default("username_attribute")) or _text(attrs, "uid") or _text(attrs, "cn")
    last_logon = filetime(_text(attrs, "lastLogonTimestamp")) or generalized_time(_text(attrs, "authTimestamp"))
    return {
        "kind": kind,
        "dn": dn,
        "username": username[:150],
        "display_name": (_text(attrs, "displayName") or _text(attrs, "cn"))[:200],
        "first_name": _text(attrs, "givenName")[:100],
        "last_name": _text(attrs, "sn")[:100],
        "email": _text(attrs, "mail")[:254],
        "principal_name": _text(attrs, "userPrincipalName")[:254],
        "title": _text(attrs, "title")[:200],
        "ou_dn": dn.split(",", 1)[1] if "," in dn else "",
        "operating_system": _text(attrs, "operatingSystem")[:100],
        "host_name": _text(attrs, "dNSHostName")[:200],
        "state": EntryState.DISABLED if is_disabled(attrs) else EntryState.ACTIVE,
        "last_logon_at": last_logon,
    }


@dataclass
class Snapshot:
    """Everything one read of the directory found, keyed by identity."""

    ous: dict[str, dict[str, Any]] = field(default_factory=dict)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.ous) + len(self.accounts) + len(self.groups)


def read_directory(config: DirectorySettings) -> Snapshot:
    """Read the school's directory (raises DirectoryError with a message fit for the run)."""
    snapshot = Snapshot()
    with connect(config) as conn:
        for dn, raw in paged_search(
            conn, config.base_dn, "(objectClass=organizationalUnit)", OU_ATTRIBUTES + OPERATIONAL
        ):
            attrs = _attrs(raw)
            snapshot.ous[_identity(dn, attrs)] = {
                "stamp": _stamp(attrs),
                "dn": dn,
                "name": _text(attrs, "ou")[:200],
                "description": _text(attrs, "description")[:300],
            }
        searches = (
            (AccountKind.USER, config.user_base_dn or config.base_dn, config.default("user_filter")),
            (AccountKind.COMPUTER, config.computer_base_dn or config.base_dn, config.default("computer_filter")),
        )
        for kind, base, query in searches:
            for dn, raw in paged_search(conn, base, query, USER_ATTRIBUTES + OPERATIONAL):
                attrs = _attrs(raw)
                snapshot.accounts[_identity(dn, attrs)] = {
                    "stamp": _stamp(attrs),
                    **account_values(config, kind, dn, attrs),
                }
        base = config.group_base_dn or config.base_dn
        for dn, raw in paged_search(conn, base, config.default("group_filter"), GROUP_ATTRIBUTES + OPERATIONAL):
            attrs = _attrs(raw)
            name = _text(attrs, "cn")[:200]
            members = [value.decode("utf-8", "replace").lower() for value in attrs.get("member", [])]
            members += [value.decode("utf-8", "replace").lower() for value in attrs.get("uniquemember", [])]
            snapshot.groups[_identity(dn, attrs)] = {
                "stamp": _stamp(attrs),
                "dn": dn,
                "name": name,
                "description": _text(attrs, "description")[:300],
                "is_admin_group": name.lower() in ADMIN_GROUP_NAMES,
                "members": members,
            }
    return snapshot


# =============================================================================
# Writing what changed
# =============================================================================


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return str(value)


class _Writer:
    """Applies a snapshot to the school's records, counting and logging as it goes."""

    def __init__(self, *, school: School, run: SyncRun, full: bool, now: datetime) -> None:
        self.school, self.run, self.full, self.now = school, run, full, now
        self.changes: list[DirectoryChange] = []

    def log(self, action: str, *, account=None, group=None, ou=None, name: str = "", old: Any = "", new: Any = ""):
        self.changes.append(
            DirectoryChange(
                school=self.school,
                run=self.run,
                account=account,
                group=group,
                ou=ou,
                action=action,
                field=name,
                old=_shown(old),
                new=_shown(new),
                at=self.now,
            )
        )

    def ous(self, found: dict[str, dict[str, Any]]) -> None:
        existing = {ou.external_id: ou for ou in OrganisationalUnit.objects.filter(school=self.school)}
        new, dirty = [], []
        for key, values in found.items():
            ou = existing.get(key)
            if ou is None:
                new.append(
                    OrganisationalUnit(
                        school=self.school,
                        external_id=key,
                        dn=values["dn"],
                        name=values["name"],
                        description=values["description"],
                        change_stamp=values["stamp"],
                        first_seen_at=self.now,
                        changed_at=self.now,
                    )
                )
                continue
            if not self.full and ou.change_stamp == values["stamp"] and ou.is_present:
                self.run.unchanged += 1
                continue
            touched = False
            for name in ("dn", "name", "description"):
                if getattr(ou, name) != values[name]:
                    self.log(ChangeAction.CHANGED, ou=ou, name=name, old=getattr(ou, name), new=values[name])
                    setattr(ou, name, values[name])
                    touched = True
            if not ou.is_present:
                ou.is_present, ou.gone_at, touched = True, None, True
                self.log(ChangeAction.ADDED, ou=ou, name="present", old="gone", new="present")
            ou.change_stamp = values["stamp"]
            if touched:
                ou.changed_at = self.now
                self.run.changed += 1
            else:
                self.run.unchanged += 1
            dirty.append(ou)
        for key, ou in existing.items():
            if key not in found and ou.is_present:
                ou.is_present, ou.gone_at, ou.changed_at = False, self.now, self.now
                self.log(ChangeAction.GONE, ou=ou)
                dirty.append(ou)
        OrganisationalUnit.objects.bulk_create(new)
        for ou in new:
            self.log(ChangeAction.ADDED, ou=ou, new=ou.dn)
        self.run.added += len(new)
        OrganisationalUnit.objects.bulk_update(
            dirty, ["dn", "name", "description", "change_stamp", "is_present", "gone_at", "changed_at"]
        )

    def accounts(self, found: dict[str, dict[str, Any]]) -> None:
        existing = {account.external_id: account for account in DirectoryAccount.objects.filter(school=self.school)}
        new, dirty = [], []
        for key, values in found.items():
            stamp = values.pop("stamp")
            account = existing.get(key)
            if account is None:
                new.append(
                    DirectoryAccount(
                        school=self.school,
                        external_id=key,
                        change_stamp=stamp,
                        first_seen_at=self.now,
                        changed_at=self.now,
                        **values,
                    )
                )
                continue
            if not self.full and account.change_stamp == stamp and account.state != EntryState.GONE:
                if account.last_logon_at != values["last_logon_at"]:  # AD replicates it without a new stamp
                    account.last_logon_at = values["last_logon_at"]
                    dirty.append(account)
                self.run.unchanged += 1
                continue
            touched = False
            for name in ACCOUNT_FIELDS:
                old, value = getattr(account, name), values[name]
                if old == value:
                    continue
                setattr(account, name, value)
                if name in QUIET_FIELDS:
                    continue
                touched = True
                if name == "state":
                    action = ChangeAction.DISABLED if value == EntryState.DISABLED else ChangeAction.ENABLED
                    if action == ChangeAction.DISABLED:
                        self.run.disabled += 1
                    self.log(action, account=account, name="state", old=old, new=value)
                else:
                    self.log(ChangeAction.CHANGED, account=account, name=name, old=old, new=value)
            account.kind, account.change_stamp, account.gone_at = values["kind"], stamp, None
            if touched:
                account.changed_at = self.now
                self.run.changed += 1
            else:
                self.run.unchanged += 1
            dirty.append(account)
        for key, account in existing.items():
            if key not in found and account.state != EntryState.GONE:
                self.log(ChangeAction.GONE, account=account, name="state", old=account.state, new=EntryState.GONE)
                account.state, account.gone_at, account.changed_at = EntryState.GONE, self.now, self.now
                self.run.disabled += 1
                dirty.append(account)
        DirectoryAccount.objects.bulk_create(new)
        for account in new:
            self.log(ChangeAction.ADDED, account=account, new=account.dn)
            if account.state == EntryState.DISABLED:
                self.run.disabled += 1
        self.run.added += len(new)
        DirectoryAccount.objects.bulk_update(dirty, [*ACCOUNT_FIELDS, "kind", "change_stamp", "gone_at", "changed_at"])

    def groups(self, found: dict[str, dict[str, Any]]) -> None:
        existing = {group.external_id: group for group in DirectoryGroup.objects.filter(school=self.school)}
        accounts = {
            dn.lower(): pk
            for pk, dn in DirectoryAccount.objects.filter(school=self.school)
            .exclude(state=EntryState.GONE)
            .values_list("pk", "dn")
        }
        names = dict(DirectoryAccount.objects.filter(school=self.school).values_list("pk", "username"))
        pending: list[tuple[DirectoryGroup, set[int], bool]] = []  # (group, members now, attributes changed)
        new = []
        for key, values in found.items():
            group = existing.get(key)
            members = {accounts[dn] for dn in values["members"] if dn in accounts}
            if group is None:
                group = DirectoryGroup(
                    school=self.school,
                    external_id=key,
                    dn=values["dn"],
                    name=values["name"],
                    description=values["description"],
                    is_admin_group=values["is_admin_group"],
                    change_stamp=values["stamp"],
                    first_seen_at=self.now,
                    changed_at=self.now,
                )
                new.append(group)
                pending.append((group, members, True))
                continue
            if not self.full and group.change_stamp == values["stamp"] and group.is_present:
                self.run.unchanged += 1
                continue
            touched = False
            for name in ("dn", "name", "description", "is_admin_group"):
                if getattr(group, name) != values[name]:
                    self.log(ChangeAction.CHANGED, group=group, name=name, old=getattr(group, name), new=values[name])
                    setattr(group, name, values[name])
                    touched = True
            if not group.is_present:
                group.is_present, group.gone_at, touched = True, None, True
            group.change_stamp = values["stamp"]
            pending.append((group, members, touched))
        for key, group in existing.items():
            if key not in found and group.is_present:
                group.is_present, group.gone_at = False, self.now
                self.log(ChangeAction.GONE, group=group)
                pending.append((group, set(), True))
                self.run.disabled += 1
        DirectoryGroup.objects.bulk_create(new)
        for group in new:
            self.log(ChangeAction.ADDED, group=group, new=group.dn)
        self.run.added += len(new)
        # Memberships of the groups read again: joined and left, each a change row of the account.
        current: dict[int, set[int]] = {}
        rows = GroupMembership.objects.filter(group_id__in=[group.pk for group, _, _ in pending])
        for group_id, account_id in rows.values_list("group_id", "account_id"):
            current.setdefault(group_id, set()).add(account_id)
        joined, updated = [], []
        for group, members, touched in pending:
            before = current.get(group.pk, set())
            for account_id in sorted(members - before):
                joined.append(GroupMembership(school=self.school, group=group, account_id=account_id))
                self.log(
                    ChangeAction.JOINED,
                    account=DirectoryAccount(pk=account_id, username=names.get(account_id)),
                    group=group,
                    name="group",
                    new=group.name,
                )
            gone = sorted(before - members)
            for account_id in gone:
                self.log(
                    ChangeAction.LEFT,
                    account=DirectoryAccount(pk=account_id, username=names.get(account_id)),
                    group=group,
                    name="group",
                    old=group.name,
                )
            if gone:
                GroupMembership.objects.filter(group=group, account_id__in=gone).delete()
            group.member_count = len(members)
            if group in new:
                updated.append(group)
                continue
            if touched or members != before:
                group.changed_at = self.now
                if group.is_present:
                    self.run.changed += 1
            else:
                self.run.unchanged += 1
            updated.append(group)
        GroupMembership.objects.bulk_create(joined)
        DirectoryGroup.objects.bulk_update(
            updated,
            [
                "dn",
                "name",
                "description",
                "is_admin_group",
                "change_stamp",
                "is_present",
                "gone_at",
                "changed_at",
                "member_count",
            ],
        )


def _start(*, config: DirectorySettings, trigger: str, full: bool, actor: User | None, now: datetime) -> SyncRun:
    with transaction.atomic():
        DirectorySettings.objects.select_for_update().get(pk=config.pk)  # one sync at a time per school
        running = SyncRun.objects.filter(school_id=config.school_id, status=SyncRun.Status.RUNNING)
        running.filter(started_at__lt=now - ABANDONED_AFTER).update(
            status=SyncRun.Status.FAILED, finished_at=now, error="Abandoned: the run did not finish within an hour."
        )
        busy = running.filter(started_at__gte=now - ABANDONED_AFTER).first()
        if busy is not None:
            raise SyncBusy(f"A sync of {config.school} is already running (since {_shown(busy.started_at)}).")
        return SyncRun.objects.create(
            school_id=config.school_id, trigger=trigger, full=full, started_at=now, requested_by=actor
        )


def directory_sync(
    *, school: School, trigger: str = SyncRun.Trigger.SCHEDULE, full: bool = False, actor: User | None = None
) -> SyncRun:
    """Synchronise the school's directory into its records and return the run (its counts, or its error).

    Raises ValidationError when the school has no directory settings, SyncBusy when a sync is already running.
    """
    config = DirectorySettings.objects.filter(school=school).first()
    if config is None:
        raise ValidationError(f"{school} has no directory settings: add them first.")
    now = timezone.now()
    run = _start(config=config, trigger=trigger, full=full, actor=actor, now=now)
    try:
        snapshot = read_directory(config)
    except DirectoryError as error:
        return _fail(run, str(error))
    try:
        with transaction.atomic():
            writer = _Writer(school=school, run=run, full=full, now=now)
            writer.ous(snapshot.ous)
            writer.accounts(snapshot.accounts)
            writer.groups(snapshot.groups)
            DirectoryChange.objects.bulk_create(writer.changes, batch_size=500)
            run.entries_read = snapshot.size
            run.status, run.finished_at = SyncRun.Status.SUCCEEDED, timezone.now()
            run.save()
    except Exception as error:  # nothing was written; say so on the run rather than leave it running
        run.refresh_from_db()
        _fail(run, f"Could not save what was read ({error.__class__.__name__}: {error}); nothing was changed.")
        raise
    return run


def _fail(run: SyncRun, message: str) -> SyncRun:
    run.status, run.finished_at, run.error = SyncRun.Status.FAILED, timezone.now(), message
    run.added = run.changed = run.disabled = run.unchanged = 0
    run.save()
    return run


def directory_sync_all(*, trigger: str = SyncRun.Trigger.SCHEDULE) -> list[SyncRun]:
    """The hourly sync: every active school whose settings have sync on; a school already syncing is skipped."""
    runs = []
    configs = DirectorySettings.objects.filter(sync_enabled=True, school__is_active=True).select_related("school")
    for config in configs:
        try:
            runs.append(directory_sync(school=config.school, trigger=trigger))
        except SyncBusy:
            continue
    return runs
