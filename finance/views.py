"""Pages of Financial Management: the year's overview (budget against actual by category, renewals, warranties),
the budget, the expenditure record (with CSV import and export), suppliers, contracts, CI costs and depreciation,
total cost of ownership, the cost of support, and the reports for leaders and the LEA.

Thin views: they start from `visible_to` and `schools_visible_to`, parse, call finance/services.py or add up with
finance/figures.py, render. Finance is for support staff, leaders and the LEA: anyone else is answered 404.
"""

from __future__ import annotations

import csv
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import DetailView, FormView, ListView, TemplateView

from cmdb.models import LOGICAL_KINDS, ConfigurationItem
from finance import figures, services
from finance.filters import ExpenditureFilterSet
from finance.forms import (
    BudgetForm,
    CancelForm,
    CICostForm,
    ContractForm,
    ExpenditureForm,
    ImportForm,
    RenewForm,
    SettingsForm,
    SupplierForm,
)
from finance.models import (
    Budget,
    Category,
    Contract,
    DepreciationDefault,
    Expenditure,
    ExpenditureImport,
    RoleRate,
    Supplier,
)
from fits import access
from fits.activity import timeline
from fits.models import TimeEntry, User
from fits.scoping import schools_visible_to
from fits.views import RecordActionView, ScopedViewMixin, ServiceErrorMixin


class FinanceMixin:
    """Finance is support staff's, leaders' and the LEA's: everyone else is answered 404, as if it were not there."""

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not access.here_or_anywhere(access.can_view_finance).test(user, None):
            raise Http404("Financial management is for the school's support staff and leaders.")
        return super().dispatch(request, *args, **kwargs)


def finance_schools(user) -> list:
    return [
        school
        for school in schools_visible_to(user).select_related("authority").order_by("name")
        if access.can_view_finance.test(user, school)
    ]


def chosen_school(request):
    """The school the page is about: ?school=slug (one the person may see, else 404), the switcher's, or the only
    one; None when the person sees several and chose none."""
    slug = request.GET.get("school")
    schools = finance_schools(request.user)
    if slug:
        for school in schools:
            if school.slug == slug:
                return school
        raise Http404("No such school of yours.")
    current = getattr(request, "school", None)
    if current is not None and any(s.pk == current.pk for s in schools):
        return current
    return schools[0] if len(schools) == 1 else None


def chosen_year(request) -> int | None:
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return None
    return year if 2000 <= year <= 2100 else None


class SchoolPageMixin(FinanceMixin):
    """A page about one school: when none is chosen, the page lists the schools to choose from."""

    def school_context(self) -> dict[str, Any]:
        school = chosen_school(self.request)
        return {
            "school": school,
            "schools": [] if school else finance_schools(self.request.user),
            "can_manage": bool(school) and access.can_manage_finance.test(self.request.user, school),
            "can_record": bool(school) and access.can_record_expenditure.test(self.request.user, school),
        }


# =============================================================================
# The year's overview and the budget
# =============================================================================


class OverviewView(SchoolPageMixin, LoginRequiredMixin, TemplateView):
    """Budget against actual by category for the financial year, with the chart, the plan by month, the contracts
    coming up for renewal and the warranties ending soon."""

    template_name = "finance/overview.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs) | self.school_context()
        school, user, today = context["school"], self.request.user, timezone.localdate()
        if school is None:
            return context
        fig = figures.year_figures([school], today=today, year=chosen_year(self.request))[school.pk]
        contracts = (
            Contract.objects.visible_to(user)
            .of_school(school.pk)
            .filter(decision="", ends_on__gte=today)
            .select_related("supplier")
            .order_by("ends_on")[:8]
        )
        warranties = figures.warranties_ending(
            ConfigurationItem.objects.visible_to(user).of_school(school.pk),
            today=today,
            days=fig.settings.warranty_days,
        )[:8]
        context.update(
            fig=fig,
            today=today,
            contracts=[(c, c.status_label_on(today, fig.settings.alert_days)) for c in contracts],
            warranties=list(warranties),
            alert_days=fig.settings.alert_days,
            chart_data={
                "categories": [line.label for line in fig.rows],
                "budget": [float(line.budget) for line in fig.rows],
                "actual": [float(line.actual) for line in fig.rows],
                "committed": [float(line.committed) for line in fig.rows],
                "months": [f"{m:%b}" for m in fig.months],
                "planned": [float(v) for v in fig.planned_by_month],
                "spent": [float(v) for v in fig.actual_by_month],
            },
            plan_rows=list(zip(fig.months, fig.planned_by_month, fig.actual_by_month, strict=True)),
            previous=fig.year - 1,
            next=fig.year + 1,
        )
        return context


