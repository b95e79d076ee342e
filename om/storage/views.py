"""Pages of Storage Management: storage per server and NAS (from capacity monitoring), shares, backup jobs with
their latest result, a job's history, tests and incident, restore requests against their targets, restore tests
per term, the restore expectations, and the backup reports as they arrived.

Thin views: they start from `visible_to` (support staff's records, like the CMDB), parse, call
om/storage/services.py, render.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import DetailView, FormView, ListView

from availability.models import Metric
from fits import access
from fits.activity import timeline
from fits.scoping import schools_visible_to
from fits.views import RecordActionView, ScopedViewMixin, ServiceErrorMixin
from om.storage import services
from om.storage.forms import (
    BackupJobForm,
    ExpectationsForm,
    OffsiteForm,
    ReportPasteForm,
    RestoreCompleteForm,
    RestoreTestForm,
    ResultForm,
    ShareForm,
)
from om.storage.models import BackupJob, BackupReport, RestoreKind, RestoreRequest, RestoreTest, Share
from om.storage.volumes import disk_metrics, volumes


class StaffOnlyMixin:
    """Storage Management is support staff's business: everyone else is answered 404, as if it were not there."""

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not access.here_or_anywhere(access.can_view_storage).test(user, None):
            raise Http404("Storage management is for the school's support staff.")
        return super().dispatch(request, *args, **kwargs)


def _school(request) -> Any:
    return getattr(request, "school", None)


def _can_manage(request) -> bool:
    return access.here_or_anywhere(access.can_manage_storage).test(request.user, _school(request))


# =============================================================================
# Storage: volumes (from capacity monitoring) and shares
# =============================================================================


class OverviewView(StaffOnlyMixin, ScopedViewMixin, ListView):
    """Every volume of the school's servers and NAS devices: size, used, growth a month, when full; soonest first."""

    model = Metric
    template_name = "storage/overview.html"
    context_object_name = "volumes"
    paginate_by = 50

    def get_queryset(self):
        queryset = super().get_queryset()
        return volumes(disk_metrics(queryset))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_manage"] = _can_manage(self.request)
        return context


class ShareListView(StaffOnlyMixin, ScopedViewMixin, ListView):
    model = Share
    template_name = "storage/share_list.html"
    context_object_name = "shares"
    paginate_by = 50

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.select_related("school", "server", "volume").prefetch_related("backup_jobs") \
            .order_by("server__name", "name", "pk")  # fmt: skip

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "can_manage": _can_manage(self.request)}


class ShareFormView(LoginRequiredMixin, StaffOnlyMixin, ServiceErrorMixin, FormView):
    form_class = ShareForm
    template_name = "storage/share_form.html"
    share: Share | None = None

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and "pk" in kwargs:
            shares = Share.objects.visible_to(request.user)
            self.share = get_object_or_404(shares.select_related("server", "volume"), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        allowed = self.share if self.share is not None else _school(request)
        if not access.here_or_anywhere(access.can_manage_storage).test(request.user, allowed):
            messages.info(request, "Only technicians and the network manager record shares.")
            return redirect(self.share.get_absolute_url() if self.share is not None else "storage:share_list")
        return super().get(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = {**super().get_form_kwargs(), "user": self.request.user, "school": _school(self.request),
                  "share": self.share}  # fmt: skip
        if self.share is not None and self.request.method == "GET":
            kwargs["initial"] = {name: getattr(self.share, name) for name in services.SHARE_FIELDS}
        return kwargs

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "share": self.share}

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        school = data.pop("school", None) or self.share.school
        try:
            share = services.share_save(actor=self.request.user, school=school, share=self.share, **data)
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, f"Share {share} saved.")
        return redirect("storage:share_list")


# =============================================================================
# Backup jobs
# =============================================================================


class JobListView(StaffOnlyMixin, ScopedViewMixin, ListView):
    """Every backup job with its latest result and a badge: failed, missed, warning, OK, never reported."""

    model = BackupJob
    template_name = "storage/job_list.html"
    context_object_name = "jobs"
    paginate_by = 50

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.select_related("school", "owner", "last_result", "incident").order_by(
            "-is_active", "name", "pk"
        )

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "can_manage": _can_manage(self.request)}


class JobDetailView(StaffOnlyMixin, ScopedViewMixin, DetailView):
    narrow_to_current_school = False
    model = BackupJob
    template_name = "storage/job_detail.html"
    context_object_name = "job"

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.select_related("school", "owner", "incident", "last_result")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        job, user, now = self.object, self.request.user, timezone.now()
        can_manage = access.can_manage_storage.test(user, job)
        term = services.current_term(job.school, timezone.localdate())
        tests = list(job.restore_tests.select_related("verified_by")[:12])
        context.update(
            results=list(job.results.select_related("report")[:30]),
            tests=tests,
            term=term,
            tested_this_term=bool(term and any(t.term_key == term.key for t in tests)),
            shares=list(job.shares.select_related("server")),
            cis=list(job.cis.all()),
            restores=list(job.restores.select_related("ticket")[:10]),
            offsite_due=job.offsite_due(now),
            now=now,
            can_manage=can_manage,
            result_form=ResultForm(initial={"finished_at": timezone.localtime(now).replace(second=0, microsecond=0)}),
            offsite_form=OffsiteForm(),
            timeline=timeline(job, include_internal=True),
        )
        return context


