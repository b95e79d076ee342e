"""Filters of the CMDB, shared by the pages, the API and the export."""

from __future__ import annotations

from datetime import timedelta

import django_filters
from django.db.models import Case, Q, QuerySet, Value, When
from django.db.models.functions import Concat
from django.utils import timezone

from cmdb.models import (
    KIND_GROUPS,
    Cable,
    ConfigurationItem,
    Kind,
    Licence,
    LifecycleStatus,
    Location,
    Port,
    PortKind,
    Relationship,
    SoftwareInstallation,
    SoftwareProduct,
    normalise_mac,
)
from fits import access
from fits.filters import FitsFilterSet, NaturalKeyMultipleChoiceFilter, visible_people, visible_schools

# The groups of kinds, by a slug a URL can carry: the model's groups, with cabling apart from the devices.
CABLING = [Kind.PATCH_PANEL, Kind.WALL_SOCKET]
GROUP_SLUGS = {
    "computers": ("Computers", KIND_GROUPS["Computers"]),
    "peripherals": ("Peripherals", KIND_GROUPS["Peripherals"]),
    "network": ("Network devices", [kind for kind in KIND_GROUPS["Network"] if kind not in CABLING]),
    "cabling": ("Patch panels and sockets", CABLING),
    "software": ("Software and services", KIND_GROUPS["Software and services"]),
}
KIND_CHOICES = [(name, [(kind.value, kind.label) for kind in kinds]) for name, kinds in KIND_GROUPS.items()]
WARRANTY_DAYS = 90


def locations_by_path(queryset: QuerySet) -> QuerySet:
    """Locations in the order of their paths (site, its buildings, their rooms), labels query-free."""
    path = Case(
        When(
            parent__parent__isnull=False,
            then=Concat("parent__parent__name", Value(" / "), "parent__name", Value(" / "), "name"),
        ),
        When(parent__isnull=False, then=Concat("parent__name", Value(" / "), "name")),
        default="name",
    )
    return queryset.select_related("parent__parent").annotate(sort_path=path).order_by("sort_path")


def visible_locations(request) -> QuerySet:
    """Locations to filter by: the CMDB's, so for support staff only (an ICT user may pick a room elsewhere)."""
    user = getattr(request, "user", None)
    locations = Location.objects.visible_to(user)
    if user is None or not access.here_or_anywhere(access.can_view_cmdb).test(user, None):
        locations = locations.none()
    return locations_by_path(locations)


def visible_items(request) -> QuerySet:
    return ConfigurationItem.objects.visible_to(getattr(request, "user", None))


def visible_products(request) -> QuerySet:
    return SoftwareProduct.objects.visible_to(getattr(request, "user", None))


def with_descendants(field: str, location_ids: list[int]) -> Q:
    """`field` (a location FK) is one of the locations or inside one: a room of a building, of a site."""
    return (
        Q(**{f"{field}__in": location_ids})
        | Q(**{f"{field}__parent__in": location_ids})
        | Q(**{f"{field}__parent__parent__in": location_ids})
    )


class SchoolFilters(FitsFilterSet):
    """The school filter pair every CMDB list has (for consultants and administrators)."""

    school_id = django_filters.ModelMultipleChoiceFilter(field_name="school", queryset=visible_schools)
    school = NaturalKeyMultipleChoiceFilter(
        field_name="school__slug", to_field_name="slug", queryset=visible_schools, label="School (slug)"
    )


class ConfigurationItemFilterSet(SchoolFilters):
    """Configuration items: what they are, where, in what state, found by any identifier."""

    q = django_filters.CharFilter(method="search", label="Search")
    kind = django_filters.MultipleChoiceFilter(choices=KIND_CHOICES)
    group = django_filters.ChoiceFilter(
        choices=[(slug, name) for slug, (name, _) in GROUP_SLUGS.items()], method="filter_group", label="Group"
    )
    status = django_filters.MultipleChoiceFilter(choices=LifecycleStatus.choices)
    location_id = django_filters.ModelMultipleChoiceFilter(
        queryset=visible_locations, method="filter_location", label="Location (and everything in it)"
    )
    location = django_filters.CharFilter(method="filter_location_name", label="Location name (and everything in it)")
    owner_id = django_filters.ModelMultipleChoiceFilter(field_name="owner", queryset=visible_people)
    owner = NaturalKeyMultipleChoiceFilter(
        field_name="owner__username", to_field_name="username", queryset=visible_people, label="Owner (username)"
    )
    software_id = django_filters.ModelMultipleChoiceFilter(
        field_name="installations__product", queryset=visible_products, distinct=True, label="Has software installed"
    )
    warranty = django_filters.ChoiceFilter(
        choices=[
            ("expired", "Expired"),
            ("expiring", f"Expiring in {WARRANTY_DAYS} days"),
            ("covered", "In warranty"),
            ("unknown", "Not recorded"),
        ],
        method="filter_warranty",
        label="Warranty",
    )
    ordering = django_filters.OrderingFilter(
        fields=(
            ("name", "name"),
            ("kind", "kind"),
            ("status", "status"),
            ("warranty_end", "warranty"),
            ("updated_at", "updated"),
            ("purchase_date", "purchased"),
        )
    )

    class Meta:
        model = ConfigurationItem
        fields = ["q", "kind", "group", "status"]

    def search(self, queryset, name, value):
        """Name, host name, serial, asset tag, UUID, management address, or a MAC address of one of its ports."""
        value = value.strip()
        if not value:
            return queryset
        query = (
            Q(name__icontains=value)
            | Q(serial__iexact=value)
            | Q(asset_tag__iexact=value)
            | Q(uuid__iexact=value)
            | Q(management_address__icontains=value)
            | Q(attributes__hostname__icontains=value)
            | Q(model_name__icontains=value)
        )
        try:
            mac = normalise_mac(value)
        except ValueError:
            mac = value.lower() if len(value) >= 5 and all(c in "0123456789abcdefABCDEF:-." for c in value) else ""
        if mac:
            query |= Q(pk__in=queryset.filter(ports__mac__icontains=mac).values("pk"))
        return queryset.filter(query)

    def filter_group(self, queryset, name, value):
        _, kinds = GROUP_SLUGS[value]
        return queryset.filter(kind__in=kinds)

    def filter_location(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(with_descendants("location", [location.pk for location in value]))

    def filter_location_name(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(location__name__iexact=value)
            | Q(location__parent__name__iexact=value)
            | Q(location__parent__parent__name__iexact=value)
        )

    def filter_warranty(self, queryset, name, value):
        today = timezone.localdate()
        if value == "expired":
            return queryset.filter(warranty_end__lt=today)
        if value == "expiring":
            return queryset.filter(warranty_end__gte=today, warranty_end__lte=today + timedelta(days=WARRANTY_DAYS))
        if value == "covered":
            return queryset.filter(warranty_end__gte=today)
        if value == "unknown":
            return queryset.filter(warranty_end__isnull=True)
        return queryset


class LocationFilterSet(SchoolFilters):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="Name")
    kind = django_filters.MultipleChoiceFilter(choices=Location.Kind.choices)
    parent_id = django_filters.ModelMultipleChoiceFilter(field_name="parent", queryset=visible_locations)

    class Meta:
        model = Location
        fields = ["q", "kind"]