class BudgetFormView(SchoolPageMixin, LoginRequiredMixin, ServiceErrorMixin, FormView):
    """Set a financial year's budget: an amount per category and its plan by month."""

    template_name = "finance/budget_form.html"
    form_class = BudgetForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.school = chosen_school(request)
            if self.school is None:
                messages.info(request, "Choose the school first.")
                return redirect("finance:overview")
            if not access.can_manage_finance.test(request.user, self.school):
                messages.info(request, services.MANAGE)
                return redirect(reverse("finance:overview") + f"?school={self.school.slug}")
            fig_settings = figures.settings_by_school([self.school.pk])[self.school.pk]
            from finance import money

            self.year = chosen_year(request) or money.year_of(timezone.localdate(), figures.start_month(fig_settings))
            self.budget = (
                Budget.objects.visible_to(request.user)
                .of_school(self.school.pk)
                .filter(year=self.year)
                .prefetch_related("lines")
                .first()
            )
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        holders = User.objects.with_role_at(self.school.pk, {"school_leader", "network_manager"}).order_by("username")
        kwargs = {**super().get_form_kwargs(), "user": self.request.user, "holders": holders}
        if self.request.method == "GET" and self.budget is not None:
            initial = {"holder": self.budget.holder_id, "notes": self.budget.notes}
            for line in self.budget.lines.all():
                initial[f"amount_{line.category}"] = line.amount
                initial[f"plan_{line.category}"] = ", ".join(str(v) for v in line.plan)
            kwargs["initial"] = initial
        return kwargs

    def get_context_data(self, **kwargs):
        from finance import money

        return {
            **super().get_context_data(**kwargs),
            "school": self.school,
            "year": self.year,
            "year_label": money.year_label(
                self.year, figures.start_month(figures.settings_by_school([self.school.pk])[self.school.pk])
            ),
            "budget": self.budget,
        }

    def form_valid(self, form):
        data = form.cleaned_data
        amounts = {c: data[f"amount_{c}"] for c in Category.values}
        plans = {c: data[f"plan_{c}"] for c in Category.values if data.get(f"plan_{c}")}
        try:
            services.budget_save(
                actor=self.request.user,
                school=self.school,
                year=self.year,
                amounts=amounts,
                plans=plans,
                holder=data.get("holder"),
                notes=data.get("notes", ""),
            )
        except (ValidationError, PermissionDenied) as error:
            if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
                for name, errors in error.message_dict.items():
                    field = f"plan_{name}" if f"plan_{name}" in form.fields else None
                    for text in errors:
                        form.add_error(field, text)
            else:
                self.report_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, f"Budget for {self.year}-{(self.year + 1) % 100:02d} saved.")
        return redirect(reverse("finance:overview") + f"?school={self.school.slug}&year={self.year}")


# =============================================================================
# The expenditure record
# =============================================================================


class ExpenditureListView(FinanceMixin, ScopedViewMixin, ListView):
    """The expenditure record, newest first, filtered by category, stage, dates, supplier or words."""

    model = Expenditure
    template_name = "finance/expenditure_list.html"
    context_object_name = "lines"
    paginate_by = 50

    def get_queryset(self):
        queryset = super().get_queryset().select_related("school", "supplier", "ci", "contract", "recorded_by")
        self.filterset = ExpenditureFilterSet(self.request.GET, queryset=queryset, request=self.request)
        return self.filterset.qs.order_by("-spent_on", "-pk")

    def get_context_data(self, **kwargs):
        school = getattr(self.request, "school", None)
        can_record = access.here_or_anywhere(access.can_record_expenditure).test(self.request.user, school)
        return {
            **super().get_context_data(**kwargs),
            "filter": self.filterset,
            "can_record": can_record,
            "query": self.request.GET.urlencode(),
        }


