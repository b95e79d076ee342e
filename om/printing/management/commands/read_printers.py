"""`manage.py read_printers [--school SLUG] [--once]`: read printers' supplies and page counters over SNMP.

Without --once it reads again every --interval seconds until stopped (as `monitor` does), for a poller that runs
inside a school's network; beat's printers_read_task is the usual way.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from fits.models import School
from om.printing.reading import DEFAULT_CONCURRENCY, read_printers


class Command(BaseCommand):
    help = "Read printers' supply levels and page counts over SNMP (Printer-MIB) and print a table."

    def add_arguments(self, parser):
        parser.add_argument("--school", help="Only this school's printers (its slug).")
        parser.add_argument("--once", action="store_true", help="Read once and stop.")
        parser.add_argument("--interval", type=int, default=1800, help="Seconds between readings (default 1800).")
        parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY, help="Printers asked at once.")
        parser.add_argument("--timeout", type=float, default=2.0, help="Seconds to wait for each SNMP answer.")

    def handle(self, *args, **options):
        school_id = None
        if options["school"]:
            school = School.objects.filter(slug=options["school"]).first()
            if school is None:
                raise CommandError(f"No school has the slug {options['school']!r}.")
            school_id = school.pk
        while True:
            self.read_once(school_id, options)
            if options["once"]:
                return
            time.sleep(max(60, options["interval"]))

    def read_once(self, school_id, options) -> None:
        outcomes = read_printers(school_id=school_id, concurrency=options["concurrency"], timeout=options["timeout"])
        if not outcomes:
            self.stdout.write("No printer is read over SNMP" + (" at this school." if school_id else "."))
            return
        self.stdout.write(f"{'School':<12} {'Printer':<24} {'Address':<22} {'Pages':>10}  Supplies")
        for outcome in outcomes:
            if outcome.ok:
                supplies = ", ".join(f"{name} {level}" for name, level in outcome.supplies) or "none reported"
                pages = "" if outcome.page_count is None else str(outcome.page_count)
                line = f"{supplies}" + (f"  [{outcome.tasks_raised} task(s) raised]" if outcome.tasks_raised else "")
            else:
                pages, line = "", f"NO ANSWER: {outcome.error}"
            self.stdout.write(
                f"{outcome.school:<12} {outcome.name[:24]:<24} {outcome.where[:22]:<22} {pages:>10}  {line}"
            )
        failed = sum(not outcome.ok for outcome in outcomes)
        style = self.style.WARNING if failed else self.style.SUCCESS
        self.stdout.write(style(f"{len(outcomes) - failed} printer(s) answered, {failed} did not."))
