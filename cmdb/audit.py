"""The CMDB audit: data-quality checks over the configuration items a person may see.

FITS Configuration Management asks for the CMDB to be audited so that the records stay a true
picture of the school's ICT. Each check here is a selector (HackSoft's read side): it narrows a
queryset the caller has already scoped with `visible_to(user)` (and the school switcher), so the
audit never reaches another school. A check costs one query to count and one for its first rows,
whatever the size of the CMDB; the duplicate serials one adds a count of the serial numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, Exists, OuterRef, QuerySet

from cmdb.models import LOGICAL_KINDS, ConfigurationItem, LifecycleStatus, Port

# Items listed under each check; the count covers them all.
SHOWN = 50
# Gone from service: their gaps are history, not work to do.
GONE = (LifecycleStatus.RETIRED, LifecycleStatus.DISPOSED)


# =============================================================================
# The checks (selectors)
# =============================================================================


def items_without_location(items: QuerySet[ConfigurationItem]) -> QuerySet[ConfigurationItem]:
    """Hardware in service with no site, building or room (software and services have no place)."""
    return items.filter(location__isnull=True).exclude(kind__in=LOGICAL_KINDS).exclude(status__in=GONE)


def live_items_past_warranty(items: QuerySet[ConfigurationItem], today: date) -> QuerySet[ConfigurationItem]:
    """Live items whose warranty ended before today: a failure now costs money. Longest expired first."""
    return items.live().filter(warranty_end__lt=today).order_by("warranty_end", "name")


def items_with_duplicate_serials(items: QuerySet[ConfigurationItem]) -> QuerySet[ConfigurationItem]:
    """Items whose serial number another item of the same school also has (blank serials aside).

    Usually one device recorded twice (by hand and by an inventory agent, say). The twin is looked
    for in the same school as the item, which the person can see whenever they can see the item.
    """
    twins = ConfigurationItem.objects.filter(school=OuterRef("school"), serial=OuterRef("serial")).exclude(
        pk=OuterRef("pk")
    )
    return items.exclude(serial="").filter(Exists(twins)).order_by("serial", "school__name", "name")


def ports_without_cable(ports: QuerySet[Port]) -> QuerySet[Port]:
    """Ports marked as expecting a cable that have none, on items still in service."""
    return (
        ports.filter(cable_expected=True, cable__isnull=True).exclude(ci__status__in=GONE).order_by("ci__name", "name")
    )


# =============================================================================
# The audit page's summary
# =============================================================================


@dataclass
class Finding:
    """One check's result: how many, the first SHOWN of them, and what to do about it."""

    key: str
    title: str
    advice: str
    count: int
    items: list[Any]
    groups: int | None = None  # duplicate serials: how many serial numbers are shared

    @property
    def more(self) -> int:
        return max(self.count - len(self.items), 0)


def _finding(key: str, title: str, advice: str, queryset: QuerySet, **extra: Any) -> Finding:
    return Finding(key, title, advice, queryset.count(), list(queryset[:SHOWN]), **extra)


def run(*, items: QuerySet[ConfigurationItem], ports: QuerySet[Port], today: date) -> list[Finding]:
    """Every check over `items` and `ports`, both already scoped to what the person may see."""
    listed = items.select_related("school", "location__parent__parent")
    duplicates = items_with_duplicate_serials(listed)
    shared_serials = (
        items_with_duplicate_serials(items).order_by().values("school", "serial").annotate(n=Count("pk")).count()
    )
    return [
        _finding(
            "no_location",
            "Items with no location",
            "Give each a site, building or room, so that the desk can find it and impact analysis can place it.",
            items_without_location(listed),
        ),
        _finding(
            "past_warranty",
            "Live items past their warranty",
            "Renew the warranty, plan the replacement, or budget for repairs.",
            live_items_past_warranty(listed, today),
        ),
        _finding(
            "duplicate_serials",
            "Items sharing a serial number",
            "Usually one device recorded twice: keep one record and retire or correct the other.",
            duplicates,
            groups=shared_serials,
        ),
        _finding(
            "ports_without_cable",
            "Ports with no cable where one is expected",
            "Record the cable, or untick 'cable expected' on the port if it is meant to be empty.",
            ports_without_cable(ports.select_related("ci__school", "ci__location__parent__parent")),
        ),
    ]
