from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from fits.models import School
from servicelevels.rollups import rollup


class Command(BaseCommand):
    help = (
        "Rebuild the service-level dashboard figures (DailyFigures) from the tickets, from --since up to today. "
        "Celery beat keeps the last days up to date by itself; run this after importing old tickets, after "
        "changing agreements retrospectively, or to fill a new database: "
        "`manage.py rollup_service_levels --since 2025-09-01 --school highfield`. Idempotent."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--since", required=True, type=date.fromisoformat, metavar="YYYY-MM-DD", help="The first day to rebuild."
        )
        parser.add_argument(
            "--until",
            type=date.fromisoformat,
            metavar="YYYY-MM-DD",
            help="The last day to rebuild (default: today, Europe/London).",
        )
        parser.add_argument(
            "--school", action="append", metavar="SLUG", help="Only this school (repeat for several; default: all)."
        )

    def handle(self, *args, since: date, until: date | None, school: list[str] | None, **options) -> None:
        until = until or timezone.localdate()
        if until < since:
            raise CommandError("--since must be on or before --until.")
        school_ids = None
        if school:
            found = dict(School.objects.filter(slug__in=school).values_list("slug", "pk"))
            missing = sorted(set(school) - set(found))
            if missing:
                raise CommandError(f"No school with the slug {', '.join(missing)}.")
            school_ids = list(found.values())
        rows = rollup(school_ids=school_ids, start=since, end=until)
        self.stdout.write(self.style.SUCCESS(f"{rows} row(s) of figures rebuilt for {since} to {until}."))
