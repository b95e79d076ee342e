"""Service Continuity Management's evidence for the FITS maturity assessment (fits.assessment.evidence)."""

from __future__ import annotations

import datetime

from continuity.models import ContinuityPlan, ContinuityTest, PlanStatus
from fits.maturity import NOT_MET, Evidence, by_share, url


def plans_tested(school, *, today: datetime.date) -> Evidence:
    """Approved recovery plans rehearsed (a walk-through or a live test) in the last year."""
    plans = ContinuityPlan.objects.filter(school=school, status=PlanStatus.APPROVED)
    total = plans.count()
    if not total:
        return Evidence(NOT_MET, "No approved recovery plan is recorded.", url("continuity:plan_list"))
    since = today - datetime.timedelta(days=365)
    tested = (
        ContinuityTest.objects.filter(plan__in=plans, tested_on__gte=since, tested_on__lte=today)
        .values("plan")
        .distinct()
        .count()
    )
    return Evidence(
        by_share(tested, total, met=1.0, partly=0.01),
        f"{tested} of {total} approved recovery plans were tested in the last 12 months.",
        url("continuity:test_list"),
    )
