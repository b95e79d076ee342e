"""Every change of Security Administration's records: the breach log, the firewall and filtering rule register, the
antivirus states drawn from inventories, the privileged accounts and their access reviews.

Each operation is atomic, checks the access predicate (fits/access.py), writes the record's timeline entry and
queues its notifications. Security incidents are incidents in a security category: `category_mark_security` turns a
category into one and brings its tickets along (incidents.Incident.security, what IncidentQuerySet.visible_to reads).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta
from typing import Any

from defusedxml.ElementTree import ParseError as XMLParseError
from defusedxml.ElementTree import fromstring as parse_xml
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from cmdb.models import COMPUTER_KINDS, ConfigurationItem, InventorySubmission, Kind
from fits import access, activity
from fits.models import Activity, Membership, School, User
from fits.notifications import notify
from fits.references import next_reference
from incidents.models import OPEN_TASK_STATUSES, Category, Incident, Task, TaskOrigin
from incidents.task_services import task_complete, task_raise
from om.security.models import (
    SECURITY_ROLES,
    AccessReview,
    AccessReviewItem,
    AccessReviewStatus,
    AntivirusStatus,
    Breach,
    BreachAction,
    BreachRisk,
    BreachStatus,
    FirewallRule,
    PrivilegedAccount,
)

# =============================================================================
# Security incidents: a category flag, carried by its tickets
# =============================================================================


@transaction.atomic
def category_mark_security(*, category: Category, actor: User, is_security: bool) -> Category:
    """Make a category a security one (or not): its tickets, open or closed, become security incidents, seen only by
    the network manager, the school's leaders, whoever works each one and its caller (or become ordinary again)."""
    category = Category.objects.select_for_update().get(pk=category.pk)
    access.require(access.can_manage_shared_config, actor, category, "You cannot change this category.")
    if category.is_security == is_security:
        return category
    category.is_security = is_security
    category.save(update_fields=["is_security"])
    Incident.objects.filter(category=category).update(security=is_security)
    return category


def security_readers(school_id: int) -> list[User]:
    """The school's network managers and leaders: who hears of breaches and their ICO deadline."""
    people = Membership.objects.filter(school_id=school_id, role__in=SECURITY_ROLES, user__is_active=True)
    return list(User.objects.filter(pk__in=people.values("user_id")).order_by("pk"))


# =============================================================================
# The breach log
# =============================================================================

BREACH_FIELDS = (
    "title",
    "description",
    "occurred_at",
    "discovered_at",
    "data_affected",
    "people_affected",
    "records_affected",
    "children_data",
    "special_category",
    "risk",
    "not_reported_reason",
    "others_told",
    "dpo_told_at",
    "individuals_told_at",
    "incident",
)


def _check_breach(school_id: int, values: dict[str, Any], *, now: datetime) -> None:
    if not str(values.get("title", "")).strip():
        raise ValidationError({"title": "Give the breach a short summary."})
    if not str(values.get("description", "")).strip():
        raise ValidationError({"description": "Say what happened."})
    discovered = values.get("discovered_at")
    if discovered is None:
        raise ValidationError({"discovered_at": "Say when the school found out: the ICO's 72 hours run from then."})
    if discovered > now + timedelta(minutes=5):
        raise ValidationError({"discovered_at": "That is in the future."})
    occurred = values.get("occurred_at")
    if occurred is not None and occurred > discovered:
        raise ValidationError({"occurred_at": "A breach happens before it is found."})
    incident = values.get("incident")
    if incident is not None and incident.school_id != school_id:
        raise ValidationError({"incident": f"{incident} belongs to another school."})


