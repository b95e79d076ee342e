"""Filter building blocks shared by every app's FilterSets (pages and API alike)."""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

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
    """django-filter's backend, but a value the database cannot compare with is a bad filter value (400), not a
    500: a number past 64 bits (SQLite stores 64-bit integers), or a time whose offset from UTC is past the ±14
    hours any time zone uses (PostgreSQL refuses "+17:38")."""

    LIMIT = 2**63
    MAX_OFFSET = timedelta(hours=14)

    def problem(self, value: Any) -> str | None:
        if isinstance(value, slice):  # a range filter's (start, stop)
            return self.problem(value.start) or self.problem(value.stop)
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool) and abs(value) >= self.LIMIT:
            return "This number is too large."
        if isinstance(value, datetime) and value.utcoffset() is not None and abs(value.utcoffset()) > self.MAX_OFFSET:
            return "This time's offset from UTC is out of range (at most ±14:00)."
        return None

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
            problem = self.problem(value)
            if problem:
                filterset.form.add_error(name, ValidationError(problem, code="max_value"))
                valid = False
        if not valid:
            raise filter_utils.translate_validation(filterset.errors)
        return filterset.qs
