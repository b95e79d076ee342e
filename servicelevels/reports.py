"""The termly service report and the consultancy-day pack (FITS Service Level: the service report).

The numbers come from `servicelevels.figures` (sums of the daily rollups, so a term costs a few grouped
queries); this module only arranges them into what a governor or an LEA consultant reads, lists the
term's biggest issues, and renders the same contents as HTML, PDF (WeasyPrint) and CSV.

Every record read here goes through ``visible_to(user)``; safeguarding and security tickets are never named,
whoever reads the report (governors' papers travel).
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from fits.models import School
from incidents.models import Incident, Priority
from servicelevels import figures, packs
from servicelevels.models import Agreement, ClockEvent, Subscription
from servicelevels.periods import Period, TermBook
from servicelevels.svg import LineChart, line_chart

TREND_TERMS = 6
ISSUES_SHOWN = 5
REVIEW_HORIZON_DAYS = 120
TILES = (
    "logged",
    "responded_in_time",
    "resolved_in_time",
    "first_time_fix",
    "satisfaction",
    "breaches",
)  # agreements and subscriptions to review "soon": within about a term

# =============================================================================
# Terms
# =============================================================================


def today() -> date:
    """Today in the site's time zone (one place, so tests can fix it)."""
    return timezone.localdate()


def last_complete_term(book: TermBook, today: date) -> Period:
    """The most recent term that has ended: what a termly report is about by default."""
    here = book.term_containing(today)
    before = here.starts - timedelta(days=1) if here.kind == "term" else today
    return book.previous_terms(1, before=before)[-1]


def report_terms(book: TermBook, today: date, n: int = 6) -> list[Period]:
    """The terms one may choose for a report, newest first: the current one (to date) and the `n` before it."""
    return list(reversed(book.previous_terms(n + 1, before=today)))


def choose_term(book: TermBook, key: str | None, today: date) -> Period:
    """The term a `?term=` key names (e.g. "2026-27-autumn"), else the last complete term."""
    if key:
        for term in report_terms(book, today, n=12):
            if term.key == key:
                return term
    return last_complete_term(book, today)


def pack_period(book: TermBook, key: str | None, today: date) -> Period:
    """The period a consultancy-day pack covers: the term a `?term=` key names, else the current term to date."""
    if key:
        for term in report_terms(book, today, n=12):
            if term.key == key:
                return term
    return book.current_term(today)


def bounds(period: Period) -> tuple[datetime, datetime]:
    """The first instant of the period and the first after it, in the site's time zone."""
    tz = timezone.get_current_timezone()
    return (
        datetime.combine(period.starts, time.min, tzinfo=tz),
        datetime.combine(period.ends + timedelta(days=1), time.min, tzinfo=tz),
    )


def file_name(school: School, what: str, period: Period, extension: str) -> str:
    """e.g. ``highfield-termly-service-report-2026-27-autumn.pdf``."""
    return f"{school.slug}-{what}-{slugify(period.key.replace('..', '-to-'))}.{extension}"


# =============================================================================
# Figures as words
# =============================================================================


def percent(value: float | None, places: int = 0) -> str:
    return "–" if value is None else f"{value:.{places}f}%"


def _number(value: Any) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class Headline:
    """One headline figure against its target: what the report says and what the CSV writes."""

    key: str
    label: str
    value: str
    target: str = ""
    met: bool | None = None  # None: no target, or nothing to measure
    help: str = ""


def _shown(value: float | None, target: float | None, *, lower_is_better: bool = False) -> str:
    """A percentage in whole numbers, unless rounding would hide which side of its target it is (89.6% of 90%)."""
    text = percent(value)
    if value is not None and target is not None:
        rounded = round(value)
        if _against(value, target, lower_is_better=lower_is_better) != _against(
            rounded, target, lower_is_better=lower_is_better
        ):
            text = percent(value, 1)
    return text


def _against(value: float | None, target: float | None, *, lower_is_better: bool = False) -> bool | None:
    if value is None or target is None:
        return None
    return value <= target if lower_is_better else value >= target


