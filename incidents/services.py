"""Every operation that changes an incident: log, assign, move along the lifecycle, comment.

Each is one transaction that checks the permission and the transition table, writes the
timeline entry, and queues notifications after commit.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone

from fits import access, activity
from fits.models import Activity, Authority, AuthorityRoleKind, Role, School, TimeEntry, User
from fits.references import next_reference
from incidents.models import (
    PRIORITY_MATRIX,
    Category,
    Channel,
    HoldReason,
    Impact,
    Incident,
    Lesson,
    Priority,
    PriorityRule,
    ResolutionCode,
    Status,
    SupportGroup,
    TicketKind,
    Urgency,
    priority_for,
)

REFERENCE_PREFIXES = {TicketKind.INCIDENT: "INC", TicketKind.REQUEST: "REQ"}
_KEEP: Any = object()  # incident_assign(group=...) left out: the ticket keeps its group


def _notify(incident: Incident, event: str, actor: User | None = None, **context: Any) -> None:
    """Tell the incident's followers about `event` (a WORKFLOW action, "logged", "assigned", "commented"...):
    in the app now, by e-mail after commit (fits.notifications). `context`: plain values for the wording,
    e.g. note="the reason", comment={"text": ...}. The actor is never told of their own act."""
    _notify_followers(incident, event, actor=actor, context=context)


def _clock(incident: Incident, *, new: bool = False) -> None:
    """Recompute the ticket's SLA clock (due times, met flags, next breach check): servicelevels.sla."""
    from servicelevels import sla

    sla.clock_refresh(incident, new=new)


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
    service=None,
) -> Incident:
    """Log an incident (FITS step 2) or a service request: the user's sheet, or a call the desk takes for them.

    The priority follows from impact and urgency (the authority's matrix); a fault in a room
    where a lesson is timetabled now stops teaching, so its urgency is raised to high. The
    reference is the school's next INC (or REQ) number; the category's default group gets it.
    A service request (servicedesk.services.request_log) calls this first, then adds its
    catalogue item and answers; one that needs approval starts awaiting approval.
    The ICT service is `service`, else inferred from the CI (servicelevels.sla.service_for); the
    ticket's SLA clock starts now (due times from the school's agreement or the built-in targets).
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
    for name, record in (("ci", ci), ("location", location), ("service", service)):
        if record is not None and record.school_id != school.pk:
            raise ValidationError({name: f"{record} belongs to another school."})
    if category is not None and not category.applies_at(school):
        raise ValidationError({"category": f"{category} is not a category at {school}."})
    lesson = lesson_now(location) if kind == TicketKind.INCIDENT else None
    if lesson is not None:
        urgency = Urgency.HIGH
    from servicelevels import sla

    if service is None:
        service = sla.service_for(school=school, ci=ci)
    incident = Incident(
        school=school,
        kind=kind,
        service=service,
        ci=ci,
        location=location,
        category=category,
        group=category.default_group if category else None,
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
        security=bool(category and category.is_security),
        lesson=str(lesson) if lesson else "",
        status=Status.PENDING_APPROVAL if awaiting_approval else Status.NEW,
    )
    # Everything read before the reference is taken: its row lock is held until commit, so the ticket's
    # agreement, target and calendar are read first (the clock is then worked out without a query).
    clock_rows = sla.Context(schools={school.pk: school})
    agreement = clock_rows.agreement(incident)
    clock_rows.target(agreement, incident)
    clock_rows.calendar(incident, agreement)
    incident.reference = next_reference(school_id=school.pk, prefix=REFERENCE_PREFIXES[kind])
    incident.save(force_insert=True)
    via = "" if channel == Channel.PORTAL else f" by {Channel(channel).label.lower()}"
    text = f"Logged{via}."
    if lesson is not None:
        text += f" Lesson affected: {lesson} (urgency raised to high)."
    activity.record(incident, actor=logged_by, kind=Activity.Kind.CREATED, text=text)
    sla.clock_refresh(incident, new=True, ctx=clock_rows)
    _notify(incident, "logged", actor=logged_by)
    if safeguarding:
        _alert_safeguarding_leads(incident, actor=logged_by)
    return incident


def _locked(incident: Incident) -> Incident:
    return Incident.objects.select_for_update().get(pk=incident.pk)


@transaction.atomic
def incident_assign(
    *, incident: Incident, assignee: User | None, actor: User, note: str = "", group: SupportGroup | None = _KEEP
) -> Incident:
    """Route the incident to a technician (or back to the unassigned queue), and to one of the school's
    support groups when `group` is given (None: no group). Escalation to the LEA or a supplier is
    incident_escalate. The assignee must be able to hold a ticket of the group (group_can_take)."""
    incident = _locked(incident)
    access.require(access.can_route_incident, actor, incident, "You cannot assign this incident.")
    if not incident.is_open:
        raise ValidationError(f"{incident.reference} is {incident.get_status_display().lower()}; reopen it first.")
    if assignee is not None and not access.can_work_incident.test(assignee, incident):
        raise ValidationError({"assignee": f"{assignee} cannot work incidents at {incident.school}."})
    new_group = incident.group if group is _KEEP else group
    if new_group is not None and new_group != incident.group:
        _check_group_at(new_group, incident)
        if new_group.is_external:
            raise ValidationError({"group": f"{new_group} is outside the school: escalate to it instead."})
    if assignee is not None and new_group is not None and not group_can_take(new_group, assignee):
        raise ValidationError({"assignee": f"{assignee} is not in {new_group}: choose one of its members."})
    if assignee == incident.assignee and new_group == incident.group:
        return incident
    old, old_group = incident.assignee, incident.group
    incident.assignee, incident.group = assignee, new_group
    fields = ["assignee", "group", "updated_at"]
    if assignee is not None:
        fields += _first_response(incident, actor, timezone.now())
    consequence = None
    if assignee is not None and incident.status in (Status.NEW, Status.REOPENED):
        consequence = "assign"
    elif assignee is None and incident.status == Status.ASSIGNED:  # back to the queue: nobody has it now
        consequence = "unassign"
    if consequence:
        incident.status = Incident.WORKFLOW.check(incident.status, consequence).target
        fields.append("status")
    incident.save(update_fields=fields)
    if "first_response_at" in fields or consequence:
        _clock(incident)
    changes = {}
    if old != assignee:
        changes["assignee"] = [str(old) if old else None, str(assignee) if assignee else None]
    if old_group != new_group:  # reassignment history: the group it left and the one it joined
        changes["group"] = [str(old_group) if old_group else None, str(new_group) if new_group else None]
    activity.record(incident, actor=actor, kind=Activity.Kind.ASSIGNMENT, text=note, changes=changes)
    _notify(incident, "assigned", actor=actor, note=note)
    return incident


@transaction.atomic
def incident_transition(
    *,
    incident: Incident,
    action: str,
    actor: User,
    note: str = "",
    hold_reason: str = "",
    resolution_code: str = "",
    minutes: int | None = None,
) -> Incident:
    """Move the incident along its lifecycle by one of the actions in Incident.WORKFLOW.

    `hold` needs the reason work stopped (a HoldReason: the SLA clock pauses only while the
    caller is awaited); `resume` clears it. `resolve` needs a resolution code (a request that
    gives none is `fulfilled`), may log the time spent (`minutes`), and resolving a major
    incident resolves its open children with the same resolution.
    """
    incident = _locked(incident)
    transition = Incident.WORKFLOW.check_action(incident.status, action)
    access.require(transition.permission, actor, incident, f"You cannot {transition.label.lower()} this incident.")
    note = note.strip()
    if transition.note_required and not note:
        raise ValidationError({"note": f"{transition.note_label} is required to {transition.label.lower()}."})
    reason = _checked_hold_reason(hold_reason) if action == "hold" else ""
    code = _checked_resolution_code(incident, resolution_code) if action == "resolve" else ""

    old = incident.status
    incident.status = transition.target
    fields = ["status", "updated_at", "hold_reason"]
    incident.hold_reason = reason
    now = timezone.now()
    if action == "start" and incident.assignee_id != actor.pk:
        incident.assignee = actor
        fields.append("assignee")
    elif action == "resolve":
        incident.resolution, incident.resolved_at, incident.resolution_code = note, now, code
        fields += ["resolution", "resolved_at", "resolution_code"]
        if incident.assignee_id is None:  # resolved at first contact: credit the resolver
            incident.assignee = actor
            fields.append("assignee")
    elif action == "close":
        incident.closed_at = now
        fields.append("closed_at")
    elif action == "reopen":
        incident.resolved_at, incident.resolution_code = None, ""
        incident.reopen_count += 1
        fields += ["resolved_at", "resolution_code", "reopen_count"]
    if action in ("start", "resolve"):
        fields += _first_response(incident, actor, now)
    incident.save(update_fields=fields)
    _clock(incident)
    _record_move(incident, actor=actor, old=old, note=note, hold_reason=reason, resolution_code=code)
    if minutes:
        incident_log_time(incident=incident, person=actor, minutes=minutes, note=transition.label)
    _notify(incident, action, actor=actor, note=note)
    if action == "resolve" and incident.is_major:
        _resolve_children(incident, actor=actor, note=note, resolution_code=code)
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
    now = timezone.now()
    Incident.objects.filter(pk=incident.pk).update(updated_at=now)
    if public and author.pk != incident.reporter_id and access.is_school_staff.test(author, incident):
        if Incident.objects.filter(pk=incident.pk, first_response_at__isnull=True).update(first_response_at=now):
            _clock(incident)
    if public:
        _notify(incident, "commented", actor=author, comment={"text": entry.text})
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
            _clock(incident)
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

    `action` is "assign" (params: assignee), "comment" (text, public), "merge" (into), "reprioritise"
    (impact, urgency) or a lifecycle action of Incident.WORKFLOW (note, and hold_reason or
    resolution_code where the move takes one). A ticket the action does not suit is refused with
    the reason, and the others go ahead.
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
            elif action == "reprioritise":
                incident = incident_reprioritise(
                    incident=incident, actor=actor, impact=params["impact"], urgency=params["urgency"]
                )
            elif action == "merge":
                into, note = params["into"], params.get("note", "")
                incident = incident_merge(duplicate=incident, into=into, actor=actor, note=note)
            else:
                moves = {key: params[key] for key in ("note", "hold_reason", "resolution_code") if key in params}
                incident = incident_transition(incident=incident, action=action, actor=actor, **moves)
        except (ValidationError, PermissionDenied) as error:
            outcome.refused.append((incident, _message(error)))
        else:
            outcome.done.append(incident)
    return outcome


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error) or "Not allowed."


@transaction.atomic
def incident_reprioritise(*, incident: Incident, actor: User, impact: int, urgency: int, note: str = "") -> Incident:
    """Set the impact and urgency the desk now judges right; the priority follows from the authority's matrix.

    FITS prioritises by impact and urgency, never by a bare number: a wider outage or a lesson now
    stopped raises them, a workaround lowers them. Routing work (the desk and technicians); open tickets only.
    """
    incident = _locked(incident)
    access.require(access.can_route_incident, actor, incident, "You cannot change the priority of this ticket.")
    if not incident.is_open:
        raise ValidationError(f"{incident.reference} is {incident.get_status_display().lower()}; reopen it first.")
    impact, urgency = Impact(int(impact)), Urgency(int(urgency))
    priority = priority_for(impact, urgency, authority_id=incident.school.authority_id)
    if (incident.impact, incident.urgency) == (impact, urgency):
        return incident
    old = Priority(incident.priority)
    changes = {
        "impact": [Impact(incident.impact).label, impact.label],
        "urgency": [Urgency(incident.urgency).label, urgency.label],
        "priority": [old.label, priority.label],
    }
    incident.impact, incident.urgency, incident.priority = impact, urgency, priority
    incident.save(update_fields=["impact", "urgency", "priority", "updated_at"])
    _clock(incident)
    text = f"Priority {old.label} → {priority.label} (impact: {impact.label.lower()}; "
    text += f"urgency: {urgency.label.lower()}). {note.strip()}"
    activity.record(incident, actor=actor, kind=Activity.Kind.FIELD, text=text.strip(), changes=changes)
    return incident


@transaction.atomic
def incident_set_service(*, incident: Incident, actor: User, service) -> Incident:
    """Correct the ICT service the ticket counts against (None: no service). The desk's routing work;
    the ticket may move under another agreement, so its due times are worked out again."""
    incident = _locked(incident)
    access.require(access.can_route_incident, actor, incident, "You cannot change the service of this ticket.")
    if service is not None:
        if service.school_id != incident.school_id:
            raise ValidationError({"service": f"{service} belongs to another school."})
        if not service.is_active and service.pk != incident.service_id:
            raise ValidationError({"service": f"{service} is no longer in the catalogue."})
    if (service.pk if service else None) == incident.service_id:
        return incident
    old = incident.service
    old_agreement = incident.agreement
    incident.service = service
    incident.save(update_fields=["service", "updated_at"])
    _clock(incident)
    text = f"Service {old or 'none'} → {service or 'none'}."
    if old_agreement != incident.agreement:
        text += f" Measured against {incident.agreement or 'the built-in targets'} now."
    activity.record(
        incident,
        actor=actor,
        kind=Activity.Kind.FIELD,
        text=text,
        public=False,
        changes={"service": [str(old) if old else None, str(service) if service else None]},
    )
    return incident


@transaction.atomic
def incident_recategorise(*, incident: Incident, actor: User, category: Category | None) -> Incident:
    """Put the ticket in another category (the desk's routing work). A security category (Category.is_security)
    makes it a security incident, seen only by the network manager, leaders, whoever works it and the caller."""
    incident = _locked(incident)
    access.require(access.can_route_incident, actor, incident, "You cannot change the category of this ticket.")
    if category is not None and not category.applies_at(incident.school):
        raise ValidationError({"category": f"{category} is not a category at {incident.school}."})
    if (category.pk if category else None) == incident.category_id:
        return incident
    old = incident.category
    incident.category = category
    incident.security = bool(category and category.is_security)
    incident.save(update_fields=["category", "security", "updated_at"])
    text = f"Category {old or 'none'} → {category or 'none'}."
    if incident.security:
        text += " A security incident: only the network manager, leaders, whoever works it and the caller see it."
    activity.record(
        incident,
        actor=actor,
        kind=Activity.Kind.FIELD,
        text=text,
        public=False,
        changes={"category": [str(old) if old else None, str(category) if category else None]},
    )
    return incident


# =============================================================================
# The caller's side: logging with files, confirming and rating, attachments, safeguarding
# =============================================================================


@transaction.atomic
def incident_submit(
    *,
    uploads=(),
    resolution: str = "",
    resolution_code: str = "",
    **fields,
) -> Incident:
    """Log an incident with its screenshots and documents, in one transaction (the portal and the phone form).

    `fields` are incident_log's. A call the desk resolves while the caller is still on the line
    ("resolved at first contact", FITS: % resolved at the desk) gives its `resolution` (and code):
    the incident is logged and resolved in one go, and the caller only has to confirm.
    """
    incident = incident_log(**fields)
    if uploads:
        incident_attach(incident=incident, actor=fields["logged_by"], uploads=uploads)
    if resolution.strip() or resolution_code:
        if not resolution.strip():
            raise ValidationError({"resolution": "Say how it was resolved, in words the caller understands."})
        incident = incident_transition(
            incident=incident,
            action="resolve",
            actor=fields["logged_by"],
            note=resolution,
            resolution_code=resolution_code,
        )
        Incident.objects.filter(pk=incident.pk).update(resolved_at_first_contact=True)
        incident.resolved_at_first_contact = True
    return incident


@transaction.atomic
def incident_confirm(
    *, incident: Incident, actor: User, satisfaction: int | None = None, comment: str = ""
) -> Incident:
    """The caller confirms that the service is back (FITS closure), rating the service from 1 to 5.

    The incident closes. The rating and its comment are kept on the incident for the service
    report; the desk confirming on the caller's behalf (say, by phone) may leave the rating out.
    """
    from incidents.models import Satisfaction

    incident = _locked(incident)
    transition = Incident.WORKFLOW.check_action(incident.status, "close")
    access.require(transition.permission, actor, incident, "You cannot confirm this incident.")
    if satisfaction is not None and satisfaction not in Satisfaction.values:
        raise ValidationError({"satisfaction": "Rate the service from 1 (very poor) to 5 (excellent)."})
    comment = comment.strip()
    old = incident.status
    incident.status = transition.target
    incident.closed_at = timezone.now()
    incident.satisfaction, incident.satisfaction_comment = satisfaction, comment
    incident.save(update_fields=["status", "closed_at", "satisfaction", "satisfaction_comment", "updated_at"])
    _clock(incident)
    text = "Confirmed: the service is back"
    if satisfaction is not None:
        text += f". Rated {satisfaction} out of 5 ({Satisfaction(satisfaction).label.lower()})"
    text += f": “{comment}”" if comment else "."
    activity.record(
        incident,
        actor=actor,
        kind=Activity.Kind.STATUS,
        text=text,
        changes={"status": [old, incident.status], "satisfaction": [None, satisfaction]},
    )
    _notify(incident, "close", actor=actor)
    return incident


def incident_attach(*, incident: Incident, actor: User, uploads, public: bool = True) -> list:
    """Attach screenshots or documents to the incident: checked by content, kept under random names."""
    from fits import attachments

    with transaction.atomic():
        if not public:
            access.require(access.can_see_internal_notes, actor, incident, "Only support staff attach internal files.")
        added = attachments.attachments_add(
            record=incident, uploads=uploads, actor=actor, permission=access.can_attach_to_incident, public=public
        )
        if added:
            Incident.objects.filter(pk=incident.pk).update(updated_at=timezone.now())
    return added


@transaction.atomic
def incident_flag_safeguarding(*, incident: Incident, actor: User, note: str = "") -> Incident:
    """Raise a safeguarding concern on a ticket (e.g. something seen on a pupil's screen).

    From now on only the reporter, whoever works it, the school's designated safeguarding leads and
    its leaders see it; the leads are told at once. The flag is an internal timeline entry.
    """
    incident = _locked(incident)
    access.require(access.can_flag_safeguarding, actor, incident, "You cannot flag this ticket.")
    if incident.safeguarding:
        return incident
    incident.safeguarding = True
    incident.save(update_fields=["safeguarding", "updated_at"])
    note = note.strip()
    activity.record(
        incident,
        actor=actor,
        kind=Activity.Kind.FIELD,
        public=False,
        text="Flagged as a safeguarding concern: only the safeguarding leads, school leaders, the caller and "
        "whoever works it can see it now." + (f" {note}" if note else ""),
        changes={"safeguarding": [False, True]},
    )
    _alert_safeguarding_leads(incident, actor=actor)
    return incident


@transaction.atomic
def incident_unflag_safeguarding(*, incident: Incident, actor: User, note: str) -> Incident:
    """A safeguarding lead (or a school leader) decides a flagged ticket is not a safeguarding concern."""
    incident = _locked(incident)
    message = "Only a safeguarding lead or a school leader can remove the flag."
    access.require(access.can_unflag_safeguarding, actor, incident, message)
    if not incident.safeguarding:
        return incident
    if not note.strip():
        raise ValidationError({"note": "Say why it is not a safeguarding concern."})
    incident.safeguarding = False
    incident.save(update_fields=["safeguarding", "updated_at"])
    activity.record(
        incident,
        actor=actor,
        kind=Activity.Kind.FIELD,
        public=False,
        text=f"Safeguarding flag removed: {note.strip()}",
        changes={"safeguarding": [True, False]},
    )
    return incident


def _alert_safeguarding_leads(incident: Incident, *, actor: User | None) -> None:
    """Tell the school's designated safeguarding leads at once: in the app, and by an e-mail without the
    details (fits.notifications tells of a safeguarding-flagged record without its summary or notes)."""
    from fits.notifications import notify

    notify(incident, "safeguarding", safeguarding_recipients(incident), actor=actor)


def safeguarding_recipients(incident: Incident) -> list[User]:
    """Who hears of a safeguarding concern: the school's designated leads, or its leaders when none is named."""
    from fits.models import Role

    leads = list(incident.school.safeguarding_leads.filter(is_active=True))
    return leads or list(User.objects.with_role_at(incident.school_id, {Role.SCHOOL_LEADER}))


# =============================================================================
# The timetable (lesson impact): lessons per room, from the school's MIS
# =============================================================================

LESSON_FIELDS = ("location", "weekday", "starts", "ends", "name", "teacher")


def _check_lesson(lesson: Lesson) -> None:
    from cmdb.models import Location

    errors: dict[str, str] = {}
    if lesson.location.kind != Location.Kind.ROOM:
        kind = lesson.location.get_kind_display().lower()
        errors["location"] = f"{lesson.location} is a {kind}: lessons are timetabled in rooms."
    if not lesson.name.strip():
        errors["name"] = "Give the class or group, e.g. 9X2 Computing."
    if lesson.starts and lesson.ends and lesson.ends <= lesson.starts:
        errors["ends"] = "The lesson must end after it starts."
    if not errors:
        clash = (
            Lesson.objects.filter(
                location=lesson.location, weekday=lesson.weekday, starts__lt=lesson.ends, ends__gt=lesson.starts
            )
            .exclude(pk=lesson.pk)
            .first()
        )
        if clash is not None:
            errors["starts"] = f"{lesson.location.name} is taken then: {clash}."
    if errors:
        raise ValidationError(errors)


def _record_timetable(location, *, actor: User, text: str) -> None:
    activity.record(location, actor=actor, kind=Activity.Kind.FIELD, public=False, text=f"Timetable: {text}")


@transaction.atomic
def lesson_create(*, location, actor: User, weekday: int, starts, ends, name: str, teacher: str = "") -> Lesson:
    """Timetable a lesson in a room each week: a fault there during it stops teaching (urgency high)."""
    access.require(access.can_manage_timetable, actor, location, "You cannot change this school's timetable.")
    lesson = Lesson(
        school_id=location.school_id,
        location=location,
        weekday=weekday,
        starts=starts,
        ends=ends,
        name=name.strip(),
        teacher=teacher.strip(),
    )
    _check_lesson(lesson)
    lesson.save()
    _record_timetable(location, actor=actor, text=f"added {lesson}.")
    return lesson


@transaction.atomic
def lesson_update(*, lesson: Lesson, actor: User, **changes) -> Lesson:
    """Change a lesson's room, day, times, class or teacher."""
    lesson = Lesson.objects.select_for_update().select_related("location").get(pk=lesson.pk)
    access.require(access.can_manage_timetable, actor, lesson, "You cannot change this school's timetable.")
    before = str(lesson)
    for name, value in changes.items():
        if name not in LESSON_FIELDS:
            raise ValueError(f"{name} is not a field of a lesson")
        setattr(lesson, name, value.strip() if isinstance(value, str) else value)
    if lesson.location.school_id != lesson.school_id:
        raise ValidationError({"location": f"{lesson.location} belongs to another school."})
    _check_lesson(lesson)
    lesson.save()
    _record_timetable(lesson.location, actor=actor, text=f"changed {before} to {lesson}.")
    return lesson


@transaction.atomic
def lesson_delete(*, lesson: Lesson, actor: User) -> None:
    """Take a lesson off the timetable."""
    access.require(access.can_manage_timetable, actor, lesson, "You cannot change this school's timetable.")
    _record_timetable(lesson.location, actor=actor, text=f"removed {lesson}.")
    lesson.delete()


def lessons_check(*, school: School, actor: User, data: bytes, replace: bool = True):
    """Read a timetable export (CSV: room, weekday, start, end, class, teacher) without changing anything.

    Returns the parsed `incidents.timetable.Timetable` with every problem by row and column. With
    `replace`, the rooms in the file lose their other lessons on import (the file is their whole
    timetable); otherwise the file's lessons must not clash with the ones already there.
    """
    from cmdb.models import Location
    from incidents.timetable import parse_timetable

    access.require(access.can_manage_timetable, actor, school, "You cannot change this school's timetable.")
    locations = list(Location.objects.filter(school=school).select_related("parent__parent"))
    existing = [] if replace else list(Lesson.objects.filter(school=school).select_related("location"))
    return parse_timetable(data, locations=locations, existing=existing)


@transaction.atomic
def lessons_import(*, school: School, actor: User, data: bytes, replace: bool = True):
    """Import a timetable export all or nothing: a file with any problem imports no lesson at all."""
    timetable = lessons_check(school=school, actor=actor, data=data, replace=replace)
    if not timetable.ok:
        problems = [f"row {p.row}, {p.column or 'file'}: {p.message}" for p in timetable.problems[:5]]
        raise ValidationError(["Nothing was imported: the file has problems.", *problems])
    rooms = timetable.rooms
    removed = Lesson.objects.filter(location__in=rooms).delete()[0] if replace else 0
    Lesson.objects.bulk_create(
        Lesson(
            school=school,
            location=row.room,
            weekday=row.weekday,
            starts=row.starts,
            ends=row.ends,
            name=row.name,
            teacher=row.teacher,
        )
        for row in timetable.rows
    )
    counts = Counter(row.room.pk for row in timetable.rows)
    for room in rooms:
        what = f"imported {counts[room.pk]} lesson{'s' if counts[room.pk] != 1 else ''} from the MIS"
        _record_timetable(room, actor=actor, text=f"{what}{' (replacing the room’s timetable)' if replace else ''}.")
    timetable.removed = removed
    return timetable


# =============================================================================
# Groups and escalation, hold reasons and resolution codes, time spent, merging duplicates,
# major incidents, and the desk's configuration (categories, support groups, the priority matrix)
# =============================================================================

# The resolution codes a person chooses from (`duplicate` is set by merging, never chosen).
INCIDENT_RESOLUTION_CODES = (
    ResolutionCode.FIXED,
    ResolutionCode.WORKAROUND,
    ResolutionCode.ADVICE,
    ResolutionCode.REPLACED,
    ResolutionCode.NO_FAULT,
    ResolutionCode.WITHDRAWN,
)
REQUEST_RESOLUTION_CODES = (ResolutionCode.FULFILLED, ResolutionCode.DECLINED, ResolutionCode.WITHDRAWN)
MAX_MINUTES = 24 * 60


def resolution_codes_for(kind: str) -> list[tuple[str, str]]:
    """The (value, label) choices of resolution code for a ticket of `kind` (incident or request)."""
    codes = REQUEST_RESOLUTION_CODES if kind == TicketKind.REQUEST else INCIDENT_RESOLUTION_CODES
    return [(code.value, code.label) for code in codes]


def _checked_hold_reason(value: str) -> str:
    if value not in HoldReason.values:
        raise ValidationError(
            {"hold_reason": "Say why work stops: waiting for the caller, a supplier or the LEA, parts, a visit..."}
        )
    return value


def _checked_resolution_code(incident: Incident, value: str) -> str:
    allowed = dict(resolution_codes_for(incident.kind))
    if not value and incident.kind == TicketKind.REQUEST:
        return ResolutionCode.FULFILLED
    if value not in allowed:
        labels = ", ".join(label.lower() for label in allowed.values())
        raise ValidationError({"resolution_code": f"Choose how it was resolved: {labels}."})
    return value


def _first_response(incident: Incident, actor: User, now) -> list[str]:
    """Stamp the first response by support staff (SLAs measure it); returns the fields to save."""
    if incident.first_response_at is not None:
        return []
    if not (actor.is_superuser or access.is_school_staff.test(actor, incident)):
        return []
    incident.first_response_at = now
    return ["first_response_at"]


def _record_move(
    incident: Incident, *, actor: User | None, old: str, note: str, hold_reason: str = "", resolution_code: str = ""
) -> Activity:
    """The status entry of a move, with the hold reason or resolution code it was made with."""
    changes: dict = {"status": [old, incident.status]}
    if hold_reason:
        changes.update(hold_reason=hold_reason, reason=HoldReason(hold_reason).label)
    if resolution_code:
        changes.update(resolution_code=resolution_code, reason=ResolutionCode(resolution_code).label)
    return activity.record(incident, actor=actor, kind=Activity.Kind.STATUS, text=note, changes=changes)


def _require_open(incident: Incident) -> None:
    if not incident.is_open:
        raise ValidationError(f"{incident.reference} is {incident.get_status_display().lower()}; reopen it first.")


def _move(incident: Incident, action: str) -> str:
    """Apply a move of the table (made by another operation); returns the old status."""
    old = incident.status
    incident.status = Incident.WORKFLOW.check(incident.status, action).target
    return old


def _tell(incident: Incident, event: str, recipients, *, actor: User | None, text: str = "") -> None:
    """Tell `recipients` about `event` on the incident: in the app now, by e-mail after commit."""
    from fits import notifications

    notifications.notify(incident, event, recipients, actor=actor, context={"note": text} if text else {})


# --- Support groups and escalation ------------------------------------------------


def support_unit_people(group: SupportGroup):
    """Who works an LEA support unit's queue: its named members and the authority's support role."""
    if group.kind != SupportGroup.Kind.AUTHORITY or group.authority_id is None:
        return group.members.filter(is_active=True)
    return User.objects.filter(
        models.Q(pk__in=group.members.values("pk"))
        | models.Q(authorityrole__authority_id=group.authority_id, authorityrole__role=AuthorityRoleKind.SUPPORT),
        is_active=True,
    ).distinct()


def group_can_take(group: SupportGroup, person: User) -> bool:
    """Whether `person` may hold a ticket in `group`'s queue.

    A supplier's tickets stay with the school's own technician, who chases the supplier; the LEA
    support unit's are held by its members or anyone with the authority's support role; a school
    team's by its members (a team with no named members: anyone who may work the ticket).
    """
    if group.kind == SupportGroup.Kind.SUPPLIER:
        return True
    if group.kind == SupportGroup.Kind.AUTHORITY:
        if any(
            role.authority_id == group.authority_id and role.role == AuthorityRoleKind.SUPPORT
            for role in person.authority_roles
        ):
            return True
        return group.members.filter(pk=person.pk).exists()
    return not group.members.exists() or group.members.filter(pk=person.pk).exists()


def _check_group_at(group: SupportGroup, incident: Incident) -> None:
    if not group.is_active:
        raise ValidationError({"group": f"{group} is no longer in use."})
    if not group.applies_at(incident.school):
        raise ValidationError({"group": f"{group} does not work for {incident.school}."})


@transaction.atomic
def incident_escalate(
    *, incident: Incident, group: SupportGroup, actor: User, note: str = "", supplier_reference: str = ""
) -> Incident:
    """Functional escalation (FITS: the technician escalates what the school cannot fix).

    To the LEA support unit (an authority's group): the ticket leaves the school's queue for the
    unit's, whose people work tickets of every school of the authority. To a supplier: the ticket
    waits on hold for the supplier, who is e-mailed its details after commit; the supplier's own
    call reference can be recorded now or later. `incident_take_back` undoes either.
    """
    incident = _locked(incident)
    access.require(access.can_escalate_incident, actor, incident, "Only technicians escalate incidents.")
    _require_open(incident)
    if incident.status == Status.PENDING_APPROVAL:
        raise ValidationError(f"{incident.reference} is awaiting approval: it cannot be worked yet.")
    if group is None or not group.is_external:
        raise ValidationError(
            {"group": "Escalate to the LEA support unit or a supplier; route to the school's own team with Assign."}
        )
    _check_group_at(group, incident)
    if group.pk == incident.group_id:
        raise ValidationError({"group": f"{incident.reference} is already with {group}."})
    reference = supplier_reference.strip()
    if len(reference) > 60:
        raise ValidationError({"supplier_reference": "A supplier's reference is at most 60 characters."})
    note = note.strip()
    old_group, old_assignee, old_status = incident.group, incident.assignee, incident.status
    incident.group = group
    fields = ["group", "status", "hold_reason", "assignee", "updated_at"]
    if group.kind == SupportGroup.Kind.AUTHORITY:
        # The unit's queue: nobody at the school holds it any more, and it waits for one of them.
        incident.assignee = None
        if incident.status in Incident.WORKFLOW.transitions["requeue"].sources:
            _move(incident, "requeue")
        incident.hold_reason = ""
    else:
        if incident.status != Status.ON_HOLD:
            _move(incident, "await_supplier")
        incident.hold_reason = HoldReason.AWAITING_SUPPLIER
        if reference:
            incident.supplier_reference = reference
            fields.append("supplier_reference")
    incident.save(update_fields=fields)
    if old_status != incident.status or incident.hold_reason:
        _clock(incident)
    changes = {"group": [str(old_group) if old_group else None, str(group)]}
    if old_assignee != incident.assignee:
        changes["assignee"] = [str(old_assignee) if old_assignee else None, None]
    activity.record(incident, actor=actor, kind=Activity.Kind.ASSIGNMENT, changes={**changes, "escalated": group.kind})
    if note:
        activity.record_comment(incident, actor=actor, text=note, public=False)
    if old_status != incident.status:
        _record_move(incident, actor=actor, old=old_status, note="", hold_reason=incident.hold_reason)
    if reference:
        activity.record(
            incident,
            actor=actor,
            kind=Activity.Kind.FIELD,
            public=False,
            changes={"supplier_reference": [None, reference]},
        )
    if group.kind == SupportGroup.Kind.SUPPLIER:
        from incidents.tasks import incident_email_supplier_task

        transaction.on_commit(lambda: incident_email_supplier_task.delay(incident.pk, group.pk, note))
    else:
        _tell(incident, "escalated", support_unit_people(group), actor=actor, text=note)
    return incident


@transaction.atomic
def incident_take_back(*, incident: Incident, actor: User, note: str = "") -> Incident:
    """De-escalate: the ticket comes back from the LEA support unit or a supplier to the school.

    A technician of the school takes it (it becomes theirs, and work resumes); someone of the unit
    hands it back to the school's queue.
    """
    incident = _locked(incident)
    access.require(access.can_escalate_incident, actor, incident, "Only technicians take back escalated incidents.")
    _require_open(incident)
    if incident.group is None or not incident.group.is_external:
        raise ValidationError(f"{incident.reference} is not with the LEA support unit or a supplier.")
    old_group, old_assignee, old_status = incident.group, incident.assignee, incident.status
    at_school = actor.is_superuser or bool(actor.roles_at(incident.school_id) & {Role.TECHNICIAN, Role.NETWORK_MANAGER})
    incident.group = None
    if at_school:
        incident.assignee = actor
        if incident.status == Status.ON_HOLD:
            _move(incident, "resume")
        elif incident.status in (Status.NEW, Status.REOPENED):
            _move(incident, "assign")
    else:
        if old_group.kind == SupportGroup.Kind.AUTHORITY:
            incident.assignee = None
        if incident.assignee is None and incident.status in Incident.WORKFLOW.transitions["requeue"].sources:
            _move(incident, "requeue")
        elif incident.status == Status.ON_HOLD:
            _move(incident, "resume")
    if incident.status != Status.ON_HOLD:
        incident.hold_reason = ""
    incident.save(update_fields=["group", "assignee", "status", "hold_reason", "updated_at"])
    if old_status != incident.status:
        _clock(incident)
    changes = {"group": [str(old_group), None], "taken_back": True}
    if old_assignee != incident.assignee:
        changes["assignee"] = [str(old_assignee) if old_assignee else None, str(incident.assignee or "") or None]
    activity.record(incident, actor=actor, kind=Activity.Kind.ASSIGNMENT, text=note.strip(), changes=changes)
    if old_status != incident.status:
        _record_move(incident, actor=actor, old=old_status, note="")
    return incident


@transaction.atomic
def incident_set_supplier_reference(*, incident: Incident, actor: User, supplier_reference: str) -> Incident:
    """Record the supplier's (or the LEA's) own call number, to quote when chasing them."""
    incident = _locked(incident)
    access.require(access.can_escalate_incident, actor, incident, "Only technicians record a supplier's reference.")
    reference = supplier_reference.strip()
    if len(reference) > 60:
        raise ValidationError({"supplier_reference": "A supplier's reference is at most 60 characters."})
    if reference == incident.supplier_reference:
        return incident
    old, incident.supplier_reference = incident.supplier_reference, reference
    incident.save(update_fields=["supplier_reference", "updated_at"])
    activity.record(
        incident,
        actor=actor,
        kind=Activity.Kind.FIELD,
        public=False,
        changes={"supplier_reference": [old or None, reference or None]},
    )
    return incident


def incident_email_supplier(*, incident_id: int, group_id: int, note: str = "") -> int:
    """E-mail a supplier the details of a ticket escalated to it (run after commit by a task).

    A safeguarding-flagged ticket's details never leave the school: the supplier is asked to call.
    Returns the number of messages sent.
    """
    from django.core.mail import EmailMessage
    from django.template.loader import render_to_string

    incident = (
        Incident.objects.select_related("school", "reporter", "ci", "location", "category", "category__parent")
        .filter(pk=incident_id)
        .first()
    )
    group = SupportGroup.objects.filter(pk=group_id).first()
    if incident is None or group is None or not group.email:
        return 0
    context = {"incident": incident, "group": group, "note": note, "base_url": settings.FITS_BASE_URL}
    subject = render_to_string("incidents/email/escalation_subject.txt", context).strip()
    body = render_to_string("incidents/email/escalation_body.txt", context)
    reply_to = [incident.school.support_email] if incident.school.support_email else None
    message = EmailMessage(
        subject, body, to=[group.email], reply_to=reply_to, headers={"Auto-Submitted": "auto-generated"}
    )
    return message.send()


# --- Time spent -----------------------------------------------------------------------


@transaction.atomic
def incident_log_time(
    *, incident: Incident, person: User, minutes: int, worked_on: date | None = None, note: str = ""
) -> TimeEntry:
    """Record time a person spent on a ticket (FITS: the cost of support work, workload per technician)."""
    access.require(access.can_log_incident_time, person, incident, "Only technical staff log time on tickets.")
    try:
        minutes = int(minutes)
    except (TypeError, ValueError):
        minutes = 0
    if not 1 <= minutes <= MAX_MINUTES:
        raise ValidationError({"minutes": f"Give the time in minutes, from 1 to {MAX_MINUTES} (a whole day)."})
    today = timezone.localdate()
    worked_on = worked_on or today
    if worked_on > today:
        raise ValidationError({"worked_on": "Time cannot be logged for a day still to come."})
    note = note.strip()
    if len(note) > 200:
        raise ValidationError({"note": "Keep the note to 200 characters."})
    entry = TimeEntry.objects.create(
        school_id=incident.school_id,
        content_type=ContentType.objects.get_for_model(Incident),
        object_id=incident.pk,
        person=person,
        minutes=minutes,
        worked_on=worked_on,
        note=note,
    )
    activity.record(
        incident,
        actor=person,
        kind=Activity.Kind.FIELD,
        public=False,
        text=note,
        changes={"time_spent": minutes, "worked_on": worked_on.isoformat()},
    )
    return entry


def time_entries(incident: Incident):
    """The time logged on a ticket, latest first (for services and tasks; pages start from visible_to)."""
    return TimeEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Incident), object_id=incident.pk
    ).select_related("person")


