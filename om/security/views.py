"""Pages of Security Administration: the breach log, the firewall and filtering rule register, computers without
working antivirus, administrator accounts and their access reviews, and which categories hold security incidents.

Thin views: they start from `visible_to` (the breach log and accounts answer only the network manager, leaders and
administrators; the register and antivirus support staff), parse, call om/security/services.py, render.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import DetailView, FormView, ListView

from cmdb.models import COMPUTER_KINDS, ConfigurationItem
from fits import access
from fits.activity import timeline
from fits.scoping import schools_visible_to
from fits.views import RecordActionView, ScopedViewMixin, ServiceErrorMixin
from incidents.models import Category
from om.security import services
from om.security.forms import (
    AccountImportForm,
    BreachActionForm,
    BreachForm,
    BreachTransitionForm,
    FirewallRuleForm,
    IcoReportForm,
    NoteForm,
    PrivilegedAccountForm,
    ReviewDecisionForm,
    SchoolForm,
    SignOffForm,
)
from om.security.models import (
    AccessReview,
    AccessReviewItem,
    AccessReviewStatus,
    Breach,
    BreachAction,
    FirewallRule,
    PrivilegedAccount,
)


class StaffOnlyMixin:
    """Security Administration is support staff's business: everyone else is answered 404, as if it were not there."""

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not access.here_or_anywhere(access.can_view_security_register).test(user, None):
            raise Http404("Security administration is for the school's support staff.")
        return super().dispatch(request, *args, **kwargs)


def _school(request) -> Any:
    return getattr(request, "school", None)


# =============================================================================
# The breach log
# =============================================================================


class BreachMixin(StaffOnlyMixin, ScopedViewMixin):
    model = Breach


class BreachListView(BreachMixin, ListView):
    """The breach log: open ones first, the ICO deadline of each one not yet reported."""

    template_name = "security/breach_list.html"
    context_object_name = "breaches"
    paginate_by = 25

    def get_queryset(self):
        return super().get_queryset().select_related("school").order_by("status", "-discovered_at", "-pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["can_log"] = access.here_or_anywhere(access.can_manage_breaches).test(user, _school(self.request))
        context["now"] = timezone.now()
        return context


class BreachCreateView(LoginRequiredMixin, StaffOnlyMixin, ServiceErrorMixin, FormView):
    form_class = BreachForm
    template_name = "security/breach_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "school": _school(self.request)}

    def get(self, request, *args, **kwargs):
        form = self.get_form()
        if not form.fields["school"].queryset.exists():
            messages.error(request, "Only the network manager or a school leader logs data breaches.")
            return redirect("security:breach_list")
        return self.render_to_response(self.get_context_data(form=form))

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        school = data.pop("school")
        try:
            breach = services.breach_log(school=school, actor=self.request.user, **data)
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, f"{breach.reference} logged. The network manager and leaders are told.")
        return redirect(breach)


class BreachDetailView(BreachMixin, DetailView):
    narrow_to_current_school = False
    template_name = "security/breach_detail.html"
    context_object_name = "breach"

    def get_queryset(self):
        return super().get_queryset().select_related("school", "logged_by", "incident")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        breach, user = self.object, self.request.user
        can_manage = access.can_manage_breaches.test(user, breach)
        context.update(
            actions=list(breach.actions.select_related("owner")),
            transitions=Breach.WORKFLOW.allowed(breach.status) if can_manage else [],
            can_manage=can_manage,
            report_form=IcoReportForm(initial={"reported_at": timezone.localtime().replace(second=0, microsecond=0)}),
            action_form=BreachActionForm(user=user, breach=breach),
            timeline=timeline(breach, include_internal=True),
            now=timezone.now(),
        )
        return context


class BreachUpdateView(BreachMixin, ServiceErrorMixin, FormView):
    narrow_to_current_school = False
    form_class = BreachForm
    template_name = "security/breach_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.object = get_object_or_404(self.get_queryset().select_related("school"), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = {**super().get_form_kwargs(), "user": self.request.user, "breach": self.object}
        if self.request.method == "GET":
            kwargs["initial"] = {name: getattr(self.object, name) for name in services.BREACH_FIELDS}
        return kwargs

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "breach": self.object}

    def form_valid(self, form):
        try:
            services.breach_update(breach=self.object, actor=self.request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, "Breach record saved.")
        return redirect(self.object)


