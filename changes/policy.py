"""The rules of Change Management, as plain functions: the risk questionnaire, who must approve a change,
and where it may be scheduled (freeze and maintenance windows). Services (changes/services.py) apply them.

Risk questionnaire (five questions; each answer scores points, the total gives the risk level):

| question            | answers (points)                                                             |
|---------------------|------------------------------------------------------------------------------|
| users_affected      | one (0), a few, under 10 (1), a department or year group (2), the school (3) |
| service_criticality | low (0), medium (1), high: MIS, safeguarding, internet, exams (3)            |
| tested              | yes, tried on a test machine or done before (0), no (2)                      |
| backout             | yes, quick and tested (0), partly or slowly (1), no way back (3)             |
| school_day          | no, outside lessons (0), yes, during the school day (2)                      |

0-3 points: low; 4-6: medium; 7 or more: high. Whatever the total, a change to a high-criticality service
with no way back, or one taking the whole school down during the school day, is high risk.

Who must approve (FITS: network managers approve changes; ITIL: a CAB for high risk):

- a standard change follows a pre-approved template: nobody, it is approved when submitted;
- a normal change of low or medium risk: a network manager of the school;
- a normal change of high risk: the change advisory board of the school (else its authority's, else the
  shared one), by a quorum of approving votes, each with a comment;
- a major change (is_major): a school leader as well;
- an emergency change: nobody before it runs; a retrospective review (network manager or leader) after it.

Nobody approves their own change, and a technician's role alone never approves one (fits.access).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone

from changes.models import (
    ApprovalRole,
    ChangeAdvisoryBoard,
    ChangeKind,
    Decision,
    FreezeWindow,
    MaintenanceWindow,
    RequestForChange,
    Risk,
)
from fits.models import School

# =============================================================================
# The risk questionnaire
# =============================================================================


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    answers: dict[str, tuple[str, int]]  # answer -> (label, points)


QUESTIONS: tuple[Question, ...] = (
    Question(
        "users_affected",
        "How many people will notice the change, or lose the service while it runs?",
        {
            "one": ("One person", 0),
            "few": ("A few (under 10)", 1),
            "department": ("A department or year group", 2),
            "school": ("The whole school", 3),
        },
    ),
    Question(
        "service_criticality",
        "How critical is the service it touches?",
        {
            "low": ("Low: a convenience", 0),
            "medium": ("Medium: teaching or admin is slowed", 1),
            "high": ("High: MIS, safeguarding, internet access or exams", 3),
        },
    ),
    Question(
        "tested",
        "Has it been tried on a test machine, or done this way before?",
        {"yes": ("Yes", 0), "no": ("No", 2)},
    ),
    Question(
        "backout",
        "Can it be backed out?",
        {
            "yes": ("Yes, quickly, and the backout plan is tested", 0),
            "partial": ("Partly, or only slowly", 1),
            "no": ("No: there is no way back", 3),
        },
    ),
    Question(
        "school_day",
        "Will it run during the school day?",
        {"no": ("No, outside lessons", 0), "yes": ("Yes", 2)},
    ),
)
QUESTIONS_BY_KEY = {q.key: q for q in QUESTIONS}
MEDIUM_FROM = 4
HIGH_FROM = 7


class QuestionnaireError(ValueError):
    """Answers missing or not among a question's choices: {question key: message}."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def risk_score(answers: dict[str, str]) -> int:
    """The questionnaire's points for `answers` (all questions answered; QuestionnaireError otherwise)."""
    errors = {}
    for question in QUESTIONS:
        answer = answers.get(question.key)
        if answer not in question.answers:
            errors[question.key] = f"Answer “{question.text}” with one of: {', '.join(question.answers)}."
    if errors:
        raise QuestionnaireError(errors)
    return sum(QUESTIONS_BY_KEY[key].answers[answers[key]][1] for key in QUESTIONS_BY_KEY)


