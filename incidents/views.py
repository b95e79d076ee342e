"""Pages of Incident Management: thin views that parse, call a service, and render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.views.generic import DetailView, FormView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from fits import access
from fits.activity import timeline
from fits.views import RecordActionView, ScopedViewMixin, ServiceErrorMixin
from incidents import services
from incidents.filters import IncidentFilterSet
from incidents.forms import AssignForm, CommentForm, IncidentLogForm, TransitionForm
from incidents.models import Incident
from incidents.tables import IncidentTable


class IncidentListView(ScopedViewMixin, SingleTableMixin, FilterView):
    """The queue: every incident the user may see at the current school, filtered and sorted."""

    model = Incident
    table_class = IncidentTable
    filterset_class = IncidentFilterSet
    template_name = "incidents/incident_list.html"
    paginate_by = 25

    def get_queryset(self):
        return super().get_queryset().for_list()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_work"] = access.here_or_anywhere(access.can_route_incident).test(
            self.request.user, self.request.school
        )
        return context

    def get_table(self, **kwargs):
        table = super().get_table(**kwargs)
        if getattr(self.request, "school", None) is not None:
            table.exclude = ("school",)
        return table


class IncidentDetailView(ScopedViewMixin, DetailView):
    model = Incident
    narrow_to_current_school = False
    template_name = "incidents/incident_detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("school", "reporter", "assignee", "logged_by", "ci")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        incident, user = self.object, self.request.user
        staff = access.can_see_internal_notes.test(user, incident)
        context.update(
            timeline=timeline(incident, include_internal=staff),
            actions=Incident.WORKFLOW.available(user, incident),
            transition_form=TransitionForm(),
            can_route=incident.is_open and access.can_route_incident.test(user, incident),
            can_comment=access.can_comment_incident.test(user, incident),
            comment_form=CommentForm(),
            staff=staff,
        )
        if context["can_route"]:
            context["assign_form"] = AssignForm(user=user, incident=incident)
        return context


class IncidentCreateView(LoginRequiredMixin, ServiceErrorMixin, FormView):
    """Log an incident: the user's own, or a call the desk takes for someone else."""

    form_class = IncidentLogForm
    template_name = "incidents/incident_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "school": self.request.school}

    def get(self, request, *args, **kwargs):
        form = self.get_form()
        if not form.fields["school"].queryset.exists():
            messages.error(request, "You have no school where you can log incidents.")
            return redirect("home")
        return self.render_to_response(self.get_context_data(form=form))

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            incident = services.incident_log(
                school=data["school"],
                logged_by=self.request.user,
                reporter=data.get("reporter"),
                channel=data.get("channel") or "portal",
                title=data["title"],
                description=data["description"],
                room=data["room"],
                ci=data.get("ci"),
                impact=data["impact"],
                urgency=data["urgency"],
            )
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, f"{incident.reference} logged. We will keep you informed here and by e-mail.")
        return redirect(incident)


class IncidentActionView(RecordActionView):
    """Base of the POST-only actions on one incident; subclasses define `act(cleaned_data)`."""

    model = Incident
    form_class: type = TransitionForm


class IncidentTransitionView(IncidentActionView):
    def act(self, data):
        action = self.kwargs["action"]
        incident = services.incident_transition(
            incident=self.object, action=action, actor=self.request.user, note=data["note"]
        )
        messages.success(self.request, f"{incident.reference} is now {incident.get_status_display().lower()}.")


class IncidentAssignView(IncidentActionView):
    form_class = AssignForm

    def get_form(self):
        return AssignForm(self.request.POST, user=self.request.user, incident=self.object)

    def act(self, data):
        incident = services.incident_assign(
            incident=self.object, assignee=data["assignee"], actor=self.request.user, note=data["note"]
        )
        who = incident.assignee or "the unassigned queue"
        messages.success(self.request, f"{incident.reference} assigned to {who}.")


class IncidentCommentView(IncidentActionView):
    form_class = CommentForm

    def act(self, data):
        public = data["public"] or not access.can_see_internal_notes.test(self.request.user, self.object)
        services.incident_comment(incident=self.object, author=self.request.user, text=data["text"], public=public)
        messages.success(self.request, "Comment added." if public else "Internal note added.")
