"""The Change Management API: /api/changes/ requests for change, with their lifecycle as actions that call
changes.services, and the configuration they are planned around (read only): standard change templates,
freeze windows, maintenance windows and change advisory boards.

Changes are support staff's records: anyone else is answered 404, like the pages."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from changes import cab, policy, services
from changes.filters import (
    ChangeAdvisoryBoardFilterSet,
    ChangeFilterSet,
    ChangeTemplateFilterSet,
    FreezeWindowFilterSet,
    MaintenanceWindowFilterSet,
)
from changes.models import (
    FINISHED_STATUSES,
    ApprovalRole,
    CABMeeting,
    ChangeAdvisoryBoard,
    ChangeApproval,
    ChangeKind,
    ChangeTemplate,
    Decision,
    FreezeWindow,
    MaintenanceWindow,
    RequestForChange,
    ReviewOutcome,
    Status,
)
from cmdb.api import ItemBriefSerializer
from cmdb.models import ConfigurationItem
from fits import access
from fits.activity import timeline
from fits.api import ActivitySerializer, BriefSerializer, ScopedInputSerializer, ScopedViewSet, UserBriefSerializer
from fits.models import School, User
from incidents.models import Incident


class ChangeAccessMixin:
    """Change Management is for the school's support staff: nobody else gets even an empty list."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not access.here_or_anywhere(access.can_view_change).test(request.user, None):
            raise Http404


def refuse_unknown(data: Any, allowed, why: dict[str, str] | None = None) -> None:
    """400 for any field of the request that is not written here (mass assignment): the reference, status, risk,
    requester and school are set by the services, never by the caller."""
    if not hasattr(data, "keys"):
        raise exceptions.ValidationError({"non_field_errors": "Send an object of fields."})
    why = why or {}
    unknown = sorted(set(data.keys()) - set(allowed))
    if unknown:
        raise exceptions.ValidationError(
            {name: why.get(name, f"“{name}” cannot be written on a change: its workflow sets it.") for name in unknown}
        )


# =============================================================================
# Brief representations
# =============================================================================


class ChangeIncidentSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:incident-detail")

    class Meta:
        model = Incident
        fields = ("id", "url", "reference", "title", "status")


class ChangeTemplateBriefSerializer(serializers.ModelSerializer):
    display = serializers.CharField(source="name", read_only=True)

    class Meta:
        model = ChangeTemplate
        fields = ("id", "display")


class ChangeAdvisoryBoardBriefSerializer(serializers.ModelSerializer):
    display = serializers.CharField(source="name", read_only=True)

    class Meta:
        model = ChangeAdvisoryBoard
        fields = ("id", "display", "quorum")


class ChangeLinkSerializer(serializers.ModelSerializer):
    """Another change, by its reference and window (the one a change conflicts with)."""

    url = serializers.HyperlinkedIdentityField(view_name="api:change-detail")

    class Meta:
        model = RequestForChange
        fields = ("id", "url", "reference", "title", "status", "planned_start", "planned_end")


class ChangeApprovalSerializer(serializers.ModelSerializer):
    """One approver's decision: who, in what capacity, what, why, and the CAB meeting that minuted it."""

    approver = UserBriefSerializer(read_only=True)
    role_display = serializers.CharField(source="get_role_display", read_only=True)
    decision_display = serializers.CharField(source="get_decision_display", read_only=True)
    meeting = serializers.SerializerMethodField()

    class Meta:
        model = ChangeApproval
        fields = ("id", "approver", "role", "role_display", "decision", "decision_display", "comment", "meeting",
                  "decided_at")  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(
        serializers.DictField(allow_null=True, help_text="The CAB meeting where the vote was minuted: id, display.")
    )
    def get_meeting(self, vote: ChangeApproval) -> dict | None:
        if vote.meeting_id is None:
            return None
        return {"id": vote.meeting_id, "display": str(vote.meeting)}


class ChangeRiskAnswerSerializer(serializers.Serializer):
    key = serializers.CharField()
    question = serializers.CharField()
    answer = serializers.CharField()
    label = serializers.CharField()
    points = serializers.IntegerField()


class ChangeApprovalStateSerializer(serializers.Serializer):
    needed = serializers.ListField(child=serializers.ChoiceField(choices=ApprovalRole.choices))
    awaiting = serializers.ListField(child=serializers.ChoiceField(choices=ApprovalRole.choices))
    rejected_by = serializers.ListField(child=serializers.CharField(), help_text="Why it was rejected, in words.")
    cab_approvals = serializers.IntegerField()
    cab_rejections = serializers.IntegerField()


