"""Celery tasks of Service Continuity Management: thin, idempotent wrappers around continuity/services.py."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def continuity_reminders_task() -> int:
    """Raise one task per overdue plan review, overdue plan test and risk past its review date (once per date)."""
    from continuity import services

    return services.continuity_reminders_raise()