def headlines(summary: dict[str, Any]) -> list[Headline]:
    """The period at a glance, in plain words, against the targets (servicelevels.figures sets them)."""
    targets = summary.get("targets") or {}
    in_time = _number(targets.get("within_sla"))
    first_fix, reopen = _number(targets.get("first_time_fix")), _number(targets.get("reopen"))
    happy = _number(targets.get("satisfaction"))
    responded = _number(summary.get("pct_responded_in_time"))
    resolved_in_time = _number(summary.get("pct_resolved_in_time"))
    fixed_first, reopened = _number(summary.get("pct_first_time_fix")), _number(summary.get("pct_reopened"))
    satisfaction = _number(summary.get("satisfaction_mean"))
    rated = summary.get("satisfaction_count") or 0
    return [
        Headline("logged", "Tickets logged", str(summary.get("logged") or 0)),
        Headline("resolved", "Tickets resolved", str(summary.get("resolved") or 0)),
        Headline(
            "responded_in_time",
            "Responded to in time",
            _shown(responded, in_time),
            _target(in_time, "%"),
            _against(responded, in_time),
            "First responses given within the agreed response time, of all first responses.",
        ),
        Headline(
            "resolved_in_time",
            "Resolved in time",
            _shown(resolved_in_time, in_time),
            _target(in_time, "%"),
            _against(resolved_in_time, in_time),
            "Tickets resolved within the agreed resolution time, of all resolved.",
        ),
        Headline(
            "first_time_fix",
            "Fixed at the first contact",
            _shown(fixed_first, first_fix),
            _target(first_fix, "%"),
            _against(fixed_first, first_fix),
            "Resolved by the service desk while the caller was still there.",
        ),
        Headline(
            "reopened",
            "Reopened after a fix",
            _shown(reopened, reopen, lower_is_better=True),
            _target(reopen, "%", "at most "),
            _against(reopened, reopen, lower_is_better=True),
        ),
        Headline("mean_resolve", "Average time to resolve", _duration(_number(summary.get("mean_resolve_minutes")))),
        Headline(
            "satisfaction",
            "Satisfaction",
            "–" if satisfaction is None else f"{satisfaction:.1f} / 5",
            _target(happy, " / 5"),
            _against(satisfaction, happy),
            f"From {rated} rating{'s' if rated != 1 else ''} given when tickets were closed.",
        ),
        Headline("breaches", "Targets missed", str(summary.get("breaches") or 0)),
    ]


def _target(value: float | None, unit: str, prefix: str = "") -> str:
    if value is None:
        return ""
    return f"{prefix}{value:g}{unit}"


def _duration(minutes: float | None) -> str:
    if minutes is None:
        return "–"
    if minutes < 60:
        return f"{minutes:.0f} min"
    if minutes < 60 * 24:
        return f"{minutes / 60:.1f} hours"
    return f"{minutes / 60 / 24:.1f} days"


def trend_chart(trend: list[dict[str, Any]], target: float | None) -> LineChart:
    labels = [_short_label(row) for row in trend]
    values = [_number(row.get("pct_within_sla")) for row in trend]
    return line_chart(labels, [("Within the agreed times", "series-sla", values)], target=target)


def _short_label(row: dict[str, Any]) -> str:
    """ "Autumn term 2026-27" -> "Aut 26" (the year the term starts in)."""
    period = row.get("period") or {}
    label = str(row.get("label") or "")
    starts = period.starts.isoformat() if isinstance(period, Period) else str(period.get("starts", ""))
    return f"{label[:3]} {starts[2:4]}" if len(starts) >= 4 else label[:10]


# =============================================================================
# The biggest issues of a term
# =============================================================================


def with_bars(rows: list[dict[str, Any]], key: str = "logged") -> list[dict[str, Any]]:
    """Each row with `bar`: its `key` as a share (0-100) of the largest, for the bars the templates draw."""
    largest = max((row.get(key) or 0 for row in rows), default=0) or 1
    return [{**row, "bar": round(100 * (row.get(key) or 0) / largest)} for row in rows]


@dataclass
class Issue:
    reference: str
    title: str
    priority: str
    logged: date
    what: str  # "Major incident", "Resolution target missed", ...
    calls: int = 1  # the same fault logged by several callers is one issue
    last_logged: date | None = None

    @property
    def more(self) -> int:
        return self.calls - 1


