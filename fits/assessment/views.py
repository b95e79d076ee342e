"""Pages of the FITS maturity assessment: this year's assessment of each school, one assessment's scores, one
process's questionnaire with the evidence from live data beside each answer, the history and trend per process,
the LEA's view of its schools side by side, and the CSV exports.

Thin views: they read through `visible_to` (support staff, leaders and the LEA's consultants; ICT users are answered
404, as if it were not there), parse, call fits/assessment/services.py, render.
"""

from __future__ import annotations

import csv
from collections import Counter
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.generic import DetailView, ListView, View

from fits import access
from fits.activity import timeline
from fits.assessment import evidence, services
from fits.assessment.models import Answer, Assessment, Level, Moderation, academic_year, year_label
from fits.assessment.questionnaire import area_map, areas
from fits.assessment.scores import scores_of, trend, weakest
from fits.scoping import schools_visible_to
from fits.views import RecordActionView, ScopedViewMixin, ServiceErrorMixin


class AssessmentReadersMixin:
    """The assessment is for support staff, leaders and the LEA: an ICT user is answered 404."""

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not access.here_or_anywhere(access.can_view_assessment).test(user, None):
            raise Http404("The FITS assessment is for the school's support staff and leaders.")
        return super().dispatch(request, *args, **kwargs)


def _schools(request):
    """The schools in scope: the one chosen in the switcher, or every school where the user is staff."""
    schools = schools_visible_to(request.user).select_related("authority")
    if not request.user.is_superuser:
        schools = schools.filter(pk__in=request.user.staff_school_ids)
    school = getattr(request, "school", None)
    return schools.filter(pk=school.pk) if school is not None else schools


def _scores_for(user, assessments: list[Assessment]) -> dict[int, Any]:
    ids = [assessment.pk for assessment in assessments]
    totals = Answer.objects.visible_to(user).filter(assessment_id__in=ids).totals()
    moderations = Moderation.objects.visible_to(user).filter(assessment_id__in=ids)
    return scores_of(assessments, totals, moderations)


# =============================================================================
# This year's assessments
# =============================================================================