# --- Merging duplicates ---------------------------------------------------------------


@transaction.atomic
def incident_merge(*, duplicate: Incident, into: Incident, actor: User, note: str = "") -> Incident:
    """Merge a duplicate call into the ticket that survives (the same fault, reported twice).

    The duplicate is closed with the resolution code `duplicate` and points to the survivor; its
    caller is told to follow the survivor. The survivor's timeline says a duplicate was merged
    (publicly, without naming anyone) and quotes the duplicate's description and public comments
    in an internal note. The duplicate keeps its linked problems; its CI and room fill the
    survivor's when it has none.
    """
    if duplicate.pk == into.pk:
        raise ValidationError({"into": "A ticket cannot be merged into itself."})
    locked = {
        i.pk: i for i in Incident.objects.select_for_update().filter(pk__in=[duplicate.pk, into.pk]).order_by("pk")
    }
    duplicate, into = locked[duplicate.pk], locked[into.pk]
    access.require(access.can_merge_incident, actor, duplicate, "You cannot merge this ticket.")
    if into.school_id != duplicate.school_id:
        raise ValidationError({"into": "Only tickets of the same school can be merged."})
    if duplicate.status == Status.CLOSED:
        raise ValidationError(f"{duplicate.reference} is already closed.")
    if into.status == Status.CLOSED:
        raise ValidationError({"into": f"{into.reference} is closed: merge into a ticket that is still open."})
    if duplicate.is_major:
        raise ValidationError("A major incident cannot be merged away: resolve it, and its linked tickets with it.")
    now = timezone.now()
    old = _move(duplicate, "merge")
    duplicate.resolution_code, duplicate.duplicate_of, duplicate.hold_reason = ResolutionCode.DUPLICATE, into, ""
    duplicate.resolution = (
        f"The same fault was already reported as {into.reference}: this ticket was merged into it. "
        f"Updates will be posted there."
    )
    duplicate.resolved_at, duplicate.closed_at = duplicate.resolved_at or now, now
    duplicate.save(
        update_fields=["status", "resolution_code", "duplicate_of", "hold_reason", "resolution", "resolved_at",
                       "closed_at", "updated_at"]
    )  # fmt: skip
    _clock(duplicate)
    _record_move(duplicate, actor=actor, old=old, note=duplicate.resolution, resolution_code=ResolutionCode.DUPLICATE)
    # Tickets merged into the duplicate earlier follow it to the survivor.
    Incident.objects.filter(duplicate_of=duplicate).update(duplicate_of=into)
    fields = ["updated_at"]
    for name in ("ci", "location"):
        if getattr(into, f"{name}_id") is None and getattr(duplicate, f"{name}_id") is not None:
            setattr(into, name, getattr(duplicate, name))
            fields.append(name)
    into.save(update_fields=fields)
    activity.record(
        into,
        actor=actor,
        kind=Activity.Kind.LINK,
        text=f"{duplicate.reference} reported the same fault and was merged into this ticket.",
        changes={"merged": duplicate.reference},
    )
    comments = [e for e in activity.timeline(duplicate, include_internal=False) if e.kind == Activity.Kind.COMMENT]
    quoted = [f"{duplicate.reference} from {duplicate.reporter}, {duplicate.title}:", duplicate.description]
    quoted += [
        f"— {entry.actor or 'System'}, {timezone.localtime(entry.created_at):%d %b %H:%M}: {entry.text}"
        for entry in comments
    ]
    if note.strip():
        quoted.append(f"Note: {note.strip()}")
    activity.record(into, actor=actor, kind=Activity.Kind.COMMENT, public=False, text="\n".join(quoted))
    _notify(duplicate, "merged", actor=actor, note=f"It is now followed as {into.reference}: {into.title}.")
    return duplicate


