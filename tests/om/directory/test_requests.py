"""Starters, changes and leavers from the service catalogue, carried out against the real slapd (or as tasks), and
the bulk MIS intake."""

from __future__ import annotations

import ldap
import pytest
from django.core.exceptions import ValidationError

from incidents.models import Task
from om.directory import services
from om.directory.models import AccountRequest, DirectoryAccount, EntryState, IntakeUpload, RequestState
from om.directory.sync import directory_sync
from servicedesk import services as catalogue
from tests.om.directory.conftest import BASE, SYNC_DN

pytestmark = pytest.mark.django_db

LEAVER = {"name": "Leaver", "summary": "Disable a leaver's account.", "staff_only": True, "needs_approval": True,
          "approver": "school_leader", "handler": "directory.leaver",
          "fields": [{"name": "username", "label": "Username", "type": "text", "required": True},
                     {"name": "full_name", "label": "Name", "type": "text"},
                     {"name": "last_day", "label": "Last day", "type": "date"}]}  # fmt: skip
STARTER = {"name": "Starter", "summary": "A new starter's account.", "staff_only": True, "needs_approval": True,
           "approver": "school_leader", "handler": "directory.starter",
           "fields": [{"name": "full_name", "label": "Name", "type": "text", "required": True},
                      {"name": "job_title", "label": "Role", "type": "text"},
                      {"name": "groups", "label": "Groups", "type": "textarea"}]}  # fmt: skip
CHANGE = {"name": "Change", "summary": "Change an account.", "staff_only": True, "handler": "directory.change",
          "fields": [{"name": "username", "label": "Username", "type": "text", "required": True},
                     {"name": "new_job_title", "label": "Role", "type": "text"},
                     {"name": "add_groups", "label": "Add", "type": "textarea"}]}  # fmt: skip


def entry(uri: str, dn: str) -> dict:
    conn = ldap.initialize(uri)
    conn.simple_bind_s(SYNC_DN, "sync-secret")
    try:
        return conn.search_s(dn, ldap.SCOPE_BASE, "(objectClass=*)", ["*"])[0][1]
    except ldap.NO_SUCH_OBJECT:
        return {}
    finally:
        conn.unbind_s()


def members(uri: str, group: str) -> set[str]:
    return {v.decode() for v in entry(uri, f"cn={group},ou=Groups,{BASE}").get("member", [])}


@pytest.fixture
def synced(highfield, highfield_directory, fresh_directory):
    directory_sync(school=highfield)
    return fresh_directory


def approved(committed, highfield, desk, leader, item: dict, answers: dict):
    request_type = catalogue.request_type_create(school=highfield, actor=desk, **item)
    asked = committed(
        catalogue.request_log, school=highfield, logged_by=desk, request_type=request_type, answers=answers
    )
    if item.get("needs_approval"):
        committed(catalogue.request_approve, service_request=asked, actor=leader)
    return AccountRequest.objects.get(ticket=asked.ticket)


def test_a_leaver_request_disables_the_account(committed, highfield, desk, leader, synced):
    request = approved(committed, highfield, desk, leader, LEAVER, {"username": "pjones", "full_name": "Peter Jones"})
    request.refresh_from_db()
    assert request.state == RequestState.DONE, request.outcome
    assert entry(synced, f"uid=pjones,ou=Staff,{BASE}") == {}  # moved to Leavers
    moved = entry(synced, f"uid=pjones,ou=Leavers,{BASE}")
    assert int(moved["userAccountControl"][0]) & 2  # disabled
    assert f"uid=pjones,ou=Staff,{BASE}" not in members(synced, "Teachers")
    assert "Disabled pjones; removed from Teachers; moved to ou=Leavers" in request.outcome
    notes = request.ticket.__class__.objects.get(pk=request.ticket_id)
    from fits.models import Activity

    assert Activity.objects.filter(object_id=notes.pk, text__contains="Directory: Disabled pjones").exists()
    # The next sync agrees: the account is disabled, in the leavers' OU, history kept.
    run = directory_sync(school=highfield)
    account = DirectoryAccount.objects.get(school=highfield, username="pjones")
    assert run.status == "succeeded" and account.state == EntryState.DISABLED
    assert account.ou_dn == f"ou=Leavers,{BASE}" and account.changes.filter(action="disabled").exists()


def test_a_declined_leaver_does_nothing(committed, highfield, desk, leader, synced):
    request_type = catalogue.request_type_create(school=highfield, actor=desk, **LEAVER)
    asked = catalogue.request_log(
        school=highfield, logged_by=desk, request_type=request_type, answers={"username": "pjones"}
    )
    committed(catalogue.request_decline, service_request=asked, actor=leader, comment="Staying on.")
    assert not AccountRequest.objects.filter(state=RequestState.DONE).exists()
    assert int(entry(synced, f"uid=pjones,ou=Staff,{BASE}")["userAccountControl"][0]) == 512


def test_a_starter_is_created_disabled_in_the_staff_ou_with_its_groups(committed, highfield, desk, leader, synced):
    request = approved(committed, highfield, desk, leader, STARTER,
                       {"full_name": "Nia Roberts", "job_title": "Teaching assistant",
                        "groups": "Teachers\nNo such"})  # fmt: skip
    request.refresh_from_db()
    assert request.state == RequestState.DONE, request.outcome
    assert request.username == "nroberts"
    created = entry(synced, f"cn=Nia Roberts,ou=Staff,{BASE}")
    assert created["sAMAccountName"] == [b"nroberts"] and created["userAccountControl"] == [b"514"]
    assert created["userPrincipalName"] == [b"nroberts@highfield.sch.uk"]
    assert f"cn=Nia Roberts,ou=Staff,{BASE}" in members(synced, "Teachers")
    assert request.details["unknown_groups"] == ["No such"]
    assert Task.objects.filter(school=highfield, title__contains="first password of nroberts").exists()


