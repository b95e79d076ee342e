"""Every change of Storage Management's records: shares, backup jobs, the results their software reports (by the
API, by e-mail, by hand), the one incident a failing or silent job opens, off-site copies, restore expectations,
restore requests from the service catalogue, and the termly restore tests.

Each operation is atomic and checks the access predicate (fits/access.py). The beat's checks (missed backups,
off-site copies overdue, restore tests due) are idempotent however often they run: a job's missed run is recorded
on the job, and tasks are raised on a source key (incidents.task_services.task_raise).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cmdb.models import ConfigurationItem, Kind
from fits import access, activity
from fits.models import Activity, School, User
from incidents.models import Channel, Impact, Incident, Task, TaskOrigin, Urgency
from om.storage.mail import ReportRejected, parse_report
from om.storage.models import (
    BackupJob,
    BackupReport,
    BackupResult,
    JobAlert,
    RestoreExpectation,
    RestoreKind,
    RestoreOutcome,
    RestoreRequest,
    RestoreTest,
    ResultSource,
    ResultStatus,
    Schedule,
    Share,
)

STORAGE_KINDS = (Kind.SERVER, Kind.STORAGE)  # where shares live and what backup jobs protect, mostly
# A result counts for a scheduled run when it finished no earlier than this before the run's start (a job started
# by hand shortly before its time still counts).
EARLY = timedelta(hours=1)
SCHOOL_DAY_HOURS = 8

# What the school promises when it has not set its own expectations (school hours; 8 is one school day).
DEFAULT_EXPECTATIONS: dict[str, tuple[int, str]] = {
    RestoreKind.FILE: (8, ""),
    RestoreKind.FOLDER: (8, ""),
    RestoreKind.MAILBOX: (16, ""),
    RestoreKind.SHARE: (24, "A whole share is restored out of hours where it can be, so nobody's work is overwritten."),
    RestoreKind.SYSTEM: (40, "A whole server is rebuilt from its backup: the service is down meanwhile."),
}


def _require_manage(actor: User, obj: Any, message: str = "Only technicians and the network manager do this.") -> None:
    access.require(access.can_manage_storage, actor, obj, message)


# =============================================================================
# Shares
# =============================================================================

SHARE_FIELDS = ("server", "name", "path", "volume", "used_by", "data_class", "notes")


@transaction.atomic
def share_save(*, actor: User, school: School, share: Share | None = None, **values: Any) -> Share:
    """Record a shared folder (or change it): on which server or NAS, where, on which volume, what data, for whom."""
    _require_manage(actor, school)
    unknown = set(values) - set(SHARE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown share fields: {sorted(unknown)}")
    if share is not None and share.school_id != school.pk:
        raise ValidationError("A share stays at its school.")
    merged = {name: getattr(share, name) for name in SHARE_FIELDS if share is not None} | values
    server, volume = merged.get("server"), merged.get("volume")
    name, path = str(merged.get("name") or "").strip(), str(merged.get("path") or "").strip()
    if server is None:
        raise ValidationError({"server": "Say which server or NAS holds the share."})
    if server.school_id != school.pk:
        raise ValidationError({"server": f"{server} belongs to another school."})
    if not name:
        raise ValidationError({"name": "Name the share as users see it (e.g. Staff$)."})
    if not path:
        raise ValidationError({"path": "Say where the share lives on the server (e.g. D:\\Shares\\Staff)."})
    if volume is not None and volume.ci_id != server.pk:
        raise ValidationError({"volume": f"{volume.label} is a volume of {volume.ci}, not of {server}."})
    clash = Share.objects.filter(server=server, name__iexact=name)
    if share is not None:
        clash = clash.exclude(pk=share.pk)
    if clash.exists():
        raise ValidationError({"name": f"{server} already has a share called {name}."})
    created = share is None
    share = share or Share(school=school)
    for field, value in (merged | {"name": name, "path": path}).items():
        setattr(share, field, value)
    share.save()
    activity.record(share, actor=actor, kind=Activity.Kind.CREATED if created else Activity.Kind.FIELD,
                    text="Share recorded." if created else "Share changed.", public=False)  # fmt: skip
    return share


# =============================================================================
# Backup jobs
# =============================================================================

JOB_FIELDS = (
    "name", "software", "protects", "destination", "schedule", "run_at", "weekday", "grace_hours", "retention_days",
    "retention_versions", "offsite", "offsite_where", "offsite_every_days", "owner", "is_active",
)  # fmt: skip


def _check_job(school: School, values: dict[str, Any], cis: list, shares: list) -> None:
    errors: dict[str, str] = {}
    if not str(values.get("name") or "").strip():
        errors["name"] = "Name the job exactly as the backup software does: reports are matched on the name."
    if not str(values.get("destination") or "").strip():
        errors["destination"] = "Say where the copies go (a NAS folder, a USB disk, a cloud service)."
    if values.get("schedule") == Schedule.WEEKLY and values.get("weekday") is None:
        errors["weekday"] = "A weekly job runs on one day: choose it."
    if values.get("run_at") is None:
        errors["run_at"] = "Say when the job starts (HH:MM)."
    if not values.get("retention_days"):
        errors["retention_days"] = "Say how many days of copies are kept: it is how far back a restore can go."
    if values.get("offsite"):
        if not str(values.get("offsite_where") or "").strip():
            errors["offsite_where"] = "Say where the off-site copy goes (the cloud service, the other site...)."
        if not values.get("offsite_every_days"):
            errors["offsite_every_days"] = "Say how often a copy leaves the site, in days."
    grace = values.get("grace_hours")
    if grace is not None and not 1 <= grace <= 48:
        errors["grace_hours"] = "Between 1 and 48 hours."
    owner = values.get("owner")
    if owner is not None and not access.is_school_staff.test(owner, school):
        errors["owner"] = f"{owner} is not support staff at {school}."
    strangers = [str(record) for record in [*cis, *shares] if record.school_id != school.pk]
    if strangers:
        errors["cis"] = f"{', '.join(strangers)} belong to another school."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def backup_job_save(
    *,
    actor: User,
    school: School,
    job: BackupJob | None = None,
    cis: list[ConfigurationItem] | None = None,
    shares: list[Share] | None = None,
    **values: Any,
) -> BackupJob:
    """Record a backup job (or change it): what it protects, where to, when, how long copies are kept, off-site."""
    _require_manage(actor, school)
    unknown = set(values) - set(JOB_FIELDS)
    if unknown:
        raise TypeError(f"Unknown job fields: {sorted(unknown)}")
    if job is not None and job.school_id != school.pk:
        raise ValidationError("A job stays at its school.")
    base = job if job is not None else BackupJob(school=school)  # a new job starts from the model's defaults
    merged = {name: getattr(base, name) for name in JOB_FIELDS} | values
    merged["name"] = str(merged.get("name") or "").strip()
    cis_list = list(cis) if cis is not None else (list(job.cis.all()) if job else [])
    shares_list = list(shares) if shares is not None else (list(job.shares.all()) if job else [])
    _check_job(school, merged, cis_list, shares_list)
    clash = BackupJob.objects.filter(school=school, name__iexact=merged["name"])
    if job is not None:
        clash = clash.exclude(pk=job.pk)
    if clash.exists():
        raise ValidationError({"name": f"{school} already has a job called {merged['name']}."})
    if merged.get("schedule") != Schedule.WEEKLY:
        merged["weekday"] = None
    created = job is None
    job = base
    for field, value in merged.items():
        setattr(job, field, value)
    job.save()
    job.cis.set(cis_list)
    job.shares.set(shares_list)
    activity.record(job, actor=actor, kind=Activity.Kind.CREATED if created else Activity.Kind.FIELD,
                    text="Backup job recorded." if created else "Backup job changed.", public=False)  # fmt: skip
    return job


# =============================================================================
# Results, and the one incident per job
# =============================================================================


def _category_for(school: School):
    """The school's category for backup trouble, if it has one ("Backup", "Backups and storage"...)."""
    from incidents.models import Category

    for category in Category.objects.of_school(school.pk).filter(is_active=True, name__icontains="backup"):
        return category
    return None


