"""Pages of Service Continuity Management: the overview (overdue things first), the risk register with its filters
and its 5x5 matrix, risks, recovery plans with their steps and contacts, the printable plan (page and PDF), and the
continuity tests.

Thin views: they start from `visible_to` (support staff's records, like the CMDB), parse, call
continuity/services.py, render.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.generic import DetailView, FormView, ListView, TemplateView

from continuity import recovery, services
from continuity.filters import RiskFilterSet
from continuity.forms import (
    ActionFormSet,
    ContactFormSet,
    ContinuityTestForm,
    NoteForm,
    PlanForm,
    ReviewForm,
    RiskForm,
    StepFormSet,
    ordered_rows,
)
from continuity.models import (
    IMPACT_LEVELS,
    LIKELIHOOD_LEVELS,
    ContactKind,
    ContinuityPlan,
    ContinuityTest,
    Rating,
    Risk,
    RiskStatus,
    rating_for,
)
from fits import access
from fits.activity import timeline
from fits.views import RecordActionView, ScopedViewMixin, ServiceErrorMixin


class StaffOnlyMixin:
    """Continuity is support staff's business: everyone else is answered 404, as if it were not there."""

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not access.here_or_anywhere(access.can_view_continuity).test(user, None):
            raise Http404("Service continuity is for the school's support staff.")
        return super().dispatch(request, *args, **kwargs)


def _school(request) -> Any:
    return getattr(request, "school", None)


def _can_manage(request) -> bool:
    return access.here_or_anywhere(access.can_manage_continuity).test(request.user, _school(request))


# =============================================================================
# Overview
# =============================================================================

OVERVIEW_PLANS = 100  # a school has a handful of services; an authority's view is capped, overdue first


class OverviewView(StaffOnlyMixin, ScopedViewMixin, TemplateView):
    """Plans with their status, last test and next due, overdue first; the risks by rating; overdue risks."""

    template_name = "continuity/overview.html"
    model = ContinuityPlan

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        plans = list(self.get_queryset().select_related("school", "service", "owner")[:OVERVIEW_PLANS])
        risks = Risk.objects.visible_to(self.request.user)
        school = _school(self.request)
        if school is not None:
            risks = risks.of_school(school.pk)
        by_rating = dict(risks.exclude(status=RiskStatus.CLOSED).values_list("rating").annotate(n=Count("pk")))
        overdue_risks = list(
            risks.exclude(status=RiskStatus.CLOSED).filter(review_date__lt=today).select_related("school", "owner")
            .order_by("review_date", "pk")[:20]
        )  # fmt: skip
        context.update(
            plans=recovery.overdue_first(plans, today),
            today=today,
            ratings=[(value, label, by_rating.get(value, 0)) for value, label in reversed(Rating.choices)],
            risks_open=sum(by_rating.values()),
            overdue_risks=overdue_risks,
            reviews_overdue=sum(1 for p in plans if p.review_overdue(today)),
            tests_overdue=sum(1 for p in plans if p.test_overdue(today)),
            can_manage=_can_manage(self.request),
        )
        return context


# =============================================================================
# Risks
# =============================================================================


class RiskListView(StaffOnlyMixin, ScopedViewMixin, ListView):
    """The risk register, highest score first, with filters (rating, status, owner, overdue, threat)."""

    model = Risk
    template_name = "continuity/risk_list.html"
    context_object_name = "risks"
    paginate_by = 50

    def get_queryset(self):
        queryset = super().get_queryset().select_related("school", "owner").order_by("-score", "title", "pk")
        self.filterset = RiskFilterSet(self.request.GET or None, queryset=queryset, request=self.request)
        for field in self.filterset.form.fields.values():
            multiple = field.widget.allow_multiple_selected if hasattr(field.widget, "allow_multiple_selected") else 0
            select = hasattr(field.widget, "choices")
            field.widget.attrs["class"] = "form-select" if select else "form-control"
            if multiple:
                field.widget.attrs["size"] = 4
        return self.filterset.qs if self.filterset.is_bound else queryset

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "filter": self.filterset, "today": timezone.localdate(),
                "can_manage": _can_manage(self.request)}  # fmt: skip


