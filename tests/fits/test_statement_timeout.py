"""A statement that runs too long fails cleanly (issue 12 part 8): 503 with a plain message, nothing half-done.

Web processes run with PostgreSQL's statement_timeout (DATABASE_STATEMENT_TIMEOUT, set by fits/wsgi.py and asgi.py
through FITS_WEB_PROCESS). The test makes a query slow for certain, not by luck: another connection holds an
exclusive lock on the incidents table, so the queue's query waits until the timeout cancels it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest
from django.db import connection, connections, transaction

from incidents.models import Incident

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the statement timeout is PostgreSQL's (set DATABASE_URL)"
)


@pytest.fixture
def incidents_locked():
    """Another session holds ACCESS EXCLUSIVE on the incidents table until the test lets go."""
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {Incident._meta.db_table} IN ACCESS EXCLUSIVE MODE")
                locked.set()
                release.wait(timeout=60)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(timeout=30)
    yield
    release.set()
    holder.join(timeout=30)


@pytest.mark.django_db(transaction=True)
def test_a_query_over_the_timeout_answers_503_and_the_next_request_works(
    client, highfield, tech, log_incident, incidents_locked
):
    client.force_login(tech)
    # The API reports the 503 to got_request_exception (for error tracking), which the test client would re-raise.
    client.raise_request_exception = False
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = '400ms'")
    try:
        page = client.get("/incidents/")
        assert page.status_code == 503
        assert "This took too long, so it was stopped: nothing was changed." in page.content.decode()

        api = client.get("/api/incidents/")
        assert api.status_code == 503
        assert json.loads(api.content)["errors"][0]["code"] == "query_timeout"
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET statement_timeout")


@pytest.mark.django_db(transaction=True)
def test_after_a_timeout_the_connection_serves_the_next_request(client, highfield, tech, log_incident):
    incident = log_incident(highfield, by=tech, title="Whiteboard pen lost")
    client.force_login(tech)
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = '200ms'")
        with pytest.raises(Exception, match="statement timeout"):
            cursor.execute("SELECT pg_sleep(1)")
        cursor.execute("RESET statement_timeout")
    assert connections["default"].is_usable()
    assert incident.reference in client.get("/incidents/").content.decode()


def test_web_processes_get_the_statement_timeout_and_workers_do_not():
    def options(**extra: str) -> str:
        env = {**os.environ, "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/fits", **extra}
        env.pop("FITS_WEB_PROCESS", None)
        env.update(extra)
        code = (
            "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'fits.settings'); django.setup(); "
            "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'].get('options', ''))"
        )
        return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout

    assert options(FITS_WEB_PROCESS="1").strip() == "-c statement_timeout=30s"
    assert options(FITS_WEB_PROCESS="1", DATABASE_STATEMENT_TIMEOUT="0").strip() == ""
    assert options().strip() == ""
