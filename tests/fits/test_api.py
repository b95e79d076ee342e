"""The core API (DESIGN.md 6): /api/me/, /api/schools/, token auth, the OpenAPI schema and offline docs."""

import json
import secrets

import pytest
from openapi_spec_validator import validate
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def unique_client() -> APIClient:
    """An API client from an address of its own: the token throttle counts per address, in the shared cache
    (Redis when REDIS_URL is set), so neither another test nor an earlier run can use up its attempts."""
    a, b, c = secrets.token_bytes(3)
    return APIClient(REMOTE_ADDR=f"10.{a}.{b}.{c}")


@pytest.fixture
def anonymous() -> APIClient:
    return unique_client()


# --- /api/me/ ------------------------------------------------------------------


def test_me_tells_a_technician_who_they_are(api_for, tech, highfield):
    response = api_for(tech).get("/api/me/")
    assert response.status_code == 200
    me = response.json()
    assert (me["username"], me["is_superuser"], me["schools"]) == ("tech", False, ["highfield"])
    assert me["memberships"] == [{"school": "highfield", "role": "technician", "role_display": "Technician"}]
    assert me["authority_roles"] == []


def test_me_shows_a_consultant_their_authority_and_its_schools(api_for, consultant, highfield, riverside, westfield):
    me = api_for(consultant).get("/api/me/").json()
    assert me["memberships"] == []
    assert me["authority_roles"] == [{"authority": "bolton", "role": "consultant", "role_display": "LEA consultant"}]
    assert sorted(me["schools"]) == ["highfield", "riverside"]


def test_me_for_the_administrator_lists_every_school(api_for, admin_user, highfield, riverside, westfield):
    me = api_for(admin_user).get("/api/me/").json()
    assert me["is_superuser"] is True
    assert sorted(me["schools"]) == ["highfield", "riverside", "westfield"]


def test_me_refuses_anonymous(anonymous):
    assert anonymous.get("/api/me/").status_code in (401, 403)


# --- /api/schools/ -------------------------------------------------------------


def slugs(response) -> list[str]:
    assert response.status_code == 200
    return sorted(school["slug"] for school in response.json()["results"])


def test_schools_lists_only_the_schools_you_hold_a_role_at(api_for, cast, highfield, riverside, westfield):
    assert slugs(api_for(cast["tech"]).get("/api/schools/")) == ["highfield"]
    assert slugs(api_for(cast["tech2"]).get("/api/schools/")) == ["riverside"]
    assert slugs(api_for(cast["consultant"]).get("/api/schools/")) == ["highfield", "riverside"]
    assert slugs(api_for(cast["admin"]).get("/api/schools/")) == ["highfield", "riverside", "westfield"]


def test_school_detail_nests_the_authority(api_for, tech, highfield):
    school = api_for(tech).get(f"/api/schools/{highfield.pk}/").json()
    assert school["slug"] == "highfield"
    assert school["authority"]["slug"] == "bolton"
    assert school["url"].endswith(f"/api/schools/{highfield.pk}/")


def test_another_schools_record_answers_like_a_missing_one(api_for, outsider, highfield):
    client = api_for(outsider)
    assert client.get(f"/api/schools/{highfield.pk}/").status_code == 404
    assert client.get("/api/schools/999999/").status_code == 404


def test_schools_brief_mode_and_filters(api_for, consultant, highfield, riverside):
    client = api_for(consultant)
    brief = client.get("/api/schools/?brief=1").json()["results"]
    assert {tuple(sorted(row)) for row in brief} == {("display", "id", "slug", "url")}
    assert slugs(client.get("/api/schools/?slug=riverside")) == ["riverside"]


def test_schools_are_read_only(api_for, admin_user, highfield):
    client = api_for(admin_user)
    assert client.post("/api/schools/", {"name": "New", "slug": "new"}).status_code == 405
    assert client.delete(f"/api/schools/{highfield.pk}/").status_code == 405


# --- POST /api/auth/token/ -----------------------------------------------------


def test_token_for_username_and_password(anonymous, tech, highfield):
    response = anonymous.post("/api/auth/token/", {"username": "tech", "password": "tech"}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    assert set(response.json()) == {"token"}

    anonymous.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert anonymous.get("/api/me/").json()["username"] == "tech"
    # Asking again gives the same token, so a tool can fetch it at every start.
    again = unique_client().post("/api/auth/token/", {"username": "tech", "password": "tech"})
    assert again.json()["token"] == token


def test_token_refused_for_a_wrong_password(anonymous, tech):
    response = anonymous.post("/api/auth/token/", {"username": "tech", "password": "wrong"}, format="json")
    assert response.status_code == 400
    assert "token" not in response.json()


def test_token_refused_for_an_inactive_account(anonymous, tech):
    tech.is_active = False
    tech.save()
    response = anonymous.post("/api/auth/token/", {"username": "tech", "password": "tech"}, format="json")
    assert response.status_code == 400


def test_a_bad_token_is_refused(anonymous, tech):
    anonymous.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert anonymous.get("/api/me/").status_code in (401, 403)


def test_token_requests_are_throttled(anonymous, tech):
    """Guessing passwords is slowed down: 20 attempts a minute from one address (whatever the usernames; one
    username is locked out after 5, tests/security/test_lockout.py)."""
    statuses = [
        anonymous.post("/api/auth/token/", {"username": f"tech{n}", "password": f"guess{n}"}).status_code
        for n in range(21)
    ]
    assert statuses[:20] == [400] * 20
    assert statuses[20] == 429


def test_the_throttle_cannot_be_dodged_with_a_forged_forwarded_for_header(anonymous, tech):
    """Without a proxy in front (BEHIND_TLS_PROXY off), X-Forwarded-For is the client's own say-so."""
    statuses = [
        anonymous.post(
            "/api/auth/token/",
            {"username": "tech", "password": f"guess{n}"},
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        ).status_code
        for n in range(21)
    ]
    assert statuses[20] == 429


# --- Schema and docs -------------------------------------------------------------


def test_schema_is_valid_openapi_3(anonymous):
    response = anonymous.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    validate(schema)
    for path in (
        "/api/me/",
        "/api/auth/token/",
        "/api/schools/",
        "/api/incidents/",
        "/api/incidents/{id}/transition/",
        "/api/incidents/{id}/activity/",
    ):
        assert path in schema["paths"], f"{path} is missing from the schema"
    assert "token" in json.dumps(schema["components"]["securitySchemes"]).lower()


def test_the_whole_schema_generates_without_a_warning(tmp_path):
    """Colliding component or enum names make clients guess: every one is named (ENUM_NAME_OVERRIDES)."""
    from django.core.management import call_command

    call_command("spectacular", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    assert (tmp_path / "schema.yml").stat().st_size > 100_000


def test_schema_in_yaml_by_default(anonymous):
    response = anonymous.get("/api/schema/")
    assert response.status_code == 200
    assert response.content.startswith(b"openapi: 3.")


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_docs_render_offline(client, url):
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    for cdn in ("cdn.", "unpkg", "jsdelivr", "googleapis"):
        assert cdn not in html, f"{url} loads something from a CDN ({cdn})"
    assert "/static/drf_spectacular_sidecar/" in html
    assert "/api/schema/" in html