# --- Major incidents --------------------------------------------------------------------


@transaction.atomic
def incident_declare_major(*, incident: Incident, actor: User, note: str = "") -> Incident:
    """Declare a major incident: many users, or a whole service, down (FITS's major-incident procedure).

    Its impact becomes the whole school (so its priority follows the matrix), the school's leaders
    are told, and the calls of everyone else affected are linked to it as its children.
    """
    incident = _locked(incident)
    access.require(
        access.can_declare_major_incident,
        actor,
        incident,
        "Technicians and the network manager declare major incidents.",
    )
    _require_open(incident)
    if incident.is_major:
        raise ValidationError(f"{incident.reference} is already a major incident.")
    if incident.parent_id:
        raise ValidationError(f"{incident.reference} is part of major incident {incident.parent.reference}.")
    if incident.kind == TicketKind.REQUEST:
        raise ValidationError("A service request cannot be a major incident.")
    old_priority = incident.priority
    incident.is_major, incident.impact = True, Impact.HIGH
    incident.priority = priority_for(incident.impact, incident.urgency, authority_id=incident.school.authority_id)
    incident.save(update_fields=["is_major", "impact", "priority", "updated_at"])
    if old_priority != incident.priority:
        _clock(incident)
    changes: dict = {"is_major": [False, True]}
    if old_priority != incident.priority:
        changes["priority"] = [Priority(old_priority).label, Priority(incident.priority).label]
    text = note.strip() or "Declared a major incident: updates will be posted here and sent to everyone affected."
    activity.record(incident, actor=actor, kind=Activity.Kind.FIELD, text=text, changes=changes)
    leaders = User.objects.with_role_at(incident.school_id, {Role.SCHOOL_LEADER})
    _tell(incident, "major_declared", leaders, actor=actor, text=text)
    return incident


