"""The demo cast as fixtures (DESIGN.md 6), so tests read like the demo.

Schools: highfield and riverside (authority bolton), westfield (authority wigan).
People: admin, consultant (bolton), leader, netmgr, tech, desk, staff (highfield), tech2 (riverside),
outsider (westfield). Tests create records through the services, as the product does.
"""

from __future__ import annotations

import pytest
from django.test import Client

from fits.models import Authority, AuthorityRole, AuthorityRoleKind, Membership, Role, School, User

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# `make test` runs two workers with --dist loadgroup: a module's tests stay together on one worker (its module
# fixtures, such as a seeded demo or a real agent's inventory, built once), except in SPREAD, whose tests build
# their world each and are long (the cross-school walk takes a minute or two a viewer): they are handed out one by
# one, to whichever worker is free. The longest files go first, so that neither worker is left alone with one of
# them at the end.
LONGEST_FIRST = ("tests/test_isolation.py", "tests/test_query_counts.py")
SPREAD = ("tests/test_isolation.py",)


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config, items):
    if hasattr(config, "workerinput"):  # an xdist worker: the order it collects is the order work is handed out
        items.sort(key=lambda item: item.nodeid.split("::")[0] not in LONGEST_FIRST)  # stable otherwise
        for item in items:
            if item.nodeid.split("::")[0] not in SPREAD:  # its module, or its class (as --dist loadscope groups)
                item.add_marker(pytest.mark.xdist_group(item.nodeid.split("[")[0].rsplit("::", 1)[0]))
    return (yield)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The cast signs in with password = username; the real PBKDF2 costs ~0.2 s a person."""
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture(autouse=True)
def _eager_celery(settings):
    """Tasks queued after commit run in-process, so notifications are really rendered and sent."""
    from celery.result import _set_task_join_will_block

    from fits.celery import app

    # A test that ran a real worker in this process (tests/incidents/test_tasks.py) leaves Celery believing it is
    # inside a worker, where waiting for a result is refused; every test starts outside one.
    _set_task_join_will_block(False)

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


# --- Authorities and schools -------------------------------------------------


@pytest.fixture
def bolton(db) -> Authority:
    return Authority.objects.create(slug="bolton", name="Bolton Council", code="350")


@pytest.fixture
def wigan(db) -> Authority:
    return Authority.objects.create(slug="wigan", name="Wigan Council", code="359")


@pytest.fixture
def highfield(bolton) -> School:
    return School.objects.create(slug="highfield", name="Highfield Primary School", authority=bolton)


@pytest.fixture
def riverside(bolton) -> School:
    return School.objects.create(slug="riverside", name="Riverside Academy", authority=bolton)


@pytest.fixture
def westfield(wigan) -> School:
    return School.objects.create(slug="westfield", name="Westfield High School", authority=wigan)


# --- People --------------------------------------------------------------------


def make_person(username: str, *, school: School | None = None, role: str | None = None, **extra) -> User:
    user = User.objects.create_user(
        username=username,
        password=username,
        email=f"{username}@example.sch.uk",
        first_name=username.capitalize(),
        **extra,
    )
    if school is not None and role is not None:
        Membership.objects.create(user=user, school=school, role=role)
    return user


@pytest.fixture
def admin_user(db) -> User:
    return make_person("admin", is_superuser=True, is_staff=True)


@pytest.fixture
def consultant(bolton) -> User:
    user = make_person("consultant")
    AuthorityRole.objects.create(user=user, authority=bolton, role=AuthorityRoleKind.CONSULTANT)
    return user


@pytest.fixture
def leader(highfield) -> User:
    return make_person("leader", school=highfield, role=Role.SCHOOL_LEADER)


@pytest.fixture
def netmgr(highfield) -> User:
    return make_person("netmgr", school=highfield, role=Role.NETWORK_MANAGER)


@pytest.fixture
def tech(highfield) -> User:
    return make_person("tech", school=highfield, role=Role.TECHNICIAN)


@pytest.fixture
def desk(highfield) -> User:
    return make_person("desk", school=highfield, role=Role.DESK)


@pytest.fixture
def staff(highfield) -> User:
    return make_person("staff", school=highfield, role=Role.ICT_USER)


@pytest.fixture
def tech2(riverside) -> User:
    return make_person("tech2", school=riverside, role=Role.TECHNICIAN)


@pytest.fixture
def outsider(westfield) -> User:
    return make_person("outsider", school=westfield, role=Role.TECHNICIAN)


@pytest.fixture
def cast(admin_user, consultant, leader, netmgr, tech, desk, staff, tech2, outsider) -> dict[str, User]:
    """Everyone in the demo, by username."""
    people = [admin_user, consultant, leader, netmgr, tech, desk, staff, tech2, outsider]
    return {person.username: person for person in people}


# --- Records -------------------------------------------------------------------


@pytest.fixture
def log_incident():
    """Log an incident through the service: log_incident(school, by=user, **fields)."""
    from incidents import services

    def log(school: School, *, by: User, title: str = "Projector shows no picture", **fields):
        defaults = {"description": "It says 'no signal'.", "impact": 2, "urgency": 2}
        return services.incident_log(school=school, logged_by=by, title=title, **{**defaults, **fields})

    return log


# --- The whole demo ------------------------------------------------------------


@pytest.fixture(scope="module")
def seeded_demo(django_db_setup, django_db_blocker):
    """`seed_demo` run once for a whole test module (it takes seconds), inside a transaction that is
    rolled back when the module ends; each test's own changes roll back to a savepoint as usual."""
    from io import StringIO

    from django.core.management import call_command
    from django.db import transaction
    from django.test import override_settings

    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        with transaction.atomic():
            out = StringIO()
            call_command("seed_demo", stdout=out)
            yield out.getvalue()
            transaction.set_rollback(True)


# --- Clients -------------------------------------------------------------------


@pytest.fixture
def client_for():
    """A test client signed in as `user`: client_for(tech).get(...)."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def api_for():
    """A DRF API client signed in as `user` with a token, as an outside tool would be."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    def make(user: User) -> APIClient:
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make
