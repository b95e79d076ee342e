"""Pages of the change advisory boards (their agendas and meetings) and of the standard change library.

Support staff read them all where they work; a school's network manager keeps its boards and standard changes,
an authority's consultants keep the authority's (changes/cab.py says who, and does every write).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Min, Q
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.generic import DetailView, FormView, ListView

from changes import cab
from changes.forms import (
    BoardForm,
    ChangeTemplateForm,
    MeetingRecordForm,
    MeetingScheduleForm,
    MeetingVoteForm,
)
from changes.models import CABMeeting, ChangeAdvisoryBoard, ChangeApproval, ChangeTemplate, RequestForChange, Status
from changes.views import ChangeAccessMixin, KeptConfigMixin
from fits import access
from fits.views import RecordActionView, ScopedViewMixin, ServiceErrorMixin


def show_error(form, error: Exception) -> None:
    """A service's refusal on the form: on its field when it names one."""
    if isinstance(error, PermissionDenied):
        form.add_error(None, str(error) or "You cannot change this.")
    elif hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


class CabViewMixin(ChangeAccessMixin, ScopedViewMixin):
    """Boards, meetings and templates: for support staff (404 for anyone else, like the changes)."""


class CabActionView(ChangeAccessMixin, RecordActionView):
    """A POST-only action on a board, meeting or template; each says where to go back (`success_url`)."""


def _awaiting_by_board(user, boards) -> dict[int, int]:
    """How many changes the viewer sees await each of `boards` (one query)."""
    rows = (
        RequestForChange.objects.visible_to(user)
        .filter(status=Status.SUBMITTED, cab__in=[board.pk for board in boards])
        .values("cab")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["cab"]: row["n"] for row in rows}


# =============================================================================
# Boards
# =============================================================================


class BoardListView(CabViewMixin, ListView):
    """The boards that serve the schools the viewer works at: scope, members, quorum, next meeting, agenda."""

    model = ChangeAdvisoryBoard
    template_name = "changes/cab_list.html"
    context_object_name = "boards"
    paginate_by = 25

    def get_queryset(self):
        upcoming = Q(meetings__status=CABMeeting.Status.PLANNED, meetings__held_at__gte=timezone.now())
        queryset = super().get_queryset().select_related("school", "authority").prefetch_related("members")
        return queryset.annotate(next_meeting=Min("meetings__held_at", filter=upcoming)).order_by("name", "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        boards = context["boards"]
        awaiting = _awaiting_by_board(user, boards)
        for board in boards:
            board.awaiting = awaiting.get(board.pk, 0)
            board.may_change = access.can_manage_change_config.test(user, board)
        context["may_add"] = bool(cab.owners_for(user))
        return context


class BoardCreateView(LoginRequiredMixin, ChangeAccessMixin, ServiceErrorMixin, FormView):
    form_class = BoardForm
    template_name = "changes/cab_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not cab.owners_for(request.user):
            if access.here_or_anywhere(access.can_view_change).test(request.user, None):
                messages.error(
                    request,
                    "A school's network manager sets up its change advisory board; the LEA's consultants set up "
                    "the authority's.",
                )
                return redirect("changes:board_list")
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "school": getattr(self.request, "school", None)}

    def form_valid(self, form):
        data = form.cleaned_data
        school, authority = data["owner"]
        try:
            board = cab.board_create(
                actor=self.request.user,
                name=data["name"],
                members=list(data["members"]),
                quorum=data["quorum"],
                school=school,
                authority=authority,
            )
        except (ValidationError, PermissionDenied) as error:
            show_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"{board} is set up: high-risk changes of its schools go to it.")
        return redirect("changes:board_detail", pk=board.pk)


class BoardDetailView(CabViewMixin, DetailView):
    """One board: its members and quorum, the agenda (changes awaiting its votes) and its meetings."""

    model = ChangeAdvisoryBoard
    narrow_to_current_school = False
    template_name = "changes/cab_detail.html"
    context_object_name = "board"

    def get_queryset(self):
        return super().get_queryset().select_related("school", "authority")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        board, user = self.object, self.request.user
        items = list(cab.agenda(RequestForChange.objects.visible_to(user), board))
        for change in items:
            change.tally = cab.tally(change, board.quorum)
        meetings = CABMeeting.objects.visible_to(user).filter(board=board).select_related("chair")
        may_change = access.can_manage_change_config.test(user, board)
        context.update(
            members=board.members.order_by("first_name", "last_name", "username"),
            agenda=items,
            upcoming=meetings.filter(status=CABMeeting.Status.PLANNED).order_by("held_at", "pk"),
            past=meetings.filter(status=CABMeeting.Status.HELD).order_by("-held_at", "-pk")[:20],
            may_change=may_change,
        )
        if may_change:
            context["schedule_form"] = MeetingScheduleForm(user=user, board=board)
        return context


