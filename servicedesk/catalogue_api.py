"""The service catalogue's API: /api/request-types/, /api/requests/ and /api/fulfilment-tasks/.

Reads start from visible_to (an ICT user sees the items offered to them and their own requests);
every write calls a service in servicedesk.services, which checks the permission. A request's
ticket (reference, status, assignment, timeline) is at /api/incidents/<ticket id>/.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from fits.api import BriefSerializer, ScopedInputSerializer, ScopedViewSet, UserBriefSerializer
from fits.models import School, User
from incidents.models import Category, Channel, Incident, SupportGroup
from servicedesk import services
from servicedesk.catalogue_filters import FulfilmentTaskFilterSet, ServiceRequestFilterSet
from servicedesk.models import Approval, Approver, FulfilmentTask, RequestType, ServiceRequest

# =============================================================================
# Request types (the catalogue)
# =============================================================================


class QuestionSerializer(serializers.Serializer):
    """One question of an item's form (documentation of `fields`; the service checks them)."""

    name = serializers.CharField(help_text="The answer key: lower-case letters, digits and _.")
    label = serializers.CharField()
    type = serializers.ChoiceField(choices=services.FieldType.choices)
    required = serializers.BooleanField(default=False)
    help = serializers.CharField(required=False, allow_blank=True)
    choices = serializers.ListField(child=serializers.CharField(), required=False, help_text="For a choice.")
    multiple = serializers.BooleanField(required=False, help_text="A choice where several may be ticked.")
    min = serializers.FloatField(required=False, help_text="For a number.")
    max = serializers.FloatField(required=False, help_text="For a number.")
    not_before = serializers.CharField(
        required=False, help_text="For a date: 'today' or the name of an earlier date question."
    )


class TaskTemplateSerializer(serializers.Serializer):
    title = serializers.CharField()
    group = serializers.IntegerField(required=False, allow_null=True, help_text="A support group's id.")


class RequestTypeSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:request-type-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    fields = QuestionSerializer(many=True, read_only=True)
    tasks = TaskTemplateSerializer(many=True, read_only=True)
    approver_display = serializers.CharField(source="get_approver_display", read_only=True)

    class Meta:
        model = RequestType
        fields = (
            "id",
            "url",
            "display",
            "school",
            "name",
            "summary",
            "category",
            "fields",
            "tasks",
            "needs_approval",
            "approver",
            "approver_display",
            "response_hours",
            "fulfil_days",
            "staff_only",
            "handler",
            "is_active",
        )
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "name")


class RequestTypeWriteSerializer(ScopedInputSerializer):
    """An item's settings. `school` (a slug) only when adding one; `fields` and `tasks` as in the response."""

    name = serializers.CharField(max_length=100)
    summary = serializers.CharField(max_length=300)
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all(), required=False, allow_null=True)
    fields = serializers.JSONField(required=False, help_text="The questions: a list like the response's `fields`.")
    tasks = serializers.JSONField(required=False, help_text="The fulfilment tasks: [{'title', 'group'}].")
    needs_approval = serializers.BooleanField(required=False)
    approver = serializers.ChoiceField(choices=Approver.choices, required=False, allow_blank=True)
    response_hours = serializers.IntegerField(required=False, allow_null=True)
    fulfil_days = serializers.IntegerField(required=False, allow_null=True)
    staff_only = serializers.BooleanField(required=False)
    handler = serializers.CharField(
        required=False, allow_blank=True, help_text="An operations function that carries it out (see `handler`)."
    )


class RequestTypeCreateSerializer(RequestTypeWriteSerializer):
    school = serializers.SlugRelatedField(slug_field="slug", queryset=School.objects.all())


class RequestTypeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """The service catalogue: items people can request. ICT users see those offered to them; support
    staff see every item, retired ones too. The desk and technicians add (POST), change (PUT/PATCH),
    `retire` and `reinstate` items."""

    queryset = RequestType.objects.none()
    serializer_class = RequestTypeSerializer

    def get_queryset(self):
        return super().get_queryset().for_list().order_by("name", "pk")

    @extend_schema(request=RequestTypeCreateSerializer, responses={201: RequestTypeSerializer})
    def create(self, request, *args, **kwargs):
        payload = RequestTypeCreateSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        item = services.request_type_create(actor=request.user, **payload.validated_data)
        return Response(self.get_serializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RequestTypeWriteSerializer, responses=RequestTypeSerializer)
    def update(self, request, *args, **kwargs):
        item = self.get_object()
        payload = RequestTypeWriteSerializer(
            data=request.data, partial=kwargs.get("partial", False), context=self.get_serializer_context()
        )
        payload.is_valid(raise_exception=True)
        item = services.request_type_update(request_type=item, actor=request.user, **payload.validated_data)
        return Response(self.get_serializer(item).data)

    @extend_schema(request=RequestTypeWriteSerializer, responses=RequestTypeSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(request=None, responses=RequestTypeSerializer)
    @action(detail=True, methods=["post"])
    def retire(self, request, pk=None, format=None):
        item = services.request_type_retire(request_type=self.get_object(), actor=request.user)
        return Response(self.get_serializer(item).data)

    @extend_schema(request=None, responses=RequestTypeSerializer)
    @action(detail=True, methods=["post"])
    def reinstate(self, request, pk=None, format=None):
        item = services.request_type_reinstate(request_type=self.get_object(), actor=request.user)
        return Response(self.get_serializer(item).data)


# =============================================================================
# Requests, their tasks and approvals
# =============================================================================


class TicketBriefSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:incident-detail")
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    reporter = UserBriefSerializer(read_only=True)
    assignee = UserBriefSerializer(read_only=True)

    class Meta:
        model = Incident
        fields = ("id", "url", "reference", "title", "status", "status_display", "reporter", "assignee", "created_at")
        read_only_fields = fields


class FulfilmentTaskSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:fulfilment-task-detail")
    assignee = UserBriefSerializer(read_only=True)
    done_by = UserBriefSerializer(read_only=True)
    is_done = serializers.BooleanField(read_only=True)

    class Meta:
        model = FulfilmentTask
        fields = (
            "id",
            "url",
            "display",
            "ticket",
            "position",
            "title",
            "group",
            "assignee",
            "is_done",
            "done_at",
            "done_by",
            "note",
        )
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "is_done")


class ApprovalSerializer(serializers.ModelSerializer):
    approver = UserBriefSerializer(read_only=True)
    decision_display = serializers.CharField(source="get_decision_display", read_only=True)

    class Meta:
        model = Approval
        fields = ("id", "decision", "decision_display", "approver", "comment", "created_at", "decided_at")
        read_only_fields = fields


class RequestTypeBriefSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:request-type-detail")

    class Meta:
        model = RequestType
        fields = ("id", "url", "name")
        read_only_fields = fields


class ServiceRequestSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:service-request-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    reference = serializers.CharField(source="ticket.reference", read_only=True)
    ticket = TicketBriefSerializer(read_only=True)
    request_type = RequestTypeBriefSerializer(read_only=True)
    tasks = serializers.SerializerMethodField()
    approvals = serializers.SerializerMethodField()

    class Meta:
        model = ServiceRequest
        fields = ("id", "url", "display", "school", "reference", "ticket", "request_type", "answers", "tasks",
                  "approvals")  # fmt: skip
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "reference")

    def get_display(self, obj: ServiceRequest) -> str:
        return f"{obj.ticket.reference} {obj.ticket.title}"

    @extend_schema_field(FulfilmentTaskSerializer(many=True))
    def get_tasks(self, obj: ServiceRequest) -> list[dict[str, Any]]:
        return FulfilmentTaskSerializer(obj.ticket.tasks.all(), many=True, context=self.context).data

    @extend_schema_field(ApprovalSerializer(many=True))
    def get_approvals(self, obj: ServiceRequest) -> list[dict[str, Any]]:
        return ApprovalSerializer(obj.ticket.approvals.all(), many=True).data


class RequestLogSerializer(ScopedInputSerializer):
    """What it takes to request something: the item's id and the answers to its form, by answer key.
    The desk and technicians may log it for someone else (`reporter`, with the `channel` it came by)."""

    request_type = serializers.PrimaryKeyRelatedField(queryset=RequestType.objects.all())
    answers = serializers.JSONField(required=False, default=dict)
    reporter = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.API)


class DecisionSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, default="", allow_blank=True)


class TaskAddSerializer(ScopedInputSerializer):
    title = serializers.CharField(max_length=200)
    group = serializers.PrimaryKeyRelatedField(queryset=SupportGroup.objects.all(), required=False, allow_null=True)
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)


