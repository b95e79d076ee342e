"""The problems API: /api/problems/ and /api/known-errors/, the lifecycle as actions that call the services."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from changes.models import RequestForChange
from cmdb.models import ConfigurationItem
from fits import access
from fits.activity import timeline
from fits.api import ActivitySerializer, BriefSerializer, ScopedInputSerializer, ScopedViewSet, UserBriefSerializer
from fits.models import School, User
from incidents.models import Incident
from problems import services
from problems.filters import KnownErrorFilterSet, ProblemFilterSet
from problems.models import CandidateStatus, KnownError, Problem, ProblemCandidate


class ProblemSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:problem-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    logged_by = UserBriefSerializer(read_only=True)
    assignee = UserBriefSerializer(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    incidents = serializers.SlugRelatedField(slug_field="reference", many=True, read_only=True)
    change = serializers.SlugRelatedField(
        slug_field="reference", read_only=True, help_text="The request for change that carries the permanent fix."
    )
    actions = serializers.SerializerMethodField(help_text="The lifecycle actions you may take now.")

    class Meta:
        model = Problem
        fields = (
            "id",
            "url",
            "display",
            "reference",
            "school",
            "title",
            "description",
            "ci",
            "incidents",
            "source",
            "change",
            "logged_by",
            "status",
            "status_display",
            "assignee",
            "root_cause",
            "resolution",
            "created_at",
            "updated_at",
            "resolved_at",
            "closed_at",
            "actions",
        )
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "reference", "status")

    def get_actions(self, problem: Problem) -> list[str]:
        request = self.context.get("request")
        return [t.name for t in Problem.WORKFLOW.available(request.user, problem)] if request else []


class KnownErrorSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:known-error-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    problem = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    recorded_by = UserBriefSerializer(read_only=True)

    class Meta:
        model = KnownError
        fields = ("id", "url", "display", "school", "problem", "symptom", "workaround", "published", "recorded_by",
                  "created_at")  # fmt: skip
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "symptom")


class ProblemLogSerializer(ScopedInputSerializer):
    school = serializers.SlugRelatedField(slug_field="slug", queryset=School.objects.all())
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, default="", allow_blank=True)
    ci = serializers.PrimaryKeyRelatedField(
        queryset=ConfigurationItem.objects.all(), required=False, allow_null=True, help_text="A CMDB item's id."
    )
    incidents = serializers.PrimaryKeyRelatedField(queryset=Incident.objects.all(), many=True, required=False)


class ProblemTransitionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=sorted(Problem.WORKFLOW.actions))
    note = serializers.CharField(required=False, default="", allow_blank=True)


class ProblemAssignSerializer(ScopedInputSerializer):
    assignee = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), allow_null=True)
    note = serializers.CharField(required=False, default="", allow_blank=True)


class LinkIncidentSerializer(ScopedInputSerializer):
    incident = serializers.PrimaryKeyRelatedField(queryset=Incident.objects.all())
    unlink = serializers.BooleanField(default=False, help_text="Remove the link instead of adding it.")


class LinkChangeSerializer(ScopedInputSerializer):
    change = serializers.PrimaryKeyRelatedField(
        queryset=RequestForChange.objects.all(),
        allow_null=True,
        help_text="The id of the request for change that carries the permanent fix; null unlinks it.",
    )


class KnownErrorRecordSerializer(serializers.Serializer):
    symptom = serializers.CharField(max_length=200)
    workaround = serializers.CharField()
    published = serializers.BooleanField(default=True)


class ProblemCommentSerializer(serializers.Serializer):
    text = serializers.CharField()


class ProblemAccessMixin:
    """Problem Management is for support staff: nobody else gets even an empty list."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not access.here_or_anywhere(access.can_view_problem).test(request.user, None):
            raise Http404


