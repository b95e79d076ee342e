"""Celery tasks of Storage Management: thin, idempotent wrappers around om/storage/services.py."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def backups_check_missed_task() -> int:
    """Open one "backup missed" incident per job whose scheduled run and grace passed with no result."""
    from om.storage import services

    return services.backups_check_missed()


@shared_task(acks_late=True)
def offsite_copies_check_task() -> int:
    """Raise a task for each job whose off-site copy is overdue (once per due date)."""
    from om.storage import services

    return services.offsite_copies_check()


@shared_task(acks_late=True)
def restore_tests_raise_task() -> int:
    """In term time, raise a restore-test task for each job with no restore test this term."""
    from om.storage import services

    return services.restore_tests_raise()
