"""Live facts for the school's strategies (fits/strategy/facts.py): each OM function's policy, owner and review.

Declared on OperationsConfig.strategy_facts; called as provider(school, *, today); returns the
fields of fits.strategy.facts.Facts as a plain dict (an app may not import the core's sub-apps)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Count
from django.urls import reverse

from fits.models import School
from om.models import ActivityAllocation, Function, FunctionPolicy


def policies(school: School, *, today: date) -> dict[str, Any]:
    """The six functions: whether the policy is written, its owner, its review date, the activities allocated."""
    written = {p.function: p for p in FunctionPolicy.objects.filter(school=school).select_related("owner")}
    allocated = dict(ActivityAllocation.objects.filter(school=school).values_list("function").annotate(n=Count("pk")))
    rows = []
    for function in Function:
        policy = written.get(function.value)
        if policy is None or not policy.text.strip():
            state, owner, review = "No policy yet", "", ""
        else:
            overdue = policy.review_due is not None and policy.review_due < today
            state = "Review overdue" if overdue else "In place"
            owner = str(policy.owner or "Nobody named")
            review = f"{policy.review_due:%d %b %Y}" if policy.review_due else "Not set"
        rows.append([function.label, state, owner, review, str(allocated.get(function.value, 0))])
    return dict(
        title="Operational management functions: policies",
        columns=["Function", "Policy", "Owner", "Review due", "Activities allocated"],
        rows=rows,
        link=reverse("om:index"),
        link_label="The functions and their policies",
    )
