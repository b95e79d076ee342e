"""Every operation that changes a request for change: raise, assess, submit, approve or reject, schedule,
implement, review, close, cancel.

Each is one transaction that checks the permission (fits.access), moves the status through the change's
workflow table (RequestForChange.WORKFLOW) and writes the timeline entry. The rules they apply (risk, who
must approve, freeze and maintenance windows) are in changes/policy.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from changes import policy
from changes.models import (
    FINISHED_STATUSES,
    ApprovalRole,
    CABMeeting,
    ChangeApproval,
    ChangeKind,
    ChangeTemplate,
    Decision,
    RequestForChange,
    ReviewOutcome,
    Risk,
    Status,
)
from changes.selectors import change_impact
from cmdb import topology
from fits import access, activity
from fits.models import Activity, Role, School, User
from fits.notifications import notify
from fits.references import next_reference
from fits.workflow import InvalidTransition

REFERENCE_PREFIX = "CHG"


# =============================================================================
# Helpers
# =============================================================================


def _locked(change: RequestForChange) -> RequestForChange:
    return RequestForChange.objects.select_for_update().get(pk=change.pk)


def _move(change: RequestForChange, name: str, *, actor: User | None, note: str = "", check: bool = True) -> str:
    """Move `change` along the transition `name` (checked against the table and the actor); returns the old status."""
    workflow = RequestForChange.WORKFLOW
    try:
        transition = workflow.check(change.status, name)
    except InvalidTransition:
        if name not in workflow.transitions:
            raise
        # Say it about this change, and offer the emergency moves only to an emergency change.
        allowed = [
            t.label.lower()
            for t in workflow.allowed(change.status)
            if change.is_emergency or not t.name.startswith("emergency_")
        ]
        raise InvalidTransition(
            f"Cannot {workflow.transitions[name].label.lower()} {change.reference}: it is "
            f"{change.get_status_display().lower()}; from there you can: {', '.join(allowed) or 'nothing'}."
        ) from None
    if check:
        access.require(
            transition.permission,
            actor,
            change,
            f"You cannot {transition.label.lower()} {change.reference}.",
        )
    if transition.note_required and not note.strip():
        raise ValidationError({"note": f"{transition.note_label}: please say."})
    old = change.status
    change.status = transition.target
    return old


def _save_move(change: RequestForChange, old: str, *, actor: User | None, note: str = "", fields=()) -> None:
    change.save(update_fields=["status", "updated_at", *fields])
    activity.record_status(change, actor=actor, old=old, new=change.status, note=note.strip())


def _check_links(school: School, cis, incidents) -> None:
    for ci in cis:
        if ci.school_id != school.pk:
            raise ValidationError({"cis": f"{ci} belongs to another school."})
    for incident in incidents:
        if incident.school_id != school.pk:
            raise ValidationError({"incidents": f"{incident.reference} belongs to another school."})


def _notice(change: RequestForChange) -> dict:
    """What a change's notifications say beyond the record: its window, its items and its impact (the CMDB's)."""
    if change.planned_start and change.planned_end:
        start, end = timezone.localtime(change.planned_start), timezone.localtime(change.planned_end)
        window = f"{start:%a %d %b %Y %H:%M} to " + (
            f"{end:%H:%M}" if start.date() == end.date() else f"{end:%a %d %b %Y %H:%M}"
        )
    else:
        window = ""
    return {
        "change": {
            "window": window,
            "cis": ", ".join(change.cis.order_by("name").values_list("name", flat=True)),
            "impact": change_impact(change).summary,
        },
        "ticket": {"assignee": str(change.implementer) if change.implementer_id else ""},
    }


def _review_needed(change: RequestForChange, *, actor: User | None, note: str = "") -> None:
    """An emergency change ran without approval: the school's network managers and leaders review it."""
    if not change.is_emergency or change.approvals.filter(role=ApprovalRole.RETROSPECTIVE).exists():
        return
    reviewers = User.objects.with_role_at(change.school_id, {Role.NETWORK_MANAGER, Role.SCHOOL_LEADER})
    notify(change, "change_review_needed", reviewers, actor=actor, context={**_notice(change), "note": note})


