"""Celery tasks of Problem Management: thin wrappers that call services."""

from celery import shared_task

from problems import services


@shared_task(acks_late=True)
def problem_candidates_spot_task() -> int:
    return services.problem_candidates_spot()
