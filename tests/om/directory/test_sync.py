"""The sync against the real slapd: it creates, updates and disables the right records, incrementally, keeps every
change, never deletes, and records failures on the run without writing anything."""

from __future__ import annotations

import subprocess

import ldap
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from om.directory import services
from om.directory.models import (
    ChangeAction,
    DirectoryAccount,
    DirectoryChange,
    DirectoryGroup,
    EntryState,
    GroupMembership,
    OrganisationalUnit,
    SyncRun,
)
from om.directory.sync import SyncBusy, directory_sync
from tests.om.directory.conftest import ADMIN_DN, BASE, SCRIPT, _environment

pytestmark = pytest.mark.django_db


def admin_connection(uri: str):
    conn = ldap.initialize(uri)
    conn.simple_bind_s(ADMIN_DN, "admin-secret")
    return conn


def test_a_first_sync_creates_the_school_directory(highfield, highfield_directory):
    run = directory_sync(school=highfield, trigger="command")
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    people = DirectoryAccount.objects.filter(school=highfield, kind="user")
    computers = DirectoryAccount.objects.filter(school=highfield, kind="computer")
    assert people.count() == 20 and computers.count() == 4
    jane = people.get(username="jsmith")
    assert (jane.first_name, jane.last_name, jane.email, jane.principal_name) == (
        "Jane", "Smith", "jsmith@highfield.sch.uk", "jsmith@highfield.sch.uk")  # fmt: skip
    assert jane.ou_dn == f"ou=Staff,{BASE}" and jane.state == EntryState.ACTIVE and jane.last_logon_at is not None
    assert people.get(username="sdavies").state == EntryState.DISABLED  # userAccountControl 514
    assert people.get(username="twilson").last_logon_at is None
    assert computers.get(username="HF-LAPTOP07$").operating_system == "Windows 10 Education"
    teachers = DirectoryGroup.objects.get(school=highfield, name="Teachers")
    assert teachers.member_count == 5 and not teachers.is_admin_group
    assert {m.account.username for m in GroupMembership.objects.filter(group=teachers)} >= {"jsmith", "sdavies"}
    assert DirectoryGroup.objects.get(school=highfield, name="Domain Admins").is_admin_group
    assert OrganisationalUnit.objects.filter(school=highfield, name="Year7").exists()
    groups, ous = DirectoryGroup.objects.filter(school=highfield).count(), OrganisationalUnit.objects.count()
    assert run.added == 24 + groups + ous and run.changed == 0 and run.unchanged == 0
    assert run.disabled == 2  # sdavies and oleaver, found disabled
    assert DirectoryChange.objects.filter(run=run, action=ChangeAction.ADDED).count() == run.added


def test_a_second_sync_changes_nothing_and_says_so(highfield, highfield_directory):
    directory_sync(school=highfield)
    run = directory_sync(school=highfield)
    assert (run.added, run.changed, run.disabled) == (0, 0, 0) and run.unchanged > 25
    assert not DirectoryChange.objects.filter(run=run).exists()


def test_changes_in_the_directory_are_found_and_logged(highfield, highfield_directory, fresh_directory):
    directory_sync(school=highfield)
    conn = admin_connection(fresh_directory)
    conn.modify_s(f"uid=pjones,ou=Staff,{BASE}", [(ldap.MOD_REPLACE, "title", [b"Head of Maths"])])
    conn.modify_s(f"uid=rpatel,ou=Staff,{BASE}", [(ldap.MOD_REPLACE, "userAccountControl", [b"514"])])
    conn.delete_s(f"uid=jscott8,ou=Year8,ou=Pupils,{BASE}")
    jsmith = f"uid=jsmith,ou=Staff,{BASE}".encode()
    conn.modify_s(f"cn=Office,ou=Groups,{BASE}", [(ldap.MOD_ADD, "member", [jsmith])])
    new = [("objectClass", [b"inetOrgPerson", b"fitsADAccount"]), ("cn", [b"Nia New"]), ("sn", [b"New"]),
           ("uid", [b"nnew"]), ("sAMAccountName", [b"nnew"]), ("userAccountControl", [b"512"])]  # fmt: skip
    conn.add_s(f"uid=nnew,ou=Staff,{BASE}", new)
    run = directory_sync(school=highfield)
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert (run.added, run.changed, run.disabled) == (1, 3, 2), run.summary  # pjones, rpatel, Office; rpatel + jscott8
    accounts = DirectoryAccount.objects.filter(school=highfield)
    assert accounts.get(username="pjones").title == "Head of Maths"
    assert accounts.get(username="rpatel").state == EntryState.DISABLED
    gone = accounts.get(username="jscott8")  # never deleted: kept as gone, with its history
    assert gone.state == EntryState.GONE and gone.gone_at is not None
    assert accounts.get(username="nnew").state == EntryState.ACTIVE
    log = {(c.account.username if c.account else c.group.name, c.action, c.field, c.old, c.new)
           for c in DirectoryChange.objects.filter(run=run).select_related("account", "group")}  # fmt: skip
    assert ("pjones", "changed", "title", "Teacher, Year 8", "Head of Maths") in log
    assert ("rpatel", "disabled", "state", "active", "disabled") in log
    assert ("jscott8", "gone", "state", "active", "gone") in log
    assert ("jsmith", "joined", "group", "", "Office") in log
    conn.unbind_s()


