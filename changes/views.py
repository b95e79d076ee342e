"""Pages of Change Management: the list of requests for change, raising one, and one change with its moves."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.views.generic import DetailView, FormView, ListView
from django.views.generic.detail import SingleObjectMixin

from changes import measures, policy, services
from changes.forms import (
    ChangeEditForm,
    ChangeFilterForm,
    ChangeRaiseForm,
    ReviewForm,
    RiskForm,
    ScheduleForm,
    TransitionForm,
    VoteForm,
)
from changes.models import FINISHED_STATUSES, ApprovalRole, RequestForChange, Status
from changes.selectors import change_impact
from fits import access
from fits.activity import timeline
from fits.views import RecordActionView, ScopedViewMixin, ServiceErrorMixin
from incidents.models import Incident

SCHEDULE_MOVES = ("schedule", "emergency_schedule")
# What the raise and edit forms pass to the services as they are.
RFC_FIELDS = (
    "title",
    "reason",
    "description",
    "cis",
    "incidents",
    "is_major",
    "implementation_plan",
    "test_plan",
    "backout_plan",
    "planned_start",
    "planned_end",
    "implementer",
)


class ChangeAccessMixin:
    """Change Management is for the school's support staff: everyone else is answered 404."""

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not access.here_or_anywhere(access.can_view_change).test(user, None):
            raise Http404("Change management is for the school's support staff.")
        return super().dispatch(request, *args, **kwargs)


class KeptConfigMixin(ChangeAccessMixin, ScopedViewMixin):
    """The page of a piece of Change Management's configuration (a board, a standard change, a freeze or
    maintenance window), with its form: its keepers (access.can_manage_change_config) change it; everyone else
    who sees it reads what it is and who keeps it. `kept` names the kind of row, plural, for the refusal."""

    narrow_to_current_school = False
    kept = ""

    def get_queryset(self):
        return super().get_queryset().select_related("school", "authority")

    def may_change(self) -> bool:
        return access.can_manage_change_config.test(self.request.user, self.object)

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return self.render_to_response(self.get_context_data())

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "may_change": self.may_change()}

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        if not self.may_change():
            messages.error(request, f"Only the keepers of {self.object.scope_label}'s {self.kept} change this.")
            return redirect(request.path)
        return FormView.post(self, request, *args, **kwargs)


class ChangeViewMixin(ChangeAccessMixin, ScopedViewMixin):
    model = RequestForChange


class ChangeListView(ChangeViewMixin, ListView):
    template_name = "changes/change_list.html"
    context_object_name = "changes"
    paginate_by = 25

    def get_queryset(self):
        queryset = super().get_queryset().for_list()
        self.filter_form = ChangeFilterForm(self.request.GET or None)
        self.measure = None
        if self.filter_form.is_valid():
            data = self.filter_form.cleaned_data
            for name in ("kind", "status", "risk"):
                if data[name]:
                    queryset = queryset.filter(**{name: data[name]})
            month = measures.parse_month(data.get("month") or "")
            if data.get("measure") and month is not None:
                # A figure of the measures card: the changes it counts.
                self.measure = (measures.MEASURE_LABELS[data["measure"]], month)
                queryset = queryset.filter(measures.measure_filter(data["measure"], month))
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter_form"] = self.filter_form
        context["measure"] = self.measure
        # This month and last, over the same changes the list starts from (one query).
        context["figures"] = measures.monthly_figures(super().get_queryset(), measures.recent_months(2))[::-1]
        context["can_raise"] = access.here_or_anywhere(access.can_raise_change).test(
            self.request.user, getattr(self.request, "school", None)
        )
        return context


