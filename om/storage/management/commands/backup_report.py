"""Read one backup report e-mail from standard input (or a file) and record it:

    python manage.py backup_report --school highfield < report.eml

For a mail server's pipe (an alias `backups: "|/srv/fits/manage.py backup_report --school highfield"`) or a
scheduled fetch. Exits 0 when the report was read, 2 when it was rejected (the reason on stderr; the message is
kept under Storage, Reports received either way), 1 on a usage error."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from fits.models import School
from om.storage import services


class Command(BaseCommand):
    help = "Record a backup report e-mail (Veeam, Windows Server Backup, Synology Hyper Backup) from stdin."

    def add_arguments(self, parser):
        parser.add_argument("--school", required=True, help="The school's slug.")
        parser.add_argument("file", nargs="?", help="The .eml file (default: standard input).")

    def handle(self, *args, school: str, file: str | None = None, **options):
        found = School.objects.filter(slug=school, is_active=True).first()
        if found is None:
            raise CommandError(f"No active school “{school}”.")
        if file:
            try:
                with open(file, "rb") as handle:
                    raw = handle.read()
            except OSError as error:
                raise CommandError(f"Cannot read {file}: {error}") from error
        else:
            raw = sys.stdin.buffer.read()
        outcome = services.backup_report_receive(school=found, raw=raw)
        if not outcome.accepted:
            self.stderr.write(f"Rejected (report {outcome.report.pk}): {outcome.report.reason}")
            sys.exit(2)
        result = outcome.result
        self.stdout.write(f"{result.job.name}: {result.get_status_display()} at {result.finished_at:%Y-%m-%d %H:%M}")
