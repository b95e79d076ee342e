"""The Security Administration API: /api/security/breaches/ (the breach log: the network manager, leaders and
administrators only; POST logs one; `transition`, `report` to the ICO and `actions`), firewall-rules/ (support staff
read; technicians POST a rule and `review` it), antivirus/ (support staff), privileged-accounts/ (POST records one)
and access-reviews/ (`decide` each account, `sign-off`) for the network manager, leaders and administrators. Every
write calls om/security/services.py."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from cmdb.models import ConfigurationItem
from fits.api import BriefSerializer, ScopedInputSerializer, ScopedReadOnlyViewSet
from fits.models import School, User
from incidents.models import Incident
from om.security import services
from om.security.models import (
    AccessReview,
    AccessReviewItem,
    AntivirusStatus,
    Breach,
    BreachAction,
    BreachRisk,
    FirewallRule,
    PrivilegedAccount,
    RuleAction,
)


class BreachActionSerializer(serializers.ModelSerializer):
    owner = serializers.StringRelatedField()

    class Meta:
        model = BreachAction
        fields = ("id", "text", "owner", "due_on", "done_at")


class BreachSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:security-breach-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    incident = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    ico_deadline = serializers.DateTimeField(read_only=True)
    actions = BreachActionSerializer(many=True, read_only=True)

    class Meta:
        model = Breach
        fields = ("id", "url", "display", "school", "reference", "title", "description", "occurred_at",
                  "discovered_at", "data_affected", "people_affected", "records_affected", "children_data",
                  "special_category", "risk", "ico_deadline", "ico_reported_at", "ico_reference",
                  "not_reported_reason", "others_told", "dpo_told_at", "individuals_told_at", "incident", "status",
                  "actions", "created_at", "updated_at")  # fmt: skip
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "reference", "status")


class BreachInputSerializer(ScopedInputSerializer):
    school = serializers.SlugRelatedField(slug_field="slug", queryset=School.objects.all())
    title = serializers.CharField(max_length=200)
    description = serializers.CharField()
    occurred_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    discovered_at = serializers.DateTimeField()
    data_affected = serializers.CharField(required=False, allow_blank=True, default="")
    people_affected = serializers.IntegerField(min_value=0, required=False, default=0)
    records_affected = serializers.IntegerField(min_value=0, required=False, allow_null=True, default=None)
    children_data = serializers.BooleanField(required=False, default=False)
    special_category = serializers.BooleanField(required=False, default=False)
    risk = serializers.ChoiceField(choices=BreachRisk.choices, required=False, default=BreachRisk.UNKNOWN)
    incident = serializers.PrimaryKeyRelatedField(
        queryset=Incident.objects.all(), required=False, allow_null=True, default=None
    )


class BreachTransitionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=Breach.WORKFLOW.actions)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class BreachReportSerializer(serializers.Serializer):
    reported_at = serializers.DateTimeField()
    ico_reference = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)


class BreachActionInputSerializer(ScopedInputSerializer):
    text = serializers.CharField(max_length=300)
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    due_on = serializers.DateField(required=False, allow_null=True)


class BreachViewSet(ScopedReadOnlyViewSet):
    """The breach log. POST logs a breach (the network manager or a leader): the ICO's 72 hours run from
    `discovered_at`."""

    queryset = Breach.objects.none()
    serializer_class = BreachSerializer

    def get_queryset(self):
        return super().get_queryset().select_related("school", "incident").prefetch_related("actions__owner")

    @extend_schema(request=BreachInputSerializer, responses={201: BreachSerializer})
    def create(self, request, *args, **kwargs):
        payload = BreachInputSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        breach = services.breach_log(school=data.pop("school"), actor=request.user, **data)
        return Response(self.get_serializer(self.get_queryset().get(pk=breach.pk)).data, status=status.HTTP_201_CREATED)

    def _answer(self, breach: Breach) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=breach.pk)).data)

    @extend_schema(request=BreachTransitionSerializer, responses=BreachSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None, format=None):
        """`contain`, `close` (the note is the outcome; reported to the ICO or recorded why not first) or `reopen`."""
        breach = self.get_object()
        payload = BreachTransitionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._answer(services.breach_transition(breach=breach, actor=request.user, **payload.validated_data))

    @extend_schema(request=BreachReportSerializer, responses=BreachSerializer)
    @action(detail=True, methods=["post"])
    def report(self, request, pk=None, format=None):
        """Record the report to the Information Commissioner's Office: when, and its case reference."""
        breach = self.get_object()
        payload = BreachReportSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._answer(services.breach_report_ico(breach=breach, actor=request.user, **payload.validated_data))

    @extend_schema(request=BreachActionInputSerializer, responses={201: BreachActionSerializer})
    @action(detail=True, methods=["post"], url_path="actions", url_name="actions")
    def add_action(self, request, pk=None, format=None):
        """Add an action (recall the e-mail, reset passwords...) with its owner and due date."""
        breach = self.get_object()
        payload = BreachActionInputSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        done = services.breach_action_add(breach=breach, actor=request.user, **payload.validated_data)
        return Response(BreachActionSerializer(done).data, status=status.HTTP_201_CREATED)


class FirewallRuleSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:security-firewall-rule-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    firewall = serializers.StringRelatedField()
    owner = serializers.StringRelatedField()
    last_reviewed_by = serializers.StringRelatedField()

    class Meta:
        model = FirewallRule
        fields = ("id", "url", "display", "school", "firewall", "name", "source", "destination", "service", "action",
                  "purpose", "owner", "review_months", "review_due", "last_reviewed_at", "last_reviewed_by",
                  "is_active")  # fmt: skip
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "review_due")


class FirewallRuleInputSerializer(ScopedInputSerializer):
    firewall = serializers.PrimaryKeyRelatedField(
        queryset=ConfigurationItem.objects.all(), help_text="The firewall, router or filtering server (a CI id)."
    )
    name = serializers.CharField(max_length=120, help_text="The rule's name as the firewall shows it.")
    source = serializers.CharField(max_length=200, required=False, default="any")
    destination = serializers.CharField(max_length=200, required=False, default="any")
    service = serializers.CharField(max_length=120, required=False, default="any")
    action = serializers.ChoiceField(choices=RuleAction.choices, required=False, default=RuleAction.ALLOW)
    purpose = serializers.CharField(help_text="Why the rule is there, in words a reviewer can check.")
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    review_months = serializers.IntegerField(min_value=1, max_value=36, required=False, default=12)


class FirewallRuleReviewSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class FirewallRuleViewSet(ScopedReadOnlyViewSet):
    """The firewall and filtering rule register, the ones whose review is due first. Technicians POST a rule and
    `review` one (still needed: the next review is set and its review task completed)."""

    queryset = FirewallRule.objects.none()
    serializer_class = FirewallRuleSerializer

    def get_queryset(self):
        rules = super().get_queryset().select_related("school", "firewall", "owner", "last_reviewed_by")
        return rules.order_by("review_due", "name", "pk")

    @extend_schema(request=FirewallRuleInputSerializer, responses={201: FirewallRuleSerializer})
    def create(self, request, *args, **kwargs):
        payload = FirewallRuleInputSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        rule = services.firewall_rule_save(actor=request.user, firewall=data.pop("firewall"), **data)
        return Response(self.get_serializer(self.get_queryset().get(pk=rule.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=FirewallRuleReviewSerializer, responses=FirewallRuleSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None, format=None):
        rule = self.get_object()
        payload = FirewallRuleReviewSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.firewall_rule_review(rule=rule, actor=request.user, **payload.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=rule.pk)).data)


class AntivirusStatusSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:security-antivirus-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    ci = serializers.StringRelatedField()
    working = serializers.BooleanField(read_only=True)

    class Meta:
        model = AntivirusStatus
        fields = ("id", "url", "display", "school", "ci", "product", "version", "enabled", "up_to_date", "working",
                  "last_seen")  # fmt: skip
        read_only_fields = fields


class AntivirusStatusViewSet(ScopedReadOnlyViewSet):
    """Each computer's antivirus as its latest agent inventory reported it."""

    queryset = AntivirusStatus.objects.none()
    serializer_class = AntivirusStatusSerializer

    def get_queryset(self):
        return super().get_queryset().select_related("school", "ci").order_by("ci__name", "pk")


class PrivilegedAccountSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:security-privileged-account-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    person = serializers.StringRelatedField()

    class Meta:
        model = PrivilegedAccount
        fields = ("id", "url", "display", "school", "account", "system", "rights", "person", "holder", "source",
                  "is_active", "recorded_at", "removed_at", "notes")  # fmt: skip
        read_only_fields = fields