def _check_window(start: datetime | None, end: datetime | None) -> None:
    if (start is None) != (end is None):
        raise ValidationError({"planned_end": "Give both the start and the end of the planned window."})
    if start is not None and end <= start:
        raise ValidationError({"planned_end": "The planned window must end after it starts."})


# =============================================================================
# Raising and assessing
# =============================================================================


@transaction.atomic
def rfc_create(
    *,
    school: School,
    requester: User,
    title: str,
    reason: str = "",
    kind: str = ChangeKind.NORMAL,
    template: ChangeTemplate | None = None,
    description: str = "",
    cis=(),
    incidents=(),
    is_major: bool = False,
    implementation_plan: str = "",
    test_plan: str = "",
    backout_plan: str = "",
    planned_start: datetime | None = None,
    planned_end: datetime | None = None,
    implementer: User | None = None,
) -> RequestForChange:
    """Raise a request for change at `school`, as a draft. A standard change follows an active template,
    whose plans and duration fill in what is not given; it is low risk by definition."""
    access.require(access.can_raise_change, requester, school, "You cannot raise changes at this school.")
    if kind not in ChangeKind.values:
        raise ValidationError({"kind": f"Unknown kind of change {kind!r}."})
    if kind == ChangeKind.STANDARD:
        if template is None:
            raise ValidationError({"template": "A standard change follows one of the pre-approved templates."})
        if not template.is_active or not template.applies_at(school):
            raise ValidationError({"template": f"“{template}” is not a standard change at {school}."})
        title = title or template.name
        reason = reason or template.description or template.name
        implementation_plan = implementation_plan or template.implementation_plan
        test_plan = test_plan or template.test_plan
        backout_plan = backout_plan or template.backout_plan
        if planned_start is not None and planned_end is None:
            planned_end = planned_start + timedelta(minutes=template.duration_minutes)
    elif template is not None:
        raise ValidationError({"template": "Only standard changes follow a template."})
    if not title.strip():
        raise ValidationError({"title": "Give the change a short summary."})
    if not reason.strip():
        raise ValidationError({"reason": "Say why the change is needed."})
    _check_window(planned_start, planned_end)
    cis, incidents = list(cis), list(incidents)
    _check_links(school, cis, incidents)
    if implementer is not None and not access.can_raise_change.test(implementer, school):
        raise ValidationError({"implementer": f"{implementer} cannot carry out changes at {school}."})
    change = RequestForChange.objects.create(
        school=school,
        reference=next_reference(school_id=school.pk, prefix=REFERENCE_PREFIX),
        kind=kind,
        template=template,
        title=title.strip(),
        reason=reason.strip(),
        description=description.strip(),
        is_major=is_major,
        implementation_plan=implementation_plan.strip(),
        test_plan=test_plan.strip(),
        backout_plan=backout_plan.strip(),
        planned_start=planned_start,
        planned_end=planned_end,
        requester=requester,
        implementer=implementer,
        risk=Risk.LOW if kind == ChangeKind.STANDARD else "",
    )
    change.cis.set(cis)
    change.incidents.set(incidents)
    activity.record(change, actor=requester, kind=Activity.Kind.CREATED, text="Raised.")
    return change


# What a draft's requester may still edit: the rest comes from the workflow (status, approvals, review).
EDITABLE_FIELDS = (
    "title",
    "reason",
    "description",
    "is_major",
    "implementation_plan",
    "test_plan",
    "backout_plan",
    "planned_start",
    "planned_end",
    "implementer",
)


