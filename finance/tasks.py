"""Celery tasks of Financial Management: thin, idempotent wrappers around finance/services.py."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def contracts_check_notice_task() -> int:
    """Raise one task (and tell the owner) for each contract whose notice date is within the alert window."""
    from finance import services

    return services.contracts_check_notice()