@transaction.atomic
def breach_log(*, school: School, actor: User, now: datetime | None = None, **values: Any) -> Breach:
    """Log a personal data breach (UK GDPR): BRE-000001, what happened and when it was found. The network manager and
    leaders are told at once, and warned again as the ICO's 72 hours (from when it was found) run out."""
    now = now or timezone.now()
    access.require(access.can_manage_breaches, actor, school, "Only the network manager or a leader logs breaches.")
    unknown = set(values) - set(BREACH_FIELDS)
    if unknown:
        raise TypeError(f"Unknown breach fields: {sorted(unknown)}")
    _check_breach(school.pk, values, now=now)
    values["title"] = values["title"].strip()
    breach = Breach.objects.create(
        school=school, logged_by=actor, reference=next_reference(school_id=school.pk, prefix="BRE"), **values
    )
    activity.record(breach, actor=actor, kind=Activity.Kind.CREATED, text="Breach logged.", public=False)
    notify(
        breach,
        "breach_logged",
        security_readers(school.pk),
        actor=actor,
        context={"note": f"Report to the ICO by {timezone.localtime(breach.ico_deadline):%a %d %b %H:%M}."},
    )
    return breach


def _locked_breach(breach: Breach) -> Breach:
    return Breach.objects.select_for_update().get(pk=breach.pk)


@transaction.atomic
def breach_update(*, breach: Breach, actor: User, now: datetime | None = None, **values: Any) -> Breach:
    """Correct or complete the record as more is known: what data, how many people, the risk, who was told."""
    breach = _locked_breach(breach)
    access.require(access.can_manage_breaches, actor, breach, "Only the network manager or a leader edits breaches.")
    unknown = set(values) - set(BREACH_FIELDS)
    if unknown:
        raise TypeError(f"Unknown breach fields: {sorted(unknown)}")
    merged = {name: getattr(breach, name) for name in BREACH_FIELDS} | values
    _check_breach(breach.school_id, merged, now=now or timezone.now())
    changes = {}
    for name, value in values.items():
        old = getattr(breach, name)
        if old != value:
            changes[name] = [str(old) if old is not None else None, str(value) if value is not None else None]
            setattr(breach, name, value)
    if not changes:
        return breach
    breach.save()
    activity.record(breach, actor=actor, kind=Activity.Kind.FIELD, public=False, changes=changes, text="Updated.")
    return breach


@transaction.atomic
def breach_report_ico(*, breach: Breach, actor: User, reported_at: datetime, ico_reference: str = "") -> Breach:
    """Record that the breach was reported to the Information Commissioner's Office, when, and its case number."""
    breach = _locked_breach(breach)
    access.require(access.can_manage_breaches, actor, breach, "Only the network manager or a leader reports breaches.")
    if reported_at < breach.discovered_at:
        raise ValidationError({"reported_at": "The report cannot come before the breach was found."})
    if reported_at > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"reported_at": "That is in the future."})
    breach.ico_reported_at, breach.ico_reference = reported_at, ico_reference.strip()
    breach.save(update_fields=["ico_reported_at", "ico_reference", "updated_at"])
    late = reported_at > breach.ico_deadline
    text = f"Reported to the ICO{f' ({breach.ico_reference})' if breach.ico_reference else ''}"
    text += ", after the 72 hours." if late else ", within the 72 hours."
    activity.record(breach, actor=actor, kind=Activity.Kind.FIELD, text=text, public=False)
    return breach


@transaction.atomic
def breach_transition(*, breach: Breach, actor: User, action: str, note: str = "") -> Breach:
    """Move a breach along: contained (no more data leaving), closed (with the outcome), reopened."""
    breach = _locked_breach(breach)
    transition = Breach.WORKFLOW.check_action(breach.status, action)
    access.require(transition.permission, actor, breach, "Only the network manager or a leader works breaches.")
    if transition.note_required and not note.strip():
        raise ValidationError({"note": f"{transition.note_label}: say it for the record."})
    if transition.target == BreachStatus.CLOSED and breach.awaiting_report:
        raise ValidationError(
            "Report it to the ICO first, or record why it is not reported (the risk assessment decides)."
        )
    old, breach.status = breach.status, transition.target
    breach.closed_at = timezone.now() if transition.target == BreachStatus.CLOSED else None
    breach.save(update_fields=["status", "closed_at", "updated_at"])
    activity.record_status(breach, actor=actor, old=old, new=breach.status, note=note.strip())
    return breach


