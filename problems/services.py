"""Every operation that changes a problem: log, assign, move along the lifecycle, link incidents,
record known errors, add investigation notes.

Each is one transaction that checks the permission (fits.access) and writes the timeline entry.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Min
from django.utils import timezone

from changes import services as change_services
from changes.models import RequestForChange
from fits import access, activity
from fits.models import Activity, School, User
from fits.references import next_reference
from fits.scoping import ensure_same_school
from incidents.models import Incident, TicketKind
from incidents.models import Status as IncidentStatus
from problems.models import (
    OPEN_STATUSES,
    CandidateStatus,
    KnownError,
    Problem,
    ProblemCandidate,
    ProblemSettings,
    Source,
    Status,
)

REFERENCE_PREFIX = "PRB"


def incident_resolvers(incidents) -> set[int]:
    """The ids of the people who resolved any of `incidents` (from their timelines)."""
    ids = [incident.pk for incident in incidents]
    if not ids:
        return set()
    entries = Activity.objects.filter(
        content_type=ContentType.objects.get_for_model(Incident),
        object_id__in=ids,
        kind=Activity.Kind.STATUS,
        changes__status__1=IncidentStatus.RESOLVED,
        actor__isnull=False,
    )
    return set(entries.values_list("actor_id", flat=True))


def _refuse_incident_resolver(person: User | None, incidents, what: str) -> None:
    """FITS: whoever resolves the problem must not be the person who resolved its incidents."""
    if person is not None and person.pk in incident_resolvers(incidents):
        raise ValidationError(
            {
                "assignee": f"{person} resolved incidents linked to this problem, so cannot {what}: "
                f"FITS asks for a fresh pair of eyes on the underlying cause."
            }
        )


@transaction.atomic
def problem_log(
    *,
    school: School,
    logged_by: User,
    title: str,
    description: str = "",
    ci=None,
    incidents=(),
    source: str = Source.INCIDENTS,
) -> Problem:
    """Open a problem record at `school`, optionally with the incidents that share the cause."""
    access.require(access.can_work_problem, logged_by, school, "You cannot log problems at this school.")
    if not title.strip():
        raise ValidationError({"title": "Give the problem a short summary."})
    if ci is not None and ci.school_id != school.pk:
        raise ValidationError({"ci": f"{ci} belongs to another school."})
    for incident in incidents:
        if incident.school_id != school.pk:
            raise ValidationError({"incidents": f"{incident.reference} belongs to another school."})
    problem = Problem.objects.create(
        school=school,
        ci=ci,
        reference=next_reference(school_id=school.pk, prefix=REFERENCE_PREFIX),
        title=title.strip(),
        description=description.strip(),
        logged_by=logged_by,
        source=source,
    )
    activity.record(problem, actor=logged_by, kind=Activity.Kind.CREATED, text="Logged.")
    for incident in incidents:
        _link(problem, incident, actor=logged_by)
    return problem


def _locked(problem: Problem) -> Problem:
    return Problem.objects.select_for_update().get(pk=problem.pk)


def _touch(problem: Problem) -> None:
    Problem.objects.filter(pk=problem.pk).update(updated_at=timezone.now())


@transaction.atomic
def problem_assign(*, problem: Problem, assignee: User | None, actor: User, note: str = "") -> Problem:
    """Give the investigation to a technician (or take it back). Refuses the linked incidents' resolver."""
    problem = _locked(problem)
    access.require(access.can_work_problem, actor, problem, "You cannot assign this problem.")
    if not problem.is_open:
        raise ValidationError(f"{problem.reference} is {problem.get_status_display().lower()}.")
    if assignee is not None and not access.can_work_problem.test(assignee, problem):
        raise ValidationError({"assignee": f"{assignee} cannot work problems at {problem.school}."})
    _refuse_incident_resolver(assignee, problem.incidents.all(), "investigate it")
    if assignee == problem.assignee:
        return problem
    old = problem.assignee
    problem.assignee = assignee
    problem.save(update_fields=["assignee", "updated_at"])
    activity.record(
        problem,
        actor=actor,
        kind=Activity.Kind.ASSIGNMENT,
        text=note.strip(),
        changes={"assignee": [str(old) if old else None, str(assignee) if assignee else None]},
    )
    return problem


