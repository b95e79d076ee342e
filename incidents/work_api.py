"""The API of the work on a ticket beyond its lifecycle, and of the service desk's configuration.

`IncidentWorkActions` gives /api/incidents/{id}/ its actions: escalate, take-back, supplier-reference,
time, merge, declare-major, link-major, unlink-major, major-update, service. `/api/categories/` and
`/api/support-groups/` list what is in force at your schools; their keepers write through the
services (a school's network manager, the authority's consultants and support unit).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.contrib.contenttypes.models import ContentType
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from fits import access
from fits.api import BriefSerializer, ScopedInputSerializer, ScopedViewSet, UserBriefSerializer
from fits.filters import FitsFilterSet, NaturalKeyMultipleChoiceFilter, visible_schools
from fits.models import Authority, School, TimeEntry, User
from incidents import services
from incidents.models import Category, Incident, SupportGroup, TicketKind
from servicelevels.models import ITService

# =============================================================================
# Brief forms of the related records, for the incident serializer
# =============================================================================


class CategoryBriefSerializer(serializers.ModelSerializer):
    display = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = Category
        fields = ("id", "display", "name")


class SupportGroupBriefSerializer(serializers.ModelSerializer):
    display = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = SupportGroup
        fields = ("id", "display", "kind")


class IncidentLinkSerializer(serializers.ModelSerializer):
    """Another ticket, by its id and reference (a major incident, the ticket a duplicate was merged into)."""

    class Meta:
        model = Incident
        fields = ("id", "reference")


# =============================================================================
# Actions on one ticket
# =============================================================================


class EscalateSerializer(ScopedInputSerializer):
    group = serializers.PrimaryKeyRelatedField(
        queryset=SupportGroup.objects.all(), help_text="The LEA support unit or a supplier (a support group's id)."
    )
    note = serializers.CharField(required=False, default="", allow_blank=True)
    supplier_reference = serializers.CharField(required=False, default="", allow_blank=True, max_length=60)


class TicketServiceSerializer(ScopedInputSerializer):
    service = serializers.PrimaryKeyRelatedField(
        queryset=ITService.objects.all(),
        allow_null=True,
        help_text="The ICT service's id (the ticket's school's catalogue); null: no service.",
    )


class TicketCategorySerializer(ScopedInputSerializer):
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(),
        allow_null=True,
        help_text="The category's id (one that applies at the ticket's school); null: no category. A security "
        "category makes the ticket a security incident, seen by few.",
    )


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, default="", allow_blank=True)


class SupplierReferenceSerializer(serializers.Serializer):
    supplier_reference = serializers.CharField(allow_blank=True, max_length=60)


class TimeEntrySerializer(serializers.ModelSerializer):
    person = UserBriefSerializer(read_only=True)

    class Meta:
        model = TimeEntry
        fields = ("id", "person", "minutes", "worked_on", "note", "created_at")


class TimeInputSerializer(serializers.Serializer):
    minutes = serializers.IntegerField(min_value=1, max_value=services.MAX_MINUTES)
    worked_on = serializers.DateField(required=False, allow_null=True, help_text="Today if left out.")
    note = serializers.CharField(required=False, default="", allow_blank=True, max_length=200)


class MergeSerializer(ScopedInputSerializer):
    into = serializers.PrimaryKeyRelatedField(
        queryset=Incident.objects.all(), help_text="The id of the ticket that stays (same school, not closed)."
    )
    note = serializers.CharField(required=False, default="", allow_blank=True)


class LinkMajorSerializer(ScopedInputSerializer):
    major = serializers.PrimaryKeyRelatedField(queryset=Incident.objects.all(), help_text="The major incident's id.")


class MajorUpdateSerializer(serializers.Serializer):
    text = serializers.CharField()


class IncidentWorkActions:
    """The work actions of IncidentViewSet; each calls one service and answers with the ticket."""

    def _ticket(self, incident: Incident) -> Response:
        fresh = self.get_queryset().filter(pk=incident.pk).first()
        return Response(self.get_serializer(fresh or incident).data)

    def _payload(self, serializer_class: type) -> dict[str, Any]:
        payload = serializer_class(data=self.request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        return payload.validated_data

    @extend_schema(request=EscalateSerializer, responses=None)
    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None, format=None):
        """Escalate to the LEA support unit (its queue) or a supplier (on hold; the supplier is e-mailed)."""
        incident = self.get_object()  # first: another school's ticket is a 404 whatever the payload
        data = self._payload(EscalateSerializer)
        return self._ticket(services.incident_escalate(incident=incident, actor=request.user, **data))

    @extend_schema(request=NoteSerializer, responses=None)
    @action(detail=True, methods=["post"], url_path="take-back")
    def take_back(self, request, pk=None, format=None):
        """Take an escalated ticket back to the school."""
        incident = self.get_object()
        data = self._payload(NoteSerializer)
        return self._ticket(services.incident_take_back(incident=incident, actor=request.user, **data))

    @extend_schema(request=SupplierReferenceSerializer, responses=None)
    @action(detail=True, methods=["post"], url_path="supplier-reference")
    def supplier_reference(self, request, pk=None, format=None):
        """Record the supplier's (or the LEA's) own call reference."""
        incident = self.get_object()
        data = self._payload(SupplierReferenceSerializer)
        return self._ticket(services.incident_set_supplier_reference(incident=incident, actor=request.user, **data))

    @extend_schema(request=TicketServiceSerializer, responses=None)
    @action(detail=True, methods=["post"])
    def service(self, request, pk=None, format=None):
        """Correct the ICT service the ticket counts against: its agreement and due times follow."""
        incident = self.get_object()
        data = self._payload(TicketServiceSerializer)
        return self._ticket(services.incident_set_service(incident=incident, actor=request.user, **data))

    @extend_schema(request=TicketCategorySerializer, responses=None)
    @action(detail=True, methods=["post"])
    def category(self, request, pk=None, format=None):
        """Put the ticket in another category (a security category restricts who sees it)."""
        incident = self.get_object()
        data = self._payload(TicketCategorySerializer)
        return self._ticket(services.incident_recategorise(incident=incident, actor=request.user, **data))

    @extend_schema(methods=["get"], responses=TimeEntrySerializer(many=True))
    @extend_schema(methods=["post"], request=TimeInputSerializer, responses={201: TimeEntrySerializer})
    @action(detail=True, methods=["get", "post"])
    def time(self, request, pk=None, format=None):
        """The time logged on the ticket, latest first (support staff); POST logs your own."""
        incident = self.get_object()
        if request.method == "POST":
            data = self._payload(TimeInputSerializer)
            entry = services.incident_log_time(incident=incident, person=request.user, **data)
            return Response(TimeEntrySerializer(entry).data, status=status.HTTP_201_CREATED)
        entries = (
            TimeEntry.objects.visible_to(request.user)
            .filter(content_type=ContentType.objects.get_for_model(Incident), object_id=incident.pk)
            .select_related("person")
        )
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(TimeEntrySerializer(page, many=True).data)

    @extend_schema(request=MergeSerializer, responses=None)
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None, format=None):
        """Merge this ticket, a duplicate, into another: it is closed and its caller told. Answers the survivor."""
        duplicate = self.get_object()
        data = self._payload(MergeSerializer)
        services.incident_merge(duplicate=duplicate, actor=request.user, **data)
        return self._ticket(data["into"])

    @extend_schema(request=NoteSerializer, responses=None)
    @action(detail=True, methods=["post"], url_path="declare-major")
    def declare_major(self, request, pk=None, format=None):
        """Declare a major incident (many users or a whole service down); the school's leaders are told."""
        incident = self.get_object()
        data = self._payload(NoteSerializer)
        return self._ticket(services.incident_declare_major(incident=incident, actor=request.user, **data))

    @extend_schema(request=LinkMajorSerializer, responses=None)
    @action(detail=True, methods=["post"], url_path="link-major")
    def link_major(self, request, pk=None, format=None):
        """Link this call to the major incident it is part of."""
        child = self.get_object()
        data = self._payload(LinkMajorSerializer)
        return self._ticket(services.incident_link_to_major(child=child, actor=request.user, **data))

    @extend_schema(request=None, responses=None)
    @action(detail=True, methods=["post"], url_path="unlink-major")
    def unlink_major(self, request, pk=None, format=None):
        """Take this call out of its major incident."""
        return self._ticket(services.incident_unlink_from_major(child=self.get_object(), actor=request.user))

    @extend_schema(request=MajorUpdateSerializer, responses=None)
    @action(detail=True, methods=["post"], url_path="major-update")
    def major_update(self, request, pk=None, format=None):
        """Post a status update on a major incident: on every linked call, and sent to everyone affected."""
        major = self.get_object()
        data = self._payload(MajorUpdateSerializer)
        services.incident_major_update(major=major, actor=request.user, **data)
        return self._ticket(major)


