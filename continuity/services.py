"""Every change of Service Continuity Management's records: the risk register, the recovery plans (their steps,
contacts, approval and review), the continuity tests with the actions they raise, and the daily reminders.

Each operation is atomic, checks the access predicate (fits/access.py) and writes the record's timeline. The
reminders are idempotent however often they run: each overdue review or test raises one Task on a source key
naming the occurrence (incidents.task_services.task_raise).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cmdb.models import ConfigurationItem, Kind
from continuity.models import (
    ContactKind,
    ContinuityPlan,
    ContinuityTest,
    PlanContact,
    PlanStatus,
    RecoveryStep,
    Risk,
    RiskStatus,
    TestAction,
    TestKind,
    TestOutcome,
    add_months,
    rating_for,
)
from fits import access, activity
from fits.models import Activity, School, User
from incidents.models import Task, TaskOrigin

MANAGERS = "Only the network manager and the school's leaders keep continuity records."


def _require_manage(actor: User, obj: Any) -> None:
    access.require(access.can_manage_continuity, actor, obj, MANAGERS)


def _check_people(school: School, errors: dict[str, str], **people: User | None) -> None:
    for field, person in people.items():
        if person is not None and not access.is_school_staff.test(person, school):
            errors[field] = f"{person} is not support staff at {school}."


def _check_cis(school: School, cis: list[ConfigurationItem], field: str, errors: dict[str, str]) -> None:
    strangers = [ci.name for ci in cis if ci.school_id != school.pk]
    if strangers:
        errors[field] = f"{', '.join(strangers)} belong to another school."


# =============================================================================
# Risks
# =============================================================================

RISK_FIELDS = (
    "title", "category", "description", "likelihood", "impact", "controls", "residual_likelihood", "residual_impact",
    "owner", "review_date",
)  # fmt: skip


def _check_level(value: Any, field: str, errors: dict[str, str], *, required: bool = True) -> None:
    if value is None:
        if required:
            errors[field] = "Choose a level from 1 to 5."
        return
    if not isinstance(value, int) or not 1 <= value <= 5:
        errors[field] = "A level is from 1 to 5."


@transaction.atomic
def risk_save(
    *,
    actor: User,
    school: School,
    risk: Risk | None = None,
    cis: list[ConfigurationItem] | None = None,
    **values: Any,
) -> Risk:
    """Record a risk in the school's register (or change it). Its score is likelihood x impact (1-25) and its
    rating the band the score falls in; a residual likelihood and impact say what is left once the countermeasures
    work."""
    _require_manage(actor, school)
    unknown = set(values) - set(RISK_FIELDS)
    if unknown:
        raise TypeError(f"Unknown risk fields: {sorted(unknown)}")
    if risk is not None and risk.school_id != school.pk:
        raise ValidationError("A risk stays at its school.")
    base = risk if risk is not None else Risk(school=school)
    merged = {name: getattr(base, name) for name in RISK_FIELDS} | values
    merged["title"] = str(merged.get("title") or "").strip()
    cis_list = list(cis) if cis is not None else (list(risk.cis.all()) if risk else [])
    errors: dict[str, str] = {}
    if not merged["title"]:
        errors["title"] = "Say what the risk is, in a few words."
    if not merged.get("category"):
        errors["category"] = "Choose the kind of threat."
    _check_level(merged.get("likelihood"), "likelihood", errors)
    _check_level(merged.get("impact"), "impact", errors)
    _check_level(merged.get("residual_likelihood"), "residual_likelihood", errors, required=False)
    _check_level(merged.get("residual_impact"), "residual_impact", errors, required=False)
    if (merged.get("residual_likelihood") is None) != (merged.get("residual_impact") is None):
        errors["residual_impact"] = "Give both the residual likelihood and the residual impact, or neither."
    if merged.get("review_date") is None:
        errors["review_date"] = "Say when the risk is next reviewed."
    _check_people(school, errors, owner=merged.get("owner"))
    _check_cis(school, cis_list, "cis", errors)
    if errors:
        raise ValidationError(errors)
    created = risk is None
    risk = base
    for field, value in merged.items():
        setattr(risk, field, value)
    risk.score = risk.likelihood * risk.impact
    risk.rating = rating_for(risk.score)
    risk.save()
    risk.cis.set(cis_list)
    activity.record(risk, actor=actor, kind=Activity.Kind.CREATED if created else Activity.Kind.FIELD,
                    text="Risk recorded." if created else "Risk changed.",
                    changes={"score": risk.score, "rating": risk.rating})  # fmt: skip
    return risk


@transaction.atomic
def risk_transition(*, risk: Risk, action: str, actor: User, note: str = "") -> Risk:
    """Move a risk on: treated (countermeasures in place), accepted, closed, or reopened."""
    risk = Risk.objects.select_for_update().get(pk=risk.pk)
    transition = Risk.WORKFLOW.check_action(risk.status, action)
    access.require(transition.permission, actor, risk, MANAGERS)
    if transition.note_required and not note.strip():
        raise ValidationError({"note": f"{transition.note_label}: say it."})
    old, risk.status = risk.status, transition.target
    risk.save(update_fields=["status", "updated_at"])
    activity.record_status(risk, actor=actor, old=old, new=risk.status, note=note.strip())
    return risk


@transaction.atomic
def risk_review(*, risk: Risk, actor: User, next_review: date, note: str = "") -> Risk:
    """The risk was reviewed: its next review is set, and the reminder task for this review is completed."""
    risk = Risk.objects.select_for_update().get(pk=risk.pk)
    _require_manage(actor, risk)
    today = timezone.localdate()
    if next_review <= today:
        raise ValidationError({"next_review": "The next review is after today."})
    old = risk.review_date
    risk.review_date = next_review
    risk.save(update_fields=["review_date", "updated_at"])
    activity.record(risk, actor=actor, kind=Activity.Kind.FIELD,
                    text=f"Reviewed; next review {next_review:%d %b %Y}. {note.strip()}".strip(),
                    changes={"review_date": [old.isoformat(), next_review.isoformat()]})  # fmt: skip
    _complete_reminders(f"continuity-risk:{risk.pk}:", risk.school_id, actor, "Risk reviewed.")
    return risk


# =============================================================================
# Recovery plans
# =============================================================================

PLAN_FIELDS = (
    "recovery_order", "summary", "rto_minutes", "rpo_minutes", "standby", "assets", "owner", "review_date",
    "test_every_months",
)  # fmt: skip


@transaction.atomic
def plan_save(
    *,
    actor: User,
    school: School,
    plan: ContinuityPlan | None = None,
    service: ConfigurationItem | None = None,
    risks: list[Risk] | None = None,
    **values: Any,
) -> ContinuityPlan:
    """Write the recovery plan of an ICT service (or change it). Changing an approved plan makes a new draft
    version, which needs approving again: the approved text is what people follow in a disaster."""
    _require_manage(actor, school)
    unknown = set(values) - set(PLAN_FIELDS)
    if unknown:
        raise TypeError(f"Unknown plan fields: {sorted(unknown)}")
    if plan is not None:
        plan = ContinuityPlan.objects.select_for_update().get(pk=plan.pk)
        if plan.school_id != school.pk:
            raise ValidationError("A plan stays at its school.")
        if plan.status == PlanStatus.RETIRED:
            raise ValidationError("A retired plan is not changed: reinstate it first.")
    base = plan if plan is not None else ContinuityPlan(school=school)
    merged = {name: getattr(base, name) for name in PLAN_FIELDS} | values
    service = service if service is not None else (plan.service if plan is not None else None)
    risks_list = list(risks) if risks is not None else (list(plan.risks.all()) if plan else [])
    errors: dict[str, str] = {}
    if service is None:
        errors["service"] = "Choose the ICT service the plan brings back."
    elif service.kind != Kind.SERVICE:
        errors["service"] = f"{service} is not an ICT service in the CMDB."
    elif service.school_id != school.pk:
        errors["service"] = f"{service} belongs to another school."
    else:
        clash = ContinuityPlan.objects.filter(service=service)
        if plan is not None:
            clash = clash.exclude(pk=plan.pk)
        if clash.exists():
            errors["service"] = f"{service} has a recovery plan already: change that one."
    for field, label in (("rto_minutes", "recovery time objective"), ("rpo_minutes", "recovery point objective")):
        if merged.get(field) is None:
            errors[field] = f"Give the {label}."
    if not merged.get("recovery_order"):
        errors["recovery_order"] = "Say where the service comes in the recovery order (1 first)."
    if merged.get("review_date") is None:
        errors["review_date"] = "Say when the plan is next reviewed."
    if not merged.get("test_every_months"):
        errors["test_every_months"] = "Say how often the plan is tested, in months."
    _check_people(school, errors, owner=merged.get("owner"))
    strangers = [str(risk) for risk in risks_list if risk.school_id != school.pk]
    if strangers:
        errors["risks"] = f"{', '.join(strangers)} belong to another school."
    if errors:
        raise ValidationError(errors)
    created = plan is None
    plan = base
    text = "Plan written." if created else "Plan changed."
    if plan.status == PlanStatus.APPROVED:
        old_version = plan.version
        plan.version, plan.status = plan.version + 1, PlanStatus.DRAFT
        plan.approved_by, plan.approved_at = None, None
        text = f"Plan changed after approval: version {plan.version} is a draft until approved."
        activity.record_status(plan, actor=actor, old=PlanStatus.APPROVED, new=PlanStatus.DRAFT,
                               note=f"Version {old_version} changed.")  # fmt: skip
    plan.service = service
    for field, value in merged.items():
        setattr(plan, field, value)
    plan.save()
    plan.risks.set(risks_list)
    activity.record(plan, actor=actor, kind=Activity.Kind.CREATED if created else Activity.Kind.FIELD, text=text)
    return plan


def _unapprove(plan: ContinuityPlan, actor: User, what: str) -> None:
    """A change to an approved plan's steps or contacts: a new draft version (the plan is already locked)."""
    if plan.status != PlanStatus.APPROVED:
        return
    plan.version, plan.status, plan.approved_by, plan.approved_at = plan.version + 1, PlanStatus.DRAFT, None, None
    plan.save(update_fields=["version", "status", "approved_by", "approved_at", "updated_at"])
    activity.record_status(plan, actor=actor, old=PlanStatus.APPROVED, new=PlanStatus.DRAFT,
                           note=f"{what} changed: version {plan.version} is a draft until approved.")  # fmt: skip