class RiskMatrixView(StaffOnlyMixin, ScopedViewMixin, TemplateView):
    """The 5x5 risk matrix: how many risks (not closed) sit in each cell of likelihood x impact; each cell links to
    the register filtered to its risks."""

    model = Risk
    template_name = "continuity/risk_matrix.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        risks = self.get_queryset()
        show_closed = self.request.GET.get("closed") == "1"
        if not show_closed:
            risks = risks.exclude(status=RiskStatus.CLOSED)
        counts = {(row["likelihood"], row["impact"]): row["n"]
                  for row in risks.values("likelihood", "impact").annotate(n=Count("pk"))}  # fmt: skip
        list_url = reverse("continuity:risk_list")
        rows = []
        for likelihood in range(5, 0, -1):
            cells = []
            for impact in range(1, 6):
                score = likelihood * impact
                query = f"?likelihood={likelihood}&impact={impact}"
                if not show_closed:
                    query += "&status=open&status=treated&status=accepted"
                cells.append({"likelihood": likelihood, "impact": impact, "score": score, "rating": rating_for(score),
                              "count": counts.get((likelihood, impact), 0), "url": f"{list_url}{query}"})  # fmt: skip
            rows.append({"likelihood": likelihood, "label": LIKELIHOOD_LEVELS[likelihood], "cells": cells})
        context.update(rows=rows, impacts=list(IMPACT_LEVELS.items()), total=sum(counts.values()),
                       show_closed=show_closed, ratings=Rating.choices)  # fmt: skip
        return context


class RiskDetailView(StaffOnlyMixin, ScopedViewMixin, DetailView):
    narrow_to_current_school = False
    model = Risk
    template_name = "continuity/risk_detail.html"
    context_object_name = "risk"

    def get_queryset(self):
        return super().get_queryset().select_related("school", "owner")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        risk, user = self.object, self.request.user
        can_manage = access.can_manage_continuity.test(user, risk)
        context.update(
            cis=list(risk.cis.order_by("kind", "name")),
            plans=list(risk.plans.select_related("service")),
            actions=Risk.WORKFLOW.available(user, risk),
            can_manage=can_manage,
            today=timezone.localdate(),
            review_form=ReviewForm(initial={"next_review": services.next_review_default()}),
            timeline=timeline(risk, include_internal=True),
        )
        return context


class RiskFormView(LoginRequiredMixin, StaffOnlyMixin, ServiceErrorMixin, FormView):
    form_class = RiskForm
    template_name = "continuity/risk_form.html"
    risk: Risk | None = None

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and "pk" in kwargs:
            self.risk = get_object_or_404(Risk.objects.visible_to(request.user), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        allowed = self.risk if self.risk is not None else _school(request)
        if not access.here_or_anywhere(access.can_manage_continuity).test(request.user, allowed):
            messages.info(request, services.MANAGERS)
            return redirect(self.risk.get_absolute_url() if self.risk is not None else "continuity:risk_list")
        return super().get(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = {**super().get_form_kwargs(), "user": self.request.user, "school": _school(self.request),
                  "risk": self.risk}  # fmt: skip
        if self.request.method == "GET":
            if self.risk is not None:
                kwargs["initial"] = {name: getattr(self.risk, name) for name in services.RISK_FIELDS} | {
                    "cis": list(self.risk.cis.all())}  # fmt: skip
            else:
                kwargs["initial"] = {"review_date": services.next_review_default(), "owner": self.request.user}
        return kwargs

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "risk": self.risk}

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        school = data.pop("school", None) or self.risk.school
        cis = list(data.pop("cis", []))
        try:
            risk = services.risk_save(actor=self.request.user, school=school, risk=self.risk, cis=cis, **data)
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, f"Risk “{risk}” saved: score {risk.score}, {risk.get_rating_display()}.")
        return redirect(risk.get_absolute_url())


class RiskTransitionView(StaffOnlyMixin, RecordActionView):
    model = Risk
    form_class = NoteForm

    def act(self, data):
        risk = services.risk_transition(risk=self.object, action=self.kwargs["action"], actor=self.request.user,
                                        note=data.get("note") or "")  # fmt: skip
        messages.success(self.request, f"The risk is now {risk.get_status_display().lower()}.")


