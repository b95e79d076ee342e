"""Live facts for the school's strategies (fits/strategy/facts.py): the service catalogue users request from.

Declared on ServicedeskConfig.strategy_facts; called as provider(school, *, today); returns the
fields of fits.strategy.facts.Facts as a plain dict (an app may not import the core's sub-apps)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.urls import reverse

from fits.models import School
from servicedesk.models import RequestType


def catalogue(school: School, *, today: date) -> dict[str, Any]:
    """Each item on offer in the school's catalogue, with its targets and who approves it."""
    items = RequestType.objects.filter(school=school, is_active=True).order_by("name")
    rows = [
        [item.name, f"{item.response_hours} h" if item.response_hours else "Default",
         f"{item.fulfil_days} school days" if item.fulfil_days else "Default",
         item.get_approver_display() if item.needs_approval else "No approval",
         "Support staff" if item.staff_only else "Everyone"]
        for item in items
    ]  # fmt: skip
    return dict(
        title="Service catalogue: what users can request",
        columns=["Item", "Response", "Fulfilled within", "Approval", "Requested by"],
        rows=rows,
        link=reverse("catalogue:type_list"),
        link_label="The catalogue",
        empty="The catalogue offers nothing yet.",
    )
