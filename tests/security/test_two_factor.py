"""Two-factor sign-in (django-otp, fits/authentication.py and fits/account_views.py): setting it up with a QR code
drawn on the server, signing in with a code or a backup code, the session key rotated at the second step, the
API token endpoint no way round it, and FITS_REQUIRE_2FA for administrators and network managers."""

from __future__ import annotations

import re

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from fits import authentication as auth

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


def code_for(device: TOTPDevice, *, offset: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset):06d}"


def enrolled(user) -> tuple[TOTPDevice, list[str]]:
    """`user` with an authenticator app and backup codes, set up through the services."""
    device = auth.two_factor_start(user=user)
    codes = auth.two_factor_confirm(user=user, token=code_for(device))
    device.refresh_from_db()
    device.last_t = -1  # the set-up code may be used again in the test's own time step
    device.save(update_fields=["last_t"])
    return device, codes


def time_passes(user) -> None:
    """django-otp refuses every code for 2^(n-1) seconds after the n-th wrong one: let that time pass."""
    from django_otp.plugins.otp_static.models import StaticDevice

    for model in (TOTPDevice, StaticDevice):
        model.objects.filter(user=user).update(throttling_failure_timestamp=None)


def password_step(client: Client, username: str):
    return client.post("/accounts/login/", {"username": username, "password": username, "next": "/incidents/"})


def test_setting_it_up_shows_a_qr_code_drawn_on_the_server_and_gives_ten_backup_codes(staff):
    client = Client()
    client.force_login(staff)
    page = client.get("/accounts/two-factor/")
    content = page.content.decode()
    assert page.status_code == 200 and "<svg" in content and 'id="qr-code"' in content
    assert "<script" not in content.split('id="qr-code"')[1].split("</div>")[0]  # a drawing, not code
    device = TOTPDevice.objects.get(user=staff)
    assert not device.confirmed
    key = re.search(r'id="totp-key">([A-Z2-7 ]+)<', content).group(1).replace(" ", "")
    import base64

    assert base64.b32decode(key + "=" * (-len(key) % 8)) == device.bin_key  # the typed-in key is the same secret
    wrong = client.post("/accounts/two-factor/", {"action": "confirm", "token": "000000"})
    assert wrong.status_code == 400 and "That code is not right" in wrong.content.decode()
    time_passes(staff)
    right = client.post("/accounts/two-factor/", {"action": "confirm", "token": code_for(device)})
    codes = re.findall(r"<li>([a-z0-9]+)</li>", right.content.decode())
    assert right.status_code == 200 and len(codes) == 10 and len(set(codes)) == 10
    device.refresh_from_db()
    assert device.confirmed and auth.has_two_factor(staff) and auth.backup_codes_left(staff) == 10
    assert client.get("/accounts/two-factor/").content.decode().count('id="two-factor-status"') == 1


def test_the_password_alone_does_not_sign_in_someone_with_two_factor(staff):
    device, _ = enrolled(staff)
    client = Client()
    response = password_step(client, "staff")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/two-factor/verify/")
    assert "_auth_user_id" not in client.session
    assert client.get("/incidents/").status_code == 302  # still signed out
    pending_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    wrong = client.post("/accounts/two-factor/verify/", {"token": "123456", "next": "/incidents/"})
    assert wrong.status_code == 400 and "_auth_user_id" not in client.session
    throttled = client.post("/accounts/two-factor/verify/", {"token": code_for(device)})
    assert throttled.status_code == 400  # right after a wrong code even the right one waits (django-otp)
    time_passes(staff)
    right = client.post("/accounts/two-factor/verify/", {"token": code_for(device), "next": "/incidents/"})
    assert right.status_code == 302 and right["Location"] == "/incidents/"
    assert int(client.session["_auth_user_id"]) == staff.pk
    assert client.cookies[settings.SESSION_COOKIE_NAME].value != pending_key  # rotated at the second step
    assert client.session["otp_device_id"] == device.persistent_id
    # The same code cannot be used twice (a code seen over a shoulder is spent).
    again = Client()
    password_step(again, "staff")
    assert again.post("/accounts/two-factor/verify/", {"token": code_for(device)}).status_code == 400


