"""FITS Service Desk: the project package and the shared core (schools, roles, scoping, activity)."""

from .celery import app as celery_app

__all__ = ["celery_app"]
