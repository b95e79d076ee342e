"""Row counts and checksums of every table and every stored file: the proof that a restore is whole.

The backup and restore drill (README, "Backup and restore") fingerprints the installation when the backup is
taken, restores the backup somewhere else, fingerprints the restored copy with `--compare`, and is told table
by table and file by file what differs.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

# A row's checksum is the first 60 bits of the MD5 of its text; a table's is their sum, so the order rows come
# back in does not matter and PostgreSQL needs no sort and no memory beyond one running total.
ROW_HASH_SQL = "coalesce(sum(('x' || substr(md5(t::text), 1, 15))::bit(60)::bigint::numeric), 0)"


def _row_hash(row: tuple[Any, ...]) -> int:
    return int(hashlib.md5(repr(row).encode()).hexdigest()[:15], 16)


def table_fingerprints(exclude: set[str]) -> dict[str, dict[str, Any]]:
    tables = sorted(set(connection.introspection.table_names()) - exclude)
    found: dict[str, dict[str, Any]] = {}
    with connection.cursor() as cursor:
        for table in tables:
            name = connection.ops.quote_name(table)
            if connection.vendor == "postgresql":
                cursor.execute(f"SELECT count(*), {ROW_HASH_SQL} FROM {name} AS t")  # noqa: S608 (a table name)
                rows, checksum = cursor.fetchone()
            else:
                cursor.execute(f"SELECT * FROM {name}")  # noqa: S608 (a table name)
                rows, checksum = 0, 0
                for row in iter(cursor.fetchone, None):
                    rows, checksum = rows + 1, checksum + _row_hash(row)
            found[table] = {"rows": rows, "checksum": f"{int(checksum):x}"}
    return found


def file_fingerprints(root: Path) -> dict[str, str]:
    """SHA-256 of every file under the media root, by its path inside it."""
    if not root.exists():
        return {}
    found = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest = hashlib.sha256()
        with path.open("rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
        found[path.relative_to(root).as_posix()] = digest.hexdigest()
    return found


def fingerprint(exclude: set[str]) -> dict[str, Any]:
    return {
        "database": connection.vendor,
        "tables": table_fingerprints(exclude),
        "files": file_fingerprints(Path(settings.MEDIA_ROOT)),
    }


def differences(expected: dict[str, Any], found: dict[str, Any]) -> list[str]:
    """What the restored copy lacks or has different, one line each, tables first."""
    lines = []
    for table in sorted(expected["tables"].keys() | found["tables"].keys()):
        was, now = expected["tables"].get(table), found["tables"].get(table)
        if now is None:
            lines.append(f"table {table}: missing from the restored copy ({was['rows']} rows expected)")
        elif was is None:
            lines.append(f"table {table}: not in the fingerprint ({now['rows']} rows)")
        elif was["rows"] != now["rows"]:
            lines.append(f"table {table}: {now['rows']} rows, expected {was['rows']}")
        elif was["checksum"] != now["checksum"]:
            lines.append(f"table {table}: same {now['rows']} rows, different contents")
    for name in sorted(expected["files"].keys() | found["files"].keys()):
        was, now = expected["files"].get(name), found["files"].get(name)
        if now is None:
            lines.append(f"file {name}: missing from the restored media")
        elif was is None:
            lines.append(f"file {name}: not in the fingerprint")
        elif was != now:
            lines.append(f"file {name}: different contents")
    return lines


class Command(BaseCommand):
    help = (
        "Print the row count and checksum of every table and the SHA-256 of every stored file (JSON), or with "
        "--compare check this installation against a fingerprint taken earlier: the restore drill's proof that a "
        "backup restores whole. Exits 1 and lists each difference when they disagree."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--compare",
            metavar="FILE",
            help="A fingerprint written earlier by this command ('-' for standard input) to check this one against.",
        )
        parser.add_argument(
            "--exclude",
            metavar="TABLE",
            action="append",
            default=[],
            help="Leave out a table that changes by itself between the backup and the check (repeatable), "
            "e.g. django_session or axes_accessattempt when the site stayed up during the backup.",
        )

    def handle(self, *args: Any, compare: str | None, exclude: list[str], **options: Any) -> None:
        found = fingerprint(set(exclude))
        if not compare:
            self.stdout.write(json.dumps(found, indent=1, sort_keys=True))
            return
        try:
            text = sys.stdin.read() if compare == "-" else Path(compare).read_text()
            expected = json.loads(text)
            expected["tables"], expected["files"]  # noqa: B018 (the shape is checked by reading it)
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise CommandError(f"{compare}: not a fingerprint written by backup_fingerprint ({error}).") from error
        for table in exclude:
            expected["tables"].pop(table, None)
        problems = differences(expected, found)
        tables, files = len(found["tables"]), len(found["files"])
        rows = sum(t["rows"] for t in found["tables"].values())
        if problems:
            for line in problems:
                self.stderr.write(line)
            raise CommandError(f"The restored copy differs in {len(problems)} place(s) (listed above).", returncode=1)
        self.stdout.write(
            self.style.SUCCESS(f"Restored copy matches: {tables} tables, {rows} rows, {files} files identical.")
        )
