"""Human references unique per school (INC-000123), allocated safely under concurrency."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F

from fits.models import ReferenceSequence


def next_reference(*, school_id: int, prefix: str, width: int = 6) -> str:
    """Take the next number of `prefix` at a school. Call it inside the caller's transaction.

    The UPDATE takes a row lock (PostgreSQL) or the write lock (SQLite) until the caller commits,
    so two requests logging at once never get the same number and numbers stay consecutive.
    """
    sequences = ReferenceSequence.objects.filter(school_id=school_id, prefix=prefix)
    if not sequences.update(last_number=F("last_number") + 1):
        try:
            with transaction.atomic():
                ReferenceSequence.objects.create(school_id=school_id, prefix=prefix, last_number=1)
        except IntegrityError:  # another transaction created it first: take the next one
            sequences.update(last_number=F("last_number") + 1)
    number = sequences.values_list("last_number", flat=True).get()
    return f"{prefix}-{number:0{width}d}"