class ChangeConflictSerializer(serializers.Serializer):
    change = ChangeLinkSerializer(help_text="The other planned change whose window overlaps.")
    same = ItemBriefSerializer(many=True, help_text="Items both changes touch.")
    dependent = ItemBriefSerializer(many=True, help_text="Items of the other change that depend on, or are relied "
                                    "on by, this change's items.")  # fmt: skip
    text = serializers.CharField()


class FreezeWindowBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = FreezeWindow
        fields = ("id", "name", "kind", "starts", "ends")


# =============================================================================
# Requests for change
# =============================================================================


# The API's name for each workflow move a person makes (the automatic approve and reject are made by `vote`).
ACTION_OF_MOVE = {
    "submit": "submit",
    "schedule": "schedule",
    "emergency_schedule": "schedule",
    "start": "start",
    "emergency_start": "start",
    "implement": "implement",
    "fail": "fail",
    "back_out": "back-out",
    "close": "close",
    "cancel": "cancel",
}
ACTIONS = ("update", "assess", "vote", "review", *dict.fromkeys(ACTION_OF_MOVE.values()))


def may_vote(user: User, change: RequestForChange, state: policy.ApprovalState) -> bool:
    """Whether `user` may decide on `change` now (the vote service says exactly why not when they may not)."""
    if change.is_emergency:
        return (
            change.status in (Status.IN_PROGRESS, *FINISHED_STATUSES)
            and access.can_approve_change.test(user, change)
            and not any(v.role == ApprovalRole.RETROSPECTIVE for v in change.approvals.all())
        )
    return change.status == Status.SUBMITTED and bool(state.awaiting) and access.can_vote_on_change.test(user, change)


def allowed_actions(user: User, change: RequestForChange, state: policy.ApprovalState) -> list[str]:
    """The actions (this API's names) `user` may take on `change` now."""
    found = []
    if change.status == Status.DRAFT and access.can_raise_change.test(user, change):
        found += ["update", "assess"]
    found += [ACTION_OF_MOVE[t.name] for t in RequestForChange.WORKFLOW.available(user, change) if not t.automatic]
    if may_vote(user, change, state):
        found.append("vote")
    if change.status in FINISHED_STATUSES and access.can_review_change.test(user, change):
        found.append("review")
    return [name for name in ACTIONS if name in found]


class ChangeSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:change-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    risk_display = serializers.CharField(source="get_risk_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    template = ChangeTemplateBriefSerializer(read_only=True)
    requester = UserBriefSerializer(read_only=True)
    implementer = UserBriefSerializer(read_only=True)
    cab = ChangeAdvisoryBoardBriefSerializer(read_only=True, help_text="The change advisory board that decides on it.")
    cis = ItemBriefSerializer(many=True, read_only=True, help_text="The affected configuration items.")
    incidents = ChangeIncidentSerializer(many=True, read_only=True, help_text="The incidents behind the change.")

    class Meta:
        model = RequestForChange
        fields = ("id", "url", "display", "reference", "school", "kind", "kind_display", "template", "title",
                  "reason", "description", "risk", "risk_display", "is_major", "status", "status_display",
                  "requester", "implementer", "cab", "cis", "incidents", "planned_start", "planned_end",
                  "actual_start", "actual_end", "schedule_warning", "submitted_at", "approved_at", "closed_at",
                  "created_at", "updated_at")  # fmt: skip
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "reference", "kind", "risk", "status")


