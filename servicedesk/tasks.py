"""Celery tasks of the Service Desk: thin wrappers that call services."""

from __future__ import annotations

from celery import shared_task

from servicedesk.mail import mailbox_poll
from servicedesk.models import Mailbox


@shared_task(acks_late=True)
def mailboxes_poll_task() -> int:
    """Every two minutes (fits/schedules.py): one task per active mailbox, so a slow or broken one
    delays no other school. Returns how many were queued."""
    ids = list(
        Mailbox.objects.filter(is_active=True, school__is_active=True).order_by("pk").values_list("pk", flat=True)
    )
    for mailbox_id in ids:
        mailbox_poll_task.delay(mailbox_id)
    return len(ids)


@shared_task(acks_late=True)
def mailbox_poll_task(mailbox_id: int) -> int:
    """Fetch one mailbox's unread mail. Idempotent: a message is marked read once stored, and one fetched
    twice is a duplicate by its Message-ID; overlapping polls of one mailbox are skipped (a cache lock)."""
    mailbox = Mailbox.objects.select_related("school").filter(pk=mailbox_id, is_active=True).first()
    if mailbox is None:
        return 0
    return len(mailbox_poll(mailbox=mailbox).messages)