@transaction.atomic
def breach_action_add(
    *, breach: Breach, actor: User, text: str, owner: User | None = None, due_on: date | None = None
) -> BreachAction:
    """Add an action to a breach (recall the e-mail, reset passwords, retrain staff), with its owner."""
    access.require(access.can_manage_breaches, actor, breach, "Only the network manager or a leader adds actions.")
    if not text.strip():
        raise ValidationError({"text": "Say what is to be done."})
    if owner is not None and not access.is_member.test(owner, breach):
        raise ValidationError({"owner": f"{owner} has no role at {breach.school}."})
    action = BreachAction.objects.create(
        school_id=breach.school_id, breach=breach, text=text.strip(), owner=owner, due_on=due_on
    )
    who = f" ({owner})" if owner else ""
    activity.record(breach, actor=actor, kind=Activity.Kind.COMMENT, text=f"Action: {action.text}{who}.", public=False)
    return action


@transaction.atomic
def breach_action_done(*, action: BreachAction, actor: User) -> BreachAction:
    action = BreachAction.objects.select_for_update().get(pk=action.pk)
    access.require(access.can_manage_breaches, actor, action, "Only the network manager or a leader ticks actions.")
    if action.done_at is None:
        action.done_at = timezone.now()
        action.save(update_fields=["done_at"])
        activity.record(
            action.breach, actor=actor, kind=Activity.Kind.FIELD, text=f"Done: {action.text}.", public=False
        )
    return action


def breaches_warn_deadline(*, now: datetime | None = None, hours_before: int = 24) -> int:
    """Warn the network manager and leaders, once per breach, when a reportable breach is not yet reported (nor
    recorded as not reportable) and the ICO's 72 hours end within `hours_before` hours or have passed."""
    now = now or timezone.now()
    found_before = now - timedelta(hours=72 - hours_before)
    due = (
        Breach.objects.filter(
            status__in=(BreachStatus.OPEN, BreachStatus.CONTAINED),
            ico_reported_at__isnull=True,
            not_reported_reason="",
            deadline_warned_at__isnull=True,
            discovered_at__lte=found_before,
        )
        .exclude(risk=BreachRisk.UNLIKELY)
        .values_list("pk", flat=True)
    )
    warned = 0
    for pk in list(due):
        with transaction.atomic():
            breach = Breach.objects.select_for_update().get(pk=pk)
            if breach.deadline_warned_at is not None:
                continue
            breach.deadline_warned_at = now
            breach.save(update_fields=["deadline_warned_at"])
            passed = breach.ico_deadline <= now
            when = f"{timezone.localtime(breach.ico_deadline):%a %d %b %H:%M}"
            note = f"The 72 hours ended {when}." if passed else f"The 72 hours end {when}."
            notify(breach, "ico_deadline", security_readers(breach.school_id), context={"note": note})
            warned += 1
    return warned


# =============================================================================
# The firewall and filtering rule register
# =============================================================================

RULE_FIELDS = (
    "name",
    "source",
    "destination",
    "service",
    "action",
    "purpose",
    "owner",
    "review_months",
    "review_due",
    "is_active",
)


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # unreachable: every month has 28 days


