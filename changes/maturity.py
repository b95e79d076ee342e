"""Change Management's evidence for the FITS maturity assessment (fits.assessment.evidence)."""

from __future__ import annotations

import datetime

from django.db.models import Count, F, Q

from changes.models import ChangeKind, RequestForChange
from fits.maturity import UNKNOWN, Evidence, by_share, start_of, url


def approved_before_implementation(school, *, today: datetime.date) -> Evidence:
    """Of the changes started in the last 12 months, the share approved before work started (a standard change is
    pre-approved by its template)."""
    counts = RequestForChange.objects.filter(
        school=school, actual_start__isnull=False, actual_start__gte=start_of(today - datetime.timedelta(days=365))
    ).aggregate(
        total=Count("pk"),
        approved=Count("pk", filter=Q(kind=ChangeKind.STANDARD) | Q(approved_at__lte=F("actual_start"))),
    )
    total, approved = counts["total"], counts["approved"]
    if not total:
        return Evidence(UNKNOWN, "No change was implemented in the last 12 months.", url("changes:list"))
    return Evidence(
        by_share(approved, total, met=0.9, partly=0.6),
        f"{approved} of {total} changes implemented in the last 12 months were approved before work "
        f"started ({round(100 * approved / total)} %).",
        url("changes:list"),
    )
