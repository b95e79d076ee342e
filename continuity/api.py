"""The Service Continuity Management API: /api/continuity/risks/ (the risk register), plans/ (recovery plans with
their steps and contacts; POST plans/<id>/steps/ sets the steps) and tests/ (walk-throughs and rehearsals with their
actions). Reads are scoped (support staff and the LEA's consultants); writes go through continuity/services.py."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from cmdb.models import ConfigurationItem
from continuity import recovery, services
from continuity.filters import PlanFilterSet, RiskFilterSet, TestFilterSet
from continuity.models import (
    ContactKind,
    ContinuityPlan,
    ContinuityTest,
    PlanContact,
    RecoveryStep,
    Risk,
    TestAction,
    TestKind,
    TestOutcome,
    ThreatCategory,
)
from fits import access
from fits.api import BriefSerializer, ScopedInputSerializer, ScopedViewSet, UserBriefSerializer
from fits.models import School, User


class ContinuityAccessMixin:
    """Continuity is support staff's and the LEA consultants': nobody else gets even an empty list."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not access.here_or_anywhere(access.can_view_continuity).test(request.user, None):
            raise Http404


class ContinuityCISerializer(serializers.ModelSerializer):
    class Meta:
        model = ConfigurationItem
        fields = ("id", "name", "kind")
        read_only_fields = fields


# =============================================================================
# Risks
# =============================================================================


class RiskSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:continuity-risk-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    owner = UserBriefSerializer(read_only=True)
    cis = ContinuityCISerializer(many=True, read_only=True)
    residual_score = serializers.IntegerField(read_only=True, allow_null=True)
    # Levels as plain numbers 1-5 (their names are in the page): "impact" would collide with the incident's enum.
    likelihood = serializers.IntegerField(read_only=True, min_value=1, max_value=5)
    impact = serializers.IntegerField(read_only=True, min_value=1, max_value=5)
    residual_likelihood = serializers.IntegerField(read_only=True, allow_null=True, min_value=1, max_value=5)
    residual_impact = serializers.IntegerField(read_only=True, allow_null=True, min_value=1, max_value=5)

    class Meta:
        model = Risk
        fields = ("id", "url", "display", "school", "title", "category", "description", "likelihood", "impact",
                  "score", "rating", "controls", "residual_likelihood", "residual_impact", "residual_score", "owner",
                  "review_date", "status", "cis", "created_at", "updated_at")  # fmt: skip
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "score", "rating", "status")


class RiskWriteSerializer(ScopedInputSerializer):
    school = serializers.SlugRelatedField(slug_field="slug", queryset=School.objects.all(), required=False)
    title = serializers.CharField(max_length=150, required=False)
    category = serializers.ChoiceField(choices=ThreatCategory.choices, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    likelihood = serializers.IntegerField(min_value=1, max_value=5, required=False)
    impact = serializers.IntegerField(min_value=1, max_value=5, required=False)
    controls = serializers.CharField(required=False, allow_blank=True)
    residual_likelihood = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)
    residual_impact = serializers.IntegerField(min_value=1, max_value=5, required=False, allow_null=True)
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    review_date = serializers.DateField(required=False)
    cis = serializers.PrimaryKeyRelatedField(queryset=ConfigurationItem.objects.all(), many=True, required=False)


