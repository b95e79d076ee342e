from django.core.management.base import BaseCommand

from fits.schedules import apply_default_schedules


class Command(BaseCommand):
    help = (
        "Create or update the default periodic tasks (fits/schedules.py) in the database that Celery beat "
        "reads. Idempotent: run it after every upgrade; schedules you added yourself are left alone."
    )

    def handle(self, *args, **options) -> None:
        names = apply_default_schedules()
        self.stdout.write(self.style.SUCCESS(f"{len(names)} default schedule(s) in place."))