class PrivilegedAccountInputSerializer(ScopedInputSerializer):
    school = serializers.SlugRelatedField(slug_field="slug", queryset=School.objects.all())
    account = serializers.CharField(max_length=150, help_text="The account's name, e.g. HIGHFIELD\\adm.tbaxter.")
    system = serializers.CharField(max_length=150, help_text="Where it holds its rights: the domain, a server, a NAS.")
    rights = serializers.CharField(max_length=150, required=False, default="Administrator")
    person = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    holder = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    ci = serializers.PrimaryKeyRelatedField(queryset=ConfigurationItem.objects.all(), required=False, allow_null=True)
    notes = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class PrivilegedAccountViewSet(ScopedReadOnlyViewSet):
    """Who holds administrator rights where. POST records an account (the network manager, a leader)."""

    queryset = PrivilegedAccount.objects.none()
    serializer_class = PrivilegedAccountSerializer

    def get_queryset(self):
        return super().get_queryset().select_related("school", "person").order_by("system", "account", "pk")

    @extend_schema(request=PrivilegedAccountInputSerializer, responses={201: PrivilegedAccountSerializer})
    def create(self, request, *args, **kwargs):
        payload = PrivilegedAccountInputSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        record = services.privileged_account_save(school=data.pop("school"), actor=request.user, **data)
        return Response(self.get_serializer(self.get_queryset().get(pk=record.pk)).data, status=status.HTTP_201_CREATED)


class AccessReviewItemSerializer(serializers.ModelSerializer):
    account = serializers.StringRelatedField()

    class Meta:
        model = AccessReviewItem
        fields = ("id", "account", "decision", "note")


class AccessReviewSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:security-access-review-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    signed_off_by = serializers.StringRelatedField()
    items = AccessReviewItemSerializer(many=True, read_only=True)

    class Meta:
        model = AccessReview
        fields = ("id", "url", "display", "school", "started_at", "status", "signed_off_at", "signed_off_by",
                  "next_due", "note", "items")  # fmt: skip
        read_only_fields = fields


class AccessReviewDecisionSerializer(serializers.Serializer):
    item = serializers.IntegerField(help_text="The id of the review's line (items[].id).")
    decision = serializers.ChoiceField(choices=[AccessReviewItem.Decision.KEEP, AccessReviewItem.Decision.REMOVE])
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class AccessReviewSignOffSerializer(serializers.Serializer):
    next_due = serializers.DateField(required=False, allow_null=True, default=None)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class AccessReviewViewSet(ScopedReadOnlyViewSet):
    """Access reviews of the administrator accounts, with each account's decision and the sign-off: `decide` keeps
    or removes one account, `sign-off` closes the review (removing the accounts decided so)."""

    queryset = AccessReview.objects.none()
    serializer_class = AccessReviewSerializer

    def get_queryset(self):
        reviews = super().get_queryset().select_related("school", "signed_off_by").prefetch_related("items__account")
        return reviews.order_by("-started_at", "-pk")

    def _answer(self, review: AccessReview) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=review.pk)).data)

    @extend_schema(request=AccessReviewDecisionSerializer, responses=AccessReviewSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None, format=None):
        review = self.get_object()
        payload = AccessReviewDecisionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        item = review.items.filter(pk=data.pop("item")).first()
        if item is None:
            raise serializers.ValidationError({"item": "Not a line of this review."})
        services.access_review_decide(item=item, actor=request.user, **data)
        return self._answer(review)

    @extend_schema(request=AccessReviewSignOffSerializer, responses=AccessReviewSerializer)
    @action(detail=True, methods=["post"], url_path="sign-off")
    def sign_off(self, request, pk=None, format=None):
        review = self.get_object()
        payload = AccessReviewSignOffSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self._answer(
            services.access_review_sign_off(review=review, actor=request.user, **payload.validated_data)
        )


routes = [
    ("security/breaches", BreachViewSet, "security-breach"),
    ("security/firewall-rules", FirewallRuleViewSet, "security-firewall-rule"),
    ("security/antivirus", AntivirusStatusViewSet, "security-antivirus"),
    ("security/privileged-accounts", PrivilegedAccountViewSet, "security-privileged-account"),
    ("security/access-reviews", AccessReviewViewSet, "security-access-review"),
]