def _job_ci(job: BackupJob) -> ConfigurationItem | None:
    return job.cis.order_by("name").first()


def _local(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%a %d %b %H:%M}"


def _open_incident(job: BackupJob, *, reason: str, title: str, description: str) -> Incident:
    from incidents.services import incident_log

    system = User.objects.system_account()
    incident = incident_log(
        school=job.school,
        logged_by=system,
        reporter=system,
        channel=Channel.MONITORING,
        ci=_job_ci(job),
        category=_category_for(job.school),
        title=title[:200],
        description=description,
        impact=Impact.HIGH,  # the school's data is unprotected until the next good run
        urgency=Urgency.MEDIUM,
    )
    job.incident, job.alert = incident, reason
    job.save(update_fields=["incident", "alert"])
    return incident


def _note(incident: Incident, text: str) -> None:
    from incidents.services import incident_comment

    incident_comment(incident=incident, author=User.objects.system_account(), text=text, public=False)


def _open_job_incident(job: BackupJob) -> Incident | None:
    if job.incident_id is None:
        return None
    incident = Incident.objects.get(pk=job.incident_id)
    return incident if incident.is_open else None


def _raise_alert(job: BackupJob, *, reason: str, title: str, description: str, note: str) -> Incident:
    """The job's one incident: a note on it when it is open, else a new one (a person closed the last one)."""
    incident = _open_job_incident(job)
    if incident is not None:
        _note(incident, note)
        if job.alert != reason and reason == JobAlert.FAILED:
            job.alert = reason
            job.save(update_fields=["alert"])
        return incident
    return _open_incident(job, reason=reason, title=title, description=description)