# =============================================================================
# /api/categories/ and /api/support-groups/
# =============================================================================


class SharedRowFilterSet(FitsFilterSet):
    """`?school=slug`: what is in force at that school (its own rows, its authority's, everyone's)."""

    school = NaturalKeyMultipleChoiceFilter(
        to_field_name="slug", queryset=visible_schools, method="in_force_at", label="In force at (school slug)"
    )
    is_active = django_filters.BooleanFilter()

    def in_force_at(self, queryset, name, value):
        for school in value:
            queryset = queryset.of_school(school.pk)
        return queryset


class CategoryFilterSet(SharedRowFilterSet):
    parent_id = django_filters.NumberFilter(field_name="parent_id")
    top_level = django_filters.BooleanFilter(field_name="parent", lookup_expr="isnull")

    class Meta:
        model = Category
        fields = ["school", "is_active", "applies_to"]


class SupportGroupFilterSet(SharedRowFilterSet):
    class Meta:
        model = SupportGroup
        fields = ["school", "is_active", "kind"]


def _authority_of(user: Any, value: Authority | None) -> Authority | None:
    """An authority named in input must be one of the user's schools' (else it is not there for them)."""
    if value is None or user.is_superuser:
        return value
    if value.pk not in {s.authority_id for s in School.objects.filter(pk__in=user.visible_school_ids)}:
        raise serializers.ValidationError("Object does not exist.")
    return value