@transaction.atomic
def problem_transition(*, problem: Problem, action: str, actor: User, note: str = "") -> Problem:
    """Move the problem along its lifecycle by one of the actions in Problem.WORKFLOW."""
    problem = _locked(problem)
    transition = Problem.WORKFLOW.check_action(problem.status, action)
    access.require(transition.permission, actor, problem, f"You cannot {transition.label.lower()} this problem.")
    note = note.strip()
    if transition.note_required and not note:
        raise ValidationError({"note": f"{transition.note_label} is required to {transition.label.lower()}."})
    old = problem.status
    problem.status = transition.target
    fields = ["status", "updated_at"]
    now = timezone.now()
    if action == "known_error":
        problem.root_cause = note
        fields.append("root_cause")
    elif action == "resolve":
        _refuse_incident_resolver(actor, problem.incidents.all(), "resolve it")
        problem.resolution, problem.resolved_at = note, now
        fields += ["resolution", "resolved_at"]
        if problem.assignee_id is None:
            problem.assignee = actor
            fields.append("assignee")
    elif action in ("close", "cancel"):
        problem.closed_at = now
        fields.append("closed_at")
    problem.save(update_fields=fields)
    activity.record_status(problem, actor=actor, old=old, new=problem.status, note=note)
    return problem


def _link(problem: Problem, incident: Incident, *, actor: User) -> None:
    problem.incidents.add(incident)
    if incident.safeguarding:  # the problem's timeline is for all support staff: no trace of the concern on it
        text, reference = "Linked a safeguarding-flagged incident (shown only to those who may see it).", None
    else:
        text, reference = f"Linked incident {incident.reference}: {incident.title}", incident.reference
    activity.record(problem, actor=actor, kind=Activity.Kind.LINK, text=text, changes={"incident": [None, reference]})


@transaction.atomic
def problem_link_incident(*, problem: Problem, incident: Incident, actor: User) -> Problem:
    """Link an incident of the same school to the problem (it shares the underlying cause)."""
    problem = _locked(problem)
    access.require(access.can_work_problem, actor, problem, "You cannot link incidents to this problem.")
    if incident.school_id != problem.school_id:
        raise ValidationError({"incident": f"{incident.reference} belongs to another school."})
    ensure_same_school(problem, incident)
    if problem.incidents.filter(pk=incident.pk).exists():
        return problem
    _refuse_incident_resolver(problem.assignee, [incident], "stay on it once this incident is linked")
    _link(problem, incident, actor=actor)
    _touch(problem)
    return problem


@transaction.atomic
def problem_unlink_incident(*, problem: Problem, incident: Incident, actor: User) -> Problem:
    problem = _locked(problem)
    access.require(access.can_work_problem, actor, problem, "You cannot unlink incidents from this problem.")
    if not problem.incidents.filter(pk=incident.pk).exists():
        raise ValidationError({"incident": f"{incident.reference} is not linked to {problem.reference}."})
    problem.incidents.remove(incident)
    activity.record(
        problem,
        actor=actor,
        kind=Activity.Kind.LINK,
        text="Unlinked a safeguarding-flagged incident."
        if incident.safeguarding
        else f"Unlinked incident {incident.reference}.",
        changes={"incident": [None if incident.safeguarding else incident.reference, None]},
    )
    _touch(problem)
    return problem


@transaction.atomic
def problem_link_change(*, problem: Problem, change: RequestForChange | None, actor: User) -> Problem:
    """Name the request for change that carries the problem's permanent fix (FITS: problems are fixed
    through Change Management), or unlink it with None. The change must be of the problem's school."""
    problem = _locked(problem)
    access.require(access.can_work_problem, actor, problem, "You cannot link a change to this problem.")
    if change is not None:
        if change.school_id != problem.school_id:
            raise ValidationError({"change": f"{change.reference} belongs to another school."})
        ensure_same_school(problem, change)
    if problem.change_id == (change.pk if change else None):
        return problem
    old = problem.change
    problem.change = change
    problem.save(update_fields=["change", "updated_at"])
    if change is not None:
        text = f"The permanent fix is change {change.reference}: {change.title}"
    else:
        text = f"Unlinked change {old.reference}." if old else "Unlinked the change."
    activity.record(
        problem,
        actor=actor,
        kind=Activity.Kind.LINK,
        text=text,
        changes={"change": [old.reference if old else None, change.reference if change else None]},
    )
    return problem