class BreachActionView(StaffOnlyMixin, RecordActionView):
    model = Breach


class BreachTransitionView(BreachActionView):
    form_class = BreachTransitionForm

    def act(self, data: dict[str, Any]) -> None:
        breach = services.breach_transition(
            breach=self.object, actor=self.request.user, action=data["action"], note=data["note"]
        )
        messages.success(self.request, f"{breach.reference} is {breach.get_status_display().lower()}.")


class BreachReportView(BreachActionView):
    form_class = IcoReportForm

    def act(self, data: dict[str, Any]) -> None:
        services.breach_report_ico(breach=self.object, actor=self.request.user, **data)
        messages.success(self.request, "Recorded: reported to the ICO.")


class BreachAddActionView(BreachActionView):
    form_class = BreachActionForm

    def get_form(self):
        return BreachActionForm(self.request.POST, user=self.request.user, breach=self.object)

    def act(self, data: dict[str, Any]) -> None:
        services.breach_action_add(breach=self.object, actor=self.request.user, **data)
        messages.success(self.request, "Action added.")


class BreachActionDoneView(StaffOnlyMixin, RecordActionView):
    model = BreachAction

    def act(self, data: dict[str, Any]) -> None:
        services.breach_action_done(action=self.object, actor=self.request.user)
        messages.success(self.request, "Action done.")

    def success_url(self) -> str:
        return reverse("security:breach_detail", args=[self.object.breach_id])


# =============================================================================
# The firewall and filtering rule register
# =============================================================================


class RuleMixin(StaffOnlyMixin, ScopedViewMixin):
    model = FirewallRule


class RuleListView(RuleMixin, ListView):
    """Every rule in force, the ones whose review is due first."""

    template_name = "security/rule_list.html"
    context_object_name = "rules"
    paginate_by = 50

    def get_queryset(self):
        rules = super().get_queryset().select_related("school", "firewall", "owner", "last_reviewed_by")
        return rules.order_by("-is_active", "review_due", "firewall__name", "name", "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["can_manage"] = access.here_or_anywhere(access.can_manage_firewall_rules).test(
            user, _school(self.request)
        )
        context["today"] = timezone.localdate()
        return context


class RuleDetailView(RuleMixin, DetailView):
    narrow_to_current_school = False
    template_name = "security/rule_detail.html"
    context_object_name = "rule"

    def get_queryset(self):
        return super().get_queryset().select_related("school", "firewall", "owner", "last_reviewed_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            can_manage=access.can_manage_firewall_rules.test(self.request.user, self.object),
            timeline=timeline(self.object, include_internal=True),
            today=timezone.localdate(),
        )
        return context


class RuleCreateView(LoginRequiredMixin, StaffOnlyMixin, ServiceErrorMixin, FormView):
    form_class = FirewallRuleForm
    template_name = "security/rule_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        firewall = data.pop("firewall")
        try:
            rule = services.firewall_rule_save(actor=self.request.user, firewall=firewall, **data)
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, f"Rule recorded: next review {rule.review_due:%d %b %Y}.")
        return redirect(rule)


class RuleUpdateView(RuleMixin, ServiceErrorMixin, FormView):
    narrow_to_current_school = False
    form_class = FirewallRuleForm
    template_name = "security/rule_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.object = get_object_or_404(self.get_queryset().select_related("firewall"), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        if not access.can_manage_firewall_rules.test(request.user, self.object):
            messages.info(request, "Only technicians and the network manager change the firewall register.")
            return redirect(self.object)
        return super().get(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = {**super().get_form_kwargs(), "user": self.request.user, "rule": self.object}
        if self.request.method == "GET":
            kwargs["initial"] = {name: getattr(self.object, name) for name in services.RULE_FIELDS}
            kwargs["initial"]["firewall"] = self.object.firewall_id
        return kwargs

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "rule": self.object}

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        firewall = data.pop("firewall")
        try:
            services.firewall_rule_save(actor=self.request.user, firewall=firewall, rule=self.object, **data)
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, "Rule saved.")
        return redirect(self.object)