class ExpenditureExportView(FinanceMixin, ScopedViewMixin, ListView):
    """The expenditure record as CSV (the import's columns), with the list's filters."""

    model = Expenditure

    def get(self, request, *args, **kwargs):
        queryset = super().get_queryset().select_related("supplier", "ci", "contract")
        lines = ExpenditureFilterSet(request.GET, queryset=queryset, request=request).qs.order_by("spent_on", "pk")
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="expenditure.csv"'
        csv.writer(response).writerows(services.expenditure_csv_rows(lines))
        return response


class ExpenditureFormView(FinanceMixin, LoginRequiredMixin, ServiceErrorMixin, FormView):
    """Record a line of expenditure, or correct one."""

    template_name = "finance/expenditure_form.html"
    form_class = ExpenditureForm
    line: Expenditure | None = None

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            if "pk" in kwargs:
                self.line = get_object_or_404(
                    Expenditure.objects.visible_to(request.user).select_related("school"), pk=kwargs["pk"]
                )
                self.school = self.line.school
            else:
                self.school = chosen_school(request)
            if self.school is None:
                messages.info(request, "Choose the school first (the school switcher).")
                return redirect("finance:expenditure_list")
            if not access.can_record_expenditure.test(request.user, self.school):
                messages.info(request, "Only the financial manager and the desk record expenditure.")
                return redirect(self.line.get_absolute_url() if self.line else "finance:expenditure_list")
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = {**super().get_form_kwargs(), "user": self.request.user, "school": self.school}
        if self.line is not None and self.request.method == "GET":
            kwargs["initial"] = {name: getattr(self.line, name) for name in services.EXPENDITURE_FIELDS}
        elif self.request.method == "GET":
            kwargs["initial"] = {"spent_on": timezone.localdate()}
        return kwargs

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "line": self.line, "school": self.school}

    def form_valid(self, form):
        try:
            if self.line is None:
                line = services.expenditure_record(actor=self.request.user, school=self.school, **form.cleaned_data)
            else:
                line = services.expenditure_update(actor=self.request.user, line=self.line, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, f"Recorded: {line.item}, £{line.amount:,.2f}.")
        return redirect("finance:expenditure_list")


class ExpenditureImportView(SchoolPageMixin, LoginRequiredMixin, ServiceErrorMixin, FormView):
    """Upload a CSV file of expenditure: all of it goes in, or none and the errors by row and column."""

    template_name = "finance/expenditure_import.html"
    form_class = ImportForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs) | self.school_context()
        school = context["school"]
        imports = ExpenditureImport.objects.visible_to(self.request.user)
        context["imports"] = list(imports.of_school(school.pk).select_related("uploaded_by")[:10]) if school else []
        context["last"] = getattr(self, "last", None)
        return context

    def form_valid(self, form):
        school = chosen_school(self.request)
        if school is None:
            messages.error(self.request, "Choose the school first.")
            return self.form_invalid(form)
        upload = form.cleaned_data["file"]
        try:
            self.last = services.expenditure_import(
                actor=self.request.user, school=school, filename=upload.name, content=upload.read()
            )
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        if self.last.accepted:
            messages.success(self.request, f"{self.last.rows} lines imported from {self.last.filename}.")
            return redirect("finance:expenditure_list")
        messages.error(self.request, f"Nothing imported: {len(self.last.errors)} errors in {self.last.filename}.")
        return self.render_to_response(self.get_context_data(form=form))


# =============================================================================
# Suppliers and contracts
# =============================================================================


class SupplierListView(FinanceMixin, ScopedViewMixin, ListView):
    model = Supplier
    template_name = "finance/supplier_list.html"
    context_object_name = "suppliers"
    paginate_by = 50

    def get_queryset(self):
        return super().get_queryset().select_related("school").order_by("name", "pk")

    def get_context_data(self, **kwargs):
        school = getattr(self.request, "school", None)
        can_record = access.here_or_anywhere(access.can_record_expenditure).test(self.request.user, school)
        return {**super().get_context_data(**kwargs), "can_record": can_record}


