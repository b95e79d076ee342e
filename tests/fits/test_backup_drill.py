"""The backup and restore drill of the README, done for real: pg_dump, a fresh database, pg_restore, the media
archive unpacked elsewhere, and the restored copy compared row by row (counts and checksums) and file by file.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection

from cmdb import services as cmdb
from fits.attachments import attachments_add
from fits.management.commands.backup_fingerprint import differences
from incidents.models import Incident
from tests.helpers.database import database_url

ROOT = Path(__file__).resolve().parents[2]


def _fingerprint(*args: str) -> dict:
    out = io.StringIO()
    call_command("backup_fingerprint", *args, stdout=out)
    return json.loads(out.getvalue())


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def restored_database():
    """An empty database beside the test database, dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_restored"
    with psycopg.connect(database_url("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(database_url("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_a_fresh_database_row_for_row_and_file_for_file(
    media, tmp_path, restored_database, highfield, staff, tech, log_incident
):
    if connection.vendor != "postgresql":
        pytest.skip("the drill restores a PostgreSQL dump (set DATABASE_URL)")
    ci = cmdb.ci_create(school=highfield, actor=tech, kind="desktop", name="IT1-PC01 “café” ✓")
    incidents = [log_incident(highfield, by=staff, title=f"Printer jam {n}", ci=ci) for n in range(5)]
    incident = incidents[0]
    attachments_add(
        record=incident,
        uploads=[SimpleUploadedFile("screen.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)],
        actor=None,
        permission=None,
    )
    before = _fingerprint()
    assert before["tables"]["incidents_incident"]["rows"] == Incident.objects.count()
    assert len(before["files"]) == 1
    (tmp_path / "before.json").write_text(json.dumps(before))

    # The backup: the database dump and the media archive, as in the README.
    dump, archive = tmp_path / "fits.dump", tmp_path / "media.tar.gz"
    subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", database_url()], check=True, timeout=120)
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(media, arcname=".")

    # The restore: a fresh database and a fresh media folder.
    subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={database_url(restored_database)}", str(dump)],
        check=True,
        timeout=120,
    )
    restored_media = tmp_path / "restored-media"
    with tarfile.open(archive) as tar:
        tar.extractall(restored_media, filter="data")

    restored = {"DATABASE_URL": database_url(restored_database), "MEDIA_ROOT": str(restored_media)}
    check = _manage("backup_fingerprint", "--compare", str(tmp_path / "before.json"), env=restored)
    assert check.returncode == 0, check.stderr
    tables = len(before["tables"])
    rows = sum(t["rows"] for t in before["tables"].values())
    assert f"Restored copy matches: {tables} tables, {rows} rows, 1 files identical." in check.stdout
    assert before["tables"]["fits_activity"]["rows"] >= 5  # the data went through, not only the schema

    # A restore that lost a row, changed one and lost a file is caught, each named.
    with psycopg.connect(database_url(restored_database), autocommit=True) as copy:
        copy.execute("DELETE FROM fits_activity WHERE id = (SELECT max(id) FROM fits_activity)")
        copy.execute("UPDATE incidents_incident SET title = title || '.' WHERE id = %s", [incident.pk])
    next(p for p in restored_media.rglob("*") if p.is_file()).unlink()
    check = _manage("backup_fingerprint", "--compare", str(tmp_path / "before.json"), env=restored)
    assert check.returncode == 1
    activity_rows = before["tables"]["fits_activity"]["rows"]
    assert f"table fits_activity: {activity_rows - 1} rows, expected {activity_rows}" in check.stderr
    assert f"table incidents_incident: same {Incident.objects.count()} rows, different contents" in check.stderr
    assert "file " in check.stderr and "missing from the restored media" in check.stderr
    assert "differs in 3 place(s)" in check.stderr


@pytest.mark.django_db
def test_the_fingerprint_sees_every_change_and_leaves_out_what_it_is_told(media, highfield, staff, log_incident):
    incident = log_incident(highfield, by=staff)
    before = _fingerprint()
    assert differences(before, _fingerprint()) == []

    Incident.objects.filter(pk=incident.pk).update(title="Projector shows a picture")
    assert differences(before, _fingerprint()) == ["table incidents_incident: same 1 rows, different contents"]
    assert "incidents_incident" not in _fingerprint("--exclude", "incidents_incident")["tables"]


def test_compare_refuses_a_file_that_is_not_a_fingerprint(tmp_path, db):
    (tmp_path / "wrong.json").write_text('{"rows": 3}')
    with pytest.raises(CommandError, match="not a fingerprint written by backup_fingerprint"):
        call_command("backup_fingerprint", "--compare", str(tmp_path / "wrong.json"))
