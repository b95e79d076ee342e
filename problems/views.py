"""Pages of Problem Management: the problem list, one problem, logging, links and known errors."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.views.generic import DetailView, FormView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from changes.models import RequestForChange
from changes.views import ChangeCreateView
from fits import access
from fits.activity import timeline
from fits.views import RecordActionView, ScopedViewMixin, ServiceErrorMixin
from incidents.models import Incident
from problems import services
from problems.filters import KnownErrorFilterSet, ProblemFilterSet
from problems.forms import (
    AssignForm,
    CommentForm,
    KnownErrorForm,
    LinkChangeForm,
    LinkIncidentForm,
    ProblemLogForm,
    TransitionForm,
    UnlinkIncidentForm,
)
from problems.models import KnownError, Problem
from problems.tables import KnownErrorTable, ProblemTable


class ProblemViewMixin(ScopedViewMixin):
    """Problem Management is for support staff: everyone else is answered 404, as if it were not there."""

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not access.here_or_anywhere(access.can_view_problem).test(user, None):
            raise Http404("Problem management is for the school's support staff.")
        return super().dispatch(request, *args, **kwargs)


class ProblemListView(ProblemViewMixin, SingleTableMixin, FilterView):
    model = Problem
    table_class = ProblemTable
    filterset_class = ProblemFilterSet
    template_name = "problems/problem_list.html"
    paginate_by = 25

    def get_queryset(self):
        return super().get_queryset().for_list()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_work"] = access.here_or_anywhere(access.can_work_problem).test(
            self.request.user, self.request.school
        )
        return context

    def get_table(self, **kwargs):
        table = super().get_table(**kwargs)
        if getattr(self.request, "school", None) is not None:
            table.exclude = ("school",)
        return table


class KnownErrorListView(ProblemViewMixin, SingleTableMixin, FilterView):
    """The known errors with their workarounds, searchable: what a technician looks up first."""

    model = KnownError
    table_class = KnownErrorTable
    filterset_class = KnownErrorFilterSet
    template_name = "problems/known_error_list.html"
    paginate_by = 25

    def get_queryset(self):
        return super().get_queryset().published().for_list()

    def get_table(self, **kwargs):
        table = super().get_table(**kwargs)
        if getattr(self.request, "school", None) is not None:
            table.exclude = ("school",)
        return table


class ProblemDetailView(ProblemViewMixin, DetailView):
    model = Problem
    narrow_to_current_school = False
    template_name = "problems/problem_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("school", "assignee", "logged_by", "ci")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        problem, user = self.object, self.request.user
        can_work = access.can_work_problem.test(user, problem)
        context.update(
            timeline=timeline(problem, include_internal=True),
            actions=Problem.WORKFLOW.available(user, problem),
            transition_form=TransitionForm(),
            # Through the incidents' own scoping: a safeguarding-flagged one stays hidden from whoever may not see it.
            linked_incidents=Incident.objects.visible_to(user)
            .filter(problems=problem)
            .select_related("assignee")
            .order_by("-created_at"),
            known_errors=problem.known_errors.select_related("recorded_by"),
            can_work=can_work,
            can_comment=access.can_view_problem.test(user, problem),
            comment_form=CommentForm(),
            # The permanent fix, through the changes' own scoping (support staff only).
            change=RequestForChange.objects.visible_to(user).filter(pk=problem.change_id).first()
            if problem.change_id
            else None,
            can_raise_change=can_work and access.can_raise_change.test(user, problem.school),
        )
        if can_work:
            context["link_change_form"] = LinkChangeForm(
                user=user, problem=problem, initial={"change": problem.change_id}
            )
        if can_work and problem.is_open:
            context["assign_form"] = AssignForm(user=user, problem=problem)
            context["link_form"] = LinkIncidentForm(user=user, problem=problem)
            context["known_error_form"] = KnownErrorForm()
        return context


class ProblemCreateView(LoginRequiredMixin, ServiceErrorMixin, FormView):
    form_class = ProblemLogForm
    template_name = "problems/problem_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "school": self.request.school}

    def get(self, request, *args, **kwargs):
        form = self.get_form()
        if not form.fields["school"].queryset.exists():
            messages.error(request, "You have no school where you can log problems.")
            return redirect("home")
        return self.render_to_response(self.get_context_data(form=form))

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            problem = services.problem_log(
                school=data["school"],
                logged_by=self.request.user,
                title=data["title"],
                description=data["description"],
                ci=data.get("ci"),
            )
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, f"{problem.reference} logged.")
        return redirect(problem)


class ProblemActionView(ProblemViewMixin, RecordActionView):
    """Base of the POST-only actions on one problem; subclasses define `act(cleaned_data)`."""

    model = Problem
    form_class: type = TransitionForm


class ProblemTransitionView(ProblemActionView):
    def act(self, data):
        problem = services.problem_transition(
            problem=self.object, action=self.kwargs["action"], actor=self.request.user, note=data["note"]
        )
        messages.success(self.request, f"{problem.reference} is now {problem.get_status_display().lower()}.")


class ProblemAssignView(ProblemActionView):
    def get_form(self):
        return AssignForm(self.request.POST, user=self.request.user, problem=self.object)

    def act(self, data):
        problem = services.problem_assign(
            problem=self.object, assignee=data["assignee"], actor=self.request.user, note=data["note"]
        )
        messages.success(self.request, f"{problem.reference} assigned to {problem.assignee or 'nobody'}.")


class ProblemCommentView(ProblemActionView):
    form_class = CommentForm

    def act(self, data):
        services.problem_comment(problem=self.object, author=self.request.user, text=data["text"])
        messages.success(self.request, "Investigation note added.")


class ProblemLinkIncidentView(ProblemActionView):
    def get_form(self):
        return LinkIncidentForm(self.request.POST, user=self.request.user, problem=self.object)

    def act(self, data):
        services.problem_link_incident(problem=self.object, incident=data["incident"], actor=self.request.user)
        messages.success(self.request, f"{data['incident'].reference} linked.")


class ProblemUnlinkIncidentView(ProblemActionView):
    def get_form(self):
        return UnlinkIncidentForm(self.request.POST, user=self.request.user)

    def act(self, data):
        services.problem_unlink_incident(problem=self.object, incident=data["incident"], actor=self.request.user)
        messages.success(self.request, f"{data['incident'].reference} unlinked.")


class ProblemLinkChangeView(ProblemActionView):
    def get_form(self):
        return LinkChangeForm(self.request.POST, user=self.request.user, problem=self.object)

    def act(self, data):
        problem = services.problem_link_change(problem=self.object, change=data["change"], actor=self.request.user)
        if problem.change:
            messages.success(self.request, f"{problem.change.reference} carries the permanent fix.")
        else:
            messages.success(self.request, "The change is unlinked.")


class ProblemRaiseChangeView(ChangeCreateView):
    """Raise a change for the problem's permanent fix: the raise form, prefilled from the problem, whose change
    is linked to it (problems.services.problem_raise_change)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)
        self.problem = get_object_or_404(
            Problem.objects.visible_to(request.user).select_related("school", "ci"), pk=kwargs["pk"]
        )
        if not access.can_raise_change.test(request.user, self.problem.school):
            messages.error(request, f"Only technicians and network managers of {self.problem.school} raise changes.")
            return redirect(self.problem)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "school": self.problem.school}

    def get_initial(self):
        problem = self.problem
        incidents = Incident.objects.visible_to(self.request.user).filter(problems=problem)
        return {
            "school": problem.school_id,
            "title": f"Permanent fix: {problem.title}"[:200],
            "reason": f"The permanent fix for problem {problem.reference}: {problem.title}."
            + (f"\nRoot cause: {problem.root_cause}" if problem.root_cause else ""),
            "cis": [problem.ci_id] if problem.ci_id else [],
            "incidents": list(incidents.values_list("pk", flat=True)),
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(problem=self.problem, **kwargs)

    def create(self, **fields):
        school = fields.pop("school")
        if school.pk != self.problem.school_id:
            raise ValidationError(f"A change for {self.problem.reference} is raised at {self.problem.school}.")
        return services.problem_raise_change(problem=self.problem, actor=self.request.user, **fields)


class KnownErrorCreateView(ProblemActionView):
    form_class = KnownErrorForm

    def act(self, data):
        services.known_error_record(problem=self.object, actor=self.request.user, **data)
        messages.success(self.request, "Known error recorded.")
