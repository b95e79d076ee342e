"""The API's shared base: scoped viewsets and serializers, brief mode, and the core endpoints.

Each app's api.py lists its `routes`; fits/urls.py gathers them into one router under /api/.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import JsonResponse
from django.views import defaults
from drf_spectacular.utils import extend_schema, inline_serializer
from drf_standardized_errors.openapi import AutoSchema as StandardizedErrorsAutoSchema
from drf_standardized_errors.openapi_serializers import ValidationErrorResponseSerializer
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from fits import notifications
from fits.authentication import AuthTokenSerializer
from fits.models import Activity, Authority, AuthorityRole, Membership, Notification, School, User
from fits.scoping import scope_choices

# =============================================================================
# Base classes
# =============================================================================


class ScopedSerializerMixin:
    """Narrows every related field's choices to what the requesting user may see (fits.scoping.scope_choices)."""

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None:
            return fields
        for field in fields.values():
            field = getattr(field, "child_relation", field)  # many=True relations
            if getattr(field, "queryset", None) is not None:
                field.queryset = scope_choices(field.queryset, user)
        return fields


class ScopedInputSerializer(ScopedSerializerMixin, serializers.Serializer):
    """Base of the small input serializers of workflow actions."""


class BriefSerializer(ScopedSerializerMixin, serializers.ModelSerializer):
    """Base serializer: `id`, `url`, `display`, and `?brief=1` for the fields in Meta.brief_fields."""

    display = serializers.SerializerMethodField()

    def get_display(self, obj: Any) -> str:
        return str(obj)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        if self.context.get("brief"):
            brief = getattr(self.Meta, "brief_fields", ("id", "display"))
            return {name: field for name, field in fields.items() if name in brief}
        return fields


class ScopedViewSet(viewsets.GenericViewSet):
    """Every endpoint over school-owned records starts here: the queryset is what the user may see.

    Records of other schools are not in it, so they answer 404 like missing ones. Service errors
    (Django's ValidationError and PermissionDenied) become the API's 400 and 403.
    """

    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return self.queryset.model.objects.visible_to(self.request.user)

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["brief"] = self.request.query_params.get("brief") in ("1", "true") if self.request else False
        return context

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, DjangoValidationError):
            detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
            exc = exceptions.ValidationError(detail)
        elif isinstance(exc, DjangoPermissionDenied):
            exc = exceptions.PermissionDenied(str(exc) or None)
        return super().handle_exception(exc)


class ScopedReadOnlyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    pass


class AutoSchema(StandardizedErrorsAutoSchema):
    """The schema says what the API sends (tests/security/test_api_fuzz.py holds it to that).

    - A read-only field over a column that may be null or blank may be null or "" (DRF drops allow_blank from
      read-only fields, and a declared field does not know its column).
    - A time is an RFC 3339 partial-time ("09:50:00", without the offset that JSON Schema's "time" requires).
    - Services check the access rules and validate every operation, so any operation that needs a sign-in may answer
      403, and a 400 validation error names any field and code (not only those the request serializer knows).
    """

    def _should_add_http403_error_response(self) -> bool:
        return not any(isinstance(permission, AllowAny) for permission in self.view.get_permissions())

    def _should_add_validation_error_response(self) -> bool:
        return True

    def _get_serializer_for_validation_error_response(self):
        return ValidationErrorResponseSerializer

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        column = column_of(field) if field.read_only else None
        if column is not None:
            field.allow_null = field.allow_null or column.null
            if hasattr(field, "allow_blank"):
                field.allow_blank = field.allow_blank or column.blank
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(schema, dict) and schema.get("format") == "time":
            schema["format"] = "partial-time"
        return schema


class SummarySchema(AutoSchema):
    """For a viewset whose `list` answers one summary object (figures, counts, a dashboard), not a list of records."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


def column_of(field: serializers.Field) -> Any:
    """The model column a serializer field shows, when its source is one of its model's own columns."""
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or "." in field.source or field.source == "*":
        return None
    try:
        column = model._meta.get_field(field.source)
    except FieldDoesNotExist:
        return None
    return column if getattr(column, "concrete", False) else None


def page_not_found(request, exception):
    """A path nothing routes: under /api/ the API's JSON error (drf-standardized-errors), elsewhere the site's page."""
    if request.path_info.startswith("/api/"):
        error = {"code": "not_found", "detail": str(exceptions.NotFound.default_detail), "attr": None}
        return JsonResponse({"type": "client_error", "errors": [error]}, status=404)
    return defaults.page_not_found(request, exception)