@transaction.atomic
def plan_steps_save(*, plan: ContinuityPlan, actor: User, steps: list[dict[str, Any]]) -> list[RecoveryStep]:
    """Set the plan's recovery steps, in the order given: each {"text", "who", "who_text", "minutes"}, and "id" for
    a step kept (changed or moved); steps not given are removed. One call adds, edits, reorders and removes."""
    plan = ContinuityPlan.objects.select_for_update().get(pk=plan.pk)
    _require_manage(actor, plan)
    if plan.status == PlanStatus.RETIRED:
        raise ValidationError("A retired plan is not changed: reinstate it first.")
    existing = {step.pk: step for step in plan.steps.all()}
    errors: list[str] = []
    cleaned = []
    for number, row in enumerate(steps, start=1):
        text = str(row.get("text") or "").strip()
        who, minutes = row.get("who"), row.get("minutes")
        if not text:
            errors.append(f"Step {number}: say what to do.")
        if who is not None and not access.is_school_staff.test(who, plan):
            errors.append(f"Step {number}: {who} is not support staff at {plan.school}.")
        if minutes is not None and (not isinstance(minutes, int) or minutes < 0):
            errors.append(f"Step {number}: the minutes are a whole number.")
        step_id = row.get("id")
        if step_id is not None and step_id not in existing:
            errors.append(f"Step {number} is not a step of this plan.")
        cleaned.append((step_id, text, who, str(row.get("who_text") or "").strip(), minutes))
    if errors:
        raise ValidationError(errors)
    ordered_before = sorted(existing.values(), key=lambda s: (s.position, s.pk))
    before = [(s.text, s.who_id, s.who_text, s.minutes) for s in ordered_before]
    kept = {step_id for step_id, *_ in cleaned if step_id is not None}
    RecoveryStep.objects.filter(plan=plan).exclude(pk__in=kept).delete()
    result = []
    for position, (step_id, text, who, who_text, minutes) in enumerate(cleaned, start=1):
        step = existing.get(step_id) or RecoveryStep(plan=plan)
        step.position, step.text, step.who, step.who_text, step.minutes = position, text, who, who_text, minutes
        step.save()
        result.append(step)
    if before != [(s.text, s.who_id, s.who_text, s.minutes) for s in result]:
        _unapprove(plan, actor, "Recovery steps")
        activity.record(plan, actor=actor, kind=Activity.Kind.FIELD,
                        text=f"Recovery steps set: {len(result)} step{'s' if len(result) != 1 else ''}.")  # fmt: skip
    return result


