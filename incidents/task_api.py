"""The API of tasks (planned work): /api/tasks/ lists, shows and raises them; `complete`, `step` and `transition`
work them through incidents.task_services, as the pages do."""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from cmdb.models import ConfigurationItem, Location
from fits import access
from fits.api import BriefSerializer, ScopedInputSerializer, ScopedViewSet, UserBriefSerializer
from fits.models import School, User
from incidents import task_services
from incidents.models import OPEN_TASK_STATUSES, SupportGroup, Task, TaskOrigin, TaskStatus, TaskStep


class TaskAccessMixin:
    """Tasks are support staff's work: nobody else gets even an empty list."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not access.here_or_anywhere(access.can_view_task).test(request.user, None):
            raise Http404


class TaskStepSerializer(serializers.ModelSerializer):
    done = serializers.BooleanField(source="is_done", read_only=True)
    done_by = UserBriefSerializer(read_only=True)

    class Meta:
        model = TaskStep
        fields = ("id", "position", "text", "done", "done_at", "done_by", "note")
        read_only_fields = fields


class TaskSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:task-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    assignee = UserBriefSerializer(read_only=True)
    completed_by = UserBriefSerializer(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    steps = TaskStepSerializer(many=True, read_only=True)
    progress = serializers.SerializerMethodField(help_text='Steps done and in all, e.g. {"done": 3, "total": 5}.')
    source = serializers.SerializerMethodField(help_text="What raised it: {type, id} (e.g. a maintenance schedule).")
    actions = serializers.SerializerMethodField(help_text="The lifecycle actions you may take now.")

    class Meta:
        model = Task
        fields = (
            "id", "url", "display", "reference", "school", "title", "description", "origin", "status",
            "status_display", "due_on", "ci", "location", "group", "assignee", "steps", "progress", "source",
            "outcome", "completed_at", "completed_by", "created_at", "updated_at", "actions",
        )  # fmt: skip
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "reference", "title", "status", "due_on")

    def get_progress(self, task: Task) -> dict[str, int]:
        steps = list(task.steps.all())
        return {"done": sum(1 for step in steps if step.is_done), "total": len(steps)}

    def get_source(self, task: Task) -> dict | None:
        if not task.source_type_id:
            return None
        return {"type": task.source_type.model, "id": task.source_id}

    def get_actions(self, task: Task) -> list[str]:
        request = self.context.get("request")
        if request is None:
            return []
        return [t.name for t in Task.WORKFLOW.available(request.user, task)]


class TaskRaiseSerializer(ScopedInputSerializer):
    school = serializers.SlugRelatedField(slug_field="slug", queryset=School.objects.all())
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, default="", allow_blank=True)
    steps = serializers.ListField(child=serializers.CharField(max_length=300), required=False, default=list)
    due_on = serializers.DateField(required=False, allow_null=True, default=None)
    ci = serializers.PrimaryKeyRelatedField(
        queryset=ConfigurationItem.objects.all(), required=False, allow_null=True, default=None
    )
    location = serializers.PrimaryKeyRelatedField(
        queryset=Location.objects.all(), required=False, allow_null=True, default=None
    )
    group = serializers.PrimaryKeyRelatedField(
        queryset=SupportGroup.objects.all(), required=False, allow_null=True, default=None
    )
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True, default=None
    )


class TaskCompleteSerializer(serializers.Serializer):
    outcome = serializers.CharField(help_text="What was done and found: the evidence the work happened.")


class TaskStepInputSerializer(serializers.Serializer):
    step = serializers.IntegerField(help_text="The step's id (from `steps`).")
    done = serializers.BooleanField(default=True)
    note = serializers.CharField(required=False, default="", allow_blank=True, max_length=300)


class TaskTransitionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=Task.WORKFLOW.actions)
    note = serializers.CharField(required=False, default="", allow_blank=True, help_text="The outcome or the reason.")


class TaskFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=TaskStatus.choices)
    origin = django_filters.MultipleChoiceFilter(choices=TaskOrigin.choices)
    assignee_id = django_filters.NumberFilter()
    open = django_filters.BooleanFilter(method="filter_open", help_text="Only tasks to do or in progress.")
    overdue = django_filters.BooleanFilter(method="filter_overdue", help_text="Only open tasks past their due date.")

    class Meta:
        model = Task
        fields = ("status", "origin", "assignee_id")

    def filter_open(self, queryset, name, value):
        return queryset.filter(status__in=OPEN_TASK_STATUSES) if value else queryset

    def filter_overdue(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(status__in=OPEN_TASK_STATUSES, due_on__lt=timezone.localdate())


class TaskViewSet(TaskAccessMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Tasks at your schools (support staff), due soonest first. Raise one with POST (technicians and the network
    manager); tick its checklist with `step`, close it with the evidence with `complete`, and start, cancel or
    reopen it with `transition`. Status is never written directly."""

    queryset = Task.objects.none()
    serializer_class = TaskSerializer
    filterset_class = TaskFilterSet

    def get_queryset(self):
        user = self.request.user
        steps = TaskStep.objects.visible_to(user).select_related("done_by").order_by("position", "pk")
        tasks = super().get_queryset()
        return (
            tasks.select_related("school", "assignee", "completed_by", "source_type")
            .prefetch_related(Prefetch("steps", queryset=steps))
            .order_by("due_on", "pk")
        )

    def _fresh(self, task: Task) -> dict:
        return self.get_serializer(self.get_queryset().get(pk=task.pk)).data

    @extend_schema(request=TaskRaiseSerializer, responses={201: TaskSerializer})
    def create(self, request, *args, **kwargs):
        payload = TaskRaiseSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        task = task_services.task_raise(actor=request.user, **payload.validated_data)
        return Response(self._fresh(task), status=status.HTTP_201_CREATED)

    @extend_schema(request=TaskCompleteSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None, format=None):
        task = self.get_object()
        payload = TaskCompleteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        task = task_services.task_complete(task=task, actor=request.user, outcome=payload.validated_data["outcome"])
        return Response(self._fresh(task))

    @extend_schema(request=TaskStepInputSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def step(self, request, pk=None, format=None):
        task = self.get_object()
        payload = TaskStepInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        step = TaskStep.objects.visible_to(request.user).filter(task=task, pk=data["step"]).first()
        if step is None:
            raise serializers.ValidationError({"step": f"{task.reference} has no step {data['step']}."})
        task_services.task_step_set(step=step, done=data["done"], actor=request.user, note=data["note"])
        return Response(self._fresh(task))

    @extend_schema(request=TaskTransitionSerializer, responses=TaskSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None, format=None):
        task = self.get_object()
        payload = TaskTransitionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        task = task_services.task_act(task=task, actor=request.user, **payload.validated_data)
        return Response(self._fresh(task))


routes = [("tasks", TaskViewSet, "task")]
