"""Pages of Change Management: the list of requests for change, raising one, and one change with its moves."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.views.generic import DetailView, FormView, ListView

from changes import policy, services
from changes.forms import (
    ChangeFilterForm,
    ChangeRaiseForm,
    ReviewForm,
    RiskForm,
    ScheduleForm,
    TransitionForm,
    VoteForm,
)
from changes.models import FINISHED_STATUSES, ApprovalRole, RequestForChange, Status
from fits import access
from fits.activity import timeline
from fits.views import RecordActionView, ScopedViewMixin, ServiceErrorMixin
from incidents.models import Incident

SCHEDULE_MOVES = ("schedule", "emergency_schedule")


class ChangeAccessMixin:
    """Change Management is for the school's support staff: everyone else is answered 404."""

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not access.here_or_anywhere(access.can_view_change).test(user, None):
            raise Http404("Change management is for the school's support staff.")
        return super().dispatch(request, *args, **kwargs)


class ChangeViewMixin(ChangeAccessMixin, ScopedViewMixin):
    model = RequestForChange


class ChangeListView(ChangeViewMixin, ListView):
    template_name = "changes/change_list.html"
    context_object_name = "changes"
    paginate_by = 25

    def get_queryset(self):
        queryset = super().get_queryset().for_list()
        self.filter_form = ChangeFilterForm(self.request.GET or None)
        if self.filter_form.is_valid():
            for name in ("kind", "status", "risk"):
                if self.filter_form.cleaned_data[name]:
                    queryset = queryset.filter(**{name: self.filter_form.cleaned_data[name]})
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filter_form"] = self.filter_form
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
        can_vote = (
            change.status == Status.SUBMITTED and bool(state.awaiting) and access.can_vote_on_change.test(user, change)
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
            votes=change.approvals.select_related("approver"),
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
        form = self.get_form()
        if not form.fields["school"].queryset.exists():
            messages.error(request, "You have no school where you can raise changes.")
            return redirect("home")
        return self.render_to_response(self.get_context_data(form=form))

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            change = services.rfc_create(
                school=data["school"],
                requester=self.request.user,
                kind=data["kind"],
                template=data.get("template"),
                title=data["title"],
                reason=data["reason"],
                description=data["description"],
                cis=data["cis"],
                incidents=data["incidents"],
                is_major=data["is_major"],
                implementation_plan=data["implementation_plan"],
                test_plan=data["test_plan"],
                backout_plan=data["backout_plan"],
                planned_start=data.get("planned_start"),
                planned_end=data.get("planned_end"),
            )
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
            return self.form_invalid(form)
        messages.success(self.request, f"{change.reference} raised as a draft: assess its risk, then submit it.")
        return redirect(change)


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
