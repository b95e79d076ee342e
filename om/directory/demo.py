"""The demo's Directory Services (seed_demo), at highfield: its directory settings, its accounts, groups and OUs as
if synchronised (there is no directory server at demo time, so the hourly sync is off), one sync run, catalogue items
carried out by Directory Services (the starter catalogue's "New starter account", a leaver, a change), an approved
starter that became a task (FITS does not write to this demo directory), a leaver awaiting approval, and accounts
that the housekeeping reports find. Skipped once highfield has directory settings.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from fits.models import School, User
from om.directory import services
from om.directory.models import (
    AccountKind,
    AccountRequest,
    ChangeAction,
    DirectoryAccount,
    DirectoryChange,
    DirectoryGroup,
    DirectorySettings,
    EntryState,
    GroupMembership,
    OrganisationalUnit,
    RequestKind,
    RequestState,
    SyncRun,
)

BASE = "DC=highfield,DC=local"
OUS = ["Staff", "Pupils", "Year7,OU=Pupils", "Year8,OU=Pupils", "Computers", "Groups", "Leavers"]
# (username, first, last, OU, title, disabled, days since last logon or None)
PEOPLE = [
    ("mgreen", "Mark", "Green", "Staff", "Network manager", False, 0),
    ("lbrown", "Laura", "Brown", "Staff", "ICT technician", False, 1),
    ("jsmith", "Jane", "Smith", "Staff", "Teacher, Year 7", False, 1),
    ("pjones", "Peter", "Jones", "Staff", "Teacher, Year 8", False, 40),
    ("akhan", "Aisha", "Khan", "Staff", "School business manager", False, 2),
    ("twilson", "Tom", "Wilson", "Staff", "Office administrator", False, None),
    ("sdavies", "Sarah", "Davies", "Staff", "Teacher (on leave)", True, 200),
    ("bevans", "Beth", "Evans", "Staff", "Head teacher", False, 1),
    ("ahughes7", "Alfie", "Hughes", "Year7,OU=Pupils", "Pupil, Year 7", False, 3),
    ("bmorgan7", "Bella", "Morgan", "Year7,OU=Pupils", "Pupil, Year 7", False, 5),
    ("fhall8", "Freya", "Hall", "Year8,OU=Pupils", "Pupil, Year 8", False, 2),
    ("gallen8", "George", "Allen", "Year8,OU=Pupils", "Pupil, Year 8", False, 130),
]
COMPUTERS = [("HF-PC01", "Windows 11 Education", 1), ("HF-PC02", "Windows 11 Education", 12),
             ("HF-LAPTOP07", "Windows 10 Education", 200), ("HF-SRV01", "Windows Server 2022", 0)]  # fmt: skip
GROUPS = {
    "Teachers": ["jsmith", "pjones", "sdavies", "bevans"],
    "Office": ["akhan", "twilson"],
    "Domain Admins": ["mgreen", "lbrown"],
    "ICT Support": ["mgreen", "lbrown"],
    "Year 7": ["ahughes7", "bmorgan7"],
    "Year 8": ["fhall8", "gallen8"],
}
ROLE_MAP = (
    "Domain Admins = network manager\nICT Support = technician\nTeachers = ICT user\n"
    "Office = service desk administrator"
)
LEAVER_ITEM = {
    "name": "Leaver: disable a network account",
    "summary": "A member of staff or a pupil leaves: their account is disabled, taken out of its groups and moved to "
    "the leavers' OU on their last day.",
    "staff_only": True,
    "needs_approval": True,
    "approver": "school_leader",
    "fields": [
        {"name": "username", "label": "Their username", "type": "text", "required": True},
        {"name": "full_name", "label": "Their full name", "type": "text", "required": True},
        {"name": "last_day", "label": "Last day", "type": "date", "required": True},
        {"name": "notes", "label": "Anything to keep (files, mailbox)", "type": "textarea"},
    ],
    "handler": "directory.leaver",
}
CHANGE_ITEM = {
    "name": "Change a network account",
    "summary": "A new role or different groups for an existing account.",
    "staff_only": True,
    "fields": [
        {"name": "username", "label": "Their username", "type": "text", "required": True},
        {"name": "new_job_title", "label": "New role", "type": "text"},
        {"name": "add_groups", "label": "Groups to add", "type": "textarea"},
        {"name": "remove_groups", "label": "Groups to remove", "type": "textarea"},
    ],
    "handler": "directory.change",
}


@transaction.atomic
def seed_directory(schools: dict[str, School], people: dict[str, User]) -> dict[str, int]:
    from servicedesk import services as desk
    from servicedesk.catalogue_starter import NEW_STARTER
    from servicedesk.models import RequestType

    school, netmgr = schools["highfield"], people["netmgr"]
    if DirectorySettings.objects.filter(school=school).exists():
        return {}
    services.settings_save(
        school=school, actor=netmgr, kind="ad", server_uris="ldaps://dc1.highfield.local", security="ldaps",
        bind_dn=f"CN=fits-sync,OU=Service Accounts,{BASE}", bind_password="demo-only", base_dn=BASE,
        starter_ou=f"OU=Staff,{BASE}", pupil_ou=f"OU=Year{{year}},OU=Pupils,{BASE}", leavers_ou=f"OU=Leavers,{BASE}",
        upn_suffix="highfield.sch.uk", sync_enabled=False, role_map=ROLE_MAP,
    )  # fmt: skip
    now = timezone.now()
    run = SyncRun.objects.create(school=school, trigger=SyncRun.Trigger.COMMAND, full=True, started_at=now,
                                 finished_at=now + timedelta(seconds=2), status=SyncRun.Status.SUCCEEDED)  # fmt: skip
    entry = {"school": school, "first_seen_at": now, "changed_at": now, "change_stamp": "1000"}
    ous = [OrganisationalUnit(external_id=f"demo-ou-{name}", dn=f"OU={name},{BASE}", name=name.split(",")[0], **entry)
           for name in OUS]  # fmt: skip
    OrganisationalUnit.objects.bulk_create(ous)
    accounts = {}
    for username, first, last, ou, title, disabled, days in PEOPLE:
        accounts[username] = DirectoryAccount(
            external_id=f"demo-{username}", dn=f"CN={first} {last},OU={ou},{BASE}", username=username,
            display_name=f"{first} {last}", first_name=first, last_name=last, email=f"{username}@highfield.sch.uk",
            principal_name=f"{username}@highfield.sch.uk", title=title, ou_dn=f"OU={ou},{BASE}",
            state=EntryState.DISABLED if disabled else EntryState.ACTIVE,
            last_logon_at=now - timedelta(days=days) if days is not None else None, **entry,
        )  # fmt: skip
    for name, system, days in COMPUTERS:
        accounts[name] = DirectoryAccount(
            external_id=f"demo-{name}", kind=AccountKind.COMPUTER, dn=f"CN={name},OU=Computers,{BASE}",
            username=f"{name}$", display_name=name, ou_dn=f"OU=Computers,{BASE}", operating_system=system,
            host_name=f"{name.lower()}.highfield.local", last_logon_at=now - timedelta(days=days), **entry,
        )  # fmt: skip
    DirectoryAccount.objects.bulk_create(accounts.values())
    groups = [DirectoryGroup(external_id=f"demo-group-{name}", dn=f"CN={name},OU=Groups,{BASE}", name=name,
                             is_admin_group=name == "Domain Admins", member_count=len(members), **entry)
              for name, members in GROUPS.items()]  # fmt: skip
    DirectoryGroup.objects.bulk_create(groups)
    GroupMembership.objects.bulk_create(
        GroupMembership(school=school, group=group, account=accounts[username])
        for group in groups
        for username in GROUPS[group.name]
    )
    changes = [DirectoryChange(school=school, run=run, account=a, action=ChangeAction.ADDED, new=a.dn, at=now)
               for a in accounts.values()]  # fmt: skip
    DirectoryChange.objects.bulk_create(changes)
    run.added = len(ous) + len(accounts) + len(groups)
    run.disabled = sum(1 for person in PEOPLE if person[5])
    run.entries_read = run.added
    run.save()
    # The catalogue: the starter item is carried out by Directory Services; a leaver and a change item join it.
    made = {"accounts": len(accounts), "groups": len(groups), "OUs": len(ous), "sync runs": 1}
    keeper = people["desk"]
    starter = RequestType.objects.filter(school=school, name=NEW_STARTER).first()
    if starter is not None:
        desk.request_type_update(request_type=starter, actor=keeper, handler="directory.starter")
    leaver = desk.request_type_create(school=school, actor=keeper, **LEAVER_ITEM)
    desk.request_type_create(school=school, actor=keeper, **CHANGE_ITEM)
    made["catalogue items"] = 2 + (starter is not None)
    # An approved starter: FITS does not write to the demo directory, so it became a task with instructions.
    if starter is not None:
        answers = {
            "full_name": "Nia Roberts",
            "job_title": "Teaching assistant, Year 3",
            "start_date": (timezone.localdate() + timedelta(days=10)).isoformat(),
            "accounts": ["Network log-on"],
            "groups": "Teachers\nStaff printers",
            "manager_email": "bevans@highfield.sch.uk",
        }
        asked = desk.request_log(school=school, logged_by=keeper, request_type=starter, answers=answers)
        desk.request_approve(service_request=asked, actor=people["leader"], comment="Welcome, Nia.")
    # A leaver waiting for the head's approval.
    answers = {"username": "pjones", "full_name": "Peter Jones", "last_day": (timezone.localdate() +
               timedelta(days=20)).isoformat()}  # fmt: skip
    pending = desk.request_log(school=school, logged_by=keeper, request_type=leaver, answers=answers)
    AccountRequest.objects.create(school=school, kind=RequestKind.LEAVER, state=RequestState.AWAITING,
                                  ticket=pending.ticket, account=accounts["pjones"], first_name="Peter",
                                  last_name="Jones", username="pjones", details=answers)  # fmt: skip
    made["account requests"] = AccountRequest.objects.filter(school=school).count()
    return made
