"""The demo's service levels and its school year of history (servicelevels.demo, run by seed_demo)."""

from __future__ import annotations

import time as clock_time
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Q
from django.utils import timezone

from fits.models import School
from incidents.models import Incident, Status, TicketKind
from servicelevels import demo
from servicelevels.calendars import business_calendar
from servicelevels.clock import add_business_time
from servicelevels.models import (
    Agreement,
    ClockEvent,
    DailyFigures,
    ITService,
    ServiceTarget,
    Subscription,
    SupportPackage,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_data(seeded_demo, db) -> str:
    return seeded_demo


def history(**filters):
    """The seeded history: tickets logged before the demo week."""
    return Incident.objects.filter(created_at__lt=timezone.now() - timedelta(days=8), **filters)


def in_term(school: School, start: date, end: date) -> int:
    """School days (in term, weekdays) from start to end inclusive, by the school's calendar."""
    terms = business_calendar(school, term_time_only=True)
    days = (start + timedelta(days=n) for n in range((end - start).days + 1))
    return sum(1 for day in days if day.weekday() < 5 and terms.is_open_day(day))


def test_each_school_has_a_catalogue_linked_to_the_cmdb(demo_data):
    for school in School.objects.all():
        services = ITService.objects.filter(school=school)
        assert services.count() == len(demo.SERVICES)
        assert services.filter(is_default=True).count() == 1
        mis = services.get(name="MIS (SIMS)")
        assert mis.ci is not None and mis.ci.kind == "service" and mis.ci.school_id == school.pk
    highfield = ITService.objects.filter(school__slug="highfield")
    assert highfield.get(name="MIS (SIMS)").owner.username == "leader"
    assert highfield.get(name="E-mail").owner.username == "netmgr"


def test_bolton_sells_three_packages_and_its_schools_subscribe(demo_data):
    packages = SupportPackage.objects.filter(authority__slug="bolton", school=None)
    assert list(packages.values_list("name", flat=True)) == ["Bronze", "Silver", "Gold"]
    gold = packages.get(name="Gold")
    assert gold.targets["1"] == {"response": 30, "resolution": 240}
    subscriptions = dict(Subscription.objects.values_list("school__slug", "package__name"))
    assert subscriptions == {"highfield": "Gold", "riverside": "Silver"}


def test_each_school_has_an_agreed_sla_and_review_dates_are_spread(demo_data):
    today = timezone.localdate()
    for school in School.objects.all():
        sla = Agreement.objects.get(school=school, kind=Agreement.Kind.SLA)
        assert sla.status == Agreement.Status.AGREED and sla.agreed_by is not None
        assert sla.targets.filter(service=None).count() == 5
    highfield = Agreement.objects.filter(school__slug="highfield")
    assert set(highfield.values_list("kind", flat=True)) == {"sla", "ola", "contract"}
    assert highfield.filter(kind="contract").count() == 2
    sla = highfield.get(kind="sla")
    assert sla.subscription.package.name == "Gold" and sla.agreed_by.username == "leader"
    # The MIS has its own, faster P2 target.
    assert ServiceTarget.objects.get(agreement=sla, service__name="MIS (SIMS)").resolution_minutes == 240
    reviews = list(Agreement.objects.values_list("review_date", flat=True)) + list(
        Subscription.objects.values_list("review_date", flat=True)
    )
    assert sum(day < today for day in reviews) == 1, "one review is overdue"
    assert sum(today <= day <= today + timedelta(days=14) for day in reviews) == 1, "one is due in a fortnight"


def test_history_starts_with_the_school_year_and_reaches_today(demo_data):
    highfield = School.objects.get(slug="highfield")
    tickets = history(school=highfield)
    first = timezone.localtime(tickets.order_by("created_at").first().created_at).date()
    assert demo.HISTORY_START <= first <= demo.HISTORY_START + timedelta(days=7)
    assert Incident.objects.filter(school=highfield).count() > 1500
    # ~6-10 calls a school day in the 2026 summer term, only a trickle in the summer holiday.
    summer = history(school=highfield, created_at__date__range=(date(2026, 4, 13), date(2026, 7, 22))).count()
    per_day = summer / in_term(highfield, date(2026, 4, 13), date(2026, 7, 22))
    assert 5 <= per_day <= 11, per_day
    holiday = history(school=highfield, created_at__date__range=(date(2026, 7, 27), date(2026, 8, 28))).count()
    assert holiday < summer / 10
    # Westfield is quieter.
    assert history(school__slug="westfield").count() < tickets.count() / 1.5


def test_history_mix_priorities_requests_first_contact_and_satisfaction(demo_data):
    tickets = history()
    total = tickets.count()
    by_priority = tickets.count_by("priority")
    assert by_priority[3] + by_priority[4] > total * 0.6, by_priority
    assert 0.10 <= tickets.filter(kind=TicketKind.REQUEST).count() / total <= 0.16
    resolved = tickets.filter(resolved_at__isnull=False)
    assert resolved.filter(resolved_at_first_contact=True).count() > total * 0.05
    assert resolved.filter(reopen_count__gt=0).exists()
    rated = resolved.filter(satisfaction__isnull=False)
    assert 0.33 <= rated.count() / resolved.count() <= 0.47
    assert rated.filter(satisfaction__gte=4).count() > rated.count() / 2
    open_now = tickets.exclude(status__in=(Status.RESOLVED, Status.CLOSED))
    assert 0 < open_now.count() < 80
    assert open_now.filter(resolution_due_at__lt=timezone.now()).exists(), "some are past due"


def test_spring_is_the_bad_term_and_autumn_2026_the_best(demo_data):
    def in_time(start, end):
        figures = history(school__slug="highfield", resolved_at__date__range=(start, end)).aggregate(
            n=Count("pk"), met=Count("pk", filter=Q(resolution_met=True))
        )
        return figures["met"] / figures["n"]

    autumn, spring = in_time(date(2025, 9, 1), date(2025, 12, 31)), in_time(date(2026, 1, 1), date(2026, 3, 31))
    summer, now = in_time(date(2026, 4, 1), date(2026, 8, 31)), in_time(date(2026, 9, 1), date(2026, 11, 1))
    assert spring < autumn - 0.08 and spring < summer - 0.1 and now > spring + 0.15
    outage = history(school__slug="highfield", service__name="MIS (SIMS)", created_at__date__range=demo.OUTAGE_WEEK)
    assert outage.count() >= 15 and outage.filter(priority=1).exists()


def test_met_flags_follow_the_due_times_and_breaches_match_them(demo_data):
    tickets = history().filter(resolved_at__isnull=False)
    assert not tickets.filter(response_met=True, first_response_at__gt=F("response_due_at")).exists()
    assert not tickets.filter(response_met=False, first_response_at__lte=F("response_due_at")).exists()
    assert not tickets.filter(resolution_met=True, resolved_at__gt=F("resolution_due_at")).exists()
    assert not tickets.filter(resolution_met=False, resolved_at__lte=F("resolution_due_at")).exists()
    breached = set(
        ClockEvent.objects.filter(clock="resolution", level="breach", incident__in=tickets).values_list(
            "incident_id", flat=True
        )
    )
    assert breached == set(tickets.filter(resolution_met=False).values_list("pk", flat=True))
    missed_responses = set(tickets.filter(response_met=False).values_list("pk", flat=True))
    assert missed_responses == set(
        ClockEvent.objects.filter(clock="response", level="breach", incident__in=tickets).values_list(
            "incident_id", flat=True
        )
    )
    assert ClockEvent.objects.filter(level="escalation").exists()
    event = ClockEvent.objects.filter(level="breach").first()
    assert event.recorded_at == event.reached_at == event.due_at


def test_due_times_are_the_sla_clock_over_the_school_calendar(demo_data):
    """The due times agree with servicelevels.clock over the real calendar (not the demo's fast copy)."""
    for slug in ("highfield", "riverside"):
        school = School.objects.get(slug=slug)
        sla = Agreement.objects.get(school=school, kind="sla")
        calendar = business_calendar(school, term_time_only=sla.term_time_only, hours=sla.hours)
        targets = {(t.priority, t.service_id): t for t in sla.targets.all()}
        sample = history(school=school, agreement=sla).order_by("pk")[::97]
        assert len(sample) > 10
        for ticket in sample:
            target = targets.get((ticket.priority, ticket.service_id)) or targets[(ticket.priority, None)]
            expected = add_business_time(calendar, ticket.created_at, timedelta(minutes=target.resolution_minutes))
            assert ticket.resolution_due_at == expected, ticket.reference
            expected = add_business_time(calendar, ticket.created_at, timedelta(minutes=target.response_minutes))
            assert ticket.response_due_at == expected, ticket.reference


def test_references_follow_the_schools_sequence(demo_data):
    highfield = School.objects.get(slug="highfield")
    references = list(Incident.objects.filter(school=highfield, kind="incident").values_list("reference", flat=True))
    assert len(references) == len(set(references))
    numbers = sorted(int(ref.split("-")[1]) for ref in references)
    assert numbers == list(range(1, len(numbers) + 1))


def test_rollups_are_built_for_the_history(demo_data):
    figures = DailyFigures.objects.filter(school__slug="highfield", day__lt=date(2026, 1, 1))
    logged = sum(figures.values_list("logged", flat=True))
    assert logged == Incident.objects.filter(school__slug="highfield", created_at__date__lt=date(2026, 1, 1)).count()


def test_seeding_again_adds_nothing(demo_data):
    models = (ITService, SupportPackage, Subscription, Agreement, ServiceTarget, Incident, ClockEvent, DailyFigures)
    before = {model.__name__: model.objects.count() for model in models}
    out = StringIO()
    started = clock_time.perf_counter()
    call_command("seed_demo", stdout=out)
    assert clock_time.perf_counter() - started < 30
    assert "Service levels: already set up." in out.getvalue()
    assert "Service history: already there." in out.getvalue()
    assert {model.__name__: model.objects.count() for model in models} == before


def test_history_tickets_have_a_timeline_dated_like_the_ticket(demo_data):
    from fits.models import Activity

    ticket = history(school__slug="highfield", status=Status.CLOSED, resolved_at_first_contact=False).first()
    timeline = Activity.objects.filter(content_type__model="incident", object_id=ticket.pk).order_by("created_at")
    assert [entry.kind for entry in timeline] == ["created", "status", "status", "status"]
    assert [entry.created_at for entry in timeline] == [
        ticket.created_at,
        ticket.first_response_at,
        ticket.resolved_at,
        ticket.closed_at,
    ]
    assert timeline.last().changes == {"status": ["resolved", "closed"]}
    # The timestamps the seed switched off for bulk_create are back on.
    assert Incident._meta.get_field("created_at").auto_now_add
    assert Incident._meta.get_field("updated_at").auto_now


def test_the_set_up_is_dated_before_the_history(demo_data):
    from fits.models import Activity

    sla = Agreement.objects.get(school__slug="highfield", kind="sla")
    start = timezone.make_aware(timezone.datetime.combine(demo.HISTORY_START, timezone.datetime.min.time()))
    assert sla.agreed_at < start and sla.created_at < start
    assert max(sla.history.values_list("history_date", flat=True)) < start
    timeline = Activity.objects.filter(content_type__model="agreement", object_id=sla.pk)
    assert timeline.exists() and not timeline.filter(created_at__gte=start).exists()
    assert not ITService.objects.filter(created_at__gte=start).exists()
