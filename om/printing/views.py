"""Print and Output Management pages: printers with their supply bars, one printer (supply history, queues,
tasks, cost per page), print queues, consumables with stock and movements, the reorder list, usage, and the
policy's figures. Every change goes through om/printing/services.py."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, CharField, Count, IntegerField, Q, Sum, Value, When
from django.db.models.functions import ExtractMonth, ExtractYear, TruncMonth
from django.http import Http404, HttpResponseRedirect, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.generic import DetailView, ListView, TemplateView

from fits import access
from fits.views import RecordActionView, ScopedViewMixin, ServiceErrorMixin
from incidents.models import Task, TaskOrigin
from om.printing import services
from om.printing.forms import (
    CartridgeForm,
    MovementForm,
    PolicyForm,
    PrinterAddForm,
    PrinterEditForm,
    QueueForm,
    SupplyCartridgeForm,
    UsageFilterForm,
)
from om.printing.models import (
    CartridgeModel,
    Printer,
    PrintPolicy,
    PrintQueue,
    PrintUsageDay,
    StockMovement,
    Supply,
    SupplyReading,
)

HISTORY_DAYS = 30


class PrintingAccessMixin:
    """Print management is support staff's business: everyone else is answered 404, as if it were not there."""

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not access.here_or_anywhere(access.can_view_printing).test(user, None):
            raise Http404("Print and Output Management is for the school's support staff.")
        return super().dispatch(request, *args, **kwargs)

    def can_manage_here(self) -> bool:
        school = getattr(self.request, "school", None)
        return school is not None and access.can_manage_printing.test(self.request.user, school)

    def policy_context(self) -> dict:
        school = getattr(self.request, "school", None)
        if school is None:
            return {"policy": None}
        policy = PrintPolicy.objects.visible_to(self.request.user).of_school(school.pk).first()
        return {"policy": policy or PrintPolicy(school=school)}


class FormPageMixin(PrintingAccessMixin, ScopedViewMixin, ServiceErrorMixin):
    """A list with a form below it for the chosen school: POST calls `record(form, school)`, a service."""

    form_class = None

    def make_form(self, data=None):
        return self.form_class(data, user=self.request.user, school=getattr(self.request, "school", None))

    def post(self, request, *args, **kwargs):
        school = getattr(request, "school", None)
        self.form = self.make_form(request.POST)
        if school is None:
            messages.error(request, "Choose a school first: the record belongs to one school.")
        elif self.form.is_valid():
            try:
                record = self.record(self.form, school)
            except (ValidationError, PermissionDenied) as error:
                self.report_form_error(error)
            else:
                messages.success(request, f"{record} is recorded.")
                return HttpResponseRedirect(self.success_url(record))
        self.object_list = self.get_queryset()
        return self.render_to_response(self.get_context_data())

    def report_form_error(self, error):
        if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
            for name, errors in error.message_dict.items():
                self.form.add_error(name if name in self.form.fields else None, errors)
        else:
            self.report_service_error(error)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_manage"] = self.can_manage_here()
        if context["can_manage"]:
            context["form"] = getattr(self, "form", None) or self.make_form()
        return context


# =============================================================================
# Printers
# =============================================================================


class PrinterListView(FormPageMixin, ListView):
    """The printers with their supply bars, page counts and whether they answer; technicians add one below."""

    model = Printer
    template_name = "printing/printer_list.html"
    context_object_name = "printers"
    paginate_by = 25
    form_class = PrinterAddForm

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.for_list().order_by("ci__name", "pk")

    def record(self, form, school):
        data = form.cleaned_data
        return services.printer_add(actor=self.request.user, ci=data["ci"], snmp_credential=data["snmp_credential"],
                                    multifunction=data["multifunction"])  # fmt: skip

    def success_url(self, record):
        return record.get_absolute_url()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(self.policy_context())
        queryset = ScopedViewMixin.get_queryset(self).order_by()
        context["summary"] = queryset.aggregate(
            total=Count("pk"),
            silent=Count("pk", filter=Q(failing_since__isnull=False)),
            low=Count("pk", filter=Q(supplies__state__in=["low", "empty"]), distinct=True),
        )
        return context


