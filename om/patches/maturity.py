"""Patch Management's evidence for the FITS maturity assessment (fits.assessment.evidence)."""

from __future__ import annotations

import datetime

from django.db.models import Count, Q

from fits.maturity import UNKNOWN, Evidence, by_share, url
from om.patches.models import ComplianceState, State

THRESHOLD = 0.9  # compliant share of (computer, approved update) pairs for "met"


def compliance(school, *, today: datetime.date) -> Evidence:
    """The share of (computer, approved update) pairs found compliant by the last compliance run."""
    counts = ComplianceState.objects.filter(school=school).aggregate(
        total=Count("pk"),
        compliant=Count("pk", filter=Q(state=State.COMPLIANT)),
        overdue=Count("pk", filter=Q(state=State.OVERDUE)),
    )
    total, compliant = counts["total"], counts["compliant"]
    if not total:
        return Evidence(
            UNKNOWN, "No update is approved for any computer yet: compliance is not measured.", url("patches:dashboard")
        )
    return Evidence(
        by_share(compliant, total, met=THRESHOLD, partly=0.7),
        f"{round(100 * compliant / total)} % compliant ({compliant} of {total} computer-update pairs; "
        f"{counts['overdue']} overdue); the threshold is {round(100 * THRESHOLD)} %.",
        url("patches:dashboard"),
    )
