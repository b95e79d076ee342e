"""Live facts for the school's strategies (fits/strategy/facts.py): this financial year's ICT budget by category.

Declared on FinanceConfig.strategy_facts; called as provider(school, *, today); returns the fields of
fits.strategy.facts.Facts as a plain dict (an app may not import the core's sub-apps)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.urls import reverse

from finance.figures import year_figures
from fits.models import School


def _pounds(amount: Decimal) -> str:
    return f"-£{-amount:,.0f}" if amount < 0 else f"£{amount:,.0f}"


def budget(school: School, *, today: date) -> dict[str, Any]:
    """Budget, committed, spent so far and remaining per category for the financial year `today` falls in."""
    figures = year_figures([school], today=today)[school.pk]
    rows = [
        [line.label, _pounds(line.budget), _pounds(line.committed), _pounds(line.actual), _pounds(line.remaining)]
        for line in [*figures.rows, figures.total]
        if line.budget or line.committed or line.actual
    ]
    if rows:
        rows[-1][0] = "Total"
    return dict(
        title=f"ICT budget {figures.label}",
        columns=["Category", "Budget", "Committed", "Spent so far", "Remaining"],
        rows=rows,
        link=reverse("finance:overview"),
        link_label="Budget against actual",
        note="From the budget and the expenditure record (Financial Management); spent so far includes contract "
        "payments due to date.",
        empty=f"No ICT budget or spending is recorded for {figures.label} yet.",
    )