def _lock_pair(first: Incident, second: Incident) -> tuple[Incident, Incident]:
    rows = {i.pk: i for i in Incident.objects.select_for_update().filter(pk__in=[first.pk, second.pk]).order_by("pk")}
    return rows[first.pk], rows[second.pk]


@transaction.atomic
def incident_link_to_major(*, child: Incident, major: Incident, actor: User) -> Incident:
    """Link a call to the major incident it is part of: the same outage, reported by someone else."""
    if child.pk == major.pk:
        raise ValidationError({"major": "A ticket cannot be linked to itself."})
    child, major = _lock_pair(child, major)
    access.require(access.can_update_major_incident, actor, child, "You cannot link this ticket.")
    if child.school_id != major.school_id:
        raise ValidationError({"major": "Only tickets of the same school can be linked to a major incident."})
    if not major.is_major:
        raise ValidationError({"major": f"{major.reference} is not a major incident: declare it first."})
    if not major.is_open:
        raise ValidationError({"major": f"{major.reference} is {major.get_status_display().lower()}."})
    if child.is_major:
        raise ValidationError(f"{child.reference} is a major incident itself.")
    _require_open(child)
    if child.parent_id == major.pk:
        return child
    if child.parent_id:
        raise ValidationError(f"{child.reference} is already part of major incident {child.parent.reference}.")
    child.parent = major
    child.save(update_fields=["parent", "updated_at"])
    activity.record(
        child,
        actor=actor,
        kind=Activity.Kind.LINK,
        text=f"Part of major incident {major.reference}: {major.title}. Its updates are posted here.",
        changes={"major": major.reference},
    )
    activity.record(
        major,
        actor=actor,
        kind=Activity.Kind.LINK,
        public=False,
        text=f"{child.reference} ({child.reporter}) is part of this major incident.",
        changes={"child": child.reference},
    )
    _tell(child, "linked_to_major", [child.reporter], actor=actor, text=major.title)
    return child