class BoardUpdateView(KeptConfigMixin, ServiceErrorMixin, DetailView, FormView):
    """Change a board: for its keepers. Everyone else who sees it reads who sits on it and who keeps it."""

    model = ChangeAdvisoryBoard
    form_class = BoardForm
    template_name = "changes/cab_form.html"
    context_object_name = "board"
    kept = "boards"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "board": self.object}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            board = cab.board_update(
                board=self.object,
                actor=self.request.user,
                name=data["name"],
                members=list(data["members"]),
                quorum=data["quorum"],
            )
        except (ValidationError, PermissionDenied) as error:
            show_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"{board} saved.")
        return redirect("changes:board_detail", pk=board.pk)


class MeetingScheduleView(CabActionView):
    """Call a meeting of a board (from the board's page)."""

    model = ChangeAdvisoryBoard

    def get_form(self):
        return MeetingScheduleForm(self.request.POST, user=self.request.user, board=self.object)

    def act(self, data):
        self.meeting = cab.meeting_schedule(
            board=self.object, actor=self.request.user, held_at=data["held_at"], chair=data.get("chair")
        )
        messages.success(self.request, f"Meeting called for {timezone.localtime(self.meeting.held_at):%d %b %Y %H:%M}.")

    def success_url(self) -> str:
        meeting = getattr(self, "meeting", None)
        if meeting is not None:
            return reverse("changes:meeting_detail", args=[meeting.pk])
        return reverse("changes:board_detail", args=[self.object.pk])


# =============================================================================
# Meetings
# =============================================================================


class MeetingDetailView(CabViewMixin, DetailView):
    """A CAB meeting: its agenda (or, once held, the changes decided at it) with each member's own vote form,
    the minuted decisions, the attendance and minutes. Prints cleanly."""

    model = CABMeeting
    narrow_to_current_school = False
    template_name = "changes/cab_meeting.html"
    context_object_name = "meeting"

    def get_queryset(self):
        return super().get_queryset().select_related("board", "chair", "school", "authority")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        meeting, user = self.object, self.request.user
        board = meeting.board
        planned = meeting.status == CABMeeting.Status.PLANNED
        changes = RequestForChange.objects.visible_to(user)
        items = list(cab.agenda(changes, board) if planned else cab.decided_at(changes, meeting))
        member_ids = set(board.members.values_list("pk", flat=True))
        is_member = user.pk in member_ids
        for change in items:
            change.tally = cab.tally(change, board.quorum)
            change.minuted_here = [v for v in change.tally["votes"] if v.meeting_id == meeting.pk]
            change.may_vote = (
                planned
                and is_member
                and change.status == Status.SUBMITTED
                and user.pk not in change.tally["voters"]
                and access.can_vote_on_change.test(user, change)
            )
        decisions = (
            ChangeApproval.objects.visible_to(user)
            .filter(meeting=meeting)
            .select_related("change", "approver")
            .order_by("decided_at", "pk")
        )
        may_minute = access.can_manage_change_config.test(user, meeting) or meeting.chair_id == user.pk
        context.update(
            board=board,
            agenda=items,
            decisions=decisions,
            attendees=meeting.attendees.order_by("first_name", "last_name", "username"),
            is_member=is_member,
            may_minute=may_minute,
            vote_form=MeetingVoteForm(),
        )
        if may_minute:
            context["record_form"] = MeetingRecordForm(user=user, meeting=meeting)
        return context


class MeetingRecordView(CabActionView):
    """Minute a meeting: attendance, minutes, and marking it held."""

    model = CABMeeting

    def get_form(self):
        return MeetingRecordForm(self.request.POST, user=self.request.user, meeting=self.object)

    def act(self, data):
        meeting = cab.meeting_record(
            meeting=self.object,
            actor=self.request.user,
            attendees=list(data["attendees"]),
            minutes=data["minutes"],
            mark_held=data.get("mark_held", False),
        )
        messages.success(self.request, "Meeting marked held." if meeting.status == "held" else "Minutes saved.")

    def success_url(self) -> str:
        return reverse("changes:meeting_detail", args=[self.object.pk])


