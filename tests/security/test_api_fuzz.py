"""The API fuzzed from its own OpenAPI schema (schemathesis, in-process over WSGI): every operation of /api/schema/,
with data that fits the schema and data that does not, as a highfield technician with a token.

What must hold for every request: no 5xx; the status code, content type and body are the ones the schema documents;
an operation that needs credentials refuses a request without them; nothing of another school is in any answer
(every record of riverside and westfield carries a marker in its name or title, and no response may contain it).

The budget is small in the normal suite (a few examples an operation and a mode, derandomized so CI is
reproducible); `make fuzz` runs more, and FITS_FUZZ_EXAMPLES sets how many.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.apps import apps
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, models, transaction
from django.db.models.functions import Concat, Left
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import (
    content_type_conformance,
    ignored_auth,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import Failure
from schemathesis.generation import GenerationMode

from fits.models import School

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FITS_FUZZ_EXAMPLES", "2"))  # per operation and per mode (positive, negative)
MARKER = "zq-other-school-zq"
OTHER_SCHOOLS = ("riverside", "westfield")
# The only operation anyone may call without credentials (the schema itself, /api/schema/, is public and not in it).
PUBLIC = {"POST /api/auth/token/"}


class OtherSchoolLeak(Failure):
    """A response carried a record of a school the user has no role at."""

    def __init__(self, operation: str) -> None:
        super().__init__(
            operation=operation,
            title="Another school's record in the response",
            message=f"The response contains {MARKER!r}, the marker of every riverside and westfield record.",
            code="other_school_leak",
        )


def no_other_school(ctx, response, case) -> bool | None:
    if MARKER in response.text:
        raise OtherSchoolLeak(case.operation.label)
    return None


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    ignored_auth,
    no_other_school,
]


def mark_other_schools() -> int:
    """Prefix the name or title of every record of the other schools (and the schools themselves) with MARKER."""
    others = School.objects.filter(slug__in=OTHER_SCHOOLS)
    marked = others.update(name=Concat(models.Value(MARKER + " "), "name"))
    for model in apps.get_models():
        school = next((f for f in model._meta.fields if f.name == "school" and f.is_relation), None)
        if school is None or school.related_model is not School:
            continue
        for name in ("title", "name"):
            field = next((f for f in model._meta.fields if f.name == name), None)
            if isinstance(field, models.CharField) and not field.choices:
                value = Concat(models.Value(MARKER + " "), name)
                marked += model._base_manager.filter(school__in=others).update(
                    **{name: Left(value, field.max_length) if field.max_length else value}
                )
    return marked


class InProcessApplication(WSGIHandler):
    """The project's WSGI application, except that, as under Django's test client, a request does not close the
    database connection that holds the test's transaction."""

    def __call__(self, environ, start_response):
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            response = super().__call__(environ, start_response)
            try:
                return [b"".join(response)]
            finally:
                response.close()
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


@pytest.fixture(scope="module")
def world(seeded_demo, django_db_blocker) -> dict:
    """The demo, the other schools marked, a highfield technician's token from the token endpoint, and the
    project's WSGI application as schemathesis calls it."""
    with django_db_blocker.unblock():
        assert mark_other_schools() > 10
        answer = Client().post("/api/auth/token/", {"username": "tech", "password": "tech"})
        assert answer.status_code == 200, answer.content
        schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", InProcessApplication())
        return {"schema": schema, "token": answer.json()["token"]}


def operations(schema) -> list:
    return [result.ok() for result in schema.get_all_operations()]


def fuzz_operation(operation, mode: GenerationMode, token: str) -> None:
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: the derandomized example repeats as it is
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        with transaction.atomic():  # every request starts from the same demo
            case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)
            transaction.set_rollback(True)

    try:
        run()
    except Unsatisfiable:
        # Nothing of the operation can be made invalid (no parameters, no body): the positive run covered it.
        assert mode == GenerationMode.NEGATIVE


def test_every_operation_holds_up_to_fuzzing(world, subtests):
    ops = operations(world["schema"])
    assert len(ops) > 300
    for operation in ops:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            with subtests.test(f"{mode.value} {operation.label}"):
                fuzz_operation(operation, mode, world["token"])


def test_every_operation_refuses_a_request_without_credentials(world):
    """No operation but the token endpoint answers an anonymous caller anything but 401 or 403."""
    client = Client()
    answers = {}
    for operation in operations(world["schema"]):
        path = operation.path
        for parameter in operation.path_parameters:
            path = path.replace("{" + parameter.name + "}", "1")
        answers[operation.label] = client.generic(operation.method.upper(), path).status_code
    assert set(answers) >= PUBLIC
    refused = {label for label, status in answers.items() if status in (401, 403)}
    assert set(answers) - refused == PUBLIC, {label: answers[label] for label in set(answers) - refused - PUBLIC}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("since=0126-10-19T06:32:52%2B17:38", "since"),  # found by the fuzzing on PostgreSQL: a 500 until refused
        ("school_id=2380957696685468344417", "school_id"),  # found on SQLite: past 64 bits
    ],
)
def test_filter_values_the_database_cannot_compare_are_a_400(query, field, world, api_for):
    from fits.models import User

    response = api_for(User.objects.get(username="tech")).get(f"/api/availability/poll-runs/?{query}")
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["attr"] == field