class ChangeDetailSerializer(ChangeSerializer):
    """One change in full: its plans, risk assessment, approvals, conflicts, review, and what you may do now."""

    risk_answers = serializers.SerializerMethodField(help_text="The risk questionnaire as answered.")
    risk_score = serializers.SerializerMethodField()
    approvals = ChangeApprovalSerializer(many=True, read_only=True)
    approval = serializers.SerializerMethodField(help_text="Where its approvals stand.")
    conflicts = serializers.SerializerMethodField(
        help_text="Other planned changes overlapping its window on the same or dependent items."
    )
    freezes = serializers.SerializerMethodField(help_text="The freeze windows its planned window falls in.")
    reviewed_by = UserBriefSerializer(read_only=True)
    review_outcome_display = serializers.CharField(source="get_review_outcome_display", read_only=True)
    allowed_actions = serializers.SerializerMethodField(help_text="The actions you may take on it now.")

    class Meta(ChangeSerializer.Meta):
        fields = (*ChangeSerializer.Meta.fields, "implementation_plan", "test_plan", "backout_plan",
                  "risk_answers", "risk_score", "approvals", "approval", "conflicts", "freezes", "review_outcome",
                  "review_outcome_display", "review_notes", "cmdb_updated", "reviewed_by", "reviewed_at",
                  "allowed_actions")  # fmt: skip
        read_only_fields = fields

    def _state(self, change: RequestForChange) -> policy.ApprovalState:
        cache = self.context.setdefault("approval_states", {})
        if change.pk not in cache:
            cache[change.pk] = policy.approval_state(change)
        return cache[change.pk]

    @extend_schema_field(ChangeRiskAnswerSerializer(many=True))
    def get_risk_answers(self, change: RequestForChange) -> list[dict]:
        answers = change.risk_answers or {}
        return [
            {"key": q.key, "question": q.text, "answer": answers[q.key], "label": q.answers[answers[q.key]][0],
             "points": q.answers[answers[q.key]][1]}
            for q in policy.QUESTIONS
            if answers.get(q.key) in q.answers
        ]  # fmt: skip

    def get_risk_score(self, change: RequestForChange) -> int | None:
        try:
            return policy.risk_score(change.risk_answers or {})
        except policy.QuestionnaireError:
            return None

    @extend_schema_field(ChangeApprovalStateSerializer)
    def get_approval(self, change: RequestForChange) -> dict:
        return ChangeApprovalStateSerializer(self._state(change)).data

    @extend_schema_field(ChangeConflictSerializer(many=True))
    def get_conflicts(self, change: RequestForChange) -> list[dict]:
        return ChangeConflictSerializer(services.conflicts(change), many=True, context=self.context).data

    @extend_schema_field(FreezeWindowBriefSerializer(many=True))
    def get_freezes(self, change: RequestForChange) -> list[dict]:
        if not (change.planned_start and change.planned_end):
            return []
        freezes = policy.freezes_over(change.school, change.planned_start, change.planned_end)
        return FreezeWindowBriefSerializer(freezes, many=True).data

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=ACTIONS)))
    def get_allowed_actions(self, change: RequestForChange) -> list[str]:
        request = self.context.get("request")
        return allowed_actions(request.user, change, self._state(change)) if request else []


class ChangeWriteSerializer(ScopedInputSerializer):
    """What a change is raised with, and what may be edited on a draft (PATCH: only the fields sent)."""

    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    reason = serializers.CharField(required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    is_major = serializers.BooleanField(required=False, help_text="A major change needs a school leader's approval.")
    implementation_plan = serializers.CharField(required=False, allow_blank=True)
    test_plan = serializers.CharField(required=False, allow_blank=True)
    backout_plan = serializers.CharField(required=False, allow_blank=True)
    planned_start = serializers.DateTimeField(required=False, allow_null=True)
    planned_end = serializers.DateTimeField(required=False, allow_null=True)
    implementer = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True, help_text="Who carries it out (a person's id)."
    )
    cis = serializers.PrimaryKeyRelatedField(
        queryset=ConfigurationItem.objects.all(), many=True, required=False, help_text="Affected CMDB items' ids."
    )
    incidents = serializers.PrimaryKeyRelatedField(
        queryset=Incident.objects.all(), many=True, required=False, help_text="Ids of the incidents behind it."
    )


class ChangeCreateSerializer(ChangeWriteSerializer):
    school = serializers.SlugRelatedField(
        slug_field="slug", queryset=School.objects.all(), help_text="A school where you may raise changes (slug)."
    )
    kind = serializers.ChoiceField(choices=ChangeKind.choices, default=ChangeKind.NORMAL)
    template = serializers.PrimaryKeyRelatedField(
        queryset=ChangeTemplate.objects.all(),
        required=False,
        allow_null=True,
        help_text="The standard change template it follows (a standard change's plans come from it).",
    )


class ChangeAssessSerializer(serializers.Serializer):
    answers = serializers.DictField(
        child=serializers.CharField(),
        help_text="The risk questionnaire: {question key: answer}; "
        + "; ".join(f"{q.key}: {'|'.join(q.answers)}" for q in policy.QUESTIONS)
        + ".",
    )


