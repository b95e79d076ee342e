"""Celery tasks of Directory Services Administration: thin, idempotent wrappers around the sync and the services."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def directory_sync_all_task() -> int:
    """The hourly sync of every school whose directory settings have sync on (one at a time per school)."""
    from om.directory.sync import directory_sync_all

    return len(directory_sync_all())


@shared_task(acks_late=True)
def directory_sync_task(school_id: int, trigger: str = "page", full: bool = False, actor_id: int | None = None) -> int:
    """One school's sync, asked for from a page or the API ("Sync now"); a school already syncing is left be."""
    from fits.models import School, User
    from om.directory.sync import SyncBusy, directory_sync

    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    try:
        return directory_sync(school=School.objects.get(pk=school_id), trigger=trigger, full=full, actor=actor).pk
    except SyncBusy:
        return 0


@shared_task(acks_late=True)
def account_request_carry_out_task(request_id: int) -> str:
    """Carry out a starter, change or leaver against the directory (a request no longer queued is left as it is)."""
    from om.directory.services import account_request_carry_out, account_request_fail

    try:
        return account_request_carry_out(request_id=request_id).state
    except Exception as error:
        account_request_fail(request_id=request_id, message=f"{error.__class__.__name__}: {error}")
        raise
