"""Security Administration's evidence for the FITS maturity assessment (fits.assessment.evidence)."""

from __future__ import annotations

import datetime

from django.db.models import Count, Q

from fits.maturity import NOT_MET, Evidence, by_share, url
from om.security.models import FirewallRule


def firewall_reviewed(school, *, today: datetime.date) -> Evidence:
    """Active firewall and filtering rules that are not past their review date."""
    counts = FirewallRule.objects.filter(school=school, is_active=True).aggregate(
        total=Count("pk"), current=Count("pk", filter=Q(review_due__gte=today))
    )
    total, current = counts["total"], counts["current"]
    if not total:
        return Evidence(
            NOT_MET, "No firewall or filtering rule is recorded in the register.", url("security:rule_list")
        )
    return Evidence(
        by_share(current, total, met=1.0, partly=0.5),
        f"{current} of {total} firewall and filtering rules are within their review date ({total - current} overdue).",
        url("security:rule_list"),
    )
