"""Service Level Management's evidence for the FITS maturity assessment (fits.assessment.evidence)."""

from __future__ import annotations

import datetime

from fits.maturity import MET, NOT_MET, PARTLY, Evidence, start_of, url
from incidents.models import Incident
from servicelevels.models import Agreement


def sla_measured(school, *, today: datetime.date) -> Evidence:
    """An SLA is agreed and in force, and tickets of the last 90 days were measured against it."""
    agreed = Agreement.objects.filter(
        school=school, kind=Agreement.Kind.SLA, status=Agreement.Status.AGREED, starts__lte=today
    ).exclude(ends__lt=today)
    names = list(agreed.values_list("name", flat=True)[:3])
    if not names:
        drafts = Agreement.objects.filter(school=school, kind=Agreement.Kind.SLA, status=Agreement.Status.DRAFT)
        if drafts.exists():
            return Evidence(
                PARTLY, "An SLA is drafted but not yet agreed with its users.", url("servicelevels:agreement_list")
            )
        return Evidence(NOT_MET, "No service level agreement is recorded.", url("servicelevels:agreement_list"))
    measured = Incident.objects.filter(
        school=school, created_at__gte=start_of(today - datetime.timedelta(days=90)), agreement__isnull=False
    ).count()
    if not measured:
        return Evidence(
            PARTLY,
            f"SLA agreed ({', '.join(names)}), but no ticket of the last 90 days was measured against it.",
            url("servicelevels:agreement_list"),
        )
    return Evidence(
        MET,
        f"SLA agreed ({', '.join(names)}); {measured} tickets of the last 90 days measured against its targets.",
        url("servicelevels:agreement_list"),
    )
