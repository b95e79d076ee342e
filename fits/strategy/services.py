"""Every change to a strategy document: create it, edit a section, set its dates, sign it, remind of its review.

A draft version is edited freely. When the fourth capacity signs, the version is approved: its live facts are frozen
into it and the version it replaces is superseded. An approved version is never changed: editing the document starts
the next draft, a copy of it, which needs all four signatures again. Editing a draft that some have signed withdraws
their signatures (they signed other words), and says so on the timeline.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from fits import access, activity, notifications
from fits.models import Activity, Role, School, User
from fits.strategy import facts as live_facts
from fits.strategy.models import (
    Capacity,
    DocumentKind,
    SignOff,
    StrategyDocument,
    StrategySection,
    StrategyVersion,
    VersionStatus,
)
from fits.strategy.sections import BY_KIND

REVIEW_INTERVAL = timedelta(days=365)
TEXT_LIMIT = 20_000


def working_version(document: StrategyDocument) -> StrategyVersion:
    """The version people work on: the newest one (a draft, or the approved one in force)."""
    return document.versions.order_by("-number").first()


def in_force(document: StrategyDocument) -> StrategyVersion | None:
    """The approved version in force, if any."""
    return document.versions.filter(status=VersionStatus.APPROVED).first()


def _default_review(draft_date: date) -> date:
    try:
        return draft_date.replace(year=draft_date.year + 1)
    except ValueError:  # 29 February
        return draft_date + REVIEW_INTERVAL


@transaction.atomic
def strategy_document_create(*, school: School, kind: str, actor: User, today: date | None = None) -> StrategyDocument:
    """Start the school's ICT strategy or technical support strategy: version 1, a draft with the appendix's headings
    and the guidance for each, dated today and due for review in a year."""
    access.require(access.can_manage_strategy, actor, school, "Only the network manager and leaders write strategies.")
    if kind not in DocumentKind.values:
        raise ValidationError({"kind": f"Unknown kind of strategy “{kind}”."})
    if StrategyDocument.objects.filter(school=school, kind=kind).exists():
        raise ValidationError(f"{school} already has its {DocumentKind(kind).label}: edit it instead.")
    today = today or timezone.localdate()
    document = StrategyDocument.objects.create(school=school, kind=kind, created_by=actor)
    version = StrategyVersion.objects.create(
        school=school, document=document, number=1, draft_date=today, review_date=_default_review(today),
        created_by=actor,
    )  # fmt: skip
    StrategySection.objects.bulk_create(
        StrategySection(school=school, version=version, key=spec.key, position=n, title=spec.title,
                        guidance=spec.guidance, fact_keys=list(spec.facts), updated_by=actor)
        for n, spec in enumerate(BY_KIND[kind])
    )  # fmt: skip
    activity.record(document, actor=actor, kind=Activity.Kind.CREATED, text=f"{document} started (version 1).")
    return document


def _new_draft(document: StrategyDocument, source: StrategyVersion, actor: User, today: date) -> StrategyVersion:
    """The next draft: a copy of the approved `source`, dated today, with the same review date."""
    version = StrategyVersion.objects.create(
        school_id=document.school_id, document=document, number=source.number + 1, draft_date=today,
        review_date=source.review_date if source.review_date > today else _default_review(today), created_by=actor,
    )  # fmt: skip
    StrategySection.objects.bulk_create(
        StrategySection(school_id=document.school_id, version=version, key=s.key, position=s.position, title=s.title,
                        guidance=s.guidance, text=s.text, fact_keys=s.fact_keys, updated_by=s.updated_by)
        for s in source.sections.all()
    )  # fmt: skip
    activity.record(
        document, actor=actor, kind=Activity.Kind.FIELD,
        text=f"Version {version.number} started from the approved version {source.number}, which stays in force "
        "until this one is approved.",
        changes={"version": [source.number, version.number]},
    )  # fmt: skip
    return version


def _editable(document: StrategyDocument, actor: User, today: date) -> StrategyVersion:
    """The draft to edit, locked: the working draft, or a new one started from the approved version."""
    access.require(access.can_manage_strategy, actor, document, "Only the network manager and leaders edit it.")
    document = StrategyDocument.objects.select_for_update().get(pk=document.pk)
    version = working_version(document)
    if version.status == VersionStatus.DRAFT:
        return version
    return _new_draft(document, version, actor, today)


def _withdraw_signatures(version: StrategyVersion, actor: User, why: str) -> None:
    signed = list(version.signoffs.select_related("person"))
    if not signed:
        return
    names = ", ".join(f"{s.person} ({s.get_capacity_display()})" for s in signed)
    version.signoffs.all().delete()
    activity.record(
        version.document, actor=actor, kind=Activity.Kind.FIELD,
        text=f"Signatures on version {version.number} withdrawn ({why}): {names}. They sign again.",
        changes={"signatures_withdrawn": [s.capacity for s in signed]},
    )  # fmt: skip


@transaction.atomic
def strategy_section_edit(
    *, document: StrategyDocument, key: str, text: str, actor: User, today: date | None = None
) -> StrategySection:
    """Write one section of the document's draft. On an approved document this starts the next draft version; on a
    draft that some have already signed, their signatures are withdrawn (they signed other words)."""
    today = today or timezone.localdate()
    text = (text or "").replace("\r\n", "\n").strip()
    if len(text) > TEXT_LIMIT:
        raise ValidationError({"text": f"A section holds at most {TEXT_LIMIT} characters."})
    version = _editable(document, actor, today)
    section = version.sections.filter(key=key).first()
    if section is None:
        raise ValidationError({"key": f"The {document} has no section “{key}”."})
    if section.text == text:
        return section
    old = section.text
    section.text, section.updated_by = text, actor
    section.save(update_fields=["text", "updated_by", "updated_at"])
    version.save(update_fields=["updated_at"])
    _withdraw_signatures(version, actor, f"“{section.title}” changed")
    activity.record(
        document, actor=actor, kind=Activity.Kind.FIELD, text=f"“{section.title}” edited (version {version.number}).",
        changes={"section": section.key, "version": version.number, "length": [len(old), len(text)]},
    )  # fmt: skip
    return section


@transaction.atomic
def strategy_dates_set(
    *, document: StrategyDocument, draft_date: date, review_date: date, actor: User, today: date | None = None
) -> StrategyVersion:
    """Set the draft date and the review date of the document's draft (on an approved one: of its next draft)."""
    today = today or timezone.localdate()
    if review_date <= draft_date:
        raise ValidationError({"review_date": "The review date comes after the draft date."})
    version = _editable(document, actor, today)
    if (version.draft_date, version.review_date) == (draft_date, review_date):
        return version
    old = (version.draft_date.isoformat(), version.review_date.isoformat())
    version.draft_date, version.review_date = draft_date, review_date
    version.save(update_fields=["draft_date", "review_date", "updated_at"])
    _withdraw_signatures(version, actor, "its dates changed")
    activity.record(
        document, actor=actor, kind=Activity.Kind.FIELD,
        text=f"Version {version.number}: drafted {draft_date:%d %b %Y}, review {review_date:%d %b %Y}.",
        changes={"draft_date": [old[0], draft_date.isoformat()], "review_date": [old[1], review_date.isoformat()]},
    )  # fmt: skip
    return version


