"""Celery tasks of Service Level Management: thin wrappers that call the servicelevels modules."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def refresh_clocks(school_ids: list[int]) -> int:
    """Recompute the due times of the open tickets of these schools (a calendar, agreement or target changed)."""
    from servicelevels import sla

    return sla.refresh_schools(school_ids)


@shared_task(acks_late=True)
def detect_breaches() -> int:
    """Record the warnings, breaches and escalations that have fallen due (Celery beat, every minute)."""
    from servicelevels import breaches

    return breaches.detect_breaches()


@shared_task(acks_late=True)
def rollup_recent() -> int:
    """Rebuild today's and yesterday's dashboard figures (Celery beat, every 15 minutes)."""
    from servicelevels import rollups

    return rollups.rollup_recent(days=2)


@shared_task(acks_late=True)
def rollup_week() -> int:
    """Rebuild the last seven days' dashboard figures (Celery beat, nightly): late satisfaction and met flags."""
    from servicelevels import rollups

    return rollups.rollup_recent(days=7)


@shared_task(acks_late=True)
def remind_reviews() -> int:
    """Tell owners and the LEA's consultants of agreement and subscription reviews coming up or overdue (daily)."""
    from servicelevels import services

    return services.reviews_remind()
