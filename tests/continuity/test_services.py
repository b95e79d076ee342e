"""The services of Service Continuity Management: risk scores and bands, the plan's workflow and versions, who may
do what, the recovery order from a real CMDB chain, continuity tests raising tasks, and idempotent reminders."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from continuity import recovery, services
from continuity.models import ContinuityPlan, PlanStatus, Rating, Risk, RiskStatus, rating_for
from fits.models import Activity
from incidents.models import Task, TaskOrigin

pytestmark = pytest.mark.django_db


# --- Risks -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "band"),
    [(1, Rating.LOW), (3, Rating.LOW), (4, Rating.MEDIUM), (6, Rating.MEDIUM), (8, Rating.HIGH), (12, Rating.HIGH),
     (15, Rating.CRITICAL), (25, Rating.CRITICAL)],
)  # fmt: skip
def test_rating_bands(score, band):
    assert rating_for(score) == band


def test_a_risk_is_scored_likelihood_times_impact_and_rescored_when_changed(risk, netmgr, highfield):
    assert (risk.score, risk.rating, risk.status) == (10, Rating.HIGH, RiskStatus.OPEN)
    risk = services.risk_save(actor=netmgr, school=highfield, risk=risk, likelihood=4, residual_likelihood=1,
                              residual_impact=3)  # fmt: skip
    assert (risk.score, risk.rating) == (20, Rating.CRITICAL)
    assert (risk.residual_score, risk.residual_rating) == (3, Rating.LOW)
    assert list(risk.cis.values_list("name", flat=True)) == ["HF-SRV-01"]  # kept when not given
    assert Activity.objects.filter(object_id=risk.pk, text="Risk changed.").exists()


def test_a_risk_refuses_bad_levels_half_a_residual_and_another_schools_ci(netmgr, highfield, riverside, tech2):
    from cmdb.services import ci_create

    theirs = ci_create(school=riverside, actor=tech2, kind="server", name="RS-SRV-01")
    with pytest.raises(ValidationError) as error:
        services.risk_save(actor=netmgr, school=highfield, title="Fire", category="fire", likelihood=6, impact=3,
                           residual_likelihood=2, review_date=timezone.localdate(), cis=[theirs])  # fmt: skip
    assert set(error.value.message_dict) == {"likelihood", "residual_impact", "cis"}


@pytest.mark.parametrize("who", ["tech", "desk", "staff", "consultant", "tech2"])
def test_only_the_network_manager_and_leaders_keep_the_register(who, cast, highfield):
    with pytest.raises(PermissionDenied):
        services.risk_save(actor=cast[who], school=highfield, title="Fire", category="fire", likelihood=1, impact=5,
                           review_date=timezone.localdate())  # fmt: skip


def test_a_leader_keeps_the_register_too(leader, highfield):
    risk = services.risk_save(actor=leader, school=highfield, title="Fire", category="fire", likelihood=1, impact=5,
                              review_date=timezone.localdate())  # fmt: skip
    assert risk.rating == Rating.MEDIUM


def test_risk_workflow_accept_needs_a_reason_and_reopen_goes_back_to_open(risk, netmgr, tech):
    with pytest.raises(ValidationError):
        services.risk_transition(risk=risk, action="accept", actor=netmgr)
    with pytest.raises(PermissionDenied):
        services.risk_transition(risk=risk, action="treat", actor=tech)
    risk = services.risk_transition(risk=risk, action="accept", actor=netmgr, note="Cost outweighs the harm.")
    assert risk.status == RiskStatus.ACCEPTED
    with pytest.raises(ValidationError, match="Cannot mark treated"):
        services.risk_transition(risk=risk, action="treat", actor=netmgr)
    risk = services.risk_transition(risk=risk, action="reopen", actor=netmgr, note="The drain blocked again.")
    assert risk.status == RiskStatus.OPEN


# --- Plans -----------------------------------------------------------------------------------------------------------


def test_a_plan_is_for_a_service_of_the_school_and_one_per_service(plan, netmgr, highfield, chain):
    with pytest.raises(ValidationError, match="has a recovery plan already"):
        services.plan_save(actor=netmgr, school=highfield, service=chain["service"], recovery_order=1, rto_minutes=60,
                           rpo_minutes=60, review_date=timezone.localdate())  # fmt: skip
    with pytest.raises(ValidationError, match="is not an ICT service"):
        services.plan_save(actor=netmgr, school=highfield, service=chain["server"], recovery_order=1, rto_minutes=60,
                           rpo_minutes=60, review_date=timezone.localdate())  # fmt: skip


def test_approval_by_the_network_manager_or_leader_and_a_change_makes_a_new_draft_version(plan, netmgr, leader, tech):
    assert (plan.status, plan.version) == (PlanStatus.DRAFT, 1)
    with pytest.raises(PermissionDenied):
        services.plan_transition(plan=plan, action="approve", actor=tech)
    plan = services.plan_transition(plan=plan, action="approve", actor=leader)
    assert (plan.status, plan.approved_by) == (PlanStatus.APPROVED, leader)
    plan = services.plan_save(actor=netmgr, school=plan.school, plan=plan, rto_minutes=360)
    assert (plan.status, plan.version, plan.approved_by, plan.rto_minutes) == (PlanStatus.DRAFT, 2, None, 360)
    plan = services.plan_transition(plan=plan, action="approve", actor=netmgr)
    # Changing the steps of an approved plan makes a draft too; saving the same steps does not.
    same = [{"id": s.pk, "text": s.text, "who": s.who, "who_text": s.who_text, "minutes": s.minutes}
            for s in plan.steps.all()]  # fmt: skip
    services.plan_steps_save(plan=plan, actor=netmgr, steps=same)
    plan.refresh_from_db()
    assert (plan.status, plan.version) == (PlanStatus.APPROVED, 2)
    services.plan_steps_save(plan=plan, actor=netmgr, steps=list(reversed(same)))
    plan.refresh_from_db()
    assert (plan.status, plan.version) == (PlanStatus.DRAFT, 3)


def test_a_plan_without_steps_or_with_a_past_review_date_is_not_approved(netmgr, highfield, chain):
    plan = services.plan_save(actor=netmgr, school=highfield, service=chain["service"], recovery_order=1,
                              rto_minutes=60, rpo_minutes=60,
                              review_date=timezone.localdate() + timedelta(days=30))  # fmt: skip
    with pytest.raises(ValidationError, match="without recovery steps"):
        services.plan_transition(plan=plan, action="approve", actor=netmgr)
    services.plan_steps_save(plan=plan, actor=netmgr, steps=[{"text": "Restart it"}])
    ContinuityPlan.objects.filter(pk=plan.pk).update(review_date=timezone.localdate())
    with pytest.raises(ValidationError, match="review date after today"):
        services.plan_transition(plan=plan, action="approve", actor=netmgr)


def test_steps_are_added_edited_reordered_and_removed_in_one_call(plan, netmgr):
    first, second, third = plan.steps.all()
    steps = services.plan_steps_save(plan=plan, actor=netmgr, steps=[
        {"id": third.pk, "text": third.text, "minutes": 200},
        {"text": "Tell staff the shares are back", "who_text": "The desk", "minutes": 10},
        {"id": first.pk, "text": first.text, "who": netmgr, "minutes": 10},
    ])  # fmt: skip
    rows = list(plan.steps.values_list("position", "text", "minutes"))
    assert rows == [(1, third.text, 200), (2, "Tell staff the shares are back", 10), (3, first.text, 10)]
    assert [s.pk for s in steps][0] == third.pk and not plan.steps.filter(pk=second.pk).exists()


def test_outside_contacts_need_a_phone_and_the_team_a_role(plan, netmgr, staff):
    with pytest.raises(ValidationError) as error:
        services.plan_contacts_save(plan=plan, actor=netmgr, contacts=[
            {"kind": "external", "organisation": "Supplier"}, {"kind": "team", "person": staff},
        ])  # fmt: skip
    assert "give a phone number" in " ".join(error.value.messages)
    assert "say their role in the plan" in " ".join(error.value.messages)


# --- The recovery order from the CMDB --------------------------------------------------------------------------------


def test_what_the_service_relies_on_comes_back_first(chain):
    order, truncated = recovery.recovery_order(chain["service"])
    assert [(item.stage, item.ci.name) for item in order] == [
        (1, "HF-CORE-01"), (2, "HF-NAS-01"), (3, "HF-SRV-01"), (4, "DFS namespace"),
    ]  # fmt: skip
    assert not truncated
    server = next(item for item in order if item.ci.name == "HF-SRV-01")
    assert [ci.name for ci in server.needs] == ["HF-CORE-01", "HF-NAS-01"]


def test_a_cycle_in_the_cmdb_does_not_loop(chain, tech):
    from cmdb.services import relationship_add

    relationship_add(source=chain["core"], target=chain["server"], actor=tech, kind="depends_on")
    order, _ = recovery.recovery_order(chain["service"])
    assert {item.ci.name for item in order} == {"HF-CORE-01", "HF-NAS-01", "HF-SRV-01", "DFS namespace"}


def test_the_agreed_sla_of_the_service_is_found(plan, leader, highfield, chain):
    from servicelevels import services as sl

    service = sl.it_service_create(school=highfield, actor=leader, name="File storage", ci=chain["service"])
    assert recovery.agreements_for(chain["service"]) == []
    assert recovery.catalogue_entry(chain["service"]) == service


def test_durations_in_words():
    assert [recovery.duration_text(m) for m in (45, 240, 90, 1440, 1680, 0)] == [
        "45 min", "4 h", "1 h 30 min", "1 day", "1 day 4 h", "0 min",
    ]  # fmt: skip


# --- Continuity tests ------------------------------------------------------------------------------------------------


def test_a_walkthrough_raises_its_actions_as_tasks_and_moves_the_last_test_on(plan, netmgr, tech, leader):
    today = timezone.localdate()
    test = services.continuity_test_record(
        plan=plan, actor=netmgr, tested_on=today - timedelta(days=3), kind="walkthrough",
        scenario="The server room flooded.", outcome="issues", findings="Restore takes 9 hours.",
        participants=[netmgr, tech, leader], rto_achieved_minutes=540, restores_tried=2, restores_passed=1,
        actions=[{"text": "Time a full restore", "owner": tech, "due_on": today + timedelta(days=14)},
                 {"text": "", "owner": None, "due_on": None}],
    )  # fmt: skip
    assert test.rto_met is False and test.plan_version == plan.version
    (action,) = test.actions.all()
    task = Task.objects.get(pk=action.task_id)
    assert (task.title, task.assignee, task.due_on, task.origin, task.school_id) == (
        "Continuity action: Time a full restore",
        tech,
        today + timedelta(days=14),
        TaskOrigin.REVIEW,
        plan.school_id,
    )
    plan.refresh_from_db()
    assert plan.last_tested_on == today - timedelta(days=3)


def test_a_failed_test_needs_findings_and_restores_add_up(plan, netmgr):
    with pytest.raises(ValidationError) as error:
        services.continuity_test_record(plan=plan, actor=netmgr, tested_on=timezone.localdate(), kind="rehearsal",
                                        scenario="Fire.", outcome="failed", restores_tried=1,
                                        restores_passed=2)  # fmt: skip
    assert set(error.value.message_dict) == {"findings", "restores_passed"}


# --- Reminders -------------------------------------------------------------------------------------------------------


def test_reminders_raise_one_task_per_overdue_review_test_and_risk_and_are_idempotent(plan, risk, netmgr, tech):
    today = timezone.localdate()
    assert services.continuity_reminders_raise(today=today) == 0
    ContinuityPlan.objects.filter(pk=plan.pk).update(review_date=today - timedelta(days=1),
                                                     last_tested_on=today - timedelta(days=400))  # fmt: skip
    Risk.objects.filter(pk=risk.pk).update(review_date=today - timedelta(days=2))
    assert services.continuity_reminders_raise(today=today) == 3
    assert services.continuity_reminders_raise(today=today) == 0
    assert services.continuity_reminders_raise(today=today + timedelta(days=1)) == 0  # same dates passed: same tasks
    keys = set(Task.objects.values_list("source_key", flat=True))
    plan.refresh_from_db()
    assert keys == {
        f"continuity-review:{plan.pk}:{(today - timedelta(days=1)).isoformat()}",
        f"continuity-test:{plan.pk}:{plan.next_test_due().isoformat()}",
        f"continuity-risk:{risk.pk}:{(today - timedelta(days=2)).isoformat()}",
    }
    # Reviewing the plan by a network manager completes its reminder; a new review date that passes raises anew.
    services.plan_review(plan=plan, actor=netmgr, next_review=today + timedelta(days=30))
    review = Task.objects.get(source_key__startswith="continuity-review:")
    assert not review.is_open
    assert services.continuity_reminders_raise(today=today + timedelta(days=31)) == 1


def test_a_retired_plan_and_a_closed_risk_raise_nothing(plan, risk, netmgr):
    today = timezone.localdate()
    services.plan_transition(plan=plan, action="retire", actor=netmgr, note="Service moved to the cloud.")
    services.risk_transition(risk=risk, action="close", actor=netmgr, note="Servers moved upstairs.")
    ContinuityPlan.objects.filter(pk=plan.pk).update(review_date=today - timedelta(days=1))
    Risk.objects.filter(pk=risk.pk).update(review_date=today - timedelta(days=1))
    assert services.continuity_reminders_raise(today=today) == 0


def test_the_reminders_are_on_the_beat():
    from fits.schedules import DEFAULT_SCHEDULES

    (schedule,) = [s for s in DEFAULT_SCHEDULES if s.task == "continuity.tasks.continuity_reminders_task"]
    assert schedule.crontab == "50 5 * * *"