def may_sign(user: User, document: Any, capacity: str) -> bool:
    """Whether `user` may sign the document in `capacity` (the predicate of that capacity at its school)."""
    predicate = access.can_sign_strategy_as.get(capacity)
    return predicate is not None and predicate.test(user, document)


@transaction.atomic
def strategy_sign(
    *, document: StrategyDocument, capacity: str, actor: User, comment: str = "", now: Any = None
) -> SignOff:
    """Sign the document's draft in one capacity. Each capacity signs once, by a person who holds it at the school:
    head teacher and ICT co-ordinator a school leader, LA adviser the authority's consultant, network manager the
    school's. The fourth signature approves the version: its live facts are frozen into it, as of now, and the
    version it replaces is superseded."""
    now = now or timezone.now()
    if capacity not in Capacity.values:
        raise ValidationError({"capacity": f"Unknown capacity “{capacity}”."})
    label = Capacity(capacity).label
    if not may_sign(actor, document, capacity):
        raise PermissionDenied(f"You cannot sign as {label.lower()} of {document.school}: {_who_signs(capacity)}.")
    document = StrategyDocument.objects.select_for_update().select_related("school").get(pk=document.pk)
    version = working_version(document)
    if version.status != VersionStatus.DRAFT:
        raise ValidationError(f"Version {version.number} is already approved: edit the document to start a new draft.")
    if version.signoffs.filter(capacity=capacity).exists():
        raise ValidationError(f"Version {version.number} is already signed by its {label.lower()}.")
    signoff = SignOff.objects.create(
        school_id=document.school_id, version=version, capacity=capacity, person=actor, comment=comment.strip()[:300]
    )
    activity.record(
        document, actor=actor, kind=Activity.Kind.FIELD, text=f"Version {version.number} signed as {label}.",
        changes={"signed": capacity, "version": version.number},
    )  # fmt: skip
    if set(version.signoffs.values_list("capacity", flat=True)) >= set(Capacity.values):
        _approve(document, version, now)
    return signoff


