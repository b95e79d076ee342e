"""Configuration Management's evidence for the FITS maturity assessment (fits.assessment.evidence)."""

from __future__ import annotations

import datetime

from django.db.models import Count, Q

from cmdb.models import ConfigurationItem, Kind, LifecycleStatus
from fits.maturity import NOT_MET, Evidence, by_share, start_of, url

AUDITED_KINDS = (Kind.DESKTOP, Kind.LAPTOP, Kind.SERVER)
FRESH_DAYS = 14


def agents_reporting(school, *, today: datetime.date) -> Evidence:
    """The CMDB is audited continuously: live computers whose inventory agent reported in the last 14 days."""
    since = start_of(today - datetime.timedelta(days=FRESH_DAYS))
    counts = ConfigurationItem.objects.filter(
        school=school, kind__in=AUDITED_KINDS, status=LifecycleStatus.LIVE
    ).aggregate(total=Count("pk"), fresh=Count("pk", filter=Q(last_inventory_at__gte=since)))
    total, fresh = counts["total"], counts["fresh"]
    if not total:
        return Evidence(NOT_MET, "No live computer is recorded in the CMDB.", url("cmdb:ci_list"))
    return Evidence(
        by_share(fresh, total, met=0.8, partly=0.3),
        f"{fresh} of {total} live computers had their inventory reported by an agent in the last {FRESH_DAYS} days.",
        url("inventory:submission_list"),
    )