# =============================================================================
# Core endpoints
# =============================================================================


class AuthoritySerializer(BriefSerializer):
    class Meta:
        model = Authority
        fields = ("id", "display", "name", "slug", "code", "nation")
        brief_fields = ("id", "display", "slug")


class SchoolSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:school-detail")
    authority = AuthoritySerializer(read_only=True, context={"brief": True})

    class Meta:
        model = School
        fields = ("id", "url", "display", "name", "slug", "code", "phase", "authority", "phone", "email", "website")
        brief_fields = ("id", "url", "display", "slug")


class SchoolViewSet(ScopedReadOnlyViewSet):
    """The schools where you hold a role, directly or through your authority."""

    queryset = School.objects.none()
    serializer_class = SchoolSerializer
    filterset_fields = ("authority", "slug", "phase")

    def get_queryset(self):
        schools = School.objects.filter(is_active=True).select_related("authority")
        if self.request.user.is_superuser:
            return schools
        return schools.filter(pk__in=self.request.user.visible_school_ids)


class UserBriefSerializer(serializers.ModelSerializer):
    display = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = User
        fields = ("id", "username", "display")


class MembershipSerializer(serializers.ModelSerializer):
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    role_display = serializers.CharField(source="get_role_display", read_only=True)

    class Meta:
        model = Membership
        fields = ("school", "role", "role_display")


class AuthorityRoleSerializer(serializers.ModelSerializer):
    authority = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    role_display = serializers.CharField(source="get_role_display", read_only=True)

    class Meta:
        model = AuthorityRole
        fields = ("authority", "role", "role_display")


class MeSerializer(serializers.ModelSerializer):
    display = serializers.CharField(source="__str__", read_only=True)
    memberships = MembershipSerializer(many=True, read_only=True)
    authority_roles = AuthorityRoleSerializer(many=True, read_only=True)
    schools = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = (
            "id",
            "username",
            "display",
            "email",
            "is_superuser",
            "memberships",
            "authority_roles",
            "schools",
        )

    def get_schools(self, user: User) -> list[str]:
        """Slugs of every school whose records you may see."""
        schools = School.objects.filter(is_active=True)
        if not user.is_superuser:
            schools = schools.filter(pk__in=user.visible_school_ids)
        return list(schools.values_list("slug", flat=True))


class MeView(APIView):
    """Who you are: your roles at schools and authorities, and the schools you can see."""

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user, context={"request": request}).data)


class TokenView(ObtainAuthToken):
    """Exchange a username and password for an API token: send it as `Authorization: Token <token>`."""

    throttle_classes = (ScopedRateThrottle,)
    throttle_scope = "token"
    # The sign-in lockout and two-factor sign-in hold here too (fits/authentication.py, README "Security").
    serializer_class = AuthTokenSerializer


class ActivitySerializer(serializers.ModelSerializer):
    """One timeline entry, the same for every process."""

    actor = UserBriefSerializer(read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Activity
        fields = ("id", "kind", "kind_display", "actor", "public", "text", "changes", "created_at")


# =============================================================================
# Notifications: each person's own
# =============================================================================


class NotificationSerializer(serializers.ModelSerializer):
    """One in-app notification; `url` is the page of the record it is about."""

    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Notification
        fields = ("id", "event", "title", "text", "url", "school", "created_at", "read_at", "emailed_at")
        read_only_fields = fields


class NotificationFilterSet(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(field_name="read_at", lookup_expr="isnull", label="Only the unread ones")

    class Meta:
        model = Notification
        fields = ("event", "unread")


class NotificationViewSet(ScopedReadOnlyViewSet):
    """Your notifications (only yours), newest first; `?unread=true` for the ones you have not read."""

    queryset = Notification.objects.none()
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilterSet

    def get_queryset(self):
        return super().get_queryset().select_related("school")

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None, **kwargs):
        """Mark the notification read."""
        notification = notifications.notification_mark_read(notification=self.get_object(), actor=request.user)
        return Response(self.get_serializer(notification).data)

    @extend_schema(
        request=None, responses=inline_serializer("NotificationsMarkedRead", {"marked": serializers.IntegerField()})
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request, **kwargs):
        """Mark all your notifications read; says how many were unread."""
        return Response({"marked": notifications.notification_mark_all_read(actor=request.user)})


routes = [("schools", SchoolViewSet, "school"), ("notifications", NotificationViewSet, "notification")]
