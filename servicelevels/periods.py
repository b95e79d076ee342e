"""Terms and school years as date ranges: the periods dashboards and termly reports speak in.

A school's terms come from its calendar (servicelevels.calendars): the TermDate rows of its own calendar, else
its authority's. Half-terms named "Autumn 1" / "Autumn 2" fold into one term ("Autumn term"), running from the
first half-term's first day to the last one's last day, so the half-term break belongs to its term. A school
year with no term dates known falls back to fixed terms: Autumn 1 Sep - 31 Dec, Spring 1 Jan - 31 Mar,
Summer 1 Apr - 31 Jul; August belongs to no term (the "Summer holiday"). Days between known terms (Christmas,
Easter) make a holiday period of their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import models

from fits.models import Authority, School
from servicelevels.calendars import school_year_of
from servicelevels.models import Calendar, TermDate

SEASONS = ("Autumn", "Spring", "Summer")


@dataclass(frozen=True)
class Period:
    """A span of days, both ends inclusive, with the words for it ("Autumn term 2026-27")."""

    key: str  # stable id for URLs and file names: "2026-27-autumn", "2026-27", "2026-09-01..2026-10-01"
    label: str
    starts: date
    ends: date
    kind: str = "term"  # term, holiday, year, custom

    @property
    def days(self) -> int:
        return (self.ends - self.starts).days + 1

    @property
    def school_year(self) -> str:
        return school_year_of(self.starts)

    def contains(self, day: date) -> bool:
        return self.starts <= day <= self.ends

    def as_dict(self) -> dict[str, str]:
        return {
            "key": self.key,
            "label": self.label,
            "starts": self.starts.isoformat(),
            "ends": self.ends.isoformat(),
            "kind": self.kind,
        }


def _year_start(school_year: str) -> int:
    return int(school_year.split("-")[0])


def _season(name: str) -> str:
    """ "Autumn 1" -> "Autumn"; "Spring term (2nd half)" -> "Spring"; anything else keeps its own name."""
    for season in SEASONS:
        if name.strip().lower().startswith(season.lower()):
            return season
    return re.sub(r"\s*\d+$", "", name.strip()) or name


def fixed_terms(school_year: str) -> list[Period]:
    """The fallback terms when no term dates are known."""
    first = _year_start(school_year)
    spans = [
        ("Autumn", date(first, 9, 1), date(first, 12, 31)),
        ("Spring", date(first + 1, 1, 1), date(first + 1, 3, 31)),
        ("Summer", date(first + 1, 4, 1), date(first + 1, 7, 31)),
    ]
    return [
        Period(f"{school_year}-{name.lower()}", f"{name} term {school_year}", starts, ends)
        for name, starts, ends in spans
    ]


def _calendar_ids(owner: School | Authority | None) -> list[int]:
    """The calendars whose term dates apply, most specific first (one query)."""
    if owner is None:
        return []
    if isinstance(owner, Authority):
        query = models.Q(school__isnull=True, authority_id=owner.pk)
    elif owner.authority_id:
        query = models.Q(school=owner) | models.Q(school__isnull=True, authority_id=owner.authority_id)
    else:
        query = models.Q(school=owner)
    rows = Calendar.objects.filter(query).values_list("pk", "school_id")
    return [pk for pk, school_id in sorted(rows, key=lambda row: row[1] is None)]


class TermBook:
    """All the terms known for a school (or an authority), loaded once: two queries, then pure arithmetic."""

    def __init__(self, owner: School | Authority | None) -> None:
        ids = _calendar_ids(owner)
        fields = ("calendar_id", "school_year", "name", "starts", "ends")
        rows = list(TermDate.objects.filter(calendar_id__in=ids).values_list(*fields)) if ids else []
        owner_id = next((pk for pk in ids if any(row[0] == pk for row in rows)), None)
        spans: dict[tuple[str, str], list[date]] = {}
        for calendar_id, school_year, name, starts, ends in rows:
            if calendar_id != owner_id:
                continue
            key = (school_year, _season(name))
            span = spans.setdefault(key, [starts, ends])
            span[0], span[1] = min(span[0], starts), max(span[1], ends)
        self.known: dict[str, list[Period]] = {}
        for (school_year, season), (starts, ends) in spans.items():
            slug = re.sub(r"[^a-z0-9]+", "-", season.lower()).strip("-")
            label = f"{season} term {school_year}" if season in SEASONS else f"{season} {school_year}"
            self.known.setdefault(school_year, []).append(Period(f"{school_year}-{slug}", label, starts, ends))
        for terms in self.known.values():
            terms.sort(key=lambda period: period.starts)

    def terms_of_year(self, school_year: str) -> list[Period]:
        return list(self.known.get(school_year) or fixed_terms(school_year))

    def _around(self, day: date) -> list[Period]:
        year = school_year_of(day)
        first = _year_start(year)
        previous, following = f"{first - 1}-{first % 100:02d}", f"{first + 1}-{(first + 2) % 100:02d}"
        return [*self.terms_of_year(previous), *self.terms_of_year(year), *self.terms_of_year(following)]

    def term_containing(self, day: date) -> Period:
        """The term `day` falls in, else the holiday between two terms ("Summer holiday" in August)."""
        terms = self._around(day)
        for term in terms:
            if term.contains(day):
                return term
        before = max((t for t in terms if t.ends < day), key=lambda t: t.ends)
        after = min((t for t in terms if t.starts > day), key=lambda t: t.starts)
        name = {"Autumn": "Christmas holiday", "Spring": "Easter holiday", "Summer": "Summer holiday"}.get(
            before.label.split(" ")[0], "Holiday"
        )
        starts, ends = before.ends + timedelta(days=1), after.starts - timedelta(days=1)
        year = school_year_of(before.starts)
        return Period(f"{year}-holiday-{starts:%m%d}", f"{name} {year}", starts, ends, kind="holiday")

    def current_term(self, day: date) -> Period:
        """The term of `day`; in a holiday, the term just ended (what "this term" means then)."""
        found = self.term_containing(day)
        return found if found.kind == "term" else self.previous_terms(1, before=day)[0]

    def previous_terms(self, n: int, *, before: date) -> list[Period]:
        """The `n` terms that started on or before `before`, oldest first (the one containing it included)."""
        first = _year_start(school_year_of(before))
        terms = [
            term
            for start in range(first - n // 3 - 2, first + 1)
            for term in self.terms_of_year(f"{start}-{(start + 1) % 100:02d}")
            if term.starts <= before
        ]
        terms.sort(key=lambda t: t.starts)
        return terms[-n:]

    def school_year(self, school_year: str) -> Period:
        """The whole school year, 1 August to 31 July."""
        first = _year_start(school_year)
        return Period(school_year, f"School year {school_year}", date(first, 8, 1), date(first + 1, 7, 31), "year")


# --- The functions the dashboards and reports call -------------------------------------------------------


def term_containing(school: School | Authority | None, day: date) -> Period:
    return TermBook(school).term_containing(day)


def terms_of_year(school: School | Authority | None, school_year: str) -> list[Period]:
    return TermBook(school).terms_of_year(school_year)


def previous_terms(school: School | Authority | None, n: int, *, before: date) -> list[Period]:
    return TermBook(school).previous_terms(n, before=before)


def custom(starts: date, ends: date) -> Period:
    if ends < starts:
        starts, ends = ends, starts
    return Period(
        f"{starts.isoformat()}..{ends.isoformat()}", f"{starts:%-d %b %Y} – {ends:%-d %b %Y}", starts, ends, "custom"
    )


CHOICES = (
    ("this-term", "This term"),
    ("last-term", "Last term"),
    ("this-year", "This school year"),
    ("custom", "Custom"),
)


def resolve(
    owner: School | Authority | None, choice: str, *, today: date, starts: date | None = None, ends: date | None = None
) -> Period:
    """The period a picker choice means at `owner` on `today` (unknown choices: this term)."""
    book = TermBook(owner)
    if choice == "custom" and starts and ends:
        return custom(starts, ends)
    if choice == "last-term":
        current = book.current_term(today)
        return book.previous_terms(1, before=current.starts - timedelta(days=1))[0]
    if choice == "this-year":
        return book.school_year(school_year_of(today))
    if choice and choice not in dict(CHOICES):  # a term key, e.g. "2026-27-autumn" (termly reports)
        year = choice[:7]
        if re.fullmatch(r"\d{4}-\d{2}", year):
            for term in book.terms_of_year(year):
                if term.key == choice:
                    return term
            if choice == year:
                return book.school_year(year)
    return book.current_term(today)