def risk_level(answers: dict[str, str]) -> str:
    """The risk level (changes.models.Risk) the questionnaire's answers yield."""
    score = risk_score(answers)
    if answers["service_criticality"] == "high" and answers["backout"] == "no":
        return Risk.HIGH
    if answers["users_affected"] == "school" and answers["school_day"] == "yes":
        return Risk.HIGH
    if score >= HIGH_FROM:
        return Risk.HIGH
    if score >= MEDIUM_FROM:
        return Risk.MEDIUM
    return Risk.LOW


# =============================================================================
# Who must approve
# =============================================================================


def board_for(school: School) -> ChangeAdvisoryBoard | None:
    """The CAB that serves `school`: its own, else its authority's, else one shared by all."""
    return (
        ChangeAdvisoryBoard.objects.of_school(school.pk)
        .annotate(
            rank=Case(
                When(school__isnull=False, then=Value(0)),
                When(authority__isnull=False, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("rank", "pk")
        .first()
    )


def required_roles(change: RequestForChange) -> list[str]:
    """The approvals (ApprovalRole values) `change` needs before it may be scheduled."""
    if change.kind in (ChangeKind.STANDARD, ChangeKind.EMERGENCY):
        needed = []
    elif change.risk == Risk.HIGH:
        needed = [ApprovalRole.CAB]
    else:
        needed = [ApprovalRole.NETWORK_MANAGER]
    if change.is_major and change.kind != ChangeKind.EMERGENCY:
        needed.append(ApprovalRole.LEADER)
    return needed


@dataclass
class ApprovalState:
    """Where a change's approvals stand: what is still awaited, and whether it is approved or rejected."""

    needed: list[str]
    awaiting: list[str] = field(default_factory=list)
    rejected_by: list[str] = field(default_factory=list)  # why it is rejected, in words
    cab_approvals: int = 0
    cab_rejections: int = 0

    @property
    def approved(self) -> bool:
        return not self.awaiting and not self.rejected_by

    @property
    def rejected(self) -> bool:
        return bool(self.rejected_by)


def approval_state(change: RequestForChange) -> ApprovalState:
    """Count the change's votes against what it needs (one query, plus the board's members for a CAB)."""
    state = ApprovalState(needed=required_roles(change))
    votes = list(change.approvals.all())
    for role in state.needed:
        mine = [v for v in votes if v.role == role]
        if role == ApprovalRole.CAB:
            board = change.cab
            quorum = board.quorum if board else 1
            members = board.members.count() if board else 0
            state.cab_approvals = sum(v.decision == Decision.APPROVE for v in mine)
            state.cab_rejections = sum(v.decision == Decision.REJECT for v in mine)
            if members - state.cab_rejections < quorum:
                state.rejected_by.append(
                    f"{state.cab_rejections} of the {members} members of {board} rejected it: "
                    f"the quorum of {quorum} can no longer be reached"
                )
            elif state.cab_approvals < quorum:
                state.awaiting.append(role)
        else:
            rejection = next((v for v in mine if v.decision == Decision.REJECT), None)
            if rejection is not None:
                state.rejected_by.append(f"{rejection.approver} rejected it as {rejection.get_role_display().lower()}")
            elif not any(v.decision == Decision.APPROVE for v in mine):
                state.awaiting.append(role)
    return state


# =============================================================================
# Where it may run: freeze and maintenance windows
# =============================================================================


def freezes_over(school: School, start: datetime, end: datetime) -> list[FreezeWindow]:
    """The freeze windows in force at `school` that any day of [start, end] falls in."""
    first, last = timezone.localtime(start).date(), timezone.localtime(end).date()
    return list(FreezeWindow.objects.of_school(school.pk).filter(starts__lte=last, ends__gte=first))


def maintenance_windows(school: School) -> list[MaintenanceWindow]:
    return list(MaintenanceWindow.objects.of_school(school.pk))


def fits_maintenance_window(windows: list[MaintenanceWindow], start: datetime, end: datetime) -> bool:
    """Whether [start, end] lies inside one of `windows` (same day, between its opening and closing)."""
    start, end = timezone.localtime(start), timezone.localtime(end)
    if start.date() != end.date():
        return False
    return any(w.weekday == start.weekday() and w.opens <= start.time() and end.time() <= w.closes for w in windows)