@transaction.atomic
def rfc_update(*, change: RequestForChange, actor: User, cis=None, incidents=None, **fields) -> RequestForChange:
    """Edit a draft: its summary, reason, plans, planned window, implementer, affected CIs and linked incidents.

    Only a draft is edited: once submitted, its approvers decide on what they read. Each edited field is
    recorded on the timeline (field history keeps the old text)."""
    change = _locked(change)
    access.require(access.can_raise_change, actor, change, f"You cannot edit {change.reference}.")
    if change.status != Status.DRAFT:
        raise ValidationError(
            f"{change.reference} is {change.get_status_display().lower()}: only a draft can be edited. "
            "Cancel it and raise a new one if the plan has changed."
        )
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"These cannot be edited on a change: {', '.join(sorted(unknown))}.")
    for name in ("title", "reason", "description", "implementation_plan", "test_plan", "backout_plan"):
        if name in fields:
            fields[name] = (fields[name] or "").strip()
    if "title" in fields and not fields["title"]:
        raise ValidationError({"title": "Give the change a short summary."})
    if "reason" in fields and not fields["reason"]:
        raise ValidationError({"reason": "Say why the change is needed."})
    start = fields.get("planned_start", change.planned_start)
    end = fields.get("planned_end", change.planned_end)
    _check_window(start, end)
    implementer = fields.get("implementer", change.implementer)
    if "implementer" in fields and implementer is not None and not access.can_raise_change.test(implementer, change):
        raise ValidationError({"implementer": f"{implementer} cannot carry out changes at {change.school}."})
    _check_links(change.school, cis or (), incidents or ())
    changed = {}
    for name, value in fields.items():
        old = getattr(change, name)
        if old != value:
            changed[name] = [str(old) if old not in (None, "") else "", str(value) if value not in (None, "") else ""]
            setattr(change, name, value)
    if changed:
        change.save(update_fields=[*changed, "updated_at"])
    if cis is not None:
        before = set(change.cis.values_list("pk", flat=True))
        after = {ci.pk for ci in cis}
        if before != after:
            change.cis.set(cis)
            changed["cis"] = [len(before), len(after)]
    if incidents is not None:
        before = set(change.incidents.values_list("pk", flat=True))
        after = {incident.pk for incident in incidents}
        if before != after:
            change.incidents.set(incidents)
            changed["incidents"] = [len(before), len(after)]
    if changed:
        labels = [RequestForChange._meta.get_field(name).verbose_name for name in changed]
        activity.record(
            change,
            actor=actor,
            kind=Activity.Kind.FIELD,
            text="Edited: " + ", ".join(labels) + ".",
            changes=changed,
        )
    return change


@transaction.atomic
def rfc_assess(*, change: RequestForChange, actor: User, answers: dict[str, str]) -> RequestForChange:
    """Answer the risk questionnaire (changes/policy.py); the answers give the change its risk level.
    Only while it is a draft: the risk decides who must approve it."""
    change = _locked(change)
    access.require(access.can_raise_change, actor, change, f"You cannot assess {change.reference}.")
    if change.status != Status.DRAFT:
        raise ValidationError(
            f"{change.reference} is {change.get_status_display().lower()}: its risk was assessed before it was "
            "submitted."
        )
    try:
        risk = policy.risk_level(answers)
    except policy.QuestionnaireError as error:
        raise ValidationError(error.errors) from error
    answers = {q.key: answers[q.key] for q in policy.QUESTIONS}
    old = change.risk
    change.risk_answers, change.risk = answers, risk
    change.save(update_fields=["risk_answers", "risk", "updated_at"])
    activity.record(
        change,
        actor=actor,
        kind=Activity.Kind.FIELD,
        text=f"Risk assessed: {change.get_risk_display().lower()} ({policy.risk_score(answers)} points).",
        changes={"risk": [old, risk]},
    )
    return change


# =============================================================================
# Approval
# =============================================================================


def _approvers(change: RequestForChange, roles: list[str]) -> list[User]:
    people: list[User] = []
    if ApprovalRole.NETWORK_MANAGER in roles:
        people += User.objects.with_role_at(change.school_id, {Role.NETWORK_MANAGER})
    if ApprovalRole.LEADER in roles:
        people += User.objects.with_role_at(change.school_id, {Role.SCHOOL_LEADER})
    if ApprovalRole.CAB in roles and change.cab is not None:
        people += change.cab.members.all()
    return [person for person in people if person.pk != change.requester_id]


