"""Mass assignment: what the product sets itself (references, who logged it, due times, the school of a record
that exists) is never in what a client may send, and sending it changes nothing.

The OpenAPI schema is generated from the serializers themselves, so reading every request body there covers
every write operation there is, and one added tomorrow.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

# Set by services, never by a client: the reference and its sequence, who and when, the SLA clock.
SERVER_SET = {
    "id", "reference", "created_by", "logged_by", "created_at", "updated_at", "logged_at", "opened_at",
    "respond_by", "resolve_by", "responded_at", "resolved_at", "closed_at", "response_due_at", "resolution_due_at",
    "due_at", "breached", "sla_paused_seconds", "uploaded_by", "approved_by", "approved_at", "signed_by",
    "score", "rating",
}  # fmt: skip
# Same names, other meanings: typed in by people.
DOMAIN_FIELDS = {("/api/cmdb/licences/", "reference"), ("/api/cmdb/licences/{id}/", "reference")}


def _request_bodies(schema: dict) -> list[tuple[str, str, set[str]]]:
    """(method, path, the properties a client may send) of every operation with a JSON request body."""
    components = schema["components"]["schemas"]

    def properties(node: dict) -> set[str]:
        if "$ref" in node:
            node = components[node["$ref"].rsplit("/", 1)[1]]
        found = {name for name, field in node.get("properties", {}).items() if not field.get("readOnly")}
        for part in node.get("allOf", []) + node.get("oneOf", []) + node.get("anyOf", []):
            found |= properties(part)
        return found

    bodies = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            for media_type, body in content.items():
                if "json" in media_type:
                    bodies.append((method.upper(), path, properties(body["schema"])))
    return bodies


def test_no_request_body_accepts_what_the_server_sets(client):
    schema = client.get("/api/schema/?format=json").json()
    bodies = _request_bodies(schema)
    assert len(bodies) > 40  # the walk found the write operations
    problems = []
    for method, path, fields in bodies:
        server_set = {name for name in fields & SERVER_SET if (path, name) not in DOMAIN_FIELDS}
        if server_set:
            problems.append(f"{method} {path} accepts {sorted(server_set)}")
    assert not problems, "\n".join(problems)


def test_a_record_that_exists_never_moves_school(highfield, riverside, api_for):
    """Some update bodies name the school (the same serializer creates); sending another one is refused (the CMDB)
    or ignored (a risk), never obeyed, even for someone who works at both."""
    from datetime import date

    from cmdb import services as cmdb
    from continuity import services as continuity
    from fits.models import Membership, Role
    from tests.conftest import make_person

    shared = make_person("shared", school=highfield, role=Role.NETWORK_MANAGER)
    Membership.objects.create(user=shared, school=riverside, role=Role.NETWORK_MANAGER)
    ci = cmdb.ci_create(school=highfield, actor=shared, kind="server", name="SRV-01")
    risk = continuity.risk_save(actor=shared, school=highfield, title="Flood", category="flood",
                                likelihood=2, impact=5, review_date=date(2027, 3, 1))  # fmt: skip
    api = api_for(shared)
    for url in (f"/api/cmdb/items/{ci.pk}/", f"/api/continuity/risks/{risk.pk}/"):
        response = api.patch(url, {"school": "riverside"}, format="json")
        assert response.status_code in (200, 400), f"PATCH {url}: {response.status_code}"  # refused or ignored
    ci.refresh_from_db()
    risk.refresh_from_db()
    assert ci.school == highfield and risk.school == highfield


def test_sending_server_set_fields_changes_nothing(highfield, riverside, tech, tech2, api_for):
    from incidents.models import Incident

    api = api_for(tech)
    response = api.post(
        "/api/incidents/",
        {"school": "highfield", "title": "Projector dead", "description": "Room 4.", "reference": "HF-HACKED",
         "logged_by": tech2.pk, "created_by": tech2.pk, "resolution_due_at": "2000-01-01T00:00:00Z", "id": 999999},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    incident = Incident.objects.get(pk=response.json()["id"])
    assert incident.pk != 999999 and incident.reference != "HF-HACKED"
    assert incident.logged_by == tech and incident.school == highfield
    assert incident.resolution_due_at is None or incident.resolution_due_at.year > 2000