class RuleReviewView(StaffOnlyMixin, RecordActionView):
    model = FirewallRule
    form_class = NoteForm

    def act(self, data: dict[str, Any]) -> None:
        rule = services.firewall_rule_review(rule=self.object, actor=self.request.user, note=data["note"])
        messages.success(self.request, f"Reviewed. Next review {rule.review_due:%d %b %Y}.")


# =============================================================================
# Antivirus: computers without working antivirus
# =============================================================================


class AntivirusView(StaffOnlyMixin, ScopedViewMixin, ListView):
    """Computers whose latest inventory shows no antivirus, a disabled one or one out of date, and computers no
    agent has reported on (unknown). `?all=1` lists every computer."""

    model = ConfigurationItem
    template_name = "security/antivirus.html"
    context_object_name = "computers"
    paginate_by = 50

    def get_queryset(self):
        computers = super().get_queryset().filter(kind__in=COMPUTER_KINDS, status="live")
        computers = computers.select_related("school", "antivirus", "location")
        if self.request.GET.get("all") != "1":
            working = Q(antivirus__enabled=True, antivirus__up_to_date=True) & ~Q(antivirus__product="")
            computers = computers.exclude(working)
        return computers.order_by("name", "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        everything = ScopedViewMixin.get_queryset(self).filter(kind__in=COMPUTER_KINDS, status="live")
        context["counts"] = everything.aggregate(
            total=Count("pk"),
            working=Count(
                "pk", filter=Q(antivirus__enabled=True, antivirus__up_to_date=True) & ~Q(antivirus__product="")
            ),  # fmt: skip
            unknown=Count("pk", filter=Q(antivirus__isnull=True)),
        )
        context["showing_all"] = self.request.GET.get("all") == "1"
        return context


# =============================================================================
# Administrator accounts and access reviews
# =============================================================================


class AccountMixin(StaffOnlyMixin, ScopedViewMixin):
    model = PrivilegedAccount


class AccountListView(AccountMixin, ListView):
    """Who holds administrator rights where, and the school's access reviews (the latest first)."""

    template_name = "security/account_list.html"
    context_object_name = "accounts"
    paginate_by = 50

    def get_queryset(self):
        accounts = super().get_queryset().select_related("school", "person", "ci")
        if self.request.GET.get("removed") != "1":
            accounts = accounts.filter(is_active=True)
        return accounts.order_by("system", "account", "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, school = self.request.user, _school(self.request)
        reviews = AccessReview.objects.visible_to(user).of_school(school.pk if school else None)
        context.update(
            reviews=list(
                reviews.select_related("school", "signed_off_by").annotate(n=Count("items")).order_by("-pk")[:10]
            ),
            can_manage=access.here_or_anywhere(access.can_view_security).test(user, school),
            review_schools=[
                s for s in schools_visible_to(user) if access.can_sign_off_access_review.test(user, s)
            ] if (school is None) else ([school] if access.can_sign_off_access_review.test(user, school) else []),
        )  # fmt: skip
        return context


class AccountCreateView(LoginRequiredMixin, StaffOnlyMixin, ServiceErrorMixin, FormView):
    form_class = PrivilegedAccountForm
    template_name = "security/account_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "school": _school(self.request)}

    def get(self, request, *args, **kwargs):
        form = self.get_form()
        if not form.fields["school"].queryset.exists():
            messages.error(request, "Only the network manager or a school leader records administrator accounts.")
            return redirect("security:account_list")
        return self.render_to_response(self.get_context_data(form=form))

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        school = data.pop("school")
        try:
            services.privileged_account_save(school=school, actor=self.request.user, **data)
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, "Account recorded.")
        return redirect("security:account_list")


class AccountImportView(LoginRequiredMixin, StaffOnlyMixin, ServiceErrorMixin, FormView):
    form_class = AccountImportForm
    template_name = "security/account_import.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "school": _school(self.request)}

    def get(self, request, *args, **kwargs):
        form = self.get_form()
        if not form.fields["school"].queryset.exists():
            messages.error(request, "Only the network manager or a school leader imports administrator accounts.")
            return redirect("security:account_list")
        return self.render_to_response(self.get_context_data(form=form))

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            counts = services.privileged_accounts_import(
                school=data["school"], actor=self.request.user, data=data["file"].read()
            )
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, f"Imported: {counts['added']} added, {counts['updated']} updated.")
        return redirect("security:account_list")


