"""Agreements: drafting, targets ("30 min", "4 h", "2 d"), the workflow (one agreed SLA per service), reviews."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models.signals import pre_save
from django.urls import reverse
from django.utils import timezone

from fits.models import Activity
from fits.scoping import refuse_links_to_other_schools
from servicelevels import services
from servicelevels.durations import duration_words, parse_duration
from servicelevels.models import Agreement, ServiceTarget


def draft(school, actor, name="Highfield SLA", **fields) -> Agreement:
    today = timezone.localdate()
    return services.agreement_create(
        school=school, actor=actor, name=name, owner=actor, starts=today, review_date=today + timedelta(days=365),
        **fields,
    )  # fmt: skip


@pytest.fixture
def sla(highfield, netmgr) -> Agreement:
    agreement = draft(highfield, netmgr)
    services.agreement_copy_built_in_targets(agreement=agreement, actor=netmgr)
    return agreement


@pytest.mark.parametrize(
    ("text", "hours", "minutes"),
    [
        ("30 min", "school_hours", 30),
        ("4 h", "school_hours", 240),
        ("2 d", "school_hours", 960),
        ("2 d", "around_the_clock", 2880),
        ("1 d 4 h", "school_hours", 720),
        ("1.5h", "school_hours", 90),
        ("45", "school_hours", 45),
    ],
)
def test_durations_are_read_with_the_clocks_day(text, hours, minutes):
    assert parse_duration(text, hours=hours) == minutes


@pytest.mark.parametrize("text", ["", "soon", "4 weeks", "0 min", "h 4"])
def test_unreadable_durations_are_refused(text):
    with pytest.raises(ValueError):
        parse_duration(text)


def test_durations_in_words():
    assert duration_words(30) == "30 min"
    assert duration_words(960) == "2 d"
    assert duration_words(960, hours="around_the_clock") == "16 h"
    assert duration_words(24 * 60 + 90, hours="around_the_clock") == "1 d 1 h 30 min"


def test_copy_the_built_in_targets(sla):
    rows = list(sla.targets.values_list("priority", "response_minutes", "resolution_minutes"))
    assert rows == [(1, 30, 240), (2, 60, 480), (3, 240, 1440), (4, 480, 2400), (5, 960, 4800)]


def test_agree_records_who_and_when(sla, netmgr, leader):
    agreement = services.agreement_transition(agreement=sla, action="agree", actor=leader)
    assert agreement.status == "agreed" and agreement.agreed_by == leader and agreement.agreed_at is not None
    entry = Activity.objects.filter(object_id=sla.pk, kind="status").get()
    assert entry.changes == {"status": ["draft", "agreed"]}


def test_an_agreement_without_targets_is_not_agreed(highfield, netmgr):
    empty = draft(highfield, netmgr, name="Empty")
    with pytest.raises(ValidationError, match="Set the agreement's targets"):
        services.agreement_transition(agreement=empty, action="agree", actor=netmgr)


def test_one_agreed_sla_per_service_names_the_other(sla, highfield, netmgr):
    services.agreement_transition(agreement=sla, action="agree", actor=netmgr)
    second = draft(highfield, netmgr, name="New SLA")
    services.agreement_copy_built_in_targets(agreement=second, actor=netmgr)
    with pytest.raises(ValidationError, match="“Highfield SLA” is already the agreed SLA"):
        services.agreement_transition(agreement=second, action="agree", actor=netmgr)
    services.agreement_transition(agreement=second, action="agree", actor=netmgr, retire_others=True)
    sla.refresh_from_db()
    assert sla.status == "retired" and sla.ends == timezone.localdate()


def test_slas_for_different_services_live_side_by_side(highfield, netmgr):
    mail = services.it_service_create(school=highfield, actor=netmgr, name="Mail")
    wifi = services.it_service_create(school=highfield, actor=netmgr, name="Wi-Fi")
    for name, service in (("Mail SLA", mail), ("Wi-Fi SLA", wifi)):
        agreement = draft(highfield, netmgr, name=name, services=[service])
        services.agreement_copy_built_in_targets(agreement=agreement, actor=netmgr)
        services.agreement_transition(agreement=agreement, action="agree", actor=netmgr)
    assert Agreement.objects.filter(status="agreed").count() == 2
    # An OLA beside them is no clash: the rule is about SLAs.
    ola = draft(highfield, netmgr, name="ICT team OLA", kind="ola")
    services.agreement_copy_built_in_targets(agreement=ola, actor=netmgr)
    services.agreement_transition(agreement=ola, action="agree", actor=netmgr)


def test_the_workflow_refuses_moves_it_does_not_have(sla, netmgr):
    with pytest.raises(ValidationError, match="Cannot retire a record that is draft"):
        services.agreement_transition(agreement=sla, action="retire", actor=netmgr)
    services.agreement_transition(agreement=sla, action="agree", actor=netmgr)
    revised = services.agreement_transition(agreement=sla, action="revise", actor=netmgr, note="New priorities")
    assert revised.status == "draft"


def test_only_managers_agree(sla, tech, consultant):
    for person in (tech, consultant):
        with pytest.raises(PermissionDenied):
            services.agreement_transition(agreement=sla, action="agree", actor=person)


def test_changes_to_an_agreed_agreement_refresh_the_clocks(
    sla, netmgr, monkeypatch, django_capture_on_commit_callbacks
):
    from servicelevels import sla as clock

    asked = []
    monkeypatch.setattr(clock, "schedule_refresh", lambda ids: asked.append(sorted(ids)))
    services.agreement_transition(agreement=sla, action="agree", actor=netmgr)
    rows = [services.TargetRow(priority=1, response_minutes=15, resolution_minutes=120)]
    services.agreement_targets_set(agreement=sla, actor=netmgr, targets=rows)
    services.agreement_update(agreement=sla, actor=netmgr, warning_percent=80)
    assert asked == [[sla.school_id]] * 3


def test_targets_refuse_resolution_before_response_and_duplicates(sla, netmgr):
    with pytest.raises(ValidationError, match="resolution cannot be due before the response"):
        services.agreement_targets_set(
            agreement=sla, actor=netmgr,
            targets=[services.TargetRow(priority=1, response_minutes=60, resolution_minutes=30)],
        )  # fmt: skip
    with pytest.raises(ValidationError, match="given twice"):
        services.agreement_targets_set(
            agreement=sla, actor=netmgr,
            targets=[services.TargetRow(priority=1, response_minutes=6, resolution_minutes=30)] * 2,
        )  # fmt: skip
    assert sla.targets.count() == 5  # unchanged


def test_targets_of_another_schools_service_are_refused(sla, riverside, netmgr, admin_user):
    theirs = services.it_service_create(school=riverside, actor=admin_user, name="Their mail")
    with pytest.raises(ValidationError, match="belongs to another school"):
        services.agreement_targets_set(
            agreement=sla, actor=netmgr,
            targets=[services.TargetRow(priority=1, response_minutes=6, resolution_minutes=30, service=theirs)],
        )  # fmt: skip


def test_review_records_a_note_and_the_next_date(sla, netmgr):
    next_review = timezone.localdate() + timedelta(days=200)
    services.agreement_review(agreement=sla, actor=netmgr, note="Targets met; keep them.", next_review=next_review)
    sla.refresh_from_db()
    assert sla.review_date == next_review
    entry = Activity.objects.filter(object_id=sla.pk, text__startswith="Reviewed").get()
    assert entry.changes["review_date"][1] == next_review.isoformat()
    with pytest.raises(ValidationError):
        services.agreement_review(agreement=sla, actor=netmgr, note="", next_review=next_review)


def test_review_badges():
    today = date(2026, 11, 24)
    assert services.review_badge(today - timedelta(days=3), today=today) == ("overdue", "review overdue by 3 days")
    assert services.review_badge(today + timedelta(days=12), today=today) == ("due", "review due in 12 days")
    assert services.review_badge(today + timedelta(days=90), today=today) is None


# --- The pages ---------------------------------------------------------------------------------


def test_targets_formset_reads_durations_and_shows_them_in_words(sla, netmgr, client_for):
    client = client_for(netmgr)
    url = reverse("servicelevels:agreement_targets", args=[sla.pk])
    page = client.get(url).content.decode()
    assert 'value="30 min"' in page and 'value="3 d"' in page and "A day (d) is 8 hours of school time" in page
    data = {"targets-TOTAL_FORMS": "3", "targets-INITIAL_FORMS": "0", "targets-MIN_NUM_FORMS": "0",
            "targets-MAX_NUM_FORMS": "60",
            "targets-0-priority": "1", "targets-0-response": "15 min", "targets-0-resolution": "2 h",
            "targets-1-priority": "2", "targets-1-response": "1 h", "targets-1-resolution": "1 d",
            "targets-2-priority": ""}  # fmt: skip
    response = client.post(url, data)
    assert response.status_code == 302
    assert list(sla.targets.values_list("priority", "response_minutes", "resolution_minutes")) == [
        (1, 15, 120),
        (2, 60, 480),
    ]
    data["targets-1-resolution"] = "tomorrow"
    response = client.post(url, data)
    assert response.status_code == 200 and "Cannot read" in response.content.decode()


def test_detail_page_shows_targets_clock_and_actions(sla, netmgr, tech, client_for):
    page = client_for(netmgr).get(sla.get_absolute_url()).content.decode()
    assert "School hours, all year" in page and "4 h" in page and ">Agree</button>" in page
    assert ">Agree</button>" not in client_for(tech).get(sla.get_absolute_url()).content.decode()


def test_agreeing_through_the_page_with_the_replacement_ticked(sla, highfield, netmgr, client_for):
    services.agreement_transition(agreement=sla, action="agree", actor=netmgr)
    second = draft(highfield, netmgr, name="Second")
    services.agreement_copy_built_in_targets(agreement=second, actor=netmgr)
    client = client_for(netmgr)
    page = client.get(second.get_absolute_url()).content.decode()
    assert "Agreeing this one must retire it" in page
    url = reverse("servicelevels:agreement_transition", args=[second.pk, "agree"])
    messages = client.post(url, {}, follow=True).content.decode()
    assert "is already the agreed SLA" in messages
    client.post(url, {"retire_others": "on"})
    assert Agreement.objects.get(pk=second.pk).status == "agreed"
    assert Agreement.objects.get(pk=sla.pk).status == "retired"


def test_list_filters_and_badges(sla, highfield, netmgr, client_for):
    services.agreement_update(agreement=sla, actor=netmgr, review_date=timezone.localdate() + timedelta(days=10))
    draft(highfield, netmgr, name="Printing contract", kind="contract", supplier="PrintCo")
    client = client_for(netmgr)
    page = client.get(reverse("servicelevels:agreement_list")).content.decode()
    assert "Highfield SLA" in page and "Printing contract" in page and "review due in 10 days" in page
    contracts = client.get(reverse("servicelevels:agreement_list") + "?kind=contract").content.decode()
    assert "Printing contract" in contracts and "Highfield SLA" not in contracts
    due = client.get(reverse("servicelevels:agreement_list") + "?review=due").content.decode()
    assert "Highfield SLA" in due and "Printing contract" not in due


def test_create_page(highfield, netmgr, client_for):
    today = timezone.localdate()
    response = client_for(netmgr).post(
        reverse("servicelevels:agreement_create"),
        {"school": highfield.pk, "kind": "sla", "name": "Staff SLA", "hours": "school_hours", "warning_percent": 75,
         "escalation_percent": 150, "starts": today, "review_date": today + timedelta(days=300), "owner": netmgr.pk},
    )  # fmt: skip
    agreement = Agreement.objects.get(name="Staff SLA")
    assert response.status_code == 302 and agreement.status == "draft" and agreement.owner == netmgr
    assert ServiceTarget.objects.filter(agreement=agreement).count() == 0


def test_field_history_names_related_records_the_reader_may_see(sla, highfield, netmgr, leader, riverside):
    from incidents.models import SupportGroup
    from servicelevels.selectors import field_history

    team = SupportGroup.objects.create(school=highfield, name="Highfield ICT team")
    services.agreement_update(agreement=sla, actor=netmgr, provider_group=team, owner=leader,
                              review_date=date(2027, 1, 23))  # fmt: skip
    changes = dict((label, (old, new)) for label, old, new in field_history(sla, netmgr)[0]["changes"])
    assert changes["Provider"] == (None, "Highfield ICT team")
    assert changes["Owner"][1] == str(leader)
    assert changes["Review date"][1] == "23 Jan 2027"

    # Another school's group is never named, even if an old version points at it.
    elsewhere = SupportGroup.objects.create(school=riverside, name="Riverside secret team")
    Agreement.objects.filter(pk=sla.pk).update(provider_group=elsewhere)
    sla.refresh_from_db()
    # A version pointing at it, as one written before links were guarded (fits.scoping) could be.
    guard = {"sender": Agreement, "dispatch_uid": "school-links-servicelevels.Agreement"}
    pre_save.disconnect(**guard)
    try:
        sla.save()
    finally:
        pre_save.connect(refuse_links_to_other_schools, **guard)
    text = str(field_history(sla, netmgr))
    assert "Riverside secret team" not in text and "another record" in text
