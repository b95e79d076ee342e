"""Pages of Incident Management: thin views that parse, call a service, and render."""

from __future__ import annotations

from django.contrib import messages
from django.views.generic import DetailView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from fits import access
from fits.activity import timeline
from fits.pagination import PageByIds, capped_length
from fits.views import RecordActionView, ScopedViewMixin
from incidents import portal_views, selectors, services, work_views
from incidents.filters import IncidentFilterSet
from incidents.forms import AssignForm, CommentForm, TransitionForm
from incidents.models import Incident
from incidents.tables import IncidentTable


class IncidentListView(ScopedViewMixin, SingleTableMixin, FilterView):
    """The queue: every incident the user may see at the current school, filtered and sorted."""

    model = Incident
    table_class = IncidentTable
    filterset_class = IncidentFilterSet
    template_name = "incidents/incident_list.html"
    paginate_by = 25
    paginator_class = PageByIds
    count_shown = ""

    def get_queryset(self):
        from servicelevels.sla import with_due_state

        return with_due_state(super().get_queryset().for_list())

    def paginate_queryset(self, queryset, page_size):
        # The table pages and counts the rows; the list view's own paginator would count them all again.
        return None, None, queryset, False

    def get_table_pagination(self, table):
        paginate = super().get_table_pagination(table)
        self.count_shown = capped_length(
            table, page=self.request.GET.get("page"), per_page=self.request.GET.get("per_page") or self.paginate_by
        )
        return paginate

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_work"] = access.here_or_anywhere(access.can_route_incident).test(
            self.request.user, self.request.school
        )
        context["count_shown"] = self.count_shown
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
        return selectors.for_detail(super().get_queryset(), self.request.user)

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
        # Every choice list the page's forms offer, in one read (support groups serve two forms).
        choices = work_views.form_choices_for(user, incident, assign=context["can_route"])
        if context["can_route"]:
            context["assign_form"] = AssignForm(user=user, incident=incident, choices=choices)
        # The caller's side: room and lesson, the CI's impact, attachments, confirm and rate, safeguarding.
        context.update(portal_views.detail_context(incident, user))
        # The support side: groups and escalation, hold reasons and outcomes, time, duplicates, major incidents.
        context.update(work_views.work_context(user, incident, choices=choices))
        return context


class IncidentActionView(RecordActionView):
    """Base of the POST-only actions on one incident; subclasses define `act(cleaned_data)`."""

    model = Incident
    form_class: type = TransitionForm


class IncidentTransitionView(IncidentActionView):
    def act(self, data):
        action = self.kwargs["action"]
        incident = services.incident_transition(
            incident=self.object,
            action=action,
            actor=self.request.user,
            note=data["note"],
            hold_reason=data.get("hold_reason") or "",
            resolution_code=data.get("resolution_code") or "",
            minutes=data.get("minutes"),
        )
        messages.success(self.request, f"{incident.reference} is now {incident.get_status_display().lower()}.")


class IncidentAssignView(IncidentActionView):
    form_class = AssignForm

    def get_form(self):
        return AssignForm(self.request.POST, user=self.request.user, incident=self.object)

    def act(self, data):
        routing = {"group": data["group"]} if "group" in data else {}  # no group field: the ticket keeps its own
        incident = services.incident_assign(
            incident=self.object, assignee=data["assignee"], actor=self.request.user, note=data["note"], **routing
        )
        who = incident.assignee or "the unassigned queue"
        messages.success(self.request, f"{incident.reference} assigned to {who}.")


class IncidentCommentView(IncidentActionView):
    form_class = CommentForm

    def act(self, data):
        public = data["public"] or not access.can_see_internal_notes.test(self.request.user, self.object)
        services.incident_comment(incident=self.object, author=self.request.user, text=data["text"], public=public)
        messages.success(self.request, "Comment added." if public else "Internal note added.")
