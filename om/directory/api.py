"""The Directory Services Administration API, read-only for support staff: /api/directory/settings/ (never a
password), accounts/, groups/, ous/, changes/, account-requests/ and sync-runs/; POST sync-runs/ is "sync now"
(technicians and the network manager)."""

from __future__ import annotations

from celery.result import EagerResult
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from fits import access
from fits.api import BriefSerializer, ScopedInputSerializer, ScopedReadOnlyViewSet
from fits.models import School
from om.directory.filters import AccountFilter, AccountRequestFilter
from om.directory.models import (
    AccountRequest,
    DirectoryAccount,
    DirectoryChange,
    DirectoryGroup,
    DirectorySettings,
    OrganisationalUnit,
    SyncRun,
)

SCHOOL = serializers.SlugRelatedField(slug_field="slug", read_only=True)


class DirectorySettingsSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:directory-settings-detail")
    school = SCHOOL
    has_bind_password = serializers.SerializerMethodField()
    has_write_password = serializers.SerializerMethodField()

    class Meta:
        model = DirectorySettings
        fields = (
            "id",
            "url",
            "display",
            "school",
            "kind",
            "server_uris",
            "security",
            "verify_certificate",
            "bind_dn",
            "has_bind_password",
            "base_dn",
            "user_base_dn",
            "group_base_dn",
            "computer_base_dn",
            "user_filter",
            "group_filter",
            "computer_filter",
            "username_attribute",
            "write_enabled",
            "write_bind_dn",
            "has_write_password",
            "starter_ou",
            "pupil_ou",
            "leavers_ou",
            "upn_suffix",
            "sync_enabled",
            "signin_enabled",
            "role_map",
            "updated_at",
        )
        read_only_fields = fields

    def get_has_bind_password(self, obj) -> bool:
        return bool(obj.bind_password)

    def get_has_write_password(self, obj) -> bool:
        return bool(obj.write_bind_password)


class DirectorySettingsViewSet(ScopedReadOnlyViewSet):
    """Each school's directory connection (passwords are never shown: only whether one is stored)."""

    queryset = DirectorySettings.objects.none()
    serializer_class = DirectorySettingsSerializer

    def get_queryset(self):
        return super().get_queryset().select_related("school").order_by("school__name", "pk")


class DirectoryAccountSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:directory-account-detail")
    school = SCHOOL
    person = serializers.StringRelatedField()

    class Meta:
        model = DirectoryAccount
        fields = (
            "id",
            "url",
            "display",
            "school",
            "kind",
            "username",
            "display_name",
            "first_name",
            "last_name",
            "email",
            "principal_name",
            "title",
            "dn",
            "ou_dn",
            "operating_system",
            "host_name",
            "state",
            "last_logon_at",
            "person",
            "signed_in_at",
            "first_seen_at",
            "changed_at",
            "gone_at",
        )
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "username", "state")


class DirectoryAccountViewSet(ScopedReadOnlyViewSet):
    """People's and computers' accounts as the last sync found them (filter: kind, state, ou, group_id, q)."""

    queryset = DirectoryAccount.objects.none()
    serializer_class = DirectoryAccountSerializer
    filterset_class = AccountFilter

    def get_queryset(self):
        return super().get_queryset().select_related("school", "person").order_by("kind", "username", "pk").distinct()


class DirectoryGroupSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:directory-group-detail")
    school = SCHOOL

    class Meta:
        model = DirectoryGroup
        fields = (
            "id",
            "url",
            "display",
            "school",
            "name",
            "description",
            "dn",
            "is_admin_group",
            "is_present",
            "member_count",
            "first_seen_at",
            "changed_at",
            "gone_at",
        )
        read_only_fields = fields


class DirectoryGroupViewSet(ScopedReadOnlyViewSet):
    """Groups of the school's directory; administrator groups are flagged."""

    queryset = DirectoryGroup.objects.none()
    serializer_class = DirectoryGroupSerializer

    def get_queryset(self):
        return super().get_queryset().select_related("school").order_by("name", "pk")


class OrganisationalUnitSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:directory-ou-detail")
    school = SCHOOL

    class Meta:
        model = OrganisationalUnit
        fields = (
            "id",
            "url",
            "display",
            "school",
            "name",
            "description",
            "dn",
            "is_present",
            "first_seen_at",
            "changed_at",
            "gone_at",
        )
        read_only_fields = fields


class OrganisationalUnitViewSet(ScopedReadOnlyViewSet):
    """Organisational units of the school's directory."""

    queryset = OrganisationalUnit.objects.none()
    serializer_class = OrganisationalUnitSerializer

    def get_queryset(self):
        return super().get_queryset().select_related("school").order_by("dn", "pk")


