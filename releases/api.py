"""The releases API: /api/releases/ (plan, move along the workflow, add waves, record rollout outcomes) and
/api/releases/library/ (the definitive software library: propose, approve, withdraw). Every write calls a service."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from changes.models import RequestForChange
from cmdb.models import ConfigurationItem, Kind, Licence, Location
from fits import access
from fits.api import BriefSerializer, ScopedInputSerializer, ScopedViewSet, UserBriefSerializer
from fits.models import Authority, School, User
from releases import services
from releases.filters import LibraryItemFilterSet, ReleaseFilterSet
from releases.models import (
    RECORDED_OUTCOMES,
    ItemKind,
    Release,
    ReleaseKind,
    RolloutTarget,
    RolloutWave,
    SoftwareLibraryItem,
)


class ReleaseAccessMixin:
    """Release Management is for support staff: nobody else gets even an empty list."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not access.here_or_anywhere(access.can_view_release).test(request.user, None):
            raise Http404


# =============================================================================
# The software library
# =============================================================================


class LibraryItemSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:release-library-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    authority = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    proposed_by = UserBriefSerializer(read_only=True)
    approved_by = UserBriefSerializer(read_only=True)

    class Meta:
        model = SoftwareLibraryItem
        fields = ("id", "url", "display", "school", "authority", "name", "publisher", "version", "kind",
                  "kind_display", "media_location", "checksum", "licence", "licence_notes", "notes", "status",
                  "status_display", "proposed_by", "approved_by", "approved_at", "withdrawn_reason",
                  "created_at")  # fmt: skip
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "version", "status")


class LibraryItemProposeSerializer(ScopedInputSerializer):
    school = serializers.SlugRelatedField(slug_field="slug", queryset=School.objects.all(), required=False,
                                          allow_null=True, default=None)  # fmt: skip
    authority = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Authority.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="For an authority's item shared with all its schools (its consultants and support unit).",
    )
    name = serializers.CharField(max_length=200)
    publisher = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    version = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=ItemKind.choices, default=ItemKind.APPLICATION)
    media_location = serializers.CharField(max_length=255, required=False, default="", allow_blank=True)
    checksum = serializers.CharField(max_length=64, required=False, default="", allow_blank=True)
    licence = serializers.PrimaryKeyRelatedField(
        queryset=Licence.objects.all(), required=False, allow_null=True, default=None
    )
    licence_notes = serializers.CharField(required=False, default="", allow_blank=True)
    notes = serializers.CharField(required=False, default="", allow_blank=True)


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField()


