"""Filters of incidents, shared by the queue page and the API."""

import django_filters
from django.db.models import Q

from fits.filters import FitsFilterSet, NaturalKeyMultipleChoiceFilter, visible_people, visible_schools
from incidents.models import OPEN_STATUSES, Channel, Incident, Priority, Status


class IncidentFilterSet(FitsFilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    state = django_filters.ChoiceFilter(
        choices=[("open", "Open"), ("closed", "Resolved or closed")], method="filter_state", label="State"
    )
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices)
    channel = django_filters.MultipleChoiceFilter(choices=Channel.choices)
    school_id = django_filters.ModelMultipleChoiceFilter(field_name="school", queryset=visible_schools)
    school = NaturalKeyMultipleChoiceFilter(
        field_name="school__slug", to_field_name="slug", queryset=visible_schools, label="School (slug)"
    )
    assignee_id = django_filters.ModelMultipleChoiceFilter(field_name="assignee", queryset=visible_people)
    assignee = NaturalKeyMultipleChoiceFilter(
        field_name="assignee__username", to_field_name="username", queryset=visible_people, label="Assignee"
    )
    unassigned = django_filters.BooleanFilter(field_name="assignee", lookup_expr="isnull", label="Unassigned")
    reporter_id = django_filters.ModelMultipleChoiceFilter(field_name="reporter", queryset=visible_people)
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    ordering = django_filters.OrderingFilter(
        fields=(
            ("created_at", "created"),
            ("updated_at", "updated"),
            ("priority", "priority"),
            ("reference", "reference"),
        )
    )

    class Meta:
        model = Incident
        fields = ["q", "state", "status", "priority", "channel"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(reference__iexact=value) | Q(title__icontains=value) | Q(room__icontains=value))

    def filter_state(self, queryset, name, value):
        if value == "open":
            return queryset.filter(status__in=OPEN_STATUSES)
        if value == "closed":
            return queryset.exclude(status__in=OPEN_STATUSES)
        return queryset