class SupplierFormView(FinanceMixin, LoginRequiredMixin, ServiceErrorMixin, FormView):
    template_name = "finance/supplier_form.html"
    form_class = SupplierForm
    supplier: Supplier | None = None

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            if "pk" in kwargs:
                self.supplier = get_object_or_404(
                    Supplier.objects.visible_to(request.user).select_related("school"), pk=kwargs["pk"]
                )
                self.school = self.supplier.school
            else:
                self.school = chosen_school(request)
            if self.school is None:
                messages.info(request, "Choose the school first (the school switcher).")
                return redirect("finance:supplier_list")
            if not access.can_record_expenditure.test(request.user, self.school):
                messages.info(request, "Only the financial manager and the desk keep suppliers.")
                return redirect(self.supplier.get_absolute_url() if self.supplier else "finance:supplier_list")
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        if self.supplier is None:
            return {}
        return {name: getattr(self.supplier, name) for name in services.SUPPLIER_FIELDS}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "supplier": self.supplier, "school": self.school}

    def form_valid(self, form):
        try:
            supplier = services.supplier_save(
                actor=self.request.user, school=self.school, supplier=self.supplier, **form.cleaned_data
            )
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, f"Supplier {supplier} saved.")
        return redirect("finance:supplier_list")


class ContractListView(FinanceMixin, ScopedViewMixin, ListView):
    """Contracts by end date, with their notice dates and status; the ones needing a decision first."""

    model = Contract
    template_name = "finance/contract_list.html"
    context_object_name = "contracts"
    paginate_by = 50

    def get_queryset(self):
        queryset = super().get_queryset().select_related("school", "supplier", "owner", "alert_task")
        if self.request.GET.get("all") != "1":
            queryset = queryset.filter(decision="", ends_on__gte=timezone.localdate() - timedelta(days=90))
        return queryset.order_by("ends_on", "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        alert = {
            pk: s.alert_days
            for pk, s in figures.settings_by_school({c.school_id for c in context["contracts"]}).items()
        }
        context["rows"] = [(c, c.status_on(today, alert.get(c.school_id, 60))) for c in context["contracts"]]
        school = getattr(self.request, "school", None)
        context["can_manage"] = access.here_or_anywhere(access.can_manage_finance).test(self.request.user, school)
        context["show_all"] = self.request.GET.get("all") == "1"
        return context


class ContractDetailView(FinanceMixin, ScopedViewMixin, DetailView):
    narrow_to_current_school = False
    model = Contract
    template_name = "finance/contract_detail.html"
    context_object_name = "contract"

    def get_queryset(self):
        return super().get_queryset().select_related("school", "supplier", "owner", "alert_task", "renewed_as")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        contract, today = self.object, timezone.localdate()
        settings = figures.settings_by_school([contract.school_id])[contract.school_id]
        context.update(
            today=today,
            status=contract.status_on(today, settings.alert_days),
            payments=figures.contract_payments(contract),
            cis=list(contract.cis.all()[:100]),
            invoices=list(contract.invoices.select_related("supplier")[:50]),
            paid=figures.paid_to_date(contract, today),
            can_manage=access.can_manage_finance.test(self.request.user, contract),
            renew_form=RenewForm(
                initial={
                    "ends_on": contract.ends_on.replace(year=contract.ends_on.year + 1)
                    if not (contract.ends_on.month == 2 and contract.ends_on.day == 29)
                    else contract.ends_on + timedelta(days=365)
                }
            ),
            cancel_form=CancelForm(),
            timeline=timeline(contract, include_internal=True),
        )
        return context