def biggest_issues(school: School, period: Period, user) -> tuple[list[Issue], int]:
    """The term's major incidents and missed targets, by title (never a safeguarding or security one).

    Calls with the same title and priority are one issue (an outage logged by twelve callers is one line with
    "12 calls", not twelve lines). Major incidents first, then by priority and by how many calls. Returns the
    first ISSUES_SHOWN and how many issues there were in all: three queries.
    """
    start, end = bounds(period)
    breached: dict[int, set[str]] = {}
    events = (
        ClockEvent.objects.visible_to(user)
        .filter(school=school, level=ClockEvent.Level.BREACH, reached_at__gte=start, reached_at__lt=end)
        .values_list("incident_id", "clock")
    )
    for incident_id, clock in events:
        breached.setdefault(incident_id, set()).add(clock)
    incidents = (
        Incident.objects.visible_to(user)
        .filter(school=school, safeguarding=False, security=False)
        .filter(Q(is_major=True, created_at__gte=start, created_at__lt=end) | Q(pk__in=list(breached)))
        .only("reference", "title", "priority", "created_at", "is_major")
    )
    grouped: dict[tuple[str, int], tuple[tuple, Issue, set[str]]] = {}
    for incident in sorted(incidents, key=lambda row: row.created_at):
        what = {"Major incident"} if incident.is_major else set()
        clocks = breached.get(incident.pk, set())
        if ClockEvent.Clock.RESPONSE in clocks:
            what.add("response target missed")
        if ClockEvent.Clock.RESOLUTION in clocks:
            what.add("resolution target missed")
        logged = timezone.localdate(incident.created_at)
        key = (" ".join(incident.title.lower().split()), incident.priority)
        if key in grouped:  # the same fault logged again: one issue, more calls
            rank, issue, reasons = grouped[key]
            issue.calls += 1
            issue.last_logged = logged
            reasons |= what
            grouped[key] = ((rank[0] and not incident.is_major, rank[1], -issue.calls, rank[3]), issue, reasons)
            continue
        issue = Issue(incident.reference, incident.title, Priority(incident.priority).label, logged, "")
        grouped[key] = ((not incident.is_major, incident.priority, -1, incident.created_at), issue, what)
    issues = []
    for _rank, issue, reasons in sorted(grouped.values(), key=lambda row: row[0]):
        missed = [clock for clock in ("response", "resolution") if f"{clock} target missed" in reasons]
        words = ["Major incident"] if "Major incident" in reasons else []
        if missed:
            words.append(" and ".join(missed) + (" targets missed" if len(missed) > 1 else " target missed"))
        text = ", ".join(words)
        issue.what = text[:1].upper() + text[1:]
        issues.append(issue)
    return issues[:ISSUES_SHOWN], len(issues)


# =============================================================================
# The termly service report
# =============================================================================


@dataclass
class TermlyReport:
    school: School
    term: Period
    generated_at: datetime
    summary: dict[str, Any]
    headlines: list[Headline]
    trend: list[dict[str, Any]]
    chart: LineChart
    issues: list[Issue]
    issue_count: int
    doing: packs.SectionContent | None
    to_date: bool = False

    @property
    def tiles(self) -> list[Headline]:
        """The headline figures the page shows as tiles (all of them go to the CSV)."""
        return [h for h in self.headlines if h.key in TILES]

    @property
    def by_priority(self) -> list[dict[str, Any]]:
        return with_bars(
            [row for row in self.summary.get("by_priority") or [] if row.get("logged") or row.get("resolved")]
        )

    @property
    def by_service(self) -> list[dict[str, Any]]:
        rows = [row for row in self.summary.get("by_service") or [] if row.get("logged") or row.get("resolved")]
        return with_bars(sorted(rows, key=lambda row: -(row.get("logged") or 0)))

    @property
    def availability(self) -> list[dict[str, Any]]:
        """Each service's availability, the ones below their target first."""
        return sorted(self.summary.get("availability") or [], key=lambda row: row.get("met") is not False)

    def csv_rows(self) -> list[list[Any]]:
        """The report as rows of (section, item, value, target): the same words and numbers as the page."""
        rows: list[list[Any]] = [
            ["report", "school", self.school.name, ""],
            ["report", "term", self.term.label, ""],
            ["report", "from", self.term.starts.isoformat(), ""],
            ["report", "to", self.term.ends.isoformat(), ""],
        ]
        rows += [["headline", h.label, h.value, h.target] for h in self.headlines]
        for row in self.by_priority:
            rows.append(["by priority", row.get("label"), row.get("logged", 0), ""])
        for row in self.by_service:
            rows.append(["by service", row.get("name"), row.get("logged", 0), ""])
        for row in self.availability:
            rows.append(
                [
                    "availability",
                    row.get("name"),
                    percent(_number(row.get("availability")), 1),
                    percent(_number(row.get("target")), 1),
                ]
            )
        for row in self.trend:
            rows.append(["trend", row.get("label"), percent(_number(row.get("pct_within_sla"))), ""])
        for issue in self.issues:
            calls = f" ({issue.calls} calls)" if issue.calls > 1 else ""
            rows.append(["biggest issues", f"{issue.reference} {issue.title}{calls}", issue.what, issue.priority])
        if self.doing:
            for values in self.doing.rows:
                rows.append(["what we are doing about it", " ".join(str(v) for v in values[:2]), values[2], ""])
        return rows