class RiskReviewView(StaffOnlyMixin, RecordActionView):
    model = Risk
    form_class = ReviewForm

    def act(self, data):
        risk = services.risk_review(risk=self.object, actor=self.request.user, next_review=data["next_review"],
                                    note=data.get("note") or "")  # fmt: skip
        messages.success(self.request, f"Review recorded; the next is due on {risk.review_date:%d %B %Y}.")


# =============================================================================
# Plans
# =============================================================================


class PlanListView(StaffOnlyMixin, ScopedViewMixin, ListView):
    """Every recovery plan in recovery order: the service, RTO/RPO, status and version, last test, reviews."""

    model = ContinuityPlan
    template_name = "continuity/plan_list.html"
    context_object_name = "plans"
    paginate_by = 50

    def get_queryset(self):
        return super().get_queryset().select_related("school", "service", "owner", "approved_by") \
            .order_by("school__name", "recovery_order", "service__name", "pk")  # fmt: skip

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "today": timezone.localdate(),
                "can_manage": _can_manage(self.request)}  # fmt: skip


def plan_context(plan: ContinuityPlan) -> dict[str, Any]:
    """What the plan's page, its print page and its PDF show."""
    steps = list(plan.steps.select_related("who"))
    contacts = list(plan.contacts.select_related("person"))
    order, truncated = recovery.recovery_order(plan.service)
    return {
        "steps": steps,
        "total_minutes": recovery.total_minutes(steps),
        "team": [c for c in contacts if c.kind == ContactKind.TEAM],
        "external": [c for c in contacts if c.kind == ContactKind.EXTERNAL],
        "dependencies": order,
        "dependencies_truncated": truncated,
        "agreements": recovery.agreements_for(plan.service),
        "catalogue": recovery.catalogue_entry(plan.service),
        "risks": list(plan.risks.order_by("-score", "title")),
        "rto_text": recovery.duration_text(plan.rto_minutes),
        "rpo_text": recovery.duration_text(plan.rpo_minutes),
    }


