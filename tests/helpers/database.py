"""The test database as a URL, for the real processes a test starts (workers, beats, pg_dump)."""

from __future__ import annotations

from django.db import connection


def database_url(name: str | None = None) -> str:
    """The URL of the test database, or of another database `name` on the same server."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{db['USER']}{password}@{host}/{name or db['NAME']}"
