"""/api/lessons/: the timetable of the school's rooms (lesson impact), for support staff.

Read the lessons; add, change and remove them through incidents.services (the MIS import is a page).
"""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from cmdb.models import Location
from fits.api import BriefSerializer, ScopedInputSerializer, ScopedViewSet
from incidents import services
from incidents.models import Lesson, Weekday


class LessonFilterSet(django_filters.FilterSet):
    """By room id and weekday (ids, not choice lists: the browsable API lists no other school's rooms)."""

    location_id = django_filters.NumberFilter(field_name="location_id", label="Room id")
    weekday = django_filters.TypedChoiceFilter(choices=Weekday.choices, coerce=int)

    class Meta:
        model = Lesson
        fields = ("location_id", "weekday")


class LessonSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:lesson-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    weekday_display = serializers.CharField(source="get_weekday_display", read_only=True)

    class Meta:
        model = Lesson
        fields = (
            "id",
            "url",
            "display",
            "school",
            "location",
            "weekday",
            "weekday_display",
            "starts",
            "ends",
            "name",
            "teacher",
        )
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "location", "weekday", "starts", "ends")


class LessonInputSerializer(ScopedInputSerializer):
    location = serializers.PrimaryKeyRelatedField(queryset=Location.objects.all(), help_text="A room's id.")
    weekday = serializers.ChoiceField(choices=Weekday.choices, help_text="0 is Monday.")
    starts = serializers.TimeField()
    ends = serializers.TimeField()
    name = serializers.CharField(max_length=100)
    teacher = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)


class LessonViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    ScopedViewSet,
):
    """The lessons timetabled in the rooms of your schools: a fault logged in a room during one is urgent."""

    queryset = Lesson.objects.none()
    serializer_class = LessonSerializer
    filterset_class = LessonFilterSet

    def get_queryset(self):
        return super().get_queryset().select_related("school").order_by("location_id", "weekday", "starts")

    @extend_schema(request=LessonInputSerializer, responses={201: LessonSerializer})
    def create(self, request, *args, **kwargs):
        payload = LessonInputSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        lesson = services.lesson_create(actor=request.user, **payload.validated_data)
        return Response(self.get_serializer(lesson).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=LessonInputSerializer, responses=LessonSerializer)
    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        lesson = self.get_object()  # another school's answers 404 before anything is validated
        payload = LessonInputSerializer(data=request.data, partial=partial, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        lesson = services.lesson_update(lesson=lesson, actor=request.user, **payload.validated_data)
        return Response(self.get_serializer(lesson).data)

    @extend_schema(request=LessonInputSerializer, responses=LessonSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs):
        services.lesson_delete(lesson=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
