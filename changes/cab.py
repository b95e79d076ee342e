"""Change advisory boards, their meetings, and the library of standard changes (FITS Change Management).

A change advisory board (CAB) is a named set of people who vote on high-risk changes; a change is approved by a
quorum of its members' approving votes (changes/policy.py). A board belongs to a school, to an authority (for all
its schools) or to everyone; its meetings take the changes awaiting it as their agenda, and the votes cast there are
minuted on the meeting. Standard change templates are the pre-approved changes a school may run without asking.

Who keeps them: a school's boards and templates, its network manager; an authority's, its LEA consultants; the ones
shared by all, an administrator. Every operation here is one transaction that checks that permission.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction

from changes import policy, services
from changes.models import (
    ApprovalRole,
    CABMeeting,
    ChangeAdvisoryBoard,
    ChangeApproval,
    ChangeTemplate,
    Decision,
    RequestForChange,
    Status,
)
from fits import access
from fits.models import Authority, AuthorityRole, Membership, School, User
from fits.scoping import schools_visible_to

# =============================================================================
# Who keeps a board, a meeting or a template
# =============================================================================


def owners_for(user: Any) -> list[tuple[str, str, School | None, Authority | None]]:
    """Where `user` may add a board or a template: (value, label, school, authority)."""
    owners: list[tuple[str, str, School | None, Authority | None]] = []
    if not user.is_authenticated:
        return owners
    schools = list(schools_visible_to(user).select_related("authority").order_by("name"))
    for school in schools:
        if access.can_manage_change_config.test(user, ChangeTemplate(school=school)):
            owners.append((f"school:{school.pk}", f"{school.name} only", school, None))
    authorities = sorted({school.authority for school in schools if school.authority_id}, key=lambda a: a.name)
    for authority in authorities:
        if access.can_manage_change_config.test(user, ChangeTemplate(authority=authority)):
            owners.append((f"authority:{authority.pk}", f"Every school of {authority.name}", None, authority))
    if user.is_superuser:
        owners.append(("all", "Every school", None, None))
    return owners


def _require_manager(actor: User, row: Any, what: str) -> None:
    if not access.can_manage_change_config.test(actor, row):
        keeper = (
            f"the network manager of {row.school}"
            if row.school_id is not None
            else f"the consultants of {row.authority}"
            if row.authority_id is not None
            else "an administrator"
        )
        raise PermissionDenied(f"Only {keeper} can {what}.")


def _owner(school: School | None, authority: Authority | None) -> tuple[School | None, Authority | None]:
    if school is not None and authority is not None:
        raise ValidationError("A board or template belongs to a school or to an authority, not both.")
    return school, authority


# =============================================================================
# Who may sit on a board
# =============================================================================


def people_in_scope(*, school: School | None, authority: Authority | None) -> models.QuerySet:
    """People with a role where a board works: at its school (directly or through the school's authority), at
    any school of its authority or for the authority itself; anyone for a board shared by all."""
    people = User.objects.filter(is_active=True)
    if school is not None:
        return people.filter(
            models.Q(pk__in=Membership.objects.filter(school=school).values("user_id"))
            | models.Q(pk__in=AuthorityRole.objects.filter(authority_id=school.authority_id).values("user_id"))
        )
    if authority is not None:
        return people.filter(
            models.Q(pk__in=Membership.objects.filter(school__authority=authority).values("user_id"))
            | models.Q(pk__in=AuthorityRole.objects.filter(authority=authority).values("user_id"))
        )
    return people


def _check_people(people: list[User], *, school: School | None, authority: Authority | None, field: str) -> None:
    if not people:
        return
    allowed = set(
        people_in_scope(school=school, authority=authority)
        .filter(pk__in=[p.pk for p in people])
        .values_list("pk", flat=True)
    )
    strangers = [str(p) for p in people if p.pk not in allowed]
    if strangers:
        where = school or authority or "any school"
        verb = "holds" if len(strangers) == 1 else "hold"
        raise ValidationError({field: f"{', '.join(strangers)} {verb} no role at {where}."})


def _check_quorum(quorum: Any, members: list[User]) -> int:
    try:
        quorum = int(quorum)
    except (TypeError, ValueError):
        raise ValidationError({"quorum": "The quorum is a number of members."}) from None
    if quorum < 1:
        raise ValidationError({"quorum": "The quorum is at least one approving vote."})
    if quorum > len(members):
        raise ValidationError(
            {
                "quorum": f"A quorum of {quorum} cannot be reached by {len(members)} "
                f"member{'' if len(members) == 1 else 's'}: add members or lower the quorum."
            }
        )
    return quorum


# =============================================================================
# Boards
# =============================================================================


@transaction.atomic
def board_create(
    *,
    actor: User,
    name: str,
    members: list[User] | tuple = (),
    quorum: int = 2,
    school: School | None = None,
    authority: Authority | None = None,
) -> ChangeAdvisoryBoard:
    """Set up a change advisory board for a school, an authority's schools, or everyone. High-risk changes of the
    schools it serves go to it (the school's own board first, then the authority's, then the shared one)."""
    school, authority = _owner(school, authority)
    board = ChangeAdvisoryBoard(school=school, authority=authority)
    _require_manager(actor, board, "set up a change advisory board there")
    board.name = _name(name, "board")
    members = list(members)
    _check_people(members, school=school, authority=authority, field="members")
    board.quorum = _check_quorum(quorum, members)
    board.save()
    board.members.set(members)
    return board


@transaction.atomic
def board_update(
    *,
    board: ChangeAdvisoryBoard,
    actor: User,
    name: str | None = None,
    members: list[User] | tuple | None = None,
    quorum: int | None = None,
) -> ChangeAdvisoryBoard:
    """Rename a board, change who sits on it, or its quorum. The quorum can never exceed the members."""
    board = ChangeAdvisoryBoard.objects.select_for_update().get(pk=board.pk)
    _require_manager(actor, board, f"change {board}")
    if name is not None:
        board.name = _name(name, "board")
    members = list(members) if members is not None else list(board.members.all())
    _check_people(members, school=board.school, authority=board.authority, field="members")
    board.quorum = _check_quorum(board.quorum if quorum is None else quorum, members)
    board.save(update_fields=["name", "quorum"])
    board.members.set(members)
    # Votes are counted when cast: an edit that alone would approve or reject a change awaiting the board would
    # leave it stuck awaiting approval. Refuse it (the transaction rolls back) until the board has voted.
    awaiting = RequestForChange.objects.filter(cab=board, status=Status.SUBMITTED).order_by("pk")
    stuck = []
    for change in awaiting:
        change.cab = board
        state = policy.approval_state(change)
        if state.approved or state.rejected:
            stuck.append(change.reference)
    if stuck:
        raise ValidationError(
            {
                "quorum": f"With these members and this quorum, {', '.join(stuck)} would be decided without a vote: "
                "let the board vote on what awaits it first."
            }
        )
    return board


def _name(name: str, what: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": f"Give the {what} a name."})
    if len(name) > 150:
        raise ValidationError({"name": "Keep the name to 150 characters."})
    return name


# =============================================================================
# Meetings
# =============================================================================


@transaction.atomic
def meeting_schedule(
    *, board: ChangeAdvisoryBoard, actor: User, held_at: datetime, chair: User | None = None
) -> CABMeeting:
    """Call a meeting of the board. Its agenda is the changes awaiting the board's votes when it sits."""
    _require_manager(actor, board, f"call a meeting of {board}")
    if held_at is None:
        raise ValidationError({"held_at": "Say when the board meets."})
    if chair is not None:
        _check_people([chair], school=board.school, authority=board.authority, field="chair")
    return CABMeeting.objects.create(
        board=board, school=board.school, authority=board.authority, held_at=held_at, chair=chair
    )


def _may_minute(user: User, meeting: CABMeeting) -> bool:
    return access.can_manage_change_config.test(user, meeting) or (
        meeting.chair_id is not None and meeting.chair_id == user.pk
    )


@transaction.atomic
def meeting_record(
    *,
    meeting: CABMeeting,
    actor: User,
    attendees: list[User] | tuple | None = None,
    minutes: str | None = None,
    mark_held: bool = False,
) -> CABMeeting:
    """Minute a meeting: who attended, what was discussed beyond the votes, and that it was held. Its chair or
    the board's keepers minute it; a held meeting's minutes may still be corrected."""
    meeting = CABMeeting.objects.select_for_update(of=("self",)).select_related("board").get(pk=meeting.pk)
    if not _may_minute(actor, meeting):
        raise PermissionDenied(f"Only the chair of the meeting or the keepers of {meeting.board} minute it.")
    if attendees is not None:
        attendees = list(attendees)
        _check_people(attendees, school=meeting.school, authority=meeting.authority, field="attendees")
        meeting.attendees.set(attendees)
    if minutes is not None:
        meeting.minutes = minutes.strip()
    if mark_held:
        if meeting.status == CABMeeting.Status.HELD:
            raise ValidationError(f"The meeting of {meeting} is already marked held.")
        meeting.status = CABMeeting.Status.HELD
    meeting.save(update_fields=["minutes", "status"])
    return meeting


@transaction.atomic
def meeting_vote(
    *, meeting: CABMeeting, change: RequestForChange, actor: User, decision: str, comment: str = ""
) -> ChangeApproval:
    """A member present casts their own vote on a change on the agenda, and it is minuted on the meeting.

    Members vote for themselves: nobody, the chair included, votes on another's behalf. The vote itself is
    changes.services.rfc_vote's (membership, technicians, the requester, the quorum); a voter not yet on the
    attendance list is added to it."""
    meeting = CABMeeting.objects.select_for_update().get(pk=meeting.pk)
    if meeting.status == CABMeeting.Status.HELD:
        raise ValidationError(f"The meeting of {meeting} is over: vote on the change's page, or at the next meeting.")
    vote = services.rfc_vote(
        change=change, approver=actor, decision=decision, comment=comment, role=ApprovalRole.CAB, meeting=meeting
    )
    meeting.attendees.add(actor)
    return vote


# =============================================================================
# Standard change templates
# =============================================================================

TEMPLATE_FIELDS = ("name", "description", "implementation_plan", "test_plan", "backout_plan", "duration_minutes")


def _template_fields(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(TEMPLATE_FIELDS)
    if unknown:
        raise ValidationError(f"These cannot be set on a standard change: {', '.join(sorted(unknown))}.")
    cleaned = {}
    for key, value in fields.items():
        if key == "duration_minutes":
            try:
                value = int(value)
            except (TypeError, ValueError):
                raise ValidationError({"duration_minutes": "How long it takes, in minutes."}) from None
            if not 1 <= value <= 24 * 60:
                raise ValidationError({"duration_minutes": "A standard change takes between 1 minute and a day."})
        elif key == "name":
            value = _name(value, "standard change")
        else:
            value = (value or "").strip()
        cleaned[key] = value
    return cleaned


@transaction.atomic
def template_create(
    *, actor: User, school: School | None = None, authority: Authority | None = None, **fields: Any
) -> ChangeTemplate:
    """Add a pre-approved standard change to the library: raised from it, a change is approved when submitted."""
    school, authority = _owner(school, authority)
    template = ChangeTemplate(school=school, authority=authority)
    _require_manager(actor, template, "add standard changes there")
    fields = _template_fields(fields)
    if "name" not in fields:
        raise ValidationError({"name": "Give the standard change a name."})
    if not fields.get("implementation_plan"):
        raise ValidationError({"implementation_plan": "Write the steps: they are what is pre-approved."})
    for key, value in fields.items():
        setattr(template, key, value)
    template.save()
    return template


@transaction.atomic
def template_update(*, template: ChangeTemplate, actor: User, **fields: Any) -> ChangeTemplate:
    """Change a standard change's wording, plans or usual duration. Changes already raised keep their copy."""
    template = ChangeTemplate.objects.select_for_update().get(pk=template.pk)
    _require_manager(actor, template, f"change “{template}”")
    fields = _template_fields(fields)
    if "implementation_plan" in fields and not fields["implementation_plan"]:
        raise ValidationError({"implementation_plan": "Write the steps: they are what is pre-approved."})
    for key, value in fields.items():
        setattr(template, key, value)
    if fields:
        template.save(update_fields=list(fields))
    return template


@transaction.atomic
def template_retire(*, template: ChangeTemplate, actor: User) -> ChangeTemplate:
    """Take a standard change out of the library: no new change follows it (those raised from it stay)."""
    return _set_active(template, actor, active=False)


@transaction.atomic
def template_reinstate(*, template: ChangeTemplate, actor: User) -> ChangeTemplate:
    """Put a retired standard change back in the library."""
    return _set_active(template, actor, active=True)


def _set_active(template: ChangeTemplate, actor: User, *, active: bool) -> ChangeTemplate:
    template = ChangeTemplate.objects.select_for_update().get(pk=template.pk)
    _require_manager(actor, template, f"{'reinstate' if active else 'retire'} “{template}”")
    if template.is_active == active:
        raise ValidationError(f"“{template}” is already {'in use' if active else 'retired'}.")
    template.is_active = active
    template.save(update_fields=["is_active"])
    return template


# =============================================================================
# What pages show: the agenda, and where each change's votes stand
# =============================================================================


def agenda(changes: models.QuerySet, board: ChangeAdvisoryBoard) -> models.QuerySet:
    """The changes of `changes` (already narrowed to what the viewer sees) awaiting `board`'s votes."""
    return (
        changes.filter(cab=board, status=Status.SUBMITTED)
        .select_related("school", "requester")
        .prefetch_related("cis", models.Prefetch("approvals", queryset=_cab_votes()))
        .order_by("planned_start", "submitted_at", "pk")
    )


def decided_at(changes: models.QuerySet, meeting: CABMeeting) -> models.QuerySet:
    """The changes of `changes` voted on at `meeting`."""
    return (
        changes.filter(pk__in=ChangeApproval.objects.filter(meeting=meeting).values("change_id"))
        .select_related("school", "requester")
        .prefetch_related("cis", models.Prefetch("approvals", queryset=_cab_votes()))
        .order_by("reference", "pk")
    )


def _cab_votes() -> models.QuerySet:
    return ChangeApproval.objects.filter(role=ApprovalRole.CAB).select_related("approver", "meeting")


def tally(change: RequestForChange, quorum: int) -> dict[str, Any]:
    """Where a change's CAB votes stand, from its prefetched votes: "2 of 3 needed"."""
    votes = [v for v in change.approvals.all() if v.role == ApprovalRole.CAB]
    approvals = sum(v.decision == Decision.APPROVE for v in votes)
    return {
        "votes": votes,
        "approvals": approvals,
        "rejections": sum(v.decision == Decision.REJECT for v in votes),
        "quorum": quorum,
        "text": f"{approvals} of {quorum} needed",
        "voters": {v.approver_id for v in votes},
    }
