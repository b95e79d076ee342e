"""Celery tasks of Print and Output Management: thin wrappers that take ids and call the reading run or services.

Beat reads every printer every 30 minutes (on the monitoring queue, like availability's checks) and prunes old
readings nightly. Both are acks_late and idempotent: a reading repeated after its worker died adds one more
history row at most, and raises no second task (each supply's episode keeps its one task, source_key
"printing:supply:SUPPLY:EPISODE").
"""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def printers_read_task(school_id: int | None = None) -> dict[str, int]:
    """Read the supplies and page counters of every printer (at one school, or all): how many answered, failed."""
    from om.printing.reading import read_printers

    outcomes = read_printers(school_id=school_id)
    return {
        "answered": sum(outcome.ok for outcome in outcomes),
        "failed": sum(not outcome.ok for outcome in outcomes),
        "tasks_raised": sum(outcome.tasks_raised for outcome in outcomes),
    }


@shared_task(acks_late=True)
def readings_prune_task() -> int:
    """Delete supply and page-count readings older than each school's retention."""
    from om.printing.services import readings_prune

    return readings_prune()