def _clear_alert(job: BackupJob, result: BackupResult) -> None:
    """A good run: the job's incident is resolved (unless a person resolved or closed it already), the alert goes."""
    from incidents.models import ResolutionCode
    from incidents.services import incident_transition

    incident = _open_job_incident(job)
    if incident is not None:
        text = (
            f"Backup monitoring: {job.name} ran {result.get_status_display().lower()} at {_local(result.finished_at)}."
        )
        if any(t.name == "resolve" for t in Incident.WORKFLOW.allowed(incident.status)):
            incident_transition(incident=incident, action="resolve", actor=User.objects.system_account(),
                                note=f"{text} Resolved automatically.",
                                resolution_code=ResolutionCode.FIXED)  # fmt: skip
        else:
            _note(incident, text)
    job.incident, job.alert = None, JobAlert.NONE
    job.save(update_fields=["incident", "alert"])


def _result_lines(job: BackupJob, result: BackupResult) -> str:
    lines = [
        f"Backup job: {job.name} ({job.get_software_display()}), {job.schedule_text}, to {job.destination}.",
        f"Result: {result.get_status_display()} at {_local(result.finished_at)} "
        f"(reported {result.get_source_display().lower()}).",
    ]
    if result.message:
        lines += ["", "What the software said:", result.message]
    protects = ", ".join([*(ci.name for ci in job.cis.all()), *(str(s) for s in job.shares.all())])
    if protects or job.protects:
        lines += ["", f"It protects: {', '.join(part for part in (protects, job.protects) if part)}."]
    lines += ["", "Until a good run, this data has no fresh backup. Check the job, fix it and run it again."]
    return "\n".join(lines)


