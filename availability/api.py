"""The monitoring API: /api/availability/checks/ (add, change, pause, remove checks), states/ (each CI's state),
results/ (raw results, by check and time), outages/, poll-runs/ and figures/ (availability per CI over a period).

Support staff only; every write calls availability/services.py. SNMP credentials are not exposed: their secrets
are write-only, and the pages keep them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from availability import services
from availability.filters import (
    CheckFilterSet,
    CheckResultFilterSet,
    CIStateFilterSet,
    OutageFilterSet,
    PollRunFilterSet,
)
from availability.models import Check, CheckKind, CheckResult, CIState, Outage, PollRun, SnmpCredential
from cmdb.models import ConfigurationItem
from fits import access
from fits.api import BriefSerializer, ScopedInputSerializer, ScopedReadOnlyViewSet, ScopedViewSet, SummarySchema


class MonitoringAccessMixin:
    """Monitoring is for support staff: nobody else gets even an empty list."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not access.here_or_anywhere(access.can_view_monitoring).test(request.user, None):
            raise Http404


KIND_HELP = "The kind of check: " + ", ".join(f"{value} ({label})" for value, label in CheckKind.choices) + "."


class CIBriefSerializer(serializers.ModelSerializer):
    display = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = ConfigurationItem
        fields = ("id", "display", "kind", "management_address")


# =============================================================================
# Checks
# =============================================================================


class CheckSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:availability-check-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    ci = CIBriefSerializer(read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    snmp_credential = serializers.SlugRelatedField(slug_field="name", read_only=True)

    class Meta:
        model = Check
        fields = ("id", "url", "display", "school", "ci", "kind", "kind_display", "name", "target", "port",
                  "expect_status", "verify_tls", "dns_server", "snmp_credential", "interval_seconds", "timeout_seconds",
                  "retries",
                  "failures_before_down", "status", "state", "state_since", "consecutive_failures",
                  "last_checked_at", "last_latency_ms", "last_message", "next_run_at", "created_at")  # fmt: skip
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "kind", "state")


class CheckInputSerializer(ScopedInputSerializer):
    """A check's settings; `ci` only when adding one (a check stays on its CI)."""

    ci = serializers.PrimaryKeyRelatedField(queryset=ConfigurationItem.objects.all(), required=False)
    kind = serializers.ChoiceField(choices=CheckKind.choices, help_text=KIND_HELP)
    name = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)
    target = serializers.CharField(max_length=255, required=False, default="", allow_blank=True)
    port = serializers.IntegerField(required=False, allow_null=True, default=None)
    expect_status = serializers.IntegerField(required=False, default=200)
    verify_tls = serializers.BooleanField(required=False, default=True)
    dns_server = serializers.CharField(max_length=255, required=False, default="", allow_blank=True)
    snmp_credential = serializers.PrimaryKeyRelatedField(
        queryset=SnmpCredential.objects.all(), required=False, allow_null=True, default=None
    )
    interval_seconds = serializers.IntegerField(required=False, default=300)
    timeout_seconds = serializers.FloatField(required=False, default=2.0)
    retries = serializers.IntegerField(required=False, default=1, min_value=0)
    failures_before_down = serializers.IntegerField(required=False, allow_null=True, default=None)


