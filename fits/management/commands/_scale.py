"""Bulk writing for `seed_scale`: rows straight into the real tables, fast.

On PostgreSQL every table is filled with COPY through psycopg 3 (`cursor.copy()`), with ids taken from the table's
own sequence in one step (so later inserts through the ORM carry on after them). On SQLite (tests, small N) the same
rows go through `executemany`. The caller names the columns it sets; every other concrete column gets the model
field's default (auto_now fields the generation's clock), so a field added to a model later does not break the
generator as long as it has a default.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, models

# Above this, the SQLite path commits in slices (one executemany each) to keep memory flat.
SLICE = 20_000


@dataclass
class Tally:
    """Rows written per table and the time spent, for the command's report."""

    rows: dict[str, int] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)

    def add(self, table: str, count: int) -> None:
        self.rows[table] = self.rows.get(table, 0) + count

    @property
    def total(self) -> int:
        return sum(self.rows.values())

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started


class Writer:
    """Writes rows of a model's table given as tuples in the order of `columns` (attnames: `school_id`)."""

    def __init__(self, *, now: datetime, tally: Tally) -> None:
        self.now = now
        self.tally = tally
        self.postgres = connection.vendor == "postgresql"

    @contextmanager
    def without_triggers(self) -> Iterator[None]:
        """PostgreSQL: no foreign-key triggers for the generation (the rows are consistent by construction).

        Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: in one transaction every copied row would queue a
        check per key until the commit, which costs more than the COPY itself. Needs a superuser; without one the
        checks simply run.
        """
        if not self.postgres:
            yield
            return
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            superuser = cursor.fetchone()[0]
            if superuser:
                cursor.execute("SET LOCAL session_replication_role = replica")
            try:
                yield
            finally:
                if superuser:
                    cursor.execute("SET LOCAL session_replication_role = DEFAULT")

    @contextmanager
    def indexes_after(self, *models_: type[models.Model]) -> Iterator[None]:
        """PostgreSQL: drop the tables' plain indexes (not the keys' and constraints') and build them after the
        COPY: one sort per index instead of a million index insertions."""
        if not self.postgres:
            yield
            return
        saved: list[tuple[str, str]] = []
        with connection.cursor() as cursor:
            for model in models_:
                cursor.execute(
                    """
                    SELECT i.relname, pg_get_indexdef(x.indexrelid)
                    FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
                    WHERE t.relname = %s AND NOT x.indisprimary
                      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
                    """,
                    [model._meta.db_table],
                )
                saved += cursor.fetchall()
            for name, _ in saved:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        yield
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            for _, definition in saved:
                cursor.execute(definition)

    # ids ------------------------------------------------------------------------------------------------------

    def allocate(self, model: type[models.Model], count: int) -> int:
        """Reserve `count` consecutive ids of `model`'s table; return the first."""
        table = model._meta.db_table
        column = model._meta.pk.column
        with connection.cursor() as cursor:
            if self.postgres:
                cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
                (sequence,) = cursor.fetchone()
                # Take the whole block under a lock of the sequence's table row, in one statement.
                cursor.execute("SELECT nextval(%s)", [sequence])
                (first,) = cursor.fetchone()
                if count > 1:
                    cursor.execute("SELECT setval(%s, %s)", [sequence, first + count - 1])
                return first
            cursor.execute(f"SELECT COALESCE(MAX({connection.ops.quote_name(column)}), 0) FROM {table}")
            (last,) = cursor.fetchone()
            return last + 1

    # rows -----------------------------------------------------------------------------------------------------

    def _plan(self, model: type[models.Model], columns: Sequence[str]) -> tuple[list[models.Field], list[Any]]:
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        given = [by_attname[name] for name in columns]
        rest, values = [], []
        for f in model._meta.concrete_fields:
            if f.attname in columns or (f.primary_key and isinstance(f, models.AutoField)):
                continue  # given, or the table's own id
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = self.now
            else:
                value = f.get_default()
            if value is None and not f.null:
                raise ValueError(f"{model._meta.label}.{f.name} has no default: seed_scale must set it")
            rest.append(f)
            values.append(value)
        return given + rest, values

    def write(self, model: type[models.Model], columns: Sequence[str], rows: Iterable[tuple]) -> int:
        """Write `rows` (tuples matching `columns`) into `model`'s table; return how many."""
        fields, fill = self._plan(model, columns)
        table = model._meta.db_table
        names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        json_at = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
        count = 0
        if self.postgres:
            from psycopg.types.json import Jsonb

            fill_t = tuple(fill)
            if json_at:
                fill_t = tuple(Jsonb(v) if i + len(columns) in json_at else v for i, v in enumerate(fill))
            given_json = [i for i in json_at if i < len(columns)]
            with connection.cursor() as cursor:
                raw = cursor.cursor  # the psycopg cursor under Django's wrapper
                with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    write = copy.write_row
                    if given_json:
                        for row in rows:
                            row = list(row)
                            for i in given_json:
                                row[i] = Jsonb(row[i])
                            write((*row, *fill_t))
                            count += 1
                    else:
                        for row in rows:
                            write(row + fill_t)
                            count += 1
        else:
            preps = [(lambda v, f=f: f.get_db_prep_save(v, connection)) for f in fields]
            fill_prepped = tuple(preps[len(columns) + i](v) for i, v in enumerate(fill))
            marks = ", ".join(["%s"] * len(fields))
            sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"
            given_preps = preps[: len(columns)]
            batch: list[tuple] = []
            with connection.cursor() as cursor:
                for row in rows:
                    batch.append(tuple(p(v) for p, v in zip(given_preps, row, strict=True)) + fill_prepped)
                    if len(batch) >= SLICE:
                        cursor.executemany(sql, batch)
                        count += len(batch)
                        batch = []
                if batch:
                    cursor.executemany(sql, batch)
                    count += len(batch)
        self.tally.add(table, count)
        return count