@transaction.atomic
def rfc_submit(*, change: RequestForChange, actor: User) -> RequestForChange:
    """Submit the change for approval. A standard change is approved at once (its template is pre-approved);
    a high-risk one goes to the school's change advisory board; the approvers are told."""
    change = _locked(change)
    missing = []
    if change.kind == ChangeKind.NORMAL and not change.risk:
        missing.append(("risk", "Answer the risk questionnaire first."))
    if not change.implementation_plan:
        missing.append(("implementation_plan", "Write the implementation plan."))
    if change.kind == ChangeKind.NORMAL and not change.backout_plan:
        missing.append(("backout_plan", "Write the backout plan: how to undo the change if it goes wrong."))
    old = _move(change, "submit", actor=actor)
    if missing:
        raise ValidationError(dict(missing))
    if ApprovalRole.CAB in policy.required_roles(change):
        change.cab = policy.board_for(change.school)
        if change.cab is None:
            raise ValidationError(
                f"{change.reference} is high risk and needs a change advisory board, but none serves "
                f"{change.school}: ask the network manager or the LEA to set one up."
            )
    change.submitted_at = timezone.now()
    _save_move(change, old, actor=actor, fields=["cab", "submitted_at"])
    needed = policy.required_roles(change)
    if change.kind == ChangeKind.STANDARD and not needed:
        _approve(change, actor=actor, note=f"Standard change: pre-approved as “{change.template}”.")
    elif needed:
        notify(change, "change_approval_needed", _approvers(change, needed), actor=actor, context=_notice(change))
    return change


def _approve(change: RequestForChange, *, actor: User | None, note: str) -> None:
    old = _move(change, "approve", actor=actor, check=False)
    change.approved_at = timezone.now()
    _save_move(change, old, actor=actor, note=note, fields=["approved_at"])


def _may_vote_as(user: User, change: RequestForChange, role: str) -> str | None:
    """Why `user` may not decide on `change` as `role`, or None when they may."""
    if user.pk == change.requester_id:
        return f"You raised {change.reference}, so you cannot approve or reject it: someone else must."
    if role == ApprovalRole.NETWORK_MANAGER:
        if not (user.is_superuser or Role.NETWORK_MANAGER in user.roles_at(change.school_id)):
            return f"Only a network manager of {change.school} approves {change.reference}; technicians cannot."
    elif role == ApprovalRole.LEADER:
        if not (user.is_superuser or Role.SCHOOL_LEADER in user.roles_at(change.school_id)):
            return f"{change.reference} is a major change: a school leader of {change.school} must approve it."
    elif role == ApprovalRole.CAB:
        board = change.cab
        if board is None or not board.members.filter(pk=user.pk).exists():
            return f"Only members of {board or 'the change advisory board'} vote on {change.reference}."
        if not access.can_vote_on_change.test(user, change):
            return "Technicians cannot approve changes, even on the board."
    elif role == ApprovalRole.RETROSPECTIVE:
        if not access.can_approve_change.test(user, change):
            return f"A network manager or a school leader of {change.school} reviews {change.reference}."
    return None


