"""The ICT service catalogue: services, their owner and CMDB service, one default per school, retiring."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from cmdb import services as cmdb
from servicelevels import services
from servicelevels.models import ITService


@pytest.fixture
def email(highfield, netmgr) -> ITService:
    return services.it_service_create(
        school=highfield, actor=netmgr, name="Staff mail", purpose="management", owner=netmgr, is_default=True
    )


def test_create_links_the_cmdb_service_and_records_history(highfield, netmgr, tech):
    ci = cmdb.ci_create(
        school=highfield, actor=tech, kind="service", name="Learning platform", attributes={"purpose": "learning"}
    )
    service = services.it_service_create(
        school=highfield, actor=netmgr, name="  Learning platform ", ci=ci, purpose="learning",
        availability_target=Decimal("99.5"),
    )  # fmt: skip
    assert service.name == "Learning platform" and service.ci == ci
    services.it_service_update(service=service, actor=netmgr, availability_target=Decimal("98"))
    history = list(service.history.order_by("history_date"))
    assert [row.availability_target for row in history] == [Decimal("99.5"), Decimal("98")]
    assert history[-1].history_user == netmgr


def test_the_cmdb_link_must_be_a_service_of_the_same_school(highfield, riverside, netmgr, tech, tech2):
    pc = cmdb.ci_create(school=highfield, actor=tech, kind="desktop", name="PC 1")
    with pytest.raises(ValidationError, match="not a service in the CMDB"):
        services.it_service_create(school=highfield, actor=netmgr, name="Desktops", ci=pc)
    elsewhere = cmdb.ci_create(
        school=riverside, actor=tech2, kind="service", name="Their VLE", attributes={"purpose": "learning"}
    )
    with pytest.raises(ValidationError, match="belongs to another school"):
        services.it_service_create(school=highfield, actor=netmgr, name="VLE", ci=elsewhere)


def test_one_default_service_per_school_with_a_clear_error(email, highfield, riverside, netmgr, admin_user):
    with pytest.raises(ValidationError, match="Staff mail is already the default service of"):
        services.it_service_create(school=highfield, actor=netmgr, name="Printing", is_default=True)
    other = services.it_service_create(school=riverside, actor=admin_user, name="Printing", is_default=True)
    assert other.is_default  # another school has its own default
    with pytest.raises(ValidationError, match="make another one the default"):
        services.it_service_retire(service=email, actor=netmgr)


def test_only_managers_change_the_catalogue(highfield, tech, consultant):
    for person in (tech, consultant):
        with pytest.raises(PermissionDenied):
            services.it_service_create(school=highfield, actor=person, name="Wi-Fi")
    assert not ITService.objects.exists()


def test_retire_keeps_it_but_hides_it_from_the_list(highfield, netmgr, client_for):
    wifi = services.it_service_create(school=highfield, actor=netmgr, name="Wi-Fi", purpose="infrastructure")
    services.it_service_retire(service=wifi, actor=netmgr)
    wifi.refresh_from_db()
    assert wifi.is_active is False
    page = client_for(netmgr).get(reverse("servicelevels:service_list")).content.decode()
    assert "Wi-Fi" not in page
    assert "Wi-Fi" in client_for(netmgr).get(reverse("servicelevels:service_list") + "?retired=1").content.decode()


def test_list_is_grouped_by_purpose_and_scoped(email, highfield, netmgr, tech2, staff, client_for):
    services.it_service_create(school=highfield, actor=netmgr, name="Lesson resources", purpose="teaching")
    page = client_for(netmgr).get(reverse("servicelevels:service_list")).content.decode()
    assert "Management and administration" in page and "Teaching" in page and "Staff mail" in page
    filtered = client_for(netmgr).get(reverse("servicelevels:service_list") + "?purpose=teaching").content.decode()
    assert "Lesson resources" in filtered and "Staff mail" not in filtered
    assert "Staff mail" not in client_for(tech2).get(reverse("servicelevels:service_list")).content.decode()
    assert client_for(staff).get(reverse("servicelevels:service_list")).status_code == 404


def test_create_page_calls_the_service_and_shows_its_errors(email, highfield, netmgr, client_for):
    client = client_for(netmgr)
    data = {"school": highfield.pk, "name": "Printing", "purpose": "management", "hours": "school_hours",
            "availability_target": "99", "is_default": "on"}  # fmt: skip
    response = client.post(reverse("servicelevels:service_create"), data)
    assert response.status_code == 200 and "already the default service" in response.content.decode()
    data.pop("is_default")
    response = client.post(reverse("servicelevels:service_create"), data)
    printing = ITService.objects.get(name="Printing")
    assert response.status_code == 302 and response["Location"] == printing.get_absolute_url()
    detail = client.get(printing.get_absolute_url()).content.decode()
    assert "No agreement covers it" in detail and "recorded it" in detail


def test_edit_page_is_read_only_for_who_may_not_change_it(email, tech, client_for):
    page = client_for(tech).get(reverse("servicelevels:service_edit", args=[email.pk]))
    assert page.status_code == 200 and "<fieldset disabled>" in page.content.decode()
    client_for(tech).post(reverse("servicelevels:service_edit", args=[email.pk]), {"name": "Hacked"})
    email.refresh_from_db()
    assert email.name == "Staff mail"
