"""Filters of incidents, shared by the queue page and the API."""

import django_filters
from django.db.models import Q

from fits.filters import FitsFilterSet, NaturalKeyMultipleChoiceFilter, visible_people, visible_schools
from incidents.models import OPEN_STATUSES, Category, Channel, Incident, Priority, Status, SupportGroup


def visible_groups(request):
    return SupportGroup.objects.visible_to(getattr(request, "user", None))


def visible_categories(request):
    return Category.objects.visible_to(getattr(request, "user", None))


def visible_majors(request):
    user = getattr(request, "user", None)
    if user is None:
        return Incident.objects.none()
    return Incident.objects.visible_to(user).filter(is_major=True)


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
    # Groups, categories and major incidents (FK filters in pairs where a natural key exists).
    group_id = django_filters.ModelMultipleChoiceFilter(field_name="group", queryset=visible_groups, label="Group")
    my_groups = django_filters.BooleanFilter(method="filter_my_groups", label="In my groups' queues")
    category_id = django_filters.ModelMultipleChoiceFilter(
        method="filter_category", queryset=visible_categories, label="Category (and its subcategories)"
    )
    is_major = django_filters.BooleanFilter(field_name="is_major", label="Major incidents")
    parent_id = django_filters.ModelChoiceFilter(
        field_name="parent", queryset=visible_majors, label="Linked to major incident"
    )
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

    def filter_my_groups(self, queryset, name, value):
        if not value or self.request is None:
            return queryset
        return queryset.in_groups_of(self.request.user)

    def filter_category(self, queryset, name, value):
        if not self.data.getlist(name):  # (not `value`: that would run the category query to test it)
            return queryset
        return queryset.filter(Q(category__in=value) | Q(category__parent__in=value))

    def filter_state(self, queryset, name, value):
        if value == "open":
            return queryset.filter(status__in=OPEN_STATUSES)
        if value == "closed":
            return queryset.exclude(status__in=OPEN_STATUSES)
        return queryset