class LibraryItemViewSet(ReleaseAccessMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """The definitive software library at your schools: their own items, their authority's and the shared ones.
    Propose a version with POST; `approve` it once tested (the network manager; an authority's consultant for its
    items); `withdraw` it when superseded."""

    queryset = SoftwareLibraryItem.objects.none()
    serializer_class = LibraryItemSerializer
    filterset_class = LibraryItemFilterSet

    def get_queryset(self):
        return super().get_queryset().for_list().order_by("name", "version", "pk")

    def _fresh(self, item: SoftwareLibraryItem) -> dict:
        return self.get_serializer(self.get_queryset().get(pk=item.pk)).data

    @extend_schema(request=LibraryItemProposeSerializer, responses={201: LibraryItemSerializer})
    def create(self, request, *args, **kwargs):
        payload = LibraryItemProposeSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        item = services.item_propose(actor=request.user, **payload.validated_data)
        return Response(self._fresh(item), status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=LibraryItemSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None, format=None):
        item = services.item_approve(item=self.get_object(), actor=request.user)
        return Response(self._fresh(item))

    @extend_schema(request=WithdrawSerializer, responses=LibraryItemSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None, format=None):
        item = self.get_object()
        payload = WithdrawSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        item = services.item_withdraw(item=item, actor=request.user, **payload.validated_data)
        return Response(self._fresh(item))


# =============================================================================
# Releases
# =============================================================================


class TargetSerializer(serializers.ModelSerializer):
    ci_name = serializers.CharField(source="ci.name", read_only=True)
    done_by = UserBriefSerializer(read_only=True)

    class Meta:
        model = RolloutTarget
        fields = ("id", "ci", "ci_name", "outcome", "note", "done_by", "done_at")
        read_only_fields = fields


class WaveSerializer(serializers.ModelSerializer):
    targets = TargetSerializer(many=True, read_only=True)

    class Meta:
        model = RolloutWave
        fields = ("id", "order", "name", "planned_start", "planned_end", "targets")
        read_only_fields = fields


class ChangeBriefSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = RequestForChange
        fields = ("id", "reference", "title", "status", "status_display")
        read_only_fields = fields


class ReleaseSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:release-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    manager = UserBriefSerializer(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    changes = ChangeBriefSerializer(many=True, read_only=True)
    items = LibraryItemSerializer(many=True, read_only=True, context={"brief": True})
    waves = WaveSerializer(many=True, read_only=True)
    actions = serializers.SerializerMethodField(help_text="The workflow actions you may take now.")

    class Meta:
        model = Release
        fields = ("id", "url", "display", "reference", "school", "title", "kind", "description", "manager",
                  "build_plan", "test_plan", "rollout_plan", "installation_checklist", "planned_start", "planned_end",
                  "status", "status_display", "outcome_note", "changes", "items", "waves", "built_at", "started_at",
                  "finished_at", "created_at", "updated_at", "actions")  # fmt: skip
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "reference", "status")

    def get_actions(self, release: Release) -> list[str]:
        request = self.context.get("request")
        return [t.name for t in Release.WORKFLOW.available(request.user, release)] if request else []


class ReleaseCreateSerializer(ScopedInputSerializer):
    school = serializers.SlugRelatedField(slug_field="slug", queryset=School.objects.all())
    title = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=ReleaseKind.choices, default=ReleaseKind.MINOR)
    description = serializers.CharField(required=False, default="", allow_blank=True)
    manager = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True,
                                                 default=None)  # fmt: skip
    build_plan = serializers.CharField(required=False, default="", allow_blank=True)
    test_plan = serializers.CharField(required=False, default="", allow_blank=True)
    rollout_plan = serializers.CharField(required=False, default="", allow_blank=True)
    installation_checklist = serializers.CharField(required=False, default="", allow_blank=True)
    planned_start = serializers.DateField(required=False, allow_null=True, default=None)
    planned_end = serializers.DateField(required=False, allow_null=True, default=None)
    changes = serializers.PrimaryKeyRelatedField(queryset=RequestForChange.objects.all(), many=True, required=False)
    items = serializers.PrimaryKeyRelatedField(queryset=SoftwareLibraryItem.objects.all(), many=True, required=False)


class ReleaseTransitionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=sorted(Release.WORKFLOW.actions))
    note = serializers.CharField(required=False, default="", allow_blank=True)


class WaveAddSerializer(ScopedInputSerializer):
    name = serializers.CharField(max_length=150)
    cis = serializers.PrimaryKeyRelatedField(
        queryset=ConfigurationItem.objects.all(), many=True, required=False, help_text="CMDB item ids."
    )
    location = serializers.PrimaryKeyRelatedField(
        queryset=Location.objects.all(), required=False, allow_null=True, default=None,
        help_text="Or every device in this room, block or site.",
    )  # fmt: skip
    kind = serializers.ChoiceField(choices=Kind.choices, required=False, default="", allow_blank=True)
    planned_start = serializers.DateTimeField(required=False, allow_null=True, default=None)
    planned_end = serializers.DateTimeField(required=False, allow_null=True, default=None)


class RolloutRecordSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=RECORDED_OUTCOMES)
    targets = serializers.ListField(child=serializers.IntegerField(), required=False, help_text="Rollout target ids.")
    wave = serializers.IntegerField(required=False, help_text="Or every pending CI of this wave.")
    note = serializers.CharField(required=False, default="", allow_blank=True)

    def validate(self, data):
        if not data.get("targets") and not data.get("wave"):
            raise serializers.ValidationError("Give the targets, or the wave.")
        return data


class RolloutRecorded(serializers.Serializer):
    recorded = serializers.IntegerField()
    release = ReleaseSerializer()


class ReleaseViewSet(ReleaseAccessMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Releases at your schools (support staff). Plan one with POST; move it with `transition`, add CIs with
    `waves`, and record what happened at each CI with `rollout`. Status is never written directly."""

    queryset = Release.objects.none()
    serializer_class = ReleaseSerializer
    filterset_class = ReleaseFilterSet

    def get_queryset(self):
        user = self.request.user
        waves = Prefetch(
            "waves",
            queryset=RolloutWave.objects.visible_to(user).prefetch_related(
                Prefetch("targets", queryset=RolloutTarget.objects.visible_to(user).select_related("ci", "done_by"))
            ),
        )
        return (
            super()
            .get_queryset()
            .select_related("school", "manager")
            .prefetch_related(
                Prefetch("changes", queryset=RequestForChange.objects.visible_to(user).order_by("reference")),
                Prefetch("items", queryset=SoftwareLibraryItem.objects.visible_to(user).for_list()),
                waves,
            )
            .order_by("-created_at", "-pk")
        )

    def _fresh(self, release: Release) -> dict:
        return self.get_serializer(self.get_queryset().get(pk=release.pk)).data

    @extend_schema(request=ReleaseCreateSerializer, responses={201: ReleaseSerializer})
    def create(self, request, *args, **kwargs):
        payload = ReleaseCreateSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        release = services.release_create(actor=request.user, **payload.validated_data)
        return Response(self._fresh(release), status=status.HTTP_201_CREATED)

    @extend_schema(request=ReleaseTransitionSerializer, responses=ReleaseSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None, format=None):
        release = self.get_object()  # another school's answers 404 before the payload is read
        payload = ReleaseTransitionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        release = services.release_transition(release=release, actor=request.user, **payload.validated_data)
        return Response(self._fresh(release))

    @extend_schema(request=WaveAddSerializer, responses={201: ReleaseSerializer})
    @action(detail=True, methods=["post"])
    def waves(self, request, pk=None, format=None):
        release = self.get_object()
        payload = WaveAddSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        data["cis"] = data.get("cis") or None
        services.wave_add(release=release, actor=request.user, **data)
        return Response(self._fresh(release), status=status.HTTP_201_CREATED)

    @extend_schema(request=RolloutRecordSerializer, responses=RolloutRecorded)
    @action(detail=True, methods=["post"])
    def rollout(self, request, pk=None, format=None):
        release = self.get_object()
        payload = RolloutRecordSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data, user = payload.validated_data, request.user
        if data.get("wave"):
            wave = RolloutWave.objects.visible_to(user).filter(release=release, pk=data["wave"]).first()
            if wave is None:
                raise serializers.ValidationError({"wave": "That wave is not part of this release."})
            done = services.wave_record(wave=wave, outcome=data["outcome"], actor=user, note=data["note"])
        else:
            targets = list(RolloutTarget.objects.visible_to(user).filter(release=release, pk__in=data["targets"]))
            if len(targets) != len(set(data["targets"])):
                raise serializers.ValidationError({"targets": "Only the CIs of this release can be recorded on it."})
            done = services.rollout_record(
                release=release, targets=targets, outcome=data["outcome"], actor=user, note=data["note"]
            )
        return Response({"recorded": done, "release": self._fresh(release)})


routes = [
    ("releases/library", LibraryItemViewSet, "release-library"),
    ("releases", ReleaseViewSet, "release"),
]
