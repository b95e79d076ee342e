"""Pages of the service catalogue: request something, approve requests, work their tasks, keep the catalogue.

Thin views: they parse, call a service in servicedesk.services, and render. A request's own page
is its ticket's (incidents' detail page), which shows the request's sections through the
`request_sections` template tag.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import ListView, TemplateView, View
from django.views.generic.detail import SingleObjectMixin
from django_htmx.http import HttpResponseClientRefresh

from fits import access
from fits.views import ScopedViewMixin, ServiceErrorMixin
from incidents.models import Channel, Incident, Status
from servicedesk import services
from servicedesk.catalogue_forms import (
    DecisionForm,
    OnBehalfForm,
    QuestionFormSet,
    RequestForm,
    RequestTypeForm,
    TaskAddForm,
    TaskAssignForm,
    TaskFormSet,
    TaskNoteForm,
    attach_question_errors,
    question_initial,
    questions_of,
    task_initial,
    tasks_of,
)
from servicedesk.catalogue_panel import request_panel_context
from servicedesk.models import Approver, FulfilmentTask, RequestType, ServiceRequest

# =============================================================================
# Request something
# =============================================================================


class CatalogueView(ScopedViewMixin, ListView):
    """The catalogue for everyone: what you can ask for at your school, grouped by category, searchable."""

    model = RequestType
    template_name = "servicedesk/catalogue/index.html"
    context_object_name = "items"
    paginate_by = 60

    def get_queryset(self):
        items = super().get_queryset().active().for_list()
        query = self.request.GET.get("q", "").strip()
        if query:
            items = items.search(query)
        # Grouped by the top of the category tree ("Requests", "Hardware"), items without one last.
        group = Coalesce("category__parent__name", "category__name")
        return items.annotate(group=group).order_by(F("group").asc(nulls_last=True), "name", "school__name")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, school = self.request.user, self.request.school
        context.update(
            q=self.request.GET.get("q", "").strip(),
            can_manage=access.here_or_anywhere(access.can_manage_catalogue).test(user, school),
            show_school=school is None and len(user.visible_school_ids) > 1,
        )
        return context


class RequestCreateView(ScopedViewMixin, ServiceErrorMixin, SingleObjectMixin, TemplateView):
    """The form of one catalogue item, built from its questions; the desk may fill it in for a caller."""

    model = RequestType
    narrow_to_current_school = False
    template_name = "servicedesk/catalogue/request_form.html"
    context_object_name = "request_type"

    def get_queryset(self):
        return super().get_queryset().active().select_related("school")

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            self.object = self.get_object()
        return super().dispatch(request, *args, **kwargs)

    def forms(self) -> tuple[RequestForm, OnBehalfForm | None]:
        data = self.request.POST if self.request.method == "POST" else None
        form = RequestForm(data, request_type=self.object)
        caller = None
        if access.can_log_for_others.test(self.request.user, self.object.school):
            caller = OnBehalfForm(data, user=self.request.user, school=self.object.school)
        return form, caller

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form, caller = self.forms()
        return self.render_to_response(self.get_context_data(form=form, caller_form=caller))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form, caller = self.forms()
        if form.is_valid() and (caller is None or caller.is_valid()):
            reporter = caller.cleaned_data["reporter"] if caller else None
            try:
                service_request = services.request_log(
                    school=self.object.school,
                    logged_by=request.user,
                    request_type=self.object,
                    answers=form.answers,
                    reporter=reporter,
                    channel=caller.cleaned_data["channel"] if reporter else Channel.PORTAL,
                )
            except ValidationError as error:
                self.show_errors(error, form, caller)
            except PermissionDenied as error:
                self.report_service_error(error)
            else:
                return self.logged(service_request)
        return self.render_to_response(self.get_context_data(form=form, caller_form=caller))

    def show_errors(self, error: ValidationError, form: RequestForm, caller: OnBehalfForm | None) -> None:
        if not hasattr(error, "error_dict"):
            form.add_error(None, error)
            return
        for name, messages_ in error.message_dict.items():
            if name in form.fields:
                form.add_error(name, messages_)
            elif caller is not None and name == "reporter":
                caller.add_error("reporter", messages_)
            else:
                form.add_error(None, messages_)

    def logged(self, service_request: ServiceRequest) -> HttpResponse:
        ticket = service_request.ticket
        if ticket.status == Status.PENDING_APPROVAL:
            who = Approver(self.object.approver).label.lower()
            text = f"{ticket.reference} logged. It waits for approval by {who}; you will hear when it is decided."
        else:
            text = f"{ticket.reference} logged. The service desk will keep you informed here and by e-mail."
        messages.success(self.request, text)
        return redirect(ticket)


# =============================================================================
# Approvals
# =============================================================================


class ApprovalListView(ScopedViewMixin, ListView):
    """Requests awaiting my approval: at the schools where I hold the role their item names, never my own."""

    model = ServiceRequest
    template_name = "servicedesk/catalogue/approvals.html"
    context_object_name = "waiting"
    paginate_by = 25

    def get_queryset(self):
        waiting = super().get_queryset().awaiting_decision_by(self.request.user)
        return waiting.for_list().order_by("ticket__created_at", "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["may_approve"] = access.here_or_anywhere(access.may_approve_requests).test(
            self.request.user, self.request.school
        )
        return context


def safe_next(request: HttpRequest, fallback: str) -> str:
    """Where to go back to after an action: the page it was taken from, if it is ours."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


