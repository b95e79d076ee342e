"""Celery tasks of Availability and Capacity Management: thin wrappers that take ids and call the engine.

Beat runs `dispatch_due_checks_task` every minute on the monitoring queue; it leases the due checks into
batches (PollRun rows) and sends each batch to its school's queue, so a poller inside a school's network
consumes only that school's batches. Every task is acks_late and idempotent: a batch redelivered after its
worker died runs only the checks that have no result in that run yet.
"""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def dispatch_due_checks_task() -> list[int]:
    """Lease the due checks into batches and send each one to its queue after commit (beat, every minute)."""
    from django.db import transaction
    from django.utils import timezone

    from availability import engine

    with transaction.atomic():
        runs = engine.dispatch_due(now=timezone.now())
        for run in runs:
            transaction.on_commit(
                lambda run=run: run_poll_batch_task.apply_async(args=[run.pk], queue=run.queue),
            )
    return [run.pk for run in runs]


@shared_task(acks_late=True)
def run_poll_batch_task(run_id: int) -> int:
    """Run one batch of checks and write its results (idempotent: a finished batch returns at once)."""
    from availability import engine

    return engine.run_batch(run_id, worker=run_poll_batch_task.request.hostname or "").checks_run


@shared_task(acks_late=True)
def rollup_monitoring_task() -> int:
    """Roll the recent raw results and samples up into hourly and daily rows (beat, hourly)."""
    from availability import rollups

    return rollups.rollup_recent()


@shared_task(acks_late=True)
def prune_monitoring_task() -> int:
    """Delete raw results and samples past each school's retention, and old hourly rollups (beat, daily)."""
    from availability import rollups

    return rollups.prune()


@shared_task(acks_late=True)
def propose_checks_all_task() -> int:
    """Propose checks for the live CIs that have none yet, at every school (beat, hourly)."""
    from availability import services

    return services.propose_checks_all()


@shared_task(acks_late=True)
def maintenance_raise_due_task() -> int:
    """Raise the tasks of preventative maintenance whose time has come (beat, daily). Idempotent."""
    from availability import maintenance

    return maintenance.maintenance_raise_due()