class PrinterDetailView(PrintingAccessMixin, ScopedViewMixin, DetailView):
    """One printer: its supplies with their history and cartridges, page counts, queues, tasks, cost per page."""

    model = Printer
    narrow_to_current_school = False
    template_name = "printing/printer_detail.html"
    context_object_name = "printer"

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.select_related("school", "ci", "ci__location", "ci__location__parent", "snmp_credential")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        printer, user = self.object, self.request.user
        supplies = list(Supply.objects.visible_to(user).filter(printer=printer).select_related("cartridge", "task")
                        .order_by("index"))  # fmt: skip
        since = timezone.now() - timedelta(days=HISTORY_DAYS)
        history = defaultdict(list)
        for reading in (SupplyReading.objects.visible_to(user).filter(supply__printer=printer, read_at__gte=since)
                        .order_by("read_at").only("supply_id", "read_at", "percent", "level")[:5000]):  # fmt: skip
            history[reading.supply_id].append(reading)
        cartridges = list(CartridgeModel.objects.visible_to(user).of_school(printer.school_id).order_by("name"))
        for supply in supplies:
            supply.printer = printer
            supply.history = history.get(supply.pk, [])[-48:]
            supply.matched = services.matching_cartridge(supply, cartridges)
        context["supplies"] = supplies
        context["cartridges"] = cartridges
        context["queues"] = (PrintQueue.objects.visible_to(user).filter(printer=printer).select_related("server")
                             .order_by("name"))  # fmt: skip
        context["tasks"] = (Task.objects.visible_to(user).filter(ci=printer.ci, origin=TaskOrigin.REPLENISHMENT)
                            .order_by("-created_at")[:20])  # fmt: skip
        context["usage"] = list(PrintUsageDay.objects.visible_to(user).filter(printer=printer)
                                .order_by("-day")[:31])  # fmt: skip
        context["usage_total"] = sum(day.pages for day in context["usage"])
        rated = [s.matched.cost_per_page for s in supplies if s.matched and s.matched.cost_per_page is not None]
        context["rated_cpp"] = sum(rated) if rated else None
        actual = [s.matched.unit_cost / s.pages_last_cartridge for s in supplies
                  if s.matched and s.matched.unit_cost is not None and s.pages_last_cartridge]  # fmt: skip
        context["actual_cpp"] = sum(actual) if actual else None
        context["can_manage"] = access.can_manage_printing.test(user, printer)
        if context["can_manage"]:
            context["edit_form"] = PrinterEditForm(instance=printer, user=user)
        context.update(self.policy_context())
        return context


class PrinterEditView(RecordActionView):
    model = Printer
    form_class = PrinterEditForm

    def get_form(self):
        return PrinterEditForm(self.request.POST, instance=self.object, user=self.request.user)

    def act(self, data):
        services.printer_update(actor=self.request.user, printer=self.object, **data)
        messages.success(self.request, f"{self.object} is saved.")


class PrinterReadView(RecordActionView):
    """Read this printer now (a technician checking after fitting a cartridge)."""

    model = Printer

    def act(self, data):
        from om.printing.reading import read_printers

        access.require(access.can_manage_printing, self.request.user, self.object,
                       "Only technicians and the network manager read printers on demand.")  # fmt: skip
        [outcome] = read_printers(printer_ids=[self.object.pk]) or [None]
        if outcome is not None and outcome.ok:
            messages.success(self.request, f"{self.object} answered: {outcome.page_count or 0} pages.")
        elif outcome is not None:
            messages.error(self.request, f"{self.object} did not answer: {outcome.error}.")
        else:
            messages.info(self.request, f"{self.object} is not read over SNMP: switch reading on below first.")


class SupplyCartridgeView(RecordActionView):
    model = Supply

    def get_form(self):
        return SupplyCartridgeForm(self.request.POST, user=self.request.user)

    def act(self, data):
        services.supply_set_cartridge(actor=self.request.user, supply=self.object, cartridge=data["cartridge"])

    def success_url(self):
        return reverse("printing:printer_detail", args=[self.object.printer_id])


# =============================================================================
# Queues
# =============================================================================


