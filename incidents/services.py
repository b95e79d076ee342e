"""Every operation that changes an incident: log, assign, move along the lifecycle, comment.

Each is one transaction that checks the permission and the transition table, writes the
timeline entry, and queues notifications after commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from fits import access, activity
from fits.models import Activity, School, User
from fits.references import next_reference
from incidents.models import (
    Category,
    Channel,
    Incident,
    Lesson,
    Status,
    TicketKind,
    Urgency,
    priority_for,
)

REFERENCE_PREFIXES = {TicketKind.INCIDENT: "INC", TicketKind.REQUEST: "REQ"}


def _notify(incident: Incident, event: str) -> None:
    from incidents.tasks import incident_notify_task

    transaction.on_commit(lambda: incident_notify_task.delay(incident.pk, event))


def lesson_now(location, at=None) -> Lesson | None:
    """The lesson timetabled in the room `location` at `at` (now), if any."""
    if location is None:
        return None
    at = timezone.localtime(at or timezone.now())
    return (
        Lesson.objects.filter(
            location=location,
            weekday=at.weekday(),
            starts__lte=at.time(),
            ends__gt=at.time(),
        )
        .order_by("starts")
        .first()
    )


@transaction.atomic
def incident_log(
    *,
    school: School,
    logged_by: User,
    title: str,
    description: str,
    impact: int,
    urgency: int,
    reporter: User | None = None,
    room: str = "",
    channel: str = Channel.PORTAL,
    ci=None,
    location=None,
    category: Category | None = None,
    safeguarding: bool = False,
    kind: str = TicketKind.INCIDENT,
    awaiting_approval: bool = False,
) -> Incident:
    """Log an incident (FITS step 2) or a service request: the user's sheet, or a call the desk takes for them.

    The priority follows from impact and urgency (the authority's matrix); a fault in a room
    where a lesson is timetabled now stops teaching, so its urgency is raised to high. The
    reference is the school's next INC (or REQ) number; the category's default group gets it.
    A service request (servicedesk.services.request_log) calls this first, then adds its
    catalogue item and answers; one that needs approval starts awaiting approval.
    """
    reporter = reporter or logged_by
    access.require(access.can_log_incident, logged_by, school, "You cannot log incidents at this school.")
    if reporter != logged_by:
        access.require(
            access.can_log_for_others, logged_by, school, "Only the service desk can log a call for someone else."
        )
        if not access.is_member.test(reporter, school):
            raise ValidationError({"reporter": f"{reporter} has no role at {school}."})
    if not title.strip():
        raise ValidationError({"title": "Give the incident a short summary."})
    for name, record in (("ci", ci), ("location", location)):
        if record is not None and record.school_id != school.pk:
            raise ValidationError({name: f"{record} belongs to another school."})
    if category is not None and not category.applies_at(school):
        raise ValidationError({"category": f"{category} is not a category at {school}."})
    lesson = lesson_now(location) if kind == TicketKind.INCIDENT else None
    if lesson is not None:
        urgency = Urgency.HIGH
    incident = Incident.objects.create(
        school=school,
        kind=kind,
        ci=ci,
        location=location,
        category=category,
        group=category.default_group if category else None,
        reference=next_reference(school_id=school.pk, prefix=REFERENCE_PREFIXES[kind]),
        title=title.strip(),
        description=description.strip(),
        room=room.strip(),
        channel=channel,
        reporter=reporter,
        logged_by=logged_by,
        impact=impact,
        urgency=urgency,
        priority=priority_for(impact, urgency, authority_id=school.authority_id),
        safeguarding=safeguarding,
        lesson=str(lesson) if lesson else "",
        status=Status.PENDING_APPROVAL if awaiting_approval else Status.NEW,
    )
    via = "" if channel == Channel.PORTAL else f" by {Channel(channel).label.lower()}"
    text = f"Logged{via}."
    if lesson is not None:
        text += f" Lesson affected: {lesson} (urgency raised to high)."
    activity.record(incident, actor=logged_by, kind=Activity.Kind.CREATED, text=text)
    _notify(incident, "logged")
    return incident


def _locked(incident: Incident) -> Incident:
    return Incident.objects.select_for_update().get(pk=incident.pk)


@transaction.atomic
def incident_assign(*, incident: Incident, assignee: User | None, actor: User, note: str = "") -> Incident:
    """Route the incident to a technician (or back to the unassigned queue)."""
    incident = _locked(incident)
    access.require(access.can_route_incident, actor, incident, "You cannot assign this incident.")
    if not incident.is_open:
        raise ValidationError(f"{incident.reference} is {incident.get_status_display().lower()}; reopen it first.")
    if assignee is not None and not access.can_work_incident.test(assignee, incident):
        raise ValidationError({"assignee": f"{assignee} cannot work incidents at {incident.school}."})
    if assignee == incident.assignee:
        return incident
    old = incident.assignee
    incident.assignee = assignee
    fields = ["assignee", "updated_at"]
    consequence = None
    if assignee is not None and incident.status in (Status.NEW, Status.REOPENED):
        consequence = "assign"
    elif assignee is None and incident.status == Status.ASSIGNED:  # back to the queue: nobody has it now
        consequence = "unassign"
    if consequence:
        incident.status = Incident.WORKFLOW.check(incident.status, consequence).target
        fields.append("status")
    incident.save(update_fields=fields)
    activity.record(
        incident,
        actor=actor,
        kind=Activity.Kind.ASSIGNMENT,
        text=note,
        changes={"assignee": [str(old) if old else None, str(assignee) if assignee else None]},
    )
    _notify(incident, "assigned")
    return incident


@transaction.atomic
def incident_transition(*, incident: Incident, action: str, actor: User, note: str = "") -> Incident:
    """Move the incident along its lifecycle by one of the actions in Incident.WORKFLOW."""
    incident = _locked(incident)
    transition = Incident.WORKFLOW.check_action(incident.status, action)
    access.require(transition.permission, actor, incident, f"You cannot {transition.label.lower()} this incident.")
    note = note.strip()
    if transition.note_required and not note:
        raise ValidationError({"note": f"{transition.note_label} is required to {transition.label.lower()}."})

    old = incident.status
    incident.status = transition.target
    fields = ["status", "updated_at"]
    now = timezone.now()
    if action == "start" and incident.assignee_id != actor.pk:
        incident.assignee = actor
        fields.append("assignee")
    elif action == "resolve":
        incident.resolution, incident.resolved_at = note, now
        fields += ["resolution", "resolved_at"]
        if incident.assignee_id is None:  # resolved at first contact: credit the resolver
            incident.assignee = actor
            fields.append("assignee")
    elif action == "close":
        incident.closed_at = now
        fields.append("closed_at")
    elif action == "reopen":
        incident.resolved_at = None
        fields.append("resolved_at")
    incident.save(update_fields=fields)
    activity.record_status(incident, actor=actor, old=old, new=incident.status, note=note)
    _notify(incident, action)
    return incident


@transaction.atomic
def incident_comment(*, incident: Incident, author: User, text: str, public: bool = True) -> Activity:
    """Add a comment to the timeline: public (the caller sees it) or an internal note."""
    access.require(access.can_comment_incident, author, incident, "You cannot comment on this incident.")
    if not public:
        access.require(access.can_see_internal_notes, author, incident, "Only support staff write internal notes.")
    if not text.strip():
        raise ValidationError({"text": "Write something to add a comment."})
    entry = activity.record_comment(incident, actor=author, text=text.strip(), public=public)
    Incident.objects.filter(pk=incident.pk).update(updated_at=timezone.now())
    if public:
        _notify(incident, "commented")
    return entry


def incident_close_unconfirmed(*, now=None) -> int:
    """Close resolved incidents whose caller neither confirmed nor reopened them within the grace period.

    FITS closure: the desk tells the user and files the record; silence after the grace period
    counts as confirmation. Returns how many were closed.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.FITS_AUTO_CLOSE_DAYS)
    closed = 0
    for pk in Incident.objects.filter(status=Status.RESOLVED, resolved_at__lt=cutoff).values_list("pk", flat=True):
        with transaction.atomic():
            incident = Incident.objects.select_for_update().get(pk=pk)
            if incident.status != Status.RESOLVED:  # confirmed or reopened meanwhile
                continue
            incident.status = Incident.WORKFLOW.check(incident.status, "expire").target
            incident.closed_at = now
            incident.save(update_fields=["status", "closed_at", "updated_at"])
            activity.record_status(
                incident,
                actor=None,
                old=Status.RESOLVED,
                new=Status.CLOSED,
                note=f"Closed automatically: no reply from the caller within {settings.FITS_AUTO_CLOSE_DAYS} days.",
            )
            _notify(incident, "expire")
            closed += 1
    return closed


