"""Filters of problems and known errors, shared by the pages and the API."""

import django_filters
from django.db.models import Q

from fits.filters import FitsFilterSet, NaturalKeyMultipleChoiceFilter, visible_people, visible_schools
from problems.models import OPEN_STATUSES, KnownError, Problem, Status


class ProblemFilterSet(FitsFilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    state = django_filters.ChoiceFilter(
        choices=[("open", "Open"), ("closed", "Resolved, closed or cancelled")], method="filter_state", label="State"
    )
    school_id = django_filters.ModelMultipleChoiceFilter(field_name="school", queryset=visible_schools)
    school = NaturalKeyMultipleChoiceFilter(
        field_name="school__slug", to_field_name="slug", queryset=visible_schools, label="School (slug)"
    )
    assignee = NaturalKeyMultipleChoiceFilter(
        field_name="assignee__username", to_field_name="username", queryset=visible_people, label="Assignee"
    )
    unassigned = django_filters.BooleanFilter(field_name="assignee", lookup_expr="isnull", label="Unassigned")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    ordering = django_filters.OrderingFilter(
        fields=(("created_at", "created"), ("updated_at", "updated"), ("reference", "reference"))
    )

    class Meta:
        model = Problem
        fields = ["q", "state", "status"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(reference__iexact=value) | Q(title__icontains=value) | Q(root_cause__icontains=value))

    def filter_state(self, queryset, name, value):
        if value == "open":
            return queryset.filter(status__in=OPEN_STATUSES)
        if value == "closed":
            return queryset.exclude(status__in=OPEN_STATUSES)
        return queryset


class KnownErrorFilterSet(FitsFilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    published = django_filters.BooleanFilter()
    school_id = django_filters.ModelMultipleChoiceFilter(field_name="school", queryset=visible_schools)
    school = NaturalKeyMultipleChoiceFilter(
        field_name="school__slug", to_field_name="slug", queryset=visible_schools, label="School (slug)"
    )

    class Meta:
        model = KnownError
        fields = ["q", "published"]

    def search(self, queryset, name, value):
        return queryset.search(value)