@transaction.atomic
def plan_contacts_save(*, plan: ContinuityPlan, actor: User, contacts: list[dict[str, Any]]) -> list[PlanContact]:
    """Set who to call: the recovery team (people of the school, each with their role in the plan) and outside
    contacts (a supplier's desk with its phone number). Each {"kind", "person", "name", "organisation", "role",
    "phone", "email"}; the list replaces the plan's contacts."""
    plan = ContinuityPlan.objects.select_for_update().get(pk=plan.pk)
    _require_manage(actor, plan)
    if plan.status == PlanStatus.RETIRED:
        raise ValidationError("A retired plan is not changed: reinstate it first.")
    errors: list[str] = []
    rows = []
    for number, row in enumerate(contacts, start=1):
        kind = row.get("kind") or ContactKind.TEAM
        person = row.get("person")
        values = {key: str(row.get(key) or "").strip() for key in ("name", "organisation", "role", "phone", "email")}
        if kind not in ContactKind.values:
            errors.append(f"Contact {number}: choose the recovery team or an outside contact.")
        elif kind == ContactKind.TEAM:
            if person is None:
                errors.append(f"Contact {number}: choose the member of the recovery team.")
            elif not access.is_member.test(person, plan):
                errors.append(f"Contact {number}: {person} has no role at {plan.school}.")
            if not values["role"]:
                errors.append(f"Contact {number}: say their role in the plan.")
        else:
            person = None
            if not values["name"] and not values["organisation"]:
                errors.append(f"Contact {number}: name the outside contact or their organisation.")
            if not values["phone"]:
                errors.append(f"Contact {number}: give a phone number: in a disaster, e-mail may be down.")
        rows.append(PlanContact(plan=plan, kind=kind, person=person, position=number, **values))
    if errors:
        raise ValidationError(errors)
    plan.contacts.all().delete()
    PlanContact.objects.bulk_create(rows)
    _unapprove(plan, actor, "Contacts")
    activity.record(plan, actor=actor, kind=Activity.Kind.FIELD,
                    text=f"Contacts set: {len(rows)} contact{'s' if len(rows) != 1 else ''}.")  # fmt: skip
    return list(plan.contacts.select_related("person"))


