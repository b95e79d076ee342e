"""The OM base API: /api/om/policies/ (each function's policy at a school) and /api/om/activities/ (the
allocation of each function's activities: owner and deputy). Support staff read them; the network manager
allocates activities (POST, PATCH, DELETE), through om/services.py."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from fits import access
from fits.api import BriefSerializer, ScopedInputSerializer, ScopedReadOnlyViewSet, ScopedViewSet, UserBriefSerializer
from fits.models import School, User
from om import services
from om.models import ActivityAllocation, Function, FunctionPolicy


class OperationsAccessMixin:
    """Operations records are for support staff: nobody else gets even an empty list."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not access.here_or_anywhere(access.can_view_operations).test(request.user, None):
            raise Http404


class FunctionPolicySerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:om-policy-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    function_display = serializers.CharField(source="get_function_display", read_only=True)
    owner = UserBriefSerializer(read_only=True)
    reviewed_by = UserBriefSerializer(read_only=True)

    class Meta:
        model = FunctionPolicy
        fields = ("id", "url", "display", "school", "function", "function_display", "text", "owner", "review_due",
                  "reviewed_at", "reviewed_by", "updated_at")  # fmt: skip
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "function")


class PolicyViewSet(OperationsAccessMixin, ScopedReadOnlyViewSet):
    """Each OM function's policy at your schools. Filter by `function`."""

    queryset = FunctionPolicy.objects.none()
    serializer_class = FunctionPolicySerializer
    filterset_fields = ("function",)  # related fields' filter choices would list every school's rows

    def get_queryset(self):
        return super().get_queryset().select_related("school", "owner", "reviewed_by").order_by("school", "function")


class ActivityAllocationSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:om-activity-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    function_display = serializers.CharField(source="get_function_display", read_only=True)
    owner = UserBriefSerializer(read_only=True)
    deputy = UserBriefSerializer(read_only=True)

    class Meta:
        model = ActivityAllocation
        fields = ("id", "url", "display", "school", "function", "function_display", "activity", "frequency", "owner",
                  "deputy", "notes", "allocated_at")  # fmt: skip
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "function", "owner")


class ActivityAllocationInputSerializer(ScopedInputSerializer):
    """An activity's allocation; `school` and `function` only when allocating a new one."""

    school = serializers.PrimaryKeyRelatedField(queryset=School.objects.all(), required=False)
    function = serializers.ChoiceField(choices=Function.choices, required=False)
    activity = serializers.CharField(max_length=200)
    frequency = serializers.ChoiceField(choices=ActivityAllocation.Frequency.choices)
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    deputy = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    notes = serializers.CharField(max_length=300, required=False, allow_blank=True)


class ActivityViewSet(
    OperationsAccessMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, ScopedViewSet
):
    """The activities of each OM function at your schools and who owns them. The network manager allocates one
    with POST (`school`, `function`, `activity`, `frequency`, `owner`, `deputy`), changes it with PATCH and
    removes it with DELETE."""

    queryset = ActivityAllocation.objects.none()
    serializer_class = ActivityAllocationSerializer
    filterset_fields = ("function", "frequency")

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.select_related("school", "owner", "deputy").order_by("school", "function", "activity")

    def _fresh(self, allocation: ActivityAllocation) -> dict:
        return self.get_serializer(self.get_queryset().get(pk=allocation.pk)).data

    @extend_schema(request=ActivityAllocationInputSerializer, responses={201: ActivityAllocationSerializer})
    def create(self, request, *args, **kwargs):
        payload = ActivityAllocationInputSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        school, function = data.pop("school", None), data.pop("function", None)
        if school is None or function is None:
            raise serializers.ValidationError({"school": "Say the school and the function of the new activity."})
        allocation = services.allocation_save(actor=request.user, school=school, function=function, **data)
        return Response(self._fresh(allocation), status=status.HTTP_201_CREATED)

    @extend_schema(request=ActivityAllocationInputSerializer, responses=ActivityAllocationSerializer)
    def partial_update(self, request, *args, **kwargs):
        allocation = self.get_object()
        current = {name: getattr(allocation, name) for name in ("activity", "frequency", "notes")}
        current |= {"owner": allocation.owner_id, "deputy": allocation.deputy_id}
        payload = ActivityAllocationInputSerializer(
            data={**current, **request.data}, context=self.get_serializer_context()
        )
        payload.is_valid(raise_exception=True)
        values = {k: v for k, v in payload.validated_data.items() if k in services.ALLOCATION_FIELDS}
        allocation = services.allocation_save(actor=request.user, allocation=allocation, **values)
        return Response(self._fresh(allocation))

    def perform_destroy(self, instance):
        services.allocation_delete(actor=self.request.user, allocation=instance)


routes = [
    ("om/policies", PolicyViewSet, "om-policy"),
    ("om/activities", ActivityViewSet, "om-activity"),
]