@transaction.atomic
def backup_result_record(
    *,
    job: BackupJob,
    status: str,
    finished_at: datetime,
    started_at: datetime | None = None,
    size_bytes: int | None = None,
    message: str = "",
    source: str = ResultSource.MANUAL,
    actor: User | None = None,
    report: BackupReport | None = None,
) -> BackupResult:
    """Record one run of a job as its software reported it. A failure opens the job's one incident (or adds a note
    to it); a success resolves it. A warning is recorded and resolves a "missed" incident, not a failure."""
    job = BackupJob.objects.select_for_update().select_related("school").get(pk=job.pk)
    if actor is not None:
        access.require(access.can_report_backup, actor, job, "Only technicians and the network manager report backups.")
    if status not in ResultStatus.values:
        raise ValidationError({"status": f"“{status}” is not a status: use success, warning or failed."})
    now = timezone.now()
    if finished_at > now + timedelta(minutes=10):
        raise ValidationError({"finished_at": "That is in the future."})
    if started_at is not None and started_at > finished_at:
        raise ValidationError({"started_at": "A backup starts before it finishes."})
    if size_bytes is not None and size_bytes < 0:
        raise ValidationError({"size_bytes": "A size is not negative."})
    result = BackupResult.objects.create(
        school_id=job.school_id, job=job, status=status, started_at=started_at, finished_at=finished_at,
        size_bytes=size_bytes, message=message.strip(), source=source, report=report, recorded_by=actor,
    )  # fmt: skip
    last = job.last_result
    if last is None or (last.finished_at, last.pk) <= (result.finished_at, result.pk):
        job.last_result = result
        job.save(update_fields=["last_result"])
    else:
        return result  # an old run reported late: history only, it says nothing about the job now
    if status == ResultStatus.FAILED:
        _raise_alert(
            job,
            reason=JobAlert.FAILED,
            title=f"Backup failed: {job.name}",
            description=_result_lines(job, result),
            note=f"Backup monitoring: {job.name} failed again at {_local(finished_at)}."
            + (f"\n{result.message}" if result.message else ""),
        )
    elif status == ResultStatus.SUCCESS or job.alert == JobAlert.MISSED:
        if job.incident_id is not None or job.alert:
            _clear_alert(job, result)
    return result


def _find_job(school: School, name: str) -> BackupJob | None:
    """The school's job of that name (case and spacing aside), else None."""
    wanted = " ".join(name.split()).lower()
    for job in BackupJob.objects.filter(school=school, name__iexact=name.strip()):
        return job
    for job in BackupJob.objects.filter(school=school):
        if " ".join(job.name.split()).lower() == wanted:
            return job
    return None


@dataclass
class ReportOutcome:
    report: BackupReport
    result: BackupResult | None

    @property
    def accepted(self) -> bool:
        return self.result is not None


def _reject(report: BackupReport, reason: str) -> ReportOutcome:
    report.outcome, report.reason = BackupReport.Outcome.REJECTED, reason[:500]
    report.save()
    return ReportOutcome(report, None)


@transaction.atomic
def backup_report_receive(*, school: School, raw: bytes | str, actor: User | None = None) -> ReportOutcome:
    """Read an e-mail report from backup software (om/storage/mail.py) and record its result on the job of that
    name. The message is kept whole either way; one that is not a report, or names no job of the school, is kept
    as rejected with the reason (and nothing else changes)."""
    if actor is not None:
        access.require(
            access.can_report_backup, actor, school, "Only technicians and the network manager report backups."
        )
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw or "")
    report = BackupReport(school=school, source=ResultSource.EMAIL, raw=text, received_by=actor)
    try:
        parsed = parse_report(raw)
    except ReportRejected as error:
        return _reject(report, str(error))
    report.subject, report.sender = parsed.subject, parsed.sender
    job = _find_job(school, parsed.job_name)
    if job is None:
        return _reject(report, f"{school} has no backup job called “{parsed.job_name}”: record the job with the name "
                               "the backup software uses, then send the report again.")  # fmt: skip
    if not job.is_active:
        return _reject(report, f"The job “{job.name}” is not active: make it active to record its results.")
    report.job = job
    twin = BackupResult.objects.filter(job=job, finished_at=parsed.finished_at, status=parsed.status).first()
    if twin is not None:
        return _reject(report, f"This run of {job.name} is already recorded (the same report twice?).")
    report.outcome = BackupReport.Outcome.ACCEPTED
    report.save()
    try:
        with transaction.atomic():
            result = backup_result_record(job=job, status=parsed.status, finished_at=parsed.finished_at,
                                          started_at=parsed.started_at, size_bytes=parsed.size_bytes,
                                          message=parsed.message, source=ResultSource.EMAIL, report=report)  # fmt: skip
    except ValidationError as error:
        return _reject(report, f"The report for {job.name} does not add up: {' '.join(error.messages)}")
    return ReportOutcome(report, result)


