"""Pages of tasks (planned work): the list, a task with its checklist and timeline, raising and editing one.

The checklist's tick boxes post with htmx and swap the checklist in place; without JavaScript they are plain forms
that post and come back to the task. Every change goes through incidents.task_services.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.generic import DetailView, FormView, ListView

from fits import access
from fits.activity import timeline
from fits.views import RecordActionView, ScopedViewMixin, ServiceErrorMixin
from incidents import task_services
from incidents.models import OPEN_TASK_STATUSES, Task, TaskStep
from incidents.task_forms import TaskAssignForm, TaskFilterForm, TaskForm, TaskNoteForm, TaskStepForm


class TaskAccessMixin:
    """Tasks are support staff's work: everyone else is answered 404, as if the pages were not there."""

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not access.here_or_anywhere(access.can_view_task).test(user, None):
            raise Http404("Tasks are for the school's support staff.")
        return super().dispatch(request, *args, **kwargs)


class TaskViewMixin(TaskAccessMixin, ScopedViewMixin):
    model = Task


def _can_work_here(request) -> bool:
    return access.here_or_anywhere(access.can_work_task).test(request.user, getattr(request, "school", None))


class TaskListView(TaskViewMixin, ListView):
    """Open tasks, due soonest first (undated last): mine, nobody's, overdue, by status and by what raised them."""

    template_name = "incidents/task_list.html"
    context_object_name = "tasks"
    paginate_by = 25

    def get_queryset(self):
        queryset = super().get_queryset().for_list()
        self.filter_form = TaskFilterForm(self.request.GET or None)
        data = self.filter_form.cleaned_data if self.filter_form.is_valid() else {}
        status = data.get("status") or "open"
        if status == "open":
            queryset = queryset.filter(status__in=OPEN_TASK_STATUSES)
        elif status != "all":
            queryset = queryset.filter(status=status)
        show, today = data.get("show"), timezone.localdate()
        if show == "mine":
            queryset = queryset.filter(assignee=self.request.user)
        elif show == "unassigned":
            queryset = queryset.filter(assignee__isnull=True)
        elif show == "overdue":
            queryset = queryset.filter(status__in=OPEN_TASK_STATUSES, due_on__lt=today)
        if data.get("origin"):
            queryset = queryset.filter(origin=data["origin"])
        if data.get("q"):
            queryset = queryset.filter(Q(reference__icontains=data["q"]) | Q(title__icontains=data["q"]))
        return queryset.order_by(F("due_on").asc(nulls_last=True), "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            filter_form=self.filter_form,
            can_work=_can_work_here(self.request),
            today=timezone.localdate(),
            open_statuses=OPEN_TASK_STATUSES,
        )
        return context


def _source_of(task: Task, user) -> Any:
    """The record that raised the task (a maintenance schedule, a capacity alert), if the viewer may see it."""
    if not task.source_type_id or not task.source_id:
        return None
    model = ContentType.objects.get_for_id(task.source_type_id).model_class()
    manager = getattr(model, "objects", None) if model is not None else None
    if manager is None or not hasattr(manager, "visible_to"):
        return None
    return manager.visible_to(user).filter(pk=task.source_id).first()


def checklist_context(task: Task, user) -> dict[str, Any]:
    steps = list(TaskStep.objects.visible_to(user).filter(task=task).select_related("done_by"))
    done = sum(1 for step in steps if step.is_done)
    return {
        "task": task,
        "steps": steps,
        "steps_done": done,
        "can_tick": task.is_open and access.can_work_task.test(user, task),
    }