@transaction.atomic
def plan_transition(*, plan: ContinuityPlan, action: str, actor: User, note: str = "") -> ContinuityPlan:
    """Approve a draft plan (the network manager or a leader), revise an approved one as a new draft version, retire
    a plan, or reinstate a retired one as a draft."""
    plan = ContinuityPlan.objects.select_for_update().get(pk=plan.pk)
    transition = ContinuityPlan.WORKFLOW.check_action(plan.status, action)
    access.require(transition.permission, actor, plan, "Only the network manager or a school leader does that.")
    if transition.note_required and not note.strip():
        raise ValidationError({"note": f"{transition.note_label}: say it."})
    fields = ["status", "updated_at"]
    if action == "approve":
        if not plan.steps.exists():
            raise ValidationError("A plan without recovery steps cannot be approved: write the steps first.")
        if plan.review_date <= timezone.localdate():
            raise ValidationError("Set a review date after today before approving the plan.")
        plan.approved_by, plan.approved_at = actor, timezone.now()
        fields += ["approved_by", "approved_at"]
    elif action == "revise":
        plan.version += 1
        plan.approved_by, plan.approved_at = None, None
        fields += ["version", "approved_by", "approved_at"]
    old, plan.status = plan.status, transition.target
    plan.save(update_fields=fields)
    activity.record_status(plan, actor=actor, old=old, new=plan.status,
                           note=(f"Version {plan.version}. {note.strip()}").strip())  # fmt: skip
    return plan


