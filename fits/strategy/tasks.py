"""Celery tasks of the strategies: thin, idempotent wrappers around fits/strategy/services.py."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def strategy_reviews_remind_task() -> int:
    """Tell the network managers of each strategy in force whose review date has passed (once per review date)."""
    from fits.strategy import services

    return services.strategy_reviews_remind()
