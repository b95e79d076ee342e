"""The OM base pages (FITS-OM 7): the functions, and for each its policy at the school, the allocation of its
activities (who owns each, who stands in) and links to the function's own pages. Support staff read them; the
network manager writes the policies and allocates the activities (om/services.py makes every change)."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Min, Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.generic import FormView, ListView, TemplateView

from fits import access
from fits.activity import timeline
from fits.views import RecordActionView, ScopedViewMixin, ServiceErrorMixin
from om import services
from om.forms import AllocationForm, PolicyForm, ReviewForm
from om.models import ActivityAllocation, Function, FunctionPolicy


class OperationsAccessMixin:
    """Operations are support staff's business: everyone else is answered 404, as if it were not there."""

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not access.here_or_anywhere(access.can_view_operations).test(user, None):
            raise Http404("Operations management is for the school's support staff.")
        return super().dispatch(request, *args, **kwargs)


def function_or_404(slug: str) -> Function:
    if slug not in Function.values:
        raise Http404("No such OM function.")
    return Function(slug)


def function_pages(function: str) -> list[dict[str, str]]:
    """The function's own pages: its app's navigation items (an app labelled with the function's value)."""
    try:
        config = apps.get_app_config(function)
    except LookupError:
        return []
    pages = []
    for item in getattr(config, "navigation", []):
        if item.url_name.startswith("om:"):
            continue  # the OM base's own pages, listed by the sysadmin app
        try:
            pages.append({"label": item.label, "url": reverse(item.url_name), "icon": item.icon})
        except NoReverseMatch:
            continue
    return pages


class FunctionIndexView(OperationsAccessMixin, ScopedViewMixin, TemplateView):
    """The six functions: whether each has a policy here, when it is due for review, how many activities are
    allocated and how many have no owner."""

    template_name = "om/index.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user, school = self.request.user, getattr(self.request, "school", None)
        policies = FunctionPolicy.objects.visible_to(user).of_school(school.pk if school else None)
        policy_rows = {
            row["function"]: row
            for row in policies.values("function").annotate(count=Count("pk"), review_due=Min("review_due"))
        }
        allocations = ActivityAllocation.objects.visible_to(user).of_school(school.pk if school else None)
        allocation_rows = {
            row["function"]: row
            for row in allocations.values("function").annotate(
                count=Count("pk"), unowned=Count("pk", filter=Q(owner__isnull=True))
            )
        }
        today = timezone.localdate()
        functions = []
        for function in Function:
            policy = policy_rows.get(function.value, {})
            allocated = allocation_rows.get(function.value, {})
            due = policy.get("review_due")
            functions.append(
                {
                    "value": function.value,
                    "label": function.label,
                    "policies": policy.get("count", 0),
                    "review_due": due,
                    "review_overdue": bool(due and due < today),
                    "activities": allocated.get("count", 0),
                    "unowned": allocated.get("unowned", 0),
                    "pages": function_pages(function.value),
                }
            )
        context["functions"] = functions
        return context


