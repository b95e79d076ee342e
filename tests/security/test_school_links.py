"""A record of one school never points at another school's record (issue 12: iTop CVE-2023-45808 links across
tenants on write).

Choices offer only what the user can see, but someone who works for two schools (a technician the LEA shares,
a consultant, an administrator) can see both: what they send is refused by the floor under every write, the
pre_save and m2m guards of fits.scoping, with a 400 on the API, a form error on pages, and nothing written.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db.models.signals import m2m_changed, pre_save

from cmdb import services as cmdb
from continuity import services as continuity
from finance.models import Expenditure
from fits.models import Membership, Role
from fits.scoping import (
    _school_of,
    is_history,
    refuse_links_to_other_schools,
    refuse_many_to_many_to_other_schools,
    school_links,
)
from incidents.models import Incident, SupportGroup
from tests.conftest import make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared_netmgr(highfield, riverside):
    """A network manager the authority shares between Highfield and Riverside: sees both."""
    person = make_person("shared", school=highfield, role=Role.NETWORK_MANAGER)
    Membership.objects.create(user=person, school=riverside, role=Role.NETWORK_MANAGER)
    return person


@pytest.fixture
def cis(highfield, riverside, shared_netmgr):
    return {
        school.slug: cmdb.ci_create(school=school, actor=shared_netmgr, kind="server", name=f"SRV-{school.slug}")
        for school in (highfield, riverside)
    }


def test_every_school_owned_model_with_links_is_guarded():
    """A new model that links to school-owned records is covered without anyone remembering to: a model or a
    many-to-many table without the guard fails here."""
    unguarded = []
    for model in apps.get_models():
        if _school_of(model) is None or is_history(model):
            continue
        links = school_links(model)
        if any(f.many_to_one for f in links) and refuse_links_to_other_schools not in _receivers(pre_save, model):
            unguarded.append(model._meta.label)
        for field in (f for f in links if f.many_to_many):
            through = field.remote_field.through
            if refuse_many_to_many_to_other_schools not in _receivers(m2m_changed, through):
                unguarded.append(f"{model._meta.label}.{field.name}")
    assert not unguarded, f"Links to school-owned records without the guard: {unguarded}"
    assert len([m for m in apps.get_models() if _school_of(m) and school_links(m)]) > 50


def _receivers(signal, sender) -> list:
    return signal._live_receivers(sender)[0]


def test_the_api_refuses_a_foreign_key_to_another_school_and_writes_nothing(shared_netmgr, cis, api_for):
    api = api_for(shared_netmgr)
    body = {"school": "highfield", "spent_on": "2026-10-01", "item": "RAID disk", "category": "hardware",
            "amount": "180.00", "ci": cis["riverside"].pk}  # fmt: skip
    response = api.post("/api/finance/expenditure/", body, format="json")
    assert response.status_code == 400, response.content
    assert "to another school" in response.content.decode()
    assert not Expenditure.objects.exists()

    body["ci"] = cis["highfield"].pk  # the same request with its own school's server goes through
    assert api.post("/api/finance/expenditure/", body, format="json").status_code == 201
    assert Expenditure.objects.get().amount == Decimal("180.00")


def test_the_api_refuses_many_to_many_links_to_another_school_and_changes_nothing(
    shared_netmgr, highfield, cis, api_for
):
    risk = continuity.risk_save(actor=shared_netmgr, school=highfield, title="Server room floods",
                                category="flood", likelihood=2, impact=5, cis=[cis["highfield"]],
                                review_date=date(2027, 3, 1))  # fmt: skip
    response = api_for(shared_netmgr).patch(
        f"/api/continuity/risks/{risk.pk}/",
        {"title": "Server room floods badly", "cis": [cis["highfield"].pk, cis["riverside"].pk]},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "to another school" in response.content.decode()
    risk.refresh_from_db()
    assert (risk.title, list(risk.cis.all())) == ("Server room floods", [cis["highfield"]])


def test_a_page_refuses_a_foreign_key_to_another_school(shared_netmgr, highfield, riverside, client_for, log_incident):
    incident = log_incident(highfield, by=shared_netmgr)
    group = SupportGroup.objects.create(school=riverside, name="Riverside technicians")
    client = client_for(shared_netmgr)
    response = client.post(f"/incidents/{incident.pk}/assign/", {"group": group.pk, "assignee": ""}, follow=True)
    assert response.status_code in (200, 400)
    incident.refresh_from_db()
    assert incident.group_id != group.pk


def test_every_write_path_meets_the_floor_even_code_that_forgot_to_check(
    highfield, riverside, bolton, wigan, tech, log_incident
):
    incident = log_incident(highfield, by=tech)
    foreign = SupportGroup.objects.create(school=riverside, name="Riverside technicians")
    incident.group = foreign
    with pytest.raises(ValidationError, match="support group belongs to another school"):
        incident.save()
    incident.group_id = foreign.pk  # by id, not loaded: looked up
    with pytest.raises(ValidationError):
        incident.save()

    # Rows the authority shares with its schools may be linked; another authority's may not.
    incident.group = SupportGroup.objects.create(school=None, authority=bolton, name="Bolton LEA support unit")
    incident.save()
    incident.group = SupportGroup.objects.create(school=None, authority=None, name="Everyone's helpline")
    incident.save()
    incident.group = SupportGroup.objects.create(school=None, authority=wigan, name="Wigan LEA support unit")
    with pytest.raises(ValidationError):
        incident.save()
    assert Incident.objects.get(pk=incident.pk).group.name == "Everyone's helpline"
