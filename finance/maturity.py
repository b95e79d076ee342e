"""Financial Management's evidence for the FITS maturity assessment (fits.assessment.evidence)."""

from __future__ import annotations

import datetime

from finance.models import Budget
from finance.money import year_of
from finance.services import settings_for
from fits.maturity import MET, NOT_MET, PARTLY, Evidence, url


def budget_this_year(school, *, today: datetime.date) -> Evidence:
    """An ICT budget, with its lines, for the school's current financial year."""
    year = year_of(today, settings_for(school).year_start_month)
    budget = Budget.objects.filter(school=school, year=year).first()
    if budget is None:
        return Evidence(NOT_MET, "No ICT budget is recorded for the current financial year.", url("finance:overview"))
    lines = budget.lines.count()
    if not lines:
        return Evidence(PARTLY, "This year's budget is started but has no lines yet.", url("finance:overview"))
    return Evidence(MET, f"This financial year's ICT budget has {lines} category lines.", url("finance:overview"))
