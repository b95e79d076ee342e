"""Availability and Capacity Management's evidence for the FITS maturity assessment (fits.assessment.evidence)."""

from __future__ import annotations

import datetime

from availability.models import Check
from cmdb.models import ConfigurationItem, Kind, LifecycleStatus
from fits.maturity import NOT_MET, Evidence, by_share, url

MONITORED_KINDS = (Kind.SERVER, Kind.STORAGE, Kind.SWITCH, Kind.ROUTER, Kind.FIREWALL)


def checks_active(school, *, today: datetime.date) -> Evidence:
    """Live servers, storage and network devices with at least one active monitoring check."""
    devices = ConfigurationItem.objects.filter(school=school, kind__in=MONITORED_KINDS, status=LifecycleStatus.LIVE)
    total = devices.count()
    watched = devices.filter(checks__status=Check.Status.ACTIVE).distinct().count()
    if not total:
        return Evidence(
            NOT_MET, "No live server or network device is recorded in the CMDB.", url("availability:overview")
        )
    return Evidence(
        by_share(watched, total, met=0.9, partly=0.4),
        f"{watched} of {total} live servers and network devices have an active monitoring check.",
        url("availability:overview"),
    )
