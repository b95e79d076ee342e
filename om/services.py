"""The OM base's state changes: a function's policy and the allocation of its activities (FITS-OM 7: the network
manager plans the operations and allocates each activity; staff carry them out)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from fits import access, activity
from fits.models import Activity, School, User
from om.models import ActivityAllocation, Function, FunctionPolicy

# A policy is reviewed yearly unless the network manager says otherwise.
POLICY_REVIEW_INTERVAL = timedelta(days=365)
ALLOCATION_FIELDS = ("activity", "frequency", "owner", "deputy", "notes")


def _require_manage(actor: User, school: School) -> None:
    access.require(
        access.can_manage_operations,
        actor,
        school,
        f"Only the network manager writes the operations policies and allocates the activities of {school}.",
    )


def _check_person(school: School, person: User | None, field: str, errors: dict[str, str]) -> None:
    if person is not None and not access.is_school_staff.test(person, school):
        errors[field] = f"{person} is not on the support staff of {school}."


def _check_function(function: str) -> None:
    if function not in Function.values:
        raise ValidationError({"function": f"{function!r} is not a FITS OM function."})


@transaction.atomic
def policy_save(
    *,
    actor: User,
    school: School,
    function: str,
    text: str,
    owner: User | None = None,
    review_due: date | None = None,
    now: datetime | None = None,
) -> FunctionPolicy:
    """Write (or rewrite) the policy of `function` at `school`. A new policy is due for review in a year."""
    _require_manage(actor, school)
    _check_function(function)
    errors: dict[str, str] = {}
    if not (text or "").strip():
        errors["text"] = "Write the policy: its scope, the standards kept and who decides."
    _check_person(school, owner, "owner", errors)
    if errors:
        raise ValidationError(errors)
    today = timezone.localdate(now or timezone.now())
    policy = FunctionPolicy.objects.select_for_update().filter(school=school, function=function).first()
    creating = policy is None
    if creating:
        policy = FunctionPolicy(school=school, function=function)
    old_text = policy.text
    policy.text = text.strip()
    policy.owner = owner
    policy.review_due = review_due or policy.review_due or today + POLICY_REVIEW_INTERVAL
    policy.save()
    if creating:
        activity.record(policy, actor=actor, kind=Activity.Kind.CREATED, text="Wrote the policy.")
    elif old_text != policy.text:
        activity.record(policy, actor=actor, kind=Activity.Kind.FIELD, text="Rewrote the policy.")
    return policy


@transaction.atomic
def policy_review(
    *, actor: User, policy: FunctionPolicy, note: str = "", next_review: date | None = None, now: datetime | None = None
) -> FunctionPolicy:
    """Record that the policy was reviewed (by `actor`, now) and when it is next due."""
    policy = FunctionPolicy.objects.select_for_update().select_related("school").get(pk=policy.pk)
    _require_manage(actor, policy.school)
    moment = now or timezone.now()
    policy.reviewed_at = moment
    policy.reviewed_by = actor
    policy.review_due = next_review or timezone.localdate(moment) + POLICY_REVIEW_INTERVAL
    policy.save(update_fields=["reviewed_at", "reviewed_by", "review_due", "updated_at"])
    text = f"Reviewed; next review {policy.review_due:%d %b %Y}."
    activity.record(policy, actor=actor, kind=Activity.Kind.COMMENT, text=f"{text} {note}".strip())
    return policy


@transaction.atomic
def allocation_save(
    *,
    actor: User,
    school: School | None = None,
    function: str | None = None,
    allocation: ActivityAllocation | None = None,
    **values: Any,
) -> ActivityAllocation:
    """Allocate an activity of `function` at `school` (or change `allocation`): who owns it, who stands in."""
    unknown = set(values) - set(ALLOCATION_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown allocation fields: {', '.join(sorted(unknown))}.")
    if allocation is None:
        if school is None or function is None:
            raise ValidationError("Choose the school and the function.")
        _check_function(function)
        allocation = ActivityAllocation(school=school, function=function)
    else:
        allocation = ActivityAllocation.objects.select_for_update().select_related("school").get(pk=allocation.pk)
        school = allocation.school
    _require_manage(actor, school)
    for name, value in values.items():
        setattr(allocation, name, value.strip() if isinstance(value, str) else value)
    errors: dict[str, str] = {}
    if not allocation.activity:
        errors["activity"] = "Say what the activity is (e.g. 'Check the overnight backups')."
    if allocation.frequency not in ActivityAllocation.Frequency.values:
        errors["frequency"] = "Choose how often it is done."
    _check_person(school, allocation.owner, "owner", errors)
    _check_person(school, allocation.deputy, "deputy", errors)
    if allocation.owner_id and allocation.owner_id == allocation.deputy_id:
        errors["deputy"] = "The deputy stands in for the owner: choose someone else."
    clash = ActivityAllocation.objects.filter(
        school=school, function=allocation.function, activity__iexact=allocation.activity
    ).exclude(pk=allocation.pk)
    if allocation.activity and clash.exists():
        errors["activity"] = f"“{allocation.activity}” is already allocated in this function."
    if errors:
        raise ValidationError(errors)
    allocation.allocated_by = actor
    allocation.save()
    return allocation


@transaction.atomic
def allocation_delete(*, actor: User, allocation: ActivityAllocation) -> None:
    allocation = ActivityAllocation.objects.select_for_update().select_related("school").get(pk=allocation.pk)
    _require_manage(actor, allocation.school)
    allocation.delete()