class JobFormView(LoginRequiredMixin, StaffOnlyMixin, ServiceErrorMixin, FormView):
    form_class = BackupJobForm
    template_name = "storage/job_form.html"
    job: BackupJob | None = None

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and "pk" in kwargs:
            self.job = get_object_or_404(BackupJob.objects.visible_to(request.user), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        if self.job is not None and not access.can_manage_storage.test(request.user, self.job):
            messages.info(request, "Only technicians and the network manager change backup jobs.")
            return redirect(self.job)
        if self.job is None and not _can_manage(request):
            messages.info(request, "Only technicians and the network manager record backup jobs.")
            return redirect("storage:job_list")
        return super().get(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = {**super().get_form_kwargs(), "user": self.request.user, "school": _school(self.request),
                  "job": self.job}  # fmt: skip
        if self.job is not None and self.request.method == "GET":
            initial = {name: getattr(self.job, name) for name in services.JOB_FIELDS}
            initial.update(cis=list(self.job.cis.all()), shares=list(self.job.shares.all()))
            kwargs["initial"] = initial
        return kwargs

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "job": self.job}

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        school = data.pop("school", None) or self.job.school
        cis, shares = list(data.pop("cis")), list(data.pop("shares"))
        try:
            job = services.backup_job_save(actor=self.request.user, school=school, job=self.job, cis=cis,
                                           shares=shares, **data)  # fmt: skip
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, f"Backup job {job.name} saved.")
        return redirect(job)


class JobResultAddView(StaffOnlyMixin, RecordActionView):
    """Record a result by hand (a job whose software cannot report, or a report that went astray)."""

    model = BackupJob
    form_class = ResultForm

    def act(self, data: dict[str, Any]) -> None:
        size = data.pop("size_gb")
        size_bytes = int(size * Decimal(1024**3)) if size is not None else None
        result = services.backup_result_record(job=self.object, actor=self.request.user, size_bytes=size_bytes,
                                               **data)  # fmt: skip
        messages.success(self.request, f"Result recorded: {result.get_status_display().lower()}.")


class JobOffsiteView(StaffOnlyMixin, RecordActionView):
    model = BackupJob
    form_class = OffsiteForm

    def act(self, data: dict[str, Any]) -> None:
        services.offsite_copy_record(job=self.object, actor=self.request.user, at=data["at"], note=data["note"])
        messages.success(self.request, "Off-site copy recorded.")


class RestoreTestCreateView(StaffOnlyMixin, ScopedViewMixin, ServiceErrorMixin, FormView):
    """Record a restore test of a job, with its evidence."""

    narrow_to_current_school = False
    model = BackupJob
    form_class = RestoreTestForm
    template_name = "storage/test_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.job = get_object_or_404(self.get_queryset().select_related("school"), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        if not access.can_manage_storage.test(request.user, self.job):
            messages.info(request, "Only technicians and the network manager record restore tests.")
            return redirect(self.job)
        return super().get(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = {**super().get_form_kwargs(), "user": self.request.user, "job": self.job}
        if self.request.method == "GET":
            kwargs["initial"] = {"tested_on": timezone.localdate()}
        return kwargs

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "job": self.job}

    def form_valid(self, form):
        try:
            test = services.restore_test_record(job=self.job, actor=self.request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, f"Restore test recorded for {test.term_label}.")
        return redirect(self.job)


# =============================================================================
# Restore requests and expectations
# =============================================================================


