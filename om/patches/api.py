"""Patch Management API: the baseline, the groups and their approvals, the devices' states, imported reports.

Read-only but for two operations that call the services: importing a report (POST /api/patches/imports/) and
raising a change for a rollout (POST /api/patches/updates/{id}/rollout/).
"""

from __future__ import annotations

import django_filters
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from cmdb.models import ConfigurationItem
from fits import access
from fits.api import BriefSerializer, ScopedInputSerializer, ScopedReadOnlyViewSet, ScopedViewSet
from fits.models import School
from om.patches import services
from om.patches.models import Approval, ComplianceState, PatchGroup, PatchImport, Severity, State, Update


class PatchAccessMixin:
    """Patch Management is for support staff: nobody else gets even an empty list."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not access.here_or_anywhere(access.can_view_patches).test(request.user, None):
            raise Http404


class PatchCIBriefSerializer(serializers.ModelSerializer):
    display = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = ConfigurationItem
        fields = ("id", "display", "kind")


class UpdateSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:patches-update-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    authority = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Update
        fields = ("id", "url", "display", "school", "authority", "kind", "identifier", "product", "title",
                  "severity", "min_version", "released_on", "created_at")  # fmt: skip
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "severity")


class RolloutInputSerializer(ScopedInputSerializer):
    school = serializers.SlugRelatedField(slug_field="slug", queryset=School.objects.all())


class RolloutSerializer(serializers.Serializer):
    change = serializers.IntegerField(source="change_id")
    reference = serializers.CharField(source="change.reference")


class UpdateViewSet(PatchAccessMixin, ScopedReadOnlyViewSet):
    """The patch baseline lines that apply at your schools (theirs and their authorities')."""

    queryset = Update.objects.none()
    serializer_class = UpdateSerializer
    filterset_fields = ("kind", "severity")

    def get_queryset(self):
        return super().get_queryset().select_related("school", "authority").order_by("product", "identifier", "pk")

    @extend_schema(request=RolloutInputSerializer, responses={201: RolloutSerializer})
    @action(detail=True, methods=["post"])
    def rollout(self, request, pk=None, **kwargs):
        """Raise a change (a draft RFC) for this update's rollout at a school, naming the devices that need it."""
        update = self.get_object()
        payload = RolloutInputSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        rollout = services.rollout_raise_change(
            actor=request.user, school=payload.validated_data["school"], update=update
        )
        return Response(RolloutSerializer(rollout).data, status=status.HTTP_201_CREATED)


class PatchApprovalSerializer(serializers.ModelSerializer):
    update = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Approval
        fields = ("id", "update", "decision", "deadline", "decided_at")
        read_only_fields = fields


class PatchGroupSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:patches-group-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    approvals = PatchApprovalSerializer(many=True, read_only=True)

    class Meta:
        model = PatchGroup
        fields = ("id", "url", "display", "school", "name", "ci_kind", "location", "description", "approvals")
        read_only_fields = fields
        brief_fields = ("id", "url", "display")


class PatchGroupViewSet(PatchAccessMixin, ScopedReadOnlyViewSet):
    """Groups of CIs updates are approved for, with each update's decision and deadline."""

    queryset = PatchGroup.objects.none()
    serializer_class = PatchGroupSerializer

    def get_queryset(self):
        return super().get_queryset().select_related("school").prefetch_related("approvals").order_by("name", "pk")


class ComplianceFilterSet(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=State.choices)
    severity = django_filters.ChoiceFilter(field_name="update__severity", choices=Severity.choices)
    school = django_filters.CharFilter(field_name="school__slug")
    # Ids, not choices: a choice filter's form (the browsable API) would list every school's CIs and updates.
    update = django_filters.NumberFilter(field_name="update_id")
    ci = django_filters.NumberFilter(field_name="ci_id")

    class Meta:
        model = ComplianceState
        fields = ("state", "severity", "update", "ci", "school")


class ComplianceStateSerializer(serializers.ModelSerializer):
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    ci = PatchCIBriefSerializer(read_only=True)
    update = UpdateSerializer(read_only=True)
    location = serializers.CharField(source="ci.location.name", default="", read_only=True)

    class Meta:
        model = ComplianceState
        fields = ("id", "school", "ci", "location", "update", "state", "since", "deadline", "installed_version",
                  "task")  # fmt: skip
        read_only_fields = fields


class ComplianceStateViewSet(PatchAccessMixin, ScopedReadOnlyViewSet):
    """Each device's state for each update approved for it, as the last compliance run found it."""

    queryset = ComplianceState.objects.none()
    serializer_class = ComplianceStateSerializer
    filterset_class = ComplianceFilterSet

    def get_queryset(self):
        return super().get_queryset().for_list().order_by("ci__name", "update__identifier", "pk")


class PatchImportSerializer(serializers.ModelSerializer):
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    imported_by = serializers.StringRelatedField(read_only=True)

    class Meta:
        model = PatchImport
        fields = ("id", "school", "file_name", "rows", "imported_by", "imported_at")
        read_only_fields = fields


class PatchImportInputSerializer(ScopedInputSerializer):
    school = serializers.SlugRelatedField(slug_field="slug", queryset=School.objects.all())
    file_name = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    csv = serializers.CharField(help_text="The report as CSV: host, update (KB or package), state and/or version.")


class PatchImportViewSet(PatchAccessMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Imported WSUS and vendor reports. POST one (`school`, `csv`): a bad row refuses it whole, with row and
    column."""

    queryset = PatchImport.objects.none()
    serializer_class = PatchImportSerializer

    def get_queryset(self):
        return super().get_queryset().select_related("school", "imported_by").defer("raw").order_by("-imported_at")

    @extend_schema(request=PatchImportInputSerializer, responses={201: PatchImportSerializer})
    def create(self, request, *args, **kwargs):
        payload = PatchImportInputSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        report = services.import_report(
            actor=request.user, school=data["school"], text=data["csv"], file_name=data["file_name"]
        )
        return Response(PatchImportSerializer(report).data, status=status.HTTP_201_CREATED)


routes = [
    ("patches/updates", UpdateViewSet, "patches-update"),
    ("patches/groups", PatchGroupViewSet, "patches-group"),
    ("patches/compliance", ComplianceStateViewSet, "patches-compliance"),
    ("patches/imports", PatchImportViewSet, "patches-import"),
]
