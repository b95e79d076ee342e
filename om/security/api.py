"""The Security Administration API: /api/security/breaches/ (the breach log: the network manager, leaders and
administrators only; POST logs one), firewall-rules/, antivirus/ (support staff), privileged-accounts/ and
access-reviews/ (the network manager, leaders and administrators). Every write calls om/security/services.py."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from fits.api import BriefSerializer, ScopedInputSerializer, ScopedReadOnlyViewSet
from fits.models import School
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


class FirewallRuleViewSet(ScopedReadOnlyViewSet):
    """The firewall and filtering rule register, the ones whose review is due first."""

    queryset = FirewallRule.objects.none()
    serializer_class = FirewallRuleSerializer

    def get_queryset(self):
        rules = super().get_queryset().select_related("school", "firewall", "owner", "last_reviewed_by")
        return rules.order_by("review_due", "name", "pk")


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


class PrivilegedAccountViewSet(ScopedReadOnlyViewSet):
    """Who holds administrator rights where."""

    queryset = PrivilegedAccount.objects.none()
    serializer_class = PrivilegedAccountSerializer

    def get_queryset(self):
        return super().get_queryset().select_related("school", "person").order_by("system", "account", "pk")


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


class AccessReviewViewSet(ScopedReadOnlyViewSet):
    """Access reviews of the administrator accounts, with each account's decision and the sign-off."""

    queryset = AccessReview.objects.none()
    serializer_class = AccessReviewSerializer

    def get_queryset(self):
        reviews = super().get_queryset().select_related("school", "signed_off_by").prefetch_related("items__account")
        return reviews.order_by("-started_at", "-pk")


routes = [
    ("security/breaches", BreachViewSet, "security-breach"),
    ("security/firewall-rules", FirewallRuleViewSet, "security-firewall-rule"),
    ("security/antivirus", AntivirusStatusViewSet, "security-antivirus"),
    ("security/privileged-accounts", PrivilegedAccountViewSet, "security-privileged-account"),
    ("security/access-reviews", AccessReviewViewSet, "security-access-review"),
]