def termly_report(
    school: School, term: Period, user, *, now: datetime | None = None, book: TermBook | None = None
) -> TermlyReport:
    """The one-page termly service report of `school` for `term`, as `user` may see it."""
    now = now or timezone.now()
    summary = figures.school_summary(school, term, now=now)
    book = book or TermBook(school)
    periods = book.previous_terms(TREND_TERMS, before=term.starts)
    trend = figures.school_trend(school, periods)
    target = _number((summary.get("targets") or {}).get("within_sla"))
    issues, count = biggest_issues(school, term, user)
    return TermlyReport(
        school=school,
        term=term,
        generated_at=now,
        summary=summary,
        headlines=headlines(summary),
        trend=trend,
        chart=trend_chart(trend, target),
        issues=issues,
        issue_count=count,
        doing=packs.section_content("problems", school, term, user),
        to_date=term.ends >= today(),
    )


# =============================================================================
# The consultancy-day pack
# =============================================================================


@dataclass
class ConsultancyPack:
    school: School
    period: Period
    generated_at: datetime
    sections: list[packs.RenderedSection] = field(default_factory=list)

    def csv_rows(self) -> list[list[Any]]:
        """Each section's table under its title: (section, then its columns)."""
        rows: list[list[Any]] = [
            ["pack", "school", self.school.name],
            ["pack", "period", self.period.label],
        ]
        for section in self.sections:
            content = section.content
            if not content.rows:
                rows.append([section.title, content.empty])
                continue
            rows.append([section.title, *content.columns])
            rows += [[section.title, *values] for values in content.rows]
        return rows


def _service_levels_section(now: datetime, book: TermBook | None):
    def provider(school: School, period: Period, user) -> packs.SectionContent:
        summary = figures.school_summary(school, period, now=now)
        periods = (book or TermBook(school)).previous_terms(TREND_TERMS, before=period.ends)
        trend = figures.school_trend(school, periods)
        target = _number((summary.get("targets") or {}).get("within_sla"))
        lines = headlines(summary)
        return packs.SectionContent(
            columns=["Figure", "This period", "Target"],
            rows=[[h.label, h.value, h.target] for h in lines],
            template="servicelevels/pack_service_levels.html",
            extra={"headlines": lines, "chart": trend_chart(trend, target), "summary": summary, "trend": trend},
        )

    return provider


def _reviews_section(now: datetime):
    def provider(school: School, period: Period, user) -> packs.SectionContent:
        today = timezone.localdate(now)
        horizon = today + timedelta(days=REVIEW_HORIZON_DAYS)
        agreements = (
            Agreement.objects.visible_to(user)
            .filter(school=school, review_date__lte=horizon)
            .exclude(status=Agreement.Status.RETIRED)
            .order_by("review_date", "name")
        )
        subscriptions = (
            Subscription.objects.visible_to(user)
            .filter(school=school, ends__gte=today)
            .filter(Q(review_date__lte=horizon) | Q(ends__lte=horizon))
            .select_related("package")
            .order_by("review_date")
        )
        rows = [
            [a.get_kind_display(), a.name, a.review_date, a.get_status_display(), _due(a.review_date, today)]
            for a in agreements
        ]
        rows += [
            [
                "Traded services",
                f"{s.package.name} (ends {s.ends:%-d %b %Y})",
                s.review_date,
                "Subscribed",
                _due(s.review_date, today),
            ]
            for s in subscriptions
        ]
        rows.sort(key=lambda values: values[2])
        return packs.SectionContent(
            columns=["Kind", "Agreement", "Review by", "Status", "When"],
            rows=rows,
            empty=f"Nothing is due for review before {horizon:%-d %B %Y}.",
        )

    return provider


