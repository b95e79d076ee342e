"""Live facts for the school's strategies (fits/strategy/facts.py): the technology in the CMDB, by kind.

Declared on CmdbConfig.strategy_facts; called as provider(school, *, today); returns the
fields of fits.strategy.facts.Facts as a plain dict (an app may not import the core's sub-apps)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Count, Q
from django.urls import reverse

from cmdb.models import ConfigurationItem, Kind, LifecycleStatus
from fits.models import School


def technology(school: School, *, today: date) -> dict[str, Any]:
    """Live configuration items by kind, and how many of them are out of warranty."""
    counts = (
        ConfigurationItem.objects.filter(school=school, status=LifecycleStatus.LIVE)
        .values("kind")
        .annotate(n=Count("pk"), expired=Count("pk", filter=Q(warranty_end__lt=today)))
        .order_by("kind")
    )
    labels = dict(Kind.choices)
    rows = [[labels.get(row["kind"], row["kind"]), str(row["n"]), str(row["expired"])] for row in counts]
    rows.sort(key=lambda row: row[0])
    return dict(
        title="Technology in use (live configuration items)",
        columns=["Kind", "Live", "Out of warranty"],
        rows=rows,
        link=reverse("cmdb:ci_list"),
        link_label="The CMDB",
        empty="Nothing is recorded as live in the CMDB yet.",
    )