@transaction.atomic
def incident_unlink_from_major(*, child: Incident, actor: User) -> Incident:
    """Take a ticket out of its major incident (linked by mistake): it is worked on its own again."""
    child = _locked(child)
    access.require(access.can_update_major_incident, actor, child, "You cannot unlink this ticket.")
    if child.parent_id is None:
        raise ValidationError(f"{child.reference} is not part of a major incident.")
    major = child.parent
    child.parent = None
    child.save(update_fields=["parent", "updated_at"])
    for record, text, public in (
        (child, f"No longer part of major incident {major.reference}.", True),
        (major, f"{child.reference} is no longer part of this major incident.", False),
    ):
        activity.record(
            record, actor=actor, kind=Activity.Kind.LINK, public=public, text=text, changes={"unlinked": True}
        )
    return child


@transaction.atomic
def incident_major_update(*, major: Incident, actor: User, text: str) -> Activity:
    """Post a status update on a major incident: on its timeline and each linked ticket's, and sent to
    everyone who reported it (FITS: the service desk keeps callers informed)."""
    major = _locked(major)
    access.require(access.can_update_major_incident, actor, major, "You cannot post updates on this incident.")
    if not major.is_major:
        raise ValidationError(f"{major.reference} is not a major incident.")
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Write the update: what is known, what is being done, when to expect news."})
    children = list(Incident.objects.filter(parent=major).select_related("reporter"))
    entry = activity.record(
        major, actor=actor, kind=Activity.Kind.COMMENT, text=text, changes={"major_update": major.reference}
    )
    for child in children:
        activity.record(
            child, actor=actor, kind=Activity.Kind.COMMENT, text=text, changes={"major_update": major.reference}
        )
    now = timezone.now()
    Incident.objects.filter(pk__in=[major.pk, *(c.pk for c in children)]).update(updated_at=now)
    if major.first_response_at is None:
        Incident.objects.filter(pk=major.pk).update(first_response_at=now)
        _clock(major)
    told: set[int] = set()
    for ticket in (major, *children):  # each caller hears about, and is linked to, their own ticket
        if ticket.reporter_id not in told:
            told.add(ticket.reporter_id)
            _tell(ticket, "major_update", [ticket.reporter], actor=actor, text=text)
    return entry