@transaction.atomic
def backup_result_report(
    *,
    actor: User,
    school: School,
    payload: dict[str, Any],
    job: BackupJob | None = None,
    job_name: str = "",
    **values: Any,
) -> BackupResult:
    """A result posted to the API by the backup software (or a script around it): the job by id or by name. The
    payload is kept as the report."""
    access.require(access.can_report_backup, actor, school, "Only technicians and the network manager report backups.")
    if job is None:
        job = _find_job(school, job_name) if job_name.strip() else None
        if job is None:
            raise ValidationError({"job_name": f"{school} has no backup job called “{job_name}”."
                                   if job_name.strip() else "Name the job (job or job_name)."})  # fmt: skip
    if job.school_id != school.pk:
        raise ValidationError({"job": f"{job} belongs to another school."})
    if not job.is_active:
        raise ValidationError({"job": f"The job “{job.name}” is not active."})
    report = BackupReport.objects.create(
        school=school, source=ResultSource.API, raw=json.dumps(payload, default=str, indent=1)[:100_000],
        outcome=BackupReport.Outcome.ACCEPTED, job=job, received_by=actor, subject=f"API: {job.name}",
    )  # fmt: skip
    return backup_result_record(job=job, actor=actor, source=ResultSource.API, report=report, **values)


# =============================================================================
# The beat's checks: missed backups, off-site copies, restore tests
# =============================================================================


def backups_check_missed(*, now: datetime | None = None) -> int:
    """Find active jobs whose last scheduled run plus its grace has passed with no result: one incident "backup
    missed" per job (or a note on its open incident). Each run is found missed once, however often this runs."""
    now = now or timezone.now()
    found = 0
    for pk in list(BackupJob.objects.filter(is_active=True).values_list("pk", flat=True)):
        with transaction.atomic():
            job = BackupJob.objects.select_for_update().select_related("school").get(pk=pk)
            due = job.previous_run(now - timedelta(hours=job.grace_hours))
            if due is None or due < job.created_at or job.missed_run == due:
                continue
            if BackupResult.objects.filter(job=job, finished_at__gte=due - EARLY).exists():
                continue
            job.missed_run = due
            job.save(update_fields=["missed_run"])
            deadline = due + timedelta(hours=job.grace_hours)
            last = job.last_result
            since = f"The last result was {last.get_status_display().lower()} at {_local(last.finished_at)}." if last \
                else "No result has ever been reported for it."  # fmt: skip
            _raise_alert(
                job,
                reason=JobAlert.MISSED,
                title=f"Backup missed: {job.name}",
                description=(
                    f"Backup job {job.name} ({job.get_software_display()}) was due to run {_local(due)} and no result "
                    f"had arrived by {_local(deadline)}.\n{since}\n\nCheck the job ran, and that its report reaches "
                    "FITS (e-mail or API). Until a good run, this data has no fresh backup."
                ),
                note=f"Backup monitoring: the run due {_local(due)} was missed too (no result by {_local(deadline)}).",
            )
            found += 1
    return found


def offsite_copies_check(*, now: datetime | None = None) -> int:
    """Raise a task for each job whose off-site copy is overdue (once per due date)."""
    from incidents.task_services import task_raise

    now = now or timezone.now()
    raised = 0
    for job in BackupJob.objects.filter(is_active=True, offsite=True, offsite_every_days__isnull=False).select_related(
        "school", "owner"
    ):
        due = job.offsite_due(now)
        if due is None or due > now:
            continue
        key = f"storage-offsite:{job.pk}:{timezone.localdate(due).isoformat()}"
        if Task.objects.filter(school_id=job.school_id, source_key=key).exists():
            continue
        last = f"The last one was recorded {_local(job.offsite_last_at)}." if job.offsite_last_at else \
            "None has been recorded yet."  # fmt: skip
        with transaction.atomic():
            task_raise(
                school=job.school,
                title=f"Off-site copy overdue: {job.name}",
                origin=TaskOrigin.ROUTINE,
                description=f"A copy of {job.name} goes to {job.offsite_where} every {job.offsite_every_days} days. "
                f"{last}",
                steps=[
                    "Make the off-site copy (or check the automatic one ran)",
                    "Check the copy arrived and is readable",
                    "Record the copy on the job's page in Storage Management",
                ],  # fmt: skip
                due_on=timezone.localdate(now),
                ci=_job_ci(job),
                assignee=job.owner if job.owner and access.can_work_task.test(job.owner, job) else None,
                source=job,
                source_key=key,
            )
        raised += 1
    return raised