class RestoreListView(StaffOnlyMixin, ScopedViewMixin, ListView):
    """Restore requests, the ones still to do first (soonest target first), then the done ones."""

    model = RestoreRequest
    template_name = "storage/restore_list.html"
    context_object_name = "restores"
    paginate_by = 50

    def get_queryset(self):
        queryset = super().get_queryset()
        queryset = queryset.select_related("school", "ticket", "job")
        if self.request.GET.get("show") == "done":
            return queryset.filter(completed_at__isnull=False).order_by("-completed_at", "-pk")
        return queryset.filter(completed_at__isnull=True).order_by("target_at", "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(now=timezone.now(), show=self.request.GET.get("show", "open"))
        return context


class RestoreDetailView(StaffOnlyMixin, ScopedViewMixin, DetailView):
    narrow_to_current_school = False
    model = RestoreRequest
    template_name = "storage/restore_detail.html"
    context_object_name = "restore"

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.select_related("school", "ticket", "job", "completed_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            can_manage=access.can_manage_storage.test(self.request.user, self.object),
            complete_form=RestoreCompleteForm(),
            now=timezone.now(),
        )
        return context


class RestoreCompleteView(StaffOnlyMixin, RecordActionView):
    model = RestoreRequest
    form_class = RestoreCompleteForm

    def act(self, data: dict[str, Any]) -> None:
        restore = services.restore_complete(restore=self.object, actor=self.request.user, **data)
        met = "within" if restore.met else "after"
        messages.success(self.request, f"Restore recorded: {restore.get_outcome_display().lower()}, {met} the target.")


class ExpectationsView(LoginRequiredMixin, StaffOnlyMixin, ServiceErrorMixin, FormView):
    """What each school promises for restores: how far back (its jobs' retention) and how fast (school hours)."""

    form_class = ExpectationsForm
    template_name = "storage/expectations.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            schools = schools_visible_to(request.user)
            chosen = _school(request)
            self.school = chosen if chosen is not None else schools.order_by("name").first()
            if self.school is None:
                raise Http404("No school.")
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "current": services.expectations_for(self.school)}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        current = services.expectations_for(self.school)
        back = services.retention_days_for(self.school)
        rows = [
            (label, services.hours_words(current[kind][0]), current[kind][1]) for kind, label in RestoreKind.choices
        ]
        context.update(school=self.school, rows=rows, back=back,
                       can_manage=access.can_manage_operations.test(self.request.user, self.school))  # fmt: skip
        return context

    def form_valid(self, form):
        try:
            for kind in RestoreKind.values:
                services.restore_expectation_save(actor=self.request.user, school=self.school, kind=kind,
                                                  target_hours=form.cleaned_data[f"{kind}_hours"],
                                                  notes=form.cleaned_data[f"{kind}_notes"])  # fmt: skip
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, f"Restore expectations of {self.school} saved.")
        return redirect("storage:expectations")


# =============================================================================
# Restore tests
# =============================================================================


class TestListView(StaffOnlyMixin, ScopedViewMixin, ListView):
    """Each active job's last restore test, and whether this term's is done."""

    model = BackupJob
    template_name = "storage/test_list.html"
    context_object_name = "jobs"
    paginate_by = 50

    def get_queryset(self):
        queryset = super().get_queryset()
        last = (
            RestoreTest.objects.visible_to(self.request.user).filter(job=OuterRef("pk")).order_by("-tested_on", "-pk")
        )
        return (
            queryset.filter(is_active=True)
            .select_related("school")
            .annotate(
                last_tested_on=Subquery(last.values("tested_on")[:1]),
                last_term_key=Subquery(last.values("term_key")[:1]),
                last_succeeded=Subquery(last.values("succeeded")[:1]),
                last_restored=Subquery(last.values("restored")[:1]),
            )
            .order_by("name", "pk")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today, terms = timezone.localdate(), {}
        for job in context["jobs"]:
            if job.school_id not in terms:
                terms[job.school_id] = services.current_term(job.school, today)
            job.term = terms[job.school_id]
            job.done_this_term = bool(job.term and job.last_term_key == job.term.key)
        return context


# =============================================================================
# Backup reports as they arrived
# =============================================================================


class ReportListView(StaffOnlyMixin, ScopedViewMixin, ListView):
    model = BackupReport
    template_name = "storage/report_list.html"
    context_object_name = "reports"
    paginate_by = 50

    def get_queryset(self):
        queryset = super().get_queryset()
        queryset = queryset.select_related("school", "job")
        if self.request.GET.get("outcome") in BackupReport.Outcome.values:
            queryset = queryset.filter(outcome=self.request.GET["outcome"])
        return queryset.order_by("-received_at", "-pk")

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "can_manage": _can_manage(self.request)}


class ReportDetailView(StaffOnlyMixin, ScopedViewMixin, DetailView):
    narrow_to_current_school = False
    model = BackupReport
    template_name = "storage/report_detail.html"
    context_object_name = "report"

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.select_related("school", "job", "received_by").prefetch_related("results")


class ReportPasteView(LoginRequiredMixin, StaffOnlyMixin, ServiceErrorMixin, FormView):
    """Paste an e-mail report by hand: to record a run whose mail went astray, or to try a new job's reports."""

    form_class = ReportPasteForm
    template_name = "storage/report_paste.html"

    def get(self, request, *args, **kwargs):
        if not _can_manage(request):
            messages.info(request, "Only technicians and the network manager report backups.")
            return redirect("storage:report_list")
        return super().get(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "school": _school(self.request)}

    def form_valid(self, form):
        try:
            outcome = services.backup_report_receive(school=form.cleaned_data["school"],
                                                     raw=form.cleaned_data["message"],
                                                     actor=self.request.user)  # fmt: skip
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        if outcome.accepted:
            messages.success(self.request, f"Read: {outcome.result.get_status_display().lower()} for "
                                           f"{outcome.report.job.name}.")  # fmt: skip
        else:
            messages.error(self.request, f"Not read: {outcome.report.reason}")
        return redirect(reverse("storage:report_detail", args=[outcome.report.pk]))
