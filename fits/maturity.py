"""The contract of the FITS maturity assessment's plug-in point: what a process or function says about a criterion.

Apps depend downward (tests/test_architecture.py): a process may use `fits` but not the core's `fits.assessment`
sub-app, so the small dataclass providers return, and their helpers, live here; fits/assessment/evidence.py finds the
providers (each app's `maturity_evidence` on its AppConfig) and compares their evidence with the school's answers.
A provider is `provider(school, *, today) -> Evidence`, computed from the school's live data in a few queries.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

MET, PARTLY, NOT_MET, UNKNOWN = "met", "partly", "not_met", "unknown"
STATES = {MET: "Met", PARTLY: "Partly met", NOT_MET: "Not met", UNKNOWN: "No data"}


@dataclass(frozen=True)
class Evidence:
    """What the product's own records say about one criterion at one school."""

    state: str  # met, partly, not_met or unknown
    summary: str  # one sentence with the figures: "3 of 4 backup jobs reported in the last 2 days."
    url: str | None = None  # where to see the records

    def __post_init__(self) -> None:
        if self.state not in STATES:
            raise ValueError(f"Evidence state {self.state!r} is not one of {sorted(STATES)}")

    @property
    def label(self) -> str:
        return STATES[self.state]


def start_of(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of `day`, in the site's time zone (for comparing timestamps with `today`)."""
    from django.utils import timezone

    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def by_share(part: int, whole: int, *, met: float, partly: float) -> str:
    """MET when `part` is at least `met` of `whole`, PARTLY from `partly`, else NOT_MET (UNKNOWN when whole is 0)."""
    if not whole:
        return UNKNOWN
    share = part / whole
    return MET if share >= met else PARTLY if share >= partly else NOT_MET


def url(name: str, *args) -> str | None:
    """The page to see the records on, if it is routed."""
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None
