"""The e-mail reports of Veeam, Windows Server Backup and Synology Hyper Backup are read (om/storage/mail.py);
anything else is refused with a reason a person can act on."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from om.storage.mail import ReportRejected, parse_report
from tests.om.storage.conftest import eml

DAY = date(2026, 11, 2)


def local(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


def test_a_failed_veeam_job_is_read_with_its_times_size_and_error():
    report = parse_report(eml("veeam_failed", DAY))
    assert (report.software, report.job_name, report.status) == ("veeam", "HF-SRV-01 Nightly", "failed")
    assert local(report.started_at) == "2026-11-02 22:00:04" and local(report.finished_at) == "2026-11-02 22:51:09"
    assert report.size_bytes == int(1.8 * 1024**4)
    assert "Insufficient disk space" in report.message
    assert report.subject == "[Failed] HF-SRV-01 Nightly (2 machines) 1 failed"


def test_a_successful_veeam_job():
    report = parse_report(eml("veeam_success", DAY))
    assert (report.job_name, report.status) == ("HF-SRV-01 Nightly", "success")
    assert local(report.finished_at) == "2026-11-02 22:43:37"


def test_windows_server_backup_failure_and_success():
    failed = parse_report(eml("wsb_failed", DAY))
    assert (failed.software, failed.job_name, failed.status) == ("wsb", "HF-SRV-02", "failed")
    assert "0x807800C5" in failed.message
    ok = parse_report(eml("wsb_success", DAY))
    assert (ok.job_name, ok.status) == ("HF-SRV-02", "success")
    assert local(ok.started_at) == "2026-11-02 20:00:02"
    assert failed.started_at.isoformat() == "2026-11-02T20:00:01+00:00"


def test_a_partly_completed_hyper_backup_task_is_a_warning():
    report = parse_report(eml("hyper_backup_partial", DAY))
    assert (report.software, report.job_name, report.status) == ("hyper_backup", "Pupils to C2", "warning")
    assert report.size_bytes == int(12.4 * 1024**3)
    assert "skipped" in report.message


@pytest.mark.parametrize(
    "subject, name, status",
    [
        ("[Warning] Office VMs (3 VMs) 1 warning", "Office VMs", "warning"),
        ("[Success] Agent Backup Job: Bursar laptop", "Bursar laptop", "success"),
        ("[HF-NAS01] Backup task Staff to USB has failed", "Staff to USB", "failed"),
        ("Backup task [Nightly] completed successfully", "Nightly", "success"),
    ],
)
def test_subject_variants(subject, name, status):
    report = parse_report(f"From: x@y.uk\nSubject: {subject}\nDate: Mon, 02 Nov 2026 23:00:00 +0000\n\nBody\n")
    assert (report.job_name, report.status) == (name, status)


@pytest.mark.parametrize(
    "raw, reason",
    [
        (eml("not_a_report", DAY), "is not a backup report this product reads"),
        (b"", "empty"),
        (b"just some words", "not an e-mail message"),
        (b"From: a@b.uk\nSubject: x\n\n" + b"x" * (3 * 1024 * 1024), "refused"),
    ],
)
def test_anything_else_is_refused_with_a_reason(raw, reason):
    with pytest.raises(ReportRejected, match=reason):
        parse_report(raw)