class CheckViewSet(
    MonitoringAccessMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, ScopedViewSet
):
    """Checks on your schools' CIs. Add one with POST (`ci` and `kind`; it runs at the next cycle), change it with
    PUT/PATCH, remove it with DELETE; `pause`, `resume`, and `accept` a proposed one. State is the engine's."""

    queryset = Check.objects.none()
    serializer_class = CheckSerializer
    filterset_class = CheckFilterSet

    def get_queryset(self):
        return (
            super().get_queryset().select_related("ci", "school", "snmp_credential").order_by("ci__name", "kind", "pk")
        )

    def _fresh(self, check: Check) -> dict:
        return self.get_serializer(self.get_queryset().get(pk=check.pk)).data

    @extend_schema(request=CheckInputSerializer, responses={201: CheckSerializer})
    def create(self, request, *args, **kwargs):
        payload = CheckInputSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        ci = data.pop("ci", None)
        if ci is None:
            raise serializers.ValidationError({"ci": "Say which CI the check watches (its id)."})
        check = services.check_save(actor=request.user, ci=ci, **data)
        return Response(self._fresh(check), status=status.HTTP_201_CREATED)

    @extend_schema(request=CheckInputSerializer, responses=CheckSerializer)
    def update(self, request, *args, **kwargs):
        check = self.get_object()
        partial = kwargs.get("partial", False)
        current = {name: getattr(check, name) for name in services.CHECK_FIELDS if name != "snmp_credential"}
        current["snmp_credential"] = check.snmp_credential_id
        data = {**current, **request.data} if partial else request.data
        payload = CheckInputSerializer(data=data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        values = dict(payload.validated_data)
        values.pop("ci", None)
        check = services.check_save(actor=request.user, ci=check.ci, check=check, **values)
        return Response(self._fresh(check))

    @extend_schema(request=CheckInputSerializer, responses=CheckSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def perform_destroy(self, instance):
        services.check_delete(check=instance, actor=self.request.user)

    @extend_schema(request=None, responses=CheckSerializer)
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None, format=None):
        return Response(self._fresh(services.check_pause(check=self.get_object(), actor=request.user)))

    @extend_schema(request=None, responses=CheckSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None, format=None):
        return Response(self._fresh(services.check_resume(check=self.get_object(), actor=request.user)))

    @extend_schema(request=None, responses=CheckSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None, format=None):
        """Switch a proposed check on."""
        return Response(self._fresh(services.proposal_accept(check=self.get_object(), actor=request.user)))


# =============================================================================
# States, results, outages, poll runs (read-only)
# =============================================================================


class CIStateSerializer(serializers.ModelSerializer):
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    ci = CIBriefSerializer(read_only=True)
    cause = CIBriefSerializer(read_only=True)

    class Meta:
        model = CIState
        fields = ("ci", "school", "state", "since", "reason", "cause", "silenced_by", "updated_at")
        read_only_fields = fields


class CIStateViewSet(MonitoringAccessMixin, ScopedReadOnlyViewSet):
    """What monitoring says of each CI now (up, down, degraded, unknown, unreachable behind a failed device).
    The id of a state is its CI's id."""

    queryset = CIState.objects.none()
    serializer_class = CIStateSerializer
    filterset_class = CIStateFilterSet

    def get_queryset(self):
        return super().get_queryset().select_related("ci", "cause", "school").order_by("ci__name", "ci_id")


class CheckResultSerializer(serializers.ModelSerializer):
    check = serializers.PrimaryKeyRelatedField(source="for_check", read_only=True)

    class Meta:
        model = CheckResult
        fields = ("id", "check", "run", "checked_at", "state", "latency_ms", "message", "values")
        read_only_fields = fields


class CheckResultViewSet(MonitoringAccessMixin, ScopedReadOnlyViewSet):
    """Raw results, newest first (kept for the school's retention period); `?check=<id>&since=&until=`."""

    queryset = CheckResult.objects.none()
    serializer_class = CheckResultSerializer
    filterset_class = CheckResultFilterSet

    def get_queryset(self):
        return super().get_queryset().order_by("-checked_at", "-pk")


class OutageSerializer(serializers.ModelSerializer):
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    ci = CIBriefSerializer(read_only=True)
    cause = CIBriefSerializer(read_only=True)
    incident = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    # Plain text in the schema: an enum here would collide with the checks' "kind" (fits/settings.py names enums).
    kind = serializers.CharField(read_only=True, help_text="down, or unreachable (behind a failed device)")

    class Meta:
        model = Outage
        fields = ("id", "school", "ci", "kind", "started_at", "ended_at", "message", "cause", "planned",
                  "silenced_by", "incident")  # fmt: skip
        read_only_fields = fields


class OutageViewSet(MonitoringAccessMixin, ScopedReadOnlyViewSet):
    """Periods CIs were down or unreachable, open ones first; the incident each opened."""

    queryset = Outage.objects.none()
    serializer_class = OutageSerializer
    filterset_class = OutageFilterSet

    def get_queryset(self):
        from django.db.models import F

        queryset = super().get_queryset()
        return queryset.select_related("ci", "cause", "incident", "school").order_by(
            F("ended_at").desc(nulls_first=True), "-started_at", "-pk"
        )


class PollRunSerializer(serializers.ModelSerializer):
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = PollRun
        fields = ("id", "school", "queue", "dispatched_at", "started_at", "finished_at", "worker", "checks_run", "up",
                  "down", "degraded", "unknown", "duration_ms")  # fmt: skip
        read_only_fields = fields


class PollRunViewSet(MonitoringAccessMixin, ScopedReadOnlyViewSet):
    """The batches the pollers ran, newest first: how many checks, what they found, how long it took."""

    queryset = PollRun.objects.none()
    serializer_class = PollRunSerializer
    filterset_class = PollRunFilterSet

    def get_queryset(self):
        return super().get_queryset().select_related("school").order_by("-dispatched_at", "-pk")


# =============================================================================
# Availability figures
# =============================================================================


def _moment(value: str | None, default: datetime, *, name: str) -> datetime:
    """An ISO date or date-time from the query (a date means its midnight, local time)."""
    if not value:
        return default
    try:
        moment = parse_datetime(value)
        day = parse_date(value) if moment is None else None
    except ValueError:  # well formed, but no such day (2026-13-01)
        moment = day = None
    if moment is None:
        if day is None:
            raise serializers.ValidationError({name: f"{value!r} is not a date (2026-09-01) or a date-time."})
        moment = datetime.combine(day, datetime.min.time())  # naive: made aware below, in local time
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


FIGURE_FIELDS = {
    "ci": CIBriefSerializer(),
    "availability": serializers.FloatField(allow_null=True, help_text="Per cent of the measured time up."),
    "downtime_minutes": serializers.FloatField(),
    "measured_minutes": serializers.FloatField(),
    "outages": serializers.IntegerField(),
}


class FiguresViewSet(MonitoringAccessMixin, ScopedViewSet):
    """Availability per monitored CI over a period (default: the last 30 days), measured against the service
    hours of its SLA; planned outages (maintenance windows, changes in progress) are left out."""

    schema = SummarySchema()  # `list` answers one object

    queryset = ConfigurationItem.objects.none()
    pagination_class = None
    filter_backends = ()

    def get_queryset(self):
        return ConfigurationItem.objects.visible_to(self.request.user).filter(checks__isnull=False).distinct()

    @extend_schema(
        parameters=[
            OpenApiParameter("since", OpenApiTypes.DATETIME, description="From (a date or date-time)."),
            OpenApiParameter("until", OpenApiTypes.DATETIME, description="Until (default: now)."),
            OpenApiParameter("ci", OpenApiTypes.INT, description="Only this CI (repeat for several)."),
        ],
        responses=inline_serializer(
            "AvailabilityFigures",
            fields={
                "since": serializers.DateTimeField(),
                "until": serializers.DateTimeField(),
                "results": inline_serializer("AvailabilityFigure", fields=FIGURE_FIELDS, many=True),
            },  # fmt: skip
        ),
    )
    def list(self, request, *args, **kwargs):
        from availability import figures

        now = timezone.now()
        until = _moment(request.query_params.get("until"), now, name="until")
        since = _moment(request.query_params.get("since"), until - timedelta(days=30), name="since")
        if since >= until:
            raise serializers.ValidationError({"since": "The period starts before it ends."})
        cis = self.get_queryset().order_by("name", "pk")
        wanted = request.query_params.getlist("ci")
        if wanted:
            if not all(value.isdigit() for value in wanted):
                raise serializers.ValidationError({"ci": "CI ids are whole numbers."})
            cis = cis.filter(pk__in=[int(value) for value in wanted])
        cis = list(cis[:500])
        found = figures.ci_availability([ci.pk for ci in cis], since, until)
        empty = {"availability": None, "downtime_minutes": 0, "measured_minutes": 0, "outages": 0}
        results = [
            {"ci": CIBriefSerializer(ci).data, **{k: found.get(ci.pk, empty).get(k, v) for k, v in empty.items()}}
            for ci in cis
        ]
        return Response({"since": since, "until": until, "results": results})


routes = [
    ("availability/checks", CheckViewSet, "availability-check"),
    ("availability/states", CIStateViewSet, "availability-state"),
    ("availability/results", CheckResultViewSet, "availability-result"),
    ("availability/outages", OutageViewSet, "availability-outage"),
    ("availability/poll-runs", PollRunViewSet, "availability-poll-run"),
    ("availability/figures", FiguresViewSet, "availability-figures"),
]
