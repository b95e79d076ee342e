"""The /api/service-levels/ endpoints: scoped reads, writes through the services, foreign keys inside your schools."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from django.utils import timezone

from servicelevels import calendars, services
from servicelevels.models import Agreement, ITService, Subscription

TODAY = timezone.localdate


def refused_on(response) -> set[str]:
    """The fields a 400 names."""
    assert response.status_code == 400, response.content
    return {error.get("attr") for error in response.json()["errors"]}


@pytest.fixture
def mail(highfield, netmgr) -> ITService:
    return services.it_service_create(school=highfield, actor=netmgr, name="Staff mail", purpose="management")


def test_services_are_created_listed_and_retired(highfield, netmgr, tech2, api_for):
    api = api_for(netmgr)
    response = api.post(
        "/api/service-levels/services/", {"school": "highfield", "name": "Wi-Fi", "purpose": "infrastructure"}
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    assert [row["name"] for row in api.get("/api/service-levels/services/").json()["results"]] == ["Wi-Fi"]
    assert api_for(tech2).get("/api/service-levels/services/").json()["results"] == []
    assert api_for(tech2).get(f"/api/service-levels/services/{pk}/").status_code == 404
    assert api.post(f"/api/service-levels/services/{pk}/retire/").json()["is_active"] is False


def test_writes_must_point_inside_your_schools(mail, riverside, netmgr, tech2, admin_user, api_for):
    from cmdb import services as cmdb

    theirs = cmdb.ci_create(
        school=riverside, actor=tech2, kind="service", name="VLE", attributes={"purpose": "learning"}
    )
    api = api_for(netmgr)
    response = api.patch(f"/api/service-levels/services/{mail.pk}/", {"ci": theirs.pk}, format="json")
    assert refused_on(response) == {"ci"}
    response = api.post("/api/service-levels/services/", {"school": "riverside", "name": "Sneaky"})
    assert refused_on(response) == {"school"}
    assert not ITService.objects.filter(name="Sneaky").exists()


def test_agreement_with_nested_targets_agree_and_retire(mail, highfield, netmgr, api_for):
    api = api_for(netmgr)
    response = api.post(
        "/api/service-levels/agreements/",
        {"school": "highfield", "name": "Mail SLA", "starts": str(TODAY()),
         "review_date": str(TODAY() + timedelta(days=90)), "services": [mail.pk]},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    agreement = response.json()
    assert agreement["status"] == "draft" and agreement["services"] == [mail.pk] and agreement["actions"] == ["agree"]
    url = f"/api/service-levels/agreements/{agreement['id']}/"
    refused = api.post(url + "agree/", {}, format="json")
    assert refused.status_code == 400 and "targets" in refused.content.decode()
    targets = [{"priority": 1, "response_minutes": 30, "resolution_minutes": 240},
               {"priority": 1, "service": mail.pk, "ticket_kind": "request", "response_minutes": 60,
                "resolution_minutes": 480}]  # fmt: skip
    body = api.post(url + "targets/", {"targets": targets}, format="json").json()
    assert [(t["priority"], t["service"], t["ticket_kind"]) for t in body["targets"]] == [
        (1, None, ""),
        (1, mail.pk, "request"),
    ]
    agreed = api.post(url + "agree/", {}, format="json").json()
    assert agreed["status"] == "agreed" and agreed["agreed_by"]["username"] == "netmgr"
    assert api.post(url + "retire/", {"note": "Replaced"}, format="json").json()["status"] == "retired"
    api.patch(url, {"status": "draft", "name": "Renamed"}, format="json")  # a retired one is kept as it was
    assert Agreement.objects.get(pk=agreement["id"]).status == "retired"


def test_agreement_writes_refuse_another_schools_rows(mail, riverside, netmgr, admin_user, api_for):
    theirs = services.it_service_create(school=riverside, actor=admin_user, name="Their mail")
    response = api_for(netmgr).post(
        "/api/service-levels/agreements/",
        {"school": "highfield", "name": "X", "starts": str(TODAY()), "review_date": str(TODAY()),
         "services": [theirs.pk]},
        format="json",
    )  # fmt: skip
    assert refused_on(response) == {"services"}
    assert not Agreement.objects.exists()


def test_packages_and_subscriptions(bolton, highfield, consultant, netmgr, api_for):
    api = api_for(consultant)
    response = api.post(
        "/api/service-levels/packages/",
        {"authority": "bolton", "name": "Silver", "annual_price": "3000.00",
         "targets": {"1": {"response": 60, "resolution": 480}}},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    package = response.json()
    assert package["targets"] == {"1": {"response": 60, "resolution": 480}}
    response = api.post(
        "/api/service-levels/subscriptions/",
        {"school": "highfield", "package": package["id"], "starts": "2026-09-01", "ends": "2027-08-31",
         "review_date": "2027-04-01"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    subscription = Subscription.objects.get()
    assert response.json()["agreements"] == [subscription.agreements.get().pk]
    # The school's network manager reads both, and cannot add a package.
    assert len(api_for(netmgr).get("/api/service-levels/packages/").json()["results"]) == 1
    assert len(api_for(netmgr).get("/api/service-levels/subscriptions/").json()["results"]) == 1
    refused = api_for(netmgr).post("/api/service-levels/packages/", {"authority": "bolton", "name": "Tin"})
    assert refused.status_code == 404


def test_calendars_with_hours_and_days(highfield, netmgr, tech2, api_for):
    calendar = calendars.calendar_create(actor=netmgr, school=highfield, name="Highfield hours")
    calendars.working_hours_set(
        calendar=calendar, actor=netmgr, hours={d: [(time(8), time(12)), (time(13), time(16))] for d in range(5)}
    )
    calendars.closure_add(calendar=calendar, actor=netmgr, kind="inset", name="INSET day", starts=date(2026, 9, 1))
    api = api_for(netmgr)
    body = api.get(f"/api/service-levels/calendars/{calendar.pk}/").json()
    assert len(body["hours"]) == 10 and body["closures"][0]["name"] == "INSET day"
    days = api.get(f"/api/service-levels/calendars/{calendar.pk}/days/?from=2026-08-29&to=2026-09-01").json()
    assert [(d["date"], d["kind"]) for d in days] == [
        ("2026-08-29", "weekend"),
        ("2026-08-30", "weekend"),
        ("2026-08-31", "bank_holiday"),
        ("2026-09-01", "inset"),
    ]
    assert (
        api.get(f"/api/service-levels/calendars/{calendar.pk}/days/?from=2026-01-01&to=2028-01-01").status_code == 400
    )
    assert api_for(tech2).get(f"/api/service-levels/calendars/{calendar.pk}/days/").status_code == 404


def test_ict_users_get_nothing(mail, staff, api_for):
    assert api_for(staff).get("/api/service-levels/services/").status_code == 404
    assert api_for(staff).get(f"/api/service-levels/services/{mail.pk}/").status_code == 404
