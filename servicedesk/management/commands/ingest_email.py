"""`manage.py ingest_email --school SLUG`: receive one e-mail from a mail server's pipe (stdin)."""

from __future__ import annotations

import sys
from argparse import RawDescriptionHelpFormatter

from django.core.management.base import BaseCommand, CommandError

from fits.models import School
from servicedesk.mail import message_ingest
from servicedesk.models import InboundMessage

# sysexits.h: the mail server keeps the message and tries again later.
EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = (
        "Receive one e-mail message for a school's service desk. Reads the raw RFC 822 message\n"
        "from standard input (or --file) and stores it, then opens a ticket, adds a reply to its\n"
        "ticket, holds it for the desk or ignores it (auto-replies, bounces, duplicates).\n"
        "Prints one line saying which.\n\n"
        "For a mail server's pipe, e.g. in Postfix's /etc/aliases:\n"
        '  ictsupport: "|/srv/fits/.venv/bin/python /srv/fits/manage.py ingest_email --school highfield"\n\n'
        "Exit status: 0 once the message is stored, whatever became of it (one that could not be\n"
        "read is kept and listed for the desk as failed); "
        f"{EX_TEMPFAIL} (EX_TEMPFAIL) when it could not even be\n"
        "stored (the database is down, no such school): the mail server keeps it and tries again."
    )
    requires_system_checks: list[str] = []  # a mail server runs this for every message: start fast
    # Tests hand the message in as call_command(..., stdin=BytesIO(raw)).
    stealth_options = ("stdin",)

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = RawDescriptionHelpFormatter
        return parser

    def add_arguments(self, parser) -> None:
        parser.add_argument("--school", required=True, metavar="SLUG", help="The school whose desk receives it.")
        parser.add_argument(
            "--file", metavar="PATH", help="Read the message from this .eml file instead of standard input."
        )
        parser.add_argument(
            "--source",
            choices=InboundMessage.Source.values,
            default=InboundMessage.Source.PIPE,
            help="How it arrived, as the inbound mail page shows it (default: pipe).",
        )

    def handle(self, *args, **options) -> None:
        try:
            raw = self._read(options)
        except OSError as error:
            raise CommandError(f"Could not read the message: {error}", returncode=EX_TEMPFAIL) from error
        try:
            school = School.objects.filter(slug=options["school"]).first()
            if school is None:
                raise CommandError(f"No school {options['school']!r}: message not stored.", returncode=EX_TEMPFAIL)
            message = message_ingest(school=school, raw=raw, source=options["source"])
        except CommandError:
            raise
        except Exception as error:  # only storing it can fail: the mail server must keep it and retry
            raise CommandError(
                f"Message not stored ({type(error).__name__}: {error}): try again later.", returncode=EX_TEMPFAIL
            ) from error
        self.stdout.write(describe(message))

    def _read(self, options) -> bytes:
        if options.get("file"):
            with open(options["file"], "rb") as handle:
                return handle.read()
        stream = options.get("stdin") or sys.stdin.buffer
        return stream.read()


def describe(message: InboundMessage) -> str:
    """One line: what became of the message."""
    Outcome = InboundMessage.Outcome
    head = f"Message {message.pk} for {message.school.slug}"
    ticket = message.ticket.reference if message.ticket_id else ""
    if message.outcome == Outcome.CREATED:
        return f"{head}: opened {ticket} for {message.sender}."
    if message.outcome == Outcome.COMMENTED:
        return f"{head}: added to {ticket}."
    if message.outcome == Outcome.FAILED:
        return f"{head}: stored, but could not be read ({message.error}); listed for the desk."
    reason = f" ({message.error.rstrip('.')})" if message.error else ""
    return f"{head}: {message.get_outcome_display().lower()}{reason}."
