"""The monthly Problem Management report (FITS: "a monthly report drawn from the log", with a graph
against the fix-time bands the school sets; ITIL: opened, closed, open backlog).

Every figure is counted in SQL over the problems the reader may see, so the report costs the same
few queries for one school or an authority's hundreds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from incidents.models import Incident, TicketKind
from problems.models import CandidateStatus, KnownError, Problem, ProblemCandidate, Status


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The first instant of `month` and of the month after, in the school's time zone."""
    start = month.replace(day=1)
    following = (start + timedelta(days=32)).replace(day=1)
    tz = timezone.get_current_timezone()
    return (
        datetime.combine(start, datetime.min.time(), tzinfo=tz),
        datetime.combine(following, datetime.min.time(), tzinfo=tz),
    )


def band_labels(bands: tuple[int, ...]) -> list[str]:
    labels, low = [], 0
    for high in bands:
        labels.append(f"{low + 1 if low else 0}–{high} days" if low else f"within {high} days")
        low = high
    labels.append(f"over {low} days")
    return labels


@dataclass
class MonthlyProblemReport:
    month: date
    bands: tuple[int, ...]
    opened: int = 0
    resolved: int = 0
    closed: int = 0
    cancelled: int = 0
    backlog_start: int = 0
    backlog_end: int = 0
    known_errors: int = 0
    incidents: int = 0
    incidents_linked: int = 0
    candidates_raised: int = 0
    candidates_dismissed: int = 0
    candidates_open: int = 0
    fix_bands: list[tuple[str, int]] = field(default_factory=list)
    trend: list[dict] = field(default_factory=list)
    resolved_problems: list[Problem] = field(default_factory=list)

    @property
    def linked_share(self) -> int | None:
        return round(100 * self.incidents_linked / self.incidents) if self.incidents else None

    @property
    def band_max(self) -> int:
        return max((n for _, n in self.fix_bands), default=0)


def _open_at(instant: datetime) -> Q:
    """Problems open at `instant`: logged before, not yet resolved (or cancelled) by then."""
    not_done = Q(resolved_at__isnull=True) | Q(resolved_at__gte=instant)
    return Q(created_at__lt=instant) & not_done & ~Q(status=Status.CANCELLED, updated_at__lt=instant)


def monthly_report(
    problems: QuerySet, incidents: QuerySet, candidates: QuerySet, *, month: date, bands
) -> MonthlyProblemReport:
    """The report of `month` over the given (already scoped) problems, incidents and candidates."""
    start, end = month_bounds(month)
    resolved_in_month = Q(resolved_at__gte=start, resolved_at__lt=end)
    counts = {
        "opened": Count("pk", filter=Q(created_at__gte=start, created_at__lt=end)),
        "resolved": Count("pk", filter=resolved_in_month),
        "closed": Count("pk", filter=Q(closed_at__gte=start, closed_at__lt=end)),
        "cancelled": Count("pk", filter=Q(status=Status.CANCELLED, updated_at__gte=start, updated_at__lt=end)),
        "backlog_start": Count("pk", filter=_open_at(start)),
        "backlog_end": Count("pk", filter=_open_at(end)),
    }
    # Fix-time bands: resolved this month within each upper bound (cumulative; differenced below).
    for i, days in enumerate(bands):
        counts[f"band_{i}"] = Count(
            "pk", filter=resolved_in_month & Q(resolved_at__lte=F("created_at") + timedelta(days=days))
        )
    figures = problems.order_by().aggregate(**counts)
    report = MonthlyProblemReport(month=start.date(), bands=tuple(bands))
    for name in ("opened", "resolved", "closed", "cancelled", "backlog_start", "backlog_end"):
        setattr(report, name, figures[name])
    cumulative = [figures[f"band_{i}"] for i in range(len(bands))] + [figures["resolved"]]
    in_band = [n - (cumulative[i - 1] if i else 0) for i, n in enumerate(cumulative)]
    report.fix_bands = list(zip(band_labels(tuple(bands)), in_band, strict=True))

    report.known_errors = KnownError.objects.filter(
        problem__in=problems, created_at__gte=start, created_at__lt=end
    ).count()
    logged = incidents.filter(kind=TicketKind.INCIDENT, created_at__gte=start, created_at__lt=end).order_by()
    incident_figures = logged.aggregate(
        total=Count("pk", distinct=True), linked=Count("pk", filter=Q(problems__isnull=False), distinct=True)
    )
    report.incidents, report.incidents_linked = incident_figures["total"], incident_figures["linked"]
    candidate_figures = candidates.order_by().aggregate(
        raised=Count("pk", filter=Q(status=CandidateStatus.RAISED, decided_at__gte=start, decided_at__lt=end)),
        dismissed=Count("pk", filter=Q(status=CandidateStatus.DISMISSED, decided_at__gte=start, decided_at__lt=end)),
        waiting=Count("pk", filter=Q(status=CandidateStatus.OPEN)),
    )
    report.candidates_raised = candidate_figures["raised"]
    report.candidates_dismissed = candidate_figures["dismissed"]
    report.candidates_open = candidate_figures["waiting"]
    report.trend = _trend(problems, end)
    report.resolved_problems = list(
        problems.filter(resolved_in_month).select_related("school", "assignee").order_by("resolved_at")[:100]
    )
    return report


def _trend(problems: QuerySet, end: datetime, months: int = 12) -> list[dict]:
    """Opened and resolved per month for the twelve months up to `end`: two grouped queries."""
    first = (end - timedelta(days=31 * months)).replace(day=1)
    opened = dict(
        problems.filter(created_at__gte=first, created_at__lt=end)
        .order_by()
        .annotate(m=TruncMonth("created_at"))
        .values_list("m")
        .annotate(n=Count("pk"))
    )
    resolved = dict(
        problems.filter(resolved_at__gte=first, resolved_at__lt=end)
        .order_by()
        .annotate(m=TruncMonth("resolved_at"))
        .values_list("m")
        .annotate(n=Count("pk"))
    )
    by_month = {}
    for stamp, n in opened.items():
        by_month.setdefault(_as_date(stamp), {"opened": 0, "resolved": 0})["opened"] = n
    for stamp, n in resolved.items():
        by_month.setdefault(_as_date(stamp), {"opened": 0, "resolved": 0})["resolved"] = n
    rows, cursor = [], first.date()
    while cursor < end.date():
        rows.append({"month": cursor, **by_month.get(cursor, {"opened": 0, "resolved": 0})})
        cursor = (cursor + timedelta(days=32)).replace(day=1)
    return rows[-months:]


def _as_date(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def report_scope(user, school_id: int | None) -> tuple[QuerySet, QuerySet, QuerySet]:
    """The problems, incidents and candidates the report counts: the reader's, narrowed to one school if chosen."""
    return (
        Problem.objects.visible_to(user).of_school(school_id),
        Incident.objects.visible_to(user).of_school(school_id),
        ProblemCandidate.objects.visible_to(user).of_school(school_id),
    )
