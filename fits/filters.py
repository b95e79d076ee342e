"""Filter building blocks shared by every app's FilterSets (pages and API alike)."""

from decimal import Decimal

import django_filters
from django.core.exceptions import ValidationError
from django_filters import utils as filter_utils
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from fits.scoping import people_visible_to, schools_visible_to


class FitsFilterSet(django_filters.FilterSet):
    """Base FilterSet: an empty parameter (`?status=`) means "no filter", not an invalid choice."""

    def __init__(self, data=None, *args, **kwargs):
        if data is not None:
            cleaned = data.copy()
            for key in list(cleaned.keys()):
                values = [v for v in cleaned.getlist(key) if v != ""]
                if values:
                    cleaned.setlist(key, values)
                else:
                    del cleaned[key]
            data = cleaned
        super().__init__(data, *args, **kwargs)


@extend_schema_field(OpenApiTypes.STR)
class NaturalKeyMultipleChoiceFilter(django_filters.ModelMultipleChoiceFilter):
    """Filter by a natural key (a school's slug, a person's username) rather than a primary key."""


def visible_schools(request):
    """Choices for school filters: only the schools the requesting user may see."""
    return schools_visible_to(getattr(request, "user", None))


def visible_people(request):
    """Choices for people filters: only people at the schools the requesting user may see."""
    return people_visible_to(getattr(request, "user", None))


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, but a number too large for the database is a bad filter value (400), not a 500:
    SQLite stores 64-bit integers and cannot even compare with a larger one."""

    LIMIT = 2**63

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        try:
            valid = filterset.is_valid()
        except OverflowError:  # a choice filter looked the number up
            valid = False
            filterset.form.add_error(None, ValidationError("A number is too large.", code="max_value"))
        for name, value in list(filterset.form.cleaned_data.items() if valid else ()):
            if isinstance(value, int | float | Decimal) and abs(value) >= self.LIMIT:
                filterset.form.add_error(name, ValidationError("This number is too large.", code="max_value"))
                valid = False
        if not valid:
            raise filter_utils.translate_validation(filterset.errors)
        return filterset.qs
