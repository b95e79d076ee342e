"""The Storage Management API: /api/storage/jobs/ (backup jobs), backup-results/ (POST: a result reported by the
backup software, by job id or job name), backup-reports/ (POST: a raw e-mail report, RFC 822; read: every report as
received, accepted or rejected), restores/ (restore requests with their targets) and restore-tests/.

Authenticated like the rest of the API: a session, or `Authorization: Token <token>` of a technician or the network
manager (POST /api/auth/token/). Every write calls om/storage/services.py."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import parsers, serializers, status
from rest_framework.response import Response

from fits import access
from fits.api import BriefSerializer, ScopedInputSerializer, ScopedReadOnlyViewSet
from fits.models import School
from fits.scoping import schools_visible_to
from om.storage import services
from om.storage.models import (
    BackupJob,
    BackupReport,
    BackupResult,
    RestoreRequest,
    RestoreTest,
    ResultStatus,
)


class RFC822Parser(parsers.BaseParser):
    """A raw e-mail message as the request body (Content-Type: message/rfc822)."""

    media_type = "message/rfc822"

    def parse(self, stream, media_type=None, parser_context=None):
        return {"message": stream.read().decode("utf-8", errors="replace")}


def _school_for(request, slug: str | None) -> School:
    """The school named, else the one school where the person reports backups."""
    schools = schools_visible_to(request.user)
    if slug:
        school = schools.filter(slug=slug).first()
        if school is None:
            raise serializers.ValidationError({"school": f"No school “{slug}” of yours."})
        return school
    mine = [school for school in schools if access.can_report_backup.test(request.user, school)]
    if len(mine) != 1:
        raise serializers.ValidationError({"school": "Say which school (its slug): you report for several or none."})
    return mine[0]


# =============================================================================
# Jobs and results
# =============================================================================


class BackupResultSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:storage-backup-result-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    job = serializers.PrimaryKeyRelatedField(read_only=True)
    job_name = serializers.CharField(source="job.name", read_only=True)

    class Meta:
        model = BackupResult
        fields = ("id", "url", "display", "school", "job", "job_name", "status", "started_at", "finished_at",
                  "size_bytes", "message", "source", "report", "recorded_at")  # fmt: skip
        read_only_fields = fields
        brief_fields = ("id", "url", "status", "finished_at")


class LastResultSerializer(serializers.ModelSerializer):
    class Meta:
        model = BackupResult
        fields = ("id", "status", "started_at", "finished_at", "size_bytes", "source")
        read_only_fields = fields


class BackupJobSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:storage-job-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    owner = serializers.StringRelatedField()
    cis = serializers.StringRelatedField(many=True)
    shares = serializers.StringRelatedField(many=True)
    incident = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    last_result = LastResultSerializer(read_only=True)
    status = serializers.CharField(read_only=True)
    schedule_text = serializers.CharField(read_only=True)

    class Meta:
        model = BackupJob
        fields = ("id", "url", "display", "school", "name", "software", "cis", "shares", "protects", "destination",
                  "schedule", "run_at", "weekday", "schedule_text", "grace_hours", "retention_days",
                  "retention_versions", "offsite", "offsite_where", "offsite_every_days", "offsite_last_at", "owner",
                  "is_active", "status", "last_result", "incident")  # fmt: skip
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "status")


class BackupJobFilterSet(django_filters.FilterSet):
    school_id = django_filters.NumberFilter(field_name="school_id")
    name = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = BackupJob
        fields = ("software", "is_active", "offsite")


class BackupJobViewSet(ScopedReadOnlyViewSet):
    """Backup jobs with their schedule, retention, off-site copy, latest result and open incident."""

    queryset = BackupJob.objects.none()
    serializer_class = BackupJobSerializer
    filterset_class = BackupJobFilterSet

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.select_related("school", "owner", "incident", "last_result") \
            .prefetch_related("cis", "shares__server").order_by("name", "pk")  # fmt: skip


class BackupResultInputSerializer(ScopedInputSerializer):
    school = serializers.SlugField(required=False, help_text="The school's slug (needed if you report for several).")
    job = serializers.PrimaryKeyRelatedField(queryset=BackupJob.objects.all(), required=False, allow_null=True)
    job_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=150)
    status = serializers.ChoiceField(choices=ResultStatus.choices)
    started_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    finished_at = serializers.DateTimeField()
    size_bytes = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=0)
    message = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)


class BackupResultFilterSet(django_filters.FilterSet):
    job_id = django_filters.NumberFilter(field_name="job_id")
    school_id = django_filters.NumberFilter(field_name="school_id")

    class Meta:
        model = BackupResult
        fields = ("status", "source")


class BackupResultViewSet(ScopedReadOnlyViewSet):
    """Results of backup runs, newest first. POST reports one, as the backup software (a technician's or the
    network manager's token): the job by `job` (id) or `job_name`, its `status`, `finished_at` and, if known,
    `started_at`, `size_bytes` and `message`. A failure opens the job's one incident; a success resolves it."""

    queryset = BackupResult.objects.none()
    serializer_class = BackupResultSerializer
    filterset_class = BackupResultFilterSet

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.select_related("school", "job").order_by("-finished_at", "-pk")

    @extend_schema(request=BackupResultInputSerializer, responses={201: BackupResultSerializer})
    def create(self, request, *args, **kwargs):
        payload = BackupResultInputSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        job = data.pop("job", None)
        school = job.school if job is not None else _school_for(request, data.pop("school", None))
        data.pop("school", None)
        raw = request.data.dict() if hasattr(request.data, "dict") else dict(request.data)
        result = services.backup_result_report(actor=request.user, school=school, payload=raw, job=job,
                                               job_name=data.pop("job_name", ""), **data)  # fmt: skip
        return Response(self.get_serializer(self.get_queryset().get(pk=result.pk)).data, status=status.HTTP_201_CREATED)


# =============================================================================
# E-mail reports
# =============================================================================


class BackupReportSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:storage-backup-report-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    job = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = BackupReport
        fields = ("id", "url", "display", "school", "source", "received_at", "subject", "sender", "outcome", "reason",
                  "job", "raw")  # fmt: skip
        read_only_fields = fields
        brief_fields = ("id", "url", "outcome", "reason")


class BackupReportInputSerializer(serializers.Serializer):
    school = serializers.SlugField(required=False)
    message = serializers.CharField(trim_whitespace=False, help_text="The whole e-mail message (RFC 822).")


class BackupReportFilterSet(django_filters.FilterSet):
    school_id = django_filters.NumberFilter(field_name="school_id")
    job_id = django_filters.NumberFilter(field_name="job_id")

    class Meta:
        model = BackupReport
        fields = ("outcome", "source")


class BackupReportViewSet(ScopedReadOnlyViewSet):
    """Reports as they arrived, accepted or rejected with the reason. POST a raw e-mail report (Veeam, Windows
    Server Backup, Synology Hyper Backup) as JSON {"school", "message"} or as message/rfc822 with ?school=slug:
    201 with the result when it is read, 422 with the reason when it is not (the message is kept either way)."""

    queryset = BackupReport.objects.none()
    serializer_class = BackupReportSerializer
    filterset_class = BackupReportFilterSet
    parser_classes = (parsers.JSONParser, parsers.FormParser, parsers.MultiPartParser, RFC822Parser)

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.select_related("school").order_by("-received_at", "-pk")

    @extend_schema(request=BackupReportInputSerializer, responses={201: BackupReportSerializer,
                                                                   422: BackupReportSerializer})  # fmt: skip
    def create(self, request, *args, **kwargs):
        payload = BackupReportInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        slug = payload.validated_data.get("school") or request.query_params.get("school")
        school = _school_for(request, slug)
        outcome = services.backup_report_receive(school=school, raw=payload.validated_data["message"],
                                                 actor=request.user)  # fmt: skip
        data = self.get_serializer(self.get_queryset().get(pk=outcome.report.pk)).data
        return Response(data, status=status.HTTP_201_CREATED if outcome.accepted else 422)


# =============================================================================
# Restores and restore tests
# =============================================================================


class RestoreRequestSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:storage-restore-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    ticket = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    job = serializers.PrimaryKeyRelatedField(read_only=True)
    completed_by = serializers.StringRelatedField()

    class Meta:
        model = RestoreRequest
        fields = ("id", "url", "display", "school", "ticket", "kind", "what", "location", "restore_from", "job",
                  "requested_at", "target_hours", "target_at", "expectation", "outcome", "completed_at",
                  "completed_by", "met", "note")  # fmt: skip
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "target_at", "met")


