"""Service Level Management operations (FITS Service Level: "define, agree and document service levels").

Every change to the ICT service catalogue, the agreements and their targets, the LEA's support packages
and the schools' subscriptions goes through here, from the pages, the API and the tasks alike. The ticket
clock is servicelevels.sla's; the calendars' services are in servicelevels.calendars.

A change that alters which targets apply (agreeing, revising or retiring an SLA, editing an agreed one's
targets) asks servicelevels.sla to recompute the open tickets' due times after commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cmdb.models import ConfigurationItem
from cmdb.models import Kind as CIKind
from fits import access, activity, notifications
from fits.models import Activity, Authority, AuthorityRoleKind, School, User
from fits.scoping import ensure_same_school
from incidents.models import Priority, SupportGroup, TicketKind
from servicelevels.models import Agreement, ITService, ServiceTarget, Subscription, SupportPackage

# The targets tickets get when no agreement applies (servicelevels.sla.BUILT_IN_TARGETS when it exists):
# minutes of school time to respond and to resolve, per priority.
FALLBACK_TARGETS: dict[int, tuple[int, int]] = {
    1: (30, 4 * 60),
    2: (60, 8 * 60),
    3: (4 * 60, 24 * 60),
    4: (8 * 60, 40 * 60),
    5: (16 * 60, 80 * 60),
}

# Reminders before a review date, in days (and one on the day it is overdue).
REMINDER_DAYS = (30, 7)


def built_in_targets() -> dict[int, tuple[int, int]]:
    """{priority: (response minutes, resolution minutes)}: the built-in targets, as the SLA clock knows them."""
    from servicelevels import sla

    found = getattr(sla, "BUILT_IN_TARGETS", None)
    if not found:
        return dict(FALLBACK_TARGETS)
    result = {}
    for priority, value in dict(found).items():
        if isinstance(value, dict):
            result[int(priority)] = (int(value["response"]), int(value["resolution"]))
        else:
            response, resolution = (getattr(value, name, None) for name in ("response", "resolution"))
            if response is None:
                response, resolution = value
            result[int(priority)] = (int(response), int(resolution))
    return result


def schedule_refresh(school_ids) -> None:
    """Ask the SLA clock (servicelevels.sla) to recompute the open tickets' due times after commit."""
    from servicelevels import sla

    refresh = getattr(sla, "schedule_refresh", None)
    if refresh is not None:
        refresh(school_ids)


# =============================================================================
# The ICT service catalogue
# =============================================================================

SERVICE_FIELDS = (
    "name",
    "description",
    "purpose",
    "ci",
    "owner",
    "hours",
    "term_time_only",
    "availability_target",
    "is_default",
)


def _check_service(service: ITService) -> None:
    if not (service.name or "").strip():
        raise ValidationError({"name": "Give the service a name."})
    service.name = service.name.strip()
    if service.ci_id is not None:
        ci = ConfigurationItem.objects.get(pk=service.ci_id)
        ensure_same_school(service, ci)
        if ci.kind != CIKind.SERVICE:
            raise ValidationError({"ci": f"{ci} is not a service in the CMDB (its kind is {ci.get_kind_display()})."})
    if (
        service.owner_id is not None
        and not service.owner.is_superuser
        and not service.owner.roles_at(service.school_id)
    ):
        raise ValidationError({"owner": f"{service.owner} has no role at {service.school}."})
    clash = ITService.objects.filter(school_id=service.school_id, name__iexact=service.name).exclude(pk=service.pk)
    if clash.exists():
        raise ValidationError({"name": f"{service.school} already has a service called {service.name}."})
    if service.is_default:
        other = ITService.objects.filter(school_id=service.school_id, is_default=True).exclude(pk=service.pk).first()
        if other is not None:
            raise ValidationError(
                {"is_default": f"{other} is already the default service of {service.school}: untick it there first."}
            )
        if not service.is_active:
            raise ValidationError({"is_default": "A retired service cannot be the default one."})
    service.full_clean(exclude=["school"], validate_unique=False, validate_constraints=False)