class ChangeDetailView(ChangeViewMixin, DetailView):
    narrow_to_current_school = False
    template_name = "changes/change_detail.html"
    context_object_name = "change"

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.select_related("school", "requester", "implementer", "template", "cab", "reviewed_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        change, user = self.object, self.request.user
        state = policy.approval_state(change)
        # Approve and reject are made by the vote service: the vote form stands for them.
        available = [a for a in RequestForChange.WORKFLOW.available(user, change) if not a.automatic]
        # Scheduling takes the planned window: it has a form of its own below the buttons.
        actions = [a for a in available if a.name not in SCHEDULE_MOVES]
        answers = change.risk_answers or {}
        risk_rows = [
            (q.text, q.answers[answers[q.key]][0]) for q in policy.QUESTIONS if answers.get(q.key) in q.answers
        ]
        votes = list(change.approvals.select_related("approver", "meeting"))
        # Someone who has decided in every capacity still awaited has nothing left to vote on.
        voted_as = {vote.role for vote in votes if vote.approver_id == user.pk}
        can_vote = (
            change.status == Status.SUBMITTED
            and bool(set(state.awaiting) - voted_as)
            and access.can_vote_on_change.test(user, change)
        ) or (
            change.is_emergency
            and change.status not in (Status.DRAFT, Status.CANCELLED)
            and access.can_review_change.test(user, change)
            and change.requester_id != user.pk
            and not any(v.role == ApprovalRole.RETROSPECTIVE for v in change.approvals.all())
        )
        context.update(
            timeline=timeline(change, include_internal=True),
            actions=actions,
            transition_form=TransitionForm(),
            state=state,
            needed_labels=[ApprovalRole(role).label for role in state.needed],
            awaiting_labels=[ApprovalRole(role).label for role in state.awaiting],
            votes=votes,
            my_votes=[vote for vote in votes if vote.approver_id == user.pk],
            cis=change.cis.order_by("name"),
            linked_incidents=Incident.objects.visible_to(user).filter(changes=change).order_by("-created_at"),
            conflicts=services.conflicts(change),
            freezes=(
                policy.freezes_over(change.school, change.planned_start, change.planned_end)
                if change.planned_start and change.planned_end
                else []
            ),
            risk_rows=risk_rows,
            can_vote=can_vote,
            impact=change_impact(change),
            # The problems whose permanent fix this change is (a reverse link: changes does not import problems).
            problems_behind=change.problems.visible_to(user).select_related("assignee").order_by("-created_at"),
            can_edit=change.status == Status.DRAFT and access.can_raise_change.test(user, change),
        )
        if change.status == Status.DRAFT and access.can_raise_change.test(user, change):
            context["risk_form"] = RiskForm(initial_answers=answers)
        if can_vote:
            context["vote_form"] = VoteForm()
        if any(a.name in SCHEDULE_MOVES for a in available):
            context["schedule_form"] = ScheduleForm(
                initial={"planned_start": change.planned_start, "planned_end": change.planned_end}
            )
        if change.status in FINISHED_STATUSES and access.can_review_change.test(user, change):
            context["review_form"] = ReviewForm()
        return context


class ChangeCreateView(LoginRequiredMixin, ChangeAccessMixin, ServiceErrorMixin, FormView):
    form_class = ChangeRaiseForm
    template_name = "changes/change_form.html"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "school": getattr(self.request, "school", None)}

    def get(self, request, *args, **kwargs):
        problem = request.GET.get("problem", "")
        if problem.isdigit() and request.resolver_match.view_name == "changes:create":
            # A change for a problem's permanent fix: Problem Management's page raises it and links the problem
            # (changes may not import problems; the URL name is the whole contract).
            return redirect("problems:raise_change", pk=int(problem))
        form = self.get_form()
        if not form.fields["school"].queryset.exists():
            messages.error(request, "You have no school where you can raise changes.")
            return redirect("home")
        return self.render_to_response(self.get_context_data(form=form))

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            change = self.create(
                school=data["school"],
                kind=data["kind"],
                template=data.get("template"),
                **{name: data.get(name) for name in RFC_FIELDS},
            )
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, f"{change.reference} raised as a draft: assess its risk, then submit it.")
        return redirect(change)

    def create(self, **fields) -> RequestForChange:
        """Raise the change (problems' "raise a change for the permanent fix" also links its problem)."""
        return services.rfc_create(requester=self.request.user, **fields)


