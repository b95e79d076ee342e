"""Filters shared by the finance pages and API (ids as numbers: no model-choice filters)."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from finance.models import Category, Contract, ContractKind, Expenditure, Stage, Supplier


class ExpenditureFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    category = django_filters.ChoiceFilter(choices=Category.choices)
    stage = django_filters.ChoiceFilter(choices=Stage.choices)
    spent_from = django_filters.DateFilter(field_name="spent_on", lookup_expr="gte", label="From")
    spent_to = django_filters.DateFilter(field_name="spent_on", lookup_expr="lte", label="To")
    school_id = django_filters.NumberFilter(field_name="school_id")
    supplier_id = django_filters.NumberFilter(field_name="supplier_id")
    ci_id = django_filters.NumberFilter(field_name="ci_id")
    contract_id = django_filters.NumberFilter(field_name="contract_id")

    class Meta:
        model = Expenditure
        fields = ["q", "category", "stage", "spent_from", "spent_to"]

    def search(self, queryset, name, value):
        for word in value.split():
            queryset = queryset.filter(
                Q(item__icontains=word) | Q(supplier__name__icontains=word) | Q(order_reference__icontains=word)
            )
        return queryset


class SupplierFilterSet(django_filters.FilterSet):
    school_id = django_filters.NumberFilter(field_name="school_id")
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Supplier
        fields = ["name"]


class ContractFilterSet(django_filters.FilterSet):
    school_id = django_filters.NumberFilter(field_name="school_id")
    supplier_id = django_filters.NumberFilter(field_name="supplier_id")
    kind = django_filters.ChoiceFilter(choices=ContractKind.choices)
    ends_before = django_filters.DateFilter(field_name="ends_on", lookup_expr="lte")

    class Meta:
        model = Contract
        fields = ["kind", "auto_renew"]