class QueueListView(FormPageMixin, ListView):
    model = PrintQueue
    template_name = "printing/queue_list.html"
    context_object_name = "queues"
    paginate_by = 50
    form_class = QueueForm

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.select_related("school", "server", "printer__ci").order_by("name", "pk")

    def record(self, form, school):
        return services.queue_save(actor=self.request.user, school=school, **form.cleaned_data)

    def success_url(self, record):
        return reverse("printing:queue_list")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(self.policy_context())
        return context


class QueueEditView(PrintingAccessMixin, ScopedViewMixin, ServiceErrorMixin, DetailView):
    model = PrintQueue
    narrow_to_current_school = False
    template_name = "printing/queue_form.html"
    context_object_name = "queue"

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.select_related("school", "server", "printer__ci")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_manage"] = access.can_manage_printing.test(self.request.user, self.object)
        context["form"] = getattr(self, "form", None) or QueueForm(instance=self.object, user=self.request.user)
        return context

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        if not access.can_manage_printing.test(request.user, self.object):
            messages.error(request, "Only technicians and the network manager change print queues.")
            return HttpResponseRedirect(self.object.get_absolute_url())
        self.form = QueueForm(request.POST, instance=PrintQueue.objects.visible_to(request.user).get(pk=self.object.pk),
                              user=request.user)  # fmt: skip
        if self.form.is_valid():
            try:
                services.queue_save(actor=request.user, school=self.object.school, queue=self.object,
                                    **self.form.cleaned_data)  # fmt: skip
            except (ValidationError, PermissionDenied) as error:
                self.report_service_error(error)
            else:
                messages.success(request, f"{self.object} is saved.")
                return HttpResponseRedirect(reverse("printing:queue_list"))
        return self.render_to_response(self.get_context_data())


# =============================================================================
# Consumables
# =============================================================================


class CartridgeFormMixin:
    def make_form(self, data=None):
        return CartridgeForm(data)


class CartridgeListView(CartridgeFormMixin, FormPageMixin, ListView):
    """The stock list: each cartridge with its stock, reorder level, cost per page and the printers it fits."""

    model = CartridgeModel
    template_name = "printing/cartridge_list.html"
    context_object_name = "cartridges"
    paginate_by = 50

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.select_related("school").order_by("name", "pk")

    def record(self, form, school):
        return services.cartridge_save(actor=self.request.user, school=school, **form.cleaned_data)

    def success_url(self, record):
        return record.get_absolute_url()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["to_reorder"] = ScopedViewMixin.get_queryset(self).to_reorder().count()
        return context


class CartridgeDetailView(PrintingAccessMixin, ScopedViewMixin, ServiceErrorMixin, DetailView):
    """One cartridge: its stock, its movements (who, when, why) and the supplies that take it."""

    model = CartridgeModel
    narrow_to_current_school = False
    template_name = "printing/cartridge_detail.html"
    context_object_name = "cartridge"

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.select_related("school")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, cartridge = self.request.user, self.object
        context["movements"] = (StockMovement.objects.visible_to(user).filter(cartridge=cartridge)
                                .select_related("actor", "printer__ci").order_by("-at", "-pk")[:50])  # fmt: skip
        context["supplies"] = (Supply.objects.visible_to(user).filter(cartridge=cartridge)
                               .select_related("printer__ci").order_by("printer__ci__name")[:50])  # fmt: skip
        context["can_manage"] = access.can_manage_printing.test(user, cartridge)
        if context["can_manage"]:
            context["movement_form"] = getattr(self, "movement_form", None) or MovementForm(user=user)
            context["form"] = getattr(self, "form", None) or CartridgeForm(instance=cartridge)
        return context

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        if "kind" in request.POST:
            self.movement_form = MovementForm(request.POST, user=request.user)
            if self.movement_form.is_valid():
                try:
                    movement = services.stock_move(actor=request.user, cartridge=self.object,
                                                   **self.movement_form.cleaned_data)  # fmt: skip
                except (ValidationError, PermissionDenied) as error:
                    self.report_service_error(error)
                else:
                    messages.success(request, f"{movement}: {movement.stock_after} in stock.")
                    return HttpResponseRedirect(self.object.get_absolute_url())
        else:
            self.form = CartridgeForm(request.POST, instance=CartridgeModel(school=self.object.school))
            if self.form.is_valid():
                try:
                    services.cartridge_save(actor=request.user, school=self.object.school, cartridge=self.object,
                                            **self.form.cleaned_data)  # fmt: skip
                except (ValidationError, PermissionDenied) as error:
                    self.report_service_error(error)
                else:
                    messages.success(request, f"{self.object.name} is saved.")
                    return HttpResponseRedirect(self.object.get_absolute_url())
        return self.render_to_response(self.get_context_data())


