"""Filters of the inbound mail, shared by the page and the API."""

import django_filters
from django.db.models import Q

from fits.filters import FitsFilterSet, NaturalKeyMultipleChoiceFilter, visible_schools
from servicedesk.models import InboundMessage


class InboundMessageFilterSet(FitsFilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    outcome = django_filters.MultipleChoiceFilter(choices=InboundMessage.Outcome.choices)
    source = django_filters.ChoiceFilter(choices=InboundMessage.Source.choices, empty_label="Any")
    ticket_id = django_filters.NumberFilter(field_name="ticket_id", label="Ticket (id)")
    school_id = django_filters.ModelMultipleChoiceFilter(field_name="school", queryset=visible_schools)
    school = NaturalKeyMultipleChoiceFilter(
        field_name="school__slug", to_field_name="slug", queryset=visible_schools, label="School (slug)"
    )

    class Meta:
        model = InboundMessage
        fields = ["q", "outcome", "source"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(subject__icontains=value) | Q(sender__icontains=value) | Q(message_id=value))
