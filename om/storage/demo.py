"""Storage Management for the demo, at highfield: shares on HF-SRV-01's data volume, three backup jobs with a
fortnight of results (the nightly Veeam job failed last night, so its incident is open; the MIS database's Windows
Server Backup has gone quiet, so a "backup missed" incident is open), a rejected report, the restore expectations,
the "Restore a file or folder" catalogue item with a request and its target, a restore test this term for the
nightly job and the termly task for the others."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from availability.models import Metric, MetricKind
from cmdb.models import ConfigurationItem, Kind
from fits.models import School, User
from om.storage import services
from om.storage.models import BackupJob, ResultSource, ResultStatus, Schedule, Software
from om.storage.requests import FORM_FIELDS

RESTORE_ITEM = "Restore a file or folder"
GIB = 1024**3


def _veeam_mail(name: str, status: str, started: datetime, finished: datetime, size_gb: float, note: str = "") -> str:
    start, end = timezone.localtime(started), timezone.localtime(finished)
    return (
        f"From: Veeam Backup <veeam@highfield.sch.uk>\nTo: ictsupport@highfield.sch.uk\n"
        f"Subject: [{status}] {name} (2 machines)\nDate: {end:%a, %d %b %Y %H:%M:%S %z}\n"
        "MIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n"
        f"<html><body><table><tr><td>Backup job: {name}</td></tr>"
        f"<tr><td>Start time</td><td>{start:%d/%m/%Y %H:%M:%S}</td></tr>"
        f"<tr><td>End time</td><td>{end:%d/%m/%Y %H:%M:%S}</td></tr>"
        f"<tr><td>Total size</td><td>{size_gb:.1f} GB</td></tr>"
        f"<tr><td>{note}</td></tr></table></body></html>\n"
    )


def seed_storage(schools: dict[str, School], people: dict[str, User]) -> dict[str, int]:
    """How many of each thing were added (empty when it was all there)."""
    school, tech, netmgr, staff = (schools.get("highfield"), people.get("tech"), people.get("netmgr"),
                                   people.get("staff"))  # fmt: skip
    if school is None or tech is None or netmgr is None or BackupJob.objects.filter(school=school).exists():
        return {}
    servers = {ci.name: ci for ci in ConfigurationItem.objects.filter(school=school, kind=Kind.SERVER)}
    data_server = servers.get("HF-SRV-01") or next(iter(servers.values()), None)
    if data_server is None:
        return {}
    backup_server = servers.get("HF-SRV-02", data_server)
    volume = Metric.objects.filter(ci=data_server, kind=MetricKind.DISK).order_by("-capacity").first()
    shares = [
        services.share_save(
            actor=tech,
            school=school,
            server=data_server,
            name=name,
            path=path,
            volume=volume,
            used_by=users,
            data_class=data,
        )  # fmt: skip
        for name, path, users, data in (
            ("Staff$", "D:\\Shares\\Staff", "All staff", "staff"),
            ("Curriculum", "D:\\Shares\\Curriculum", "Teachers and pupils (read-only)", "curriculum"),
            ("Office$", "D:\\Shares\\Office", "School office", "admin"),
            ("Pupils$", "D:\\Shares\\Pupils", "Pupils' home folders", "pupil"),
        )
    ]
    nightly = services.backup_job_save(
        actor=tech, school=school, name="HF-SRV-01 Nightly", software=Software.VEEAM, cis=[data_server],
        shares=shares[:3], destination="HF-SRV-02 E:\\Backups (Veeam repository)", schedule=Schedule.WEEKDAYS,
        run_at=time(22, 0), grace_hours=4, retention_days=30, retention_versions=20, offsite=True,
        offsite_where="Redstor cloud (backup copy job)", offsite_every_days=7, owner=tech,
    )  # fmt: skip
    mis = services.backup_job_save(
        actor=tech, school=school, name="HF-SRV-02", software=Software.WSB, cis=[backup_server],
        protects="SIMS database and the MIS server's system state", destination="USB disk (rotated weekly)",
        schedule=Schedule.DAILY, run_at=time(20, 0), grace_hours=3, retention_days=14, owner=tech,
    )  # fmt: skip
    nas = services.backup_job_save(
        actor=netmgr, school=school, name="Pupils to C2", software=Software.HYPER_BACKUP, shares=shares[3:],
        destination="Synology C2 Storage", schedule=Schedule.WEEKLY, weekday=5, run_at=time(2, 0), grace_hours=6,
        retention_days=90, offsite=True, offsite_where="Synology C2 (Frankfurt)", offsite_every_days=7,
    )  # fmt: skip
    now = timezone.now()
    today = timezone.localdate(now)
    # Move the jobs' "recorded on" back a month, so their history and the missed check make sense.
    BackupJob.objects.filter(pk__in=[nightly.pk, mis.pk, nas.pk]).update(created_at=now - timedelta(days=30))
    results = 0
    run_days = [
        today - timedelta(days=back) for back in range(14, 0, -1) if nightly.runs_on(today - timedelta(days=back))
    ]
    for back in range(14, 0, -1):
        day = today - timedelta(days=back)
        start = timezone.make_aware(datetime.combine(day, time(22, 0)))
        if nightly.runs_on(day) and start + timedelta(hours=1) < now:
            failed = day == run_days[-1]  # the latest run failed: its incident is open
            status = "Failed" if failed else ("Warning" if back == 6 else "Success")
            note = (
                "Error: Failed to connect to HF-SRV-02 repository: the network path was not found."
                if failed
                else ("Warning: Changed block tracking is disabled for HF-SRV-01." if status == "Warning" else "")
            )
            mail = _veeam_mail(nightly.name, status, start, start + timedelta(minutes=47), 212.4 + back, note)
            services.backup_report_receive(school=school, raw=mail)
            results += 1
        mis_start = timezone.make_aware(datetime.combine(day, time(20, 0)))
        if back >= 3:
            services.backup_result_record(job=mis, status=ResultStatus.SUCCESS, started_at=mis_start,
                                          finished_at=mis_start + timedelta(minutes=22), size_bytes=38 * GIB,
                                          source=ResultSource.API, message="The backup operation has finished "
                                          "successfully.")  # fmt: skip
            results += 1
    last_saturday = today - timedelta(days=(today.weekday() - 5) % 7 or 7)
    nas_start = timezone.make_aware(datetime.combine(last_saturday, time(2, 0)))
    services.backup_report_receive(school=school, raw=(
        f"From: HF-NAS01 <nas@highfield.sch.uk>\nSubject: [HF-NAS01] Backup task Pupils to C2 completed\n"
        f"Date: {timezone.localtime(nas_start + timedelta(hours=1)):%a, %d %b %Y %H:%M:%S %z}\n\n"
        f"Backup task [Pupils to C2] on HF-NAS01 has completed.\n\n"
        f"Start time: {timezone.localtime(nas_start):%Y/%m/%d %H:%M:%S}\n"
        f"End time: {timezone.localtime(nas_start + timedelta(minutes=58)):%Y/%m/%d %H:%M:%S}\n"
    ))  # fmt: skip
    services.backup_report_receive(
        school=school,
        raw=(
            "From: printer@highfield.sch.uk\nSubject: Scan to e-mail from MFD-STAFFROOM\n\n"
            "Please find your scan attached.\n"
        ),
    )  # a stray message to the backup address: kept, rejected with the reason
    services.offsite_copy_record(job=nightly, actor=tech, at=now - timedelta(days=3), note="Redstor copy checked.")
    missed = services.backups_check_missed(now=now)
    services.restore_expectation_save(actor=netmgr, school=school, kind="file", target_hours=8,
                                      notes="Files open at the time of the backup may be missing.")  # fmt: skip
    services.restore_expectation_save(actor=netmgr, school=school, kind="share", target_hours=24)
    term = services.current_term(school, today)
    tests = 0
    if term is not None:
        services.restore_test_record(
            job=nightly, actor=tech, tested_on=max(term.starts, today - timedelta(days=10)),
            restored="S:\\Science\\Year 9\\Forces.pptx to D:\\RestoreTest", restored_from=today - timedelta(days=17),
            minutes=12, verified_by=netmgr, evidence="Restored from the Veeam restore point of 17 days ago with "
            "Instant File Recovery; opened in PowerPoint, all 24 slides present; file hash matched the copy on Staff$.",
        )  # fmt: skip
        tests = 1
    tasks = services.restore_tests_raise(today=today)
    restores = 0
    if staff is not None:
        from servicedesk import services as desk
        from servicedesk.models import RequestType

        expectations = services.expectations_for(school)
        item = RequestType.objects.filter(school=school, name=RESTORE_ITEM).first() or desk.request_type_create(
            school=school, actor=people.get("desk") or tech, name=RESTORE_ITEM,
            summary=f"Get back a lost or damaged file or folder from the backups: from up to "
            f"{services.retention_days_for(school)} days ago, usually within "
            f"{services.hours_words(expectations['file'][0])}.",
            fields=FORM_FIELDS, handler="storage.restore", fulfil_days=1,
        )  # fmt: skip
        desk.request_log(school=school, logged_by=staff, request_type=item, answers={
            "what": "Year 10 mock exam marks.xlsx", "kind": "A file or a few files",
            "location": "S:\\Staff$\\Maths\\Assessment", "restore_from": (today - timedelta(days=2)).isoformat(),
        })  # fmt: skip
        restores = 1
    return {"shares": len(shares), "backup jobs": 3, "backup results": results + 1, "missed backups": missed,
            "restore tests": tests, "restore test tasks": tasks, "restore requests": restores}  # fmt: skip
