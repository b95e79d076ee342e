"""`manage.py poll_mailboxes [--school SLUG]`: fetch the support mailboxes' unread mail now."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from servicedesk.mail import mailbox_poll
from servicedesk.models import Mailbox


class Command(BaseCommand):
    help = (
        "Poll the schools' support mailboxes over IMAP now (Celery beat does it every two minutes): fetch "
        "unread mail, receive each message as the desk would (tickets, replies, held mail) and mark it read "
        "once stored. Without --school every active mailbox; with it, that school's mailbox even if its "
        "polling is switched off. Exits 1 when a mailbox could not be read (its error is on its settings page)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--school", metavar="SLUG", help="Poll only this school's mailbox.")

    def handle(self, *args, **options) -> None:
        mailboxes = Mailbox.objects.select_related("school").order_by("school__slug")
        if options.get("school"):
            mailboxes = mailboxes.filter(school__slug=options["school"])
            if not mailboxes:
                raise CommandError(f"{options['school']!r} has no support mailbox: set one up on its settings page.")
        else:
            mailboxes = mailboxes.filter(is_active=True, school__is_active=True)
        failed = 0
        for mailbox in mailboxes:
            result = mailbox_poll(mailbox=mailbox)
            failed += bool(result.error)
            line = f"{mailbox.school.slug} ({mailbox}): {result.summary()}"
            self.stdout.write(self.style.ERROR(line) if result.error else line)
        if not mailboxes:
            self.stdout.write("No active mailbox to poll.")
        if failed:
            raise CommandError(f"{failed} mailbox(es) could not be read.", returncode=1)
