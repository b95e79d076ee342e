"""The API's filters of releases and of the software library."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from releases.models import ItemKind, ItemStatus, Release, ReleaseKind, SoftwareLibraryItem, Status


class ReleaseFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Reference or title contains")
    status = django_filters.ChoiceFilter(choices=Status.choices)
    kind = django_filters.ChoiceFilter(choices=ReleaseKind.choices)
    school = django_filters.CharFilter(field_name="school__slug", label="School (slug)")
    school_id = django_filters.NumberFilter(field_name="school_id")

    class Meta:
        model = Release
        fields = ("q", "status", "kind", "school", "school_id")

    def search(self, queryset, name, value):
        return queryset.filter(Q(reference__icontains=value) | Q(title__icontains=value))


class LibraryItemFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Name or version contains")
    status = django_filters.ChoiceFilter(choices=ItemStatus.choices)
    kind = django_filters.ChoiceFilter(choices=ItemKind.choices)
    school = django_filters.CharFilter(field_name="school__slug", label="School (slug)")
    school_id = django_filters.NumberFilter(field_name="school_id")

    class Meta:
        model = SoftwareLibraryItem
        fields = ("q", "status", "kind", "school", "school_id")

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(version__icontains=value))