@transaction.atomic
def rfc_vote(
    *,
    change: RequestForChange,
    approver: User,
    decision: str,
    comment: str = "",
    role: str | None = None,
    meeting: CABMeeting | None = None,
) -> ChangeApproval:
    """Record `approver`'s decision on `change`, in `role` (by default the first awaited one they can give).
    A vote cast at a CAB `meeting` of the change's board is minuted there (changes/cab.py meeting_vote).

    A submitted change is approved once every approval it needs is given, and rejected as soon as a
    network manager or leader rejects it, or its board can no longer reach its quorum. An emergency change
    takes a retrospective review once work has started. Refusals say who may decide instead."""
    change = _locked(change)
    if decision not in Decision.values:
        raise ValidationError({"decision": "Approve or reject."})
    comment = comment.strip()
    if meeting is not None and (change.cab_id is None or meeting.board_id != change.cab_id):
        raise ValidationError(f"{change.reference} is not on the agenda of {meeting}: another board decides it.")
    if change.is_emergency:
        if change.status not in (Status.IN_PROGRESS, *FINISHED_STATUSES):
            raise ValidationError(
                f"{change.reference} is an emergency change: it is reviewed after it has run, not approved before."
            )
        awaiting = [ApprovalRole.RETROSPECTIVE]
        if change.approvals.filter(role=ApprovalRole.RETROSPECTIVE).exists():
            raise ValidationError(f"{change.reference} has had its retrospective review.")
    else:
        if change.status != Status.SUBMITTED:
            raise ValidationError(
                f"{change.reference} is {change.get_status_display().lower()}: only a change awaiting approval "
                "can be approved or rejected."
            )
        awaiting = policy.approval_state(change).awaiting
    if role is None:
        reasons = [(r, _may_vote_as(approver, change, r)) for r in awaiting]
        role = next((r for r, why in reasons if why is None), None)
        if role is None:
            raise ValidationError(reasons[0][1] if reasons else f"{change.reference} awaits no approval.")
    else:
        if role not in awaiting:
            raise ValidationError(
                {"role": f"{change.reference} awaits no {ApprovalRole(role).label.lower()} decision."}
            )
        why = _may_vote_as(approver, change, role)
        if why:
            raise ValidationError(why)
    if ChangeApproval.objects.filter(change=change, approver=approver, role=role).exists():
        raise ValidationError(f"You have already voted on {change.reference}.")
    if (role == ApprovalRole.CAB or decision == Decision.REJECT) and not comment:
        raise ValidationError({"comment": "Give the reason for your decision: it is minuted with your vote."})
    vote = ChangeApproval.objects.create(
        school_id=change.school_id,
        change=change,
        approver=approver,
        role=role,
        decision=decision,
        comment=comment,
        meeting=meeting,
    )
    verb = "approved" if decision == Decision.APPROVE else "rejected"
    activity.record(
        change,
        actor=approver,
        kind=Activity.Kind.COMMENT,
        text=f"{vote.get_role_display()}: {verb}." + (f" {comment}" if comment else ""),
        public=True,
    )
    if role == ApprovalRole.RETROSPECTIVE:
        return vote
    state = policy.approval_state(change)
    if state.rejected:
        old = _move(change, "reject", actor=approver, check=False)
        _save_move(change, old, actor=approver, note="; ".join(state.rejected_by) + ".")
        notify(change, "change_rejected", [change.requester], actor=approver, context={"note": comment})
    elif state.approved:
        _approve(change, actor=approver, note="Every approval it needs is given.")
        notify(change, "change_approved", [change.requester], actor=approver, context={"note": comment})
    return vote


@transaction.atomic
def rfc_approve(*, change: RequestForChange, approver: User, comment: str = "", role: str | None = None):
    return rfc_vote(change=change, approver=approver, decision=Decision.APPROVE, comment=comment, role=role)


@transaction.atomic
def rfc_reject(*, change: RequestForChange, approver: User, comment: str, role: str | None = None):
    return rfc_vote(change=change, approver=approver, decision=Decision.REJECT, comment=comment, role=role)


# =============================================================================
# The forward schedule: conflicts, freezes, maintenance windows
# =============================================================================


@dataclass
class Conflict:
    """Another planned change whose window overlaps and that touches the same or a dependent CI."""

    change: RequestForChange
    same: list  # CIs both changes touch
    dependent: list  # CIs of the other change that depend on, or are relied on by, this change's CIs

    @property
    def text(self) -> str:
        parts = []
        if self.same:
            parts.append("also changes " + ", ".join(ci.name for ci in self.same))
        if self.dependent:
            parts.append("changes dependent " + ", ".join(ci.name for ci in self.dependent))
        return f"{self.change.reference} ({self.change.title}) {' and '.join(parts)} at the same time"


def conflicts(
    change: RequestForChange, *, start: datetime | None = None, end: datetime | None = None
) -> list[Conflict]:
    """Other approved, scheduled or running changes of the school whose planned windows overlap `change`'s
    (or [start, end]) and whose CIs are the same, or depend on or are relied on by its CIs (cmdb.topology)."""
    start, end = start or change.planned_start, end or change.planned_end
    if start is None or end is None:
        return []
    mine = list(change.cis.all())
    if not mine:
        return []
    others = (
        RequestForChange.objects.filter(school_id=change.school_id)
        .planned()
        .overlapping(start, end)
        .exclude(pk=change.pk)
        .prefetch_related("cis")
        .order_by("planned_start", "pk")
    )
    mine_ids = {ci.pk for ci in mine}
    related_ids: set[int] = set()
    others = list(others)
    if others:
        for ci in mine:
            related_ids |= {item.ci.pk for item in topology.impact(ci).items}
            related_ids |= {item.ci.pk for item in topology.depends_on(ci).items}
    found = []
    for other in others:
        theirs = list(other.cis.all())
        same = [ci for ci in theirs if ci.pk in mine_ids]
        dependent = [ci for ci in theirs if ci.pk in related_ids and ci.pk not in mine_ids]
        if same or dependent:
            found.append(Conflict(change=other, same=same, dependent=dependent))
    return found