class RequestDecisionView(ScopedViewMixin, ServiceErrorMixin, SingleObjectMixin, View):
    """POST: approve or decline a request (the decline says why)."""

    model = ServiceRequest
    narrow_to_current_school = False
    decision = "approve"

    def get_queryset(self):
        return super().get_queryset().select_related("ticket", "request_type")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.object = self.get_object()
        form = DecisionForm(request.POST)
        comment = form.cleaned_data["comment"] if form.is_valid() else ""
        decide = services.request_approve if self.decision == "approve" else services.request_decline
        try:
            service_request = decide(service_request=self.object, actor=request.user, comment=comment)
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
        else:
            ticket = service_request.ticket
            done = "approved: it joins the queue" if self.decision == "approve" else "declined: the requester is told"
            messages.success(request, f"{ticket.reference} {done}.")
        return HttpResponseRedirect(safe_next(request, self.object.ticket.get_absolute_url()))


# =============================================================================
# Fulfilment tasks (htmx: the buttons swap the task list in place)
# =============================================================================


class TaskActionBase(ScopedViewMixin, ServiceErrorMixin, SingleObjectMixin, View):
    """Base of the POST actions on a request's tasks: call the service, then show the sections again
    (in place for htmx, by reloading the page when the ticket's status moved, else by redirecting)."""

    narrow_to_current_school = False

    def ticket_of(self, obj: Any) -> Incident:
        return obj.ticket

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.object = self.get_object()
        ticket = self.ticket_of(self.object)
        before = ticket.status
        try:
            self.act()
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
        if not request.htmx:
            return HttpResponseRedirect(ticket.get_absolute_url())
        ticket = Incident.objects.visible_to(request.user).select_related("school").get(pk=ticket.pk)
        if ticket.status != before:  # resolved as fulfilled, or reopened: the whole page changes
            return HttpResponseClientRefresh()
        context = request_panel_context(ticket, request.user)
        return render(request, "servicedesk/catalogue/_tasks.html", context)

    def act(self) -> None:
        raise NotImplementedError


class TaskView(TaskActionBase):
    model = FulfilmentTask

    def get_queryset(self):
        return super().get_queryset().select_related("ticket")


class TaskCompleteView(TaskView):
    def act(self) -> None:
        form = TaskNoteForm(self.request.POST)
        note = form.cleaned_data["note"] if form.is_valid() else ""
        task = services.task_complete(task=self.object, actor=self.request.user, note=note)
        if task.ticket.status == Status.RESOLVED:
            messages.success(
                self.request, f"“{task}” done: that was the last task, so {task.ticket.reference} is resolved."
            )
        else:
            messages.success(self.request, f"“{task}” done.")


