"""Backup results arrive (e-mail, API, by hand) and are kept; a failed or missed run opens ONE incident per job, a
later success resolves it; the beat's checks are idempotent however often they run."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from fits.models import Activity
from incidents import services as incidents
from incidents.models import Channel, Incident, Status, Task
from om.storage import services
from om.storage.models import BackupJob, BackupReport, BackupResult
from tests.om.storage.conftest import eml

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


def job_incidents(job):
    return Incident.objects.filter(school=job.school, title__endswith=job.name)


def notes(incident):
    return list(Activity.objects.filter(object_id=incident.pk, kind="comment").values_list("text", flat=True))


def test_a_failed_report_opens_one_incident_and_more_failures_add_notes(highfield, nightly):
    two_days_ago = timezone.localdate() - timedelta(days=2)
    outcome = services.backup_report_receive(school=highfield, raw=eml("veeam_failed", two_days_ago))
    assert outcome.accepted and outcome.result.status == "failed" and outcome.result.source == "email"
    nightly.refresh_from_db()
    incident = nightly.incident
    assert incident is not None and nightly.alert == "failed" and nightly.last_result == outcome.result
    assert incident.title == "Backup failed: HF-SRV-01 Nightly" and incident.channel == Channel.MONITORING
    assert incident.reporter.is_system_account and incident.ci == nightly.cis.get()
    assert "Insufficient disk space" in incident.description and "Staff$" in incident.description
    again = services.backup_report_receive(school=highfield, raw=eml("veeam_failed", two_days_ago))
    assert not again.accepted and "already recorded" in again.report.reason  # the same e-mail twice
    services.backup_report_receive(school=highfield, raw=eml("veeam_failed"))
    services.backup_result_record(job=nightly, status="failed", finished_at=timezone.now(), message="Again.")
    assert job_incidents(nightly).count() == 1
    assert sum("failed again" in text for text in notes(incident)) == 2


def test_a_later_success_resolves_it_unless_a_person_already_did(highfield, nightly, tech):
    services.backup_report_receive(school=highfield, raw=eml("veeam_failed", timezone.localdate() - timedelta(days=2)))
    nightly.refresh_from_db()
    first = nightly.incident
    services.backup_report_receive(school=highfield, raw=eml("veeam_success", timezone.localdate() - timedelta(days=1)))
    first.refresh_from_db()
    nightly.refresh_from_db()
    assert first.status == Status.RESOLVED and "Resolved automatically" in first.resolution
    assert nightly.incident is None and nightly.alert == "" and nightly.status == "success"
    # A failure again: a new incident (the old one is resolved); a person resolves it; the success leaves it be.
    # Minutes after yesterday's success (two hours ago, just after midnight, would be before it: history only).
    succeeded = nightly.results.first().finished_at
    services.backup_result_record(job=nightly, status="failed", finished_at=succeeded + timedelta(minutes=1))
    nightly.refresh_from_db()
    second = nightly.incident
    assert second != first and job_incidents(nightly).count() == 2
    incidents.incident_transition(incident=second, action="resolve", actor=tech, note="Freed space on D:.",
                                  resolution_code="fixed")  # fmt: skip
    services.backup_result_record(job=nightly, status="success", finished_at=succeeded + timedelta(minutes=2))
    second.refresh_from_db()
    assert second.resolution == "Freed space on D:." and BackupJob.objects.get(pk=nightly.pk).incident is None


def test_an_old_run_reported_late_is_history_only(highfield, nightly):
    services.backup_result_record(job=nightly, status="success", finished_at=timezone.now() - timedelta(hours=1))
    services.backup_result_record(job=nightly, status="failed", finished_at=timezone.now() - timedelta(days=5))
    nightly.refresh_from_db()
    assert nightly.status == "success" and nightly.incident is None and nightly.results.count() == 2


def test_a_report_for_an_unknown_job_or_in_an_unknown_format_is_kept_rejected(highfield, nightly):
    unknown = services.backup_report_receive(school=highfield, raw=eml("wsb_failed"))
    assert not unknown.accepted and "has no backup job called “HF-SRV-02”" in unknown.report.reason
    junk = services.backup_report_receive(school=highfield, raw=eml("not_a_report"))
    assert not junk.accepted and "Printer in the staff room" in junk.report.reason
    future = services.backup_report_receive(school=highfield, raw=eml("veeam_failed", timezone.localdate()
                                                                      + timedelta(days=3)))  # fmt: skip
    assert not future.accepted and "in the future" in future.report.reason
    rejected = BackupReport.objects.filter(outcome="rejected")
    assert rejected.count() == 3 and all(report.raw.startswith(("Return-Path", "From")) for report in rejected)
    assert not BackupResult.objects.exists() and not Incident.objects.exists()


def test_missed_backups_open_one_incident_however_often_the_beat_runs(highfield, wsb):
    now = timezone.now()
    yesterday = timezone.localtime(now) - timedelta(days=2)
    services.backup_result_record(job=wsb, status="success",
                                  finished_at=yesterday.replace(hour=20, minute=20, second=0,
                                                                microsecond=0))  # fmt: skip
    assert services.backups_check_missed(now=now) == 1
    assert services.backups_check_missed(now=now) == 0
    assert services.backups_check_missed(now=now + timedelta(minutes=15)) == 0
    wsb.refresh_from_db()
    assert wsb.alert == "missed" and wsb.incident.title == "Backup missed: HF-SRV-02"
    assert "was due to run" in wsb.incident.description and "The last result was success" in wsb.incident.description
    # A day later the next run is missed too: a note on the same incident, not a second one.
    assert services.backups_check_missed(now=now + timedelta(days=1)) == 1
    assert job_incidents(wsb).count() == 1 and any("missed too" in text for text in notes(wsb.incident))
    # It runs: the incident is resolved.
    services.backup_result_record(job=wsb, status="warning", finished_at=now)
    wsb.refresh_from_db()
    assert wsb.incident is None and Incident.objects.get(title="Backup missed: HF-SRV-02").status == Status.RESOLVED


def test_a_job_is_not_missed_before_its_first_run_nor_when_inactive(highfield, tech):
    job = services.backup_job_save(actor=tech, school=highfield, name="New job", destination="NAS",
                                   schedule="daily", run_at=time(1, 0), retention_days=7)  # fmt: skip
    assert services.backups_check_missed() == 0
    BackupJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(days=3), is_active=False)
    assert services.backups_check_missed() == 0


def test_the_schedule():
    job = BackupJob(schedule="weekly", weekday=4, run_at=time(22, 0))
    saturday = datetime(2026, 11, 28, 9, 0, tzinfo=LONDON)
    assert timezone.localtime(job.previous_run(saturday)).date().isoformat() == "2026-11-27"
    job.schedule = "weekdays"
    monday_morning = datetime(2026, 11, 30, 9, 0, tzinfo=LONDON)
    assert timezone.localtime(job.previous_run(monday_morning)).isoformat().startswith("2026-11-27T22:00")
    assert job.schedule_text == "Weekdays at 22:00"


def test_overdue_off_site_copies_raise_one_task_per_due_date(highfield, tech, nightly):
    services.backup_job_save(actor=tech, school=highfield, job=nightly, offsite=True, offsite_where="Redstor",
                             offsite_every_days=7)  # fmt: skip
    assert services.offsite_copies_check() == 1
    assert services.offsite_copies_check() == 0
    task = Task.objects.get(source_key__startswith="storage-offsite:")
    services.offsite_copy_record(job=nightly, actor=tech, note="Disk 2 taken home.")
    task.refresh_from_db()
    assert not task.is_open and services.offsite_copies_check() == 0


def test_job_rules(highfield, riverside, tech, tech2, desk, nightly):
    with pytest.raises(ValidationError) as error:
        services.backup_job_save(actor=tech, school=highfield, name="hf-srv-01 nightly", destination="x",
                                 retention_days=30)  # fmt: skip
    assert "already has a job" in str(error.value)
    with pytest.raises(ValidationError) as error:
        services.backup_job_save(actor=tech, school=highfield, name="Weekly", destination="x", schedule="weekly",
                                 retention_days=30, offsite=True)  # fmt: skip
    assert {"weekday", "offsite_where", "offsite_every_days"} <= set(error.value.message_dict)
    with pytest.raises(ValidationError):
        services.backup_job_save(actor=tech2, school=riverside, name="X", destination="y", retention_days=3,
                                 cis=list(nightly.cis.all()))  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.backup_job_save(actor=desk, school=highfield, name="X", destination="y", retention_days=3)
    with pytest.raises(PermissionDenied):
        services.backup_result_record(job=nightly, actor=desk, status="success", finished_at=timezone.now())


def test_the_management_command_reads_a_message_from_a_file(highfield, nightly, tmp_path, capsys):
    path = tmp_path / "report.eml"
    path.write_bytes(eml("veeam_success"))
    call_command("backup_report", str(path), school="highfield")
    assert "HF-SRV-01 Nightly: Success" in capsys.readouterr().out
    path.write_bytes(eml("not_a_report"))
    with pytest.raises(SystemExit) as exit_code:
        call_command("backup_report", str(path), school="highfield")
    assert exit_code.value.code == 2 and "Rejected" in capsys.readouterr().err
    assert BackupReport.objects.count() == 2


# =============================================================================
# The API
# =============================================================================


def test_the_api_takes_a_result_by_job_id_or_name_with_a_token(highfield, nightly, tech, api_for):
    api = api_for(tech)
    finished = (timezone.now() - timedelta(hours=1)).isoformat()
    response = api.post("/api/storage/backup-results/", {"job": nightly.pk, "status": "failed",
                        "finished_at": finished, "message": "Repository offline"}, format="json")  # fmt: skip
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "failed" and response.json()["source"] == "api"
    nightly.refresh_from_db()
    assert nightly.incident is not None
    response = api.post("/api/storage/backup-results/", {"job_name": "hf-srv-01 nightly", "status": "success",
                        "finished_at": finished, "size_bytes": 1024}, format="json")  # fmt: skip
    assert response.status_code == 201, response.content
    nightly.refresh_from_db()
    assert nightly.incident is None
    report = BackupReport.objects.filter(source="api").first()
    assert '"size_bytes": 1024' in report.raw and report.outcome == "accepted"


def test_the_api_refuses_bad_results(highfield, riverside, nightly, tech, tech2, desk, api_for):
    finished = timezone.now().isoformat()
    post = "/api/storage/backup-results/"
    assert api_for(tech).post(post, {"job_name": "Nope", "status": "success", "finished_at": finished},
                              format="json").status_code == 400  # fmt: skip
    assert api_for(tech).post(post, {"job": nightly.pk, "status": "fine", "finished_at": finished},
                              format="json").status_code == 400  # fmt: skip
    # Another school's job is not there for tech2; the desk may not report backups.
    assert api_for(tech2).post(post, {"job": nightly.pk, "status": "success", "finished_at": finished},
                               format="json").status_code == 400  # fmt: skip
    assert api_for(desk).post(post, {"job": nightly.pk, "status": "success", "finished_at": finished},
                              format="json").status_code == 403  # fmt: skip
    assert not BackupResult.objects.exists()


def test_the_api_takes_a_raw_email_report(highfield, nightly, tech, api_for):
    api = api_for(tech)
    response = api.post("/api/storage/backup-reports/", {"message": eml("veeam_failed").decode()}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["outcome"] == "accepted"
    response = api.generic("POST", "/api/storage/backup-reports/?school=highfield", eml("not_a_report"),
                           content_type="message/rfc822")  # fmt: skip
    assert response.status_code == 422 and "not a backup report" in response.json()["reason"]
    assert BackupReport.objects.get(pk=response.json()["id"]).raw.startswith("From: Office")


def test_the_api_lists_jobs_with_their_state(highfield, nightly, tech, staff, api_for):
    services.backup_result_record(job=nightly, status="failed", finished_at=timezone.now())
    row = api_for(tech).get("/api/storage/jobs/").json()["results"][0]
    assert row["status"] == "failed" and row["incident"].startswith("INC-") and row["last_result"]["status"] == "failed"
    assert api_for(staff).get("/api/storage/jobs/").json()["results"] == []
