"""Requests for change through their services: approval rules, the schedule's freezes and maintenance
windows, conflicts over the CMDB, and the workflow refusing what its table does not allow."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from changes import services
from changes.models import (
    ApprovalRole,
    ChangeAdvisoryBoard,
    ChangeApproval,
    ChangeKind,
    ChangeTemplate,
    FreezeWindow,
    MaintenanceWindow,
    RequestForChange,
    ReviewOutcome,
    Risk,
    Status,
)
from cmdb import services as cmdb_services
from cmdb.models import Kind
from fits.activity import timeline
from fits.models import Notification
from fits.workflow import InvalidTransition

from .conftest import HIGH_RISK, LOW_RISK, at


def messages(error: ValidationError) -> str:
    return " ".join(error.messages)


# =============================================================================
# Raising
# =============================================================================


def test_a_change_gets_a_reference_per_school(raise_change, tech, tech2, riverside, core_switch):
    first = raise_change(by=tech, cis=[core_switch])
    second = raise_change(by=tech, submit=False)
    elsewhere = raise_change(by=tech2, school=riverside)
    assert (first.reference, second.reference, elsewhere.reference) == ("CHG-000001", "CHG-000002", "CHG-000001")
    assert list(first.cis.all()) == [core_switch]
    assert first.status == Status.SUBMITTED and first.risk == Risk.LOW
    assert [e.text for e in timeline(first, include_internal=True)][0] == "Raised."


def test_only_technical_staff_raise_changes(raise_change, desk, staff, leader):
    for person in (desk, staff, leader):
        with pytest.raises(PermissionDenied):
            raise_change(by=person)
    assert not RequestForChange.objects.exists()


def test_another_schools_ci_is_refused(raise_change, tech, tech2, riverside):
    theirs = cmdb_services.ci_create(school=riverside, actor=tech2, kind=Kind.SWITCH, name="RA-CORE-01")
    with pytest.raises(ValidationError, match="belongs to another school"):
        raise_change(by=tech, cis=[theirs])


def test_a_normal_change_is_not_submitted_unassessed_or_without_a_backout_plan(raise_change, tech):
    with pytest.raises(ValidationError) as error:
        raise_change(by=tech, answers=None, backout_plan="")
    assert set(error.value.message_dict) == {"risk", "backout_plan"}
    assert RequestForChange.objects.get().status == Status.DRAFT


# =============================================================================
# Approval
# =============================================================================


def test_a_technician_cannot_approve_and_the_network_manager_does(raise_change, tech, netmgr, core_switch):
    change = raise_change(by=netmgr, cis=[core_switch])
    with pytest.raises(ValidationError, match="Only a network manager of Highfield Primary School approves"):
        services.rfc_approve(change=change, approver=tech)

    change = raise_change(by=tech, cis=[core_switch])
    assert Notification.objects.filter(recipient=netmgr, event="change_approval_needed").count() == 1
    services.rfc_approve(change=change, approver=netmgr, comment="Out of hours, fine.")
    change.refresh_from_db()
    assert change.status == Status.APPROVED and change.approved_at is not None
    vote = ChangeApproval.objects.get(change=change)
    assert (vote.approver, vote.role, vote.school_id) == (netmgr, ApprovalRole.NETWORK_MANAGER, change.school_id)
    assert Notification.objects.filter(recipient=tech, event="change_approved").exists()


def test_nobody_approves_their_own_change_not_even_an_administrator(raise_change, netmgr, admin_user):
    own = raise_change(by=netmgr)
    with pytest.raises(ValidationError, match="You raised CHG-000001, so you cannot approve or reject it"):
        services.rfc_approve(change=own, approver=netmgr)
    admins = raise_change(by=admin_user)
    with pytest.raises(ValidationError, match="You raised CHG-000002"):
        services.rfc_approve(change=admins, approver=admin_user)
    assert not ChangeApproval.objects.exists()


def test_a_rejection_needs_a_reason_and_rejects_the_change(raise_change, tech, netmgr):
    change = raise_change(by=tech)
    with pytest.raises(ValidationError, match="Give the reason"):
        services.rfc_reject(change=change, approver=netmgr, comment=" ")
    services.rfc_reject(change=change, approver=netmgr, comment="Not during the Ofsted visit.")
    change.refresh_from_db()
    assert change.status == Status.REJECTED
    assert Notification.objects.filter(recipient=tech, event="change_rejected").exists()
    with pytest.raises(ValidationError, match="only a change awaiting approval"):
        services.rfc_approve(change=change, approver=netmgr)


def test_a_major_change_needs_a_school_leader_too(raise_change, tech, netmgr, leader):
    change = raise_change(by=tech, is_major=True)
    services.rfc_approve(change=change, approver=netmgr)
    change.refresh_from_db()
    assert change.status == Status.SUBMITTED
    with pytest.raises(ValidationError, match="awaits no network manager decision"):
        services.rfc_approve(change=change, approver=netmgr, role=ApprovalRole.NETWORK_MANAGER)
    with pytest.raises(ValidationError, match="a school leader of Highfield Primary School must approve it"):
        services.rfc_approve(change=change, approver=netmgr, role=ApprovalRole.LEADER)
    services.rfc_approve(change=change, approver=leader)
    change.refresh_from_db()
    assert change.status == Status.APPROVED
    assert list(change.approvals.values_list("role", flat=True)) == [ApprovalRole.NETWORK_MANAGER, ApprovalRole.LEADER]


@pytest.fixture
def board(highfield, netmgr, leader, consultant, tech):
    board = ChangeAdvisoryBoard.objects.create(school=highfield, name="Highfield CAB", quorum=2)
    board.members.set([netmgr, leader, consultant, tech])
    return board


def test_a_high_risk_change_waits_for_the_boards_quorum(raise_change, tech, netmgr, leader, admin_user, board):
    change = raise_change(by=tech, answers=HIGH_RISK)
    assert change.risk == Risk.HIGH and change.cab == board
    told = set(
        Notification.objects.filter(event="change_approval_needed").values_list("recipient__username", flat=True)
    )
    assert told == {"netmgr", "leader", "consultant"}  # the members, not the requester
    with pytest.raises(ValidationError, match="minuted with your vote"):
        services.rfc_approve(change=change, approver=netmgr)
    with pytest.raises(ValidationError, match="Only members of Highfield CAB vote"):
        services.rfc_approve(change=change, approver=admin_user, comment="Looks fine.")
    services.rfc_approve(change=change, approver=netmgr, comment="Backout plan is sound.")
    change.refresh_from_db()
    assert change.status == Status.SUBMITTED  # one of two
    with pytest.raises(ValidationError, match="already voted"):
        services.rfc_approve(change=change, approver=netmgr, comment="Again.")
    services.rfc_approve(change=change, approver=leader, comment="Agreed, after the exams.")
    change.refresh_from_db()
    assert change.status == Status.APPROVED
    assert set(change.approvals.values_list("comment", flat=True)) == {
        "Backout plan is sound.",
        "Agreed, after the exams.",
    }


def test_a_technician_on_the_board_still_cannot_approve(raise_change, netmgr, tech, board):
    change = raise_change(by=netmgr, answers=HIGH_RISK)
    with pytest.raises(ValidationError, match="Technicians cannot approve changes"):
        services.rfc_approve(change=change, approver=tech, comment="Fine by me.")


def test_the_board_rejects_when_its_quorum_can_no_longer_be_reached(raise_change, tech, netmgr, leader, board):
    board.quorum = 3
    board.save()
    change = raise_change(by=tech, answers=HIGH_RISK)
    services.rfc_reject(change=change, approver=netmgr, comment="No tested backout.")
    change.refresh_from_db()
    assert change.status == Status.SUBMITTED  # 3 members could still approve
    services.rfc_reject(change=change, approver=leader, comment="Agreed.")
    change.refresh_from_db()
    assert change.status == Status.REJECTED
    assert "the quorum of 3 can no longer be reached" in timeline(change, include_internal=True).last().text


def test_the_authority_board_serves_a_school_without_its_own(raise_change, tech, bolton, netmgr, consultant):
    board = ChangeAdvisoryBoard.objects.create(authority=bolton, name="Bolton CAB", quorum=1)
    board.members.set([consultant])
    change = raise_change(by=tech, answers=HIGH_RISK)
    assert change.cab == board
    services.rfc_approve(change=change, approver=consultant, comment="Approved at the LEA's CAB.")
    change.refresh_from_db()
    assert change.status == Status.APPROVED


def test_a_high_risk_change_without_a_board_is_not_submitted(raise_change, tech):
    with pytest.raises(ValidationError, match="needs a change advisory board, but none serves"):
        raise_change(by=tech, answers=HIGH_RISK)
    assert RequestForChange.objects.get().status == Status.DRAFT


# =============================================================================
# The forward schedule: freezes, maintenance windows, conflicts
# =============================================================================


@pytest.fixture
def exam_freeze(bolton):
    return FreezeWindow.objects.create(
        authority=bolton, name="Summer exams", kind=FreezeWindow.Kind.EXAMS, starts="2027-05-10", ends="2027-06-25"
    )


def test_a_normal_change_in_a_freeze_is_refused_naming_the_window(raise_change, tech, netmgr, exam_freeze):
    change = raise_change(by=tech)
    services.rfc_approve(change=change, approver=netmgr)
    with pytest.raises(ValidationError) as error:
        services.rfc_schedule(change=change, actor=tech, planned_start=at(2027, 6, 2), planned_end=at(2027, 6, 2, 18))
    assert (
        "CHG-000001 cannot run then: it falls in the freeze window “Summer exams” (exams, 10 May 2027 to 25 Jun 2027)"
        in messages(error.value)
    )
    change.refresh_from_db()
    assert change.status == Status.APPROVED and change.planned_start is None
    services.rfc_schedule(change=change, actor=tech, planned_start=at(2027, 6, 26, 9), planned_end=at(2027, 6, 26, 12))
    change.refresh_from_db()
    assert change.status == Status.SCHEDULED and change.schedule_warning == ""


def test_another_schools_freeze_does_not_apply(raise_change, tech, netmgr, westfield, wigan):
    FreezeWindow.objects.create(school=westfield, name="Westfield exams", starts="2027-05-10", ends="2027-06-25")
    FreezeWindow.objects.create(authority=wigan, name="Wigan inspections", starts="2027-05-10", ends="2027-06-25")
    change = raise_change(by=tech)
    services.rfc_approve(change=change, approver=netmgr)
    services.rfc_schedule(change=change, actor=tech, planned_start=at(2027, 6, 2), planned_end=at(2027, 6, 2, 18))
    change.refresh_from_db()
    assert change.status == Status.SCHEDULED


def test_an_emergency_change_in_a_freeze_runs_with_a_recorded_warning(highfield, tech, exam_freeze, core_switch):
    change = services.rfc_create(
        school=highfield,
        requester=tech,
        kind=ChangeKind.EMERGENCY,
        title="Replace the failed core switch",
        reason="The whole school is offline.",
        cis=[core_switch],
    )
    services.rfc_schedule(change=change, actor=tech, planned_start=at(2027, 6, 2, 8), planned_end=at(2027, 6, 2, 9))
    change.refresh_from_db()
    assert change.status == Status.SCHEDULED
    assert "Emergency change inside the freeze window “Summer exams”" in change.schedule_warning
    assert "Warning: Emergency change inside the freeze window" in timeline(change, include_internal=True).last().text


@pytest.fixture
def toner(highfield):
    return ChangeTemplate.objects.create(
        name="Replace toner",
        implementation_plan="Swap the cartridge.",
        test_plan="Print a test page.",
        duration_minutes=20,
    )


def test_a_standard_change_is_pre_approved_and_runs_in_a_maintenance_window(highfield, tech, toner):
    wednesday = at(2027, 3, 3, 16, 15)
    assert wednesday.weekday() == 2
    MaintenanceWindow.objects.create(school=highfield, weekday=2, opens="16:00", closes="18:00")
    change = services.rfc_create(
        school=highfield, requester=tech, kind=ChangeKind.STANDARD, template=toner, title="", planned_start=wednesday
    )
    assert change.title == "Replace toner" and change.implementation_plan == "Swap the cartridge."
    assert change.planned_end == at(2027, 3, 3, 16, 35) and change.risk == Risk.LOW
    services.rfc_submit(change=change, actor=tech)
    change.refresh_from_db()
    assert change.status == Status.APPROVED and not change.approvals.exists()
    with pytest.raises(
        ValidationError, match="runs inside a maintenance window of Highfield Primary School: Wednesday"
    ):
        services.rfc_schedule(
            change=change, actor=tech, planned_start=at(2027, 3, 4, 10), planned_end=at(2027, 3, 4, 11)
        )
    services.rfc_schedule(change=change, actor=tech)
    change.refresh_from_db()
    assert change.status == Status.SCHEDULED


def test_a_standard_change_needs_an_active_template(highfield, tech, toner):
    with pytest.raises(ValidationError, match="pre-approved templates"):
        services.rfc_create(school=highfield, requester=tech, kind=ChangeKind.STANDARD, title="Toner")
    toner.is_active = False
    toner.save()
    with pytest.raises(ValidationError, match="is not a standard change"):
        services.rfc_create(school=highfield, requester=tech, kind=ChangeKind.STANDARD, template=toner, title="")


def _scheduled(raise_change, tech, netmgr, start, end, **fields):
    change = raise_change(by=tech, **fields)
    services.rfc_approve(change=change, approver=netmgr)
    return services.rfc_schedule(change=change, actor=tech, planned_start=start, planned_end=end)


def test_conflicts_on_the_same_ci_in_overlapping_windows(raise_change, tech, netmgr, core_switch, highfield):
    first = _scheduled(raise_change, tech, netmgr, at(2027, 3, 3, 16), at(2027, 3, 3, 18), cis=[core_switch])
    later = _scheduled(raise_change, tech, netmgr, at(2027, 3, 3, 18), at(2027, 3, 3, 19), cis=[core_switch])
    other_ci = cmdb_services.ci_create(school=highfield, actor=tech, kind=Kind.PRINTER, name="HF-PRN-01")
    unrelated = _scheduled(raise_change, tech, netmgr, at(2027, 3, 3, 16), at(2027, 3, 3, 17), cis=[other_ci])
    second = raise_change(by=tech, cis=[core_switch], title="Re-cable the core")
    services.rfc_approve(change=second, approver=netmgr)
    (clash,) = services.conflicts(second, start=at(2027, 3, 3, 17), end=at(2027, 3, 3, 18))
    assert clash.change == first and clash.same == [core_switch] and clash.dependent == []
    assert later not in [c.change for c in services.conflicts(second, start=at(2027, 3, 3, 17), end=at(2027, 3, 3, 18))]
    assert unrelated.pk not in [c.change.pk for c in services.conflicts(first)]
    services.rfc_schedule(change=second, actor=tech, planned_start=at(2027, 3, 3, 17), planned_end=at(2027, 3, 3, 18))
    assert "Conflicts: CHG-000001 (Upgrade the core switch firmware) also changes HF-CORE-01" in (
        timeline(second, include_internal=True).last().text
    )


def test_conflicts_on_a_dependent_ci(raise_change, tech, netmgr, core_switch, mis_server):
    switch_work = _scheduled(raise_change, tech, netmgr, at(2027, 3, 3, 16), at(2027, 3, 3, 18), cis=[core_switch])
    server_work = raise_change(by=tech, cis=[mis_server], title="Patch the MIS server")
    (clash,) = services.conflicts(server_work, start=at(2027, 3, 3, 17), end=at(2027, 3, 3, 19))
    assert clash.change == switch_work and clash.same == [] and clash.dependent == [core_switch]
    # and the other way round: the server depends on the switch being changed
    services.rfc_approve(change=server_work, approver=netmgr)
    services.rfc_schedule(
        change=server_work, actor=tech, planned_start=at(2027, 3, 3, 17), planned_end=at(2027, 3, 3, 19)
    )
    (back,) = services.conflicts(switch_work)
    assert back.change == server_work and back.dependent == [mis_server]
    assert services.conflicts(switch_work, start=at(2027, 3, 4, 9), end=at(2027, 3, 4, 10)) == []


# =============================================================================
# The workflow, implementation and review
# =============================================================================


def test_the_workflow_refuses_illegal_moves(raise_change, tech, netmgr):
    change = raise_change(by=tech)
    with pytest.raises(
        InvalidTransition, match="Cannot start work CHG-000001: it is awaiting approval; from there you can: cancel."
    ):
        services.rfc_start(change=change, actor=tech)
    with pytest.raises(InvalidTransition, match="Cannot schedule CHG-000001: it is awaiting approval"):
        services.rfc_schedule(change=change, actor=tech, planned_start=at(2027, 3, 3), planned_end=at(2027, 3, 3, 17))
    with pytest.raises(InvalidTransition):
        services.rfc_implement(change=change, actor=tech)
    services.rfc_approve(change=change, approver=netmgr)
    services.rfc_schedule(change=change, actor=tech, planned_start=at(2027, 3, 3), planned_end=at(2027, 3, 3, 17))
    services.rfc_start(change=change, actor=tech)
    with pytest.raises(
        InvalidTransition,
        match="Cannot cancel CHG-000001: it is in progress; from there you can: mark implemented, mark failed",
    ):
        services.rfc_cancel(change=change, actor=tech, note="Changed my mind.")
    with pytest.raises(ValidationError, match="What went wrong"):
        services.rfc_fail(change=change, actor=tech, note="")
    services.rfc_fail(change=change, actor=tech, note="The new firmware does not boot.")
    services.rfc_back_out(change=change, actor=tech, note="Booted the previous image.")
    change.refresh_from_db()
    assert change.status == Status.BACKED_OUT and change.actual_start and change.actual_end
    assert change.implementer == tech


def test_a_change_is_closed_after_its_review(raise_change, tech, netmgr, desk, core_switch):
    change = raise_change(by=tech, cis=[core_switch])
    services.rfc_approve(change=change, approver=netmgr)
    services.rfc_schedule(change=change, actor=tech, planned_start=at(2027, 3, 3), planned_end=at(2027, 3, 3, 17))
    services.rfc_start(change=change, actor=tech)
    services.rfc_implement(change=change, actor=tech)
    assert timeline(core_switch, include_internal=True).last().text == (
        "Change CHG-000001 implemented: Upgrade the core switch firmware."
    )
    with pytest.raises(ValidationError, match="needs its post-implementation review"):
        services.rfc_close(change=change, actor=netmgr)
    with pytest.raises(PermissionDenied):
        services.rfc_review(change=change, actor=desk, outcome=ReviewOutcome.SUCCESSFUL, notes="Fine.")
    services.rfc_review(
        change=change, actor=netmgr, outcome=ReviewOutcome.SUCCESSFUL, notes="No calls since.", cmdb_updated=True
    )
    services.rfc_close(change=change, actor=netmgr)
    change.refresh_from_db()
    assert change.status == Status.CLOSED and change.cmdb_updated and change.reviewed_by == netmgr
    statuses = [tuple(e.changes["status"]) for e in timeline(change, include_internal=True) if e.changes.get("status")]
    assert statuses == [
        ("draft", "submitted"),
        ("submitted", "approved"),
        ("approved", "scheduled"),
        ("scheduled", "in_progress"),
        ("in_progress", "implemented"),
        ("implemented", "closed"),
    ]


def test_an_emergency_change_runs_first_and_is_reviewed_retrospectively(highfield, tech, netmgr):
    change = services.rfc_create(
        school=highfield,
        requester=tech,
        kind=ChangeKind.EMERGENCY,
        title="Block the phishing domain",
        reason="Staff are entering passwords on it.",
    )
    with pytest.raises(ValidationError, match="reviewed after it has run"):
        services.rfc_approve(change=change, approver=netmgr)
    services.rfc_start(change=change, actor=tech)
    services.rfc_implement(change=change, actor=tech)
    services.rfc_review(change=change, actor=netmgr, outcome=ReviewOutcome.SUCCESSFUL, notes="Blocked in 10 minutes.")
    with pytest.raises(ValidationError, match="must review it retrospectively"):
        services.rfc_close(change=change, actor=netmgr)
    with pytest.raises(ValidationError, match="You raised"):
        services.rfc_approve(change=change, approver=tech)
    services.rfc_approve(change=change, approver=netmgr, comment="Right call.")
    assert change.approvals.get().role == ApprovalRole.RETROSPECTIVE
    services.rfc_close(change=change, actor=netmgr)
    change.refresh_from_db()
    assert change.status == Status.CLOSED


def test_a_normal_change_cannot_take_the_emergency_route(raise_change, tech):
    change = raise_change(by=tech)
    with pytest.raises(InvalidTransition) as error:
        services.rfc_start(change=change, actor=tech)
    assert "emergency" not in str(error.value)
    with pytest.raises(PermissionDenied):  # the emergency move itself is for emergency changes only
        services._move(change, "emergency_start", actor=tech)
    assert RequestForChange.objects.get().status == Status.SUBMITTED


def test_the_workflow_offers_the_emergency_moves_only_to_emergencies(raise_change, highfield, tech):
    normal = raise_change(by=tech, submit=False)
    emergency = services.rfc_create(
        school=highfield, requester=tech, kind=ChangeKind.EMERGENCY, title="Restore the MIS", reason="Down."
    )
    names = lambda c: {t.name for t in RequestForChange.WORKFLOW.available(tech, c)}  # noqa: E731
    assert names(normal) == {"submit", "cancel"}
    assert names(emergency) == {"submit", "cancel", "emergency_schedule", "emergency_start"}


def test_a_draft_can_be_reassessed_but_not_once_submitted(raise_change, tech):
    change = raise_change(by=tech, submit=False)
    change = services.rfc_assess(change=change, actor=tech, answers={**LOW_RISK, "tested": "no", "school_day": "yes"})
    assert change.risk == Risk.MEDIUM and change.risk_answers["tested"] == "no"
    with pytest.raises(ValidationError) as error:
        services.rfc_assess(change=change, actor=tech, answers={"tested": "yes"})
    assert "users_affected" in error.value.message_dict
    services.rfc_submit(change=change, actor=tech)
    with pytest.raises(ValidationError, match="assessed before it was submitted"):
        services.rfc_assess(change=change, actor=tech, answers=LOW_RISK)


# =============================================================================
# Editing a draft
# =============================================================================


def test_a_draft_is_edited_and_the_timeline_says_what_changed(raise_change, tech, core_switch, mis_server):
    change = raise_change(by=tech, submit=False, cis=[core_switch])
    services.rfc_update(
        change=change,
        actor=tech,
        title="Upgrade both core switches",
        backout_plan="  Boot the previous image from flash.  ",
        planned_start=at(2026, 12, 2, 16),
        planned_end=at(2026, 12, 2, 18),
        cis=[core_switch, mis_server],
    )
    change.refresh_from_db()
    assert change.title == "Upgrade both core switches"
    assert change.backout_plan == "Boot the previous image from flash."
    assert set(change.cis.all()) == {core_switch, mis_server}
    entry = list(timeline(change, include_internal=True))[-1]
    assert entry.text.startswith("Edited: summary, backout plan, planned start, planned end")
    assert entry.changes["cis"] == [1, 2]


def test_an_edit_that_changes_nothing_writes_nothing(raise_change, tech):
    change = raise_change(by=tech, submit=False)
    before = timeline(change, include_internal=True).count()
    services.rfc_update(change=change, actor=tech, title=change.title)
    assert timeline(change, include_internal=True).count() == before


def test_only_a_draft_is_edited_by_technical_staff_with_valid_fields(
    raise_change, tech, staff, tech2, riverside, core_switch
):
    change = raise_change(by=tech, submit=False)
    with pytest.raises(PermissionDenied):
        services.rfc_update(change=change, actor=staff, title="Mine now")
    with pytest.raises(ValidationError, match="planned window must end after it starts"):
        services.rfc_update(
            change=change, actor=tech, planned_start=at(2026, 12, 2, 18), planned_end=at(2026, 12, 2, 16)
        )
    with pytest.raises(ValidationError, match="cannot be edited on a change: status"):
        services.rfc_update(change=change, actor=tech, status=Status.APPROVED)
    foreign = cmdb_services.ci_create(school=riverside, actor=tech2, kind=Kind.SWITCH, name="RS-CORE-01")
    with pytest.raises(ValidationError, match="belongs to another school"):
        services.rfc_update(change=change, actor=tech, cis=[foreign])
    assert list(change.cis.all()) == []
    submitted = services.rfc_submit(change=change, actor=tech)
    with pytest.raises(ValidationError, match="only a draft can be edited"):
        services.rfc_update(change=submitted, actor=tech, title="Too late")
    assert RequestForChange.objects.get(pk=change.pk).title == "Upgrade the core switch firmware"