class ContractFormView(FinanceMixin, LoginRequiredMixin, ServiceErrorMixin, FormView):
    template_name = "finance/contract_form.html"
    form_class = ContractForm
    contract: Contract | None = None

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            if "pk" in kwargs:
                self.contract = get_object_or_404(
                    Contract.objects.visible_to(request.user).select_related("school"), pk=kwargs["pk"]
                )
                self.school = self.contract.school
            else:
                self.school = chosen_school(request)
            if self.school is None:
                messages.info(request, "Choose the school first (the school switcher).")
                return redirect("finance:contract_list")
            if not access.can_manage_finance.test(request.user, self.school):
                messages.info(request, services.MANAGE)
                return redirect(self.contract.get_absolute_url() if self.contract else "finance:contract_list")
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = {**super().get_form_kwargs(), "user": self.request.user, "school": self.school}
        if self.contract is not None and self.request.method == "GET":
            initial = {name: getattr(self.contract, name) for name in services.CONTRACT_FIELDS}
            initial["cis"] = list(self.contract.cis.all())
            kwargs["initial"] = initial
        return kwargs

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "contract": self.contract, "school": self.school}

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        cis = list(data.pop("cis"))
        try:
            contract = services.contract_save(
                actor=self.request.user, school=self.school, contract=self.contract, cis=cis, **data
            )
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, f"Contract {contract} saved.")
        return redirect(contract)


class ContractRenewView(FinanceMixin, RecordActionView):
    model = Contract
    form_class = RenewForm

    def act(self, data: dict[str, Any]) -> None:
        self.successor = services.contract_renew(actor=self.request.user, contract=self.object, **data)
        messages.success(self.request, f"Renewed until {self.successor.ends_on:%d/%m/%Y}.")

    def success_url(self) -> str:
        successor = getattr(self, "successor", None)
        return successor.get_absolute_url() if successor else self.object.get_absolute_url()


class ContractCancelView(FinanceMixin, RecordActionView):
    model = Contract
    form_class = CancelForm

    def act(self, data: dict[str, Any]) -> None:
        services.contract_cancel(actor=self.request.user, contract=self.object, note=data["note"])
        messages.success(self.request, "Notice recorded: the contract will not be renewed.")


# =============================================================================
# CI costs and depreciation
# =============================================================================


class CICostListView(FinanceMixin, ScopedViewMixin, ListView):
    """Every CI with a cost: depreciation and book value today, and when it is due for replacement. ?due=1 lists
    only those due within six months (or overdue), soonest first."""

    model = ConfigurationItem
    template_name = "finance/ci_costs.html"
    context_object_name = "cis"
    paginate_by = 50

    def get_queryset(self):
        queryset = super().get_queryset()
        return (
            queryset.exclude(kind__in=LOGICAL_KINDS)
            .filter(purchase_cost__isnull=False)
            .select_related("school", "finance_cost", "location")
            .order_by("name", "pk")
        )

    def paginate_queryset(self, queryset, page_size):
        today = timezone.localdate()
        rows = figures.ci_rows(list(queryset), on=today)
        self.due_only = self.request.GET.get("due") == "1"
        if self.due_only:
            horizon = today + timedelta(days=183)
            rows = sorted((r for r in rows if r.replace_on and r.replace_on <= horizon), key=lambda r: r.replace_on)
        self.totals = {
            "cost": sum((r.figures.cost for r in rows if r.figures), figures.ZERO),
            "book": sum((r.figures.book_value for r in rows if r.figures), figures.ZERO),
        }
        paginator = Paginator(rows, page_size)
        page = paginator.get_page(self.request.GET.get("page"))
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        school = getattr(self.request, "school", None)
        context.update(
            rows=context["cis"],
            due_only=self.due_only,
            totals=self.totals,
            today=timezone.localdate(),
            can_manage=access.here_or_anywhere(access.can_manage_finance).test(self.request.user, school),
        )
        return context


