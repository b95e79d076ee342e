"""Filters shared by the directory's pages and API (ids as numbers: no model-choice filters)."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from om.directory.models import AccountKind, AccountRequest, DirectoryAccount, EntryState, RequestKind, RequestState


class AccountFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    kind = django_filters.ChoiceFilter(choices=AccountKind.choices)
    state = django_filters.ChoiceFilter(choices=EntryState.choices)
    ou = django_filters.CharFilter(field_name="ou_dn", lookup_expr="iexact", label="OU (DN)")
    group_id = django_filters.NumberFilter(field_name="memberships__group_id", label="Group (id)")

    class Meta:
        model = DirectoryAccount
        fields = ["q", "kind", "state", "ou", "group_id"]

    def search(self, queryset, name, value):
        for word in value.split():
            queryset = queryset.filter(
                Q(username__icontains=word) | Q(display_name__icontains=word) | Q(email__icontains=word)
            )
        return queryset


class AccountRequestFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=RequestKind.choices)
    state = django_filters.ChoiceFilter(choices=RequestState.choices)

    class Meta:
        model = AccountRequest
        fields = ["kind", "state"]
