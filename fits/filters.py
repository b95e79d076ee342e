"""Filter building blocks shared by every app's FilterSets (pages and API alike)."""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import django_filters
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Model
from django.db.models.constants import LOOKUP_SEP
from django_filters import utils as filter_utils
from django_filters.filters import QuerySetRequestMixin
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework.renderers import BrowsableAPIRenderer

from fits.scoping import people_visible_to, schools_visible_to


def _repeats_rows(model: type[Model], path: str) -> bool:
    """Whether filtering along `path` can list a row more than once (it crosses a many-to-many or reverse
    relation), so that the query needs DISTINCT."""
    for name in path.split(LOOKUP_SEP):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return True  # a lookup or something unusual: keep django-filter's DISTINCT
        if field.many_to_many or field.one_to_many:
            return True
        if not field.is_relation:
            return False
        model = field.related_model
    return False


class FitsFilterSet(django_filters.FilterSet):
    """Base FilterSet: an empty parameter (`?status=`) means "no filter", not an invalid choice.

    A multiple-choice filter on the record's own column or along foreign keys cannot repeat a row, so it does
    not make the query DISTINCT (django-filter's default): DISTINCT would sort or hash every matching row of a
    big list before its first page, and keep the page's ids from being a subquery.
    """

    def __init__(self, data=None, *args, lean: bool = False, **kwargs):
        """`lean`: the filters whose choices come from the database only when the query uses them, for answers
        that show no filter form (JSON, a page's list that fetches its choice lists apart): building each one's
        queryset costs more than the list's own query, most of all over an authority's 500 schools."""
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
        if lean and data is not None:
            used = set(self.data.keys())
            self.filters = {
                name: f
                for name, f in self.filters.items()
                if not isinstance(f, QuerySetRequestMixin) or filter_params(name, f) & used
            }
        for field in self.filters.values():
            if getattr(field, "distinct", False) and not _repeats_rows(self._meta.model, field.field_name):
                field.distinct = False


def filter_params(name: str, field: django_filters.Filter) -> set[str]:
    """The query parameters one filter reads (a range filter reads two)."""
    if isinstance(field, django_filters.DateFromToRangeFilter | django_filters.DateTimeFromToRangeFilter):
        return {f"{name}_after", f"{name}_before"}
    return {name}


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

    def get_filterset_kwargs(self, request, queryset, view):
        kwargs = super().get_filterset_kwargs(request, queryset, view)
        filterset_class = self.get_filterset_class(view, queryset)
        # Only the browsable API shows the filter form with its choices; JSON does not build them.
        if issubclass(filterset_class, FitsFilterSet) and not isinstance(
            getattr(request, "accepted_renderer", None), BrowsableAPIRenderer
        ):
            kwargs["lean"] = True
        return kwargs

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
