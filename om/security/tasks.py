"""Celery tasks of Security Administration: thin, idempotent wrappers around om/security/services.py."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def firewall_reviews_raise_task() -> int:
    """Raise a review task for each firewall rule whose review falls due within two weeks (once per due date)."""
    from om.security import services

    return services.firewall_reviews_raise()


@shared_task(acks_late=True)
def breaches_warn_deadline_task() -> int:
    """Warn, once per breach, when the ICO's 72 hours are nearly up and it is neither reported nor ruled out."""
    from om.security import services

    return services.breaches_warn_deadline()


@shared_task(acks_late=True)
def antivirus_refresh_task(school_id: int | None = None) -> int:
    """Bring each computer's antivirus status up to date from its latest inventory."""
    from om.security import services

    return services.antivirus_refresh(school_id=school_id)
