"""`manage.py monitor --once`: run the monitoring checks once, here and now, and print what they found."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from fits.models import School

NOT_ONCE = """\
Monitoring runs in Celery, not in this command: beat dispatches the due checks every minute and a worker
consuming the monitoring queue runs them. To run them continuously:

  celery -A fits worker --queues celery,monitoring --loglevel INFO
  celery -A fits beat --loglevel INFO

(`make run` starts both.) To run the checks once, in this process, and see the results:

  python manage.py monitor --once [--school SLUG] [--all]
"""

COLUMNS = ("CI", "Check", "Target", "State", "Latency", "Message")
WIDTHS = (24, 24, 28, 9, 9, 0)


class Command(BaseCommand):
    help = (
        "Run the monitoring checks once in this process and print a table of what they found: CI, check, "
        "target, state, latency and message, then a summary line. Without --all only the due checks run "
        "(as the Celery beat dispatcher would pick them); with --all every active check runs. Results, states, "
        "capacity readings and incidents are recorded exactly as the Celery worker records them. Checks a "
        "worker is running at this moment are left to it."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="Run the checks once, now (required).")
        parser.add_argument("--school", metavar="SLUG", help="Only this school's checks (e.g. highfield).")
        parser.add_argument(
            "--all", action="store_true", dest="run_all", help="Every active check, not only the due ones."
        )

    def handle(self, *args, once: bool, school: str | None, run_all: bool, **options) -> None:
        if not once:
            self.stdout.write(NOT_ONCE)
            return
        from availability import engine

        chosen = None
        if school:
            chosen = School.objects.filter(slug=school).first()
            if chosen is None:
                raise CommandError(f"No school with the slug {school!r}.")
        pairs = engine.run_once(school=chosen, run_all=run_all)
        if not pairs:
            which = "active" if run_all else "due"
            where = f" at {chosen.slug}" if chosen else ""
            self.stdout.write(f"No {which} checks{where}. Use --all to run every active check now.")
            return
        self.stdout.write(_row(COLUMNS))
        self.stdout.write(_row(tuple("-" * (width or 7) for width in WIDTHS)))
        for check, result in pairs:
            self.stdout.write(self._styled(_row(_cells(check, result)), result.state))
        self.stdout.write("")
        self.stdout.write(summary([result for _check, result in pairs]))

    def _styled(self, line: str, state: str) -> str:
        style = {"up": self.style.SUCCESS, "down": self.style.ERROR, "degraded": self.style.WARNING}.get(state)
        return style(line) if style else line


def _cells(check, result) -> tuple[str, ...]:
    from availability.runner import target_of

    latency = f"{result.latency_ms:.1f} ms" if result.latency_ms is not None else "-"
    return (str(check.ci), check.name, target_of(check) or "-", result.state, latency, result.message)


def _row(cells: tuple[str, ...]) -> str:
    parts = []
    for cell, width in zip(cells, WIDTHS, strict=True):
        if width:
            cell = cell if len(cell) <= width else cell[: width - 1] + "…"
            parts.append(cell.ljust(width))
        else:
            parts.append(cell)
    return "  ".join(parts).rstrip()


def summary(results) -> str:
    """ "12 checks: 9 up, 2 down, 1 unknown" (states that no check found are left out)."""
    counts: dict[str, int] = {}
    for result in results:
        counts[result.state] = counts.get(result.state, 0) + 1
    order = ("up", "degraded", "down", "unknown")
    parts = [f"{counts[state]} {state}" for state in order if counts.get(state)]
    noun = "check" if len(results) == 1 else "checks"
    return f"{len(results)} {noun}: " + ", ".join(parts)
