"""The record of sign-ins (axes' logs, fits/account_views.SignInRecordView): a network manager sees their own
school's people only, an administrator everyone, anyone else is refused; the password rules for new passwords."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


def test_a_network_manager_sees_their_own_schools_sign_ins_only(netmgr, staff, tech2, outsider, admin_user):
    for username, password in (("staff", "staff"), ("staff", "wrong"), ("tech2", "tech2"), ("outsider", "nope")):
        Client().post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR="10.1.2.3")
    client = Client()
    client.force_login(netmgr)
    page = client.get("/accounts/sign-ins/").content.decode()
    rows = page.split('id="sign-ins"')[1]
    assert rows.count("<td>staff</td>") == 2 and "signed in" in rows and "failed" in rows and "10.1.2.3" in rows
    assert "tech2" not in rows and "outsider" not in rows  # riverside's and westfield's people are not theirs
    everyone = Client()
    everyone.force_login(admin_user)
    rows = everyone.get("/accounts/sign-ins/").content.decode().split('id="sign-ins"')[1]
    assert "<td>tech2</td>" in rows and "<td>outsider</td>" in rows and "<td>staff</td>" in rows


def test_a_lockout_shows_in_the_record(netmgr, staff):
    for _ in range(5):
        Client().post("/accounts/login/", {"username": "staff", "password": "wrong"}, REMOTE_ADDR="10.1.2.3")
    client = Client()
    client.force_login(netmgr)
    rows = client.get("/accounts/sign-ins/").content.decode().split('id="sign-ins"')[1]
    assert rows.count("locked out") == 1 and rows.count(">failed<") == 4


@pytest.mark.parametrize("viewer", ["staff", "tech", "leader", "outsider"])
def test_people_who_are_not_network_managers_are_refused(viewer, cast):
    client = Client()
    client.force_login(cast[viewer])
    assert client.get("/accounts/sign-ins/").status_code == 403


def test_new_passwords_need_twelve_characters_and_not_a_common_one(staff):
    client = Client()
    client.force_login(staff)
    short = client.post(
        "/accounts/password/",
        {"old_password": "staff", "new_password1": "Tr0ub4dor&3", "new_password2": "Tr0ub4dor&3"},
    )
    assert short.status_code == 200 and "at least 12 characters" in short.content.decode()
    common = client.post(
        "/accounts/password/",
        {"old_password": "staff", "new_password1": "password1234", "new_password2": "password1234"},
    )
    assert "too common" in common.content.decode()
    good = client.post(
        "/accounts/password/",
        {"old_password": "staff", "new_password1": "plum orchard kettle", "new_password2": "plum orchard kettle"},
    )
    assert good.status_code == 302
    staff.refresh_from_db()
    assert staff.check_password("plum orchard kettle")