class ChangeVoteSerializer(ScopedInputSerializer):
    decision = serializers.ChoiceField(choices=Decision.choices)
    comment = serializers.CharField(
        required=False, default="", allow_blank=True, help_text="Required to reject, and for a CAB vote."
    )
    role = serializers.ChoiceField(
        choices=ApprovalRole.choices,
        required=False,
        allow_null=True,
        default=None,
        help_text="In what capacity (by default the first awaited one you may give).",
    )
    meeting = serializers.PrimaryKeyRelatedField(
        queryset=CABMeeting.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="The CAB meeting (its id) where you cast the vote as a board member: it is minuted there.",
    )


class ChangeScheduleSerializer(ScopedInputSerializer):
    planned_start = serializers.DateTimeField(required=False, allow_null=True, default=None)
    planned_end = serializers.DateTimeField(required=False, allow_null=True, default=None)
    implementer = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True, default=None
    )


class ChangeNoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, default="", allow_blank=True)


class ChangeRequiredNoteSerializer(serializers.Serializer):
    note = serializers.CharField(help_text="Required: say what happened, or why.")


class ChangeReviewSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=ReviewOutcome.choices)
    notes = serializers.CharField(help_text="What was learnt from the change.")
    cmdb_updated = serializers.BooleanField(default=False, help_text="The CMDB records what the change did.")