@transaction.atomic
def plan_review(*, plan: ContinuityPlan, actor: User, next_review: date, note: str = "") -> ContinuityPlan:
    """The plan was reviewed (still right, or changed and approved again): the next review is set, and the
    reminder task for this review is completed."""
    plan = ContinuityPlan.objects.select_for_update().get(pk=plan.pk)
    _require_manage(actor, plan)
    if next_review <= timezone.localdate():
        raise ValidationError({"next_review": "The next review is after today."})
    old, plan.review_date = plan.review_date, next_review
    plan.save(update_fields=["review_date", "updated_at"])
    activity.record(plan, actor=actor, kind=Activity.Kind.FIELD,
                    text=f"Reviewed; next review {next_review:%d %b %Y}. {note.strip()}".strip(),
                    changes={"review_date": [old.isoformat(), next_review.isoformat()]})  # fmt: skip
    _complete_reminders(f"continuity-review:{plan.pk}:", plan.school_id, actor, "Plan reviewed.")
    return plan


# =============================================================================
# Continuity tests
# =============================================================================


@transaction.atomic
def continuity_test_record(
    *,
    plan: ContinuityPlan,
    actor: User,
    tested_on: date,
    kind: str,
    scenario: str,
    outcome: str,
    findings: str = "",
    participants: list[User] | None = None,
    others: str = "",
    rto_achieved_minutes: int | None = None,
    restores_tried: int | None = None,
    restores_passed: int | None = None,
    actions: list[dict[str, Any]] | None = None,
) -> ContinuityTest:
    """Record a test of the plan (a desk-top walk-through or a live rehearsal) with its outcome and findings. Each
    action found ({"text", "owner", "due_on"}) is raised as a Task at the school, so it shows in the task list; the
    plan's last test date moves on, and the reminder for this test is completed."""
    from incidents.task_services import task_raise

    plan = ContinuityPlan.objects.select_for_update().select_related("school", "service").get(pk=plan.pk)
    _require_manage(actor, plan)
    today = timezone.localdate()
    errors: dict[str, str] = {}
    if tested_on is None or tested_on > today:
        errors["tested_on"] = "Give the day of the test (not in the future)."
    if kind not in TestKind.values:
        errors["kind"] = "A walk-through or a rehearsal."
    if outcome not in TestOutcome.values:
        errors["outcome"] = "Passed, passed with issues, or failed."
    if not scenario.strip():
        errors["scenario"] = "Say what the test supposed had happened."
    if outcome in (TestOutcome.ISSUES, TestOutcome.FAILED) and not findings.strip():
        errors["findings"] = "Say what went wrong: that is what the test is for."
    for field, value in (("rto_achieved_minutes", rto_achieved_minutes), ("restores_tried", restores_tried),
                         ("restores_passed", restores_passed)):  # fmt: skip
        if value is not None and value < 0:
            errors[field] = "Not negative."
    if restores_passed is not None and (restores_tried is None or restores_passed > restores_tried):
        errors["restores_passed"] = "No more restores can work than were tried."
    people = list(participants or [])
    strangers = [str(p) for p in people if not access.is_member.test(p, plan)]
    if strangers:
        errors["participants"] = f"{', '.join(strangers)} have no role at {plan.school}."
    action_rows = []
    for number, row in enumerate(actions or [], start=1):
        text, owner, due_on = str(row.get("text") or "").strip(), row.get("owner"), row.get("due_on")
        if not text:
            continue
        if due_on is None:
            errors["actions"] = f"Action {number}: give a due date."
        if owner is not None and not access.is_school_staff.test(owner, plan):
            errors["actions"] = f"Action {number}: {owner} is not support staff at {plan.school}."
        action_rows.append((text, owner, due_on))
    if errors:
        raise ValidationError(errors)
    test = ContinuityTest.objects.create(
        school_id=plan.school_id, plan=plan, tested_on=tested_on, kind=kind, scenario=scenario.strip(),
        others=others.strip(), outcome=outcome, findings=findings.strip(), rto_achieved_minutes=rto_achieved_minutes,
        restores_tried=restores_tried, restores_passed=restores_passed, plan_version=plan.version,
        recorded_by=actor,
    )  # fmt: skip
    test.participants.set(people)
    for position, (text, owner, due_on) in enumerate(action_rows, start=1):
        action = TestAction.objects.create(test=test, text=text[:200], owner=owner, due_on=due_on)
        action.task = task_raise(
            school=plan.school,
            title=f"Continuity action: {text}"[:200],
            origin=TaskOrigin.REVIEW,
            description=f"Found by the {test.get_kind_display().lower()} of the {plan} on {tested_on:%d %b %Y}. "
            f"{findings.strip()}".strip(),
            due_on=due_on,
            ci=plan.service,
            assignee=owner if owner is not None and access.can_work_task.test(owner, plan) else None,
            source=test,
            source_key=f"continuity-action:{test.pk}:{position}",
        )
        action.save(update_fields=["task"])
    if plan.last_tested_on is None or tested_on >= plan.last_tested_on:
        due_before = plan.next_test_due()
        plan.last_tested_on = tested_on
        plan.save(update_fields=["last_tested_on", "updated_at"])
        _complete_reminders(f"continuity-test:{plan.pk}:{due_before.isoformat()}", plan.school_id, actor,
                            f"Tested on {tested_on:%d %b %Y}: {test.get_outcome_display().lower()}.")  # fmt: skip
    activity.record(test, actor=actor, kind=Activity.Kind.CREATED,
                    text=f"Test recorded: {test.get_outcome_display().lower()}.")  # fmt: skip
    activity.record(plan, actor=actor, kind=Activity.Kind.FIELD,
                    text=f"{test.get_kind_display()} on {tested_on:%d %b %Y}: {test.get_outcome_display().lower()}"
                    f"{f', {len(action_rows)} action(s) raised' if action_rows else ''}.")  # fmt: skip
    return test


