"""Sign-in with the school's directory account against the real slapd: the mapped role, refusals, local accounts."""

from __future__ import annotations

import pytest
from django.test import Client

from fits.models import Membership, Role, User
from om.directory import services
from om.directory.models import DirectoryAccount
from om.directory.sync import directory_sync

pytestmark = pytest.mark.django_db


def sign_in(username: str, password: str) -> Client:
    client = Client()
    client.post("/accounts/login/", {"username": username, "password": password})
    return client


def test_a_directory_user_signs_in_with_the_role_their_group_maps_to(highfield, highfield_directory):
    directory_sync(school=highfield)
    client = sign_in("lbrown@highfield.sch.uk", "school-pass")
    user = User.objects.get(username="lbrown@highfield")
    assert int(client.session["_auth_user_id"]) == user.pk
    assert (user.first_name, user.last_name, user.email) == ("Laura", "Brown", "lbrown@highfield.sch.uk")
    assert not user.has_usable_password()  # the directory holds the password
    roles = set(Membership.objects.filter(user=user, school=highfield).values_list("role", flat=True))
    assert roles == {Role.NETWORK_MANAGER, Role.TECHNICIAN}  # Domain Admins and ICT Support
    account = DirectoryAccount.objects.get(school=highfield, username="lbrown")
    assert account.person == user and account.signed_in_at is not None
    assert client.get("/om/directory/").status_code == 200


def test_the_school_prefix_form_signs_in_too(highfield, highfield_directory):
    client = sign_in("HIGHFIELD\\jsmith", "school-pass")
    user = User.objects.get(username="jsmith@highfield")
    assert int(client.session["_auth_user_id"]) == user.pk
    assert set(Membership.objects.filter(user=user).values_list("role", flat=True)) == {Role.ICT_USER}


def test_a_wrong_password_is_refused(highfield, highfield_directory):
    client = sign_in("jsmith@highfield.sch.uk", "wrong")
    assert "_auth_user_id" not in client.session and not User.objects.filter(username="jsmith@highfield").exists()


def test_a_person_in_no_mapped_group_is_refused_with_a_clear_message(highfield, highfield_directory):
    client = Client()
    response = client.post("/accounts/login/", {"username": "ahughes7@highfield.sch.uk", "password": "school-pass"},
                           follow=True)  # fmt: skip
    assert "_auth_user_id" not in client.session
    assert "in no group that Highfield Primary School has given a role" in response.content.decode()
    user = User.objects.get(username="ahughes7@highfield")
    assert not Membership.objects.filter(user=user).exists()


def test_roles_follow_the_groups_at_each_sign_in(highfield, netmgr, highfield_directory):
    sign_in("akhan@highfield.sch.uk", "school-pass")
    user = User.objects.get(username="akhan@highfield")
    assert set(Membership.objects.filter(user=user).values_list("role", flat=True)) == {Role.DESK}
    services.settings_save(school=highfield, actor=netmgr, role_map="Office = technician")
    sign_in("akhan@highfield.sch.uk", "school-pass")
    assert set(Membership.objects.filter(user=user).values_list("role", flat=True)) == {Role.TECHNICIAN}


def test_sign_in_off_means_the_directory_is_not_asked(highfield, netmgr, highfield_directory):
    services.settings_save(school=highfield, actor=netmgr, signin_enabled=False)
    client = sign_in("lbrown@highfield.sch.uk", "school-pass")
    assert "_auth_user_id" not in client.session


def test_local_accounts_still_sign_in(highfield, netmgr, highfield_directory):
    client = sign_in("netmgr", "netmgr")
    assert int(client.session["_auth_user_id"]) == netmgr.pk
