"""Celery tasks of the core: notification e-mails, one per update or one digest a day. Thin: they call services."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from fits import notifications

# SMTP errors (smtplib.SMTPException) and refused or dropped connections are all OSErrors: try again later.
RETRY = {"autoretry_for": (OSError,), "retry_backoff": True, "retry_backoff_max": 600, "max_retries": 8}


@shared_task(acks_late=True, **RETRY)
def notification_email_task(notification_ids: list[int], event: str, context: dict[str, Any], thread: str) -> int:
    return notifications.notification_email_send(
        notification_ids=notification_ids, event=event, context=context, thread=thread
    )


@shared_task(acks_late=True, **RETRY)
def notification_digest_task() -> int:
    return notifications.notification_digest_send()