class ChangeViewSet(ChangeAccessMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Requests for change at your schools (support staff). Raise one with POST (a draft), edit a draft with PATCH,
    and move it along with the actions: `assess`, `submit`, `vote`, `schedule`, `start`, `implement`, `fail`,
    `back-out`, `review`, `close`, `cancel`. Status, reference, risk and requester are never written directly."""

    queryset = RequestForChange.objects.none()
    serializer_class = ChangeSerializer
    filterset_class = ChangeFilterSet

    def get_queryset(self):
        user = self.request.user
        queryset = (
            super()
            .get_queryset()
            .for_list()
            .select_related("cab")
            .prefetch_related(
                Prefetch("cis", queryset=ConfigurationItem.objects.visible_to(user).order_by("name")),
                # Linked incidents through their own scoping: a safeguarding-flagged one stays hidden.
                Prefetch("incidents", queryset=Incident.objects.visible_to(user).order_by("pk")),
            )
        )
        if self.action != "list":
            votes = ChangeApproval.objects.visible_to(user).select_related("approver", "meeting__board")
            queryset = queryset.select_related("reviewed_by").prefetch_related(Prefetch("approvals", queryset=votes))
        return queryset

    def get_serializer_class(self):
        return ChangeSerializer if self.action == "list" else ChangeDetailSerializer

    def _fresh(self, change: RequestForChange) -> dict:
        return ChangeDetailSerializer(self.get_queryset().get(pk=change.pk), context=self.get_serializer_context()).data

    def _payload(self, serializer_class, allowed=None, why=None) -> dict:
        if allowed is not None:
            refuse_unknown(self.request.data, allowed, why)
        payload = serializer_class(data=self.request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        return dict(payload.validated_data)

    @extend_schema(request=ChangeCreateSerializer, responses={201: ChangeDetailSerializer})
    def create(self, request, *args, **kwargs):
        """Raise a request for change, as a draft, at a school where you may raise changes."""
        data = self._payload(ChangeCreateSerializer, ChangeCreateSerializer().fields)
        data.setdefault("title", "")  # a standard change takes its template's
        change = services.rfc_create(requester=request.user, **data)
        return Response(self._fresh(change), status=status.HTTP_201_CREATED)

    @extend_schema(request=ChangeWriteSerializer, responses=ChangeDetailSerializer)
    def partial_update(self, request, *args, **kwargs):
        """Edit a draft: only the fields sent change."""
        change = self.get_object()  # another school's answers 404 before the payload is read
        why = {
            "school": "A change stays at the school it was raised at: cancel it and raise one at the other school.",
            "kind": "A change keeps its kind: cancel it and raise a new one.",
            "template": "A change keeps its template: cancel it and raise a new one.",
        }
        data = self._payload(ChangeWriteSerializer, ChangeWriteSerializer().fields, why)
        cis, incidents = data.pop("cis", None), data.pop("incidents", None)
        change = services.rfc_update(change=change, actor=request.user, cis=cis, incidents=incidents, **data)
        return Response(self._fresh(change))

    @extend_schema(request=ChangeAssessSerializer, responses=ChangeDetailSerializer)
    @action(detail=True, methods=["post"])
    def assess(self, request, pk=None, format=None):
        """Answer the risk questionnaire (a draft): the answers give the change its risk level."""
        change = self.get_object()
        data = self._payload(ChangeAssessSerializer)
        change = services.rfc_assess(change=change, actor=request.user, answers=data["answers"])
        return Response(self._fresh(change))

    @extend_schema(request=None, responses=ChangeDetailSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None, format=None):
        """Submit for approval; a standard change is approved at once."""
        change = services.rfc_submit(change=self.get_object(), actor=request.user)
        return Response(self._fresh(change))

    @extend_schema(request=ChangeVoteSerializer, responses=ChangeDetailSerializer)
    @action(detail=True, methods=["post"])
    def vote(self, request, pk=None, format=None):
        """Approve or reject (a network manager, a leader, a board member; an emergency change's retrospective
        review). The change is approved once every approval it needs is given."""
        change = self.get_object()
        data = self._payload(ChangeVoteSerializer)
        meeting = data.pop("meeting")
        if meeting is None:
            services.rfc_vote(change=change, approver=request.user, **data)
        elif data["role"] not in (None, ApprovalRole.CAB):
            raise exceptions.ValidationError({"role": "At a CAB meeting, you vote as a member of the board."})
        else:
            cab.meeting_vote(
                meeting=meeting, change=change, actor=request.user, decision=data["decision"], comment=data["comment"]
            )
        return Response(self._fresh(change))

    @extend_schema(request=ChangeScheduleSerializer, responses=ChangeDetailSerializer)
    @action(detail=True, methods=["post"])
    def schedule(self, request, pk=None, format=None):
        """Put the change on the forward schedule, or move it; refused in a freeze window (but an emergency)."""
        change = self.get_object()
        data = self._payload(ChangeScheduleSerializer)
        change = services.rfc_schedule(change=change, actor=request.user, **data)
        return Response(self._fresh(change))

    @extend_schema(request=None, responses=ChangeDetailSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None, format=None):
        """Work begins (an emergency change may start at once)."""
        change = services.rfc_start(change=self.get_object(), actor=request.user)
        return Response(self._fresh(change))

    @extend_schema(request=ChangeNoteSerializer, responses=ChangeDetailSerializer)
    @action(detail=True, methods=["post"])
    def implement(self, request, pk=None, format=None):
        """The change is in place and its test plan passed."""
        change = self.get_object()
        data = self._payload(ChangeNoteSerializer)
        change = services.rfc_implement(change=change, actor=request.user, **data)
        return Response(self._fresh(change))

    @extend_schema(request=ChangeRequiredNoteSerializer, responses=ChangeDetailSerializer)
    @action(detail=True, methods=["post"])
    def fail(self, request, pk=None, format=None):
        """The change did not work: say what went wrong."""
        change = self.get_object()
        data = self._payload(ChangeRequiredNoteSerializer)
        change = services.rfc_fail(change=change, actor=request.user, **data)
        return Response(self._fresh(change))

    @extend_schema(request=ChangeRequiredNoteSerializer, responses=ChangeDetailSerializer)
    @action(detail=True, methods=["post"], url_path="back-out", url_name="back-out")
    def back_out(self, request, pk=None, format=None):
        """The backout plan was carried out: say how."""
        change = self.get_object()
        data = self._payload(ChangeRequiredNoteSerializer)
        change = services.rfc_back_out(change=change, actor=request.user, **data)
        return Response(self._fresh(change))

    @extend_schema(request=ChangeReviewSerializer, responses=ChangeDetailSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None, format=None):
        """The post-implementation review: the outcome, what was learnt, and whether the CMDB records it."""
        change = self.get_object()
        data = self._payload(ChangeReviewSerializer)
        change = services.rfc_review(change=change, actor=request.user, **data)
        return Response(self._fresh(change))

    @extend_schema(request=ChangeNoteSerializer, responses=ChangeDetailSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None, format=None):
        """Close the change after its review."""
        change = self.get_object()
        data = self._payload(ChangeNoteSerializer)
        change = services.rfc_close(change=change, actor=request.user, **data)
        return Response(self._fresh(change))

    @extend_schema(request=ChangeRequiredNoteSerializer, responses=ChangeDetailSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None, format=None):
        """Withdraw the change before any work on it has started: say why."""
        change = self.get_object()
        data = self._payload(ChangeRequiredNoteSerializer)
        change = services.rfc_cancel(change=change, actor=request.user, **data)
        return Response(self._fresh(change))

    @extend_schema(responses=ActivitySerializer(many=True))
    @action(detail=True, methods=["get"])
    def activity(self, request, pk=None, format=None):
        """The change's timeline, oldest first."""
        entries = timeline(self.get_object(), include_internal=True)
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(ActivitySerializer(page, many=True).data)


# =============================================================================
# What changes are planned around (read only)
# =============================================================================


class ScopeMixin(serializers.Serializer):
    """Where a shared row applies: a school's own, an authority's for all its schools, or everyone's."""

    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    authority = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    scope = serializers.CharField(source="scope_label", read_only=True)


class ChangeTemplateSerializer(ScopeMixin, BriefSerializer):
    class Meta:
        model = ChangeTemplate
        fields = ("id", "display", "school", "authority", "scope", "name", "description", "implementation_plan",
                  "test_plan", "backout_plan", "duration_minutes", "is_active")  # fmt: skip
        read_only_fields = fields
        brief_fields = ("id", "display", "name")


class FreezeWindowSerializer(ScopeMixin, BriefSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = FreezeWindow
        fields = ("id", "display", "school", "authority", "scope", "name", "kind", "kind_display", "starts", "ends")
        read_only_fields = fields
        brief_fields = ("id", "display", "starts", "ends")


class MaintenanceWindowSerializer(ScopeMixin, BriefSerializer):
    weekday_display = serializers.CharField(source="get_weekday_display", read_only=True)

    class Meta:
        model = MaintenanceWindow
        fields = ("id", "display", "school", "authority", "scope", "name", "weekday", "weekday_display", "opens",
                  "closes")  # fmt: skip
        read_only_fields = fields
        brief_fields = ("id", "display")


class ChangeAdvisoryBoardSerializer(ScopeMixin, BriefSerializer):
    members = UserBriefSerializer(many=True, read_only=True)

    class Meta:
        model = ChangeAdvisoryBoard
        fields = ("id", "display", "school", "authority", "scope", "name", "members", "quorum")
        read_only_fields = fields
        brief_fields = ("id", "display", "quorum")


class SharedListViewSet(ChangeAccessMixin, mixins.ListModelMixin, ScopedViewSet):
    """Rows in force at your schools: each school's own, its authority's and the ones shared by all."""

    order_by: tuple[str, ...] = ("pk",)

    def get_queryset(self):
        return super().get_queryset().select_related("school", "authority").order_by(*self.order_by)


class ChangeTemplateViewSet(SharedListViewSet):
    """The standard change templates in force at your schools (`?school=` at one): pre-approved changes with
    their plans. Retired templates are not listed."""

    queryset = ChangeTemplate.objects.none()
    serializer_class = ChangeTemplateSerializer
    filterset_class = ChangeTemplateFilterSet
    order_by = ("name", "pk")

    def get_queryset(self):
        return super().get_queryset().filter(is_active=True)


class FreezeWindowViewSet(SharedListViewSet):
    """The freeze windows in force at your schools (exams, inspections, the start of term): no normal or standard
    change runs then. `?upcoming=true` for the ones not over yet, `?school=` for the ones in force at one."""

    queryset = FreezeWindow.objects.none()
    serializer_class = FreezeWindowSerializer
    filterset_class = FreezeWindowFilterSet
    order_by = ("starts", "pk")


class MaintenanceWindowViewSet(SharedListViewSet):
    """The weekly maintenance windows in force at your schools, in which standard changes run."""

    queryset = MaintenanceWindow.objects.none()
    serializer_class = MaintenanceWindowSerializer
    filterset_class = MaintenanceWindowFilterSet
    order_by = ("weekday", "opens", "pk")


class ChangeAdvisoryBoardViewSet(SharedListViewSet):
    """The change advisory boards serving your schools, with their members and quorum."""

    queryset = ChangeAdvisoryBoard.objects.none()
    serializer_class = ChangeAdvisoryBoardSerializer
    filterset_class = ChangeAdvisoryBoardFilterSet
    order_by = ("name", "pk")

    def get_queryset(self):
        return super().get_queryset().prefetch_related("members")


routes = [
    ("changes/templates", ChangeTemplateViewSet, "change-template"),
    ("changes/freeze-windows", FreezeWindowViewSet, "change-freeze-window"),
    ("changes/maintenance-windows", MaintenanceWindowViewSet, "change-maintenance-window"),
    ("changes/boards", ChangeAdvisoryBoardViewSet, "change-board"),
    ("changes", ChangeViewSet, "change"),
]