class DirectoryChangeSerializer(serializers.ModelSerializer):
    school = SCHOOL
    account = serializers.StringRelatedField()
    group = serializers.StringRelatedField()
    ou = serializers.StringRelatedField()

    class Meta:
        model = DirectoryChange
        fields = ("id", "school", "run", "account", "group", "ou", "action", "field", "old", "new", "at")
        read_only_fields = fields


class DirectoryChangeViewSet(ScopedReadOnlyViewSet):
    """The change log: every difference a sync found, and every change FITS made (old -> new)."""

    queryset = DirectoryChange.objects.none()
    serializer_class = DirectoryChangeSerializer

    def get_queryset(self):
        return super().get_queryset().select_related("school", "account", "group", "ou").order_by("-at", "-pk")


class AccountRequestSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:directory-account-request-detail")
    school = SCHOOL
    ticket = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    task = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    account = serializers.StringRelatedField()

    class Meta:
        model = AccountRequest
        fields = (
            "id",
            "url",
            "display",
            "school",
            "kind",
            "state",
            "ticket",
            "task",
            "account",
            "first_name",
            "last_name",
            "username",
            "title",
            "ou_dn",
            "groups",
            "effective_on",
            "outcome",
            "created_at",
            "done_at",
        )
        read_only_fields = fields


class AccountRequestViewSet(ScopedReadOnlyViewSet):
    """Starters, changes and leavers, and what became of each (done in the directory, or a task)."""

    queryset = AccountRequest.objects.none()
    serializer_class = AccountRequestSerializer
    filterset_class = AccountRequestFilter

    def get_queryset(self):
        requests = super().get_queryset().select_related("school", "ticket", "task", "account")
        return requests.order_by("-created_at", "-pk")


class SyncRunSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:directory-sync-run-detail")
    school = SCHOOL
    requested_by = serializers.StringRelatedField()

    class Meta:
        model = SyncRun
        fields = (
            "id",
            "url",
            "display",
            "school",
            "status",
            "trigger",
            "full",
            "started_at",
            "finished_at",
            "requested_by",
            "added",
            "changed",
            "disabled",
            "unchanged",
            "entries_read",
            "error",
        )
        read_only_fields = fields


class SyncNowSerializer(ScopedInputSerializer):
    school = serializers.SlugRelatedField(slug_field="slug", queryset=School.objects.all())
    full = serializers.BooleanField(required=False, default=False)


class SyncRunViewSet(ScopedReadOnlyViewSet):
    """Sync runs with their counts or error. POST {"school": slug, "full": false} synchronises now (technicians and
    the network manager): 201 with the run when it ran at once, 202 when queued for the worker."""

    queryset = SyncRun.objects.none()
    serializer_class = SyncRunSerializer

    def get_queryset(self):
        return super().get_queryset().select_related("school", "requested_by").order_by("-started_at", "-pk")

    @extend_schema(request=SyncNowSerializer, responses={201: SyncRunSerializer, 202: None})
    def create(self, request, *args, **kwargs):
        from om.directory.tasks import directory_sync_task

        payload = SyncNowSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        school = payload.validated_data["school"]
        access.require(
            access.can_work_directory,
            request.user,
            school,
            "Only technicians and the network manager synchronise the directory.",
        )
        if not DirectorySettings.objects.visible_to(request.user).of_school(school.pk).exists():
            raise serializers.ValidationError({"school": f"{school} is not connected to its directory yet."})
        result = directory_sync_task.delay(school.pk, "api", payload.validated_data["full"], request.user.pk)
        run = self.get_queryset().filter(pk=result.result or 0).first() if isinstance(result, EagerResult) else None
        if run is None:
            return Response({"detail": "Sync queued."}, status=status.HTTP_202_ACCEPTED)
        return Response(self.get_serializer(run).data, status=status.HTTP_201_CREATED)


routes = [
    ("directory/settings", DirectorySettingsViewSet, "directory-settings"),
    ("directory/accounts", DirectoryAccountViewSet, "directory-account"),
    ("directory/groups", DirectoryGroupViewSet, "directory-group"),
    ("directory/ous", OrganisationalUnitViewSet, "directory-ou"),
    ("directory/changes", DirectoryChangeViewSet, "directory-change"),
    ("directory/account-requests", AccountRequestViewSet, "directory-account-request"),
    ("directory/sync-runs", SyncRunViewSet, "directory-sync-run"),
]
