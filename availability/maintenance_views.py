"""Pages of preventative maintenance: the schedules (overdue ones first), one schedule with its coming dates and the
tasks it raised, creating and editing one. Every change goes through availability/maintenance.py."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import BooleanField, Case, OuterRef, Q, Subquery, Value, When
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import DetailView, FormView, ListView

from availability import maintenance
from availability.maintenance_forms import MaintenanceScheduleForm
from availability.models import MaintenanceSchedule
from fits import access
from fits.activity import timeline
from fits.views import RecordActionView, ScopedViewMixin, ServiceErrorMixin
from incidents.models import OPEN_TASK_STATUSES, Task


class MaintenanceAccessMixin:
    """Maintenance is support staff's business: everyone else is answered 404, as if it were not there."""

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not access.here_or_anywhere(access.can_view_monitoring).test(user, None):
            raise Http404("Preventative maintenance is for the school's support staff.")
        return super().dispatch(request, *args, **kwargs)


class MaintenanceViewMixin(MaintenanceAccessMixin, ScopedViewMixin):
    model = MaintenanceSchedule


def _tasks_of_schedules(user) -> Any:
    """The tasks raised by maintenance schedules that `user` may see (joined to a schedule by OuterRef)."""
    schedule_type = ContentType.objects.get_for_model(MaintenanceSchedule)
    return Task.objects.visible_to(user).filter(source_type=schedule_type, source_id=OuterRef("pk"))


class MaintenanceListView(MaintenanceViewMixin, ListView):
    """The schedules with their next due date and their last task's state; overdue ones first, then the active
    ones by next due date, then the paused ones."""

    template_name = "availability/maintenance_list.html"
    context_object_name = "schedules"
    paginate_by = 25

    def get_queryset(self):
        today = timezone.localdate()
        last = _tasks_of_schedules(self.request.user).order_by("-due_on", "-pk")
        schedules = super().get_queryset().filter(function="")  # routine operations are on their OM function's pages
        return (
            schedules.select_related("school", "ci", "location", "assignee", "group")
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
        school = getattr(self.request, "school", None)
        context["can_manage"] = access.here_or_anywhere(access.can_manage_monitoring).test(self.request.user, school)
        labels = dict(Task._meta.get_field("status").choices)
        for schedule in context["schedules"]:
            schedule.last_task_label = labels.get(schedule.last_task_status, "")
        return context


class MaintenanceDetailView(MaintenanceViewMixin, DetailView):
    """A schedule: the plan, the next dates (nominal and when due), and each task it raised, done on time or not."""

    narrow_to_current_school = False
    template_name = "availability/maintenance_detail.html"
    context_object_name = "schedule"

    def get_queryset(self):
        return super().get_queryset().select_related("school", "ci", "location", "assignee", "group")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        schedule, user = self.object, self.request.user
        schedule_type = ContentType.objects.get_for_model(MaintenanceSchedule)
        tasks = list(
            Task.objects.visible_to(user)
            .filter(source_type=schedule_type, source_id=schedule.pk)
            .select_related("assignee", "completed_by")
            .order_by("-due_on", "-pk")[:50]
        )
        today = timezone.localdate()
        for task in tasks:
            task.on_time = bool(
                task.completed_at and task.due_on and timezone.localdate(task.completed_at) <= task.due_on
            )
            task.overdue = task.is_open and task.due_on is not None and task.due_on < today
        context.update(
            upcoming=maintenance.upcoming(schedule, count=5) if schedule.is_active else [],
            tasks=tasks,
            checklist=maintenance.checklist_lines(schedule),
            devices=list(maintenance.devices_of(schedule)[:100]) if schedule.ci_kind else [],
            can_manage=access.can_manage_monitoring.test(user, schedule),
            timeline=timeline(schedule, include_internal=True),
        )
        return context


class MaintenanceCreateView(LoginRequiredMixin, MaintenanceAccessMixin, ServiceErrorMixin, FormView):
    form_class = MaintenanceScheduleForm
    template_name = "availability/maintenance_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "school": getattr(self.request, "school", None)}

    def get(self, request, *args, **kwargs):
        form = self.get_form()
        if not form.fields["school"].queryset.exists():
            messages.error(request, "You have no school where you can plan maintenance.")
            return redirect("availability:maintenance_list")
        return self.render_to_response(self.get_context_data(form=form))

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        try:
            schedule = maintenance.schedule_save(actor=self.request.user, **data)
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, f"Scheduled: first due {schedule.next_due:%a %d %b %Y}.")
        return redirect(schedule)


class MaintenanceUpdateView(MaintenanceViewMixin, ServiceErrorMixin, FormView):
    narrow_to_current_school = False
    form_class = MaintenanceScheduleForm
    template_name = "availability/maintenance_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.object = get_object_or_404(self.get_queryset().select_related("school"), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        if not access.can_manage_monitoring.test(request.user, self.object):
            messages.info(request, "Only technicians and the network manager change maintenance schedules.")
            return redirect(self.object)
        return super().get(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = {**super().get_form_kwargs(), "user": self.request.user, "schedule": self.object}
        if self.request.method == "GET":
            kwargs["initial"] = {name: getattr(self.object, name) for name in maintenance.SCHEDULE_FIELDS}
        return kwargs

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "schedule": self.object}

    def form_valid(self, form):
        try:
            maintenance.schedule_save(actor=self.request.user, schedule=self.object, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, "Schedule saved.")
        return redirect(self.object)


class MaintenanceActionView(MaintenanceAccessMixin, RecordActionView):
    model = MaintenanceSchedule


class MaintenancePauseView(MaintenanceActionView):
    def act(self, data: dict[str, Any]) -> None:
        maintenance.schedule_pause(schedule=self.object, actor=self.request.user)
        messages.success(self.request, "Paused: no tasks are raised until it is resumed.")


class MaintenanceResumeView(MaintenanceActionView):
    def act(self, data: dict[str, Any]) -> None:
        schedule = maintenance.schedule_resume(schedule=self.object, actor=self.request.user)
        messages.success(self.request, f"Resumed: next due {schedule.next_due:%a %d %b %Y}.")


class MaintenanceDeleteView(MaintenanceActionView):
    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        try:
            maintenance.schedule_delete(schedule=self.object, actor=request.user)
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return HttpResponseRedirect(self.object.get_absolute_url())
        messages.success(request, f"Deleted “{self.object.title}”. The tasks it raised are kept.")
        return HttpResponseRedirect(reverse("availability:maintenance_list"))