def _resolve_children(major: Incident, *, actor: User, note: str, resolution_code: str) -> int:
    """Resolve the open tickets linked to a major incident with its resolution; each caller is told."""
    resolvable = Incident.WORKFLOW.transitions["resolve"].sources
    now = timezone.now()
    resolved = 0
    for child in Incident.objects.select_for_update().filter(parent=major, status__in=resolvable).order_by("pk"):
        old = _move(child, "resolve")
        child.resolution, child.resolution_code, child.resolved_at, child.hold_reason = note, resolution_code, now, ""
        fields = ["status", "resolution", "resolution_code", "resolved_at", "hold_reason", "updated_at"]
        if child.assignee_id is None:
            child.assignee = actor
            fields.append("assignee")
        if child.first_response_at is None:
            child.first_response_at = now
            fields.append("first_response_at")
        child.save(update_fields=fields)
        _clock(child)
        _record_move(
            child,
            actor=actor,
            old=old,
            note=f"Resolved with major incident {major.reference}: {note}",
            resolution_code=resolution_code,
        )
        _notify(child, "resolve", actor=actor, note=note)
        resolved += 1
    return resolved


# --- Configuration: categories, support groups, the priority matrix ------------------


def _owner(*, school: School | None, authority: Authority | None, row=None):
    """The owner of a new configuration row: a school, an authority (for all its schools), or nobody (all)."""
    if row is not None:
        return row.school, row.authority
    if school is not None and authority is not None:
        raise ValidationError("A row belongs to a school or to an authority, not both.")
    return school, authority