def _due(day: date, today: date) -> str:
    days = (day - today).days
    if days < 0:
        return f"Overdue by {-days} day{'s' if days != -1 else ''}"
    if days == 0:
        return "Today"
    return f"In {days} day{'s' if days != 1 else ''}"


def _actions_section(rendered: list[packs.RenderedSection]) -> packs.SectionContent:
    """Points to agree actions on, drawn from the other sections: targets missed, reviews overdue, open problems."""
    rows: list[list[Any]] = []
    by_key = {section.key: section for section in rendered}
    service_levels = by_key.get("service_levels")
    if service_levels:
        for line in service_levels.content.extra.get("headlines", []):
            if line.met is False:
                rows.append([f"{line.label}: {line.value} against a target of {line.target}.", "", ""])
        for row in service_levels.content.extra.get("summary", {}).get("availability") or []:
            if row.get("met") is False:
                rows.append(
                    [
                        f"{row.get('name')}: available {percent(_number(row.get('availability')), 1)} "
                        f"against {percent(_number(row.get('target')), 1)}.",
                        "",
                        "",
                    ]
                )
    reviews = by_key.get("reviews")
    if reviews:
        for values in reviews.content.rows:
            if str(values[4]).startswith("Overdue"):
                rows.append([f"Review {values[1]} ({values[0].lower()}): {values[4].lower()}.", "", ""])
    problems = by_key.get("problems")
    if problems and problems.content.rows:
        n = len(problems.content.rows)
        rows.append([f"Agree the next step on {n} open problem{'s' if n != 1 else ''}.", "", ""])
    return packs.SectionContent(
        columns=["Point to agree an action on", "Who", "By when"],
        rows=rows,
        empty="Nothing stands out: agree any actions on the day.",
        note="Write the actions agreed on the day in the spaces; they start the next visit's agenda.",
    )


def consultancy_pack(
    school: School, period: Period, user, *, now: datetime | None = None, book: TermBook | None = None
) -> ConsultancyPack:
    """The consultancy-day pack of `school`: the common agenda, each section as `user` may see it."""
    now = now or timezone.now()
    builtin = {"service_levels": _service_levels_section(now, book), "reviews": _reviews_section(now)}
    rendered = packs.build_sections(school, period, user, builtin)
    for section in rendered:
        if section.key == "actions":
            section.content = _actions_section(rendered)
            section.in_use = True
    return ConsultancyPack(school=school, period=period, generated_at=now, sections=rendered)


# =============================================================================
# PDF
# =============================================================================

PDF_BASE_URL = "https://fits.invalid/"
REPORT_CSS = "fits/css/report.css"


def _static_response(url: str):
    """The site's static file at `url`, read from disk (reports never go to the network)."""
    from weasyprint.urls import URLFetcherResponse

    path = urlsplit(url).path
    if url.startswith(PDF_BASE_URL) and path.startswith(settings.STATIC_URL):
        found = finders.find(path.removeprefix(settings.STATIC_URL))
        if found:
            mime = mimetypes.guess_type(found)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body=Path(found).read_bytes(), headers={"Content-Type": mime})
    raise ValueError(f"A report fetches only the site's own static files, not {url}")


def render_pdf(html: str, stylesheet: str = REPORT_CSS) -> bytes:
    """An HTML report (rendered from a template) as PDF bytes, styled by the site's static `stylesheet`.

    The stylesheet is read from disk and any other /static/ link is served from disk too: rendering
    never touches the network.
    """
    from weasyprint import CSS, HTML
    from weasyprint.urls import URLFetcher

    class StaticFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            return _static_response(url)

    fetcher = StaticFetcher()
    css = CSS(filename=finders.find(stylesheet), url_fetcher=fetcher)
    return HTML(string=html, base_url=PDF_BASE_URL, url_fetcher=fetcher).write_pdf(stylesheets=[css])
