"""Incident Management's evidence for the FITS maturity assessment (fits.assessment.evidence)."""

from __future__ import annotations

import datetime

from django.db.models import Count, Q

from fits.maturity import UNKNOWN, Evidence, by_share, start_of, url
from incidents.models import Incident, TicketKind


def priority_and_category(school, *, today: datetime.date) -> Evidence:
    """Incidents of the last 90 days logged with a category (every incident has a priority from impact x urgency)."""
    counts = Incident.objects.filter(
        school=school, kind=TicketKind.INCIDENT, created_at__gte=start_of(today - datetime.timedelta(days=90))
    ).aggregate(total=Count("pk"), categorised=Count("pk", filter=Q(category__isnull=False)))
    total, categorised = counts["total"], counts["categorised"]
    if not total:
        return Evidence(UNKNOWN, "No incident was logged in the last 90 days.", url("incidents:list"))
    state = by_share(categorised, total, met=0.9, partly=0.5)
    return Evidence(
        state,
        f"{categorised} of {total} incidents of the last 90 days have a category "
        f"({round(100 * categorised / total)} %); all have a priority.",
        url("incidents:list"),
    )