@transaction.atomic
def offsite_copy_record(*, job: BackupJob, actor: User, at: datetime | None = None, note: str = "") -> BackupJob:
    """An off-site copy of the job was made (a disk taken home, the cloud copy checked): the next is due from now."""
    from incidents.task_services import task_complete

    job = BackupJob.objects.select_for_update().get(pk=job.pk)
    _require_manage(actor, job)
    if not job.offsite:
        raise ValidationError("This job has no off-site copy: change the job first.")
    at = at or timezone.now()
    if at > timezone.now() + timedelta(minutes=10):
        raise ValidationError({"at": "That is in the future."})
    job.offsite_last_at = at
    job.save(update_fields=["offsite_last_at"])
    activity.record(job, actor=actor, kind=Activity.Kind.FIELD, public=False,
                    text=f"Off-site copy made {_local(at)}. {note.strip()}".strip())  # fmt: skip
    for task in Task.objects.filter(school_id=job.school_id, source_key__startswith=f"storage-offsite:{job.pk}:"):
        if task.is_open and access.can_work_task.test(actor, task):
            task_complete(task=task, actor=actor, outcome=f"Off-site copy made {_local(at)}. {note}".strip())
    return job


def current_term(school: School, today: date):
    """The term `today` falls in (servicelevels.periods), or None in a holiday."""
    from servicelevels.periods import TermBook

    term = TermBook(school).term_containing(today)
    return term if term.kind == "term" else None


def restore_tests_raise(*, today: date | None = None) -> int:
    """In term time, raise a restore-test task for each active job with no restore test this term (once per job
    and term), due at the end of the term."""
    from incidents.task_services import task_raise

    today = today or timezone.localdate()
    raised = 0
    terms: dict[int, Any] = {}
    for job in BackupJob.objects.filter(is_active=True).select_related("school", "owner").order_by("school_id", "pk"):
        if job.school_id not in terms:
            terms[job.school_id] = current_term(job.school, today)
        term = terms[job.school_id]
        if term is None or RestoreTest.objects.filter(job=job, term_key=term.key).exists():
            continue
        key = f"storage-restore-test:{job.pk}:{term.key}"
        if Task.objects.filter(school_id=job.school_id, source_key=key).exists():
            continue
        with transaction.atomic():
            task_raise(
                school=job.school,
                title=f"Restore test this term: {job.name}",
                origin=TaskOrigin.ROUTINE,
                description=f"Each term, restore something from {job.name} ({job.destination}) and check it opens: "
                f"a backup nobody has restored from is not known to work. {term.label} ends {term.ends:%d %b %Y}.",
                steps=[
                    "Choose a file or folder (vary it: a different share each term)",
                    "Restore it to a test location from an older copy",
                    "Open it and check it is whole",
                    "Record the test with its evidence on the job's page",
                ],  # fmt: skip
                due_on=term.ends,
                ci=_job_ci(job),
                assignee=job.owner if job.owner and access.can_work_task.test(job.owner, job) else None,
                source=job,
                source_key=key,
            )
        raised += 1
    return raised


