"""Human references unique per school (INC-000123), allocated safely under concurrency."""

from __future__ import annotations

from django.db import IntegrityError, connection, transaction
from django.db.models import F

from fits.models import ReferenceSequence


def next_reference(*, school_id: int, prefix: str, width: int = 6) -> str:
    """Take the next number of `prefix` at a school. Call it inside the caller's transaction, as late as it can.

    The UPDATE takes a row lock (PostgreSQL) or the write lock (SQLite) until the caller commits,
    so two requests logging at once never get the same number and numbers stay consecutive.
    """
    number = _take(school_id, prefix)
    if number is None:
        try:
            with transaction.atomic():
                ReferenceSequence.objects.create(school_id=school_id, prefix=prefix, last_number=1)
            number = 1
        except IntegrityError:  # another transaction created it first: take the next one
            number = _take(school_id, prefix)
    return f"{prefix}-{number:0{width}d}"


def _take(school_id: int, prefix: str) -> int | None:
    """Add one to the counter and read it back: one statement (UPDATE ... RETURNING) where the database has it."""
    if connection.vendor == "postgresql" or (
        connection.vendor == "sqlite" and connection.Database.sqlite_version_info >= (3, 35)
    ):
        table = connection.ops.quote_name(ReferenceSequence._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET last_number = last_number + 1 WHERE school_id = %s AND prefix = %s "
                "RETURNING last_number",
                [school_id, prefix],
            )
            row = cursor.fetchone()
        return row[0] if row else None
    sequences = ReferenceSequence.objects.filter(school_id=school_id, prefix=prefix)
    if not sequences.update(last_number=F("last_number") + 1):
        return None
    return sequences.values_list("last_number", flat=True).get()