class MeetingVoteView(CabActionView):
    """A member's own vote on a change of the agenda, minuted on the meeting. Nobody votes for someone else."""

    model = CABMeeting
    form_class = MeetingVoteForm

    def act(self, data):
        change = RequestForChange.objects.visible_to(self.request.user).filter(pk=data["change"]).first()
        if change is None:
            raise ValidationError("That change is not on this meeting's agenda.")
        cab.meeting_vote(
            meeting=self.object,
            change=change,
            actor=self.request.user,
            decision=data["decision"],
            comment=data["comment"],
        )
        change.refresh_from_db()
        messages.success(
            self.request, f"Your vote is minuted; {change.reference} is {change.get_status_display().lower()}."
        )

    def success_url(self) -> str:
        return reverse("changes:meeting_detail", args=[self.object.pk])


# =============================================================================
# Standard change templates
# =============================================================================


class TemplateListView(CabViewMixin, ListView):
    """The library of pre-approved standard changes in force where the viewer works, and how often each is used."""

    model = ChangeTemplate
    template_name = "changes/template_list.html"
    context_object_name = "templates"
    paginate_by = 50

    def get_queryset(self):
        return super().get_queryset().select_related("school", "authority").order_by("-is_active", "name", "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        templates = context["templates"]
        rows = (
            RequestForChange.objects.visible_to(user)
            .filter(template__in=[t.pk for t in templates])
            .values("template")
            .annotate(n=Count("pk"))
            .order_by()
        )
        used = {row["template"]: row["n"] for row in rows}
        for template in templates:
            template.usage = used.get(template.pk, 0)
            template.may_change = access.can_manage_change_config.test(user, template)
        context["may_add"] = bool(cab.owners_for(user))
        return context


def _template_data(data) -> dict:
    return {name: data[name] for name in cab.TEMPLATE_FIELDS}


class TemplateCreateView(LoginRequiredMixin, ChangeAccessMixin, ServiceErrorMixin, FormView):
    form_class = ChangeTemplateForm
    template_name = "changes/template_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not cab.owners_for(request.user):
            if access.here_or_anywhere(access.can_view_change).test(request.user, None):
                messages.error(
                    request,
                    "A school's network manager adds its standard changes; the LEA's consultants add the authority's.",
                )
                return redirect("changes:template_list")
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "school": getattr(self.request, "school", None)}

    def form_valid(self, form):
        school, authority = form.cleaned_data["owner"]
        try:
            template = cab.template_create(
                actor=self.request.user, school=school, authority=authority, **_template_data(form.cleaned_data)
            )
        except (ValidationError, PermissionDenied) as error:
            show_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"“{template}” is in the library of standard changes.")
        return redirect("changes:template_list")


class TemplateUpdateView(KeptConfigMixin, ServiceErrorMixin, DetailView, FormView):
    """Change a standard change: for its keepers. Everyone else who sees it reads what is pre-approved."""

    model = ChangeTemplate
    form_class = ChangeTemplateForm
    template_name = "changes/template_form.html"
    context_object_name = "template"
    kept = "standard changes"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "template": self.object}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["usage"] = RequestForChange.objects.visible_to(self.request.user).filter(template=self.object).count()
        return context

    def form_valid(self, form):
        try:
            template = cab.template_update(
                template=self.object, actor=self.request.user, **_template_data(form.cleaned_data)
            )
        except (ValidationError, PermissionDenied) as error:
            show_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"“{template}” saved.")
        return redirect("changes:template_list")


class TemplateRetireView(CabActionView):
    model = ChangeTemplate

    def act(self, data):
        template = cab.template_retire(template=self.object, actor=self.request.user)
        messages.success(self.request, f"“{template}” is retired: no new change follows it.")

    def success_url(self) -> str:
        return reverse("changes:template_list")


class TemplateReinstateView(CabActionView):
    model = ChangeTemplate

    def act(self, data):
        template = cab.template_reinstate(template=self.object, actor=self.request.user)
        messages.success(self.request, f"“{template}” is back in the library.")

    def success_url(self) -> str:
        return reverse("changes:template_list")
