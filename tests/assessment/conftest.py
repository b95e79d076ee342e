"""The FITS maturity assessment built the way the product builds it: through fits.assessment.services."""

from __future__ import annotations

import datetime

import pytest

from fits.assessment import services
from fits.assessment.models import academic_year

TODAY = datetime.date(2026, 11, 24)  # in the 2026/27 academic year
LAST_YEAR = datetime.date(2025, 11, 24)


@pytest.fixture
def this_year() -> int:
    from django.utils import timezone

    return academic_year(timezone.localdate())


@pytest.fixture
def started(highfield, netmgr):
    """Highfield's assessment of the current academic year, started by its network manager."""
    return services.assessment_start(school=highfield, actor=netmgr)


@pytest.fixture
def answer():
    """answer(assessment, by, {question: level}): answer several questions through the service."""

    def make(assessment, by, levels: dict[str, str], evidence: str = "Seen in the policy folder."):
        for question, level in levels.items():
            services.assessment_answer(
                assessment=assessment, actor=by, question=question, level=level, evidence=evidence
            )
        return assessment

    return make
