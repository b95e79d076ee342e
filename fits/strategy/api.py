"""The strategy API: /api/strategy/documents/ (the two documents of each school: start one, edit a section, set the
dates, sign), /api/strategy/versions/ (every version, read-only, with its sign-offs and frozen facts) and
/api/strategy/sections/ (the sections of the versions, read-only). Every write calls fits/strategy/services.py."""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from fits.api import BriefSerializer, ScopedInputSerializer, ScopedReadOnlyViewSet, UserBriefSerializer
from fits.scoping import schools_visible_to
from fits.strategy import services
from fits.strategy.models import (
    Capacity,
    DocumentKind,
    SignOff,
    StrategyDocument,
    StrategySection,
    StrategyVersion,
    VersionStatus,
)


class SignOffSerializer(serializers.ModelSerializer):
    person = UserBriefSerializer(read_only=True)
    capacity_display = serializers.CharField(source="get_capacity_display", read_only=True)

    class Meta:
        model = SignOff
        fields = ("id", "capacity", "capacity_display", "person", "signed_at", "comment")
        read_only_fields = fields


class SectionSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:strategy-section-detail")
    version = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = StrategySection
        fields = ("id", "url", "display", "version", "key", "position", "title", "guidance", "text", "fact_keys",
                  "updated_at")  # fmt: skip
        read_only_fields = fields
        brief_fields = ("id", "url", "key", "title")


class VersionSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:strategy-version-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    document = serializers.PrimaryKeyRelatedField(read_only=True)
    signoffs = SignOffSerializer(many=True, read_only=True)
    sections = SectionSerializer(many=True, read_only=True, context={"brief": True})

    class Meta:
        model = StrategyVersion
        fields = ("id", "url", "display", "school", "document", "number", "status", "draft_date", "review_date",
                  "approved_at", "superseded_at", "facts", "facts_as_of", "signoffs", "sections", "created_at",
                  "updated_at")  # fmt: skip
        read_only_fields = fields
        brief_fields = ("id", "url", "number", "status")


class VersionSummarySerializer(serializers.ModelSerializer):
    """A version in its document's list: number, status, how many of the four have signed."""

    signed = serializers.SerializerMethodField()

    class Meta:
        model = StrategyVersion
        fields = ("id", "number", "status", "draft_date", "review_date", "signed")
        read_only_fields = fields

    def get_signed(self, version) -> int:
        return len(version.signoffs.all())


class DocumentSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:strategy-document-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    versions = VersionSummarySerializer(many=True, read_only=True)

    class Meta:
        model = StrategyDocument
        fields = ("id", "url", "display", "school", "kind", "kind_display", "versions", "created_at")
        read_only_fields = fields
        brief_fields = ("id", "url", "kind")


class DocumentCreateSerializer(ScopedInputSerializer):
    school = serializers.SlugField(help_text="The school's slug.")
    kind = serializers.ChoiceField(choices=DocumentKind.choices)


class SectionEditSerializer(ScopedInputSerializer):
    key = serializers.SlugField(help_text="The section's key, e.g. statement_of_intent.")
    text = serializers.CharField(allow_blank=True, max_length=services.TEXT_LIMIT, trim_whitespace=False)


class DatesSerializer(ScopedInputSerializer):
    draft_date = serializers.DateField()
    review_date = serializers.DateField()


class SignSerializer(ScopedInputSerializer):
    capacity = serializers.ChoiceField(choices=Capacity.choices)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=300)


class DocumentFilterSet(django_filters.FilterSet):
    school = django_filters.CharFilter(field_name="school__slug")
    school_id = django_filters.NumberFilter(field_name="school_id")

    class Meta:
        model = StrategyDocument
        fields = ("kind", "school", "school_id")