def answers_errors(error: DjangoValidationError) -> exceptions.ValidationError:
    """The service's per-question errors go under `answers`, so a question named like a field stays clear."""
    if not hasattr(error, "error_dict"):
        return exceptions.ValidationError({"non_field_errors": error.messages})
    general = {"request_type", "reporter", "title", "answers", "non_field_errors"}
    answers = {name: messages for name, messages in error.message_dict.items() if name not in general}
    detail = {name: messages for name, messages in error.message_dict.items() if name in general}
    if answers:
        detail["answers"] = answers
    return exceptions.ValidationError(detail)


class ServiceRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Service requests you may see: your schools' (support staff), or the ones you asked for.

    Log one with POST (an item of the catalogue and the answers to its form); its ticket is logged
    with it (REQ-...). Approvers `approve` or `decline` (with a comment); the desk and technicians
    add `tasks`. Moves of the ticket itself go through /api/incidents/<ticket id>/transition/.
    """

    queryset = ServiceRequest.objects.none()
    serializer_class = ServiceRequestSerializer
    filterset_class = ServiceRequestFilterSet

    def get_queryset(self):
        requests = super().get_queryset().for_list()
        if self.request and self.request.query_params.get("awaiting_my_approval") in ("1", "true"):
            requests = requests.awaiting_decision_by(self.request.user)
        return requests.order_by("-ticket__created_at", "-pk")

    @extend_schema(request=RequestLogSerializer, responses={201: ServiceRequestSerializer})
    def create(self, request, *args, **kwargs):
        payload = RequestLogSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        try:
            service_request = services.request_log(school=data["request_type"].school, logged_by=request.user, **data)
        except DjangoValidationError as error:
            raise answers_errors(error) from error
        return Response(self.get_serializer(self.refetch(service_request)).data, status=status.HTTP_201_CREATED)

    def refetch(self, service_request: ServiceRequest) -> ServiceRequest:
        return self.get_queryset().get(pk=service_request.pk)

    @extend_schema(request=DecisionSerializer, responses=ServiceRequestSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None, format=None):
        payload = DecisionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.request_approve(service_request=self.get_object(), actor=request.user, **payload.validated_data)
        return Response(self.get_serializer(self.refetch(self.get_object())).data)

    @extend_schema(request=DecisionSerializer, responses=ServiceRequestSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None, format=None):
        payload = DecisionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.request_decline(service_request=self.get_object(), actor=request.user, **payload.validated_data)
        return Response(self.get_serializer(self.refetch(self.get_object())).data)

    @extend_schema(request=TaskAddSerializer, responses={201: FulfilmentTaskSerializer})
    @action(detail=True, methods=["post"], url_path="tasks")
    def add_task(self, request, pk=None, format=None):
        payload = TaskAddSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        task = services.task_add(service_request=self.get_object(), actor=request.user, **payload.validated_data)
        return Response(FulfilmentTaskSerializer(task, context=self.get_serializer_context()).data, status=201)


class TaskNoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, default="", allow_blank=True, max_length=300)


class TaskAssignSerializer(ScopedInputSerializer):
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), allow_null=True)


class FulfilmentTaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """The fulfilment tasks of the requests you may see. The desk and technicians `complete` them
    (the last one resolves its request as fulfilled), `reopen` one done by mistake, and `assign` them."""

    queryset = FulfilmentTask.objects.none()
    serializer_class = FulfilmentTaskSerializer
    filterset_class = FulfilmentTaskFilterSet

    def get_queryset(self):
        return super().get_queryset().select_related("assignee", "done_by").order_by("ticket", "position", "pk")

    @extend_schema(request=TaskNoteSerializer, responses=FulfilmentTaskSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None, format=None):
        payload = TaskNoteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        task = services.task_complete(task=self.get_object(), actor=request.user, **payload.validated_data)
        return Response(self.get_serializer(task).data)

    @extend_schema(request=TaskNoteSerializer, responses=FulfilmentTaskSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None, format=None):
        payload = TaskNoteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        task = services.task_reopen(task=self.get_object(), actor=request.user, **payload.validated_data)
        return Response(self.get_serializer(task).data)

    @extend_schema(request=TaskAssignSerializer, responses=FulfilmentTaskSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None, format=None):
        payload = TaskAssignSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        task = services.task_assign(task=self.get_object(), actor=request.user, **payload.validated_data)
        return Response(self.get_serializer(task).data)


routes = [
    ("request-types", RequestTypeViewSet, "request-type"),
    ("requests", ServiceRequestViewSet, "service-request"),
    ("fulfilment-tasks", FulfilmentTaskViewSet, "fulfilment-task"),
]
