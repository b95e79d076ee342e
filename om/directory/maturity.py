"""Directory Services Administration's evidence for the FITS maturity assessment (fits.assessment.evidence)."""

from __future__ import annotations

import datetime

from fits.maturity import MET, NOT_MET, PARTLY, Evidence, start_of, url
from om.directory.models import SyncRun


def sync_running(school, *, today: datetime.date) -> Evidence:
    """The directory synchronised successfully in the last 2 days."""
    last = SyncRun.objects.filter(school=school).order_by("-started_at").first()
    if last is None:
        return Evidence(NOT_MET, "The directory has never been synchronised.", url("directory:overview"))
    ok = SyncRun.objects.filter(school=school, status=SyncRun.Status.SUCCEEDED).order_by("-started_at").first()
    recent = ok is not None and ok.started_at >= start_of(today - datetime.timedelta(days=2))
    if recent and last.status != SyncRun.Status.FAILED:
        return Evidence(MET, f"Last successful sync {ok.started_at:%d %b %Y %H:%M}.", url("directory:run_list"))
    if ok is not None:
        return Evidence(
            PARTLY,
            f"Last successful sync {ok.started_at:%d %b %Y}; the latest run {last.get_status_display().lower()}.",
            url("directory:run_list"),
        )
    return Evidence(NOT_MET, "No directory sync has succeeded yet.", url("directory:run_list"))