class TaskReopenView(TaskView):
    def act(self) -> None:
        form = TaskNoteForm(self.request.POST)
        note = form.cleaned_data["note"] if form.is_valid() else ""
        task = services.task_reopen(task=self.object, actor=self.request.user, note=note)
        messages.success(self.request, f"“{task}” is to do again.")


class TaskAssignView(TaskView):
    def act(self) -> None:
        form = TaskAssignForm(self.request.POST, user=self.request.user, ticket=self.object.ticket)
        if not form.is_valid():
            raise ValidationError(form.errors["assignee"])
        task = services.task_assign(task=self.object, actor=self.request.user, assignee=form.cleaned_data["assignee"])
        messages.success(self.request, f"“{task}” given to {task.assignee or 'nobody'}.")


class TaskAddView(TaskActionBase):
    model = ServiceRequest

    def get_queryset(self):
        return super().get_queryset().select_related("ticket")

    def act(self) -> None:
        form = TaskAddForm(self.request.POST, user=self.request.user, ticket=self.object.ticket)
        if not form.is_valid():
            raise ValidationError([error for errors in form.errors.values() for error in errors])
        task = services.task_add(
            service_request=self.object,
            actor=self.request.user,
            title=form.cleaned_data["title"],
            assignee=form.cleaned_data["assignee"],
        )
        messages.success(self.request, f"Task “{task}” added.")


# =============================================================================
# The catalogue editor
# =============================================================================


class RequestTypeListView(ScopedViewMixin, ListView):
    """The school's catalogue as its keepers see it: every item, retired ones too, with how often it is asked for."""

    model = RequestType
    template_name = "servicedesk/catalogue/type_list.html"
    context_object_name = "items"
    paginate_by = 50

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not access.here_or_anywhere(access.can_view_catalogue_settings).test(
            request.user, request.school
        ):
            raise PermissionDenied("The catalogue's settings are for support staff: see Request something.")
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        items = super().get_queryset().for_list().annotate(times_requested=Count("requests"))
        return items.order_by("-is_active", "name", "school__name")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, school = self.request.user, self.request.school
        context["can_manage"] = access.here_or_anywhere(access.can_manage_catalogue).test(user, school)
        context["show_school"] = school is None and len(user.visible_school_ids) > 1
        return context


class RequestTypeEditorMixin(ServiceErrorMixin):
    """The editor: the item's settings, its questions and its tasks, with a live preview of the form."""

    template_name = "servicedesk/catalogue/type_form.html"
    editing: RequestType | None = None

    def school_for_rows(self, form: RequestTypeForm) -> Any:
        if self.editing is not None:
            return self.editing.school
        if form.is_bound and form.is_valid():
            return form.cleaned_data["school"]
        return form.school

    def build(self, data: Any = None, initial: dict | None = None, questions=None, tasks=None):
        form = RequestTypeForm(data, user=self.request.user, school=self.request.school, editing=self.editing,
                               initial=initial)  # fmt: skip
        school = self.school_for_rows(form)
        question_rows = QuestionFormSet(data, prefix="questions", initial=questions)
        task_rows = TaskFormSet(
            data, prefix="tasks", initial=tasks, form_kwargs={"user": self.request.user, "school": school}
        )
        return form, question_rows, task_rows

    def render_editor(self, form, question_rows, task_rows, problems=()) -> HttpResponse:
        context = {
            "form": form,
            "questions": question_rows,
            "tasks": task_rows,
            "problems": list(problems),
            "item": self.editing,
            "field_types": services.FieldType.choices,
        }
        return render(self.request, self.template_name, context)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form, question_rows, task_rows = self.build(request.POST)
        problems: list[str] = []
        valid = all([form.is_valid(), question_rows.is_valid(), task_rows.is_valid()])
        if not valid:
            problems += question_rows.non_form_errors() + task_rows.non_form_errors()
            return self.render_editor(form, question_rows, task_rows, problems)
        questions, rows = questions_of(question_rows)
        values = {name: value for name, value in form.cleaned_data.items() if name != "school"}
        values.update(fields=questions, tasks=tasks_of(task_rows), approver=values["approver"] or "")
        try:
            item = self.write(form, values)
        except PermissionDenied as error:
            self.report_service_error(error)
        except ValidationError as error:
            for name, messages_ in error.message_dict.items() if hasattr(error, "error_dict") else []:
                if name == "fields":
                    problems += attach_question_errors(error, rows)
                elif name == "tasks":
                    problems += messages_
                elif name in form.fields:
                    form.add_error(name, messages_)
                else:
                    problems += messages_
            if not hasattr(error, "error_dict"):
                problems += error.messages
        else:
            messages.success(
                request, f"“{item}” saved. {'It is in' if item.is_active else 'It is retired from'} the catalogue."
            )
            return redirect("catalogue:type_list")
        return self.render_editor(form, question_rows, task_rows, problems)

    def write(self, form: RequestTypeForm, values: dict[str, Any]) -> RequestType:
        raise NotImplementedError


