"""Storage Management's evidence for the FITS maturity assessment (fits.assessment.evidence)."""

from __future__ import annotations

import datetime

from django.db.models import Count, Q

from fits.maturity import NOT_MET, UNKNOWN, Evidence, by_share, start_of, url
from om.storage.models import BackupJob, JobAlert, RestoreTest

REPORTING_DAYS = 7


def restores_tested(school, *, today: datetime.date) -> Evidence:
    """Active backup jobs with a successful restore test this term (or the term just ended, in a holiday)."""
    from servicelevels.periods import TermBook

    jobs = list(BackupJob.objects.filter(school=school, is_active=True).values_list("pk", flat=True))
    if not jobs:
        return Evidence(NOT_MET, "No backup job is recorded.", url("storage:job_list"))
    term = TermBook(school).current_term(today)
    tested = (
        RestoreTest.objects.filter(job_id__in=jobs, term_key=term.key, succeeded=True).values("job").distinct().count()
    )
    return Evidence(
        by_share(tested, len(jobs), met=1.0, partly=0.01),
        f"{tested} of {len(jobs)} backup jobs had a successful restore test in {term.label}.",
        url("storage:test_list"),
    )


def backups_reporting(school, *, today: datetime.date) -> Evidence:
    """Active backup jobs whose last result arrived in the last 7 days, with no failed or missed run open."""
    since = start_of(today - datetime.timedelta(days=REPORTING_DAYS))
    counts = BackupJob.objects.filter(school=school, is_active=True).aggregate(
        total=Count("pk"),
        reporting=Count("pk", filter=Q(last_result__finished_at__gte=since, alert=JobAlert.NONE)),
    )
    total, reporting = counts["total"], counts["reporting"]
    if not total:
        return Evidence(UNKNOWN, "No backup job is recorded.", url("storage:job_list"))
    return Evidence(
        by_share(reporting, total, met=1.0, partly=0.5),
        f"{reporting} of {total} backup jobs reported a result in the last {REPORTING_DAYS} days with no "
        "failed or missed run open.",
        url("storage:job_list"),
    )
