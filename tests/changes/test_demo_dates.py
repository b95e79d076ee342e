"""The demo's Change Management on any day of the year: changes.demo plans around the freezes whatever today is.

Apart from tests/changes/test_demo.py because it seeds over the cast, which that module's whole seeded demo
(module scope) would collide with."""

from __future__ import annotations

import pytest
from django.utils import timezone

from changes import demo, policy
from changes.models import ChangeKind, FreezeWindow, RequestForChange, Status

pytestmark = pytest.mark.django_db


def titles(school) -> set[str]:
    builder = demo.ChangeBuilder(school, {})
    return {story.title for story in demo.STORIES[school.slug](builder, school)}


class _Clock:
    """django.utils.timezone as changes.demo sees it, on another day (the services keep the real clock: the demo
    dates what they record afterwards)."""

    def __init__(self, now):
        self._now = now

    def __getattr__(self, name):
        return getattr(timezone, name)

    def now(self):
        return self._now

    def localdate(self, value=None):
        return timezone.localtime(value or self._now).date()


@pytest.mark.parametrize(
    "day",
    [
        "2027-01-05",  # the first day of the spring term, in the start-of-term freeze
        "2027-06-02",  # in the exam season: every normal change moves past it
        "2026-12-24",  # the Christmas holidays
        "2027-03-13",  # a Saturday
    ],
)
def test_the_demo_builds_on_any_day_of_the_year(day, monkeypatch, cast, bolton, highfield, riverside):
    from datetime import date, datetime, time

    now = timezone.make_aware(datetime.combine(date.fromisoformat(day), time(10, 30)))
    monkeypatch.setattr(demo, "timezone", _Clock(now))
    added = demo.seed_changes({"bolton": bolton}, {"highfield": highfield, "riverside": riverside}, cast)
    assert added["requests for change"] == len(titles(highfield)) + len(titles(riverside))
    statuses = RequestForChange.objects.filter(school=highfield).values_list("status", flat=True)
    assert set(statuses) == set(Status.values)
    # Only emergencies may run in a freeze; normal and standard changes were planned around them.
    for change in RequestForChange.objects.exclude(kind=ChangeKind.EMERGENCY).filter(planned_start__isnull=False):
        assert not policy.freezes_over(change.school, change.planned_start, change.planned_end), change
    exams = FreezeWindow.objects.get(name="GCSE and A-level exams")
    assert exams.ends >= now.date()