@dataclass
class BulkOutcome:
    """What a bulk action did: the tickets it changed, and why each other one was left alone."""

    done: list[Incident] = field(default_factory=list)
    refused: list[tuple[Incident, str]] = field(default_factory=list)


def incident_bulk(*, incidents, actor: User, action: str, **params) -> BulkOutcome:
    """Apply one action to many tickets, each in its own transaction through the one-ticket services.

    `action` is "assign" (params: assignee), "comment" (text, public) or a lifecycle action of
    Incident.WORKFLOW (note). A ticket the action does not suit is refused with the reason, and
    the others go ahead.
    """
    outcome = BulkOutcome()
    for incident in incidents:
        try:
            if action == "assign":
                incident = incident_assign(incident=incident, assignee=params.get("assignee"), actor=actor)
            elif action == "comment":
                incident_comment(
                    incident=incident, author=actor, text=params.get("text", ""), public=params.get("public", True)
                )
            else:
                note = params.get("note", "")
                incident = incident_transition(incident=incident, action=action, actor=actor, note=note)
        except (ValidationError, PermissionDenied) as error:
            outcome.refused.append((incident, _message(error)))
        else:
            outcome.done.append(incident)
    return outcome


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or "Not allowed."


# =============================================================================
# Notifications (run by incidents.tasks after the change has committed)
# =============================================================================

# Who hears about what: the caller follows their incident, the technician their work.
_NOTIFY_REPORTER = {"logged", "resolve", "reopen", "close", "expire", "commented", "hold"}
_NOTIFY_ASSIGNEE = {"assigned", "reopen", "commented", "close"}


def incident_send_notifications(*, incident_id: int, event: str) -> int:
    """E-mail the caller and the assignee about an event on the incident; returns messages sent."""
    from django.core.mail import send_mail
    from django.template.loader import render_to_string

    incident = Incident.objects.select_related("school", "reporter", "assignee").filter(pk=incident_id).first()
    if incident is None:
        return 0
    recipients = set()
    if event in _NOTIFY_REPORTER and incident.reporter.email:
        recipients.add(incident.reporter.email)
    if event in _NOTIFY_ASSIGNEE and incident.assignee and incident.assignee.email:
        recipients.add(incident.assignee.email)
    if not recipients:
        return 0
    context = {"incident": incident, "event": event, "base_url": settings.FITS_BASE_URL}
    subject = render_to_string("incidents/email/subject.txt", context).strip()
    body = render_to_string("incidents/email/body.txt", context)
    return send_mail(subject, body, None, sorted(recipients))
