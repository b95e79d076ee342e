"""Pages of Systems Administration: the routine operations (overdue first), the servers and their logbooks, and the
run books of the services. Every change goes through om/sysadmin/services.py; a routine operation's own page is the
maintenance schedule page (availability), which shows its dates and the tasks it raised."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import BooleanField, Case, Count, OuterRef, Q, Subquery, Value, When
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import DetailView, FormView, ListView

from availability.models import MaintenanceSchedule
from cmdb.models import ConfigurationItem, Kind
from fits import access
from fits.activity import timeline
from fits.views import RecordActionView, ScopedViewMixin, ServiceErrorMixin
from incidents.models import OPEN_TASK_STATUSES, Task, TaskOrigin
from om.forms import ReviewForm
from om.sysadmin import services
from om.sysadmin.forms import LoadRoutinesForm, LogbookEntryForm, ProceduresForm, RoutineForm, RunBookForm
from om.sysadmin.models import LogbookEntry, RunBook
from om.views import OperationsAccessMixin


class RoutineListView(OperationsAccessMixin, ScopedViewMixin, ListView):
    """The routine operations with their next due date and last task; overdue first."""

    model = MaintenanceSchedule
    template_name = "sysadmin/routine_list.html"
    context_object_name = "routines"
    paginate_by = 25

    def get_queryset(self):
        today = timezone.localdate()
        schedule_type = ContentType.objects.get_for_model(MaintenanceSchedule)
        last = (
            Task.objects.visible_to(self.request.user)
            .filter(source_type=schedule_type, source_id=OuterRef("pk"))
            .order_by("-due_on", "-pk")
        )
        queryset = super().get_queryset()
        return (
            queryset.filter(function=services.FUNCTION)
            .select_related("school", "ci", "assignee", "group")
            .annotate(
                last_task_id=Subquery(last.values("pk")[:1]),
                last_task_reference=Subquery(last.values("reference")[:1]),
                last_task_status=Subquery(last.values("status")[:1]),
                last_task_due=Subquery(last.values("due_on")[:1]),
            )
            .annotate(
                overdue=Case(
                    When(Q(last_task_status__in=OPEN_TASK_STATUSES, last_task_due__lt=today), then=Value(True)),
                    default=Value(False),
                    output_field=BooleanField(),
                )
            )
            .order_by("-overdue", "-is_active", "next_due", "title", "pk")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, school = self.request.user, getattr(self.request, "school", None)
        labels = dict(Task._meta.get_field("status").choices)
        for routine in context["routines"]:
            routine.last_task_label = labels.get(routine.last_task_status, "")
        context.update(
            can_manage=access.here_or_anywhere(access.can_manage_monitoring).test(user, school),
            can_load=school is not None
            and access.can_manage_operations.test(user, school)
            and self._starters_missing(school),
            load_form=LoadRoutinesForm(user=user, school_id=school.pk if school else None) if school else None,
            overdue_tasks=Task.objects.visible_to(user)
            .of_school(school.pk if school else None)
            .filter(origin=TaskOrigin.ROUTINE, status__in=OPEN_TASK_STATUSES, due_on__lt=timezone.localdate())
            .count(),
        )
        return context

    def _starters_missing(self, school) -> bool:
        """Whether the school lacks any of the FITS routine operations (loading them again would add something)."""
        titles = [routine.title for routine in services.STANDARD_ROUTINES]
        have = MaintenanceSchedule.objects.visible_to(self.request.user).of_school(school.pk)
        return have.filter(function=services.FUNCTION, title__in=titles).count() < len(titles)


class RoutineCreateView(LoginRequiredMixin, OperationsAccessMixin, ServiceErrorMixin, FormView):
    form_class = RoutineForm
    template_name = "sysadmin/routine_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "school": getattr(self.request, "school", None)}

    def get(self, request, *args, **kwargs):
        form = self.get_form()
        if not form.fields["school"].queryset.exists():
            messages.error(request, "You have no school where you can plan routine operations.")
            return redirect("sysadmin:routines")
        return self.render_to_response(self.get_context_data(form=form))

    def form_valid(self, form):
        try:
            schedule = services.routine_save(actor=self.request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, f"Scheduled: first due {schedule.next_due:%a %d %b %Y}.")
        return redirect(schedule)


class RoutinesLoadView(LoginRequiredMixin, OperationsAccessMixin, ServiceErrorMixin, FormView):
    """POST: give the chosen school the FITS routine operations, allocated to a person."""

    form_class = LoadRoutinesForm
    http_method_names = ["post"]

    def get_form_kwargs(self):
        school = getattr(self.request, "school", None)
        return {**super().get_form_kwargs(), "user": self.request.user, "school_id": school.pk if school else None}

    def form_valid(self, form):
        school = getattr(self.request, "school", None)
        if school is None:
            messages.error(self.request, "Choose a school first (the school switcher).")
            return redirect("sysadmin:routines")
        try:
            result = services.routines_load(actor=self.request.user, school=school, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return redirect("sysadmin:routines")
        messages.success(
            self.request, f"{len(result.created)} routine operations added; {len(result.kept)} were already there."
        )
        for note in result.notes:
            messages.warning(self.request, note)
        return redirect("sysadmin:routines")

    def form_invalid(self, form):
        for errors in form.errors.values():
            for error in errors:
                messages.error(self.request, error)
        return redirect("sysadmin:routines")


class ServerListView(OperationsAccessMixin, ScopedViewMixin, ListView):
    """The servers, each with its last logbook entry and how many entries it has."""

    model = ConfigurationItem
    template_name = "sysadmin/server_list.html"
    context_object_name = "servers"
    paginate_by = 50

    def get_queryset(self):
        entries = LogbookEntry.objects.visible_to(self.request.user)
        last = entries.filter(ci_id=OuterRef("pk")).order_by("-occurred_at", "-pk")
        queryset = super().get_queryset()
        return (
            queryset.filter(kind=Kind.SERVER)
            .select_related("school", "location")
            .annotate(
                last_entry_at=Subquery(last.values("occurred_at")[:1]),
                last_entry_text=Subquery(last.values("text")[:1]),
                entries=Subquery(
                    entries.filter(ci_id=OuterRef("pk")).order_by().values("ci_id").annotate(n=Count("pk")).values("n")
                ),
            )
            .order_by("school__name", "name", "pk")
        )


class LogbookView(OperationsAccessMixin, ScopedViewMixin, ListView):
    """A server's logbook, newest first, with the form to write in it."""

    model = LogbookEntry
    narrow_to_current_school = False
    template_name = "sysadmin/logbook.html"
    context_object_name = "entries"
    paginate_by = 50

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.server = get_object_or_404(
                ConfigurationItem.objects.visible_to(request.user).filter(kind=Kind.SERVER).select_related("school"),
                pk=kwargs["ci"],
            )
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return super().get_queryset().filter(ci=self.server).select_related("author", "task")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        can_write = access.can_keep_logbook.test(self.request.user, self.server)
        context.update(server=self.server, can_write=can_write, form=LogbookEntryForm() if can_write else None)
        return context


