"""Release Management's evidence for the FITS maturity assessment (fits.assessment.evidence)."""

from __future__ import annotations

import datetime

from fits.maturity import MET, NOT_MET, PARTLY, Evidence, url
from releases.models import ItemStatus, SoftwareLibraryItem


def dsl_present(school, *, today: datetime.date) -> Evidence:
    """The definitive software library holds approved versions for the school (its own or its authority's)."""
    items = SoftwareLibraryItem.objects.of_school(school.pk)
    approved = items.filter(status=ItemStatus.APPROVED).count()
    if approved:
        return Evidence(
            MET, f"The definitive software library holds {approved} approved versions.", url("releases:library")
        )
    if items.filter(status=ItemStatus.PROPOSED).exists():
        return Evidence(
            PARTLY,
            "Versions are proposed for the definitive software library, none approved yet.",
            url("releases:library"),
        )
    return Evidence(NOT_MET, "The definitive software library is empty.", url("releases:library"))
