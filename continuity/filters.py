"""Filters of the risk register, recovery plans and continuity tests, shared by the pages and the API."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils import timezone

from continuity.models import (
    ContinuityPlan,
    ContinuityTest,
    PlanStatus,
    Rating,
    Risk,
    RiskStatus,
    TestKind,
    TestOutcome,
    ThreatCategory,
)
from fits.filters import FitsFilterSet, NaturalKeyMultipleChoiceFilter, visible_people, visible_schools


class RiskFilterSet(FitsFilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    rating = django_filters.MultipleChoiceFilter(choices=Rating.choices)
    status = django_filters.MultipleChoiceFilter(choices=RiskStatus.choices)
    category = django_filters.ChoiceFilter(choices=ThreatCategory.choices, label="Threat")
    owner = NaturalKeyMultipleChoiceFilter(
        field_name="owner__username", to_field_name="username", queryset=visible_people, label="Owner"
    )
    owner_id = django_filters.NumberFilter(field_name="owner_id", label="Owner (id)")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Review overdue")
    likelihood = django_filters.NumberFilter(label="Likelihood (1-5)")
    impact = django_filters.NumberFilter(label="Impact (1-5)")
    ci_id = django_filters.NumberFilter(field_name="cis", label="Affects the CI (id)")
    school_id = django_filters.NumberFilter(field_name="school_id", label="School (id)")
    school = NaturalKeyMultipleChoiceFilter(
        field_name="school__slug", to_field_name="slug", queryset=visible_schools, label="School (slug)"
    )

    class Meta:
        model = Risk
        fields = ["q", "rating", "status", "category", "owner", "overdue", "likelihood", "impact"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(description__icontains=value))

    def filter_overdue(self, queryset, name, value):
        today = timezone.localdate()
        overdue = Q(review_date__lt=today) & ~Q(status=RiskStatus.CLOSED)
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


class PlanFilterSet(FitsFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=PlanStatus.choices)
    service_id = django_filters.NumberFilter(field_name="service_id", label="Service (CMDB id)")
    review_overdue = django_filters.BooleanFilter(method="filter_review_overdue", label="Review overdue")
    school_id = django_filters.NumberFilter(field_name="school_id", label="School (id)")
    school = NaturalKeyMultipleChoiceFilter(
        field_name="school__slug", to_field_name="slug", queryset=visible_schools, label="School (slug)"
    )

    class Meta:
        model = ContinuityPlan
        fields = ["status", "service_id", "review_overdue"]

    def filter_review_overdue(self, queryset, name, value):
        overdue = Q(review_date__lt=timezone.localdate()) & ~Q(status=PlanStatus.RETIRED)
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


class TestFilterSet(FitsFilterSet):
    __test__ = False

    plan_id = django_filters.NumberFilter(field_name="plan_id", label="Plan (id)")
    kind = django_filters.ChoiceFilter(choices=TestKind.choices)
    outcome = django_filters.MultipleChoiceFilter(choices=TestOutcome.choices)
    tested_after = django_filters.DateFilter(field_name="tested_on", lookup_expr="gte")
    tested_before = django_filters.DateFilter(field_name="tested_on", lookup_expr="lte")
    school_id = django_filters.NumberFilter(field_name="school_id", label="School (id)")

    class Meta:
        model = ContinuityTest
        fields = ["plan_id", "kind", "outcome"]
