"""The FITS measures of Change Management: RFCs raised, approved, rejected, succeeded and failed, per month.

Each measure counts a change in the month of its own event: raised when it was created, approved when its
last approval was given, rejected when it was turned down, succeeded or failed when its work ended. A change
failed if it was marked failed or backed out, or its post-implementation review found it unsuccessful (a
closed change keeps its review); every other change whose work ended succeeded. All the months are counted
in one aggregate query. The list of changes filters by the same rules (`measure_filter`), so a figure links
to the changes behind it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from changes.models import RequestForChange, ReviewOutcome, Status

MEASURES = (
    ("raised", "Raised"),
    ("approved", "Approved"),
    ("rejected", "Rejected"),
    ("succeeded", "Succeeded"),
    ("failed", "Failed"),
)
MEASURE_LABELS = dict(MEASURES)

_FAILED = Q(status__in=(Status.FAILED, Status.BACKED_OUT)) | Q(review_outcome=ReviewOutcome.UNSUCCESSFUL)


@dataclass(frozen=True)
class Month:
    first: date  # the first day of the month

    @property
    def key(self) -> str:
        return f"{self.first:%Y-%m}"

    @property
    def label(self) -> str:
        return f"{self.first:%B %Y}"

    @property
    def span(self) -> tuple[datetime, datetime]:
        """[start, end) as aware datetimes in the site's time zone."""
        following = next_month(self.first)
        zone = timezone.get_current_timezone()
        return (
            datetime(self.first.year, self.first.month, 1, tzinfo=zone),
            datetime(following.year, following.month, 1, tzinfo=zone),
        )


@dataclass
class MonthFigures:
    month: Month
    raised: int = 0
    approved: int = 0
    rejected: int = 0
    succeeded: int = 0
    failed: int = 0

    def cells(self) -> list[tuple[str, str, int]]:
        """(measure, label, figure) in the order of MEASURES."""
        return [(name, label, getattr(self, name)) for name, label in MEASURES]


def next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def months_between(starts: date, ends: date) -> list[Month]:
    """Every month that has a day in [starts, ends], oldest first."""
    months, first = [], date(starts.year, starts.month, 1)
    while first <= ends:
        months.append(Month(first))
        first = next_month(first)
    return months


def parse_month(value: str) -> Month | None:
    """ "2026-11" -> that Month; None for anything else."""
    try:
        year, month = (int(part) for part in value.split("-"))
        return Month(date(year, month, 1))
    except (TypeError, ValueError):
        return None


def measure_filter(measure: str, month: Month) -> Q:
    """The changes one figure counts: `measure` (a key of MEASURES) in `month`."""
    start, end = month.span
    if measure == "raised":
        return Q(created_at__gte=start, created_at__lt=end)
    if measure == "approved":
        return Q(approved_at__gte=start, approved_at__lt=end)
    if measure == "rejected":
        # A rejection is final: the change is not touched again, so its last update is the rejection.
        return Q(status=Status.REJECTED, updated_at__gte=start, updated_at__lt=end)
    ended = Q(actual_end__gte=start, actual_end__lt=end)
    if measure == "failed":
        return ended & _FAILED
    if measure == "succeeded":
        return ended & ~_FAILED
    raise ValueError(f"Unknown measure {measure!r}: one of {', '.join(MEASURE_LABELS)}.")


def monthly_figures(changes: QuerySet[RequestForChange], months: list[Month]) -> list[MonthFigures]:
    """The five measures for each of `months`, over `changes` (already scoped to the reader): one query."""
    if not months:
        return []
    aggregates = {
        f"{name}_{index}": Count("pk", filter=measure_filter(name, month))
        for index, month in enumerate(months)
        for name, _label in MEASURES
    }
    counted = changes.order_by().aggregate(**aggregates)
    return [
        MonthFigures(month, **{name: counted[f"{name}_{index}"] for name, _label in MEASURES})
        for index, month in enumerate(months)
    ]


def recent_months(count: int, *, today: date | None = None) -> list[Month]:
    """The last `count` months up to this one, oldest first."""
    today = today or timezone.localdate()
    first = date(today.year, today.month, 1)
    months = [Month(first)]
    while len(months) < count:
        first = date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)
        months.insert(0, Month(first))
    return months