def test_a_change_request_sets_the_role_and_groups(committed, highfield, desk, leader, synced):
    request = approved(committed, highfield, desk, leader, CHANGE,
                       {"username": "jsmith", "new_job_title": "Deputy head", "add_groups": "Office"})  # fmt: skip
    request.refresh_from_db()
    assert request.state == RequestState.DONE, request.outcome
    assert entry(synced, f"uid=jsmith,ou=Staff,{BASE}")["title"] == [b"Deputy head"]
    assert f"uid=jsmith,ou=Staff,{BASE}" in members(synced, "Office")


def test_without_write_access_a_leaver_becomes_a_task_with_exact_instructions(
    committed, highfield, desk, leader, netmgr, synced
):
    services.settings_save(school=highfield, actor=netmgr, write_enabled=False)
    request = approved(committed, highfield, desk, leader, LEAVER, {"username": "pjones"})
    assert request.state == RequestState.TASK and request.task is not None
    assert 'Disable-ADAccount -Identity "pjones"' in request.task.description
    assert f'Move-ADObject -Identity "uid=pjones,ou=Staff,{BASE}" -TargetPath "ou=Leavers,{BASE}"' in (
        request.task.description
    )
    assert int(entry(synced, f"uid=pjones,ou=Staff,{BASE}")["userAccountControl"][0]) == 512  # untouched


def test_a_leaver_with_no_such_account_becomes_a_task(committed, highfield, desk, leader, synced):
    request = approved(committed, highfield, desk, leader, LEAVER, {"username": "nobody"})
    assert request.state == RequestState.TASK and "No account named nobody" in request.outcome


def test_a_refused_write_is_recorded_and_handed_over(committed, highfield, desk, leader, netmgr, synced):
    services.settings_save(school=highfield, actor=netmgr, write_bind_dn=SYNC_DN, write_bind_password="sync-secret")
    request = approved(committed, highfield, desk, leader, LEAVER, {"username": "pjones"})
    request.refresh_from_db()
    assert request.state == RequestState.FAILED and "not allowed" in request.outcome and request.task is not None


INTAKE = b"""UPN,Legal Surname,Forename,Year,Reg,Admission Date
A123,Bloggs,Joe,7,7B,01/09/2026
A124,O'Brien,Zo\xc3\xab,Year 7,7C,01/09/2026
A125,,Sam,7,7C,01/09/2026
A126,Khan,Ali,Eleventy,7C,01/09/2026
A127,Patel,Ravi,7,7C,31/02/2026
"""


def test_the_intake_preview_names_row_and_column_and_applies_nothing(highfield, netmgr, tech, synced):
    upload = services.intake_preview(school=highfield, actor=tech, kind="intake", file_name="intake.csv", data=INTAKE)
    assert [row["username"] for row in upload.rows] == ["jbloggs26", "zobrien26"]
    assert upload.rows[0]["ou"] == f"ou=Year7,ou=Pupils,{BASE}"
    assert [(e["row"], e["column"]) for e in upload.errors] == [
        (4, "Legal Surname"),
        (5, "Year"),
        (6, "Admission Date"),
    ]
    assert "“31/02/2026” is not a date" in upload.errors[2]["message"]
    assert upload.raw.startswith("UPN,Legal Surname") and not AccountRequest.objects.exists()
    with pytest.raises(ValidationError, match="3 rows have errors"):
        services.intake_apply(upload=upload, actor=tech)


def test_an_intake_is_applied_in_one_go(committed, highfield, tech, synced):
    good = (b"UPN,Legal Surname,Forename,Year,Reg,Admission Date\n"
            b"A1,Bloggs,Joe,7,7B,01/09/2026\nA2,Bloggs,Jo,7,7B,01/09/2026\n")  # fmt: skip
    upload = services.intake_preview(school=highfield, actor=tech, kind="intake", file_name="in.csv", data=good)
    assert [row["username"] for row in upload.rows] == ["jbloggs26", "jbloggs262"]
    requests = committed(services.intake_apply, upload=upload, actor=tech)
    assert len(requests) == 2
    assert entry(synced, f"cn=Joe Bloggs,ou=Year7,ou=Pupils,{BASE}")["sAMAccountName"] == [b"jbloggs26"]
    assert f"cn=Jo Bloggs,ou=Year7,ou=Pupils,{BASE}" in members(synced, "Year 7")
    upload.refresh_from_db()
    assert upload.status == IntakeUpload.Status.APPLIED
    with pytest.raises(ValidationError, match="applied"):
        services.intake_apply(upload=upload, actor=tech)


def test_leavers_are_matched_by_name_or_username(highfield, tech, synced):
    data = (b"Legal Surname,Forename,Leaving Date,Username\n"
            b"Hall,Freya,20/07/2026,\nNobody,Ann,20/07/2026,\n,,,\nX,Y,,jscott8\n")  # fmt: skip
    upload = services.intake_preview(school=highfield, actor=tech, kind="leavers", file_name="l.csv", data=data)
    assert [row["username"] for row in upload.rows] == ["fhall8", "jscott8"]
    assert upload.errors == [{"row": 3, "column": "Forename", "message": "Ann Nobody: no account matches."}]


def test_a_file_without_the_columns_is_refused(highfield, tech, synced):
    with pytest.raises(ValidationError, match="no Legal Surname, Forename column"):
        services.intake_preview(school=highfield, actor=tech, kind="leavers", file_name="x.csv", data=b"a,b\n1,2\n")


def test_only_technicians_and_the_network_manager_upload(highfield, desk, synced):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.intake_preview(school=highfield, actor=desk, kind="intake", file_name="x.csv", data=INTAKE)