def test_a_full_sync_compares_even_unchanged_stamps(highfield, highfield_directory):
    directory_sync(school=highfield)
    DirectoryAccount.objects.filter(school=highfield, username="jsmith").update(title="Wrong")
    assert directory_sync(school=highfield).changed == 0  # the stamp did not move: not compared
    run = directory_sync(school=highfield, full=True)
    assert run.changed == 1 and DirectoryAccount.objects.get(school=highfield, username="jsmith").title != "Wrong"


def test_a_wrong_password_is_recorded_on_the_run_and_nothing_is_written(highfield, netmgr, highfield_directory):
    services.settings_save(school=highfield, actor=netmgr, bind_password="not-it")
    run = directory_sync(school=highfield)
    assert run.status == SyncRun.Status.FAILED and "Cannot bind as cn=fits-sync" in run.error
    assert "password is wrong" in run.error and not DirectoryAccount.objects.exists()


def test_an_unreachable_server_is_recorded_on_the_run(highfield, netmgr, highfield_directory):
    services.settings_save(school=highfield, actor=netmgr, server_uris="ldap://127.0.0.1:9", timeout_seconds=2)
    run = directory_sync(school=highfield)
    assert run.status == SyncRun.Status.FAILED and "Cannot reach ldap://127.0.0.1:9" in run.error


def test_a_tls_failure_is_recorded_on_the_run(highfield, netmgr, highfield_directory):
    services.settings_save(school=highfield, actor=netmgr, security="starttls", timeout_seconds=2)
    run = directory_sync(school=highfield)
    assert run.status == SyncRun.Status.FAILED and "TLS" in run.error


def test_one_sync_at_a_time_per_school(highfield, highfield_directory):
    from django.utils import timezone

    SyncRun.objects.create(school=highfield, started_at=timezone.now())
    with pytest.raises(SyncBusy):
        directory_sync(school=highfield)


def test_the_command_prints_the_report(highfield, highfield_directory, capsys):
    call_command("sync_directory", "--school", "highfield")
    out = capsys.readouterr().out
    assert "Synchronised highfield" in out and "added" in out and "jsmith" in out
    with pytest.raises(CommandError, match="No school"):
        call_command("sync_directory", "--school", "nowhere")


def test_the_script_reports_status(directory):
    from tests.om.directory.conftest import SCRIPT, _environment

    assert subprocess.run([str(SCRIPT), "status"], env=_environment(), capture_output=True).returncode == 0


def test_paged_searches_read_past_the_servers_size_limit(highfield, highfield_directory, fresh_directory):
    """slapd answers at most 1000 entries a search (like AD's MaxPageSize): 1200 pupils come in three pages."""
    import time

    conn = admin_connection(fresh_directory)
    for i in range(1200):
        conn.add_s(f"uid=p{i:04d},ou=Year7,ou=Pupils,{BASE}", [
            ("objectClass", [b"inetOrgPerson", b"fitsADAccount"]), ("cn", [f"Pupil {i}".encode()]),
            ("sn", [b"Pupil"]), ("uid", [f"p{i:04d}".encode()]), ("sAMAccountName", [f"p{i:04d}".encode()]),
            ("userAccountControl", [b"512"]),
        ])  # fmt: skip
    conn.unbind_s()
    started = time.monotonic()
    run = directory_sync(school=highfield)
    first = time.monotonic() - started
    assert run.status == SyncRun.Status.SUCCEEDED, run.error
    assert DirectoryAccount.objects.filter(school=highfield, kind="user").count() == 1220
    started = time.monotonic()
    again = directory_sync(school=highfield)
    print(f"\nfirst sync of 1244 accounts: {first:.2f} s; incremental: {time.monotonic() - started:.2f} s")
    assert again.unchanged == 1239 and again.added == again.changed == 0  # 1224 accounts, 7 groups, 8 OUs
    subprocess.run([str(SCRIPT), "reset"], env=_environment(), check=True, capture_output=True)
