"""The daily rollups agree with the tickets they are built from (issue 5: "numbers agree with the underlying
tickets"), per London day, and rebuilding is idempotent."""

from __future__ import annotations

from datetime import date
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import models
from django.db.models.functions import TruncDate
from django.utils import timezone

from incidents.models import Incident
from servicelevels.models import DailyFigures
from servicelevels.rollups import figures_as_of, rollup, rollup_recent
from tests.servicelevels.history import at, autumn_history, ticket

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
START, END = date(2026, 8, 1), date(2026, 12, 31)


@pytest.fixture
def history(highfield, riverside, staff, tech2, log_incident):
    return autumn_history(highfield, staff, log_incident) + autumn_history(riverside, tech2, log_incident)


def day_totals(**filters) -> dict[date, dict[str, int]]:
    rows = (
        DailyFigures.objects.filter(**filters)
        .values("day")
        .order_by("day")
        .annotate(
            logged=models.Sum("logged"),
            responded=models.Sum("responded"),
            responded_in_time=models.Sum("responded_in_time"),
            resolved=models.Sum("resolved"),
            resolved_in_time=models.Sum("resolved_in_time"),
            first_contact_fixes=models.Sum("first_contact_fixes"),
            reopened=models.Sum("reopened"),
            satisfaction_sum=models.Sum("satisfaction_sum"),
            satisfaction_count=models.Sum("satisfaction_count"),
        )
    )
    return {row.pop("day"): row for row in rows}


def counted_from_tickets(school) -> dict[date, dict[str, int]]:
    """The same figures counted straight from the tickets, one by one, in Python (the reference)."""
    expected: dict[date, dict[str, int]] = {}

    def bump(moment, **values):
        day = moment.astimezone(LONDON).date()
        row = expected.setdefault(day, dict.fromkeys(
            ["logged", "responded", "responded_in_time", "resolved", "resolved_in_time", "first_contact_fixes",
             "reopened", "satisfaction_sum", "satisfaction_count"], 0))  # fmt: skip
        for key, value in values.items():
            row[key] += value

    for incident in Incident.objects.filter(school=school):
        bump(incident.created_at, logged=1)
        if incident.first_response_at:
            bump(incident.first_response_at, responded=1, responded_in_time=int(incident.response_met is True))
        if incident.resolved_at:
            bump(
                incident.resolved_at,
                resolved=1,
                resolved_in_time=int(incident.resolution_met is True),
                first_contact_fixes=int(incident.resolved_at_first_contact),
                reopened=int(incident.reopen_count > 0),
                satisfaction_sum=incident.satisfaction or 0,
                satisfaction_count=int(incident.satisfaction is not None),
            )
    return expected


def test_rollup_agrees_with_the_tickets_day_by_day(history, highfield, riverside):
    written = rollup(start=START, end=END)

    assert written == DailyFigures.objects.count() > 0
    for school in (highfield, riverside):
        assert day_totals(school=school) == counted_from_tickets(school)


def test_days_are_london_days(history, highfield):
    rollup(start=START, end=END)

    # Logged at 23:30 UTC on 14 September (BST): the 15th in London.
    assert not DailyFigures.objects.filter(school=highfield, day=date(2026, 9, 14)).exists()
    row = DailyFigures.objects.get(school=highfield, day=date(2026, 9, 15), kind="request")
    assert (row.logged, row.responded, row.priority) == (1, 1, 4)


def test_rows_are_per_priority_kind_and_service(history, highfield):
    rollup(start=START, end=END)

    wifi = DailyFigures.objects.get(school=highfield, day=date(2026, 9, 7), service__name="Wi-Fi")
    email = DailyFigures.objects.get(school=highfield, day=date(2026, 9, 7), service__name="Email")
    assert (wifi.priority, wifi.logged, wifi.responded, wifi.resolved) == (2, 1, 0, 0)
    assert (email.priority, email.logged, email.resolved, email.first_contact_fixes) == (3, 1, 1, 1)
    assert email.resolve_minutes == 30 and email.satisfaction_sum == 5
    late = DailyFigures.objects.get(school=highfield, day=date(2026, 9, 9))
    assert (late.resolved, late.resolved_in_time, late.reopened) == (1, 0, 1)
    assert late.resolve_minutes == (2 * 24 + 4) * 60  # 11:00 on the 7th to 15:00 on the 9th


