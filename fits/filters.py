"""Filter building blocks shared by every app's FilterSets (pages and API alike)."""

import django_filters
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
