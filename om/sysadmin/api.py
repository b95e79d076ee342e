"""The Systems Administration API: /api/sysadmin/routines/ (the routine operations, read), /api/sysadmin/logbook/
(server logbook entries: read, and write one with POST) and /api/sysadmin/runbooks/ (run books with their current
procedures; `review` signs the current version off). Support staff only; writes go through services.py."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from availability.models import MaintenanceSchedule
from cmdb.models import ConfigurationItem, Kind
from fits.api import BriefSerializer, ScopedInputSerializer, ScopedReadOnlyViewSet, ScopedViewSet, UserBriefSerializer
from incidents.models import Task
from om.api import OperationsAccessMixin
from om.sysadmin import services
from om.sysadmin.models import LogbookEntry, RunBook, RunBookVersion


class RoutineSerializer(BriefSerializer):
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    assignee = UserBriefSerializer(read_only=True)

    class Meta:
        model = MaintenanceSchedule
        fields = ("id", "display", "school", "title", "checklist", "ci", "recurrence", "every", "school_days_only",
                  "lead_days", "assignee", "next_due", "is_active")  # fmt: skip
        read_only_fields = fields


class RoutineViewSet(OperationsAccessMixin, ScopedReadOnlyViewSet):
    """Your schools' routine operations (maintenance schedules of the sysadmin function); their tasks are at
    /api/tasks/ with origin `routine`."""

    queryset = MaintenanceSchedule.objects.none()
    serializer_class = RoutineSerializer
    filterset_fields = ("is_active", "recurrence")

    def get_queryset(self):
        queryset = super().get_queryset()
        return (
            queryset.filter(function=services.FUNCTION)
            .select_related("school", "assignee")
            .order_by("next_due", "title", "pk")
        )


class LogbookEntrySerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:sysadmin-logbook-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    author = UserBriefSerializer(read_only=True)

    class Meta:
        model = LogbookEntry
        fields = ("id", "url", "display", "school", "ci", "occurred_at", "author", "kind", "text", "task",
                  "created_at")  # fmt: skip
        read_only_fields = fields


class LogbookEntryInputSerializer(ScopedInputSerializer):
    ci = serializers.PrimaryKeyRelatedField(queryset=ConfigurationItem.objects.filter(kind=Kind.SERVER))
    kind = serializers.ChoiceField(choices=LogbookEntry.Kind.choices, default=LogbookEntry.Kind.NOTE)
    text = serializers.CharField()
    occurred_at = serializers.DateTimeField(required=False)
    task = serializers.PrimaryKeyRelatedField(queryset=Task.objects.all(), required=False, allow_null=True)


class LogbookViewSet(OperationsAccessMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Server logbook entries, newest first. Filter by `kind`, and by server with `?ci=<id>`; write one with POST."""

    queryset = LogbookEntry.objects.none()
    serializer_class = LogbookEntrySerializer
    filterset_fields = ("kind",)

    def get_queryset(self):
        entries = super().get_queryset().select_related("school", "author").order_by("-occurred_at", "-pk")
        ci = self.request.query_params.get("ci", "") if self.request else ""
        return entries.filter(ci_id=int(ci)) if ci.isdigit() else entries

    @extend_schema(request=LogbookEntryInputSerializer, responses={201: LogbookEntrySerializer})
    def create(self, request, *args, **kwargs):
        payload = LogbookEntryInputSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        entry = services.logbook_add(actor=request.user, **payload.validated_data)
        fresh = self.get_queryset().get(pk=entry.pk)
        return Response(self.get_serializer(fresh).data, status=status.HTTP_201_CREATED)


class RunBookVersionSerializer(serializers.ModelSerializer):
    written_by = UserBriefSerializer(read_only=True)
    reviewed_by = UserBriefSerializer(read_only=True)

    class Meta:
        model = RunBookVersion
        fields = ("number", "start", "stop", "restore", "contacts", "notes", "written_by", "written_at",
                  "reviewed_by", "reviewed_at", "review_note")  # fmt: skip
        read_only_fields = fields


class RunBookSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:sysadmin-runbook-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    owner = UserBriefSerializer(read_only=True)
    current = serializers.SerializerMethodField()

    class Meta:
        model = RunBook
        fields = ("id", "url", "display", "school", "title", "service", "ci", "owner", "version", "review_due",
                  "current", "updated_at")  # fmt: skip
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "version", "review_due")

    @extend_schema_field(RunBookVersionSerializer(allow_null=True))
    def get_current(self, book: RunBook) -> dict | None:
        versions = getattr(book, "current_versions", None)
        version = versions[0] if versions else None
        return RunBookVersionSerializer(version).data if version is not None else None


class ReviewInputSerializer(ScopedInputSerializer):
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)


class RunBookViewSet(OperationsAccessMixin, ScopedReadOnlyViewSet):
    """Run books of your schools' services, with their current procedures. `review` (POST) signs the current
    version off (the network manager)."""

    queryset = RunBook.objects.none()
    serializer_class = RunBookSerializer

    def get_queryset(self):
        from django.db.models import Prefetch

        current = (
            RunBookVersion.objects.visible_to(self.request.user)
            .select_related("written_by", "reviewed_by")
            .order_by("run_book", "-number")
        )
        queryset = super().get_queryset()
        return (
            queryset.select_related("school", "owner")
            .prefetch_related(Prefetch("versions", queryset=current, to_attr="all_versions"))
            .order_by("title", "pk")
        )

    def get_serializer(self, *args, **kwargs):
        instance = args[0] if args else None
        rows = instance if isinstance(instance, list | tuple) else [instance] if instance is not None else []
        for book in rows:
            if isinstance(book, RunBook):
                book.current_versions = getattr(book, "all_versions", [])[:1]
        return super().get_serializer(*args, **kwargs)

    @extend_schema(request=ReviewInputSerializer, responses=RunBookSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None, format=None):
        payload = ReviewInputSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        services.run_book_review(
            actor=request.user, run_book=self.get_object(), note=payload.validated_data.get("note", "")
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=pk)).data)


routes = [
    ("sysadmin/routines", RoutineViewSet, "sysadmin-routine"),
    ("sysadmin/logbook", LogbookViewSet, "sysadmin-logbook"),
    ("sysadmin/runbooks", RunBookViewSet, "sysadmin-runbook"),
]