class HomeView(AssessmentReadersMixin, LoginRequiredMixin, ListView):
    """This academic year's assessment of each school in scope: status, progress, overall score, last year's; and for
    one school, its scores per process and function."""

    template_name = "assessment/home.html"
    context_object_name = "schools"
    paginate_by = 25

    def get_queryset(self):
        return _schools(self.request).order_by("name", "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        year = academic_year(timezone.localdate())
        schools = list(context["schools"])
        assessments = list(
            Assessment.objects.visible_to(self.request.user)
            .of_schools([s.pk for s in schools])
            .filter(year__in=[year, year - 1])
            .select_related("school")
        )
        scores = _scores_for(self.request.user, assessments)
        by_school = {(a.school_id, a.year): a for a in assessments}
        answerer = access.here_or_anywhere(access.can_answer_assessment)
        rows = []
        for school in schools:
            current, previous = by_school.get((school.pk, year)), by_school.get((school.pk, year - 1))
            rows.append(
                {
                    "school": school,
                    "assessment": current,
                    "scores": scores.get(current.pk) if current else None,
                    "previous": previous,
                    "previous_scores": scores.get(previous.pk) if previous else None,
                    "can_start": current is None and answerer.test(self.request.user, school),
                }
            )
        single = rows[0] if len(rows) == 1 and rows[0]["assessment"] else None
        return {
            **context,
            "rows": rows,
            "year": year,
            "year_label": year_label(year),
            "single": single,
            "can_see_lea": access.here_or_anywhere(access.can_moderate_assessment).test(self.request.user, None),
        }


class StartView(AssessmentReadersMixin, LoginRequiredMixin, ServiceErrorMixin, View):
    """POST: start this year's assessment at one of the viewer's schools (from last year's answers)."""

    def post(self, request, *args, **kwargs):
        school = _schools(request).filter(slug=request.POST.get("school", "")).first()
        if school is None:
            raise Http404("No such school of yours.")
        try:
            assessment = services.assessment_start(school=school, actor=request.user)
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return redirect("assessment:home")
        return redirect(assessment.get_absolute_url())


class AssessmentDetailView(AssessmentReadersMixin, ScopedViewMixin, DetailView):
    """One school's assessment for one year: scores per process and function, progress, the chart, the workflow."""

    model = Assessment
    narrow_to_current_school = False
    template_name = "assessment/detail.html"
    context_object_name = "assessment"

    def get_queryset(self):
        return super().get_queryset().select_related("school", "completed_by", "started_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        assessment, user = self.object, self.request.user
        scores = _scores_for(user, [assessment])[assessment.pk]
        is_history = Assessment.objects.visible_to(user).later_than(assessment).exists()
        return {
            **context,
            "scores": scores,
            "is_history": is_history,
            "actions": [] if is_history else Assessment.WORKFLOW.available(user, assessment),
            "can_moderate": access.can_moderate_assessment.test(user, assessment),
            "timeline": timeline(assessment, include_internal=True)[:50],
        }


class TransitionView(AssessmentReadersMixin, RecordActionView):
    """POST: mark the assessment completed, or reopen it."""

    model = Assessment

    def act(self, cleaned_data):
        services.assessment_transition(assessment=self.object, actor=self.request.user, action=self.kwargs["action"])


# =============================================================================
# One process's questionnaire, with the evidence from live data
# =============================================================================


class AreaForm(forms.Form):
    """The questions of one process or function: an answer, the evidence and a link for each."""

    def __init__(self, *args: Any, area, answers: dict[str, Answer], disabled: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.area = area
        for question in area.questions:
            answer = answers.get(question.key)
            self.fields[f"{question.key}-level"] = forms.ChoiceField(
                label=question.text,
                choices=Level.choices,
                required=False,
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                initial=answer.level if answer else None,
                disabled=disabled,
            )
            self.fields[f"{question.key}-evidence"] = forms.CharField(
                label="Evidence",
                required=False,
                widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
                initial=answer.evidence if answer else "",
                disabled=disabled,
            )
            self.fields[f"{question.key}-link"] = forms.URLField(
                label="Link",
                required=False,
                initial=answer.link if answer else "",
                disabled=disabled,
                assume_scheme="https",
                widget=forms.URLInput(attrs={"class": "form-control"}),
            )


class AreaView(AssessmentReadersMixin, ScopedViewMixin, DetailView):
    """One process or function: each question with the school's answer and evidence, and beside it what the
    product's own data says (highlighted where they disagree); the recommended action while it is not yet met."""

    model = Assessment
    narrow_to_current_school = False
    template_name = "assessment/area.html"
    context_object_name = "assessment"

    def get_queryset(self):
        return super().get_queryset().select_related("school")

    def setup_area(self) -> None:
        self.object = self.get_object()
        self.area = area_map(self.object.version).get(self.kwargs["area"])
        if self.area is None:
            raise Http404("No such process or function.")
        user = self.request.user
        self.answers = {
            a.question: a
            for a in Answer.objects.visible_to(user)
            .filter(assessment=self.object, area=self.area.key)
            .select_related("answered_by")
        }
        self.is_history = Assessment.objects.visible_to(user).later_than(self.object).exists()
        self.editable = (
            not self.is_history
            and self.object.status == Assessment.Status.DRAFT
            and access.can_answer_assessment.test(user, self.object)
        )

    def get_form(self, data=None) -> AreaForm:
        return AreaForm(data, area=self.area, answers=self.answers, disabled=not self.editable)

    def get(self, request, *args, **kwargs):
        self.setup_area()
        return self.render_to_response(self.get_context_data(form=self.get_form()))

    def post(self, request, *args, **kwargs):
        self.setup_area()
        if not self.editable:
            messages.error(request, "This assessment cannot be changed by you now.")
            return redirect(request.path)
        form = self.get_form(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        saved = 0
        try:
            for question in self.area.questions:
                level = form.cleaned_data[f"{question.key}-level"]
                if not level:
                    continue
                services.assessment_answer(
                    assessment=self.object,
                    actor=request.user,
                    question=question.key,
                    level=level,
                    evidence=form.cleaned_data[f"{question.key}-evidence"],
                    link=form.cleaned_data[f"{question.key}-link"],
                )
                saved += 1
        except (ValidationError, PermissionDenied) as error:
            ServiceErrorMixin.report_service_error(self, error)
            return redirect(request.path)
        messages.success(request, f"{self.area.name}: {saved} answers saved.")
        return redirect(self.object.get_absolute_url())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = kwargs["form"]
        found = evidence.gather(self.object.school, [q.key for q in self.area.questions], today=timezone.localdate())
        rows = []
        for question in self.area.questions:
            answer = self.answers.get(question.key)
            seen = found.get(question.key)
            rows.append(
                {
                    "question": question,
                    "answer": answer,
                    "evidence": seen,
                    "level": form[f"{question.key}-level"],
                    "text": form[f"{question.key}-evidence"],
                    "link": form[f"{question.key}-link"],
                    "disagrees": evidence.disagreement(answer.level if answer else None, seen),
                }
            )
        scores = _scores_for(self.request.user, [self.object])[self.object.pk]
        moderation = (
            Moderation.objects.visible_to(self.request.user).filter(assessment=self.object, area=self.area.key).first()
        )
        all_areas = list(area_map(self.object.version).values())
        index = all_areas.index(self.area)
        return {
            **context,
            "area": self.area,
            "rows": rows,
            "editable": self.editable,
            "is_history": self.is_history,
            "score": scores.by_area[self.area.key],
            "moderation": moderation,
            "can_moderate": access.can_moderate_assessment.test(self.request.user, self.object),
            "next_area": all_areas[index + 1] if index + 1 < len(all_areas) else None,
            "previous_area": all_areas[index - 1] if index else None,
        }


class ModerationForm(forms.Form):
    percent = forms.IntegerField(label="Moderated score (%)", min_value=0, max_value=100, required=False)
    comment = forms.CharField(label="Consultant's comment", required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ModerateView(AssessmentReadersMixin, RecordActionView):
    """POST: an LEA consultant's comment and moderated score on one process or function."""

    model = Assessment
    form_class = ModerationForm

    def act(self, cleaned_data):
        services.assessment_moderate(
            assessment=self.object,
            actor=self.request.user,
            area=self.kwargs["area"],
            percent=cleaned_data["percent"],
            comment=cleaned_data["comment"],
        )

    def success_url(self) -> str:
        from django.urls import reverse

        return reverse("assessment:area", args=[self.object.pk, self.kwargs["area"]])


class ExportView(AssessmentReadersMixin, ScopedViewMixin, DetailView):
    """One assessment as CSV: every question with its answer, evidence and the recommended action."""

    model = Assessment
    narrow_to_current_school = False

    def render_to_response(self, context, **kwargs):
        assessment = self.object
        answers = {a.question: a for a in Answer.objects.visible_to(self.request.user).filter(assessment=assessment)}
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        name = f"fits-assessment-{assessment.school.slug}-{assessment.year}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        writer = csv.writer(response)
        writer.writerow(
            [
                "school",
                "year",
                "area",
                "kind",
                "question key",
                "question",
                "answer",
                "points",
                "evidence",
                "link",
                "recommended action",
            ]
        )
        for area in area_map(assessment.version).values():
            for question in area.questions:
                answer = answers.get(question.key)
                writer.writerow(
                    [
                        assessment.school.name,
                        assessment.year_label,
                        area.name,
                        area.kind,
                        question.key,
                        _safe(question.text),
                        answer.get_level_display() if answer else "",
                        (answer.points / 2) if answer else 0,
                        _safe(answer.evidence) if answer else "",
                        _safe(answer.link) if answer else "",
                        "" if answer and answer.level == "fully" else question.action,
                    ]
                )
        return response


def _safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


# =============================================================================
# History: each school's years side by side, the trend per process
# =============================================================================


class HistoryView(AssessmentReadersMixin, LoginRequiredMixin, ListView):
    """Each school's assessments over the years, per process and function, earlier years read-only."""

    template_name = "assessment/history.html"
    context_object_name = "schools"
    paginate_by = 10

    def get_queryset(self):
        return _schools(self.request).order_by("name", "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        schools = list(context["schools"])
        assessments = list(
            Assessment.objects.visible_to(self.request.user).of_schools([s.pk for s in schools]).order_by("year")
        )
        scores = _scores_for(self.request.user, assessments)
        rows = []
        for school in schools:
            years = [(a, scores[a.pk]) for a in assessments if a.school_id == school.pk]
            table = [(area, [scores.by_area.get(area.key) for _, scores in years]) for area in areas()]
            rows.append({"school": school, "years": years, "table": table, "chart": _chart(years)})
        return {**context, "rows": rows, "areas": areas()}


def _chart(years) -> dict[str, Any]:
    """An SVG line per process (x: year, y: %), drawn with attributes only (no inline styles or scripts)."""
    if not years:
        return {}
    width, height, step = 300, 100, (300 / max(len(years) - 1, 1))
    lines = []
    for area in areas():
        points = [
            (round(i * step), round(height - scores.by_area[area.key].percent * height / 100))
            for i, (_, scores) in enumerate(years)
            if area.key in scores.by_area
        ]
        end = points[-1] if points else (0, height)
        lines.append({"area": area, "points": " ".join(f"{x},{y}" for x, y in points), "x": end[0] + 4, "y": end[1]})
    overall = [(round(i * step), round(height - s.overall * height / 100)) for i, (_, s) in enumerate(years)]
    return {
        "width": width,
        "height": height,
        "lines": lines,
        "overall": " ".join(f"{x},{y}" for x, y in overall),
        "labels": [(round(i * step), a.year_label) for i, (a, _) in enumerate(years)],
    }


# =============================================================================
# The LEA's view: every school of its authorities side by side
# =============================================================================


class LeaView(AssessmentReadersMixin, LoginRequiredMixin, ListView):
    """Every school the viewer sees (a consultant: every school of their authorities), process x school, for one
    year; the weakest processes across them, to focus the next consultancy day on; and the trend over the years.
    A fixed number of queries whatever the number of schools: the sums are SQL aggregates."""

    template_name = "assessment/lea.html"
    context_object_name = "schools"
    paginate_by = 50

    def get_queryset(self):
        return _schools(self.request).order_by("name", "pk")

    def year(self) -> int:
        current = academic_year(timezone.localdate())
        try:
            year = int(self.request.GET.get("year", current))
        except ValueError:
            return current
        return year if 2000 <= year <= current else current

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, year = self.request.user, self.year()
        here = getattr(getattr(self.request, "school", None), "pk", None)
        assessments = list(Assessment.objects.visible_to(user).of_school(here).filter(year=year))
        totals = Answer.objects.visible_to(user).of_school(here).filter(assessment__year=year)
        moderations = Moderation.objects.visible_to(user).of_school(here).filter(assessment__year=year)
        scores = scores_of(assessments, totals.totals(), moderations)
        by_school = {a.school_id: a for a in assessments}
        rows = []
        for school in context["schools"]:
            assessment = by_school.get(school.pk)
            rows.append(
                {
                    "school": school,
                    "assessment": assessment,
                    "scores": scores.get(assessment.pk) if assessment else None,
                }
            )
        version = Counter(a.version for a in assessments).most_common(1)[0][0] if assessments else 1
        counts = (
            Assessment.objects.visible_to(user)
            .of_school(here)
            .order_by()
            .values("year", "version")
            .annotate(n=Count("pk"))
        )
        per_year = {(row["year"], row["version"]): row["n"] for row in counts}
        all_totals = Answer.objects.visible_to(user).of_school(here).totals("assessment__year")
        years = sorted({y for y, _ in per_year} | {year})
        averages = trend(all_totals, per_year)
        trend_rows = [(area, [averages.get(y, {}).get(area.key) for y in years]) for area in areas(version)]
        return {
            **context,
            "year": year,
            "year_label": year_label(year),
            "rows": rows,
            "areas": areas(version),
            "weakest": weakest(scores.values(), version)[:5],
            "assessed": len(assessments),
            "completed": sum(1 for a in assessments if a.status == Assessment.Status.COMPLETED),
            "trend_rows": trend_rows,
            "years": [(y, year_label(y)) for y in years],
        }


class LeaExportView(LeaView):
    """The LEA's grid as CSV: one row per school, one column per process and function (%)."""

    paginate_by = None

    def render_to_response(self, context, **kwargs):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="fits-assessment-{context["year"]}.csv"'
        writer = csv.writer(response)
        writer.writerow(["school", "authority", "year", "status", "overall %", *[a.name for a in context["areas"]]])
        for row in context["rows"]:
            scores, assessment = row["scores"], row["assessment"]
            writer.writerow(
                [
                    row["school"].name,
                    str(row["school"].authority or ""),
                    context["year_label"],
                    assessment.get_status_display() if assessment else "Not started",
                    scores.overall if scores else "",
                    *[
                        (scores.by_area[a.key].percent if scores and a.key in scores.by_area else "")
                        for a in context["areas"]
                    ],
                ]
            )
        return response
