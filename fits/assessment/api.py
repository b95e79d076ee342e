"""The FITS maturity assessment API: /api/assessment/assessments/ (a school's assessment per academic year, with its
scores per process and function; POST starts this year's; actions answer, complete, reopen) and
/api/assessment/answers/ (every answer with its evidence).

Every write calls fits/assessment/services.py.
"""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from fits.api import BriefSerializer, ScopedInputSerializer, ScopedReadOnlyViewSet
from fits.assessment import services
from fits.assessment.models import Answer, Assessment, Level
from fits.assessment.scores import scores_of
from fits.scoping import schools_visible_to


class AreaScoreSerializer(serializers.Serializer):
    area = serializers.CharField(source="area.key")
    name = serializers.CharField(source="area.name")
    kind = serializers.CharField(source="area.kind")
    questions = serializers.IntegerField()
    answered = serializers.IntegerField()
    percent = serializers.IntegerField(help_text="% of criteria met: fully = 1, partly = 0.5, not yet = 0.")
    moderated = serializers.IntegerField(allow_null=True, help_text="The LEA consultant's moderated score, if any.")


class AssessmentSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:assessment-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    year_label = serializers.CharField(read_only=True)
    overall = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()
    scores = serializers.SerializerMethodField()

    class Meta:
        model = Assessment
        fields = (
            "id",
            "url",
            "display",
            "school",
            "year",
            "year_label",
            "version",
            "status",
            "started_by",
            "completed_by",
            "completed_at",
            "overall",
            "progress",
            "scores",
            "updated_at",
        )
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "status", "overall")

    def _scores(self, obj):
        cache = self.context.setdefault("assessment_scores", {})
        if obj.pk not in cache:
            totals = [
                {"assessment_id": obj.pk, "area": a.area, "points_sum": a.points, "answered": 1}
                for a in obj.answers.all()
            ]
            cache[obj.pk] = scores_of([obj], totals, obj.moderations.all())[obj.pk]
        return cache[obj.pk]

    def get_overall(self, obj) -> int:
        """% of all criteria met."""
        return self._scores(obj).overall

    def get_progress(self, obj) -> int:
        """% of the questions answered."""
        return self._scores(obj).progress

    @extend_schema_field(AreaScoreSerializer(many=True))
    def get_scores(self, obj) -> list[dict]:
        return AreaScoreSerializer(self._scores(obj).areas, many=True).data


class AssessmentFilterSet(django_filters.FilterSet):
    school_id = django_filters.NumberFilter(field_name="school_id")
    school = django_filters.CharFilter(field_name="school__slug")
    year = django_filters.NumberFilter()

    class Meta:
        model = Assessment
        fields = ("status",)


class StartSerializer(ScopedInputSerializer):
    school = serializers.SlugField(help_text="The school's slug.")


class AnswerInputSerializer(ScopedInputSerializer):
    question = serializers.CharField(help_text="The question's key, e.g. storage.restores_tested.")
    level = serializers.ChoiceField(choices=Level.choices)
    evidence = serializers.CharField(required=False, allow_blank=True, default="")
    link = serializers.URLField(required=False, allow_blank=True, default="")


class AnswerSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:assessment-answer-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Answer
        fields = (
            "id",
            "url",
            "display",
            "school",
            "assessment",
            "area",
            "question",
            "level",
            "points",
            "evidence",
            "link",
            "answered_by",
            "answered_at",
        )
        read_only_fields = fields
        brief_fields = ("id", "url", "question", "level")


class AssessmentViewSet(ScopedReadOnlyViewSet):
    """Each school's FITS maturity assessment per academic year, with its scores per process and function (% of
    criteria met: fully = 1, partly = 0.5). POST `{"school": slug}` starts this year's (the network manager or a
    leader), carrying over last year's answers."""

    queryset = Assessment.objects.none()
    serializer_class = AssessmentSerializer
    filterset_class = AssessmentFilterSet

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.select_related("school").prefetch_related("answers", "moderations").order_by("-year", "pk")

    @extend_schema(request=StartSerializer, responses={201: AssessmentSerializer})
    def create(self, request, *args, **kwargs):
        payload = StartSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        school = schools_visible_to(request.user).filter(slug=payload.validated_data["school"]).first()
        if school is None:
            raise serializers.ValidationError({"school": "No such school of yours."})
        assessment = services.assessment_start(school=school, actor=request.user)
        return Response(
            self.get_serializer(self.get_queryset().get(pk=assessment.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=AnswerInputSerializer, responses=AnswerSerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None, format=None):
        """Answer one question (not yet, partly, fully) with its evidence and an optional link."""
        payload = AnswerInputSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        answer = services.assessment_answer(assessment=self.get_object(), actor=request.user, **payload.validated_data)
        return Response(AnswerSerializer(answer, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses=AssessmentSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None, format=None):
        """Mark the assessment completed (the network manager or a leader)."""
        services.assessment_transition(assessment=self.get_object(), actor=request.user, action="complete")
        return Response(self.get_serializer(self.get_queryset().get(pk=pk)).data)

    @extend_schema(request=None, responses=AssessmentSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None, format=None):
        """Reopen a completed assessment of the current year to change answers."""
        services.assessment_transition(assessment=self.get_object(), actor=request.user, action="reopen")
        return Response(self.get_serializer(self.get_queryset().get(pk=pk)).data)


class AnswerFilterSet(django_filters.FilterSet):
    assessment_id = django_filters.NumberFilter(field_name="assessment_id")
    school_id = django_filters.NumberFilter(field_name="school_id")

    class Meta:
        model = Answer
        fields = ("area", "question", "level")


class AnswerViewSet(ScopedReadOnlyViewSet):
    """Every answer of the assessments you may see, with its evidence."""

    queryset = Answer.objects.none()
    serializer_class = AnswerSerializer
    filterset_class = AnswerFilterSet

    def get_queryset(self):
        return super().get_queryset().select_related("school").order_by("assessment_id", "area", "question")


routes = [
    ("assessment/assessments", AssessmentViewSet, "assessment"),
    ("assessment/answers", AnswerViewSet, "assessment-answer"),
]
