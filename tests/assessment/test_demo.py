"""The demo: highfield with last year's completed assessment and this year's in progress; riverside completed."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fits.assessment.models import Assessment
from fits.models import User

pytestmark = pytest.mark.django_db


def test_the_demo_gives_the_consultant_two_schools_and_highfield_a_trend(seeded_demo, client_for):
    assert "FITS maturity assessment: 3 assessments" in seeded_demo
    highfield = list(Assessment.objects.filter(school__slug="highfield").order_by("year"))
    assert [a.status for a in highfield] == ["completed", "draft"]
    assert highfield[1].answers.count() == highfield[0].answers.count() == 83  # carried over, six improved
    assert Assessment.objects.get(school__slug="riverside").status == "completed"
    page = client_for(User.objects.get(username="consultant")).get(reverse("assessment:lea")).content.decode()
    assert 'id="grid-highfield"' in page and 'id="grid-riverside"' in page
    history = client_for(User.objects.get(username="netmgr")).get(reverse("assessment:history")).content.decode()
    assert history.count("<polyline") == 17  # sixteen processes and functions and the overall line
