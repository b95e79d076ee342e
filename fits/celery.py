"""The Celery application. Each app's tasks.py holds its tasks; schedules live in the database."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fits.settings")

app = Celery("fits")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