class RestoreRequestFilterSet(django_filters.FilterSet):
    school_id = django_filters.NumberFilter(field_name="school_id")
    open = django_filters.BooleanFilter(field_name="completed_at", lookup_expr="isnull", label="Not done yet")

    class Meta:
        model = RestoreRequest
        fields = ("kind", "outcome", "met")


class RestoreRequestViewSet(ScopedReadOnlyViewSet):
    """Restore requests from the service catalogue, each with its target time (the school's expectation on its
    calendar) and, once done, its outcome and whether the target was met."""

    queryset = RestoreRequest.objects.none()
    serializer_class = RestoreRequestSerializer
    filterset_class = RestoreRequestFilterSet

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.select_related("school", "ticket", "completed_by").order_by("-requested_at", "-pk")


class RestoreTestSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:storage-restore-test-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    job = serializers.PrimaryKeyRelatedField(read_only=True)
    job_name = serializers.CharField(source="job.name", read_only=True)
    verified_by = serializers.StringRelatedField()

    class Meta:
        model = RestoreTest
        fields = ("id", "url", "display", "school", "job", "job_name", "term_key", "term_label", "tested_on",
                  "restored", "restored_from", "minutes", "succeeded", "verified_by", "evidence",
                  "recorded_at")  # fmt: skip
        read_only_fields = fields


class RestoreTestFilterSet(django_filters.FilterSet):
    school_id = django_filters.NumberFilter(field_name="school_id")
    job_id = django_filters.NumberFilter(field_name="job_id")

    class Meta:
        model = RestoreTest
        fields = ("term_key", "succeeded")


class RestoreTestViewSet(ScopedReadOnlyViewSet):
    """Restore tests with their evidence, newest first."""

    queryset = RestoreTest.objects.none()
    serializer_class = RestoreTestSerializer
    filterset_class = RestoreTestFilterSet

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.select_related("school", "job", "verified_by").order_by("-tested_on", "-pk")


routes = [
    ("storage/jobs", BackupJobViewSet, "storage-job"),
    ("storage/backup-results", BackupResultViewSet, "storage-backup-result"),
    ("storage/backup-reports", BackupReportViewSet, "storage-backup-report"),
    ("storage/restores", RestoreRequestViewSet, "storage-restore"),
    ("storage/restore-tests", RestoreTestViewSet, "storage-restore-test"),
]
