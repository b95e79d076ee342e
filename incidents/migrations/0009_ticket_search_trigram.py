"""Ticket search by any part of a word, fast over millions of tickets: trigram indexes (PostgreSQL's pg_trgm).

The workbench's search asks `UPPER(title) LIKE UPPER('%word%')` for each word (Django's icontains); a GIN
trigram index over the same expression answers it without reading the table. SQLite has no such index and
scans, which is fine at the sizes it is used for.
"""

from django.db import migrations

INDEXES = {
    "incident_title_trgm_idx": "UPPER(title::text)",  # icontains
    "incident_room_trgm_idx": "UPPER(room::text)",
    "incident_reference_trgm_idx": "reference",  # endswith: "12" finds INC-000012
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON incidents_incident USING gin ({expression} gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("incidents", "0008_task_origin_patch")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