class TransitionSerializer(ScopedInputSerializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class RiskTransitionSerializer(TransitionSerializer):
    action = serializers.ChoiceField(choices=Risk.WORKFLOW.actions)


class RiskViewSet(ContinuityAccessMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """The risk register of your schools, highest score first. Create with POST, change with PATCH, move it on with
    POST risks/<id>/transition/ (treat, accept, close, reopen)."""

    queryset = Risk.objects.none()
    serializer_class = RiskSerializer
    filterset_class = RiskFilterSet

    def get_queryset(self):
        return super().get_queryset().select_related("school", "owner").prefetch_related("cis") \
            .order_by("-score", "title", "pk")  # fmt: skip

    def _payload(self) -> dict:
        payload = RiskWriteSerializer(data=self.request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        return dict(payload.validated_data)

    @extend_schema(request=RiskWriteSerializer, responses={201: RiskSerializer})
    def create(self, request, *args, **kwargs):
        data = self._payload()
        school = data.pop("school", None)
        if school is None:
            raise exceptions.ValidationError({"school": "Give the school (its slug)."})
        cis = data.pop("cis", None)
        risk = services.risk_save(actor=request.user, school=school, cis=cis, **data)
        return Response(self.get_serializer(risk).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RiskWriteSerializer, responses=RiskSerializer)
    def partial_update(self, request, *args, **kwargs):
        risk = self.get_object()
        data = self._payload()
        data.pop("school", None)
        cis = data.pop("cis", None)
        risk = services.risk_save(actor=request.user, school=risk.school, risk=risk, cis=cis, **data)
        return Response(self.get_serializer(risk).data)

    @extend_schema(request=RiskTransitionSerializer, responses=RiskSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None, format=None):
        payload = RiskTransitionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        risk = services.risk_transition(risk=self.get_object(), actor=request.user, **payload.validated_data)
        return Response(self.get_serializer(risk).data)


# =============================================================================
# Plans
# =============================================================================


class StepSerializer(serializers.ModelSerializer):
    who = UserBriefSerializer(read_only=True)

    class Meta:
        model = RecoveryStep
        fields = ("id", "position", "text", "who", "who_text", "minutes")
        read_only_fields = fields


class ContactSerializer(serializers.ModelSerializer):
    person = UserBriefSerializer(read_only=True)

    class Meta:
        model = PlanContact
        fields = ("id", "kind", "person", "name", "organisation", "role", "phone", "email")
        read_only_fields = fields


class PlanSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:continuity-plan-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    service = ContinuityCISerializer(read_only=True)
    owner = UserBriefSerializer(read_only=True)
    approved_by = UserBriefSerializer(read_only=True)
    steps = StepSerializer(many=True, read_only=True)
    contacts = ContactSerializer(many=True, read_only=True)
    risks = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    next_test_due = serializers.DateField(read_only=True)

    class Meta:
        model = ContinuityPlan
        fields = ("id", "url", "display", "school", "service", "recovery_order", "summary", "rto_minutes",
                  "rpo_minutes", "standby", "assets", "risks", "owner", "review_date", "test_every_months", "version",
                  "status", "approved_by", "approved_at", "last_tested_on", "next_test_due", "steps", "contacts",
                  "created_at", "updated_at")  # fmt: skip
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "status", "version")

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if "next_test_due" in data:
            data["next_test_due"] = instance.next_test_due().isoformat()
        return data


class PlanWriteSerializer(ScopedInputSerializer):
    school = serializers.SlugRelatedField(slug_field="slug", queryset=School.objects.all(), required=False)
    service = serializers.PrimaryKeyRelatedField(
        queryset=ConfigurationItem.objects.all(), required=False, help_text="The CMDB service's id (on create)."
    )
    recovery_order = serializers.IntegerField(min_value=1, max_value=99, required=False)
    summary = serializers.CharField(required=False, allow_blank=True)
    rto_minutes = serializers.IntegerField(min_value=1, required=False)
    rpo_minutes = serializers.IntegerField(min_value=0, required=False)
    standby = serializers.CharField(required=False, allow_blank=True)
    assets = serializers.CharField(required=False, allow_blank=True)
    risks = serializers.PrimaryKeyRelatedField(queryset=Risk.objects.all(), many=True, required=False)
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    review_date = serializers.DateField(required=False)
    test_every_months = serializers.IntegerField(min_value=1, max_value=36, required=False)


class StepInputSerializer(ScopedInputSerializer):
    id = serializers.IntegerField(required=False, allow_null=True, help_text="A kept step's id; none for a new one.")
    text = serializers.CharField(max_length=300)
    who = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    who_text = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    minutes = serializers.IntegerField(min_value=0, required=False, allow_null=True)


class StepsInputSerializer(ScopedInputSerializer):
    steps = StepInputSerializer(many=True)


class ContactInputSerializer(ScopedInputSerializer):
    kind = serializers.ChoiceField(choices=ContactKind.choices, default=ContactKind.TEAM)
    person = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    name = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    organisation = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    role = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True)


class ContactsInputSerializer(ScopedInputSerializer):
    contacts = ContactInputSerializer(many=True)


class PlanTransitionSerializer(TransitionSerializer):
    action = serializers.ChoiceField(choices=ContinuityPlan.WORKFLOW.actions)


class DependencySerializer(serializers.Serializer):
    stage = serializers.IntegerField()
    ci = ContinuityCISerializer()
    how = serializers.CharField()
    needs = ContinuityCISerializer(many=True)


class PlanViewSet(ContinuityAccessMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """The recovery plans of your schools, in recovery order, with their steps and contacts. Create with POST, change
    with PATCH (an approved plan becomes a new draft version), set the steps or contacts with POST
    plans/<id>/steps/ or contacts/, approve or retire with plans/<id>/transition/; plans/<id>/dependencies/ is the
    order in which the service's components come back (from the CMDB)."""

    queryset = ContinuityPlan.objects.none()
    serializer_class = PlanSerializer
    filterset_class = PlanFilterSet

    def get_queryset(self):
        queryset = super().get_queryset().select_related("school", "service", "owner", "approved_by")
        return queryset.prefetch_related("steps__who", "contacts__person", "risks").order_by(
            "school_id", "recovery_order", "service__name", "pk"
        )

    def _payload(self) -> dict:
        payload = PlanWriteSerializer(data=self.request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        return dict(payload.validated_data)

    def _fresh(self, plan: ContinuityPlan) -> dict:
        return self.get_serializer(self.get_queryset().get(pk=plan.pk)).data

    @extend_schema(request=PlanWriteSerializer, responses={201: PlanSerializer})
    def create(self, request, *args, **kwargs):
        data = self._payload()
        school = data.pop("school", None)
        if school is None:
            raise exceptions.ValidationError({"school": "Give the school (its slug)."})
        plan = services.plan_save(actor=request.user, school=school, **data)
        return Response(self._fresh(plan), status=status.HTTP_201_CREATED)

    @extend_schema(request=PlanWriteSerializer, responses=PlanSerializer)
    def partial_update(self, request, *args, **kwargs):
        plan = self.get_object()
        data = self._payload()
        data.pop("school", None)
        data.pop("service", None)
        plan = services.plan_save(actor=request.user, school=plan.school, plan=plan, **data)
        return Response(self._fresh(plan))

    @extend_schema(request=StepsInputSerializer, responses=PlanSerializer)
    @action(detail=True, methods=["post"])
    def steps(self, request, pk=None, format=None):
        """Set the plan's steps in order: steps kept give their id, new ones none; steps left out are removed."""
        plan = self.get_object()
        payload = StepsInputSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        services.plan_steps_save(
            plan=plan, actor=request.user, steps=[dict(s) for s in payload.validated_data["steps"]]
        )
        return Response(self._fresh(plan))

    @extend_schema(request=ContactsInputSerializer, responses=PlanSerializer)
    @action(detail=True, methods=["post"])
    def contacts(self, request, pk=None, format=None):
        """Set who to call: the recovery team (person, role) and outside contacts (name, organisation, phone)."""
        plan = self.get_object()
        payload = ContactsInputSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        rows = [dict(c) for c in payload.validated_data["contacts"]]
        services.plan_contacts_save(plan=plan, actor=request.user, contacts=rows)
        return Response(self._fresh(plan))

    @extend_schema(request=PlanTransitionSerializer, responses=PlanSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None, format=None):
        payload = PlanTransitionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        plan = services.plan_transition(plan=self.get_object(), actor=request.user, **payload.validated_data)
        return Response(self._fresh(plan))

    @extend_schema(responses=DependencySerializer(many=True))
    @action(detail=True, methods=["get"])
    def dependencies(self, request, pk=None, format=None):
        """What the service relies on in the CMDB, in recovery order (stage 1 first)."""
        order, _ = recovery.recovery_order(self.get_object().service)
        return Response(DependencySerializer(order, many=True).data)


# =============================================================================
# Tests
# =============================================================================


class TestActionSerializer(serializers.ModelSerializer):
    __test__ = False
    owner = UserBriefSerializer(read_only=True)
    task = serializers.SlugRelatedField(slug_field="reference", read_only=True)

    class Meta:
        model = TestAction
        fields = ("id", "text", "owner", "due_on", "task")
        read_only_fields = fields


class ContinuityTestSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:continuity-test-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    participants = UserBriefSerializer(many=True, read_only=True)
    actions = TestActionSerializer(many=True, read_only=True)
    rto_met = serializers.BooleanField(read_only=True, allow_null=True)

    class Meta:
        model = ContinuityTest
        fields = ("id", "url", "display", "school", "plan", "plan_version", "tested_on", "kind", "scenario",
                  "participants", "others", "outcome", "findings", "rto_achieved_minutes", "rto_met", "restores_tried",
                  "restores_passed", "actions", "created_at")  # fmt: skip
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "tested_on", "outcome")


class ActionInputSerializer(ScopedInputSerializer):
    text = serializers.CharField(max_length=200)
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    due_on = serializers.DateField()


class ContinuityTestWriteSerializer(ScopedInputSerializer):
    plan = serializers.PrimaryKeyRelatedField(queryset=ContinuityPlan.objects.all())
    tested_on = serializers.DateField()
    kind = serializers.ChoiceField(choices=TestKind.choices)
    scenario = serializers.CharField()
    outcome = serializers.ChoiceField(choices=TestOutcome.choices)
    findings = serializers.CharField(required=False, allow_blank=True, default="")
    participants = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), many=True, required=False)
    others = serializers.CharField(required=False, allow_blank=True, default="")
    rto_achieved_minutes = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    restores_tried = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    restores_passed = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    actions = ActionInputSerializer(many=True, required=False)


class ContinuityTestViewSet(ContinuityAccessMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Walk-throughs and rehearsals of your schools' plans, newest first. Record one with POST: each action is raised
    as a Task at the school."""

    queryset = ContinuityTest.objects.none()
    serializer_class = ContinuityTestSerializer
    filterset_class = TestFilterSet

    def get_queryset(self):
        queryset = super().get_queryset().select_related("school", "plan__service")
        return queryset.prefetch_related("participants", "actions__owner", "actions__task").order_by(
            "-tested_on", "-pk"
        )

    @extend_schema(request=ContinuityTestWriteSerializer, responses={201: ContinuityTestSerializer})
    def create(self, request, *args, **kwargs):
        payload = ContinuityTestWriteSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        data["actions"] = [dict(a) for a in data.get("actions", [])]
        test = services.continuity_test_record(actor=request.user, **data)
        return Response(self.get_serializer(self.get_queryset().get(pk=test.pk)).data, status=status.HTTP_201_CREATED)


routes = [
    ("continuity/risks", RiskViewSet, "continuity-risk"),
    ("continuity/plans", PlanViewSet, "continuity-plan"),
    ("continuity/tests", ContinuityTestViewSet, "continuity-test"),
]