class CICostFormView(FinanceMixin, LoginRequiredMixin, ServiceErrorMixin, FormView):
    template_name = "finance/ci_cost_form.html"
    form_class = CICostForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.ci = get_object_or_404(
                ConfigurationItem.objects.visible_to(request.user).select_related("school", "finance_cost"),
                pk=kwargs["pk"],
            )
            if not access.can_manage_finance.test(request.user, self.ci):
                messages.info(request, services.MANAGE)
                return redirect(self.ci.get_absolute_url())
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        (row,) = figures.ci_rows([self.ci], on=timezone.localdate())
        own = getattr(self.ci, "finance_cost", None)
        return {
            "method": row.method,
            "life_years": row.life_years,
            "rate_percent": own.rate_percent if own else None,
            "residual_value": own.residual_value if own else 0,
            "replace_on": own.replace_on if own else None,
            "notes": own.notes if own else "",
        }

    def get_context_data(self, **kwargs):
        (row,) = figures.ci_rows([self.ci], on=timezone.localdate())
        return {**super().get_context_data(**kwargs), "ci": self.ci, "row": row}

    def form_valid(self, form):
        try:
            services.ci_cost_save(actor=self.request.user, ci=self.ci, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, f"Depreciation of {self.ci} saved.")
        return redirect("finance:ci_costs")


# =============================================================================
# Settings: funding, depreciation defaults, rates
# =============================================================================


class SettingsView(SchoolPageMixin, LoginRequiredMixin, ServiceErrorMixin, FormView):
    template_name = "finance/settings.html"
    form_class = SettingsForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.school = chosen_school(request)
            if (
                self.school is not None
                and request.method == "POST"
                and not access.can_manage_finance.test(request.user, self.school)
            ):
                messages.error(request, services.MANAGE)
                return redirect(reverse("finance:settings") + f"?school={self.school.slug}")
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        if self.school is None:
            return {}
        settings = figures.settings_by_school([self.school.pk])[self.school.pk]
        initial = {
            "funding_type": settings.funding_type,
            "pupils": settings.pupils,
            "alert_days": settings.alert_days,
            "warranty_days": settings.warranty_days,
        }
        defaults = {
            d.kind: d for d in DepreciationDefault.objects.visible_to(self.request.user).of_school(self.school.pk)
        }
        for kind, years in services.DEFAULT_LIFE_YEARS.items():
            initial[f"life_{kind}"] = defaults[kind].life_years if kind in defaults else years
        initial["residual_percent"] = next(iter(defaults.values())).residual_percent if defaults else 0
        for rate in RoleRate.objects.visible_to(self.request.user).of_school(self.school.pk):
            if rate.school_id == self.school.pk:  # the school's own (not its authority's) are edited here
                initial[f"rate_{rate.role}"] = rate.hourly_rate
        return initial

    def get_context_data(self, **kwargs):
        from finance import money

        return {**super().get_context_data(**kwargs), **self.school_context(), "defaults": money.DEFAULT_RATES}

    def form_valid(self, form):
        if self.school is None:
            messages.error(self.request, "Choose the school first.")
            return self.form_invalid(form)
        data, actor, school = form.cleaned_data, self.request.user, self.school
        try:
            services.finance_settings_save(
                actor=actor,
                school=school,
                funding_type=data["funding_type"],
                pupils=data["pupils"],
                alert_days=data["alert_days"],
                warranty_days=data["warranty_days"],
            )
            services.depreciation_defaults_save(
                actor=actor,
                school=school,
                residual_percent=data["residual_percent"],
                life_years={kind: data[f"life_{kind}"] for kind in services.DEFAULT_LIFE_YEARS},
            )
            services.role_rates_save(
                actor=actor, school=school, rates={role: data[f"rate_{role}"] for role in services.RATE_ROLES}
            )
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, "Finance settings saved.")
        return redirect(reverse("finance:settings") + f"?school={school.slug}")


# =============================================================================
# Total cost of ownership, the cost of support
# =============================================================================


class TCOView(SchoolPageMixin, LoginRequiredMixin, TemplateView):
    """Total cost of ownership to date per room or per ICT service, with its breakdown and its CIs."""

    template_name = "finance/tco.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs) | self.school_context()
        school = context["school"]
        by = "service" if self.request.GET.get("by") == "service" else "room"
        context["by"] = by
        if school is None:
            return context
        entries = TimeEntry.objects.visible_to(self.request.user).of_school(school.pk)
        today = timezone.localdate()
        owned = (figures.tco_by_service if by == "service" else figures.tco_by_room)(school, entries, today=today)
        total = figures.Cost()
        for row in owned:
            total.add(row.cost)
        context.update(owned=owned, total=total, today=today)
        return context


