"""Filters of the inventories agents sent."""

import django_filters
from django.db.models import Q

from cmdb.models import InventorySubmission
from fits.filters import FitsFilterSet, NaturalKeyMultipleChoiceFilter, visible_schools


class InventorySubmissionFilterSet(FitsFilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    outcome = django_filters.ChoiceFilter(choices=InventorySubmission.Outcome.choices, empty_label="Any")
    format = django_filters.ChoiceFilter(choices=InventorySubmission.Format.choices, empty_label="Any")
    school_id = django_filters.ModelMultipleChoiceFilter(field_name="school", queryset=visible_schools)
    school = NaturalKeyMultipleChoiceFilter(
        field_name="school__slug", to_field_name="slug", queryset=visible_schools, label="School (slug)"
    )

    class Meta:
        model = InventorySubmission
        fields = ["q", "outcome", "format"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(device_id__icontains=value) | Q(ci__name__icontains=value))
