from django.core.management.base import BaseCommand

from fits.management.commands.seed_demo import LOGINS


class Command(BaseCommand):
    help = "Print where the site is served and the demo logins (used by `make run`)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="The port the site is served on.")

    def handle(self, *args, port: int, **options) -> None:
        self.stdout.write(self.style.SUCCESS(f"\nFITS Service Desk: http://127.0.0.1:{port}/"))
        self.stdout.write("Demo logins (password = username):")
        for username, *_, where, role in LOGINS:
            what = role.label if role else "Administrator (superuser)"
            self.stdout.write(f"  {username:<11} {what}{f' at {where}' if where else ''}")
        self.stdout.write("API docs: /api/docs/  Admin: /admin/   Ctrl-C stops the site, the worker and beat.\n")
