"""The core's own pages: signing in and out, changing the password, and the school switcher."""

import pytest
from django.test import Client
from django.utils.html import escape

from fits.middleware import SESSION_KEY

pytestmark = pytest.mark.django_db


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- Signing in ------------------------------------------------------------------


def test_home_asks_anonymous_visitors_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_login_page_renders(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b'name="password"' in response.content


def test_sign_in_with_username_and_password(client, tech):
    response = client.post("/accounts/login/", {"username": "tech", "password": "tech"})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").context["user"] == tech


def test_sign_in_follows_next(client, tech):
    response = client.post("/accounts/login/", {"username": "tech", "password": "tech", "next": "/incidents/"})
    assert response["Location"] == "/incidents/"


def test_sign_in_never_redirects_off_site(client, tech):
    response = client.post(
        "/accounts/login/", {"username": "tech", "password": "tech", "next": "https://evil.example.com/"}
    )
    assert response["Location"] == "/"


def test_wrong_password_is_refused_with_a_message(client, tech):
    response = client.post("/accounts/login/", {"username": "tech", "password": "nope"})
    assert response.status_code == 200
    (error,) = response.context["form"].non_field_errors()
    assert "correct username and password" in error
    assert escape(error) in response.content.decode()  # said on the page, not just in the form
    assert "_auth_user_id" not in client.session


def test_signed_in_people_skip_the_login_page(client_for, tech):
    response = client_for(tech).get("/accounts/login/")
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_sign_out(client_for, tech):
    client = client_for(tech)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert client.get("/").status_code == 302


# --- Password change ------------------------------------------------------------


def test_password_change_needs_sign_in(client):
    response = client.get("/accounts/password/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_password_change_flow(client_for, tech):
    client = client_for(tech)
    assert client.get("/accounts/password/").status_code == 200
    new = "Whiteboard-pens-2026"
    response = client.post(
        "/accounts/password/", {"old_password": "tech", "new_password1": new, "new_password2": new}, follow=True
    )
    assert response.redirect_chain == [("/accounts/password/done/", 302)]
    assert b"Your password has been changed" in response.content
    # Still signed in on this device; the new password works, the old one does not.
    assert client.get("/").status_code == 200
    fresh = Client()
    assert fresh.login(username="tech", password=new)
    assert not fresh.login(username="tech", password="tech")


def test_password_change_refuses_a_wrong_old_password(client_for, tech):
    new = "Whiteboard-pens-2026"
    response = client_for(tech).post(
        "/accounts/password/", {"old_password": "wrong", "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors
    tech.refresh_from_db()
    assert tech.check_password("tech")


def test_password_change_refuses_a_weak_password(client_for, tech):
    response = client_for(tech).post(
        "/accounts/password/", {"old_password": "tech", "new_password1": "12345678", "new_password2": "12345678"}
    )
    assert response.status_code == 200
    assert "new_password2" in response.context["form"].errors


# --- The school switcher ----------------------------------------------------------


def test_switch_to_a_school_of_your_authority(client_for, consultant, highfield, riverside):
    client = client_for(consultant)
    assert client.get("/").context["current_school"] is None  # two schools: "all my schools"
    response = client.post("/school/switch/", {"school": "riverside", "next": "/incidents/"})
    assert response["Location"] == "/incidents/"
    assert client.session[SESSION_KEY] == riverside.pk
    assert client.get("/").context["current_school"] == riverside


def test_switching_to_a_school_without_a_role_is_refused(client_for, consultant, highfield, riverside, westfield):
    client = client_for(consultant)
    client.post("/school/switch/", {"school": "highfield"})
    response = client.post("/school/switch/", {"school": "westfield"}, follow=True)
    assert "You have no role at that school." in messages_of(response)
    assert client.session[SESSION_KEY] == highfield.pk  # unchanged
    assert response.context["current_school"] == highfield


def test_switching_to_an_unknown_or_inactive_school_is_refused(client_for, consultant, highfield, riverside):
    client = client_for(consultant)
    riverside.is_active = False
    riverside.save()
    for slug in ("nowhere", "riverside"):
        response = client.post("/school/switch/", {"school": slug}, follow=True)
        assert "You have no role at that school." in messages_of(response)
        assert SESSION_KEY not in client.session


def test_all_clears_the_chosen_school(client_for, consultant, highfield, riverside):
    client = client_for(consultant)
    client.post("/school/switch/", {"school": "highfield"})
    client.post("/school/switch/", {"school": "all"})
    assert SESSION_KEY not in client.session
    assert client.get("/").context["current_school"] is None


def test_the_administrator_may_switch_to_any_school(client_for, admin_user, westfield):
    client = client_for(admin_user)
    client.post("/school/switch/", {"school": "westfield"})
    assert client.get("/").context["current_school"] == westfield


def test_a_person_with_one_school_is_always_in_it(client_for, tech, highfield, riverside):
    response = client_for(tech).get("/")
    assert response.context["current_school"] == highfield
    assert list(response.context["switchable_schools"]) == []  # nothing to switch to: not even read
    assert b'id="school-switcher"' not in response.content


def test_the_switcher_lists_only_your_schools(client_for, consultant, highfield, riverside, westfield):
    response = client_for(consultant).get("/")
    assert set(response.context["switchable_schools"]) == {highfield, riverside}
    assert b'id="school-switcher"' in response.content
    assert b"Westfield" not in response.content


def test_a_school_chosen_before_losing_the_role_is_forgotten(client_for, consultant, highfield, riverside):
    client = client_for(consultant)
    client.post("/school/switch/", {"school": "riverside"})
    consultant.authorityrole_set.all().delete()
    assert client.get("/").context["current_school"] is None


def test_switch_never_redirects_off_site(client_for, consultant, highfield, riverside):
    response = client_for(consultant).post("/school/switch/", {"school": "all", "next": "https://evil.example.com/"})
    assert response["Location"] == "/"


def test_switch_is_post_only_and_needs_sign_in(client, client_for, consultant):
    assert client_for(consultant).get("/school/switch/").status_code == 405
    response = client.post("/school/switch/", {"school": "highfield"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