# =============================================================================
# Reminders (daily, from the beat)
# =============================================================================


def _complete_reminders(key_prefix: str, school_id: int, actor: User, outcome: str) -> None:
    """Complete the open reminder tasks whose source key starts with `key_prefix`, if `actor` works tasks (a leader
    who reviews a plan leaves the task for the technicians to close)."""
    from incidents.task_services import task_complete

    for task in Task.objects.filter(school_id=school_id, source_key__startswith=key_prefix):
        if task.is_open and access.can_work_task.test(actor, task):
            task_complete(task=task, actor=actor, outcome=outcome)


def _assignee(person: User | None, record: Any) -> User | None:
    return person if person is not None and access.can_work_task.test(person, record) else None


def continuity_reminders_raise(*, today: date | None = None) -> int:
    """Raise one Task for each plan whose review is overdue, each plan whose test is overdue, and each risk past its
    review date, once per occurrence (the source key names the plan or risk and the date that passed). Returns how
    many were raised now."""
    from incidents.task_services import task_raise

    today = today or timezone.localdate()
    raised = 0
    plans = ContinuityPlan.objects.exclude(status=PlanStatus.RETIRED).select_related("school", "service", "owner")
    for plan in plans.order_by("school_id", "pk"):
        reminders = []
        if plan.review_date < today:
            reminders.append((
                f"continuity-review:{plan.pk}:{plan.review_date.isoformat()}",
                f"Review the continuity plan: {plan.service.name}",
                f"The {plan} (version {plan.version}) was due for review on {plan.review_date:%d %b %Y}.",
                ["Walk through the plan with its recovery team", "Check the contacts and phone numbers",
                 "Check the steps against the CMDB's dependencies", "Record the review on the plan's page"],
            ))  # fmt: skip
        due = plan.next_test_due()
        if due < today:
            last = f"last tested {plan.last_tested_on:%d %b %Y}" if plan.last_tested_on else "never tested"
            reminders.append((
                f"continuity-test:{plan.pk}:{due.isoformat()}",
                f"Test the continuity plan: {plan.service.name}",
                f"The {plan} is tested every {plan.test_every_months} months; it was {last}, so a test was due on "
                f"{due:%d %b %Y}.",
                ["Agree a scenario (the server room flooded, ransomware...)",
                 "Walk through the plan or rehearse it with the recovery team",
                 "Record the test, its findings and actions on the plan's page"],
            ))  # fmt: skip
        for key, title, description, steps in reminders:
            if Task.objects.filter(school_id=plan.school_id, source_key=key).exists():
                continue
            with transaction.atomic():
                task_raise(school=plan.school, title=title, origin=TaskOrigin.REVIEW, description=description,
                           steps=steps, due_on=today, ci=plan.service, assignee=_assignee(plan.owner, plan),
                           source=plan, source_key=key)  # fmt: skip
            raised += 1
    risks = Risk.objects.exclude(status=RiskStatus.CLOSED).filter(review_date__lt=today).select_related("school")
    for risk in risks.select_related("owner").order_by("school_id", "pk"):
        key = f"continuity-risk:{risk.pk}:{risk.review_date.isoformat()}"
        if Task.objects.filter(school_id=risk.school_id, source_key=key).exists():
            continue
        with transaction.atomic():
            task_raise(
                school=risk.school,
                title=f"Review the risk: {risk.title}"[:200],
                origin=TaskOrigin.REVIEW,
                description=f"The risk ({risk.get_rating_display().lower()}, score {risk.score}) was due for review "
                f"on {risk.review_date:%d %b %Y}.",
                steps=[
                    "Is it still as likely, and as bad?",
                    "Are the countermeasures in place and working?",
                    "Record the review on the risk's page",
                ],  # fmt: skip
                due_on=today,
                assignee=_assignee(risk.owner, risk),
                source=risk,
                source_key=key,
            )
        raised += 1
    return raised


def overview_counts(plans: list[ContinuityPlan], risks: list[Risk], today: date) -> dict[str, int]:
    """The overview's figures."""
    return {
        "plans": len(plans),
        "approved": sum(1 for p in plans if p.status == PlanStatus.APPROVED),
        "reviews_overdue": sum(1 for p in plans if p.review_overdue(today)),
        "tests_overdue": sum(1 for p in plans if p.test_overdue(today)),
        "risks_open": sum(1 for r in risks if r.status != RiskStatus.CLOSED),
        "risks_overdue": sum(1 for r in risks if r.is_overdue(today)),
    }


def next_review_default(today: date | None = None) -> date:
    return add_months(today or timezone.localdate(), 12)