class RequestTypeCreateView(LoginRequiredMixin, RequestTypeEditorMixin, View):
    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form, question_rows, task_rows = self.build()
        if not form.has_schools:
            raise PermissionDenied("The service desk and technicians keep the catalogue.")
        return self.render_editor(form, question_rows, task_rows)

    def write(self, form: RequestTypeForm, values: dict[str, Any]) -> RequestType:
        return services.request_type_create(school=form.cleaned_data["school"], actor=self.request.user, **values)


class RequestTypeEditView(ScopedViewMixin, RequestTypeEditorMixin, SingleObjectMixin, View):
    model = RequestType
    narrow_to_current_school = False

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            self.editing = self.object = self.get_object()
            if not access.can_manage_catalogue.test(request.user, self.object):
                raise PermissionDenied("The service desk and technicians keep the catalogue.")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        item = self.object
        editable = ("name", "summary", "staff_only", "needs_approval", "approver", "response_hours", "fulfil_days",
                    "handler")  # fmt: skip
        initial = {name: getattr(item, name) for name in editable}
        initial["category"] = item.category_id
        form, question_rows, task_rows = self.build(
            initial=initial, questions=question_initial(item.fields), tasks=task_initial(item.tasks)
        )
        return self.render_editor(form, question_rows, task_rows)

    def write(self, form: RequestTypeForm, values: dict[str, Any]) -> RequestType:
        return services.request_type_update(request_type=self.object, actor=self.request.user, **values)


class RequestTypePreviewView(LoginRequiredMixin, View):
    """htmx: the request form as users will see it, drawn from the editor's unsaved questions."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not access.here_or_anywhere(access.can_manage_catalogue).test(request.user, request.school):
            raise PermissionDenied("The service desk and technicians keep the catalogue.")
        rows = QuestionFormSet(request.POST, prefix="questions")
        context: dict[str, Any] = {"name": request.POST.get("name", "").strip() or "New item", "problems": []}
        if not rows.is_valid():
            context["problems"] = ["Some questions are not complete yet."]
        else:
            questions, _ = questions_of(rows)
            try:
                fields = services.request_type_fields_clean(questions)
            except ValidationError as error:
                context["problems"] = [item.messages[0] for item in error.error_dict["fields"]]
            else:
                item = RequestType(name=context["name"], fields=fields)
                context["form"] = RequestForm(request_type=item, auto_id="preview_%s")
        return render(request, "servicedesk/catalogue/_preview.html", context)


class RequestTypeStateView(ScopedViewMixin, ServiceErrorMixin, SingleObjectMixin, View):
    """POST: retire an item from the catalogue, or offer it again."""

    model = RequestType
    narrow_to_current_school = False
    retire = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.object = self.get_object()
        change = services.request_type_retire if self.retire else services.request_type_reinstate
        try:
            item = change(request_type=self.object, actor=request.user)
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
        else:
            done = "retired: nobody can request it now" if self.retire else "back in the catalogue"
            messages.success(request, f"“{item}” {done}.")
        return redirect("catalogue:type_list")
