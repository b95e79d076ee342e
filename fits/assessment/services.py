"""Every change of a FITS maturity assessment: start the year's (from last year's answers), answer a question,
mark it completed or reopen it, and the LEA consultant's moderation of one process.

Earlier years are history: once a later year's assessment exists, an earlier one is read-only.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from fits import access, activity
from fits.assessment.models import POINTS, Answer, Assessment, Level, Moderation, academic_year, year_label
from fits.assessment.questionnaire import CURRENT_VERSION, area_map, question_map
from fits.models import Activity, School, User


def _require_current(assessment: Assessment) -> None:
    if Assessment.objects.filter(school_id=assessment.school_id, year__gt=assessment.year).exists():
        raise ValidationError(
            f"The {assessment.year_label} assessment is history: a later year's has been started, so it is read-only."
        )


@transaction.atomic
def assessment_start(*, school: School, actor: User, today: datetime.date | None = None) -> Assessment:
    """Start the school's assessment for this academic year, carrying over last year's answers (and their evidence)
    so that only what changed needs answering again. Idempotent: the year's assessment if it exists."""
    access.require(
        access.can_answer_assessment,
        actor,
        school,
        "Only the school's network manager and leaders start its assessment.",
    )
    year = academic_year(today or timezone.localdate())
    existing = Assessment.objects.filter(school=school, year=year).first()
    if existing is not None:
        return existing
    if Assessment.objects.filter(school=school, year__gt=year).exists():
        raise ValidationError("A later year's assessment exists already.")
    previous = Assessment.objects.filter(school=school, year__lt=year).order_by("-year").first()
    try:
        with transaction.atomic():
            assessment = Assessment.objects.create(school=school, year=year, version=CURRENT_VERSION, started_by=actor)
    except IntegrityError:  # started at the same moment by someone else
        return Assessment.objects.get(school=school, year=year)
    carried = 0
    if previous is not None:
        questions = question_map(CURRENT_VERSION)
        now = timezone.now()
        rows = [
            Answer(
                school_id=school.pk,
                assessment=assessment,
                area=answer.area,
                question=answer.question,
                level=answer.level,
                points=answer.points,
                evidence=answer.evidence,
                link=answer.link,
                answered_by=answer.answered_by,
                answered_at=now,
            )
            for answer in previous.answers.all()
            if answer.question in questions  # a question dropped from the questionnaire is not carried over
        ]
        Answer.objects.bulk_create(rows)
        carried = len(rows)
    note = f"Started the {year_label(year)} assessment"
    note += f", carrying over {carried} answers from {year_label(previous.year)}." if previous else "."
    activity.record(assessment, actor=actor, kind=Activity.Kind.CREATED, text=note)
    return assessment


@transaction.atomic
def assessment_answer(
    *, assessment: Assessment, actor: User, question: str, level: str, evidence: str = "", link: str = ""
) -> Answer:
    """Answer one question (or change the answer): not yet, partly or fully, with the evidence that shows it."""
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    access.require(
        access.can_answer_assessment,
        actor,
        assessment,
        "Only the school's network manager and leaders answer its assessment.",
    )
    _require_current(assessment)
    if assessment.status != Assessment.Status.DRAFT:
        raise ValidationError("This assessment is completed: reopen it to change an answer.")
    found = question_map(assessment.version).get(question)
    if found is None:
        raise ValidationError({"question": f"There is no question {question!r} in this questionnaire."})
    if level not in Level.values:
        raise ValidationError({"level": f"Answer not yet, partly or fully, not {level!r}."})
    area, asked = found
    answer = Answer.objects.filter(assessment=assessment, question=question).first()
    old = answer.level if answer else ""
    values = {"level": level, "points": POINTS[level], "evidence": evidence.strip(), "link": link.strip()}
    if answer is not None and all(getattr(answer, name) == value for name, value in values.items()):
        return answer  # nothing changed: no timeline entry
    if answer is None:
        answer = Answer(school_id=assessment.school_id, assessment=assessment, area=area.key, question=question)
    for name, value in values.items():
        setattr(answer, name, value)
    answer.answered_by, answer.answered_at = actor, timezone.now()
    answer.save()
    assessment.save(update_fields=["updated_at"])
    activity.record(
        assessment,
        actor=actor,
        kind=Activity.Kind.FIELD,
        public=True,
        text=f"{area.name}: “{asked.text}” {Level(old).label if old else 'unanswered'} → {Level(level).label}",
        changes={question: [old, level]},
    )
    return answer


@transaction.atomic
def assessment_transition(*, assessment: Assessment, actor: User, action: str, note: str = "") -> Assessment:
    """Mark the year's assessment completed (its scores are then the school's figures for the year), or reopen it."""
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    transition = Assessment.WORKFLOW.check_action(assessment.status, action)
    access.require(
        transition.permission,
        actor,
        assessment,
        "Only the school's network manager and leaders complete or reopen its assessment.",
    )
    _require_current(assessment)
    old = assessment.status
    assessment.status = transition.target
    if transition.target == Assessment.Status.COMPLETED:
        assessment.completed_by, assessment.completed_at = actor, timezone.now()
    else:
        assessment.completed_by, assessment.completed_at = None, None
    assessment.save(update_fields=["status", "completed_by", "completed_at", "updated_at"])
    activity.record_status(assessment, actor=actor, old=old, new=assessment.status, note=note)
    return assessment


@transaction.atomic
def assessment_moderate(
    *, assessment: Assessment, actor: User, area: str, percent: int | None, comment: str = ""
) -> Moderation:
    """An LEA consultant's view of one process or function: a comment, and a moderated score where theirs differs."""
    access.require(
        access.can_moderate_assessment,
        actor,
        assessment,
        "Only the authority's consultants moderate a school's assessment.",
    )
    if area not in area_map(assessment.version):
        raise ValidationError({"area": f"There is no process or function {area!r}."})
    if percent is not None and not 0 <= percent <= 100:
        raise ValidationError({"percent": "A score is between 0 and 100 %."})
    moderation, _ = Moderation.objects.update_or_create(
        assessment=assessment,
        area=area,
        defaults={
            "school_id": assessment.school_id,
            "percent": percent,
            "comment": comment.strip(),
            "consultant": actor,
        },
    )
    activity.record(
        assessment,
        actor=actor,
        kind=Activity.Kind.COMMENT,
        public=True,
        text=f"Moderation of {area_map(assessment.version)[area].name}: "
        f"{'' if percent is None else f'{percent} %. '}{comment.strip()}",
    )
    return moderation
