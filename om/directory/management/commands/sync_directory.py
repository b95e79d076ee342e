"""python manage.py sync_directory --school SLUG [--full]: synchronise a school's directory and print the report."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from fits.models import School
from om.directory.models import DirectoryChange, SyncRun
from om.directory.sync import directory_sync


class Command(BaseCommand):
    help = "Synchronise a school's LDAP directory or Active Directory into its directory records, and report."

    def add_arguments(self, parser):
        parser.add_argument("--school", required=True, help="The school's slug, e.g. highfield.")
        parser.add_argument("--full", action="store_true", help="Compare every entry, not only those that changed.")
        parser.add_argument("--changes", type=int, default=20, help="How many changes to list (default 20).")

    def handle(self, *args, school: str, full: bool, changes: int, **options):
        found = School.objects.filter(slug=school).first()
        if found is None:
            raise CommandError(f"No school has the slug {school!r}.")
        try:
            run = directory_sync(school=found, trigger=SyncRun.Trigger.COMMAND, full=full)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        if run.status == SyncRun.Status.FAILED:
            raise CommandError(f"Sync of {found.slug} failed: {run.error}")
        took = (run.finished_at - run.started_at).total_seconds()
        self.stdout.write(
            f"Synchronised {found.slug}{' (full)' if full else ''}: {run.entries_read} entries read in {took:.1f} s; "
            f"{run.added} added, {run.changed} changed, {run.disabled} disabled, {run.unchanged} unchanged."
        )
        rows = DirectoryChange.objects.filter(run=run).select_related("account", "group", "ou").order_by("pk")
        for change in rows[:changes]:
            arrow = f": {change.old} -> {change.new}" if change.old or change.new else ""
            self.stdout.write(f"  {change.get_action_display():<24} {change}{arrow}")
        total = rows.count()
        if total > changes:
            self.stdout.write(f"  ... and {total - changes} more (see the sync run's page).")