class ProblemViewSet(ProblemAccessMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Problems at your schools (support staff). Log one with POST; move it with `transition`,
    give it to a technician with `assign`, link incidents with `link-incident`, and record a known
    error with `known-error`. Status is never written directly."""

    queryset = Problem.objects.none()
    serializer_class = ProblemSerializer
    filterset_class = ProblemFilterSet

    def get_queryset(self):
        # Linked incidents through their own scoping: a safeguarding-flagged one stays hidden.
        visible = Prefetch("incidents", queryset=Incident.objects.visible_to(self.request.user))
        return super().get_queryset().for_list().prefetch_related(visible)

    @extend_schema(request=ProblemLogSerializer, responses={201: ProblemSerializer})
    def create(self, request, *args, **kwargs):
        payload = ProblemLogSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        problem = services.problem_log(logged_by=request.user, **payload.validated_data)
        return Response(
            self.get_serializer(self.get_queryset().get(pk=problem.pk)).data, status=status.HTTP_201_CREATED
        )

    def _fresh(self, problem: Problem) -> dict:
        return self.get_serializer(self.get_queryset().get(pk=problem.pk)).data

    @extend_schema(request=ProblemTransitionSerializer, responses=ProblemSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None, format=None):
        problem = self.get_object()  # another school's answers 404 before the payload is read
        payload = ProblemTransitionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        problem = services.problem_transition(problem=problem, actor=request.user, **payload.validated_data)
        return Response(self._fresh(problem))

    @extend_schema(request=ProblemAssignSerializer, responses=ProblemSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None, format=None):
        problem = self.get_object()
        payload = ProblemAssignSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        problem = services.problem_assign(problem=problem, actor=request.user, **payload.validated_data)
        return Response(self._fresh(problem))

    @extend_schema(request=LinkIncidentSerializer, responses=ProblemSerializer)
    @action(detail=True, methods=["post"], url_path="link-incident", url_name="link-incident")
    def link_incident(self, request, pk=None, format=None):
        problem = self.get_object()
        payload = LinkIncidentSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        service = services.problem_unlink_incident if data["unlink"] else services.problem_link_incident
        problem = service(problem=problem, incident=data["incident"], actor=request.user)
        return Response(self._fresh(problem))

    @extend_schema(request=LinkChangeSerializer, responses=ProblemSerializer)
    @action(detail=True, methods=["post"], url_path="link-change", url_name="link-change")
    def link_change(self, request, pk=None, format=None):
        problem = self.get_object()
        payload = LinkChangeSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        problem = services.problem_link_change(
            problem=problem, change=payload.validated_data["change"], actor=request.user
        )
        return Response(self._fresh(problem))

    @extend_schema(request=KnownErrorRecordSerializer, responses={201: KnownErrorSerializer})
    @action(detail=True, methods=["post"], url_path="known-error", url_name="known-error")
    def known_error(self, request, pk=None, format=None):
        problem = self.get_object()
        payload = KnownErrorRecordSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        known_error = services.known_error_record(problem=problem, actor=request.user, **payload.validated_data)
        return Response(
            KnownErrorSerializer(known_error, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=ProblemCommentSerializer, responses={201: ActivitySerializer})
    @action(detail=True, methods=["post"])
    def comment(self, request, pk=None, format=None):
        problem = self.get_object()
        payload = ProblemCommentSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        entry = services.problem_comment(problem=problem, author=request.user, **payload.validated_data)
        return Response(ActivitySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=ActivitySerializer(many=True))
    @action(detail=True, methods=["get"])
    def activity(self, request, pk=None, format=None):
        """The problem's timeline, oldest first."""
        entries = timeline(self.get_object(), include_internal=True)
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(ActivitySerializer(page, many=True).data)


class KnownErrorViewSet(ProblemAccessMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Known errors and their workarounds at your schools; search them with `?q=`."""

    queryset = KnownError.objects.none()
    serializer_class = KnownErrorSerializer
    filterset_class = KnownErrorFilterSet

    def get_queryset(self):
        return super().get_queryset().for_list()


class ProblemCandidateSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:problem-candidate-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    subject = serializers.CharField(read_only=True)
    incidents = serializers.SlugRelatedField(slug_field="reference", many=True, read_only=True)
    problem = serializers.SlugRelatedField(slug_field="reference", read_only=True)

    class Meta:
        model = ProblemCandidate
        fields = ("id", "url", "display", "school", "subject", "ci", "category", "incident_count", "window_days",
                  "first_at", "last_at", "incidents", "status", "problem", "note", "decided_at")  # fmt: skip
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "status")


class CandidateRaiseSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class CandidateDismissSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=300)


class ProblemCandidateViewSet(ProblemAccessMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Recurring incidents that may share a cause (`?status=open|raised|dismissed`); raise or dismiss them."""

    queryset = ProblemCandidate.objects.none()
    serializer_class = ProblemCandidateSerializer

    def get_queryset(self):
        candidates = super().get_queryset().for_list().order_by("-last_at", "-pk")
        wanted = self.request.query_params.get("status")
        return candidates.filter(status=wanted) if wanted in CandidateStatus.values else candidates

    @extend_schema(request=CandidateRaiseSerializer, responses={201: ProblemSerializer})
    @action(detail=True, methods=["post"], url_path="raise", url_name="raise")
    def raise_problem(self, request, pk=None, format=None):
        """Log a problem with the candidate's incidents linked."""
        payload = CandidateRaiseSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        problem = services.candidate_raise(candidate=self.get_object(), actor=request.user, **payload.validated_data)
        return Response(ProblemSerializer(problem, context=self.get_serializer_context()).data, status=201)

    @extend_schema(request=CandidateDismissSerializer, responses=ProblemCandidateSerializer)
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None, format=None):
        payload = CandidateDismissSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        candidate = self.get_object()
        candidate = services.candidate_dismiss(candidate=candidate, actor=request.user, **payload.validated_data)
        return Response(self.get_serializer(candidate).data)


routes = [
    ("problems", ProblemViewSet, "problem"),
    ("known-errors", KnownErrorViewSet, "known-error"),
    ("problem-candidates", ProblemCandidateViewSet, "problem-candidate"),
]
