"""The Directory Services tests run against a real OpenLDAP server (scripts/ci/slapd.sh) loaded with the Highfield
directory (tests/om/directory/ldap/highfield.ldif). Each xdist worker gets its own server (its own port and data
directory), and the directory is put back as the fixture has it before each test module (`directory`) or each
test that changes it (`fresh_directory`)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from om.directory import services
from om.directory.models import DirectorySettings

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "ci" / "slapd.sh"
BASE = "dc=highfield,dc=sch,dc=uk"
SYNC_DN = f"cn=fits-sync,ou=Service Accounts,{BASE}"
ADMIN_DN = f"cn=fits-admin,ou=Service Accounts,{BASE}"


def _environment() -> dict[str, str]:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    number = int(worker[2:]) + 1 if worker.startswith("gw") else 0
    return {**os.environ, "FITS_SLAPD_PORT": str(3389 + number), "FITS_SLAPD_DIR": f"/tmp/fits-slapd{number or ''}"}


def _script(verb: str) -> None:
    result = subprocess.run([str(SCRIPT), verb], env=_environment(), capture_output=True, text=True, timeout=60)
    if result.returncode:
        pytest.fail(f"scripts/ci/slapd.sh {verb} failed:\n{result.stdout}\n{result.stderr}")


@pytest.fixture(scope="session")
def slapd_uri() -> str:
    """A running slapd for this worker (started when it is not running)."""
    _script("start")
    return f"ldap://127.0.0.1:{_environment()['FITS_SLAPD_PORT']}"


@pytest.fixture(scope="module")
def directory(slapd_uri) -> str:
    """The school directory as the fixture has it, at the start of the module."""
    _script("reset")
    return slapd_uri


@pytest.fixture
def fresh_directory(slapd_uri) -> str:
    """The school directory as the fixture has it, for a test that changes it."""
    _script("reset")
    return slapd_uri


def settings_values(uri: str, **overrides) -> dict:
    """Highfield's settings for the test directory: AD attributes on an OpenLDAP server (filters overridden)."""
    return {
        "kind": "ad",
        "server_uris": uri,
        "security": "none",
        "bind_dn": SYNC_DN,
        "bind_password": "sync-secret",
        "base_dn": BASE,
        "user_base_dn": "",
        "group_base_dn": f"ou=Groups,{BASE}",
        "computer_base_dn": f"ou=Computers,{BASE}",
        "user_filter": "(objectClass=inetOrgPerson)",
        "group_filter": "(objectClass=groupOfNames)",
        "computer_filter": "(objectClass=device)",
        "new_account_classes": "inetOrgPerson fitsADAccount",
        "starter_ou": f"ou=Staff,{BASE}",
        "pupil_ou": f"ou=Year{{year}},ou=Pupils,{BASE}",
        "leavers_ou": f"ou=Leavers,{BASE}",
        "upn_suffix": "highfield.sch.uk",
        "write_enabled": True,
        "write_bind_dn": ADMIN_DN,
        "write_bind_password": "admin-secret",
        "signin_enabled": True,
        **overrides,
    }


ROLE_MAP = (
    "Domain Admins = network manager\nICT Support = technician\n"
    "Teachers = ICT user\nOffice = service desk administrator"
)


@pytest.fixture
def highfield_directory(highfield, netmgr, directory) -> DirectorySettings:
    """Highfield connected to the test directory (read with fits-sync, written with fits-admin)."""
    return services.settings_save(school=highfield, actor=netmgr, role_map=ROLE_MAP, **settings_values(directory))


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what the services queue after commit (the directory writes), as a real request would."""

    def run(operation, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return operation(*args, **kwargs)

    return run