def _approve(document: StrategyDocument, version: StrategyVersion, now: Any) -> None:
    keys = [key for section in version.sections.all() for key in section.fact_keys]
    read = live_facts.collect(keys, document.school, today=timezone.localdate(now))
    for previous in document.versions.filter(status=VersionStatus.APPROVED).exclude(pk=version.pk):
        previous.status, previous.superseded_at = VersionStatus.SUPERSEDED, now
        previous.save(update_fields=["status", "superseded_at", "updated_at"])
    version.status, version.approved_at, version.facts_as_of = VersionStatus.APPROVED, now, now
    version.facts = {key: facts.as_dict() for key, facts in read.items()}
    version.save(update_fields=["status", "approved_at", "facts", "facts_as_of", "updated_at"])
    activity.record_status(
        document, actor=None, old=VersionStatus.DRAFT, new=VersionStatus.APPROVED,
        note=f"Version {version.number} approved: all four have signed. Its facts are frozen as of "
        f"{timezone.localtime(now):%d %b %Y %H:%M}.",
    )  # fmt: skip


def _who_signs(capacity: str) -> str:
    return {
        Capacity.HEAD: "the head teacher signs as a leader of the school",
        Capacity.ICT_COORDINATOR: "the ICT co-ordinator signs as a leader of the school",
        Capacity.LA_ADVISER: "the local authority's consultant signs as its adviser",
        Capacity.NETWORK_MANAGER: "the school's network manager signs",
    }[capacity]


# =============================================================================
# Review reminders
# =============================================================================


def _reminded(document: StrategyDocument, version: StrategyVersion) -> bool:
    return Activity.objects.filter(
        content_type=ContentType.objects.get_for_model(StrategyDocument), object_id=document.pk,
        changes__reminder="review", changes__version=version.number,
        changes__review_date=version.review_date.isoformat(),
    ).exists()  # fmt: skip


@transaction.atomic
def strategy_reviews_remind(*, today: date | None = None) -> int:
    """Tell each school's network managers, once per version and review date, that a strategy in force has passed
    its review date (in the app and by e-mail, as the "review_due" notification). Returns how many were told.

    The reminder is remembered on the document's timeline, so the daily task may run any number of times."""
    today = today or timezone.localdate()
    told = 0
    due = StrategyVersion.objects.filter(status=VersionStatus.APPROVED, review_date__lt=today).select_related(
        "document__school"
    )
    for version in due:
        document = version.document
        if _reminded(document, version):
            continue
        managers = list(User.objects.with_role_at(document.school_id, {Role.NETWORK_MANAGER}))
        text = (
            f"The {document} of {document.school} (version {version.number}) was due for review on "
            f"{version.review_date:%d %B %Y}: review it, edit it and have it signed again."
        )
        sent = notifications.notify(document, "review_due", managers, context={"note": text})
        names = ", ".join(sorted({str(row.recipient) for row in sent})) or "nobody (no network manager)"
        activity.record(
            document, actor=None, kind=Activity.Kind.COMMENT, public=False, text=f"Review reminder sent to {names}.",
            changes={"reminder": "review", "version": version.number, "review_date": version.review_date.isoformat()},
        )  # fmt: skip
        told += len(sent)
    return told
