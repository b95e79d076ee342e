"""Systems Administration's evidence for the FITS maturity assessment (fits.assessment.evidence)."""

from __future__ import annotations

import datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, F, Q

from availability.models import MaintenanceSchedule
from fits.maturity import NOT_MET, UNKNOWN, Evidence, by_share, url
from incidents.models import Task, TaskStatus
from om.sysadmin.services import routine_schedules

WINDOW_DAYS = 90


def routines_on_time(school, *, today: datetime.date) -> Evidence:
    """Routine operations due in the last 90 days that were done by their due date."""
    schedules = routine_schedules(school.pk)
    if not schedules.exists():
        return Evidence(NOT_MET, "No routine operation is scheduled.", url("sysadmin:routines"))
    tasks = Task.objects.filter(
        school=school,
        source_type=ContentType.objects.get_for_model(MaintenanceSchedule),
        source_id__in=schedules.values("pk"),
        due_on__gte=today - datetime.timedelta(days=WINDOW_DAYS),
        due_on__lte=today,
    ).exclude(status=TaskStatus.CANCELLED)
    counts = tasks.aggregate(
        total=Count("pk"), on_time=Count("pk", filter=Q(status=TaskStatus.DONE, completed_at__date__lte=F("due_on")))
    )
    total, on_time = counts["total"], counts["on_time"]
    if not total:
        return Evidence(UNKNOWN, "No routine operation fell due in the last 90 days.", url("sysadmin:routines"))
    return Evidence(
        by_share(on_time, total, met=0.9, partly=0.6),
        f"{on_time} of {total} routine operations due in the last {WINDOW_DAYS} days were done on time.",
        url("sysadmin:routines"),
    )
