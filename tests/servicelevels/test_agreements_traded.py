"""The LEA's traded services (support packages, subscriptions that draft the school's SLA) and review reminders."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from fits.models import Notification
from incidents.services import support_group_save
from servicelevels import services
from servicelevels.models import Agreement, SupportPackage

TODAY = date(2026, 11, 24)
GOLD_TARGETS = {"1": {"response": 15, "resolution": 120}, "2": {"response": 60, "resolution": 480}}


@pytest.fixture
def gold(bolton, consultant) -> SupportPackage:
    return services.support_package_create(
        authority=bolton, actor=consultant, name="Gold", annual_price=Decimal("4500"), consultancy_days=6,
        technician_days=38, targets=GOLD_TARGETS,
    )  # fmt: skip


def subscribe(school, package, actor, **extra):
    return services.subscription_create(
        school=school, package=package, actor=actor, starts=date(2026, 9, 1), ends=date(2027, 8, 31),
        review_date=date(2027, 4, 1), **extra,
    )  # fmt: skip


def test_packages_are_kept_by_the_authoritys_consultants(bolton, wigan, consultant, netmgr, outsider):
    with pytest.raises(PermissionDenied):
        services.support_package_create(authority=bolton, actor=netmgr, name="Bronze")
    with pytest.raises(PermissionDenied):
        services.support_package_create(authority=wigan, actor=consultant, name="Bronze")
    with pytest.raises(ValidationError, match="resolution cannot be due before the response"):
        services.support_package_create(
            authority=bolton, actor=consultant, name="Odd", targets={"1": {"response": 60, "resolution": 5}}
        )


def test_subscription_drafts_the_schools_sla_from_the_package(gold, bolton, highfield, consultant, admin_user):
    unit = support_group_save(actor=admin_user, authority=bolton, name="Bolton Schools ICT", kind="authority")
    subscription = subscribe(highfield, gold, consultant)
    assert subscription.price == Decimal("4500")
    sla = Agreement.objects.get(subscription=subscription)
    assert (sla.kind, sla.status, sla.school, sla.provider_group) == ("sla", "draft", highfield, unit)
    assert list(sla.targets.values_list("priority", "response_minutes", "resolution_minutes")) == [
        (1, 15, 120),
        (2, 60, 480),
    ]


def test_overlapping_subscriptions_and_other_authorities_packages_are_refused(
    gold, highfield, westfield, consultant, admin_user
):
    subscribe(highfield, gold, consultant)
    with pytest.raises(ValidationError, match="already has"):
        subscribe(highfield, gold, consultant)
    with pytest.raises(ValidationError, match="not offered to"):
        subscribe(westfield, gold, admin_user)
    with pytest.raises(PermissionDenied):
        subscribe(westfield, gold, consultant)


def test_package_page_edits_targets_per_priority_never_raw_json(gold, consultant, netmgr, client_for):
    url = reverse("servicelevels:package_edit", args=[gold.pk])
    page = client_for(consultant).get(url).content.decode()
    assert 'name="p1_response"' in page and 'value="15 min"' in page and "{&quot;" not in page
    data = {"name": "Gold", "annual_price": "4600", "consultancy_days": 6, "technician_days": 38,
            "hours": "school_hours", "is_active": "on", "p1_response": "10 min", "p1_resolution": "1 d",
            "p3_response": "4 h", "p3_resolution": "3 d"}  # fmt: skip
    assert client_for(consultant).post(url, data).status_code == 302
    gold.refresh_from_db()
    assert gold.targets == {"1": {"response": 10, "resolution": 480}, "3": {"response": 240, "resolution": 1440}}
    # The school's leaders and network manager read it; they cannot change it.
    page = client_for(netmgr).get(url).content.decode()
    assert "<fieldset disabled>" in page
    client_for(netmgr).post(url, {**data, "annual_price": "1"})
    gold.refresh_from_db()
    assert gold.annual_price == Decimal("4600")


def test_subscriptions_page_lists_every_school_with_its_package(gold, highfield, riverside, consultant, client_for):
    subscribe(highfield, gold, consultant)
    page = client_for(consultant).get(reverse("servicelevels:subscription_list")).content.decode()
    assert "Highfield" in page and "Riverside" in page and "Gold" in page


def test_subscription_page_creates_and_opens_the_draft_sla(gold, highfield, consultant, client_for):
    data = {"school": highfield.pk, "package": gold.pk, "starts": "2026-09-01", "ends": "2027-08-31",
            "review_date": "2027-04-01"}  # fmt: skip
    response = client_for(consultant).post(reverse("servicelevels:subscription_create"), data)
    sla = Agreement.objects.get()
    assert response.status_code == 302 and response["Location"] == sla.get_absolute_url()


# --- Review reminders ----------------------------------------------------------------------------


def test_reminders_go_30_and_7_days_before_and_when_overdue_each_once(highfield, netmgr, leader, gold, consultant):
    services.agreement_create(
        school=highfield, actor=netmgr, name="Highfield SLA", owner=leader, starts=TODAY - timedelta(days=300),
        review_date=TODAY + timedelta(days=30),
    )  # fmt: skip
    told = lambda: list(Notification.objects.filter(event="review_due").values_list("recipient__username", flat=True))  # noqa: E731
    assert services.reviews_remind(today=TODAY - timedelta(days=1)) == 0
    assert services.reviews_remind(today=TODAY) == 1
    assert services.reviews_remind(today=TODAY) == 0  # once
    assert services.reviews_remind(today=TODAY + timedelta(days=10)) == 0  # the 30-day one is sent
    assert services.reviews_remind(today=TODAY + timedelta(days=23)) == 1  # 7 days before
    assert services.reviews_remind(today=TODAY + timedelta(days=31)) == 1  # overdue
    assert services.reviews_remind(today=TODAY + timedelta(days=40)) == 0
    assert told() == ["leader"] * 3
    notification = Notification.objects.filter(event="review_due").first()
    assert notification.title == "Review due: Highfield SLA" and "overdue" in notification.text


def test_consultants_hear_of_subscription_reviews(gold, highfield, consultant):
    subscription = subscribe(highfield, gold, consultant)
    Agreement.objects.filter(subscription=subscription).update(review_date=date(2027, 8, 1))
    told = services.reviews_remind(today=subscription.review_date - timedelta(days=7))
    assert told == 1
    assert Notification.objects.get(event="review_due").recipient == consultant


def test_the_task_is_scheduled_daily(db):
    from fits.schedules import DEFAULT_SCHEDULES
    from servicelevels.tasks import remind_reviews

    (schedule,) = [s for s in DEFAULT_SCHEDULES if s.task == "servicelevels.tasks.remind_reviews"]
    assert schedule.crontab == "0 8 * * *"
    assert remind_reviews() >= 0
