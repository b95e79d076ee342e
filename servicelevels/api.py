"""The Service Level Management API: /api/service-levels/ services, agreements (with their targets), the LEA's
support packages and subscriptions, and the calendars (with what each day is). Reads are scoped; writes go
through servicelevels.services and servicelevels.calendars."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from cmdb.models import ConfigurationItem
from fits import access
from fits.activity import timeline
from fits.api import ActivitySerializer, BriefSerializer, ScopedInputSerializer, ScopedViewSet, UserBriefSerializer
from fits.models import Authority, School, User
from incidents.models import Priority, SupportGroup, TicketKind
from servicelevels import calendars as calendar_services
from servicelevels import services
from servicelevels.dashboard_api import routes as dashboard_routes
from servicelevels.models import (
    Agreement,
    Calendar,
    ITService,
    ServiceTarget,
    Subscription,
    SupportHours,
    SupportPackage,
)
from servicelevels.selectors import for_staff, packages_for_staff

MAX_DAYS = 366


class ServiceLevelsAccessMixin:
    """Service levels are support staff's, leaders' and the LEA's: nobody else gets even an empty list."""

    predicate = access.can_view_service_levels

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not access.here_or_anywhere(self.predicate).test(request.user, None):
            raise Http404


# =============================================================================
# The catalogue
# =============================================================================


class ITServiceSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:service-level-service-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    owner = UserBriefSerializer(read_only=True)

    class Meta:
        model = ITService
        fields = ("id", "url", "display", "school", "name", "description", "purpose", "ci", "owner", "hours",
                  "term_time_only", "availability_target", "is_default", "is_active", "created_at",
                  "updated_at")  # fmt: skip
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "name")


class ITServiceWriteSerializer(ScopedInputSerializer):
    school = serializers.SlugRelatedField(slug_field="slug", queryset=School.objects.all(), required=False)
    name = serializers.CharField(max_length=100, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    purpose = serializers.ChoiceField(choices=ITService.Purpose.choices, required=False)
    ci = serializers.PrimaryKeyRelatedField(
        queryset=ConfigurationItem.objects.all(), required=False, allow_null=True, help_text="A CMDB service's id."
    )
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    hours = serializers.ChoiceField(choices=SupportHours.choices, required=False)
    term_time_only = serializers.BooleanField(required=False)
    availability_target = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)
    is_default = serializers.BooleanField(required=False)