class ReorderView(PrintingAccessMixin, ScopedViewMixin, ServiceErrorMixin, ListView):
    """What is at or below its reorder level, with the estimated cost; the reorder is raised as a task."""

    model = CartridgeModel
    template_name = "printing/reorder.html"
    context_object_name = "cartridges"
    paginate_by = 100

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.to_reorder().select_related("school").order_by("school__name", "name", "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["total"] = sum(c.reorder_cost or 0 for c in context["cartridges"])
        context["can_manage"] = self.can_manage_here()
        school_id = getattr(getattr(self.request, "school", None), "pk", None)
        context["tasks"] = (Task.objects.visible_to(self.request.user).of_school(school_id)
                            .filter(origin=TaskOrigin.REPLENISHMENT, source_key__startswith="printing:reorder:")
                            .order_by("-created_at")[:5])  # fmt: skip
        return context

    def post(self, request, *args, **kwargs):
        school = getattr(request, "school", None)
        if school is None:
            messages.error(request, "Choose a school first: a reorder is one school's.")
        else:
            try:
                task = services.reorder_raise(actor=request.user, school=school)
            except (ValidationError, PermissionDenied) as error:
                self.report_service_error(error)
            else:
                if task is None:
                    messages.info(request, "Nothing is at or below its reorder level.")
                else:
                    messages.success(request, f"The reorder is {task.reference}.")
                    return HttpResponseRedirect(reverse("incidents:task_detail", args=[task.pk]))
        return HttpResponseRedirect(reverse("printing:reorder"))


# =============================================================================
# Usage
# =============================================================================


def _term_of_day():
    """The school term of a day, in SQL: autumn Sep-Dec, spring Jan-Mar, summer Apr-Aug (school year Sep-Aug)."""
    month, year = ExtractMonth("day"), ExtractYear("day")
    season = Case(When(Q(month__gte=9), then=Value("Autumn")), When(Q(month__lte=3), then=Value("Spring")),
                  default=Value("Summer"), output_field=CharField())  # fmt: skip
    start_year = Case(When(Q(month__gte=9), then=year), default=year - 1, output_field=IntegerField())
    return month, season, start_year


class UsageView(PrintingAccessMixin, ScopedViewMixin, ListView):
    """Pages printed by printer and over time (month, term), from the page counters, in SQL; CSV of the days."""

    model = PrintUsageDay
    template_name = "printing/usage.html"
    context_object_name = "by_printer"
    paginate_by = 50

    def filtered(self, queryset):
        """The usage rows the filter form asks for (the last twelve months of every printer by default)."""
        self.filter_form = UsageFilterForm(self.request.GET, user=self.request.user)
        if self.filter_form.is_valid():
            data = self.filter_form.cleaned_data
        else:
            data = UsageFilterForm({}, user=self.request.user)
            data.is_valid()
            data = data.cleaned_data
        self.range = (data["start"], data["end"])
        queryset = queryset.filter(day__range=self.range)
        if data.get("printer"):
            queryset = queryset.filter(printer=data["printer"])
        return queryset

    def get_queryset(self):
        queryset = super().get_queryset()
        return (
            self.filtered(queryset)
            .values("printer_id", "printer__ci__name", "school__name")
            .annotate(pages=Sum("pages"), days=Count("pk"))
            .order_by("-pages", "printer__ci__name")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = self.filtered(ScopedViewMixin.get_queryset(self)).order_by()
        context["by_month"] = list(rows.annotate(month=TruncMonth("day")).values("month")
                                   .annotate(pages=Sum("pages")).order_by("month"))  # fmt: skip
        _, season, start_year = _term_of_day()
        context["by_term"] = list(
            rows.annotate(month=ExtractMonth("day"))
            .annotate(season=season, start_year=start_year)
            .values("start_year", "season")
            .annotate(pages=Sum("pages"))
            .order_by("start_year", "season")
        )
        peak = max((row["pages"] for row in context["by_month"]), default=0)
        for row in context["by_month"]:
            row["share"] = round(100 * row["pages"] / peak) if peak else 0
        context["total"] = sum(row["pages"] for row in context["by_month"])
        context["filter_form"] = self.filter_form
        context["range"] = self.range
        context["query"] = self.request.GET.urlencode()
        context.update(self.policy_context())
        return context


class _Echo:
    def write(self, value):
        return value


class UsageExportView(UsageView):
    """The daily pages behind the usage page, as CSV (the same filters)."""

    def get(self, request, *args, **kwargs):
        rows = (
            self.filtered(ScopedViewMixin.get_queryset(self))
            .order_by("day", "printer__ci__name", "pk")
            .values_list("school__name", "printer__ci__name", "day", "pages")
        )
        writer = csv.writer(_Echo())

        def lines():
            yield writer.writerow(["school", "printer", "day", "pages"])
            for school, printer, day, pages in rows.iterator(chunk_size=2000):
                yield writer.writerow([school, printer, day.isoformat(), pages])

        response = StreamingHttpResponse(lines(), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="print-usage-{self.range[0]}-{self.range[1]}.csv"'
        return response


# =============================================================================
# The policy's figures
# =============================================================================


class PolicyView(PrintingAccessMixin, ScopedViewMixin, ServiceErrorMixin, TemplateView):
    """The print policy in figures (default duplex, colour, quotas, low-supply threshold and lead time), kept with
    the function's written policy at /om/functions/printing/."""

    model = PrintPolicy
    template_name = "printing/policy.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        school = getattr(self.request, "school", None)
        context.update(self.policy_context())
        context["can_set"] = school is not None and access.can_set_print_policy.test(self.request.user, school)
        if context["can_set"]:
            context["form"] = getattr(self, "form", None) or PolicyForm(instance=context["policy"])
        from om.models import FunctionPolicy

        context["function_policy"] = (FunctionPolicy.objects.visible_to(self.request.user)
                                      .of_school(getattr(school, "pk", None)).filter(function="printing")
                                      .select_related("school").first())  # fmt: skip
        return context

    def post(self, request, *args, **kwargs):
        school = getattr(request, "school", None)
        if school is None:
            messages.error(request, "Choose a school first: the policy is one school's.")
            return HttpResponseRedirect(reverse("printing:policy"))
        current = PrintPolicy.objects.visible_to(request.user).of_school(school.pk).first()
        self.form = PolicyForm(request.POST, instance=current or PrintPolicy(school=school))
        if self.form.is_valid():
            try:
                services.print_policy_save(actor=request.user, school=school, **self.form.cleaned_data)
            except (ValidationError, PermissionDenied) as error:
                self.report_service_error(error)
            else:
                messages.success(request, "The print policy's figures are saved.")
                return HttpResponseRedirect(reverse("printing:policy"))
        return self.render_to_response(self.get_context_data())


def ci_printing_tab(request, ci) -> dict:
    """The context of the Printing tab of a printer CI's page (cmdb/views.py calls it): its supplies, page count and
    replenishment tasks, or how to start watching it."""
    user = request.user
    if not access.can_view_printing.test(user, ci):
        return {"tab_template": "printing/_ci_tab.html", "printing_hidden": True}
    printer = Printer.objects.visible_to(user).filter(ci=ci).first()
    supplies = list(Supply.objects.visible_to(user).filter(printer=printer).order_by("index")) if printer else []
    tasks = list(
        Task.objects.visible_to(user).filter(ci=ci, origin=TaskOrigin.REPLENISHMENT).order_by("-created_at")[:5]
    )
    return {"tab_template": "printing/_ci_tab.html", "watched_printer": printer, "printer_supplies": supplies,
            "printer_tasks": tasks}  # fmt: skip