class PlanDetailView(StaffOnlyMixin, ScopedViewMixin, DetailView):
    narrow_to_current_school = False
    model = ContinuityPlan
    template_name = "continuity/plan_detail.html"
    context_object_name = "plan"

    def get_queryset(self):
        return super().get_queryset().select_related("school", "service", "owner", "approved_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        plan, user = self.object, self.request.user
        context.update(plan_context(plan))
        context.update(
            tests=list(plan.tests.select_related("recorded_by")[:10]),
            today=timezone.localdate(),
            can_manage=access.can_manage_continuity.test(user, plan),
            actions=ContinuityPlan.WORKFLOW.available(user, plan),
            review_form=ReviewForm(initial={"next_review": services.next_review_default()}),
            timeline=timeline(plan, include_internal=True),
        )
        return context


class PlanPrintView(PlanDetailView):
    """The plan as a person follows it when the server room is flooded: contacts first, the recovery order, steps
    with tick boxes, RTO and RPO, standby arrangements, the plan's version and the date printed."""

    template_name = "continuity/plan_print.html"

    def get_context_data(self, **kwargs):
        context = super(PlanDetailView, self).get_context_data(**kwargs)
        context.update(plan_context(self.object), printed_at=timezone.localtime())
        return context


class PlanPdfView(PlanPrintView):
    """The same sheet as a PDF (weasyprint), to print or keep off-site."""

    def render_to_response(self, context, **response_kwargs):
        from servicelevels.reports import render_pdf

        html = render_to_string("continuity/plan_pdf.html", context, request=self.request)
        pdf = render_pdf(html, stylesheet="continuity/print.css")
        response = HttpResponse(pdf, content_type="application/pdf")
        name = f"continuity-plan-{self.object.pk}-v{self.object.version}.pdf"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class PlanFormView(LoginRequiredMixin, StaffOnlyMixin, ServiceErrorMixin, FormView):
    form_class = PlanForm
    template_name = "continuity/plan_form.html"
    plan: ContinuityPlan | None = None

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and "pk" in kwargs:
            plans = ContinuityPlan.objects.visible_to(request.user).select_related("service")
            self.plan = get_object_or_404(plans, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        allowed = self.plan if self.plan is not None else _school(request)
        if not access.here_or_anywhere(access.can_manage_continuity).test(request.user, allowed):
            messages.info(request, services.MANAGERS)
            return redirect(self.plan.get_absolute_url() if self.plan is not None else "continuity:plan_list")
        return super().get(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = {**super().get_form_kwargs(), "user": self.request.user, "school": _school(self.request),
                  "plan": self.plan}  # fmt: skip
        if self.request.method == "GET":
            if self.plan is not None:
                kwargs["initial"] = {name: getattr(self.plan, name) for name in services.PLAN_FIELDS} | {
                    "risks": list(self.plan.risks.all())}  # fmt: skip
            else:
                kwargs["initial"] = {"review_date": services.next_review_default(), "owner": self.request.user,
                                     "service": self.request.GET.get("service")}  # fmt: skip
        return kwargs

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "plan": self.plan}

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        school = data.pop("school", None) or self.plan.school
        risks = list(data.pop("risks", []))
        service = data.pop("service", None)
        try:
            plan = services.plan_save(actor=self.request.user, school=school, plan=self.plan, service=service,
                                      risks=risks, **data)  # fmt: skip
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, f"{plan} saved (version {plan.version}, {plan.get_status_display().lower()}).")
        return redirect(plan.get_absolute_url() if self.plan is not None else reverse("continuity:plan_steps",
                                                                                       args=[plan.pk]))  # fmt: skip


class PlanPartsView(LoginRequiredMixin, StaffOnlyMixin, ServiceErrorMixin, TemplateView):
    """Base of the pages that edit a plan's rows in one go (a formset): the steps, the contacts."""

    formset_class: Any = None
    keys: tuple[str, ...] = ()

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            plans = ContinuityPlan.objects.visible_to(request.user).select_related("school", "service")
            self.plan = get_object_or_404(plans, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        if not access.can_manage_continuity.test(request.user, self.plan):
            messages.info(request, services.MANAGERS)
            return redirect(self.plan.get_absolute_url())
        return super().get(request, *args, **kwargs)

    def initial_rows(self) -> list[dict[str, Any]]:
        raise NotImplementedError

    def get_context_data(self, formset=None, **kwargs):
        context = super().get_context_data(**kwargs)
        if formset is None:
            formset = self.formset_class(initial=self.initial_rows(), user=self.request.user, prefix="rows")
        return {**context, "plan": self.plan, "formset": formset}

    def post(self, request, *args, **kwargs):
        formset = self.formset_class(request.POST, user=request.user, prefix="rows")
        if formset.is_valid():
            try:
                self.apply(ordered_rows(formset, self.keys))
            except (ValidationError, PermissionDenied) as error:
                self.report_service_error(error)
            else:
                return redirect(self.plan.get_absolute_url())
        return self.render_to_response(self.get_context_data(formset=formset))


class PlanStepsView(PlanPartsView):
    """The plan's recovery steps: add, edit, reorder (the order numbers) and remove, on one page."""

    template_name = "continuity/plan_steps.html"
    formset_class = StepFormSet
    keys = ("text", "who", "who_text", "minutes")

    def initial_rows(self):
        return [{"id": s.pk, "text": s.text, "who": s.who_id, "who_text": s.who_text, "minutes": s.minutes,
                 "ORDER": s.position} for s in self.plan.steps.all()]  # fmt: skip

    def apply(self, rows):
        steps = services.plan_steps_save(plan=self.plan, actor=self.request.user, steps=rows)
        messages.success(self.request, f"{len(steps)} recovery step{'s' if len(steps) != 1 else ''} saved.")


class PlanContactsView(PlanPartsView):
    """Who to call: the recovery team and outside contacts, on one page."""

    template_name = "continuity/plan_contacts.html"
    formset_class = ContactFormSet
    keys = ("person", "name", "organisation", "phone")

    def initial_rows(self):
        return [{"kind": c.kind, "person": c.person_id, "name": c.name, "organisation": c.organisation,
                 "role": c.role, "phone": c.phone, "email": c.email} for c in self.plan.contacts.all()]  # fmt: skip

    def apply(self, rows):
        contacts = services.plan_contacts_save(plan=self.plan, actor=self.request.user, contacts=rows)
        messages.success(self.request, f"{len(contacts)} contact{'s' if len(contacts) != 1 else ''} saved.")


class PlanTransitionView(StaffOnlyMixin, RecordActionView):
    model = ContinuityPlan
    form_class = NoteForm

    def act(self, data):
        plan = services.plan_transition(plan=self.object, action=self.kwargs["action"], actor=self.request.user,
                                        note=data.get("note") or "")  # fmt: skip
        messages.success(self.request, f"{plan} is now {plan.get_status_display().lower()} (version {plan.version}).")


class PlanReviewView(StaffOnlyMixin, RecordActionView):
    model = ContinuityPlan
    form_class = ReviewForm

    def act(self, data):
        plan = services.plan_review(plan=self.object, actor=self.request.user, next_review=data["next_review"],
                                    note=data.get("note") or "")  # fmt: skip
        messages.success(self.request, f"Review recorded; the next is due on {plan.review_date:%d %B %Y}.")


# =============================================================================
# Continuity tests
# =============================================================================


class TestListView(StaffOnlyMixin, ScopedViewMixin, ListView):
    """Every walk-through and rehearsal, newest first: outcome, recovery time against the objective."""

    __test__ = False
    model = ContinuityTest
    template_name = "continuity/test_list.html"
    context_object_name = "tests"
    paginate_by = 50

    def get_queryset(self):
        return super().get_queryset().select_related("school", "plan__service").order_by("-tested_on", "-pk")


class TestDetailView(StaffOnlyMixin, ScopedViewMixin, DetailView):
    __test__ = False
    narrow_to_current_school = False
    model = ContinuityTest
    template_name = "continuity/test_detail.html"
    context_object_name = "test"

    def get_queryset(self):
        return super().get_queryset().select_related("school", "plan__service", "recorded_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        test = self.object
        context.update(
            participants=list(test.participants.order_by("first_name", "username")),
            test_actions=list(test.actions.select_related("owner", "task")),
            rto_text=recovery.duration_text(test.rto_achieved_minutes),
            objective_text=recovery.duration_text(test.plan.rto_minutes),
            timeline=timeline(test, include_internal=True),
        )
        return context


class TestCreateView(LoginRequiredMixin, StaffOnlyMixin, ServiceErrorMixin, FormView):
    """Record a walk-through or rehearsal of a plan, with its actions (each raised as a Task)."""

    __test__ = False
    form_class = ContinuityTestForm
    template_name = "continuity/test_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            plans = ContinuityPlan.objects.visible_to(request.user).select_related("school", "service")
            self.plan = get_object_or_404(plans, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        if not access.can_manage_continuity.test(request.user, self.plan):
            messages.info(request, services.MANAGERS)
            return redirect(self.plan.get_absolute_url())
        return super().get(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = {**super().get_form_kwargs(), "user": self.request.user, "plan": self.plan}
        if self.request.method == "GET":
            kwargs["initial"] = {"tested_on": timezone.localdate()}
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if "actions" not in context:
            data = self.request.POST if self.request.method == "POST" else None
            context["actions"] = ActionFormSet(data, user=self.request.user, prefix="actions")
        return {**context, "plan": self.plan, "rto_text": recovery.duration_text(self.plan.rto_minutes)}

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        actions = ActionFormSet(request.POST, user=request.user, prefix="actions")
        if not (form.is_valid() and actions.is_valid()):
            return self.render_to_response(self.get_context_data(form=form, actions=actions))
        data = dict(form.cleaned_data)
        rows = [row for row in ordered_rows(actions, ("text",))]
        try:
            test = services.continuity_test_record(plan=self.plan, actor=request.user, actions=rows, **data)
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.render_to_response(self.get_context_data(form=form, actions=actions))
        raised = test.actions.count()
        messages.success(request, f"Test recorded: {test.get_outcome_display().lower()}"
                                  f"{f'; {raised} action(s) raised as tasks' if raised else ''}.")  # fmt: skip
        return redirect(test.get_absolute_url())