def test_a_backup_code_signs_in_once(staff):
    _, codes = enrolled(staff)
    client = Client()
    password_step(client, "staff")
    response = client.post("/accounts/two-factor/verify/", {"token": codes[0]}, follow=True)
    assert int(client.session["_auth_user_id"]) == staff.pk
    assert "You used a backup code: 9 left" in response.content.decode()
    second = Client()
    password_step(second, "staff")
    assert second.post("/accounts/two-factor/verify/", {"token": codes[0]}).status_code == 400
    assert StaticToken.objects.filter(device__user=staff).count() == 9


def test_wrong_codes_count_towards_the_lockout(staff):
    enrolled(staff)
    client = Client()
    password_step(client, "staff")
    statuses = [client.post("/accounts/two-factor/verify/", {"token": "000000"}).status_code for _ in range(5)]
    assert statuses == [400] * 4 + [429]
    assert AccessAttempt.objects.get(username="staff").failures_since_start == 5
    assert "_auth_user_id" not in client.session


def test_the_api_token_needs_the_code_from_someone_with_two_factor(staff):
    device, codes = enrolled(staff)
    api = APIClient()
    missing = api.post("/api/auth/token/", {"username": "staff", "password": "staff"}, format="json")
    assert missing.status_code == 400
    assert missing.json()["errors"][0]["attr"] == "otp" and "two-factor" in missing.json()["errors"][0]["detail"]
    wrong = api.post("/api/auth/token/", {"username": "staff", "password": "staff", "otp": "000000"}, format="json")
    assert wrong.status_code == 400 and "token" not in wrong.json()
    time_passes(staff)
    right = api.post(
        "/api/auth/token/", {"username": "staff", "password": "staff", "otp": code_for(device)}, format="json"
    )
    assert right.status_code == 200 and right.json()["token"]


def test_turning_it_off_needs_a_current_code(staff):
    device, codes = enrolled(staff)
    client = Client()
    client.force_login(staff)
    refused = client.post("/accounts/two-factor/", {"action": "remove", "token": "000000"})
    assert refused.status_code == 400 and auth.has_two_factor(staff)
    time_passes(staff)
    client.post("/accounts/two-factor/", {"action": "remove", "token": codes[1]})
    assert not auth.has_two_factor(staff)


@pytest.fixture
def required(settings):
    settings.FITS_REQUIRE_2FA = True


def test_when_required_a_network_manager_must_set_it_up_before_anything_else(required, netmgr, staff):
    client = Client()
    response = password_step(client, "netmgr")
    assert int(client.session["_auth_user_id"]) == netmgr.pk
    elsewhere = client.get("/incidents/")
    assert elsewhere.status_code == 302 and elsewhere["Location"].startswith("/accounts/two-factor/?next=")
    assert client.get("/api/me/").status_code == 403
    page = client.get("/accounts/two-factor/")
    assert page.status_code == 200 and 'id="must-enrol"' in page.content.decode()
    device = TOTPDevice.objects.get(user=netmgr)
    before = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post("/accounts/two-factor/", {"action": "confirm", "token": code_for(device)})
    assert client.cookies[settings.SESSION_COOKIE_NAME].value != before
    assert client.get("/incidents/").status_code == 200
    # They may not turn it off again.
    device.refresh_from_db()
    codes = auth.backup_codes_renew(user=netmgr)
    assert client.post("/accounts/two-factor/", {"action": "remove", "token": codes[0]}).status_code == 400
    assert auth.has_two_factor(netmgr)
    # Staff who are not network managers or administrators are not made to.
    other = Client()
    assert password_step(other, "staff")["Location"] == "/incidents/"
    assert other.get("/incidents/").status_code == 200
    assert response.status_code == 302


def test_when_required_no_token_is_issued_before_it_is_set_up(required, netmgr, admin_user):
    response = APIClient().post("/api/auth/token/", {"username": "netmgr", "password": "netmgr"}, format="json")
    assert response.status_code == 403 and "two-factor" in response.json()["errors"][0]["detail"]
    response = APIClient().post("/api/auth/token/", {"username": "admin", "password": "admin"}, format="json")
    assert response.status_code == 403


def test_the_admin_signs_in_through_the_site_sign_in(admin_user, staff):
    response = Client().get("/admin/login/?next=/admin/fits/user/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=%2Fadmin%2Ffits%2Fuser%2F"
    client = Client()
    client.force_login(staff)
    assert client.get("/admin/login/").status_code == 403
    client.force_login(admin_user)
    assert client.get("/admin/login/")["Location"] == "/admin/"
