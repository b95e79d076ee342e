"""The workbench's filters: the incident queue's FilterSet, extended with queues, kinds, places and dates.

One FilterSet serves the page, its live updates, and the counts API. Every choice list starts
from `visible_to(request.user)`, narrowed to the school chosen in the switcher.
"""

from __future__ import annotations

import operator
import re
from functools import reduce
from typing import Any

import django_filters
from django.db.models import F, Q

from cmdb.models import ConfigurationItem, Location
from fits.models import User
from incidents.filters import IncidentFilterSet
from incidents.models import Category, Incident, SupportGroup, TicketKind
from servicedesk.workbench import QUEUE_CHOICES, queue_condition

# Sorts the page offers: label, and the order (a unique last key keeps pages stable).
SORTS = {
    "priority": ("Priority", ("priority", "created_at", "pk")),
    "oldest": ("Oldest", ("created_at", "pk")),
    "newest": ("Newest", ("-created_at", "-pk")),
    "updated": ("Last updated", ("-updated_at", "-pk")),
    "reference": ("Reference", ("reference", "school_id")),
    # Soonest resolution due first; tickets whose clock is stopped (no due time) last.
    "due": ("Due first", (F("resolution_due_at").asc(nulls_last=True), "priority", "pk")),
}
SORT_CHOICES = [(key, label) for key, (label, _) in SORTS.items()]
DEFAULT_SORT = "priority"


def _school_id(request):
    school = getattr(request, "school", None)
    return school.pk if school is not None else None


def visible_categories(request):
    return Category.objects.visible_to(request.user).of_school(_school_id(request)).select_related("parent")


def visible_groups(request):
    return SupportGroup.objects.visible_to(request.user).of_school(_school_id(request)).filter(is_active=True)


def visible_rooms(request):
    rooms = Location.objects.visible_to(request.user).of_school(_school_id(request))
    return rooms.filter(kind=Location.Kind.ROOM).order_by("name")


def visible_items(request):
    return ConfigurationItem.objects.visible_to(request.user).of_school(_school_id(request))


class WorkbenchFilterSet(IncidentFilterSet):
    """The incident FilterSet plus what a technician narrows a queue by."""

    queue = django_filters.ChoiceFilter(choices=QUEUE_CHOICES, method="filter_queue", empty_label=None)
    kind = django_filters.MultipleChoiceFilter(choices=TicketKind.choices, label="Kind")
    category = django_filters.ModelMultipleChoiceFilter(
        queryset=visible_categories, method="filter_category", label="Category"
    )
    group = django_filters.ModelMultipleChoiceFilter(queryset=visible_groups, label="Support group")
    location = django_filters.ModelMultipleChoiceFilter(queryset=visible_rooms, label="Room")
    ci = django_filters.ModelChoiceFilter(queryset=visible_items, label="Configuration item")
    ci_name = django_filters.CharFilter(field_name="ci__name", lookup_expr="icontains", label="Device or service")
    logged = django_filters.DateFromToRangeFilter(field_name="created_at", label="Logged between")
    updated = django_filters.DateFromToRangeFilter(field_name="updated_at", label="Updated between")
    sort = django_filters.ChoiceFilter(choices=SORT_CHOICES, method="sort_by", label="Sort", empty_label=None)

    class Meta(IncidentFilterSet.Meta):
        model = Incident
        fields = ["q", "queue", "kind", "state", "status", "priority"]

    def search(self, queryset, name, value):
        """Every word must appear in the reference, the summary, the room or the reporter's name.

        A bare number finds its reference too: "12" finds INC-000012 and REQ-000012. Each word's test is one the
        trigram indexes answer (incidents migration 0009), so a search over every school's tickets reads only
        the matches, not the table: the callers whose name matches are looked up first, then found by id.
        """
        words = value.split()
        if not words:
            return queryset
        if len(words) == 1 and re.fullmatch(r"\d{1,9}", words[0]):
            number = f"-{int(words[0]):06d}"
            return queryset.filter(Q(reference__endswith=number) | Q(title__icontains=words[0]))
        callers = _callers_named(words)
        for word in words:
            condition = Q(title__icontains=word) | Q(room__icontains=word) | Q(reporter__in=callers[word])
            if REFERENCE.fullmatch(word):
                condition |= Q(reference=word.upper())
            queryset = queryset.filter(condition)
        return queryset

    def filter_queue(self, queryset, name, value):
        return queryset.filter(queue_condition(value, self.request.user))

    def filter_category(self, queryset, name, value):
        """A category finds its sub-categories' tickets too (Hardware finds Hardware › Printer)."""
        if not self.data.getlist(name):  # (not `value`: that would run the category query to test it)
            return queryset
        return queryset.filter(Q(category__in=value) | Q(category__parent__in=value))

    def sort_by(self, queryset, name, value):
        return queryset.order_by(*SORTS.get(value, SORTS[DEFAULT_SORT])[1])


REFERENCE = re.compile(r"[A-Za-z]{2,5}-\d{1,9}")
CALLERS_LISTED = 500  # more people than this match the words: they are matched by a subquery instead of by id


def _callers_named(words: list[str]) -> dict[str, Any]:
    """For each word, the people whose first or last name contains it or whose username it is: their ids, read in
    one query for every word (or, for a word as common as "an", the query itself)."""

    def named(word: str) -> Q:
        return Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(username__iexact=word)

    people = User.objects.filter(reduce(operator.or_, (named(word) for word in words))).order_by()
    found = list(people.values_list("pk", "first_name", "last_name", "username")[: CALLERS_LISTED + 1])
    if len(found) > CALLERS_LISTED:
        return {word: User.objects.filter(named(word)).order_by().values("pk") for word in words}

    def matches(word: str, first: str, last: str, username: str) -> bool:
        word = word.casefold()
        return word in first.casefold() or word in last.casefold() or word == username.casefold()

    return {word: [pk for pk, *names in found if matches(word, *names)] for word in words}
