"""The FITS maturity self-assessment: one per school per academic year, answered per process and OM function.

Answers are rows (one per question answered), scored fully = 1, partly = 0.5, not yet = 0; a question not answered
counts as not yet. Points are stored doubled (2, 1, 0) so that scores add up in SQL as integers.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.urls import reverse

from fits import access
from fits.assessment.questionnaire import CURRENT_VERSION, area_map
from fits.scoping import SchoolOwned, SchoolScopedQuerySet
from fits.workflow import Transition, Workflow


def academic_year(day: datetime.date) -> int:
    """The academic year `day` falls in, named by the calendar year it starts in (September)."""
    return day.year if day.month >= 9 else day.year - 1


def year_label(year: int) -> str:
    return f"{year}/{(year + 1) % 100:02d}"


class Level(models.TextChoices):
    """How far a criterion is met (FITS OM's yes/no, with "partly" between)."""

    NOT_YET = "not_yet", "Not yet"
    PARTLY = "partly", "Partly"
    FULLY = "fully", "Fully"


POINTS = {Level.NOT_YET: 0, Level.PARTLY: 1, Level.FULLY: 2}  # half-points: fully = 1, partly = 0.5


class AssessmentQuerySet(SchoolScopedQuerySet):
    # Support staff, leaders and the LEA's consultants: an ICT user's role does not open it.
    staff_only = True

    def of_schools(self, school_ids) -> AssessmentQuerySet:
        """Narrow what is already visible to the schools of one page of a list."""
        return self.filter(school_id__in=school_ids)

    def later_than(self, assessment: Assessment) -> AssessmentQuerySet:
        """The same school's assessments of later years: while there is one, `assessment` is history."""
        return self.filter(school_id=assessment.school_id, year__gt=assessment.year)


class Assessment(SchoolOwned):
    """A school's self-assessment for one academic year, against one version of the questionnaire."""

    class Status(models.TextChoices):
        DRAFT = "draft", "In progress"
        COMPLETED = "completed", "Completed"

    WORKFLOW = Workflow(
        Status,
        [
            Transition(
                "complete",
                "Mark completed",
                (Status.DRAFT,),
                Status.COMPLETED,
                access.can_answer_assessment,
                style="primary",
            ),
            Transition("reopen", "Reopen", (Status.COMPLETED,), Status.DRAFT, access.can_answer_assessment),
        ],
    )

    year = models.PositiveSmallIntegerField(help_text="The academic year, by the calendar year it starts in.")
    version = models.PositiveSmallIntegerField("questionnaire version", default=CURRENT_VERSION, editable=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT, editable=False)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["school__name", "-year"]
        constraints = [models.UniqueConstraint(fields=["school", "year"], name="assessment_one_per_school_year")]

    def __str__(self) -> str:
        return f"FITS assessment {year_label(self.year)}"

    def get_absolute_url(self) -> str:
        return reverse("assessment:detail", args=[self.pk])

    @property
    def year_label(self) -> str:
        return year_label(self.year)

    @property
    def areas(self):
        return area_map(self.version).values()


class AnswerQuerySet(SchoolScopedQuerySet):
    staff_only = True

    def totals(self, *by: str) -> models.QuerySet:
        """Points and answers summed in SQL per assessment and area (plus any other `by` fields): one query
        whatever the number of schools, for the scores, the history and the LEA's grid."""
        return (
            self.order_by()
            .values("assessment_id", "assessment__version", "area", *by)
            .annotate(points_sum=models.Sum("points"), answered=models.Count("pk"))
        )


class Answer(SchoolOwned):
    """The school's answer to one question of its assessment, with its evidence."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="answers")
    area = models.CharField(max_length=30, editable=False)
    question = models.CharField(max_length=60)
    level = models.CharField(max_length=10, choices=Level.choices)
    points = models.PositiveSmallIntegerField(editable=False)
    evidence = models.TextField(blank=True, help_text="What shows it: a document, a record, a practice.")
    link = models.URLField(blank=True, max_length=500)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField()

    objects = AnswerQuerySet.as_manager()

    class Meta:
        ordering = ["assessment", "area", "question"]
        constraints = [models.UniqueConstraint(fields=["assessment", "question"], name="assessment_one_answer")]
        indexes = [models.Index(fields=["assessment", "area"])]

    def __str__(self) -> str:
        return f"{self.question}: {self.get_level_display()}"


class ModerationQuerySet(SchoolScopedQuerySet):
    staff_only = True


class Moderation(SchoolOwned):
    """An LEA consultant's comment and moderated score on one process or function of a school's assessment."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="moderations")
    area = models.CharField(max_length=30)
    percent = models.PositiveSmallIntegerField("moderated score (%)", null=True, blank=True)
    comment = models.TextField(blank=True)
    consultant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    objects = ModerationQuerySet.as_manager()

    class Meta:
        ordering = ["assessment", "area"]
        constraints = [models.UniqueConstraint(fields=["assessment", "area"], name="assessment_one_moderation")]

    def __str__(self) -> str:
        return f"Moderation of {self.area}"
