"""Every operation that changes an incident: log, assign, move along the lifecycle, comment.

Each is one transaction that checks the permission and the transition table, writes the
timeline entry, and queues notifications after commit.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from fits import access, activity
from fits.models import Activity, School, User
from fits.references import next_reference
from incidents.models import Channel, Incident, Status, priority_for

REFERENCE_PREFIX = "INC"


def _notify(incident: Incident, event: str) -> None:
    from incidents.tasks import incident_notify_task

    transaction.on_commit(lambda: incident_notify_task.delay(incident.pk, event))


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
) -> Incident:
    """Log an incident (FITS step 2): the user's incident sheet, or a call the desk takes for them.

    The priority follows from impact and urgency; the reference is the school's next INC number.
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
    if ci is not None and ci.school_id != school.pk:
        raise ValidationError({"ci": f"{ci} belongs to another school."})
    incident = Incident.objects.create(
        school=school,
        ci=ci,
        reference=next_reference(school_id=school.pk, prefix=REFERENCE_PREFIX),
        title=title.strip(),
        description=description.strip(),
        room=room.strip(),
        channel=channel,
        reporter=reporter,
        logged_by=logged_by,
        impact=impact,
        urgency=urgency,
        priority=priority_for(impact, urgency),
    )
    via = "" if channel == Channel.PORTAL else f" by {Channel(channel).label.lower()}"
    activity.record(incident, actor=logged_by, kind=Activity.Kind.CREATED, text=f"Logged{via}.")
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
