"""Updating many rows at once, each to its own values, in one statement: UPDATE ... FROM (VALUES ...).

Django's `bulk_update` builds a CASE WHEN per field and row; for a monitoring batch of a thousand checks
that is tens of thousands of expressions to resolve, and it cost more CPU than running the probes
(tests/perf/test_monitoring_bench.py measured 14 of 19 seconds). PostgreSQL and SQLite (3.33 and later) both
join an UPDATE to a VALUES list; other databases fall back to `bulk_update`. Values go through each field's
`get_db_prep_save`, so they are stored exactly as the ORM would store them.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections, router
from django.db.models import Model


def bulk_set(model: type[Model], objects: Sequence[Model], fields: Sequence[str], *, batch_size: int = 500) -> int:
    """Write `fields` of `objects` (already saved rows) back to the database; returns the rows updated."""
    if not objects:
        return 0
    connection = connections[router.db_for_write(model)]
    if connection.vendor not in ("postgresql", "sqlite"):
        return model._default_manager.bulk_update(objects, fields, batch_size=batch_size)
    meta = model._meta
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    updated = 0
    with connection.cursor() as cursor:
        for start in range(0, len(objects), batch_size):
            chunk = objects[start : start + batch_size]
            sql, params = _statement(connection, meta.db_table, columns, chunk)
            cursor.execute(sql, params)
            updated += cursor.rowcount
    return updated


def _statement(connection, table: str, columns, chunk) -> tuple[str, list]:
    quote = connection.ops.quote_name
    postgres = connection.vendor == "postgresql"
    # PostgreSQL needs each value's type (a NULL alone is text); SQLite takes values as they come.
    cells = [f"%s::{field.db_type(connection)}" if postgres else "%s" for field in columns]
    row = "(" + ", ".join(cells) + ")"
    params = [
        field.get_db_prep_save(getattr(obj, field.attname), connection=connection) for obj in chunk for field in columns
    ]
    values = ", ".join([row] * len(chunk))
    pk, rest = columns[0], columns[1:]
    if postgres:
        names = ", ".join(quote(field.column) for field in columns)
        sets = ", ".join(f"{quote(field.column)} = v.{quote(field.column)}" for field in rest)
        source, key = f"(VALUES {values}) AS v ({names})", f"v.{quote(pk.column)}"
    else:  # SQLite names a VALUES list's columns column1, column2, ...
        sets = ", ".join(f"{quote(field.column)} = v.column{index}" for index, field in enumerate(rest, start=2))
        source, key = f"(VALUES {values}) AS v", "v.column1"
    sql = f"UPDATE {quote(table)} SET {sets} FROM {source} WHERE {quote(table)}.{quote(pk.column)} = {key}"
    return sql, params
