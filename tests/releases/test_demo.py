"""The demo's Release Management (releases.demo, run by seed_demo): highfield's library, the summer image refresh
rolling out with one failure in wave 1, and a completed release, all on the demo CMDB's CIs."""

from __future__ import annotations

import pytest

from cmdb.models import SoftwareInstallation
from releases.models import ItemStatus, Outcome, Release, SoftwareLibraryItem, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(seeded_demo, db) -> str:
    return seeded_demo


def test_the_demo_has_a_release_rolling_out_and_one_completed(seeded):
    assert "Release management: 4 software library items, 2 releases" in seeded
    refresh = Release.objects.get(school__slug="highfield", title="Summer image refresh for the ICT suite")
    assert refresh.status == Status.ROLLING_OUT
    first, second = refresh.waves.order_by("order")
    assert first.targets.filter(outcome=Outcome.FAILED).count() == 1
    assert not first.targets.filter(outcome=Outcome.PENDING).exists()
    assert set(second.targets.values_list("outcome", flat=True)) == {Outcome.PENDING}
    assert refresh.changes.get().status == "approved"
    done = Release.objects.get(school__slug="highfield", status=Status.COMPLETED)
    assert done.targets.filter(outcome=Outcome.SUCCEEDED).count() == done.targets.count() > 0


def test_the_demo_cmdb_records_the_installed_image(seeded):
    installed = SoftwareInstallation.objects.filter(
        school__slug="highfield", product__name="Windows 11 Education", version="24H2"
    )
    assert installed.count() == 14
    assert set(SoftwareLibraryItem.objects.values_list("status", flat=True)) == {
        ItemStatus.APPROVED,
        ItemStatus.PROPOSED,
    }


def test_the_demo_is_not_added_twice(seeded):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "Release management: already set up." in out.getvalue()
    assert Release.objects.count() == 2