@transaction.atomic
def problem_raise_change(*, problem: Problem, actor: User, **rfc_fields) -> RequestForChange:
    """Raise a request for change (a draft) for the problem's permanent fix, and link it to the problem.
    `rfc_fields` are those of changes.services.rfc_create; the reason defaults to the problem."""
    access.require(access.can_work_problem, actor, problem, "You cannot raise a change for this problem.")
    if "reason" not in rfc_fields or not str(rfc_fields.get("reason") or "").strip():
        rfc_fields["reason"] = f"The permanent fix for problem {problem.reference}: {problem.title}"
    change = change_services.rfc_create(school=problem.school, requester=actor, **rfc_fields)
    return problem_link_change(problem=problem, change=change, actor=actor).change


@transaction.atomic
def known_error_record(
    *, problem: Problem, actor: User, symptom: str, workaround: str, published: bool = True
) -> KnownError:
    """Record a known error of the problem with its workaround, for the desk to look up."""
    access.require(access.can_work_problem, actor, problem, "You cannot record known errors for this problem.")
    if problem.status in (Status.CLOSED, Status.CANCELLED):
        raise ValidationError(f"{problem.reference} is {problem.get_status_display().lower()}.")
    if not symptom.strip():
        raise ValidationError({"symptom": "Say what the user sees."})
    if not workaround.strip():
        raise ValidationError({"workaround": "Give the workaround, even if it is 'none yet'."})
    known_error = KnownError.objects.create(
        school_id=problem.school_id,
        problem=problem,
        symptom=symptom.strip(),
        workaround=workaround.strip(),
        published=published,
        recorded_by=actor,
    )
    activity.record(
        problem,
        actor=actor,
        kind=Activity.Kind.FIELD,
        text=f"Known error recorded: {known_error.symptom}\nWorkaround: {known_error.workaround}",
    )
    _touch(problem)
    return known_error


@transaction.atomic
def problem_comment(*, problem: Problem, author: User, text: str) -> Activity:
    """Add an investigation note to the problem's timeline (problems are for support staff only)."""
    access.require(access.can_view_problem, author, problem, "You cannot comment on this problem.")
    if not text.strip():
        raise ValidationError({"text": "Write something to add a note."})
    entry = activity.record_comment(problem, actor=author, text=text.strip(), public=True)
    _touch(problem)
    return entry


# =============================================================================
# Proactive Problem Management: recurring incidents raise candidate problems
# =============================================================================


def problem_settings_for(school: School) -> ProblemSettings:
    """The school's settings, or the defaults (unsaved) when it has set none."""
    return ProblemSettings.objects.filter(school=school).first() or ProblemSettings(school=school)


@transaction.atomic
def problem_settings_save(
    *, school: School, actor: User, recurring_incidents: int, recurring_days: int, fix_bands: list[int]
) -> ProblemSettings:
    access.require(access.can_work_problem, actor, school, "You cannot change Problem Management settings here.")
    if recurring_incidents < 2:
        raise ValidationError({"recurring_incidents": "A pattern needs at least 2 incidents."})
    if not 1 <= recurring_days <= 365:
        raise ValidationError({"recurring_days": "Choose a window between 1 and 365 days."})
    bands = sorted(set(fix_bands))
    if not bands or bands[0] < 1 or len(bands) > 6:
        raise ValidationError({"fix_bands": "Give between 1 and 6 bands, each a whole number of days from 1."})
    settings, _ = ProblemSettings.objects.update_or_create(
        school=school,
        defaults={"recurring_incidents": recurring_incidents, "recurring_days": recurring_days, "fix_bands": bands},
    )
    return settings


def _thresholds() -> dict[tuple[int, int], list[int]]:
    """{(incidents, days): [school ids]}: one group per distinct rule, the defaults for schools with none."""
    groups: dict[tuple[int, int], list[int]] = defaultdict(list)
    customised = ProblemSettings.objects.filter(school__is_active=True).values_list(
        "school_id", "recurring_incidents", "recurring_days"
    )
    seen = set()
    for school_id, incidents, days in customised:
        groups[(incidents, days)].append(school_id)
        seen.add(school_id)
    defaults = ProblemSettings()
    rest = School.objects.filter(is_active=True).exclude(pk__in=seen).values_list("pk", flat=True)
    groups[(defaults.recurring_incidents, defaults.recurring_days)].extend(rest)
    return groups