class SharedRowSerializer(BriefSerializer):
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    authority = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    scope = serializers.CharField(source="scope_label", read_only=True, help_text="Who keeps it.")
    may_change = serializers.SerializerMethodField(help_text="Whether you may change it.")

    def get_may_change(self, row) -> bool:
        request = self.context.get("request")
        return bool(request) and access.can_manage_shared_config.test(request.user, row)


class CategorySerializer(SharedRowSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:category-detail")
    parent = CategoryBriefSerializer(read_only=True)
    default_group = SupportGroupBriefSerializer(read_only=True)

    class Meta:
        model = Category
        fields = (
            "id",
            "url",
            "display",
            "name",
            "parent",
            "applies_to",
            "default_group",
            "is_active",
            "school",
            "authority",
            "scope",
            "may_change",
        )
        read_only_fields = fields
        brief_fields = ("id", "url", "display")


class CategoryInputSerializer(ScopedInputSerializer):
    name = serializers.CharField(max_length=80)
    parent = serializers.PrimaryKeyRelatedField(queryset=Category.objects.all(), required=False, allow_null=True)
    applies_to = serializers.ChoiceField(choices=TicketKind.choices, required=False, allow_blank=True, default="")
    default_group = serializers.PrimaryKeyRelatedField(
        queryset=SupportGroup.objects.all(), required=False, allow_null=True
    )
    is_active = serializers.BooleanField(required=False, default=True)
    school = serializers.SlugRelatedField(
        slug_field="slug", queryset=School.objects.all(), required=False, allow_null=True, help_text="On create."
    )
    authority = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Authority.objects.all(),
        required=False,
        allow_null=True,
        help_text="On create: shared with every school of the authority.",
    )

    def validate_authority(self, value):
        return _authority_of(self.context["request"].user, value)


class SupportGroupSerializer(SharedRowSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:support-group-detail")
    members = UserBriefSerializer(many=True, read_only=True)

    class Meta:
        model = SupportGroup
        fields = (
            "id",
            "url",
            "display",
            "name",
            "kind",
            "email",
            "phone",
            "notes",
            "members",
            "is_active",
            "school",
            "authority",
            "scope",
            "may_change",
        )
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "kind")