class ChangeEditView(ChangeViewMixin, ServiceErrorMixin, SingleObjectMixin, FormView):
    """Edit a draft (changes.services.rfc_update): the raise form without its school, kind and template."""

    narrow_to_current_school = False
    template_name = "changes/change_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)
        self.object = self.get_object()
        if self.object.status != Status.DRAFT or not access.can_raise_change.test(request.user, self.object):
            messages.error(
                request,
                f"{self.object.reference} is {self.object.get_status_display().lower()}: only a draft can be "
                "edited, by those who may raise changes at its school.",
            )
            return redirect(self.object)
        return super().dispatch(request, *args, **kwargs)

    def get_form(self, form_class=None):
        return ChangeEditForm(**self.get_form_kwargs(), user=self.request.user, change=self.object)

    def get_initial(self):
        change = self.object
        initial = {name: getattr(change, name) for name in RFC_FIELDS if name not in ("cis", "incidents")}
        initial["cis"] = list(change.cis.values_list("pk", flat=True))
        initial["incidents"] = list(change.incidents.values_list("pk", flat=True))
        return initial

    def get_context_data(self, **kwargs):
        return super().get_context_data(change=self.object, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            services.rfc_update(
                change=self.object, actor=self.request.user, **{name: data.get(name) for name in RFC_FIELDS}
            )
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, f"{self.object.reference} saved.")
        return redirect(self.object)


class ChangeActionView(ChangeViewMixin, RecordActionView):
    """Base of the POST-only actions on one change; subclasses define `act(cleaned_data)`."""

    form_class: type = TransitionForm


class ChangeTransitionView(ChangeActionView):
    """The workflow moves: each is one service of changes.services."""

    def act(self, data):
        change, actor, note = self.object, self.request.user, data["note"]
        action = self.kwargs["action"]
        if action == "submit":
            change = services.rfc_submit(change=change, actor=actor)
        elif action in SCHEDULE_MOVES:
            change = services.rfc_schedule(change=change, actor=actor)
        elif action in ("start", "emergency_start"):
            change = services.rfc_start(change=change, actor=actor)
        elif action == "implement":
            change = services.rfc_implement(change=change, actor=actor, note=note)
        elif action == "fail":
            change = services.rfc_fail(change=change, actor=actor, note=note)
        elif action == "back_out":
            change = services.rfc_back_out(change=change, actor=actor, note=note)
        elif action == "close":
            change = services.rfc_close(change=change, actor=actor, note=note)
        elif action == "cancel":
            change = services.rfc_cancel(change=change, actor=actor, note=note)
        else:
            raise ValidationError(f"There is no move “{action}” on a change.")
        messages.success(self.request, f"{change.reference} is now {change.get_status_display().lower()}.")


class ChangeAssessView(ChangeActionView):
    def get_form(self):
        return RiskForm(self.request.POST)

    def act(self, data):
        change = services.rfc_assess(change=self.object, actor=self.request.user, answers=data)
        messages.success(self.request, f"Risk assessed: {change.get_risk_display().lower()}.")


class ChangeVoteView(ChangeActionView):
    form_class = VoteForm

    def act(self, data):
        services.rfc_vote(
            change=self.object, approver=self.request.user, decision=data["decision"], comment=data["comment"]
        )
        change = self.object
        change.refresh_from_db()
        messages.success(
            self.request, f"Your decision is recorded; {change.reference} is {change.get_status_display().lower()}."
        )


class ChangeScheduleView(ChangeActionView):
    form_class = ScheduleForm

    def act(self, data):
        change = services.rfc_schedule(
            change=self.object,
            actor=self.request.user,
            planned_start=data.get("planned_start"),
            planned_end=data.get("planned_end"),
        )
        messages.success(self.request, f"{change.reference} is scheduled.")
        if change.schedule_warning:
            messages.warning(self.request, change.schedule_warning)


class ChangeReviewView(ChangeActionView):
    form_class = ReviewForm

    def act(self, data):
        services.rfc_review(
            change=self.object,
            actor=self.request.user,
            outcome=data["outcome"],
            notes=data["notes"],
            cmdb_updated=data["cmdb_updated"],
        )
        messages.success(self.request, "Post-implementation review recorded.")