@transaction.atomic
def firewall_rule_save(
    *, actor: User, firewall: ConfigurationItem, rule: FirewallRule | None = None, **values: Any
) -> FirewallRule:
    """Add or change a rule of a firewall or web filter: what it allows or denies, why, its owner, its review."""
    access.require(access.can_manage_firewall_rules, actor, firewall, "Only technicians keep the firewall register.")
    unknown = set(values) - set(RULE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown rule fields: {sorted(unknown)}")
    if firewall.kind not in (Kind.FIREWALL, Kind.ROUTER, Kind.SERVER):
        raise ValidationError({"firewall": f"{firewall} is not a firewall, router or filtering server."})
    if rule is not None and rule.firewall.school_id != firewall.school_id:
        raise ValidationError({"firewall": "A rule stays at its school."})
    name = str(values.get("name", rule.name if rule else "")).strip()
    if not name:
        raise ValidationError({"name": "Name the rule as the firewall does."})
    if not str(values.get("purpose", rule.purpose if rule else "")).strip():
        raise ValidationError({"purpose": "Say why the rule is there: a reviewer checks it against this."})
    owner = values.get("owner")
    if owner is not None and not access.is_school_staff.test(owner, firewall):
        raise ValidationError({"owner": f"{owner} is not support staff at {firewall.school}."})
    clash = FirewallRule.objects.filter(firewall=firewall, name=name)
    if rule is not None:
        clash = clash.exclude(pk=rule.pk)
    if clash.exists():
        raise ValidationError({"name": f"{firewall} already has a rule called {name}."})
    values["name"] = name
    if "review_due" not in values or values["review_due"] is None:
        values["review_due"] = rule.review_due if rule else _add_months(timezone.localdate(), 12)
    created = rule is None
    rule = rule or FirewallRule(school_id=firewall.school_id)
    rule.firewall = firewall
    for field, value in values.items():
        setattr(rule, field, value)
    rule.save()
    activity.record(
        rule,
        actor=actor,
        kind=Activity.Kind.CREATED if created else Activity.Kind.FIELD,
        text="Rule recorded." if created else "Rule changed.",
        public=False,
    )
    return rule


def _review_tasks(rule: FirewallRule) -> models.QuerySet[Task]:
    return Task.objects.filter(
        school_id=rule.school_id,
        origin=TaskOrigin.REVIEW,
        source_type=ContentType.objects.get_for_model(FirewallRule),
        source_id=rule.pk,
        status__in=OPEN_TASK_STATUSES,
    )


@transaction.atomic
def firewall_rule_review(
    *, rule: FirewallRule, actor: User, note: str = "", now: datetime | None = None
) -> FirewallRule:
    """The rule was reviewed and is still needed: record who and when, set the next review, and complete the review
    task that asked for it."""
    now = now or timezone.now()
    rule = FirewallRule.objects.select_for_update().get(pk=rule.pk)
    access.require(access.can_manage_firewall_rules, actor, rule, "Only technicians review firewall rules.")
    rule.last_reviewed_at, rule.last_reviewed_by = now, actor
    rule.review_due = _add_months(timezone.localdate(now), rule.review_months)
    rule.save(update_fields=["last_reviewed_at", "last_reviewed_by", "review_due"])
    text = f"Reviewed: still needed. Next review {rule.review_due:%d %b %Y}."
    activity.record(rule, actor=actor, kind=Activity.Kind.FIELD, text=f"{text} {note}".strip(), public=False)
    if access.can_work_task.test(actor, rule):
        for task in _review_tasks(rule):
            task_complete(task=task, actor=actor, outcome=f"Rule reviewed. {note}".strip(), now=now)
    return rule


def firewall_reviews_raise(*, today: date | None = None, lead_days: int = 14) -> int:
    """Raise one review task for each active rule whose review falls due within `lead_days` days (or has passed).
    Idempotent: the task's source key names the rule and its due date, so running again raises nothing new."""
    today = today or timezone.localdate()
    rules = FirewallRule.objects.filter(is_active=True, review_due__lte=today + timedelta(days=lead_days))
    raised = 0
    for rule in rules.select_related("firewall", "owner", "school").order_by("pk"):
        key = f"firewall-review:{rule.pk}:{rule.review_due.isoformat()}"
        if Task.objects.filter(school_id=rule.school_id, source_key=key).exists():
            continue
        with transaction.atomic():
            task_raise(
                school=rule.school,
                title=f"Review firewall rule {rule.name} on {rule.firewall.name}",
                origin=TaskOrigin.REVIEW,
                description=f"{rule.get_action_display()} {rule.source} → {rule.destination} ({rule.service}).\n"
                f"Purpose: {rule.purpose}\nConfirm it is still needed and still right, or change or remove it.",
                steps=[
                    "Check the rule on the firewall matches the register",
                    "Confirm the purpose still holds",
                    "Record the review in the register",
                ],
                due_on=rule.review_due,
                ci=rule.firewall,
                assignee=rule.owner if rule.owner and access.can_work_task.test(rule.owner, rule) else None,
                source=rule,
                source_key=key,
            )
        raised += 1
    return raised


# =============================================================================
# Antivirus status from the agents' inventories
# =============================================================================


def _truthy(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def antivirus_of(payload: bytes) -> list[dict[str, Any]]:
    """The antivirus products an inventory names (FusionInventory XML ANTIVIRUS sections, GLPI Agent JSON
    content.antivirus): name, enabled, up to date, version. An unreadable payload names none."""
    payload = bytes(payload or b"").lstrip()
    found = []
    if payload[:1] == b"{":
        try:
            items = json.loads(payload).get("content", {}).get("antivirus", []) or []
        except (ValueError, AttributeError):
            return []
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict):
                found.append(
                    {
                        "name": str(item.get("name", "")).strip(),
                        "enabled": _truthy(item.get("enabled")),
                        "uptodate": _truthy(item.get("uptodate")),
                        "version": str(item.get("version", "")).strip(),
                    }
                )
        return found
    try:
        root = parse_xml(payload, forbid_dtd=True)
    except (XMLParseError, ValueError, Exception):  # defusedxml refuses entities with its own exceptions
        return []
    for element in root.iter("ANTIVIRUS"):
        found.append(
            {
                "name": (element.findtext("NAME") or "").strip(),
                "enabled": _truthy(element.findtext("ENABLED")),
                "uptodate": _truthy(element.findtext("UPTODATE")),
                "version": (element.findtext("VERSION") or "").strip(),
            }
        )
    return found


def _best(products: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The product that protects the computer: an enabled, up-to-date one first."""
    if not products:
        return None
    return sorted(products, key=lambda p: (not (p["enabled"] and p["uptodate"]), not p["enabled"]))[0]


def antivirus_refresh(*, school_id: int | None = None, since: datetime | None = None) -> int:
    """Bring each computer's AntivirusStatus up to date from its latest accepted inventory (newer than the status).

    A computer whose inventory names no antivirus gets a status with no product (not protected)."""
    latest = (
        InventorySubmission.objects.filter(ci_id=models.OuterRef("ci_id"), outcome=InventorySubmission.Outcome.ACCEPTED)
        .order_by("-received_at", "-pk")
        .values("pk")[:1]
    )
    submissions = InventorySubmission.objects.filter(
        outcome=InventorySubmission.Outcome.ACCEPTED,
        ci__isnull=False,
        ci__kind__in=COMPUTER_KINDS,
        pk=models.Subquery(latest),
    )
    if school_id is not None:
        submissions = submissions.filter(school_id=school_id)
    if since is not None:
        submissions = submissions.filter(received_at__gte=since)
    seen = dict(AntivirusStatus.objects.values_list("ci_id", "submission_id"))
    updated = 0
    for submission in submissions.only("pk", "school_id", "ci_id", "received_at", "payload").iterator(chunk_size=200):
        if seen.get(submission.ci_id) == submission.pk:
            continue
        best = _best(antivirus_of(submission.payload))
        AntivirusStatus.objects.update_or_create(
            ci_id=submission.ci_id,
            defaults={
                "school_id": submission.school_id,
                "product": best["name"][:200] if best else "",
                "version": best["version"][:60] if best else "",
                "enabled": bool(best and best["enabled"]),
                "up_to_date": bool(best and best["uptodate"]),
                "last_seen": submission.received_at,
                "submission_id": submission.pk,
            },
        )
        updated += 1
    return updated


# =============================================================================
# Privileged accounts and access reviews
# =============================================================================

ACCOUNT_FIELDS = ("account", "person", "holder", "system", "ci", "rights", "notes")


@transaction.atomic
def privileged_account_save(
    *, school: School, actor: User, record: PrivilegedAccount | None = None, source: str = "manual", **values: Any
) -> PrivilegedAccount:
    """Record who holds administrator rights where (by hand or from an import; the directory sync comes later).
    `record` is the account to change; `values` are its fields (account, system, rights, person, holder, ci...)."""
    access.require(access.can_view_security, actor, school, "Only the network manager or a leader records this.")
    unknown = set(values) - set(ACCOUNT_FIELDS)
    if unknown:
        raise TypeError(f"Unknown account fields: {sorted(unknown)}")
    for name in ("account", "system"):
        if name in values:
            values[name] = str(values[name]).strip()
        if not values.get(name, getattr(record, name, "")):
            raise ValidationError({name: "Say which account and where it holds its rights."})
    ci, person = values.get("ci"), values.get("person")
    if ci is not None and ci.school_id != school.pk:
        raise ValidationError({"ci": f"{ci} belongs to another school."})
    if person is not None and not access.is_member.test(person, school):
        raise ValidationError({"person": f"{person} has no role at {school}."})
    system, name = (
        values.get("system", getattr(record, "system", "")),
        values.get("account", getattr(record, "account", "")),
    )
    clash = PrivilegedAccount.objects.filter(school=school, system=system, account=name)
    if record is not None:
        clash = clash.exclude(pk=record.pk)
    if clash.exists():
        raise ValidationError({"account": f"{name} is already recorded on {system}."})
    created = record is None
    record = record or PrivilegedAccount(school=school, source=source)
    for field, value in values.items():
        setattr(record, field, value)
    record.is_active, record.removed_at = True, None
    record.save()
    activity.record(
        record,
        actor=actor,
        kind=Activity.Kind.CREATED if created else Activity.Kind.FIELD,
        text="Recorded." if created else "Changed.",
        public=False,
    )
    return record


@transaction.atomic
def privileged_account_remove(*, account: PrivilegedAccount, actor: User, note: str = "") -> PrivilegedAccount:
    """The rights were taken away: the account stays on record as removed."""
    account = PrivilegedAccount.objects.select_for_update().get(pk=account.pk)
    access.require(access.can_view_security, actor, account, "Only the network manager or a leader records this.")
    if account.is_active:
        account.is_active, account.removed_at = False, timezone.now()
        account.save(update_fields=["is_active", "removed_at"])
        activity.record(
            account, actor=actor, kind=Activity.Kind.FIELD, text=f"Rights removed. {note}".strip(), public=False
        )
    return account


CSV_COLUMNS = ("account", "system", "rights", "holder", "username", "notes")


@transaction.atomic
def privileged_accounts_import(*, school: School, actor: User, data: bytes) -> dict[str, int]:
    """Import a CSV of administrator accounts (columns: account, system, rights, holder, username, notes; a header
    row). Existing ones are updated, new ones added; a bad row refuses the whole file, naming the line."""
    access.require(access.can_view_security, actor, school, "Only the network manager or a leader imports this.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValidationError({"file": "The file is not UTF-8 text (save it as CSV UTF-8)."}) from error
    reader = csv.DictReader(io.StringIO(text))
    header = {name.strip().lower() for name in reader.fieldnames or []}
    if not {"account", "system"} <= header:
        raise ValidationError({"file": "The first row must name the columns; account and system are required."})
    people = {u.username.lower(): u for u in User.objects.filter(membership__school=school).distinct()}
    added = updated = 0
    for line, row in enumerate(reader, start=2):
        if None in row:  # more values than the header names
            raise ValidationError({"file": f"Line {line}: more values than the header has columns."})
        row = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
        if not row.get("account") or not row.get("system"):
            raise ValidationError({"file": f"Line {line}: account and system are required."})
        username = row.get("username", "")
        if username and username.lower() not in people:
            raise ValidationError({"file": f"Line {line}: {username} has no role at {school}."})
        values = {
            "rights": row.get("rights") or "Administrator",
            "holder": row.get("holder", ""),
            "person": people.get(username.lower()) if username else None,
            "notes": row.get("notes", "")[:300],
        }
        existing = PrivilegedAccount.objects.filter(school=school, system=row["system"], account=row["account"]).first()
        if existing is None:
            privileged_account_save(
                school=school,
                actor=actor,
                source=PrivilegedAccount.Source.CSV,
                account=row["account"],
                system=row["system"],
                **values,
            )
            added += 1
        else:
            privileged_account_save(school=school, actor=actor, record=existing, **values)
            updated += 1
    return {"added": added, "updated": updated}


@transaction.atomic
def access_review_start(*, school: School, actor: User) -> AccessReview:
    """Start a review of the administrator accounts: one line per active account, each to be kept or removed."""
    access.require(access.can_sign_off_access_review, actor, school, "Only the network manager or a leader reviews.")
    if AccessReview.objects.filter(school=school, status=AccessReviewStatus.OPEN).exists():
        raise ValidationError("A review is already in progress: finish and sign it off first.")
    accounts = list(PrivilegedAccount.objects.filter(school=school, is_active=True))
    if not accounts:
        raise ValidationError("No administrator accounts are recorded yet: record or import them first.")
    review = AccessReview.objects.create(school=school, started_by=actor)
    AccessReviewItem.objects.bulk_create(
        [AccessReviewItem(school=school, review=review, account=account) for account in accounts]
    )
    activity.record(
        review, actor=actor, kind=Activity.Kind.CREATED, public=False, text=f"Review started: {len(accounts)} accounts."
    )
    return review


@transaction.atomic
def access_review_decide(*, item: AccessReviewItem, actor: User, decision: str, note: str = "") -> AccessReviewItem:
    """Keep or remove one account in a review in progress, with a note (why it still needs the rights, or not)."""
    item = AccessReviewItem.objects.select_for_update().select_related("review").get(pk=item.pk)
    access.require(access.can_sign_off_access_review, actor, item, "Only the network manager or a leader reviews.")
    if item.review.status != AccessReviewStatus.OPEN:
        raise ValidationError("The review is signed off: start a new one.")
    if decision not in (AccessReviewItem.Decision.KEEP, AccessReviewItem.Decision.REMOVE):
        raise ValidationError({"decision": "Keep or remove."})
    if decision == AccessReviewItem.Decision.REMOVE and not note.strip():
        raise ValidationError({"note": "Say why the rights go (left the school, no longer needed...)."})
    item.decision, item.note, item.decided_by = decision, note.strip()[:300], actor
    item.save(update_fields=["decision", "note", "decided_by"])
    return item


@transaction.atomic
def access_review_sign_off(
    *, review: AccessReview, actor: User, next_due: date | None = None, note: str = ""
) -> AccessReview:
    """Sign the review off: every account decided; the removed ones are recorded as removed; the next review set
    (a term from now unless said otherwise)."""
    review = AccessReview.objects.select_for_update().get(pk=review.pk)
    access.require(access.can_sign_off_access_review, actor, review, "Only the network manager or a leader signs off.")
    if review.status != AccessReviewStatus.OPEN:
        raise ValidationError("This review is already signed off.")
    if review.items.filter(decision="").exists():
        raise ValidationError("Decide every account (keep or remove) before signing off.")
    today = timezone.localdate()
    next_due = next_due or _add_months(today, 4)
    if next_due <= today:
        raise ValidationError({"next_due": "The next review is in the future."})
    removed = 0
    for item in review.items.filter(decision=AccessReviewItem.Decision.REMOVE).select_related("account"):
        privileged_account_remove(account=item.account, actor=actor, note=f"Access review: {item.note}")
        removed += 1
    review.status, review.signed_off_at, review.signed_off_by = AccessReviewStatus.SIGNED_OFF, timezone.now(), actor
    review.next_due, review.note = next_due, note.strip()
    review.save(update_fields=["status", "signed_off_at", "signed_off_by", "next_due", "note"])
    kept = review.items.count() - removed
    activity.record(
        review,
        actor=actor,
        kind=Activity.Kind.STATUS,
        public=False,
        text=f"Signed off: {kept} kept, {removed} removed. Next review {next_due:%d %b %Y}.",
    )
    return review