@transaction.atomic
def it_service_create(*, school: School, actor: User, name: str, **fields: Any) -> ITService:
    """Add a service to the school's ICT service catalogue (one default service per school)."""
    access.require(access.can_manage_service_levels, actor, school, "You cannot change this school's catalogue.")
    unknown = set(fields) - set(SERVICE_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown fields {sorted(unknown)}.")
    service = ITService(school=school, name=name, **fields)
    _check_service(service)
    service._history_user = actor
    service.save()
    return service


@transaction.atomic
def it_service_update(*, service: ITService, actor: User, **fields: Any) -> ITService:
    """Change a catalogue entry: what it is, who owns it, its hours and availability target."""
    service = ITService.objects.select_for_update().get(pk=service.pk)
    access.require(access.can_manage_service_levels, actor, service, "You cannot change this school's catalogue.")
    unknown = set(fields) - set(SERVICE_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown fields {sorted(unknown)}.")
    for name, value in fields.items():
        setattr(service, name, value)
    _check_service(service)
    service._history_user = actor
    service.save()
    return service


@transaction.atomic
def it_service_retire(*, service: ITService, actor: User) -> ITService:
    """Take a service out of the catalogue: it is kept for its history and its tickets, offered no more."""
    service = ITService.objects.select_for_update().get(pk=service.pk)
    access.require(access.can_manage_service_levels, actor, service, "You cannot change this school's catalogue.")
    if service.is_default:
        raise ValidationError(f"{service} is the default service: make another one the default before retiring it.")
    service.is_active = False
    service._history_user = actor
    service.save(update_fields=["is_active", "updated_at"])
    return service


@transaction.atomic
def it_service_reinstate(*, service: ITService, actor: User) -> ITService:
    """Bring a retired service back into the catalogue."""
    service = ITService.objects.select_for_update().get(pk=service.pk)
    access.require(access.can_manage_service_levels, actor, service, "You cannot change this school's catalogue.")
    service.is_active = True
    service._history_user = actor
    service.save(update_fields=["is_active", "updated_at"])
    return service


# =============================================================================
# Agreements
# =============================================================================

AGREEMENT_FIELDS = (
    "kind",
    "name",
    "description",
    "customer",
    "provider_group",
    "supplier",
    "hours",
    "term_time_only",
    "warning_percent",
    "escalation_percent",
    "starts",
    "ends",
    "review_date",
    "owner",
)


@dataclass(frozen=True)
class TargetRow:
    """One target as entered: respond and resolve within so many minutes, for a priority (and a service/kind)."""

    priority: int
    response_minutes: int
    resolution_minutes: int
    service: ITService | None = None
    ticket_kind: str = ""


def _check_agreement(agreement: Agreement, services: list[ITService] | None) -> None:
    if not (agreement.name or "").strip():
        raise ValidationError({"name": "Give the agreement a name."})
    agreement.name = agreement.name.strip()
    if agreement.provider_group_id is not None:
        group = SupportGroup.objects.get(pk=agreement.provider_group_id)
        school = agreement.school
        if not group.applies_at(school):
            raise ValidationError({"provider_group": f"{group} does not work for {school}."})
    if agreement.owner_id is not None and not agreement.owner.is_superuser:
        if not agreement.owner.roles_at(agreement.school_id):
            raise ValidationError({"owner": f"{agreement.owner} has no role at {agreement.school}."})
    if agreement.review_date and agreement.starts and agreement.review_date < agreement.starts:
        raise ValidationError({"review_date": "The review cannot come before the agreement starts."})
    for service in services or []:
        ensure_same_school(agreement, service)
    agreement.full_clean(exclude=["school", "owner", "subscription"], validate_constraints=False)


@transaction.atomic
def agreement_create(
    *,
    school: School,
    actor: User,
    name: str,
    owner: User,
    starts: date,
    review_date: date,
    services: list[ITService] | None = None,
    targets: list[TargetRow] | None = None,
    subscription: Subscription | None = None,
    **fields: Any,
) -> Agreement:
    """Draft an SLA, OLA or underpinning contract for the school, to agree with its users."""
    access.require(access.can_manage_service_levels, actor, school, "You cannot draft agreements at this school.")
    return _agreement_draft(
        school=school, actor=actor, name=name, owner=owner, starts=starts, review_date=review_date,
        services=services, targets=targets, subscription=subscription, **fields,
    )  # fmt: skip


def _agreement_draft(
    *, school, actor, name, owner, starts, review_date, services, targets, subscription, **fields
) -> Agreement:
    unknown = set(fields) - set(AGREEMENT_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown fields {sorted(unknown)}.")
    agreement = Agreement(
        school=school, name=name, owner=owner, starts=starts, review_date=review_date, subscription=subscription,
        **fields,
    )  # fmt: skip
    _check_agreement(agreement, services)
    agreement._history_user = actor
    agreement.save()
    if services:
        agreement.services.set(services)
    if targets:
        _replace_targets(agreement, targets)
    activity.record(agreement, actor=actor, kind=Activity.Kind.CREATED, text=f"Drafted {agreement.get_kind_display()}.")
    return agreement


@transaction.atomic
def agreement_update(
    *, agreement: Agreement, actor: User, services: list[ITService] | None = None, **fields: Any
) -> Agreement:
    """Change an agreement's terms: its clock, thresholds, provider, dates, the services it covers."""
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    access.require(access.can_manage_service_levels, actor, agreement, "You cannot change this agreement.")
    if agreement.status == Agreement.Status.RETIRED:
        raise ValidationError("A retired agreement is kept as it was: draft a new one instead.")
    unknown = set(fields) - set(AGREEMENT_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown fields {sorted(unknown)}.")
    if agreement.status == Agreement.Status.AGREED and "kind" in fields and fields["kind"] != agreement.kind:
        raise ValidationError({"kind": "Revise the agreement (back to draft) before changing its kind."})
    changes = {}
    for name, value in fields.items():
        old = getattr(agreement, name)
        if old != value:
            changes[name] = [_plain(old), _plain(value)]
            setattr(agreement, name, value)
    _check_agreement(agreement, services)
    agreement._history_user = actor
    agreement.save()
    if services is not None:
        before = set(agreement.services.values_list("pk", flat=True))
        after = {service.pk for service in services}
        if before != after:
            agreement.services.set(services)
            changes["services"] = [sorted(before), sorted(after)]
            if agreement.status == Agreement.Status.AGREED and agreement.kind == Agreement.Kind.SLA:
                _refuse_overlap(agreement, actor=actor, retire_others=False)
    if changes:
        activity.record(agreement, actor=actor, kind=Activity.Kind.FIELD, changes=changes)
        if agreement.status == Agreement.Status.AGREED:
            schedule_refresh([agreement.school_id])
    return agreement


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | int | bool):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def overlapping_slas(agreement: Agreement) -> list[Agreement]:
    """The other agreed SLAs of the school that cover a service this one covers (none listed covers all)."""
    mine = set(agreement.services.values_list("pk", flat=True))
    others = (
        Agreement.objects.filter(school_id=agreement.school_id, kind=Agreement.Kind.SLA, status=Agreement.Status.AGREED)
        .exclude(pk=agreement.pk)
        .prefetch_related("services")
    )
    found = []
    for other in others:
        theirs = {service.pk for service in other.services.all()}
        if not mine or not theirs or mine & theirs:
            found.append(other)
    return found


def _refuse_overlap(agreement: Agreement, *, actor: User, retire_others: bool) -> None:
    overlapping = overlapping_slas(agreement)
    if not overlapping:
        return
    if not retire_others:
        names = ", ".join(f"“{other.name}”" for other in overlapping)
        raise ValidationError(
            f"{names} is already the agreed SLA for these services at {agreement.school}: one agreed SLA covers a "
            f"service at a time. Retire it first, or retire it in the same step (tick “retire the other”)."
        )
    for other in overlapping:
        old = other.status
        other.status = Agreement.Status.RETIRED
        other.ends = other.ends or timezone.localdate()
        other.save(update_fields=["status", "ends", "updated_at"])
        activity.record_status(other, actor=actor, old=old, new=other.status, note=f"Replaced by “{agreement.name}”.")


@transaction.atomic
def agreement_transition(
    *, agreement: Agreement, action: str, actor: User, note: str = "", retire_others: bool = False
) -> Agreement:
    """Agree a draft with its users (recording who and when), revise an agreed one, or retire it.

    Only one agreed SLA covers a service at a school: agreeing a second is refused, naming the first,
    unless `retire_others` retires it in the same step.
    """
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    transition = Agreement.WORKFLOW.check_action(agreement.status, action)
    access.require(transition.permission, actor, agreement, f"You cannot {transition.label.lower()} this agreement.")
    if transition.note_required and not note.strip():
        raise ValidationError({"note": f"{transition.note_label} is required."})
    old = agreement.status
    update = ["status", "updated_at"]
    if transition.target == Agreement.Status.AGREED:
        if not agreement.targets.exists() and agreement.kind != Agreement.Kind.CONTRACT:
            raise ValidationError("Set the agreement's targets before agreeing it (copy the built-in ones to start).")
        if agreement.kind == Agreement.Kind.SLA:
            _refuse_overlap(agreement, actor=actor, retire_others=retire_others)
        agreement.agreed_by, agreement.agreed_at = actor, timezone.now()
        update += ["agreed_by", "agreed_at"]
    if transition.target == Agreement.Status.RETIRED and agreement.ends is None:
        agreement.ends = timezone.localdate()
        update.append("ends")
    agreement.status = transition.target
    agreement._history_user = actor
    agreement.save(update_fields=update)
    activity.record_status(agreement, actor=actor, old=old, new=agreement.status, note=note)
    schedule_refresh([agreement.school_id])
    return agreement


def _replace_targets(agreement: Agreement, rows: list[TargetRow]) -> list[ServiceTarget]:
    seen = set()
    errors = []
    targets = []
    for row in rows:
        key = (int(row.priority), row.service.pk if row.service else None, row.ticket_kind or "")
        label = f"{Priority(int(row.priority)).label}" + (f", {row.service}" if row.service else "")
        label += f", {TicketKind(row.ticket_kind).label.lower()}s" if row.ticket_kind else ""
        if key in seen:
            errors.append(f"{label}: given twice.")
            continue
        seen.add(key)
        if row.service is not None:
            ensure_same_school(agreement, row.service)
        if row.response_minutes < 1 or row.resolution_minutes < 1:
            errors.append(f"{label}: targets must be at least one minute.")
        elif row.resolution_minutes < row.response_minutes:
            errors.append(f"{label}: resolution cannot be due before the response.")
        targets.append(
            ServiceTarget(
                agreement=agreement,
                priority=int(row.priority),
                service=row.service,
                ticket_kind=row.ticket_kind or "",
                response_minutes=row.response_minutes,
                resolution_minutes=row.resolution_minutes,
            )
        )
    if errors:
        raise ValidationError(errors)
    ServiceTarget.objects.filter(agreement=agreement).delete()
    return ServiceTarget.objects.bulk_create(targets)


@transaction.atomic
def agreement_targets_set(*, agreement: Agreement, actor: User, targets: list[TargetRow]) -> list[ServiceTarget]:
    """Replace the agreement's targets (per priority, and per service or ticket kind where narrowed)."""
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    access.require(access.can_manage_service_levels, actor, agreement, "You cannot change this agreement.")
    if agreement.status == Agreement.Status.RETIRED:
        raise ValidationError("A retired agreement is kept as it was: draft a new one instead.")
    before = list(
        agreement.targets.values_list("priority", "service_id", "ticket_kind", "response_minutes", "resolution_minutes")
    )
    created = _replace_targets(agreement, targets)
    after = [(t.priority, t.service_id, t.ticket_kind, t.response_minutes, t.resolution_minutes) for t in created]
    if sorted(before, key=str) != sorted(after, key=str):
        activity.record(
            agreement, actor=actor, kind=Activity.Kind.FIELD, text="Targets changed.",
            changes={"targets": [len(before), len(after)]},
        )  # fmt: skip
        if agreement.status == Agreement.Status.AGREED:
            schedule_refresh([agreement.school_id])
    return created


def built_in_rows() -> list[TargetRow]:
    return [
        TargetRow(priority=priority, response_minutes=response, resolution_minutes=resolution)
        for priority, (response, resolution) in sorted(built_in_targets().items())
    ]


@transaction.atomic
def agreement_copy_built_in_targets(*, agreement: Agreement, actor: User) -> list[ServiceTarget]:
    """Start the agreement's targets from the built-in ones (what tickets get with no agreement)."""
    return agreement_targets_set(agreement=agreement, actor=actor, targets=built_in_rows())


@transaction.atomic
def agreement_review(*, agreement: Agreement, actor: User, note: str, next_review: date) -> Agreement:
    """Record a review of the agreement with its users (FITS: service levels are reviewed regularly)."""
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
    access.require(access.can_manage_service_levels, actor, agreement, "You cannot review this agreement.")
    if agreement.status == Agreement.Status.RETIRED:
        raise ValidationError("A retired agreement is not reviewed.")
    if not note.strip():
        raise ValidationError({"note": "Say what the review found and decided."})
    if next_review <= timezone.localdate():
        raise ValidationError({"next_review": "The next review must be in the future."})
    old = agreement.review_date
    agreement.review_date = next_review
    agreement._history_user = actor
    agreement.save(update_fields=["review_date", "updated_at"])
    activity.record(
        agreement, actor=actor, kind=Activity.Kind.COMMENT, text=f"Reviewed: {note.strip()}",
        changes={"review_date": [_plain(old), _plain(next_review)]},
    )  # fmt: skip
    return agreement


# =============================================================================
# Traded services: the LEA's support packages and the schools' subscriptions
# =============================================================================

PACKAGE_FIELDS = (
    "name",
    "description",
    "annual_price",
    "consultancy_days",
    "technician_days",
    "hours",
    "term_time_only",
    "targets",
    "is_active",
)


def clean_package_targets(targets: dict[Any, Any]) -> dict[str, dict[str, int]]:
    """`{"1": {"response": 30, "resolution": 240}, ...}` checked: priorities 1-5, minutes, resolve >= respond."""
    cleaned: dict[str, dict[str, int]] = {}
    errors = []
    for key, value in (targets or {}).items():
        try:
            priority = Priority(int(key))
            response, resolution = int(value["response"]), int(value["resolution"])
        except (ValueError, TypeError, KeyError):
            errors.append(f"{key!r}: give a priority 1-5 with response and resolution minutes.")
            continue
        if response < 1 or resolution < 1:
            errors.append(f"{priority.label}: targets must be at least one minute.")
        elif resolution < response:
            errors.append(f"{priority.label}: resolution cannot be due before the response.")
        cleaned[str(priority.value)] = {"response": response, "resolution": resolution}
    if errors:
        raise ValidationError({"targets": errors})
    return dict(sorted(cleaned.items()))


@transaction.atomic
def support_package_create(*, authority: Authority, actor: User, name: str, **fields: Any) -> SupportPackage:
    """Offer a level of the LEA's traded services ("Bronze", "Silver", "Gold") to the authority's schools."""
    access.require(access.can_manage_support_package, actor, authority, "Only the LEA's consultants keep its packages.")
    unknown = set(fields) - set(PACKAGE_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown fields {sorted(unknown)}.")
    if not name.strip():
        raise ValidationError({"name": "Give the package a name."})
    fields["targets"] = clean_package_targets(fields.get("targets") or {})
    package = SupportPackage(authority=authority, school=None, name=name.strip(), **fields)
    package.full_clean(exclude=["school", "authority"])
    package.save()
    return package


@transaction.atomic
def support_package_update(*, package: SupportPackage, actor: User, **fields: Any) -> SupportPackage:
    """Change a package: price, days, clock and targets (existing subscriptions' SLAs are not changed)."""
    package = SupportPackage.objects.select_for_update().get(pk=package.pk)
    access.require(access.can_manage_support_package, actor, package, "Only the LEA's consultants keep its packages.")
    unknown = set(fields) - set(PACKAGE_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown fields {sorted(unknown)}.")
    if "targets" in fields:
        fields["targets"] = clean_package_targets(fields["targets"])
    for name, value in fields.items():
        setattr(package, name, value.strip() if name == "name" else value)
    if not package.name:
        raise ValidationError({"name": "Give the package a name."})
    package.full_clean(exclude=["school", "authority"])
    package.save()
    return package


def lea_support_unit(school: School) -> SupportGroup | None:
    """The authority's LEA support unit group, if it has one (the provider of a traded-services SLA)."""
    if not school.authority_id:
        return None
    return (
        SupportGroup.objects.filter(
            school__isnull=True, authority_id=school.authority_id, kind=SupportGroup.Kind.AUTHORITY
        )
        .order_by("name")
        .first()
    )


@transaction.atomic
def subscription_create(
    *,
    school: School,
    package: SupportPackage,
    actor: User,
    starts: date,
    ends: date,
    review_date: date,
    price: Decimal | None = None,
    notes: str = "",
    owner: User | None = None,
) -> Subscription:
    """Record that a school buys a package for a period, and draft the school's SLA from the package's targets.

    The SLA is a DRAFT (kind SLA, provider the LEA support unit when there is one) for the school to agree.
    """
    access.require(access.can_manage_subscriptions, actor, school, "Only the LEA's consultants record subscriptions.")
    if not package.applies_at(school):
        raise ValidationError({"package": f"{package} is not offered to {school}."})
    if not package.is_active:
        raise ValidationError({"package": f"{package} is no longer offered."})
    subscription = Subscription(
        school=school, package=package, starts=starts, ends=ends, review_date=review_date,
        price=package.annual_price if price is None else price, notes=notes,
    )  # fmt: skip
    subscription.full_clean(exclude=["school", "package"])
    overlap = Subscription.objects.filter(school=school, starts__lte=ends, ends__gte=starts).first()
    if overlap is not None:
        raise ValidationError(f"{school} already has {overlap} for part of this period.")
    subscription._history_user = actor
    subscription.save()
    targets = [
        TargetRow(priority=int(priority), response_minutes=value["response"], resolution_minutes=value["resolution"])
        for priority, value in sorted(clean_package_targets(package.targets).items())
    ]
    _agreement_draft(
        school=school, actor=actor, name=f"{package.name} support {starts:%Y}-{ends:%y}",
        owner=owner or actor, starts=starts, review_date=min(review_date, ends), services=None, targets=targets,
        subscription=subscription, kind=Agreement.Kind.SLA, hours=package.hours,
        term_time_only=package.term_time_only, provider_group=lea_support_unit(school),
        supplier=str(school.authority or ""), ends=ends,
        description=f"Traded services: {package.name}. {package.description}".strip(),
    )  # fmt: skip
    return subscription


@transaction.atomic
def subscription_update(*, subscription: Subscription, actor: User, **fields: Any) -> Subscription:
    """Change a subscription's period, review date, price or notes."""
    subscription = Subscription.objects.select_for_update().get(pk=subscription.pk)
    access.require(access.can_manage_subscriptions, actor, subscription, "Only the LEA's consultants do that.")
    unknown = set(fields) - {"starts", "ends", "review_date", "price", "notes"}
    if unknown:
        raise ValidationError(f"Unknown fields {sorted(unknown)}.")
    for name, value in fields.items():
        setattr(subscription, name, value)
    subscription.full_clean(exclude=["school", "package"])
    subscription._history_user = actor
    subscription.save()
    return subscription


# =============================================================================
# Review reminders
# =============================================================================


def _reminder_due(review_date: date, today: date) -> str | None:
    """Which reminder is due today for a review on `review_date`: "30", "7", "overdue" or None."""
    days = (review_date - today).days
    if days < 0:
        return "overdue"
    for ahead in sorted(REMINDER_DAYS):
        if days <= ahead:
            return str(ahead)
    return None


def _already_sent(record: Any, reminder: str, review_date: date) -> bool:
    return (
        activity_entries(record)
        .filter(changes__reminder=reminder, changes__review_date=review_date.isoformat())
        .exists()
    )


def activity_entries(record: Any):
    from django.contrib.contenttypes.models import ContentType

    return Activity.objects.filter(content_type=ContentType.objects.get_for_model(record), object_id=record.pk)


def _remind(record: Any, reminder: str, review_date: date, people: list[User], what: str, today: date) -> int:
    if reminder == "overdue":
        text = f"The review of {what} was due on {review_date:%d %B %Y} and is overdue."
    else:
        text = (
            f"The review of {what} is due in {(review_date - timezone.localdate()).days} days ({review_date:%d %B %Y})."
        )
    sent = notifications.notify(record, "review_due", people, context={"note": text})
    names = ", ".join(sorted({str(row.recipient) for row in sent})) or "nobody"
    activity.record(
        record, actor=None, kind=Activity.Kind.COMMENT, public=False, text=f"Review reminder sent to {names}.",
        changes={"reminder": reminder, "review_date": review_date.isoformat()},
    )  # fmt: skip
    return len(sent)


@transaction.atomic
def reviews_remind(*, today: date | None = None) -> int:
    """Tell agreements' owners, and the consultants of subscriptions, of reviews 30 and 7 days ahead and when
    overdue; each reminder once per review date (remembered on the record's timeline). Returns how many were told.
    """
    today = today or timezone.localdate()
    horizon = today + timedelta(days=max(REMINDER_DAYS))
    told = 0
    agreements = Agreement.objects.filter(
        status__in=[Agreement.Status.DRAFT, Agreement.Status.AGREED], review_date__lte=horizon
    ).select_related("owner", "school")
    for agreement in agreements:
        reminder = _reminder_due(agreement.review_date, today)
        if reminder and not _already_sent(agreement, reminder, agreement.review_date):
            told += _remind(agreement, reminder, agreement.review_date, [agreement.owner], f"“{agreement.name}”", today)
    subscriptions = Subscription.objects.filter(review_date__lte=horizon, ends__gte=today).select_related(
        "school", "package"
    )
    for subscription in subscriptions:
        reminder = _reminder_due(subscription.review_date, today)
        if reminder and not _already_sent(subscription, reminder, subscription.review_date):
            consultants = list(
                User.objects.filter(
                    is_active=True,
                    authorityrole__authority_id=subscription.school.authority_id,
                    authorityrole__role=AuthorityRoleKind.CONSULTANT,
                ).distinct()
            )
            what = f"{subscription.school}'s {subscription.package} subscription"
            told += _remind(subscription, reminder, subscription.review_date, consultants, what, today)
    return told


def review_badge(review_date: date | None, *, today: date | None = None) -> tuple[str, str] | None:
    """("overdue" | "due", the words) for a review date that is past or within 30 days; None otherwise."""
    if review_date is None:
        return None
    days = (review_date - (today or timezone.localdate())).days
    if days < 0:
        return "overdue", f"review overdue by {-days} day{'s' if days != -1 else ''}"
    if days == 0:
        return "due", "review due today"
    if days <= max(REMINDER_DAYS):
        return "due", f"review due in {days} day{'s' if days != 1 else ''}"
    return None
