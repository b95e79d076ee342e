"""Proactive and reporting pages of Problem Management: candidate problems from recurring
incidents, the monthly report (with its CSV), and the school's Problem Management settings."""

from __future__ import annotations

import csv
from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.generic import FormView, ListView, TemplateView

from fits import access
from fits.views import RecordActionView, ServiceErrorMixin
from incidents.models import Incident
from problems import services
from problems.forms import DismissCandidateForm, ProblemSettingsForm, RaiseCandidateForm, ReportMonthForm
from problems.models import CandidateStatus, ProblemCandidate, ProblemSettings
from problems.reports import monthly_report, report_scope
from problems.views import ProblemViewMixin


class CandidateListView(ProblemViewMixin, ListView):
    """Recurring incidents waiting for a technician to say whether they share a cause."""

    model = ProblemCandidate
    template_name = "problems/candidate_list.html"
    paginate_by = 25
    context_object_name = "candidates"

    def get_queryset(self):
        status = self.request.GET.get("status", CandidateStatus.OPEN)
        if status not in CandidateStatus.values:
            status = CandidateStatus.OPEN
        self.status = status
        # Each candidate's incidents go through their own scoping (safeguarding-flagged ones stay hidden).
        visible = Prefetch("incidents", queryset=Incident.objects.visible_to(self.request.user))
        candidates = super().get_queryset().for_list().prefetch_related(None).prefetch_related(visible)
        return candidates.filter(status=status).order_by("-last_at", "-pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(status=self.status, statuses=CandidateStatus.choices)
        return context


class CandidateActionView(ProblemViewMixin, RecordActionView):
    """Raise or dismiss a candidate; RecordActionView goes back to the candidate list afterwards."""

    model = ProblemCandidate


class CandidateRaiseView(CandidateActionView):
    form_class = RaiseCandidateForm

    def act(self, data):
        problem = services.candidate_raise(candidate=self.object, actor=self.request.user, title=data["title"])
        messages.success(
            self.request, f"{problem.reference} logged with {self.object.incident_count} incidents linked."
        )


class CandidateDismissView(CandidateActionView):
    form_class = DismissCandidateForm

    def act(self, data):
        services.candidate_dismiss(candidate=self.object, actor=self.request.user, note=data["note"])
        messages.success(
            self.request, f"Dismissed: {self.object.subject} stays quiet for {self.object.window_days} days."
        )


def _report_month(request) -> date:
    """The month asked for (?month=YYYY-MM), else this month so far."""
    form = ReportMonthForm(request.GET)
    if form.is_valid() and form.cleaned_data["month"]:
        return form.cleaned_data["month"]
    return timezone.localdate().replace(day=1)


class MonthlyReportView(ProblemViewMixin, TemplateView):
    """FITS "Monitor": the monthly report drawn from the problem log, with the fix-time bands graph."""

    template_name = "problems/report.html"

    def get(self, request, *args, **kwargs):
        month = _report_month(request)
        school = request.school
        bands = services.problem_settings_for(school).bands if school else ProblemSettings.DEFAULT_FIX_BANDS
        report = monthly_report(*report_scope(request.user, getattr(school, "pk", None)), month=month, bands=bands)
        if request.GET.get("format") == "csv":
            return self.csv(report, school)
        previous = (report.month - timedelta(days=1)).replace(day=1)
        following = (report.month + timedelta(days=32)).replace(day=1)
        context = self.get_context_data(
            report=report,
            school=school,
            previous=previous,
            following=following if following <= timezone.localdate() else None,
            to_date=report.month == timezone.localdate().replace(day=1),
            trend_max=max((max(r["opened"], r["resolved"]) for r in report.trend), default=0),
        )
        return self.render_to_response(context)

    def csv(self, report, school) -> HttpResponse:
        name = f"problem-report-{report.month:%Y-%m}-{school.slug if school else 'all'}.csv"
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        writer = csv.writer(response)
        writer.writerow(["figure", "value"])
        for label, value in (
            ("month", f"{report.month:%Y-%m}"),
            ("open at the start", report.backlog_start),
            ("opened", report.opened),
            ("resolved", report.resolved),
            ("closed", report.closed),
            ("cancelled", report.cancelled),
            ("open at the end", report.backlog_end),
            ("known errors recorded", report.known_errors),
            ("incidents logged", report.incidents),
            ("incidents linked to a problem", report.incidents_linked),
            ("candidates raised", report.candidates_raised),
            ("candidates dismissed", report.candidates_dismissed),
            *((f"fixed {label}", n) for label, n in report.fix_bands),
        ):
            writer.writerow([label, value])
        writer.writerow([])
        writer.writerow(["resolved problem", "school", "summary", "logged", "resolved", "days"])
        for problem in report.resolved_problems:
            days = (problem.resolved_at - problem.created_at).days
            writer.writerow([problem.reference, problem.school.name, problem.title,
                             f"{problem.created_at:%Y-%m-%d}", f"{problem.resolved_at:%Y-%m-%d}", days])  # fmt: skip
        return response


class ProblemSettingsView(ProblemViewMixin, ServiceErrorMixin, FormView):
    """The school's rule for recurring incidents and its fix-time bands."""

    template_name = "problems/settings.html"
    form_class = ProblemSettingsForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and request.school is None:
            messages.info(request, "Choose a school first: each school sets its own rules.")
            return redirect("problems:list")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Support staff read the rules; technicians change them (the service checks again).
        context["can_edit"] = access.can_work_problem.test(self.request.user, self.request.school)
        if not context["can_edit"]:
            for field in context["form"].fields.values():
                field.disabled = True
        return context

    def get_initial(self):
        current = services.problem_settings_for(self.request.school)
        return {
            "recurring_incidents": current.recurring_incidents,
            "recurring_days": current.recurring_days,
            "fix_bands": ", ".join(str(b) for b in current.bands),
        }

    def form_valid(self, form):
        try:
            services.problem_settings_save(school=self.request.school, actor=self.request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, "Problem Management settings saved.")
        return redirect("problems:settings")