def problem_candidates_spot(*, now=None) -> int:
    """Find incidents recurring on one CI or in one category and raise (or refresh) candidate problems.

    Set-based: per distinct threshold rule, one grouped query per subject (CI, category) counts the
    incidents of the window that no problem explains yet; only the groups over the threshold come
    back. A subject with an open problem is left alone, and so is one a technician dismissed within
    the window. Returns how many candidates were opened or refreshed.
    """
    now = now or timezone.now()
    touched = 0
    for (threshold, days), school_ids in _thresholds().items():
        since = now - timedelta(days=days)
        window = Incident.objects.filter(
            school_id__in=school_ids,
            kind=TicketKind.INCIDENT,
            created_at__gte=since,
            created_at__lte=now,
            duplicate_of__isnull=True,
            problems__isnull=True,
        )
        for subject in ("ci", "category"):
            open_problem = {f"{subject}__problems__status__in": OPEN_STATUSES} if subject == "ci" else None
            rows = window.filter(**{f"{subject}__isnull": False})
            if open_problem:
                rows = rows.exclude(**open_problem)
            rows = (
                rows.order_by()
                .values("school_id", f"{subject}_id")
                .annotate(n=Count("pk"), first=Min("created_at"), last=Max("created_at"))
                .filter(n__gte=threshold)
            )
            for row in rows:
                touched += _candidate_upsert(row, subject, window, days, since)
    return touched


@transaction.atomic
def _candidate_upsert(row: dict, subject: str, window, days: int, since) -> int:
    key = {"school_id": row["school_id"], f"{subject}_id": row[f"{subject}_id"]}
    other = "category" if subject == "ci" else "ci"
    existing = ProblemCandidate.objects.select_for_update().filter(**key, **{f"{other}__isnull": True})
    if existing.filter(status=CandidateStatus.DISMISSED, decided_at__gte=since).exists():
        return 0
    candidate = existing.filter(status=CandidateStatus.OPEN).first()
    fields = {"incident_count": row["n"], "first_at": row["first"], "last_at": row["last"], "window_days": days}
    if candidate is None:
        candidate = ProblemCandidate.objects.create(**key, **fields)
    elif (candidate.incident_count, candidate.last_at) == (row["n"], row["last"]):
        return 0
    else:
        ProblemCandidate.objects.filter(pk=candidate.pk).update(**fields, updated_at=timezone.now())
    candidate.incidents.set(window.filter(**key).values_list("pk", flat=True))
    return 1


@transaction.atomic
def candidate_raise(*, candidate: ProblemCandidate, actor: User, title: str = "") -> Problem:
    """Turn a candidate into a problem record with its incidents linked."""
    candidate = ProblemCandidate.objects.select_for_update().get(pk=candidate.pk)
    if candidate.status != CandidateStatus.OPEN:
        raise ValidationError(f"This candidate was already {candidate.get_status_display().lower()}.")
    incidents = list(candidate.incidents.all())
    problem = problem_log(
        school=candidate.school,
        logged_by=actor,
        title=title.strip() or f"Recurring incidents on {candidate.subject}"[:200],
        description=f"{candidate.incident_count} incidents on {candidate.subject} within "
        f"{candidate.window_days} days: " + ", ".join(i.reference for i in incidents),
        ci=candidate.ci,
        incidents=incidents,
        source=Source.RECURRING,
    )
    candidate.status, candidate.problem = CandidateStatus.RAISED, problem
    candidate.decided_by, candidate.decided_at = actor, timezone.now()
    candidate.save(update_fields=["status", "problem", "decided_by", "decided_at", "updated_at"])
    return problem


@transaction.atomic
def candidate_dismiss(*, candidate: ProblemCandidate, actor: User, note: str) -> ProblemCandidate:
    """Not a problem after all (e.g. a new trolley of laptops): stays quiet for its window."""
    access.require(access.can_work_problem, actor, candidate, "You cannot review candidate problems here.")
    candidate = ProblemCandidate.objects.select_for_update().get(pk=candidate.pk)
    if candidate.status != CandidateStatus.OPEN:
        raise ValidationError(f"This candidate was already {candidate.get_status_display().lower()}.")
    if not note.strip():
        raise ValidationError({"note": "Say why this is not a problem, so the next reviewer knows."})
    candidate.status, candidate.note = CandidateStatus.DISMISSED, note.strip()[:300]
    candidate.decided_by, candidate.decided_at = actor, timezone.now()
    candidate.save(update_fields=["status", "note", "decided_by", "decided_at", "updated_at"])
    return candidate