@transaction.atomic
def restore_test_record(
    *,
    job: BackupJob,
    actor: User,
    tested_on: date,
    restored: str,
    restored_from: date,
    minutes: int,
    verified_by: User,
    evidence: str,
    succeeded: bool = True,
) -> RestoreTest:
    """Record a restore test with its evidence; it counts for the term it was done in, and completes that term's
    restore-test task."""
    from incidents.task_services import task_complete

    _require_manage(actor, job, "Only technicians and the network manager record restore tests.")
    errors = {}
    if tested_on > timezone.localdate():
        errors["tested_on"] = "A test is recorded once it is done: that date is in the future."
    if restored_from > tested_on:
        errors["restored_from"] = "The copy restored is older than the test."
    elif (tested_on - restored_from).days > job.retention_days:
        errors["restored_from"] = f"The job keeps {job.retention_days} days of copies: that copy cannot exist."
    if not restored.strip():
        errors["restored"] = "Say what was restored (the file or folder, from which share)."
    if not evidence.strip():
        errors["evidence"] = "Say what was checked and found: it is the evidence the test happened."
    if minutes < 0:
        errors["minutes"] = "A time taken is not negative."
    if not access.is_school_staff.test(verified_by, job):
        errors["verified_by"] = f"{verified_by} is not support staff at {job.school}."
    if errors:
        raise ValidationError(errors)
    from servicelevels.periods import TermBook

    term = TermBook(job.school).current_term(tested_on)
    test = RestoreTest.objects.create(
        school_id=job.school_id, job=job, term_key=term.key, term_label=term.label, tested_on=tested_on,
        restored=restored.strip()[:300], restored_from=restored_from, minutes=minutes, succeeded=succeeded,
        verified_by=verified_by, evidence=evidence.strip(), recorded_by=actor,
    )  # fmt: skip
    verdict = "passed" if succeeded else "FAILED"
    activity.record(job, actor=actor, kind=Activity.Kind.COMMENT, public=False,
                    text=f"Restore test {verdict} ({term.label}): {test.restored} as of {restored_from:%d %b %Y}, "
                         f"{minutes} min, verified by {verified_by}.")  # fmt: skip
    task = Task.objects.filter(school_id=job.school_id, source_key=f"storage-restore-test:{job.pk}:{term.key}").first()
    if task is not None and task.is_open and access.can_work_task.test(actor, task):
        task_complete(task=task, actor=actor, outcome=f"Restore test {verdict}: {test.restored}. {test.evidence}")
    return test


# =============================================================================
# Restore expectations and requests
# =============================================================================


def hours_words(hours: int) -> str:
    """School hours as people say them: 8 -> "1 school day", 24 -> "3 school days", 4 -> "4 school hours"."""
    if hours and hours % SCHOOL_DAY_HOURS == 0:
        days = hours // SCHOOL_DAY_HOURS
        return f"{days} school day{'s' if days != 1 else ''}"
    return f"{hours} school hour{'s' if hours != 1 else ''}"


def expectations_for(school: School) -> dict[str, tuple[int, str]]:
    """Each kind of restore: (target in school hours, what users should know); the school's own, else the defaults."""
    own = {e.kind: (e.target_hours, e.notes) for e in RestoreExpectation.objects.filter(school=school)}
    return {kind: own.get(kind, DEFAULT_EXPECTATIONS[kind]) for kind in RestoreKind.values}


def retention_days_for(school: School, job: BackupJob | None = None) -> int | None:
    """How far back a restore can go: the job's retention, else the longest of the school's active jobs."""
    if job is not None:
        return job.retention_days
    days = BackupJob.objects.filter(school=school, is_active=True).values_list("retention_days", flat=True)
    return max(days, default=None)


@transaction.atomic
def restore_expectation_save(*, actor: User, school: School, kind: str, target_hours: int, notes: str = "") -> Any:
    """Set what the school promises for one kind of restore (how fast, in school hours)."""
    access.require(access.can_manage_operations, actor, school, "Only the network manager sets restore expectations.")
    if kind not in RestoreKind.values:
        raise ValidationError({"kind": f"“{kind}” is not a kind of restore."})
    if not 1 <= target_hours <= 400:
        raise ValidationError({"target_hours": "Between 1 and 400 school hours (8 is one school day)."})
    expectation, _ = RestoreExpectation.objects.update_or_create(
        school=school, kind=kind, defaults={"target_hours": target_hours, "notes": notes.strip()[:300]}
    )
    return expectation


def _deadline(school: School, start: datetime, hours: int) -> datetime:
    """`hours` school hours after `start` on the school's calendar (term dates, bank holidays, INSET days)."""
    from servicelevels.calendars import business_calendar
    from servicelevels.clock import ClockError, add_business_time

    try:
        return add_business_time(business_calendar(school), start, timedelta(hours=hours))
    except ClockError:
        return start + timedelta(days=math.ceil(hours / SCHOOL_DAY_HOURS) * 7 / 5)


