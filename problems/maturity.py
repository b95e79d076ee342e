"""Problem Management's evidence for the FITS maturity assessment (fits.assessment.evidence)."""

from __future__ import annotations

import datetime

from django.db.models import Count, Q

from fits.maturity import NOT_MET, Evidence, by_share, start_of, url
from problems.models import Problem


def linked_to_incidents(school, *, today: datetime.date) -> Evidence:
    """Problems of the last 12 months in the problem log, linked to the incidents that raised them."""
    counts = Problem.objects.filter(
        school=school, created_at__gte=start_of(today - datetime.timedelta(days=365))
    ).aggregate(total=Count("pk", distinct=True), linked=Count("pk", distinct=True, filter=Q(incidents__isnull=False)))
    total, linked = counts["total"], counts["linked"]
    if not total:
        return Evidence(NOT_MET, "No problem was recorded in the last 12 months.", url("problems:list"))
    return Evidence(
        by_share(linked, total, met=0.75, partly=0.25),
        f"{linked} of {total} problems of the last 12 months are linked to incidents.",
        url("problems:list"),
    )