class SupportCostView(SchoolPageMixin, LoginRequiredMixin, TemplateView):
    """Time logged on incidents, requests and changes in the financial year, priced by role: per month, category,
    service, CI and role."""

    template_name = "finance/support_cost.html"

    def get_context_data(self, **kwargs):
        from finance import money

        context = super().get_context_data(**kwargs) | self.school_context()
        school = context["school"]
        if school is None:
            return context
        month = figures.start_month(figures.settings_by_school([school.pk])[school.pk])
        year = chosen_year(self.request) or money.year_of(timezone.localdate(), month)
        first, last = money.year_bounds(year, month)
        entries = (
            TimeEntry.objects.visible_to(self.request.user).of_school(school.pk).filter(worked_on__range=(first, last))
        )
        schools = {school.pk: school}
        tables = [
            (label, figures.support_costs(entries, schools, by=by))
            for by, label in (
                ("month", "By month"),
                ("category", "By category"),
                ("service", "By ICT service"),
                ("ci", "By CI"),
                ("role", "By role"),
            )
        ]
        total = figures.CostRow("total", "Total")
        for row in tables[0][1]:
            total.minutes += row.minutes
            total.cost += row.cost
        context.update(
            tables=tables,
            total=total,
            year=year,
            year_label=money.year_label(year, month),
            previous=year - 1,
            next=year + 1,
        )
        return context


# =============================================================================
# Reports for leaders and the LEA
# =============================================================================


def report_rows(request) -> tuple[list, Any]:
    """The schools whose reports the person reads (the chosen one, or all of theirs side by side) and their
    figures for the current financial year."""
    user = request.user
    school = chosen_school(request)
    schools = [school] if school else finance_schools(user)
    schools = [s for s in schools if access.can_view_finance_reports.test(user, s)]
    if not schools:
        raise PermissionDenied("The finance reports are for leaders, the network manager and the LEA.")
    year = chosen_year(request)
    today = timezone.localdate()
    found = figures.year_figures(schools, today=today, year=year, devices=True)
    entries = TimeEntry.objects.visible_to(user)
    from django.db.models import Q

    window = Q(pk__in=[])
    for fig in found.values():
        first, last = fig.bounds
        window |= Q(school_id=fig.school.pk, worked_on__range=(first, last))
    by_school = {
        row.key: row.cost
        for row in figures.support_costs(entries.filter(window), {s.pk: s for s in schools}, by="school")
    }
    for fig in found.values():
        fig.support_cost = by_school.get(fig.school.pk, figures.ZERO)
    return [found[s.pk] for s in schools], school


class ReportView(FinanceMixin, LoginRequiredMixin, TemplateView):
    """Per school: spend per pupil and per device, budget against actual, support cost; for the LEA, every school
    side by side (a fixed number of queries whatever the number of schools)."""

    template_name = "finance/reports.html"

    def get_context_data(self, **kwargs):
        rows, school = report_rows(self.request)
        return {
            **super().get_context_data(**kwargs),
            "rows": rows,
            "school": school,
            "categories": Category.choices,
            "query": self.request.GET.urlencode(),
        }


class ReportCSVView(FinanceMixin, LoginRequiredMixin, TemplateView):
    def get(self, request, *args, **kwargs):
        rows, _ = report_rows(request)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="finance-report.csv"'
        writer = csv.writer(response)
        writer.writerow(
            [
                "school",
                "financial year",
                "pupils",
                "devices",
                "budget",
                "committed",
                "actual",
                "remaining",
                "per pupil",
                "per device",
                "support cost",
                *[f"{c} budget" for c in Category.values],
                *[f"{c} actual" for c in Category.values],
            ]
        )
        for fig in rows:
            total = fig.total
            writer.writerow(
                [
                    fig.school.name,
                    fig.label,
                    fig.pupils,
                    fig.devices,
                    total.budget,
                    total.committed,
                    total.actual,
                    total.remaining,
                    fig.per_pupil or "",
                    fig.per_device or "",
                    fig.support_cost,
                    *[fig.lines[c].budget for c in Category.values],
                    *[fig.lines[c].actual for c in Category.values],
                ]
            )
        return response
