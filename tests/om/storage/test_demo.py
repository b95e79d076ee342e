"""The demo's storage: jobs with a history, one failed with its incident, one missed, a restore request with its
target, a restore test this term and jobs without; and seeding again adds nothing."""

from __future__ import annotations

import pytest

from om.storage.demo import seed_storage
from om.storage.models import BackupJob, BackupReport, RestoreRequest, RestoreTest, Share


@pytest.mark.django_db
def test_the_demo(seeded_demo):
    assert "Storage management: 4 shares, 3 backup jobs" in seeded_demo
    jobs = {job.name: job for job in BackupJob.objects.select_related("incident")}
    assert jobs["HF-SRV-01 Nightly"].alert == "failed" and jobs["HF-SRV-01 Nightly"].incident.is_open
    assert jobs["HF-SRV-02"].alert == "missed" and jobs["HF-SRV-02"].incident.title == "Backup missed: HF-SRV-02"
    assert jobs["HF-SRV-01 Nightly"].results.count() >= 5
    assert BackupReport.objects.filter(outcome="rejected").exists()
    restore = RestoreRequest.objects.get()
    assert restore.ticket and restore.target_at and "we aim to restore within 1 school day" in restore.expectation
    assert RestoreTest.objects.filter(job=jobs["HF-SRV-01 Nightly"]).exists()
    assert Share.objects.count() == 4
    from fits.models import School, User

    schools = {s.slug: s for s in School.objects.all()}
    people = {u.username: u for u in User.objects.filter(username__in=["tech", "netmgr", "staff", "desk"])}
    assert seed_storage(schools, people) == {}