class FunctionView(OperationsAccessMixin, ScopedViewMixin, ListView):
    """One function: its policy (at each school in view), its activities with their owners, and its own pages."""

    model = ActivityAllocation
    template_name = "om/function.html"
    context_object_name = "allocations"
    paginate_by = 50

    def dispatch(self, request, *args, **kwargs):
        self.function = function_or_404(kwargs["function"])
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        queryset = super().get_queryset()
        return (
            queryset.filter(function=self.function.value)
            .select_related("school", "owner", "deputy")
            .order_by("school__name", "activity", "pk")
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user, school = self.request.user, getattr(self.request, "school", None)
        policies = list(
            FunctionPolicy.objects.visible_to(user)
            .of_school(school.pk if school else None)
            .filter(function=self.function.value)
            .select_related("school", "owner", "reviewed_by")
            .order_by("school__name")[:20]
        )
        today = timezone.localdate()
        for policy in policies:
            policy.review_overdue = bool(policy.review_due and policy.review_due < today)
        context.update(
            function=self.function,
            policies=policies,
            pages=function_pages(self.function.value),
            can_manage=access.here_or_anywhere(access.can_manage_operations).test(user, school),
            manage_school_ids={p.school_id for p in policies if access.can_manage_operations.test(user, p.school)},
        )
        return context


class PolicyEditView(LoginRequiredMixin, OperationsAccessMixin, ServiceErrorMixin, FormView):
    """Write or rewrite the function's policy at a school (the network manager)."""

    form_class = PolicyForm
    template_name = "om/policy_form.html"

    def dispatch(self, request, *args, **kwargs):
        self.function = function_or_404(kwargs["function"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = {
            **super().get_form_kwargs(),
            "user": self.request.user,
            "school": getattr(self.request, "school", None),
        }
        school = getattr(self.request, "school", None)
        if self.request.method == "GET" and school is not None:
            policy = (
                FunctionPolicy.objects.visible_to(self.request.user)
                .of_school(school.pk)
                .filter(function=self.function.value)
                .first()
            )
            if policy is not None:
                kwargs["initial"] = {"text": policy.text, "owner": policy.owner_id, "review_due": policy.review_due}
        return kwargs

    def get(self, request, *args, **kwargs):
        form = self.get_form()
        if not form.fields["school"].queryset.exists():
            messages.info(request, "Only the network manager writes the operations policies.")
            return redirect("om:function", function=self.function.value)
        return self.render_to_response(self.get_context_data(form=form))

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "function": self.function}

    def form_valid(self, form):
        try:
            services.policy_save(actor=self.request.user, function=self.function.value, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, f"{self.function.label} policy saved.")
        return redirect("om:function", function=self.function.value)


class PolicyReviewView(OperationsAccessMixin, RecordActionView):
    model = FunctionPolicy
    form_class = ReviewForm

    def act(self, data: dict[str, Any]) -> None:
        policy = services.policy_review(actor=self.request.user, policy=self.object, note=data.get("note", ""))
        messages.success(self.request, f"Reviewed: next review {policy.review_due:%d %b %Y}.")

    def success_url(self) -> str:
        return reverse("om:function", kwargs={"function": self.object.function})


class PolicyDetailView(OperationsAccessMixin, ScopedViewMixin, TemplateView):
    """A policy's full text and its timeline (written, rewritten, reviewed)."""

    template_name = "om/policy_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        policy = get_object_or_404(
            FunctionPolicy.objects.visible_to(self.request.user).select_related("school", "owner", "reviewed_by"),
            pk=kwargs["pk"],
        )
        context.update(
            policy=policy,
            can_manage=access.can_manage_operations.test(self.request.user, policy),
            timeline=timeline(policy, include_internal=True),
        )
        return context


class AllocationCreateView(LoginRequiredMixin, OperationsAccessMixin, ServiceErrorMixin, FormView):
    form_class = AllocationForm
    template_name = "om/allocation_form.html"

    def dispatch(self, request, *args, **kwargs):
        self.function = function_or_404(kwargs["function"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "school": getattr(self.request, "school", None)}

    def get(self, request, *args, **kwargs):
        form = self.get_form()
        if not form.fields["school"].queryset.exists():
            messages.info(request, "Only the network manager allocates the activities.")
            return redirect("om:function", function=self.function.value)
        return self.render_to_response(self.get_context_data(form=form))

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "function": self.function}

    def form_valid(self, form):
        try:
            services.allocation_save(actor=self.request.user, function=self.function.value, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, "Activity allocated.")
        return redirect("om:function", function=self.function.value)


class AllocationEditView(OperationsAccessMixin, ScopedViewMixin, ServiceErrorMixin, FormView):
    model = ActivityAllocation
    narrow_to_current_school = False
    form_class = AllocationForm
    template_name = "om/allocation_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.object = get_object_or_404(self.get_queryset().select_related("school"), pk=kwargs["pk"])
            self.function = Function(self.object.function)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = {**super().get_form_kwargs(), "user": self.request.user, "fixed_school": self.object.school}
        if self.request.method == "GET":
            kwargs["initial"] = {name: getattr(self.object, name) for name in services.ALLOCATION_FIELDS}
        return kwargs

    def get_context_data(self, **kwargs):
        can_manage = access.can_manage_operations.test(self.request.user, self.object)
        return {**super().get_context_data(**kwargs), "function": self.function, "allocation": self.object,
                "can_manage": can_manage}  # fmt: skip

    def form_valid(self, form):
        try:
            services.allocation_save(actor=self.request.user, allocation=self.object, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, "Allocation saved.")
        return redirect("om:function", function=self.object.function)


class AllocationDeleteView(OperationsAccessMixin, RecordActionView):
    model = ActivityAllocation

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        try:
            services.allocation_delete(actor=request.user, allocation=self.object)
            messages.success(request, f"Removed “{self.object.activity}”.")
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
        return HttpResponseRedirect(reverse("om:function", kwargs={"function": self.object.function}))
