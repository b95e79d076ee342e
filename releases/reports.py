"""The release report and the FITS measures of Release Management: builds created and installed per period."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import CharField, Count, QuerySet, Value
from django.db.models.functions import TruncMonth
from django.utils import timezone

from releases.models import Outcome, Release, RolloutTarget, Status

MEASURES = (
    ("built", "Builds created (built and tested)"),
    ("completed", "Releases completed"),
    ("installed", "Builds installed on CIs"),
)


def wave_counts(release: Release, *, user: Any) -> dict[int, dict[str, int]]:
    """{wave id: {outcome: count}} for one release: the release report, in one aggregate query."""
    return RolloutTarget.objects.visible_to(user).filter(release=release).counts_by_wave()


def _months_back(today: date, n: int) -> list[date]:
    months, year, month = [], today.year, today.month
    for _ in range(n):
        months.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return list(reversed(months))


def measures(releases: QuerySet[Release], *, user: Any, months: int = 12) -> dict[str, Any]:
    """The last `months` months of builds created, releases completed and builds installed, over `releases` (the
    releases the viewer sees, narrowed to the chosen school): one SQL statement, three grouped counts joined by
    UNION ALL."""
    today = timezone.localdate()
    since = _months_back(today, months)[0]
    parts = [
        releases.filter(built_at__date__gte=since).annotate(month=TruncMonth("built_at"), measure=Value("built")),
        releases.filter(status=Status.COMPLETED, finished_at__date__gte=since).annotate(
            month=TruncMonth("finished_at"), measure=Value("completed")
        ),
        RolloutTarget.objects.visible_to(user)
        .filter(release__in=releases.values("pk"), outcome=Outcome.SUCCEEDED, done_at__date__gte=since)
        .annotate(month=TruncMonth("done_at"), measure=Value("installed", output_field=CharField())),
    ]
    grouped = [part.order_by().values("measure", "month").annotate(n=Count("pk")) for part in parts]
    found: dict[tuple[str, date], int] = {}
    for row in grouped[0].union(*grouped[1:], all=True):
        month = row["month"]
        month = month.date() if hasattr(month, "date") else month
        found[(row["measure"], month)] = row["n"]
    rows = [
        {"month": month, **{key: found.get((key, month), 0) for key, _label in MEASURES}}
        for month in _months_back(today, months)
    ]
    totals = {key: sum(row[key] for row in rows) for key, _label in MEASURES}
    return {"rows": rows, "totals": totals, "labels": MEASURES}
