"""The incidents API: /api/incidents/, with the lifecycle as actions that call the services."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from cmdb.models import ConfigurationItem, Location
from fits import access
from fits.activity import timeline
from fits.api import ActivitySerializer, BriefSerializer, ScopedInputSerializer, ScopedViewSet, UserBriefSerializer
from fits.models import School, User
from incidents import services, task_api, work_api
from incidents.filters import IncidentFilterSet
from incidents.models import Category, Channel, HoldReason, Impact, Incident, ResolutionCode, Urgency
from incidents.portal_api import PortalActions
from incidents.timetable_api import LessonViewSet
from incidents.work_api import (
    CategoryBriefSerializer,
    IncidentLinkSerializer,
    IncidentWorkActions,
    SupportGroupBriefSerializer,
)
from servicelevels.models import ITService


class IncidentSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:incident-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    reporter = UserBriefSerializer(read_only=True)
    logged_by = UserBriefSerializer(read_only=True)
    assignee = UserBriefSerializer(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    priority_display = serializers.CharField(source="get_priority_display", read_only=True)
    actions = serializers.SerializerMethodField(help_text="The lifecycle actions you may take now.")
    # Groups and escalation, outcomes, time, duplicates and major incidents (incidents/work_api.py).
    category = CategoryBriefSerializer(read_only=True)
    group = SupportGroupBriefSerializer(read_only=True)
    parent = IncidentLinkSerializer(read_only=True, help_text="The major incident this call is part of.")
    duplicate_of = IncidentLinkSerializer(read_only=True, help_text="The ticket this duplicate was merged into.")
    time_spent = serializers.SerializerMethodField(help_text="Minutes logged on the ticket.")

    class Meta:
        model = Incident
        fields = (
            "id",
            "url",
            "display",
            "reference",
            "school",
            "title",
            "description",
            "room",
            "location",
            "lesson",
            "ci",
            "channel",
            "reporter",
            "logged_by",
            "impact",
            "urgency",
            "priority",
            "priority_display",
            "status",
            "status_display",
            "assignee",
            "resolution",
            "category",
            "group",
            "supplier_reference",
            "hold_reason",
            "resolution_code",
            "is_major",
            "parent",
            "duplicate_of",
            "time_spent",
            "first_response_at",
            "safeguarding",
            "satisfaction",
            "satisfaction_comment",
            "created_at",
            "updated_at",
            "resolved_at",
            "closed_at",
            # The SLA clock (servicelevels.sla): computed, never written through the API.
            "service",
            "agreement",
            "response_due_at",
            "resolution_due_at",
            "response_met",
            "resolution_met",
            "resolved_at_first_contact",
            "reopen_count",
            "actions",
        )
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "reference", "status", "priority")

    def get_time_spent(self, incident: Incident) -> int:
        if hasattr(incident, "time_spent"):  # annotated by the viewset's queryset
            return incident.time_spent
        user = self.context["request"].user
        spent = Incident.objects.visible_to(user).filter(pk=incident.pk).with_time_spent().values_list("time_spent")
        return next(iter(spent), (0,))[0]

    def get_actions(self, incident: Incident) -> list[str]:
        request = self.context.get("request")
        return [t.name for t in Incident.WORKFLOW.available(request.user, incident)] if request else []


class IncidentLogSerializer(ScopedInputSerializer):
    """What it takes to log an incident. `school` is a slug; `reporter` is for the desk logging a call."""

    school = serializers.SlugRelatedField(slug_field="slug", queryset=School.objects.all())
    title = serializers.CharField(max_length=200)
    description = serializers.CharField()
    room = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)
    impact = serializers.ChoiceField(choices=Impact.choices, default=Impact.LOW)
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.MEDIUM)
    reporter = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.API)
    ci = serializers.PrimaryKeyRelatedField(
        queryset=ConfigurationItem.objects.all(), required=False, allow_null=True, help_text="A CMDB item's id."
    )
    location = serializers.PrimaryKeyRelatedField(
        queryset=Location.objects.all(), required=False, allow_null=True, help_text="The room's id (CMDB locations)."
    )
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all(), required=False, allow_null=True)
    service = serializers.PrimaryKeyRelatedField(
        queryset=ITService.objects.all(),
        required=False,
        allow_null=True,
        help_text="The ICT service's id (service catalogue); left out, it follows from the CI or the default.",
    )
    safeguarding = serializers.BooleanField(
        default=False, help_text="A child-protection concern: only the safeguarding leads and a few others see it."
    )


class TransitionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=sorted(Incident.WORKFLOW.actions))
    note = serializers.CharField(required=False, default="", allow_blank=True)
    hold_reason = serializers.ChoiceField(
        choices=HoldReason.choices, required=False, default="", allow_blank=True, help_text="Required to hold."
    )
    resolution_code = serializers.ChoiceField(
        choices=ResolutionCode.choices,
        required=False,
        default="",
        allow_blank=True,
        help_text="Required to resolve an incident (a request without one is fulfilled).",
    )
    minutes = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=24 * 60, help_text="Time spent, logged on resolve."
    )


class AssignSerializer(ScopedInputSerializer):
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), allow_null=True)
    note = serializers.CharField(required=False, default="", allow_blank=True)


class CommentSerializer(serializers.Serializer):
    text = serializers.CharField()
    public = serializers.BooleanField(default=True)


class IncidentViewSet(
    PortalActions, IncidentWorkActions, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet
):
    """Incidents you may see: your schools' queues, or the ones you reported.

    Log one with POST; move it along its lifecycle with `transition`, route it with `assign`,
    and follow its timeline with `activity`. Status is never written directly.
    """

    queryset = Incident.objects.none()
    serializer_class = IncidentSerializer
    filterset_class = IncidentFilterSet

    def get_queryset(self):
        # Read in their own small queries (none for links no ticket on the page has), not joined: eleven tables in
        # one join cost PostgreSQL 20 ms to plan for a page that takes 1 ms to read.
        related = ("category__parent", "group", "parent", "duplicate_of")
        return super().get_queryset().for_list().prefetch_related(*related).with_time_spent()

    @extend_schema(request=IncidentLogSerializer, responses={201: IncidentSerializer})
    def create(self, request, *args, **kwargs):
        payload = IncidentLogSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        incident = services.incident_log(logged_by=request.user, **payload.validated_data)
        return Response(self.get_serializer(incident).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TransitionSerializer, responses=IncidentSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None, format=None):
        payload = TransitionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        incident = services.incident_transition(
            incident=self.get_object(), actor=request.user, **payload.validated_data
        )
        return Response(self.get_serializer(incident).data)

    @extend_schema(request=AssignSerializer, responses=IncidentSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None, format=None):
        payload = AssignSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        incident = services.incident_assign(incident=self.get_object(), actor=request.user, **payload.validated_data)
        return Response(self.get_serializer(incident).data)

    @extend_schema(request=CommentSerializer, responses={201: ActivitySerializer})
    @action(detail=True, methods=["post"])
    def comment(self, request, pk=None, format=None):
        payload = CommentSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        entry = services.incident_comment(incident=self.get_object(), author=request.user, **payload.validated_data)
        return Response(ActivitySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=ActivitySerializer(many=True))
    @action(detail=True, methods=["get"])
    def activity(self, request, pk=None, format=None):
        """The incident's timeline, oldest first (internal notes only for support staff)."""
        incident = self.get_object()
        entries = timeline(incident, include_internal=access.can_see_internal_notes.test(request.user, incident))
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(ActivitySerializer(page, many=True).data)


routes = [
    ("incidents", IncidentViewSet, "incident"),
    ("lessons", LessonViewSet, "lesson"),
    *work_api.routes,
    *task_api.routes,
]