class ITServiceViewSet(ServiceLevelsAccessMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """The ICT service catalogue of your schools. Create with POST, change with PATCH, `retire` to take one out."""

    queryset = ITService.objects.none()
    serializer_class = ITServiceSerializer
    filterset_fields = ("purpose", "is_active", "is_default")

    def get_queryset(self):
        return for_staff(super().get_queryset(), self.request.user).select_related("school", "owner").order_by("name")

    def _payload(self, partial: bool) -> dict:
        payload = ITServiceWriteSerializer(data=self.request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        return dict(payload.validated_data)

    @extend_schema(request=ITServiceWriteSerializer, responses={201: ITServiceSerializer})
    def create(self, request, *args, **kwargs):
        data = self._payload(partial=False)
        school, name = data.pop("school", None), data.pop("name", None)
        if school is None or not name:
            raise exceptions.ValidationError({"school": "Give the school (its slug) and the service's name."})
        service = services.it_service_create(school=school, actor=request.user, name=name, **data)
        return Response(self.get_serializer(service).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ITServiceWriteSerializer, responses=ITServiceSerializer)
    def partial_update(self, request, *args, **kwargs):
        service = self.get_object()
        data = self._payload(partial=True)
        data.pop("school", None)
        service = services.it_service_update(service=service, actor=request.user, **data)
        return Response(self.get_serializer(service).data)

    @extend_schema(request=None, responses=ITServiceSerializer)
    @action(detail=True, methods=["post"])
    def retire(self, request, pk=None, format=None):
        service = services.it_service_retire(service=self.get_object(), actor=request.user)
        return Response(self.get_serializer(service).data)


# =============================================================================
# Agreements
# =============================================================================


class ServiceTargetSerializer(serializers.ModelSerializer):
    priority_display = serializers.CharField(source="get_priority_display", read_only=True)

    class Meta:
        model = ServiceTarget
        fields = ("id", "priority", "priority_display", "service", "ticket_kind", "response_minutes",
                  "resolution_minutes")  # fmt: skip
        read_only_fields = fields


class AgreementSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:service-level-agreement-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    owner = UserBriefSerializer(read_only=True)
    agreed_by = UserBriefSerializer(read_only=True)
    targets = ServiceTargetSerializer(many=True, read_only=True)
    services = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    actions = serializers.SerializerMethodField(help_text="The workflow actions you may take now.")

    class Meta:
        model = Agreement
        fields = ("id", "url", "display", "school", "kind", "name", "status", "description", "customer",
                  "provider_group", "supplier", "subscription", "services", "hours", "term_time_only",
                  "warning_percent", "escalation_percent", "starts", "ends", "review_date", "owner", "agreed_by",
                  "agreed_at", "targets", "actions", "created_at", "updated_at")  # fmt: skip
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "kind", "status")

    def get_actions(self, agreement: Agreement) -> list[str]:
        request = self.context.get("request")
        return [t.name for t in Agreement.WORKFLOW.available(request.user, agreement)] if request else []


class AgreementWriteSerializer(ScopedInputSerializer):
    school = serializers.SlugRelatedField(slug_field="slug", queryset=School.objects.all(), required=False)
    kind = serializers.ChoiceField(choices=Agreement.Kind.choices, required=False)
    name = serializers.CharField(max_length=150, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    customer = serializers.CharField(max_length=150, required=False, allow_blank=True)
    provider_group = serializers.PrimaryKeyRelatedField(
        queryset=SupportGroup.objects.all(), required=False, allow_null=True
    )
    supplier = serializers.CharField(max_length=150, required=False, allow_blank=True)
    services = serializers.PrimaryKeyRelatedField(queryset=ITService.objects.all(), many=True, required=False)
    hours = serializers.ChoiceField(choices=SupportHours.choices, required=False)
    term_time_only = serializers.BooleanField(required=False)
    warning_percent = serializers.IntegerField(min_value=1, max_value=99, required=False)
    escalation_percent = serializers.IntegerField(min_value=101, max_value=1000, required=False, allow_null=True)
    starts = serializers.DateField(required=False)
    ends = serializers.DateField(required=False, allow_null=True)
    review_date = serializers.DateField(required=False)
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False)


class TargetInputSerializer(ScopedInputSerializer):
    priority = serializers.ChoiceField(choices=Priority.choices)
    service = serializers.PrimaryKeyRelatedField(queryset=ITService.objects.all(), required=False, allow_null=True)
    ticket_kind = serializers.ChoiceField(choices=TicketKind.choices, required=False, allow_blank=True, default="")
    response_minutes = serializers.IntegerField(min_value=1)
    resolution_minutes = serializers.IntegerField(min_value=1)


class TargetsInputSerializer(ScopedInputSerializer):
    targets = TargetInputSerializer(many=True)


class AgreementActionSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, default="", allow_blank=True)
    retire_others = serializers.BooleanField(
        default=False, help_text="agree: retire the agreed SLA this one replaces, in the same step."
    )


class AgreementReviewSerializer(serializers.Serializer):
    note = serializers.CharField()
    next_review = serializers.DateField()