class DocumentViewSet(ScopedReadOnlyViewSet):
    """The ICT strategy and technical support strategy of your schools. POST starts one (version 1, a draft with the
    appendix's headings); `edit-section`, `dates` and `sign` act on its working draft (on an approved document, an
    edit starts the next draft version)."""

    queryset = StrategyDocument.objects.none()
    serializer_class = DocumentSerializer
    filterset_class = DocumentFilterSet

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("school")
            .prefetch_related(
                Prefetch(
                    "versions",
                    queryset=StrategyVersion.objects.visible_to(self.request.user)
                    .order_by("-number")
                    .prefetch_related("signoffs"),
                )
            )
            .order_by("school__name", "kind", "pk")
        )

    @extend_schema(request=DocumentCreateSerializer, responses={201: DocumentSerializer})
    def create(self, request, *args, **kwargs):
        data = DocumentCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        school = schools_visible_to(request.user).filter(slug=data.validated_data["school"]).first()
        if school is None:
            raise serializers.ValidationError({"school": "No such school of yours."})
        document = services.strategy_document_create(school=school, kind=data.validated_data["kind"],
                                                     actor=request.user)  # fmt: skip
        document = self.get_queryset().get(pk=document.pk)
        return Response(self.get_serializer(document).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SectionEditSerializer, responses=SectionSerializer)
    @action(detail=True, methods=["post"], url_path="edit-section")
    def edit_section(self, request, pk=None, format=None):
        """Write one section of the working draft (an approved document gets a new draft version)."""
        document = self.get_object()
        data = SectionEditSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        section = services.strategy_section_edit(document=document, actor=request.user, **data.validated_data)
        return Response(SectionSerializer(section, context=self.get_serializer_context()).data)

    @extend_schema(request=DatesSerializer, responses=VersionSerializer)
    @action(detail=True, methods=["post"])
    def dates(self, request, pk=None, format=None):
        """Set the draft date and review date of the working draft."""
        document = self.get_object()
        data = DatesSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        version = services.strategy_dates_set(document=document, actor=request.user, **data.validated_data)
        return Response(VersionSerializer(version, context=self.get_serializer_context()).data)

    @extend_schema(request=SignSerializer, responses=SignOffSerializer)
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None, format=None):
        """Sign the working draft in one capacity; the fourth signature approves it and freezes its facts."""
        document = self.get_object()
        data = SignSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        values = data.validated_data
        signoff = services.strategy_sign(
            document=document, actor=request.user, capacity=values["capacity"], comment=values.get("comment", "")
        )
        return Response(SignOffSerializer(signoff).data)


class VersionFilterSet(django_filters.FilterSet):
    document = django_filters.NumberFilter(field_name="document_id")
    status = django_filters.ChoiceFilter(choices=VersionStatus.choices)
    school = django_filters.CharFilter(field_name="school__slug")
    school_id = django_filters.NumberFilter(field_name="school_id")

    class Meta:
        model = StrategyVersion
        fields = ("document", "status", "school", "school_id")


class VersionViewSet(ScopedReadOnlyViewSet):
    """Every version of the strategies, newest first, with its sign-offs and, once approved, its frozen facts."""

    queryset = StrategyVersion.objects.none()
    serializer_class = VersionSerializer
    filterset_class = VersionFilterSet

    def get_queryset(self):
        queryset = super().get_queryset()
        return (
            queryset.select_related("school")
            .prefetch_related("signoffs__person", "sections")
            .order_by("document_id", "-number")
        )


class SectionFilterSet(django_filters.FilterSet):
    version = django_filters.NumberFilter(field_name="version_id")
    key = django_filters.CharFilter()

    class Meta:
        model = StrategySection
        fields = ("version", "key")


class SectionViewSet(ScopedReadOnlyViewSet):
    """The sections of the versions, with their text (Markdown) and guidance."""

    queryset = StrategySection.objects.none()
    serializer_class = SectionSerializer
    filterset_class = SectionFilterSet

    def get_queryset(self):
        return super().get_queryset().order_by("version_id", "position", "pk")


routes = [
    ("strategy/documents", DocumentViewSet, "strategy-document"),
    ("strategy/versions", VersionViewSet, "strategy-version"),
    ("strategy/sections", SectionViewSet, "strategy-section"),
]