def _covers(row, *, school: School | None, authority: Authority | None) -> bool:
    """Whether `row` (a category or group) is in force wherever an owner (school / authority / all) is."""
    if school is not None:
        return row.applies_at(school)
    if authority is not None:
        return row.school_id is None and row.authority_id in (None, authority.pk)
    return row.school_id is None and row.authority_id is None


@transaction.atomic
def category_save(
    *,
    actor: User,
    name: str,
    category: Category | None = None,
    parent: Category | None = None,
    applies_to: str = "",
    default_group: SupportGroup | None = None,
    is_active: bool = True,
    school: School | None = None,
    authority: Authority | None = None,
) -> Category:
    """Add or change a category of the two-level tree (Hardware › Laptop).

    A school adds its own; the authority's consultants and support unit keep the shared ones.
    """
    school, authority = _owner(school=school, authority=authority, row=category)
    probe = category or Category(school=school, authority=authority)
    access.require(access.can_manage_shared_config, actor, probe, "You cannot change these categories.")
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the category a name."})
    if len(name) > 80:
        raise ValidationError({"name": "Keep the name to 80 characters."})
    if applies_to and applies_to not in TicketKind.values:
        raise ValidationError({"applies_to": "Choose incidents, service requests, or both."})
    if parent is not None:
        if category is not None and parent.pk == category.pk:
            raise ValidationError({"parent": "A category cannot sit under itself."})
        if parent.parent_id is not None:
            raise ValidationError({"parent": f"Categories have two levels: {parent} is already a subcategory."})
        if category is not None and category.children.exists():
            raise ValidationError({"parent": f"{category} has subcategories of its own: it stays at the top level."})
        if not _covers(parent, school=school, authority=authority):
            raise ValidationError({"parent": f"{parent} is not a category where this one applies."})
    if default_group is not None and not _covers(default_group, school=school, authority=authority):
        raise ValidationError({"default_group": f"{default_group} does not work everywhere this category applies."})
    siblings = Category.objects.filter(school=school, authority=authority, parent=parent, name__iexact=name)
    if category is not None:
        siblings = siblings.exclude(pk=category.pk)
    if siblings.exists():
        raise ValidationError({"name": f"There is already a category called {name} here."})
    category = category or Category(school=school, authority=authority)
    category.name, category.parent, category.applies_to = name, parent, applies_to
    category.default_group, category.is_active = default_group, is_active
    category.save()
    return category


