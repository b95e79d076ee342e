"""The Storage Management pages: support staff read them (others get 404, as if they were not there), technicians
and the network manager act on them; volumes come from capacity monitoring, soonest full first."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from availability.models import Metric, MetricKind, MetricRollup, Period
from om.storage import services
from om.storage.models import BackupJob, BackupReport, RestoreTest, Share
from tests.om.storage.conftest import eml

pytestmark = pytest.mark.django_db
GIB = 1024**3


def disk(server, key, percent, growth_per_day):
    """A disk series with 10 days of daily rollups growing `growth_per_day` points a day."""
    metric = Metric.objects.create(school_id=server.school_id, ci=server, kind=MetricKind.DISK, key=key,
                                   label=f"Disk {key}", unit="B", capacity=1000 * GIB, last_percent=percent,
                                   last_value=percent * 10 * GIB, last_at=timezone.now())  # fmt: skip
    today = timezone.localdate()
    for back in range(10, 0, -1):
        starts = timezone.make_aware(
            timezone.datetime.combine(today - timedelta(days=back), timezone.datetime.min.time())
        )
        value = percent - back * growth_per_day
        MetricRollup.objects.create(school_id=server.school_id, metric=metric, period=Period.DAY, starts_at=starts,
                                    samples=24, avg=value, min=value, max=value, percent_avg=value,
                                    percent_max=value)  # fmt: skip
    return metric


def test_volumes_are_listed_soonest_full_first(server, tech, client_for):
    disk(server, "disk:C:", 50.0, 0.0)
    disk(server, "disk:D:", 80.0, 0.5)
    disk(server, "disk:E:", 60.0, 2.0)
    content = client_for(tech).get(reverse("storage:overview")).content.decode()
    assert content.index("Disk disk:E:") < content.index("Disk disk:D:") < content.index("Disk disk:C:")
    assert "Not filling up" in content and "Full in about" in content


def test_ict_users_find_no_storage_pages(staff, client_for):
    client = client_for(staff)
    for name in ("storage:overview", "storage:job_list", "storage:restore_list", "storage:test_list"):
        assert client.get(reverse(name)).status_code == 404


def test_a_technician_records_a_job_and_a_result_through_the_pages(highfield, server, share, tech, client_for):
    client = client_for(tech)
    response = client.post(reverse("storage:job_create"), {
        "school": highfield.pk, "name": "HF-SRV-01 Nightly", "software": "veeam", "cis": [server.pk],
        "shares": [share.pk], "destination": "NAS", "schedule": "weekly", "run_at": "22:00", "grace_hours": 4,
        "retention_days": 30, "is_active": "on",
    })  # fmt: skip
    assert response.status_code == 200 and "A weekly job runs on one day" in response.content.decode()
    response = client.post(reverse("storage:job_create"), {
        "school": highfield.pk, "name": "HF-SRV-01 Nightly", "software": "veeam", "cis": [server.pk],
        "shares": [share.pk], "destination": "NAS", "schedule": "weekdays", "run_at": "22:00", "grace_hours": 4,
        "retention_days": 30, "is_active": "on",
    })  # fmt: skip
    job = BackupJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    finished = timezone.localtime(timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    client.post(reverse("storage:job_result_add", args=[job.pk]), {"status": "failed", "finished_at": finished,
                                                                   "size_gb": "1.5",
                                                                   "message": "Disk full"})  # fmt: skip
    job.refresh_from_db()
    assert job.incident is not None and job.last_result.size_bytes == int(1.5 * GIB)
    page = client.get(job.get_absolute_url()).content.decode()
    assert job.incident.reference in page and "Disk full" in page
    listing = client.get(reverse("storage:job_list")).content.decode()
    assert "Failed" in listing and job.incident.reference in listing
    shares = client.get(reverse("storage:share_list")).content.decode()
    assert "HF-SRV-01 Nightly" in shares


def test_the_desk_reads_but_is_sent_back_from_the_forms(highfield, nightly, desk, client_for):
    client = client_for(desk)
    assert client.get(nightly.get_absolute_url()).status_code == 200
    assert client.get(reverse("storage:job_edit", args=[nightly.pk]))["Location"] == nightly.get_absolute_url()
    client.post(reverse("storage:job_result_add", args=[nightly.pk]), {"status": "success",
                "finished_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")})  # fmt: skip
    assert not nightly.results.exists()


def test_a_restore_test_is_recorded_through_its_form(nightly, tech, netmgr, client_for):
    client = client_for(tech)
    today = timezone.localdate()
    response = client.post(reverse("storage:test_create", args=[nightly.pk]), {
        "tested_on": today.isoformat(), "restored": "Forces.pptx",
        "restored_from": (today - timedelta(days=60)).isoformat(),
        "minutes": 10, "succeeded": "on", "verified_by": netmgr.pk, "evidence": "Opened.",
    })  # fmt: skip
    assert response.status_code == 200 and "keeps 30 days of copies" in response.content.decode()
    client.post(reverse("storage:test_create", args=[nightly.pk]), {
        "tested_on": today.isoformat(), "restored": "Forces.pptx",
        "restored_from": (today - timedelta(days=6)).isoformat(),
        "minutes": 10, "succeeded": "on", "verified_by": netmgr.pk, "evidence": "Opened.",
    })  # fmt: skip
    assert RestoreTest.objects.count() == 1
    page = client.get(reverse("storage:test_list")).content.decode()
    assert "Done" in page and "Forces.pptx" in page


def test_a_pasted_report_is_read_or_kept_rejected(highfield, nightly, tech, client_for):
    client = client_for(tech)
    response = client.post(reverse("storage:report_paste"), {"school": highfield.pk,
                                                            "message": eml("veeam_success").decode()})  # fmt: skip
    report = BackupReport.objects.get()
    assert response["Location"] == report.get_absolute_url() and report.outcome == "accepted"
    client.post(reverse("storage:report_paste"), {"school": highfield.pk, "message": eml("not_a_report").decode()})
    rejected = BackupReport.objects.get(outcome="rejected")
    page = client.get(rejected.get_absolute_url()).content.decode()
    assert "is not a backup report" in page and "paper jam" in page


def test_the_expectations_page(highfield, netmgr, tech, nightly, client_for):
    assert "30 days" in client_for(tech).get(reverse("storage:expectations")).content.decode()
    data = {f"{kind}_hours": 8 for kind in ("file", "folder", "share", "mailbox", "system")}
    client_for(netmgr).post(reverse("storage:expectations"), {**data, "share_hours": 16})
    assert services.expectations_for(highfield)["share"] == (16, "")


def test_share_rules(highfield, riverside, tech, tech2, server, share):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.share_save(actor=tech2, school=riverside, server=server, name="X", path="D:\\X")
    with pytest.raises(ValidationError):
        services.share_save(actor=tech, school=highfield, server=server, name="staff$", path="D:\\Y")
    assert Share.objects.count() == 1
