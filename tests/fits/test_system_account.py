"""The system account: what the product acts as when no person did (monitoring opening an incident).

It passes every permission a service checks, yet nobody can sign in as it, by page or by API, and it is
nobody's choice in a people picker.
"""

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from fits import access
from fits.models import SYSTEM_USERNAME, User
from fits.scoping import people_visible_to
from tests.fits.test_api import unique_client

pytestmark = pytest.mark.django_db


def test_the_system_account_is_made_once_and_found_again():
    first = User.objects.system_account()
    assert User.objects.system_account() == first
    assert User.objects.filter(is_system_account=True).count() == 1
    assert first.username == SYSTEM_USERNAME
    assert first.is_superuser and not first.is_active and not first.has_usable_password()


def test_services_let_it_act_at_any_school(highfield, westfield):
    account = User.objects.system_account()
    assert access.can_log_incident.test(account, highfield)
    assert access.can_work_incident.test(account, westfield)


def test_nobody_signs_in_as_it_by_page_or_api():
    account = User.objects.system_account()
    assert not Client().login(username=account.username, password="")
    page = Client().post("/accounts/login/", {"username": account.username, "password": "anything"})
    assert page.status_code == 200 and "_auth_user_id" not in page.client.session
    api = unique_client().post("/api/auth/token/", {"username": account.username, "password": ""}, format="json")
    assert api.status_code == 400
    assert not Token.objects.filter(user=account).exists()


def test_it_is_not_offered_as_a_person(admin_user, tech, highfield):
    account = User.objects.system_account()
    assert account not in people_visible_to(admin_user)
    assert tech in people_visible_to(admin_user)