class PortFilterSet(SchoolFilters):
    ci_id = django_filters.ModelMultipleChoiceFilter(field_name="ci", queryset=visible_items, label="Item")
    kind = django_filters.MultipleChoiceFilter(choices=PortKind.choices)
    mac = django_filters.CharFilter(method="filter_mac", label="MAC address")
    connected = django_filters.BooleanFilter(field_name="cable", lookup_expr="isnull", exclude=True, label="Cabled")
    is_uplink = django_filters.BooleanFilter()

    class Meta:
        model = Port
        fields = ["ci_id", "kind", "is_uplink", "vlan"]

    def filter_mac(self, queryset, name, value):
        try:
            return queryset.filter(mac=normalise_mac(value))
        except ValueError:
            return queryset.filter(mac__icontains=value.strip().lower())


class CableFilterSet(SchoolFilters):
    ci_id = django_filters.ModelMultipleChoiceFilter(
        field_name="a_port__ci", queryset=visible_items, method="filter_ci", label="Either end's item"
    )
    type = django_filters.MultipleChoiceFilter(choices=Cable.Type.choices)
    q = django_filters.CharFilter(field_name="label", lookup_expr="icontains", label="Label")

    class Meta:
        model = Cable
        fields = ["type", "q"]

    def filter_ci(self, queryset, name, value):
        if not value:
            return queryset
        ids = [ci.pk for ci in value]
        return queryset.filter(Q(a_port__ci__in=ids) | Q(b_port__ci__in=ids))


class RelationshipFilterSet(SchoolFilters):
    source_id = django_filters.ModelMultipleChoiceFilter(field_name="source", queryset=visible_items)
    target_id = django_filters.ModelMultipleChoiceFilter(field_name="target", queryset=visible_items)
    ci_id = django_filters.ModelMultipleChoiceFilter(
        field_name="source", queryset=visible_items, method="filter_ci", label="Either end"
    )
    kind = django_filters.MultipleChoiceFilter(choices=Relationship.Kind.choices)

    class Meta:
        model = Relationship
        fields = ["kind"]

    def filter_ci(self, queryset, name, value):
        if not value:
            return queryset
        ids = [ci.pk for ci in value]
        return queryset.filter(Q(source__in=ids) | Q(target__in=ids))


class SoftwareProductFilterSet(SchoolFilters):
    q = django_filters.CharFilter(method="search", label="Search")

    class Meta:
        model = SoftwareProduct
        fields = ["q"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(name__icontains=value) | Q(publisher__icontains=value)) if value else queryset


class SoftwareInstallationFilterSet(SchoolFilters):
    ci_id = django_filters.ModelMultipleChoiceFilter(field_name="ci", queryset=visible_items, label="Item")
    product_id = django_filters.ModelMultipleChoiceFilter(field_name="product", queryset=visible_products)

    class Meta:
        model = SoftwareInstallation
        fields = ["source"]


class LicenceFilterSet(SchoolFilters):
    q = django_filters.CharFilter(method="search", label="Search")
    product_id = django_filters.ModelMultipleChoiceFilter(field_name="product", queryset=visible_products)
    model = django_filters.MultipleChoiceFilter(choices=Licence.Model.choices)
    expiry = django_filters.ChoiceFilter(
        choices=[("expired", "Expired"), ("expiring", f"Expiring in {WARRANTY_DAYS} days")],
        method="filter_expiry",
        label="Expiry",
    )

    class Meta:
        model = Licence
        fields = ["q", "model"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(product__name__icontains=value) | Q(reference__icontains=value) | Q(supplier__icontains=value)
        )

    def filter_expiry(self, queryset, name, value):
        today = timezone.localdate()
        if value == "expired":
            return queryset.filter(expires_on__lt=today)
        if value == "expiring":
            return queryset.filter(expires_on__gte=today, expires_on__lte=today + timedelta(days=WARRANTY_DAYS))
        return queryset
