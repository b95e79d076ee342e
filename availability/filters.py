"""The filters of monitoring's lists, shared by the pages and the API: checks, results, outages, poll runs."""

from __future__ import annotations

import django_filters

from availability.models import Check, CheckKind, CheckResult, CIState, Outage, PollRun, State


class SchoolFilters(django_filters.FilterSet):
    """Every list can be narrowed to one of the viewer's schools (another school's slug finds nothing)."""

    school = django_filters.CharFilter(field_name="school__slug", label="School (slug)")
    school_id = django_filters.NumberFilter(field_name="school_id")


class CheckFilterSet(SchoolFilters):
    state = django_filters.ChoiceFilter(choices=State.choices)
    kind = django_filters.ChoiceFilter(choices=CheckKind.choices)
    status = django_filters.ChoiceFilter(choices=Check.Status.choices)
    ci = django_filters.NumberFilter(field_name="ci_id", label="CI (id)")
    q = django_filters.CharFilter(method="search", label="Name, target or CI contains")

    class Meta:
        model = Check
        fields = ("state", "kind", "status", "ci", "q", "school", "school_id")

    def search(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(name__icontains=value) | Q(target__icontains=value) | Q(ci__name__icontains=value))


class CIStateFilterSet(SchoolFilters):
    state = django_filters.ChoiceFilter(choices=State.choices)
    ci = django_filters.NumberFilter(field_name="ci_id", label="CI (id)")

    class Meta:
        model = CIState
        fields = ("state", "ci", "school", "school_id")


class CheckResultFilterSet(SchoolFilters):
    check = django_filters.NumberFilter(field_name="for_check_id", label="Check (id)")
    state = django_filters.ChoiceFilter(choices=State.choices)
    since = django_filters.IsoDateTimeFilter(field_name="checked_at", lookup_expr="gte", label="Checked at or after")
    until = django_filters.IsoDateTimeFilter(field_name="checked_at", lookup_expr="lt", label="Checked before")

    class Meta:
        model = CheckResult
        fields = ("check", "state", "since", "until", "school", "school_id")


class OutageFilterSet(SchoolFilters):
    ci = django_filters.NumberFilter(field_name="ci_id", label="CI (id)")
    kind = django_filters.ChoiceFilter(choices=Outage.Kind.choices)
    open = django_filters.BooleanFilter(field_name="ended_at", lookup_expr="isnull", label="Still open")
    planned = django_filters.BooleanFilter()
    since = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="gte", label="Started at or after")

    class Meta:
        model = Outage
        fields = ("ci", "kind", "open", "planned", "since", "school", "school_id")


class PollRunFilterSet(SchoolFilters):
    queue = django_filters.CharFilter()
    since = django_filters.IsoDateTimeFilter(field_name="dispatched_at", lookup_expr="gte", label="Dispatched after")

    class Meta:
        model = PollRun
        fields = ("queue", "since", "school", "school_id")
