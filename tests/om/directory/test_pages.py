"""The directory's pages and API: what support staff see, what the network manager may change, secrets never shown."""

from __future__ import annotations

import pytest

from om.directory.models import DirectoryAccount, DirectorySettings, SyncRun
from om.directory.sync import directory_sync
from tests.om.directory.conftest import settings_values

pytestmark = pytest.mark.django_db


@pytest.fixture
def synced(highfield, highfield_directory):
    directory_sync(school=highfield)
    return highfield_directory


def test_support_staff_walk_every_page(synced, client_for, tech, desk):
    account = DirectoryAccount.objects.get(username="sdavies")
    group = account.directory_groups.first()
    run = SyncRun.objects.first()
    for person in (tech, desk):
        client = client_for(person)
        for url in ("/om/directory/", "/om/directory/accounts/", "/om/directory/accounts/?state=disabled&kind=user",
                    f"/om/directory/accounts/?group_id={group.pk}", account.get_absolute_url(), "/om/directory/groups/",
                    group.get_absolute_url(), "/om/directory/ous/", "/om/directory/runs/", run.get_absolute_url(),
                    "/om/directory/requests/", "/om/directory/intake/", synced.get_absolute_url(),
                    "/om/directory/reports/", "/om/directory/reports/?report=admins",
                    "/om/directory/reports/?report=never-signed-in&days=30",
                    "/om/directory/reports/?report=stale-computers"):  # fmt: skip
            response = client.get(url)
            assert response.status_code == 200, (person, url)
            assert "sync-secret" not in response.content.decode() and "admin-secret" not in response.content.decode()


def test_an_ict_user_finds_nothing_here(synced, client_for, staff):
    assert client_for(staff).get("/om/directory/").status_code == 404
    assert client_for(staff).get("/api/directory/accounts/").json()["results"] == []


def test_the_reports_find_the_housekeeping_hits(synced, client_for, tech):
    client = client_for(tech)
    assert "sdavies" in client.get("/om/directory/reports/?report=disabled-in-groups").content.decode()
    never = client.get("/om/directory/reports/?report=never-signed-in").content.decode()
    assert "twilson" in never and "jsmith" not in never
    stale = client.get("/om/directory/reports/?report=stale-computers").content.decode()
    assert "HF-LAPTOP07$" in stale and "HF-PC01$" not in stale
    csv = client.get("/om/directory/reports/?report=admins&csv=1").content.decode()
    assert csv.splitlines()[0] == "account,system,rights,holder,username,notes"
    assert "mgreen,highfield directory,Domain Admins,Mark Green" in csv and "jsmith" not in csv


def test_the_network_manager_connects_and_tests_the_directory(highfield, client_for, netmgr, directory):
    client = client_for(netmgr)
    values = {k: v for k, v in settings_values(directory).items() if v is not False}
    values |= {"school": highfield.pk, "timeout_seconds": 5, "role_map": "Teachers = ICT user", "sync_enabled": "on"}
    response = client.post("/om/directory/settings/new/", values)
    config = DirectorySettings.objects.get(school=highfield)
    assert response.status_code == 302 and config.bind_password == "sync-secret" and config.role_map
    page = client.get(config.get_absolute_url()).content.decode()
    assert "sync-secret" not in page and "password stored" in page
    form = client.get(f"/om/directory/settings/{config.pk}/edit/").content.decode()
    assert "sync-secret" not in form and "admin-secret" not in form and "Stored (never shown)" in form
    response = client.post(f"/om/directory/settings/{config.pk}/test/", follow=True)
    assert "Connected and bound: 20 people, 7 groups and 4 computers" in response.content.decode()
    values["bind_password"] = ""  # empty keeps the stored one
    values["server_uris"] = "ldap://127.0.0.1:3389 http://nope"
    response = client.post(f"/om/directory/settings/{config.pk}/edit/", values)
    assert "is not an LDAP URI" in response.content.decode()
    values["server_uris"] = directory
    values["user_filter"] = "objectClass=person"
    assert "is not an LDAP filter" in client.post(f"/om/directory/settings/{config.pk}/edit/", values).content.decode()
    values["user_filter"] = "(objectClass=inetOrgPerson)"
    client.post(f"/om/directory/settings/{config.pk}/edit/", values)
    assert DirectorySettings.objects.get(pk=config.pk).bind_password == "sync-secret"


def test_only_the_network_manager_changes_the_settings(synced, client_for, tech):
    response = client_for(tech).post(f"/om/directory/settings/{synced.pk}/edit/", {"server_uris": "ldap://evil"})
    assert response.status_code == 302 and DirectorySettings.objects.get(pk=synced.pk).server_uris != "ldap://evil"
    assert client_for(tech).get("/om/directory/settings/new/").status_code == 302


def test_sync_now_from_the_page_and_the_api(synced, highfield, client_for, api_for, tech, desk):
    response = client_for(tech).post("/om/directory/sync/", {"school": highfield.pk}, follow=True)
    assert "Sync of Highfield Primary School:" in response.content.decode()
    response = api_for(tech).post("/api/directory/sync-runs/", {"school": "highfield", "full": True}, format="json")
    assert response.status_code == 201 and response.json()["full"] and response.json()["status"] == "succeeded"
    assert api_for(desk).post("/api/directory/sync-runs/", {"school": "highfield"}, format="json").status_code == 403


def test_the_api_never_shows_a_password(synced, api_for, netmgr):
    body = api_for(netmgr).get("/api/directory/settings/").json()["results"][0]
    assert body["has_bind_password"] and "bind_password" not in body and "sync-secret" not in str(body)
    accounts = api_for(netmgr).get("/api/directory/accounts/?state=disabled").json()["results"]
    assert {a["username"] for a in accounts} == {"sdavies", "oleaver"}
