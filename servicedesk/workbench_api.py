"""The workbench API: your saved filters (/api/saved-filters/) and the queue counts (/api/workbench/counts/).

Saved filters are personal: each person lists, reads and changes only their own (another person's
answers 404). Writes go through the services in servicedesk.workbench.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from fits.api import BriefSerializer, ScopedViewSet, SummarySchema
from fits.scoping import schools_visible_to
from servicedesk import workbench
from servicedesk.models import SavedFilter


class SavedFilterSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:saved-filter-detail")
    workbench_url = serializers.SerializerMethodField(help_text="The workbench with these filters applied.")

    class Meta:
        model = SavedFilter
        fields = ("id", "url", "display", "name", "query", "position", "workbench_url", "created_at")
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "name")

    def get_workbench_url(self, saved: SavedFilter) -> str:
        return f"/workbench/?{saved.query}" if saved.query else "/workbench/"


class SavedFilterWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=60)
    query = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default="", help_text="The workbench's query string."
    )


class SavedFilterRenameSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=60)


class SavedFilterMoveSerializer(serializers.Serializer):
    position = serializers.IntegerField(min_value=0, help_text="Where to put it among yours: 0 is the top.")


class SavedFilterViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Your saved workbench filters, in your order. Create with POST, rename with PATCH, reorder with `move`."""

    queryset = SavedFilter.objects.none()
    serializer_class = SavedFilterSerializer

    @extend_schema(request=SavedFilterWriteSerializer, responses={201: SavedFilterSerializer})
    def create(self, request, *args, **kwargs):
        payload = SavedFilterWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        saved = workbench.saved_filter_create(owner=request.user, **payload.validated_data)
        return Response(self.get_serializer(saved).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SavedFilterRenameSerializer, responses=SavedFilterSerializer)
    def partial_update(self, request, *args, **kwargs):
        saved = self.get_object()
        payload = SavedFilterRenameSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        saved = workbench.saved_filter_rename(saved_filter=saved, actor=request.user, **payload.validated_data)
        return Response(self.get_serializer(saved).data)

    @extend_schema(responses={204: None})
    def destroy(self, request, *args, **kwargs):
        workbench.saved_filter_delete(saved_filter=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=SavedFilterMoveSerializer, responses=SavedFilterSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None, format=None):
        payload = SavedFilterMoveSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        saved = workbench.saved_filter_move(
            saved_filter=self.get_object(), actor=request.user, **payload.validated_data
        )
        return Response(self.get_serializer(saved).data)


QUEUE_COUNTS = inline_serializer(
    "WorkbenchCounts",
    {
        "school": serializers.CharField(allow_null=True, help_text="The school counted, or null for all of yours."),
        "queues": inline_serializer(
            "WorkbenchQueue",
            {"key": serializers.CharField(), "label": serializers.CharField(), "count": serializers.IntegerField()},
            many=True,
        ),
    },
)


class WorkbenchCountsViewSet(viewsets.ViewSet):
    """The workbench's queues and how many tickets each holds now, over the tickets you may see."""

    schema = SummarySchema()  # `list` answers one object

    @extend_schema(
        parameters=[OpenApiParameter("school", str, description="A school's slug: count only its tickets.")],
        responses=QUEUE_COUNTS,
    )
    def list(self, request, format=None):
        slug = request.query_params.get("school", "").strip()
        school = None
        if slug:
            school = schools_visible_to(request.user).filter(slug=slug).first()
            if school is None:
                raise exceptions.ValidationError({"school": f"You have no school called {slug!r}."})
        counts = workbench.queue_counts(request.user, school.pk if school else None)
        queues = [
            {"key": queue.key, "label": queue.label, "count": counts[queue.key]}
            for queue in workbench.QUEUES
            if queue.counted
        ]
        return Response({"school": school.slug if school else None, "queues": queues})


routes = [
    ("saved-filters", SavedFilterViewSet, "saved-filter"),
    ("workbench/counts", WorkbenchCountsViewSet, "workbench-counts"),
]