def expectation_text(*, school: School, kind: str, requested_at: datetime, job: BackupJob | None = None) -> tuple:
    """(target hours, target time, the sentence told to the user) for a restore of `kind` asked for now."""
    hours, notes = expectations_for(school)[kind]
    target = _deadline(school, requested_at, hours)
    back = retention_days_for(school, job)
    what = RestoreKind(kind).label
    reach = f"{what} from up to {back} days ago" if back else what
    text = f"{reach}: we aim to restore within {hours_words(hours)}: by {timezone.localtime(target):%a %d %b %H:%M}."
    if notes:
        text += f" {notes}"
    return hours, target, text


def check_restore_date(*, school: School, restore_from: date | None, job: BackupJob | None, today: date) -> None:
    """Refuse a restore from further back than the backups keep (or from the future)."""
    if restore_from is None:
        return
    if restore_from > today:
        raise ValidationError({"restore_from": "That date is in the future: say the date the data was last right."})
    back = retention_days_for(school, job)
    if back is not None and (today - restore_from).days > back:
        raise ValidationError({"restore_from": f"Backups are kept for {back} days: nothing from before "
                               f"{today - timedelta(days=back):%d %b %Y} can be restored."})  # fmt: skip


@transaction.atomic
def restore_request_log(
    *,
    school: School,
    ticket: Incident | None,
    kind: str,
    what: str,
    location: str = "",
    restore_from: date | None = None,
    job: BackupJob | None = None,
    requested_at: datetime | None = None,
) -> RestoreRequest:
    """Record a restore request with its target, from the school's expectations and calendar, and tell the user
    the expectation on their ticket. A date beyond the backups' retention is refused."""
    requested_at = requested_at or timezone.now()
    if kind not in RestoreKind.values:
        raise ValidationError({"kind": f"“{kind}” is not a kind of restore."})
    if not what.strip():
        raise ValidationError({"what": "Say what is to be restored (file or folder name)."})
    if job is not None and job.school_id != school.pk:
        raise ValidationError({"job": f"{job} belongs to another school."})
    check_restore_date(school=school, restore_from=restore_from, job=job, today=timezone.localdate(requested_at))
    hours, target, text = expectation_text(school=school, kind=kind, requested_at=requested_at, job=job)
    restore = RestoreRequest.objects.create(
        school=school, ticket=ticket, kind=kind, what=what.strip()[:300], location=location.strip()[:300],
        restore_from=restore_from, job=job, requested_at=requested_at, target_hours=hours, target_at=target,
        expectation=text[:400],
    )  # fmt: skip
    if ticket is not None:
        activity.record_comment(ticket, actor=User.objects.system_account(), text=f"Restore request: {text}",
                                public=True)  # fmt: skip
    return restore


@transaction.atomic
def restore_complete(*, restore: RestoreRequest, actor: User, outcome: str, note: str = "") -> RestoreRequest:
    """Record how a restore ended (restored, partly, not possible) and whether the target was met; the ticket hears
    of it. Closing the ticket itself stays with the Service Desk."""
    restore = RestoreRequest.objects.select_for_update().get(pk=restore.pk)
    _require_manage(actor, restore, "Only technicians and the network manager carry out restores.")
    if restore.completed_at is not None:
        raise ValidationError("This restore is already recorded as done.")
    if outcome not in (RestoreOutcome.RESTORED, RestoreOutcome.PARTIAL, RestoreOutcome.NOT_POSSIBLE):
        raise ValidationError({"outcome": "Say how it ended: restored, partly restored or could not be restored."})
    if outcome != RestoreOutcome.RESTORED and not note.strip():
        raise ValidationError({"note": "Say what could not be restored, and why: the user is told."})
    now = timezone.now()
    restore.outcome, restore.completed_at, restore.completed_by = outcome, now, actor
    restore.met, restore.note = now <= restore.target_at, note.strip()
    restore.save(update_fields=["outcome", "completed_at", "completed_by", "met", "note"])
    if restore.ticket_id:
        said = f"Restore: {RestoreOutcome(outcome).label.lower()}"
        target = f"{timezone.localtime(restore.target_at):%a %d %b %H:%M}"
        said += f" ({'within' if restore.met else 'after'} the target of {target})."
        if restore.note:
            said += f" {restore.note}"
        activity.record_comment(restore.ticket, actor=actor, text=said, public=True)
    return restore