@transaction.atomic
def rfc_schedule(
    *,
    change: RequestForChange,
    actor: User,
    planned_start: datetime | None = None,
    planned_end: datetime | None = None,
    implementer: User | None = None,
) -> RequestForChange:
    """Put the change on the forward schedule (or move it). Refused inside a freeze window for normal and
    standard changes; an emergency change is warned and the warning recorded. A standard change must fit
    one of the school's maintenance windows, if it has any. Conflicting changes are recorded on the timeline."""
    change = _locked(change)
    name = "schedule"
    if change.is_emergency and change.status in (Status.DRAFT, Status.SUBMITTED):
        name = "emergency_schedule"
    old = _move(change, name, actor=actor)
    start = planned_start or change.planned_start
    end = planned_end or change.planned_end
    if start is None or end is None:
        raise ValidationError({"planned_start": "Give the planned window: when the change starts and ends."})
    _check_window(start, end)
    if implementer is not None:
        if not access.can_raise_change.test(implementer, change):
            raise ValidationError({"implementer": f"{implementer} cannot carry out changes at {change.school}."})
        change.implementer = implementer
    warning = ""
    freezes = policy.freezes_over(change.school, start, end)
    if freezes:
        names = "; ".join(f"“{f.name}” ({f.get_kind_display().lower()}, {f.dates})" for f in freezes)
        if not change.is_emergency:
            raise ValidationError(
                {
                    "planned_start": f"{change.reference} cannot run then: it falls in the freeze window {names}. "
                    "Choose dates outside it, or raise an emergency change if it cannot wait."
                }
            )
        warning = f"Emergency change inside the freeze window {names}."
    if change.is_standard:
        windows = policy.maintenance_windows(change.school)
        if windows and not policy.fits_maintenance_window(windows, start, end):
            allowed = ", ".join(str(w) for w in windows)
            raise ValidationError(
                {"planned_start": f"A standard change runs inside a maintenance window of {change.school}: {allowed}."}
            )
    change.planned_start, change.planned_end = start, end
    change.schedule_warning = warning
    clashes = conflicts(change)
    note = f"Planned {timezone.localtime(start):%d %b %Y %H:%M} to {timezone.localtime(end):%d %b %Y %H:%M}."
    if warning:
        note += f" Warning: {warning}"
    if clashes:
        note += " Conflicts: " + "; ".join(c.text for c in clashes) + "."
    _save_move(
        change,
        old,
        actor=actor,
        note=note,
        fields=["planned_start", "planned_end", "schedule_warning", "implementer"],
    )
    # FITS: warn the service desk in advance (and the one who will carry it out).
    desk = User.objects.with_role_at(change.school_id, {Role.DESK})
    notify(change, "change_scheduled", [*desk, change.implementer], actor=actor, context=_notice(change))
    return change


# =============================================================================
# Implementation, review, closure
# =============================================================================


@transaction.atomic
def rfc_start(*, change: RequestForChange, actor: User) -> RequestForChange:
    """Work on the change begins. An emergency change may start at once, before approval or scheduling."""
    change = _locked(change)
    name = "start"
    if change.is_emergency and change.status in (Status.DRAFT, Status.SUBMITTED, Status.APPROVED):
        name = "emergency_start"
    old = _move(change, name, actor=actor)
    change.actual_start = timezone.now()
    if change.implementer_id is None:
        change.implementer = actor
    _save_move(change, old, actor=actor, fields=["actual_start", "implementer"])
    _review_needed(change, actor=actor, note="Work on it has started.")
    return change


