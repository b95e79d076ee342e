"""Filters of the service catalogue's API lists; every choice they offer is scoped to the user."""

from __future__ import annotations

import django_filters

from fits.filters import FitsFilterSet, visible_people
from servicedesk.models import FulfilmentTask, RequestType, ServiceRequest


def visible_request_types(request):
    """Choices for the request type filter: the catalogue items the requesting user may see."""
    return RequestType.objects.visible_to(getattr(request, "user", None))


class ServiceRequestFilterSet(FitsFilterSet):
    request_type = django_filters.ModelChoiceFilter(queryset=visible_request_types)
    status = django_filters.CharFilter(field_name="ticket__status", help_text="The ticket's status, e.g. new.")

    class Meta:
        model = ServiceRequest
        fields = ["request_type", "status"]


class FulfilmentTaskFilterSet(FitsFilterSet):
    ticket = django_filters.NumberFilter(field_name="ticket_id", help_text="The ticket's id (/api/incidents/<id>/).")
    assignee = django_filters.ModelChoiceFilter(queryset=visible_people)
    done = django_filters.BooleanFilter(field_name="done_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = FulfilmentTask
        fields = ["ticket", "assignee", "done"]
