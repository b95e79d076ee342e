"""Shared fixtures of the Storage Management tests: highfield's servers, a share, backup jobs, and the e-mail
fixtures under mail/ moved to a date of the test's choosing (reports from the future are refused)."""

from __future__ import annotations

from datetime import date, time, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from cmdb.services import ci_create
from om.storage import services

MAIL = Path(__file__).parent / "mail"
# The day each fixture was written on (its dates are moved from it).
WRITTEN = {
    "veeam_failed": date(2026, 11, 24),
    "veeam_success": date(2026, 11, 25),
    "wsb_failed": date(2026, 11, 24),
    "wsb_success": date(2026, 11, 25),
    "hyper_backup_partial": date(2026, 11, 21),
    "not_a_report": date(2026, 11, 24),
}
FORMATS = ("%a, %d %b %Y", "%A, %d %B %Y", "%d/%m/%Y", "%Y/%m/%d", "%Y-%m-%d")


def eml(name: str, day: date | None = None) -> bytes:
    """The fixture `name` as if sent on `day` (default: yesterday)."""
    day = day or timezone.localdate() - timedelta(days=1)
    text = (MAIL / f"{name}.eml").read_text()
    for fmt in FORMATS:
        text = text.replace(WRITTEN[name].strftime(fmt), day.strftime(fmt))
    return text.encode()


@pytest.fixture
def server(highfield, tech):
    return ci_create(school=highfield, actor=tech, kind="server", name="HF-SRV-01")


@pytest.fixture
def share(highfield, tech, server):
    return services.share_save(actor=tech, school=highfield, server=server, name="Staff$", path="D:\\Shares\\Staff",
                               used_by="All staff", data_class="staff")  # fmt: skip


@pytest.fixture
def nightly(highfield, tech, server, share):
    """Veeam, weekdays at 22:00, 30 days kept, recorded a month ago."""
    from om.storage.models import BackupJob

    job = services.backup_job_save(actor=tech, school=highfield, name="HF-SRV-01 Nightly", software="veeam",
                                   cis=[server], shares=[share], destination="HF-SRV-02 E:\\Backups",
                                   schedule="weekdays", run_at=time(22, 0), grace_hours=4,
                                   retention_days=30)  # fmt: skip
    BackupJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(days=30))
    job.refresh_from_db()
    return job


@pytest.fixture
def wsb(highfield, tech):
    from om.storage.models import BackupJob

    job = services.backup_job_save(actor=tech, school=highfield, name="HF-SRV-02", software="wsb",
                                   destination="USB disk", schedule="daily", run_at=time(20, 0), grace_hours=3,
                                   retention_days=14)  # fmt: skip
    BackupJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(days=30))
    job.refresh_from_db()
    return job