class SupportGroupInputSerializer(ScopedInputSerializer):
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=SupportGroup.Kind.choices)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=30)
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    members = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), many=True, required=False, default=list)
    is_active = serializers.BooleanField(required=False, default=True)
    school = serializers.SlugRelatedField(
        slug_field="slug", queryset=School.objects.all(), required=False, allow_null=True, help_text="On create."
    )
    authority = serializers.SlugRelatedField(
        slug_field="slug", queryset=Authority.objects.all(), required=False, allow_null=True, help_text="On create."
    )

    def validate_authority(self, value):
        return _authority_of(self.context["request"].user, value)


class SharedRowViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """List and read; create (POST) and change (PUT/PATCH) through the service."""

    input_serializer: type

    def save_row(self, *, actor: User, row: Any, **data: Any) -> Any:
        raise NotImplementedError

    def _save(self, request, row=None, partial=False):
        payload = self.input_serializer(data=request.data, context=self.get_serializer_context(), partial=partial)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        if row is not None:  # the owner is chosen once, on create
            data.pop("school", None)
            data.pop("authority", None)
            if partial:
                data = {**self.current_values(row), **data}
        saved = self.save_row(actor=request.user, row=row, **data)
        saved = self.get_queryset().get(pk=saved.pk)
        return Response(self.get_serializer(saved).data, status=status.HTTP_200_OK if row else status.HTTP_201_CREATED)

    def create(self, request, *args, **kwargs):
        return self._save(request)

    def update(self, request, *args, **kwargs):
        return self._save(request, self.get_object())

    def partial_update(self, request, *args, **kwargs):
        return self._save(request, self.get_object(), partial=True)


class CategoryViewSet(SharedRowViewSet):
    """Categories in force at your schools: a school's own, its authority's shared tree, everyone's."""

    queryset = Category.objects.none()
    serializer_class = CategorySerializer
    filterset_class = CategoryFilterSet
    input_serializer = CategoryInputSerializer

    def save_row(self, *, actor, row, **data):
        return services.category_save(actor=actor, category=row, **data)

    def get_queryset(self):
        return super().get_queryset().select_related("school", "authority", "parent", "default_group").order_by("pk")

    @staticmethod
    def current_values(row: Category) -> dict[str, Any]:
        return {
            "name": row.name,
            "parent": row.parent,
            "applies_to": row.applies_to,
            "default_group": row.default_group,
            "is_active": row.is_active,
        }

    @extend_schema(request=CategoryInputSerializer, responses={201: CategorySerializer})
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    @extend_schema(request=CategoryInputSerializer, responses=CategorySerializer)
    def update(self, request, *args, **kwargs):
        return super().update(request, *args, **kwargs)

    @extend_schema(request=CategoryInputSerializer, responses=CategorySerializer)
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)


class SupportGroupViewSet(SharedRowViewSet):
    """Support groups working for your schools (support staff only): teams, the LEA support unit, suppliers."""

    queryset = SupportGroup.objects.none()
    serializer_class = SupportGroupSerializer
    filterset_class = SupportGroupFilterSet
    input_serializer = SupportGroupInputSerializer

    def save_row(self, *, actor, row, **data):
        return services.support_group_save(actor=actor, group=row, **data)

    def get_queryset(self):
        return super().get_queryset().select_related("school", "authority").prefetch_related("members").order_by("pk")

    @staticmethod
    def current_values(row: SupportGroup) -> dict[str, Any]:
        return {
            "name": row.name,
            "kind": row.kind,
            "email": row.email,
            "phone": row.phone,
            "notes": row.notes,
            "members": list(row.members.all()),
            "is_active": row.is_active,
        }

    @extend_schema(request=SupportGroupInputSerializer, responses={201: SupportGroupSerializer})
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    @extend_schema(request=SupportGroupInputSerializer, responses=SupportGroupSerializer)
    def update(self, request, *args, **kwargs):
        return super().update(request, *args, **kwargs)

    @extend_schema(request=SupportGroupInputSerializer, responses=SupportGroupSerializer)
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)


routes = [
    ("categories", CategoryViewSet, "category"),
    ("support-groups", SupportGroupViewSet, "support-group"),
]