def test_rebuilding_is_idempotent_and_follows_changes(history, highfield):
    rollup(start=START, end=END)
    before = list(DailyFigures.objects.order_by("school", "day", "priority", "kind").values_list(
        "school", "day", "priority", "kind", "service", "logged", "resolved"))  # fmt: skip
    rollup(start=START, end=END)
    after = list(DailyFigures.objects.order_by("school", "day", "priority", "kind").values_list(
        "school", "day", "priority", "kind", "service", "logged", "resolved"))  # fmt: skip
    assert before == after

    # A ticket is reopened: its resolution leaves the day it was resolved on.
    fixed = Incident.objects.get(school=highfield, resolved_at=at("2026-10-12", 13, 20))
    Incident.objects.filter(pk=fixed.pk).update(resolved_at=None, resolution_met=None, status="reopened")
    rollup(school_ids=[highfield.pk], start=date(2026, 10, 12), end=date(2026, 10, 12))
    row = DailyFigures.objects.get(school=highfield, day=date(2026, 10, 12))
    assert (row.logged, row.resolved) == (1, 0)
    assert day_totals(school=highfield) == counted_from_tickets(highfield)


def test_a_narrow_rebuild_leaves_other_schools_and_days_alone(history, highfield, riverside):
    rollup(start=START, end=END)
    riverside_rows = DailyFigures.objects.filter(school=riverside).count()
    DailyFigures.objects.filter(school=highfield, day=date(2026, 9, 7)).update(logged=99)

    rollup(school_ids=[highfield.pk], start=date(2026, 9, 7), end=date(2026, 9, 8))

    assert DailyFigures.objects.filter(school=riverside).count() == riverside_rows
    assert DailyFigures.objects.filter(school=highfield, day=date(2026, 9, 7)).aggregate(n=models.Sum("logged")) == {
        "n": 2
    }


def test_rollup_runs_a_fixed_number_of_queries(history, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        rollup(start=START, end=END)


def test_recent_rollup_and_as_of(highfield, staff, log_incident, django_capture_on_commit_callbacks):
    today = date(2026, 10, 6)
    ticket(highfield, staff, log_incident, created=at("2026-10-05", 10))
    ticket(highfield, staff, log_incident, created=at("2026-10-01", 10))
    with django_capture_on_commit_callbacks(execute=True):
        rollup_recent(days=2, today=today)
    assert list(DailyFigures.objects.values_list("day", "logged")) == [(date(2026, 10, 5), 1)]
    assert figures_as_of() is not None


def test_command(history, highfield):
    out = StringIO()
    call_command("rollup_service_levels", "--since", "2026-09-01", "--until", "2026-09-30", "--school", "highfield",
                 stdout=out)  # fmt: skip
    assert "rebuilt" in out.getvalue()
    assert set(DailyFigures.objects.values_list("school", flat=True)) == {highfield.pk}
    assert DailyFigures.objects.filter(day__gte=date(2026, 10, 1)).count() == 0
    with pytest.raises(CommandError, match="nowhere"):
        call_command("rollup_service_levels", "--since", "2026-09-01", "--school", "nowhere")


def test_truncdate_matches_python_on_this_database(history):
    """Guard for the backend: the database's London day of each creation is Python's."""
    for created, day in Incident.objects.annotate(day=TruncDate("created_at", tzinfo=LONDON)).values_list(
        "created_at", "day"
    ):
        assert created.astimezone(LONDON).date() == day


def test_beat_runs_the_rollups(highfield, staff, log_incident):
    from fits.schedules import DEFAULT_SCHEDULES
    from servicelevels import tasks

    tasks_scheduled = {schedule.task: schedule.crontab for schedule in DEFAULT_SCHEDULES}
    assert tasks_scheduled["servicelevels.tasks.rollup_recent"] == "*/15 * * * *"
    assert "servicelevels.tasks.rollup_week" in tasks_scheduled
    ticket(highfield, staff, log_incident, created=at(timezone.localdate().isoformat(), 10))
    assert tasks.rollup_recent.delay().get() == 1
    assert tasks.rollup_week.delay().get() == 1
    assert DailyFigures.objects.get(school=highfield).logged == 1


def test_as_of_falls_back_on_the_beat_schedule(highfield):
    from django.core.cache import cache
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from servicelevels.rollups import AS_OF_KEY

    cache.delete(AS_OF_KEY)
    assert figures_as_of() is None
    every = IntervalSchedule.objects.create(every=15, period="minutes")
    sent = at("2026-10-06", 9, 15)
    PeriodicTask.objects.create(name="rollup", task="servicelevels.tasks.rollup_recent", interval=every,
                                last_run_at=sent)  # fmt: skip
    assert figures_as_of() == sent