class TaskDetailView(TaskViewMixin, DetailView):
    narrow_to_current_school = False
    template_name = "incidents/task_detail.html"
    context_object_name = "task"

    def get_queryset(self):
        return super().get_queryset().select_related("school", "ci", "location__parent__parent", "group", "assignee")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        task, user = self.object, self.request.user
        can_work = access.can_work_task.test(user, task)
        available = Task.WORKFLOW.available(user, task)
        context.update(checklist_context(task, user))
        context.update(
            can_work=can_work,
            actions=available,
            source=_source_of(task, user),
            timeline=timeline(task, include_internal=True),
            overdue=task.is_open and task.due_on is not None and task.due_on < timezone.localdate(),
        )
        if can_work and task.is_open:
            context["assign_form"] = TaskAssignForm(user=user, task=task, auto_id="assign_%s")
        return context


class TaskCreateView(LoginRequiredMixin, TaskAccessMixin, ServiceErrorMixin, FormView):
    """Raise a task by hand, with its checklist."""

    form_class = TaskForm
    template_name = "incidents/task_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "school": getattr(self.request, "school", None)}

    def get(self, request, *args, **kwargs):
        form = self.get_form()
        if not form.fields["school"].queryset.exists():
            messages.error(request, "You have no school where you can raise tasks.")
            return redirect("incidents:task_list")
        return self.render_to_response(self.get_context_data(form=form))

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        steps = (data.pop("steps") or "").splitlines()
        try:
            task = task_services.task_raise(actor=self.request.user, steps=steps, **data)
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, f"{task.reference} raised.")
        return redirect(task)


class TaskEditView(TaskViewMixin, ServiceErrorMixin, FormView):
    """Change an open task's title, description, due date, device or room."""

    narrow_to_current_school = False
    form_class = TaskForm
    template_name = "incidents/task_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.object = get_object_or_404(self.get_queryset().select_related("school"), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = {**super().get_form_kwargs(), "user": self.request.user, "task": self.object}
        if self.request.method == "GET":
            kwargs["initial"] = {name: getattr(self.object, name) for name in task_services.EDITABLE_FIELDS}
        return kwargs

    def get(self, request, *args, **kwargs):
        if not (self.object.is_open and access.can_work_task.test(request.user, self.object)):
            messages.info(request, f"{self.object.reference} cannot be changed now.")
            return redirect(self.object)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "task": self.object}

    def form_valid(self, form):
        try:
            task_services.task_update(task=self.object, actor=self.request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, f"{self.object.reference} saved.")
        return redirect(self.object)


class TaskActionView(TaskAccessMixin, RecordActionView):
    model = Task


class TaskAssignView(TaskActionView):
    def get_form(self):
        return TaskAssignForm(self.request.POST, user=self.request.user, task=self.object)

    def act(self, data: dict[str, Any]) -> None:
        task_services.task_assign(
            task=self.object, assignee=data["assignee"], group=data["group"], actor=self.request.user
        )


class TaskTransitionView(TaskActionView):
    """Start, complete (with the evidence), cancel (with the reason) or reopen a task."""

    form_class = TaskNoteForm

    def act(self, data: dict[str, Any]) -> None:
        task = task_services.task_act(
            task=self.object, action=self.kwargs["action"], actor=self.request.user, note=data["note"]
        )
        messages.success(self.request, f"{task.reference} is {task.get_status_display().lower()}.")


class TaskStepView(TaskViewMixin, ServiceErrorMixin, DetailView):
    """Tick or untick one checklist line. htmx swaps the checklist in place; a plain post comes back to the task."""

    narrow_to_current_school = False
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        self.object = task = self.get_object()
        step = get_object_or_404(TaskStep.objects.visible_to(request.user).filter(task=task), pk=kwargs["step"])
        form = TaskStepForm(request.POST)
        if form.is_valid():
            try:
                task_services.task_step_set(step=step, done=form.cleaned_data["done"], actor=request.user,
                                            note=form.cleaned_data["note"])  # fmt: skip
            except (ValidationError, PermissionDenied) as error:
                self.report_service_error(error)
        if not request.htmx:
            return HttpResponseRedirect(f"{task.get_absolute_url()}#checklist")
        task = self.get_queryset().get(pk=task.pk)
        return render(request, "incidents/task_checklist.html", checklist_context(task, request.user))