class AgreementViewSet(ServiceLevelsAccessMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """SLAs, OLAs and underpinning contracts with their targets. Draft with POST, change with PATCH, set the
    targets with `targets`, and move them with `agree`, `revise`, `retire`; `review` records a review."""

    queryset = Agreement.objects.none()
    serializer_class = AgreementSerializer
    filterset_fields = ("kind", "status")

    def get_queryset(self):
        return (
            for_staff(super().get_queryset(), self.request.user)
            .select_related("school", "owner", "agreed_by")
            .prefetch_related("services", Prefetch("targets", queryset=ServiceTarget.objects.order_by("priority")))
            .order_by("kind", "name", "pk")
        )

    def _fresh(self, agreement: Agreement) -> dict:
        return self.get_serializer(self.get_queryset().get(pk=agreement.pk)).data

    def _payload(self) -> dict:
        payload = AgreementWriteSerializer(data=self.request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        return dict(payload.validated_data)

    @extend_schema(request=AgreementWriteSerializer, responses={201: AgreementSerializer})
    def create(self, request, *args, **kwargs):
        data = self._payload()
        missing = [name for name in ("school", "name", "starts", "review_date") if not data.get(name)]
        if missing:
            raise exceptions.ValidationError({name: "This field is required." for name in missing})
        school = data.pop("school")
        owner = data.pop("owner", request.user)
        agreement = services.agreement_create(
            school=school, actor=request.user, owner=owner, name=data.pop("name"), starts=data.pop("starts"),
            review_date=data.pop("review_date"), services=list(data.pop("services", [])), **data,
        )  # fmt: skip
        return Response(self._fresh(agreement), status=status.HTTP_201_CREATED)

    @extend_schema(request=AgreementWriteSerializer, responses=AgreementSerializer)
    def partial_update(self, request, *args, **kwargs):
        agreement = self.get_object()
        data = self._payload()
        data.pop("school", None)
        chosen = data.pop("services", None)
        agreement = services.agreement_update(
            agreement=agreement, actor=request.user, services=list(chosen) if chosen is not None else None, **data
        )
        return Response(self._fresh(agreement))

    def _move(self, request, name: str):
        agreement = self.get_object()
        payload = AgreementActionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        agreement = services.agreement_transition(
            agreement=agreement, action=name, actor=request.user, **payload.validated_data
        )
        return Response(self._fresh(agreement))

    @extend_schema(request=AgreementActionSerializer, responses=AgreementSerializer)
    @action(detail=True, methods=["post"])
    def agree(self, request, pk=None, format=None):
        """Agree a draft (one agreed SLA per service: `retire_others` replaces the current one)."""
        return self._move(request, "agree")

    @extend_schema(request=AgreementActionSerializer, responses=AgreementSerializer)
    @action(detail=True, methods=["post"])
    def revise(self, request, pk=None, format=None):
        """An agreed agreement back to draft, to change it."""
        return self._move(request, "revise")

    @extend_schema(request=AgreementActionSerializer, responses=AgreementSerializer)
    @action(detail=True, methods=["post"])
    def retire(self, request, pk=None, format=None):
        return self._move(request, "retire")

    @extend_schema(request=TargetsInputSerializer, responses=AgreementSerializer)
    @action(detail=True, methods=["post"])
    def targets(self, request, pk=None, format=None):
        """Replace the targets (minutes of the agreement's clock)."""
        agreement = self.get_object()
        payload = TargetsInputSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        rows = [
            services.TargetRow(
                priority=int(row["priority"]), service=row.get("service"), ticket_kind=row.get("ticket_kind", ""),
                response_minutes=row["response_minutes"], resolution_minutes=row["resolution_minutes"],
            )
            for row in payload.validated_data["targets"]
        ]  # fmt: skip
        services.agreement_targets_set(agreement=agreement, actor=request.user, targets=rows)
        return Response(self._fresh(agreement))

    @extend_schema(request=AgreementReviewSerializer, responses=AgreementSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None, format=None):
        agreement = self.get_object()
        payload = AgreementReviewSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        agreement = services.agreement_review(agreement=agreement, actor=request.user, **payload.validated_data)
        return Response(self._fresh(agreement))

    @extend_schema(responses=ActivitySerializer(many=True))
    @action(detail=True, methods=["get"])
    def activity(self, request, pk=None, format=None):
        """The agreement's timeline, oldest first."""
        entries = timeline(self.get_object(), include_internal=True)
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(ActivitySerializer(page, many=True).data)


# =============================================================================
# Traded services
# =============================================================================


class PackageTargetsField(serializers.JSONField):
    """Per priority, minutes to respond and resolve: {"1": {"response": 30, "resolution": 240}, ...}."""


class SupportPackageSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:service-level-package-detail")
    authority = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    targets = PackageTargetsField(read_only=True)

    class Meta:
        model = SupportPackage
        fields = ("id", "url", "display", "authority", "name", "description", "annual_price", "consultancy_days",
                  "technician_days", "hours", "term_time_only", "targets", "is_active")  # fmt: skip
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "name")


class SupportPackageWriteSerializer(ScopedInputSerializer):
    authority = serializers.SlugRelatedField(slug_field="slug", queryset=Authority.objects.all(), required=False)
    name = serializers.CharField(max_length=100, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    annual_price = serializers.DecimalField(max_digits=10, decimal_places=2, required=False)
    consultancy_days = serializers.IntegerField(min_value=0, required=False)
    technician_days = serializers.IntegerField(min_value=0, required=False)
    hours = serializers.ChoiceField(choices=SupportHours.choices, required=False)
    term_time_only = serializers.BooleanField(required=False)
    targets = PackageTargetsField(required=False)
    is_active = serializers.BooleanField(required=False)


class SupportPackageViewSet(ServiceLevelsAccessMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """The LEA's traded-services packages offered at your schools; its consultants create and change them."""

    queryset = SupportPackage.objects.none()
    serializer_class = SupportPackageSerializer

    def get_queryset(self):
        packages = packages_for_staff(super().get_queryset(), self.request.user)
        return packages.select_related("authority").order_by("annual_price", "name", "pk")

    def _payload(self) -> dict:
        payload = SupportPackageWriteSerializer(data=self.request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        return dict(payload.validated_data)

    @extend_schema(request=SupportPackageWriteSerializer, responses={201: SupportPackageSerializer})
    def create(self, request, *args, **kwargs):
        data = self._payload()
        authority, name = data.pop("authority", None), data.pop("name", "")
        if authority is None or not name:
            raise exceptions.ValidationError({"authority": "Give the authority (its slug) and the package's name."})
        if not access.can_manage_support_package.test(request.user, authority):
            raise Http404  # an authority that is not yours is not there
        package = services.support_package_create(authority=authority, actor=request.user, name=name, **data)
        return Response(self.get_serializer(package).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SupportPackageWriteSerializer, responses=SupportPackageSerializer)
    def partial_update(self, request, *args, **kwargs):
        package = self.get_object()
        data = self._payload()
        data.pop("authority", None)
        package = services.support_package_update(package=package, actor=request.user, **data)
        return Response(self.get_serializer(package).data)


class SubscriptionSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:service-level-subscription-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    package = SupportPackageSerializer(read_only=True, context={"brief": True})
    agreements = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Subscription
        fields = ("id", "url", "display", "school", "package", "starts", "ends", "review_date", "price", "notes",
                  "agreements", "created_at")  # fmt: skip
        read_only_fields = fields
        brief_fields = ("id", "url", "display")


class SubscriptionWriteSerializer(ScopedInputSerializer):
    school = serializers.SlugRelatedField(slug_field="slug", queryset=School.objects.all())
    package = serializers.PrimaryKeyRelatedField(queryset=SupportPackage.objects.all())
    starts = serializers.DateField()
    ends = serializers.DateField()
    review_date = serializers.DateField()
    price = serializers.DecimalField(max_digits=10, decimal_places=2, required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class SubscriptionViewSet(ServiceLevelsAccessMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Which school buys which package for which period. POST (the LEA's consultants) also drafts the school's SLA
    from the package's targets."""

    queryset = Subscription.objects.none()
    serializer_class = SubscriptionSerializer

    def get_queryset(self):
        return (
            for_staff(super().get_queryset(), self.request.user)
            .select_related("school", "package__authority")
            .prefetch_related("agreements")
            .order_by("-starts", "pk")
        )

    @extend_schema(request=SubscriptionWriteSerializer, responses={201: SubscriptionSerializer})
    def create(self, request, *args, **kwargs):
        payload = SubscriptionWriteSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        subscription = services.subscription_create(actor=request.user, **payload.validated_data)
        return Response(
            self.get_serializer(self.get_queryset().get(pk=subscription.pk)).data, status=status.HTTP_201_CREATED
        )


# =============================================================================
# Calendars
# =============================================================================


class CalendarSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:service-level-calendar-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    authority = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    hours = serializers.SerializerMethodField()
    terms = serializers.SerializerMethodField()
    closures = serializers.SerializerMethodField()

    class Meta:
        model = Calendar
        fields = ("id", "url", "display", "name", "school", "authority", "nation", "hours", "terms", "closures")
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "name")

    def get_hours(self, calendar: Calendar) -> list[dict]:
        return [
            {"weekday": row.weekday, "opens": f"{row.opens:%H:%M}", "closes": f"{row.closes:%H:%M}"}
            for row in calendar.hours.all()
        ]

    def get_terms(self, calendar: Calendar) -> list[dict]:
        return [
            {"id": row.pk, "school_year": row.school_year, "name": row.name, "starts": row.starts, "ends": row.ends,
             "provisional": row.provisional}
            for row in calendar.terms.all()
        ]  # fmt: skip

    def get_closures(self, calendar: Calendar) -> list[dict]:
        return [
            {"id": row.pk, "kind": row.kind, "name": row.name, "starts": row.starts, "ends": row.ends,
             "staff_working": row.staff_working}
            for row in calendar.closures.all()
        ]  # fmt: skip


class CalendarViewSet(ServiceLevelsAccessMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """The calendars in force at your schools, with working hours, term dates and closures; `days` says what
    each day of a range is (open, INSET, closed, bank holiday, school holiday, weekend)."""

    queryset = Calendar.objects.none()
    serializer_class = CalendarSerializer
    predicate = access.can_view_service_desk_config

    def get_queryset(self):
        queryset = super().get_queryset()
        return (
            queryset.select_related("school", "authority")
            .prefetch_related("hours", "terms", "closures")
            .order_by("name", "pk")
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="First day (default: today)."),
            OpenApiParameter(
                "to", OpenApiTypes.DATE, description=f"Last day (default: 4 weeks on; at most {MAX_DAYS})."
            ),
        ],
        responses=inline_serializer(
            "CalendarDay",
            {"date": serializers.DateField(), "kind": serializers.CharField(), "label": serializers.CharField()},
            many=True,
        ),
    )
    @action(detail=True, methods=["get"])
    def days(self, request, pk=None, format=None):
        """What each day from `from` to `to` is in the calendar in force (a school's layered on its authority's)."""
        calendar = self.get_object()
        try:
            first = date.fromisoformat(request.query_params.get("from") or timezone.localdate().isoformat())
            last = date.fromisoformat(request.query_params.get("to") or (first + timedelta(days=27)).isoformat())
        except ValueError:
            raise exceptions.ValidationError({"from": "Dates are YYYY-MM-DD."}) from None
        if last < first or (last - first).days >= MAX_DAYS:
            raise exceptions.ValidationError({"to": f"Give a range of 1 to {MAX_DAYS} days."})
        layers = calendar_services.calendars_for(calendar.school) if calendar.school_id else [calendar]
        view = calendar_services.calendar_view(layers, school=calendar.school)
        days = []
        for offset in range((last - first).days + 1):
            day = first + timedelta(days=offset)
            kind, label = view.describe(day)
            days.append({"date": day.isoformat(), "kind": kind, "label": label})
        return Response(days)


routes = [
    ("service-levels/services", ITServiceViewSet, "service-level-service"),
    ("service-levels/agreements", AgreementViewSet, "service-level-agreement"),
    ("service-levels/packages", SupportPackageViewSet, "service-level-package"),
    ("service-levels/subscriptions", SubscriptionViewSet, "service-level-subscription"),
    ("service-levels/calendars", CalendarViewSet, "service-level-calendar"),
    *dashboard_routes,  # the dashboards' figures (servicelevels/dashboard_api.py)
]