def _may_join(group: SupportGroup, person: User) -> bool:
    """Members are people who can work the group's tickets where it works."""
    if group.school_id is not None:
        return User.objects.technicians_at(group.school_id).filter(pk=person.pk).exists()
    if group.authority_id is not None:
        return any(role.authority_id == group.authority_id for role in person.authority_roles) or (
            group.kind == SupportGroup.Kind.SUPPLIER
        )
    return True


@transaction.atomic
def support_group_save(
    *,
    actor: User,
    name: str,
    kind: str,
    group: SupportGroup | None = None,
    email: str = "",
    phone: str = "",
    notes: str = "",
    members=(),
    is_active: bool = True,
    school: School | None = None,
    authority: Authority | None = None,
) -> SupportGroup:
    """Add or change a support group: a school's ICT team, the LEA support unit, or a supplier."""
    school, authority = _owner(school=school, authority=authority, row=group)
    probe = group or SupportGroup(school=school, authority=authority)
    access.require(access.can_manage_shared_config, actor, probe, "You cannot change these support groups.")
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the group a name."})
    if kind not in SupportGroup.Kind.values:
        raise ValidationError({"kind": "Choose the school's team, the LEA support unit or a supplier."})
    if kind == SupportGroup.Kind.SCHOOL and school is None:
        raise ValidationError({"kind": "A school's ICT team belongs to a school."})
    if kind == SupportGroup.Kind.AUTHORITY and (authority is None or school is not None):
        raise ValidationError({"kind": "The LEA support unit belongs to an authority, for all its schools."})
    email = email.strip()
    if kind == SupportGroup.Kind.SUPPLIER and not email:
        raise ValidationError({"email": "Escalations are e-mailed to a supplier: give its support address."})
    same_name = SupportGroup.objects.filter(school=school, authority=authority, name__iexact=name)
    if group is not None:
        same_name = same_name.exclude(pk=group.pk)
    if same_name.exists():
        raise ValidationError({"name": f"There is already a group called {name} here."})
    group = group or SupportGroup(school=school, authority=authority)
    group.name, group.kind, group.email, group.phone = name, kind, email, phone.strip()
    group.notes, group.is_active = notes.strip(), is_active
    members = list(members)
    strangers = [str(person) for person in members if not _may_join(group, person)]
    if strangers:
        raise ValidationError({"members": f"{', '.join(strangers)} cannot work this group's tickets."})
    group.full_clean(exclude=["members"])
    group.save()
    group.members.set(members)
    return group


@transaction.atomic
def priority_matrix_save(*, authority: Authority, actor: User, cells: dict[tuple[int, int], int]) -> int:
    """Set an authority's impact x urgency matrix: cells equal to the default are not stored.

    Returns how many cells differ from the default. New tickets, and tickets whose impact or
    urgency changes, take their priority from it.
    """
    access.require(
        access.can_manage_authority_config,
        actor,
        authority,
        "Only the authority's consultants and support unit set its priorities.",
    )
    errors = {}
    for impact in Impact.values:
        for urgency in Urgency.values:
            value = cells.get((impact, urgency))
            if value not in Priority.values:
                errors[f"cell_{impact}_{urgency}"] = "Choose a priority for every cell."
    if errors:
        raise ValidationError(errors)
    differ = 0
    for (impact, urgency), value in cells.items():
        if value == PRIORITY_MATRIX[(impact, urgency)]:
            PriorityRule.objects.filter(authority=authority, impact=impact, urgency=urgency).delete()
        else:
            PriorityRule.objects.update_or_create(
                authority=authority, impact=impact, urgency=urgency, defaults={"priority": value}
            )
            differ += 1
    return differ


# =============================================================================
# Notifications (fits.notifications: in-app rows in the transaction, e-mail after commit)
# =============================================================================

# Lifecycle actions are verbs; the notification events say what happened.
NOTIFICATION_EVENTS = {"resolve": "resolved", "reopen": "reopened", "close": "closed", "expire": "expired"}
# Who hears about what: the caller follows their incident, the technician (or else the group) their work.
_NOTIFY_REPORTER = {"logged", "resolved", "reopened", "closed", "expired", "commented", "hold", "merged"}
_NOTIFY_ASSIGNEE = {"assigned", "reopened", "commented", "closed"}


def incident_followers(incident: Incident, event: str) -> list[User]:
    """Who hears of `event` (a notification event): the caller, and the assignee or, when the ticket is
    with a support group and no one in it has taken it yet, the group's people."""
    people = []
    if event in _NOTIFY_REPORTER:
        people.append(incident.reporter)
    if event in _NOTIFY_ASSIGNEE:
        if incident.assignee_id is not None:
            people.append(incident.assignee)
        elif incident.group_id is not None:
            people += list(support_unit_people(incident.group))
    return people


def _notify_followers(incident: Incident, event: str, *, actor: User | None, context: dict[str, Any]) -> list:
    from fits import notifications

    event = NOTIFICATION_EVENTS.get(event, event)
    people = incident_followers(incident, event)
    if not people:
        return []
    if event == "logged" and incident.channel == Channel.EMAIL:
        actor = None  # the caller e-mailed us: their receipt, with the reference to reply to, goes to them
    return notifications.notify(incident, event, people, context=context, actor=actor)


def incident_send_notifications(*, incident_id: int, event: str, actor_id: int | None = None) -> int:
    """Tell the incident's followers about `event` again (incident_notify_task: a tool or a retry);
    returns how many people were notified."""
    incident = Incident.objects.select_related("school", "reporter", "assignee", "group").filter(pk=incident_id).first()
    if incident is None:
        return 0
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    return len(_notify_followers(incident, event, actor=actor, context={}))