class LogbookAddView(OperationsAccessMixin, RecordActionView):
    model = ConfigurationItem
    form_class = LogbookEntryForm

    def get_queryset(self):
        return super().get_queryset().filter(kind=Kind.SERVER)

    def get_object(self, queryset=None):
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["ci"])

    def act(self, data: dict[str, Any]) -> None:
        services.logbook_add(actor=self.request.user, ci=self.object, **data)
        messages.success(self.request, "Written in the logbook.")

    def success_url(self) -> str:
        return reverse("sysadmin:logbook", kwargs={"ci": self.object.pk})


class RunBookListView(OperationsAccessMixin, ScopedViewMixin, ListView):
    model = RunBook
    template_name = "sysadmin/runbook_list.html"
    context_object_name = "run_books"
    paginate_by = 50

    def get_queryset(self):
        queryset = super().get_queryset()
        return (
            queryset.select_related("school", "service", "ci", "owner")
            .annotate(unreviewed=Count("versions", filter=Q(versions__reviewed_at__isnull=True)))
            .order_by("title", "pk")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        school = getattr(self.request, "school", None)
        context["today"] = timezone.localdate()
        context["can_write"] = access.here_or_anywhere(access.can_keep_logbook).test(self.request.user, school)
        return context


class RunBookDetailView(OperationsAccessMixin, ScopedViewMixin, DetailView):
    """A run book: its current procedures, who reviewed them and when, the earlier versions and its history."""

    model = RunBook
    narrow_to_current_school = False
    template_name = "sysadmin/runbook_detail.html"
    context_object_name = "run_book"

    def get_queryset(self):
        return super().get_queryset().select_related("school", "service", "ci", "owner")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        book, user = self.object, self.request.user
        versions = list(book.versions.select_related("written_by", "reviewed_by").order_by("-number")[:20])
        current = versions[0] if versions else None
        context.update(
            current=current,
            versions=versions,
            can_write=access.can_keep_logbook.test(user, book),
            can_review=access.can_review_run_book.test(user, book) and current is not None and not current.reviewed_at,
            review_overdue=bool(book.review_due and book.review_due < timezone.localdate()),
            timeline=timeline(book, include_internal=True),
        )
        return context


class RunBookCreateView(LoginRequiredMixin, OperationsAccessMixin, ServiceErrorMixin, FormView):
    form_class = RunBookForm
    template_name = "sysadmin/runbook_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "school": getattr(self.request, "school", None)}

    def get(self, request, *args, **kwargs):
        form = self.get_form()
        if not form.fields["school"].queryset.exists():
            messages.error(request, "Only technical staff write run books.")
            return redirect("sysadmin:runbooks")
        return self.render_to_response(self.get_context_data(form=form))

    def form_valid(self, form):
        try:
            book = services.run_book_create(actor=self.request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, "Run book written: the network manager reviews it.")
        return redirect(book)


class RunBookReviseView(OperationsAccessMixin, ScopedViewMixin, ServiceErrorMixin, FormView):
    model = RunBook
    narrow_to_current_school = False
    form_class = ProceduresForm
    template_name = "sysadmin/runbook_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.object = get_object_or_404(self.get_queryset().select_related("school"), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        if not access.can_keep_logbook.test(request.user, self.object):
            messages.info(request, "Only technical staff write run books.")
            return redirect(self.object)
        return super().get(request, *args, **kwargs)

    def get_initial(self):
        current = self.object.versions.order_by("-number").first()
        return {name: getattr(current, name) for name in services.PROCEDURE_FIELDS} if current else {}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "run_book": self.object}

    def form_valid(self, form):
        try:
            version = services.run_book_revise(actor=self.request.user, run_book=self.object, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, f"Version {version.number} written: it awaits review.")
        return redirect(self.object)


class RunBookReviewView(OperationsAccessMixin, RecordActionView):
    model = RunBook
    form_class = ReviewForm

    def act(self, data: dict[str, Any]) -> None:
        version = services.run_book_review(actor=self.request.user, run_book=self.object, note=data.get("note", ""))
        messages.success(self.request, f"Version {version.number} reviewed.")


def ci_logbook_tab(request, ci: ConfigurationItem) -> dict[str, Any]:
    """The context of the Logbook tab of a server's CMDB page: its latest entries and the form to write one.
    `tab_template` names the template cmdb's page includes."""
    user = request.user
    if not access.can_view_operations.test(user, ci):
        return {"tab_template": "sysadmin/ci_tab.html", "logbook_hidden": True}
    entries = LogbookEntry.objects.visible_to(user).filter(ci=ci).select_related("author", "task")
    can_write = access.can_keep_logbook.test(user, ci)
    return {
        "tab_template": "sysadmin/ci_tab.html",
        "logbook_entries": list(entries[:20]),
        "logbook_more": entries.count() > 20,
        "logbook_form": LogbookEntryForm() if can_write else None,
    }