class AccountRemoveView(StaffOnlyMixin, RecordActionView):
    model = PrivilegedAccount
    form_class = NoteForm

    def act(self, data: dict[str, Any]) -> None:
        services.privileged_account_remove(account=self.object, actor=self.request.user, note=data["note"])
        messages.success(self.request, f"{self.object.account}: rights recorded as removed.")

    def success_url(self) -> str:
        return reverse("security:account_list")


class ReviewStartView(LoginRequiredMixin, StaffOnlyMixin, ServiceErrorMixin, FormView):
    """POST only: start an access review at one of the person's schools."""

    form_class = SchoolForm
    http_method_names = ["post"]

    def form_invalid(self, form):
        messages.error(self.request, "Say which school to review.")
        return redirect("security:account_list")

    def form_valid(self, form):
        school = schools_visible_to(self.request.user).filter(pk=form.cleaned_data["school"]).first()
        if school is None:
            raise Http404
        try:
            review = services.access_review_start(school=school, actor=self.request.user)
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return redirect("security:account_list")
        return redirect(review)


class ReviewDetailView(StaffOnlyMixin, ScopedViewMixin, DetailView):
    model = AccessReview
    narrow_to_current_school = False
    template_name = "security/review_detail.html"
    context_object_name = "review"

    def get_queryset(self):
        return super().get_queryset().select_related("school", "started_by", "signed_off_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        review = self.object
        items = list(review.items.select_related("account__person", "decided_by"))
        context.update(
            items=items,
            undecided=sum(1 for item in items if not item.decision),
            can_sign=review.status == AccessReviewStatus.OPEN
            and access.can_sign_off_access_review.test(self.request.user, review),
            sign_off_form=SignOffForm(),
            decisions=AccessReviewItem.Decision.choices[1:],
            timeline=timeline(review, include_internal=True),
        )
        return context


class ReviewDecideView(StaffOnlyMixin, RecordActionView):
    model = AccessReviewItem
    form_class = ReviewDecisionForm

    def act(self, data: dict[str, Any]) -> None:
        services.access_review_decide(item=self.object, actor=self.request.user, **data)

    def success_url(self) -> str:
        return reverse("security:review_detail", args=[self.object.review_id])


class ReviewSignOffView(StaffOnlyMixin, RecordActionView):
    model = AccessReview
    form_class = SignOffForm

    def act(self, data: dict[str, Any]) -> None:
        review = services.access_review_sign_off(review=self.object, actor=self.request.user, **data)
        messages.success(self.request, f"Signed off. Next review {review.next_due:%d %b %Y}.")


# =============================================================================
# Security categories
# =============================================================================


class CategoryListView(StaffOnlyMixin, ScopedViewMixin, ListView):
    """The service desk's categories, and which of them hold security incidents (restricted tickets)."""

    model = Category
    template_name = "security/categories.html"
    context_object_name = "categories"
    paginate_by = 100

    def get_queryset(self):
        categories = super().get_queryset().filter(is_active=True).select_related("parent", "school", "authority")
        return categories.order_by("-is_security", "parent__name", "name", "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        for category in context["categories"]:
            category.can_change = access.can_manage_shared_config.test(user, category)
        return context


class CategoryMarkView(StaffOnlyMixin, RecordActionView):
    model = Category

    def act(self, data: dict[str, Any]) -> None:
        wanted = self.request.POST.get("is_security") == "1"
        category = services.category_mark_security(category=self.object, actor=self.request.user, is_security=wanted)
        state = "holds security incidents now" if category.is_security else "is an ordinary category again"
        messages.success(self.request, f"{category} {state}.")

    def success_url(self) -> str:
        return reverse("security:categories")
