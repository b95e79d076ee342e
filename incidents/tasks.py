"""Celery tasks of Incident Management: thin wrappers that call services."""

from celery import shared_task

from incidents import services


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def incident_notify_task(incident_id: int, event: str, actor_id: int | None = None) -> int:
    return services.incident_send_notifications(incident_id=incident_id, event=event, actor_id=actor_id)


@shared_task(acks_late=True)
def incident_close_unconfirmed_task() -> int:
    return services.incident_close_unconfirmed()


# --- Escalation and major incidents ----------------------------------------------------


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def incident_email_supplier_task(incident_id: int, group_id: int, note: str = "") -> int:
    return services.incident_email_supplier(incident_id=incident_id, group_id=group_id, note=note)


# --- Tasks (planned work) ------------------------------------------------------------


@shared_task(acks_late=True)
def tasks_overdue_task() -> int:
    """Tell the people who hold overdue tasks, once per due date (beat, daily)."""
    from incidents import task_services

    return task_services.tasks_overdue_notify()