def _finish(change: RequestForChange, name: str, *, actor: User, note: str) -> RequestForChange:
    change = _locked(change)
    old = _move(change, name, actor=actor, note=note)
    change.actual_end = change.actual_end or timezone.now()
    _save_move(change, old, actor=actor, note=note, fields=["actual_end"])
    _review_needed(
        change,
        actor=actor,
        note=f"Its work has ended ({change.get_status_display().lower()}) and it awaits your review.",
    )
    # The CMDB keeps the history of what was done to each item (Change Management updates the CMDB).
    outcome = {Status.IMPLEMENTED: "implemented", Status.FAILED: "failed", Status.BACKED_OUT: "backed out"}
    for ci in change.cis.all():
        activity.record(
            ci,
            actor=actor,
            kind=Activity.Kind.LINK,
            text=f"Change {change.reference} {outcome[change.status]}: {change.title}.",
            changes={"change": [change.reference, change.status]},
        )
    return change


@transaction.atomic
def rfc_implement(*, change: RequestForChange, actor: User, note: str = "") -> RequestForChange:
    """The change is in place and its test plan passed."""
    return _finish(change, "implement", actor=actor, note=note)


@transaction.atomic
def rfc_fail(*, change: RequestForChange, actor: User, note: str) -> RequestForChange:
    """The change did not work."""
    return _finish(change, "fail", actor=actor, note=note)


@transaction.atomic
def rfc_back_out(*, change: RequestForChange, actor: User, note: str) -> RequestForChange:
    """The backout plan was carried out: things are as they were before the change."""
    return _finish(change, "back_out", actor=actor, note=note)


@transaction.atomic
def rfc_review(
    *, change: RequestForChange, actor: User, outcome: str, notes: str, cmdb_updated: bool = False
) -> RequestForChange:
    """The post-implementation review: did the change do what it was for, and does the CMDB record it?"""
    change = _locked(change)
    access.require(access.can_review_change, actor, change, f"You cannot review {change.reference}.")
    if change.status not in FINISHED_STATUSES:
        raise ValidationError(
            f"{change.reference} is {change.get_status_display().lower()}: it is reviewed once implemented, "
            "failed or backed out."
        )
    if outcome not in ReviewOutcome.values:
        raise ValidationError({"review_outcome": "Say whether the change was successful."})
    if not notes.strip():
        raise ValidationError({"review_notes": "Say what was learnt from the change."})
    change.review_outcome, change.review_notes, change.cmdb_updated = outcome, notes.strip(), cmdb_updated
    change.reviewed_by, change.reviewed_at = actor, timezone.now()
    change.save(
        update_fields=["review_outcome", "review_notes", "cmdb_updated", "reviewed_by", "reviewed_at", "updated_at"]
    )
    activity.record(
        change,
        actor=actor,
        kind=Activity.Kind.COMMENT,
        text=f"Post-implementation review: {change.get_review_outcome_display().lower()}. {change.review_notes}",
    )
    return change


@transaction.atomic
def rfc_close(*, change: RequestForChange, actor: User, note: str = "") -> RequestForChange:
    """Close the change after its post-implementation review (and, for an emergency, its retrospective review)."""
    change = _locked(change)
    if change.status in FINISHED_STATUSES and not change.reviewed_at:
        raise ValidationError(f"{change.reference} needs its post-implementation review before it is closed.")
    if (
        change.is_emergency
        and change.status in FINISHED_STATUSES
        and not change.approvals.filter(role=ApprovalRole.RETROSPECTIVE).exists()
    ):
        raise ValidationError(
            f"{change.reference} is an emergency change: a network manager or leader must review it "
            "retrospectively before it is closed."
        )
    old = _move(change, "close", actor=actor, note=note)
    change.closed_at = timezone.now()
    _save_move(change, old, actor=actor, note=note, fields=["closed_at"])
    return change


@transaction.atomic
def rfc_cancel(*, change: RequestForChange, actor: User, note: str) -> RequestForChange:
    """Withdraw a change before any work on it has started."""
    change = _locked(change)
    old = _move(change, "cancel", actor=actor, note=note)
    change.closed_at = timezone.now()
    _save_move(change, old, actor=actor, note=note, fields=["closed_at"])
    return change
