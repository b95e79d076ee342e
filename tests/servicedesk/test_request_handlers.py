"""Catalogue items carried out by an operations function (servicedesk/handlers.py): the handler hears of a
request when it is ready to act on (logged without approval, or approved) and when it is declined, inside the
request's transaction, and an item can only name a handler that an installed app offers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from servicedesk import handlers, services
from servicedesk.catalogue_starter import LOAN, NEW_STARTER, starter_catalogue_create

pytestmark = pytest.mark.django_db

HEARD: list[tuple[str, str, str]] = []


def record(*, service_request, event):
    """A function's handler, as an app names it on its AppConfig."""
    HEARD.append((service_request.ticket.reference, service_request.request_type.name, event))


def refuse(*, service_request, event):
    raise ValidationError("The directory refuses this account.")


@pytest.fixture
def offered(monkeypatch):
    """Two handlers, as if an installed app offered them."""
    HEARD.clear()
    table = {
        "test.record": ("Record it", f"{__name__}.record"),
        "test.refuse": ("Refuse it", f"{__name__}.refuse"),
    }
    monkeypatch.setattr(handlers, "request_handlers", lambda: table)
    monkeypatch.setattr(services, "request_handlers", lambda: table)
    return table


@pytest.fixture
def catalogue(highfield, desk, leader, netmgr, tech, staff):
    return {item.name: item for item in starter_catalogue_create(school=highfield, actor=desk)}


def starter_answers():
    day = (timezone.localdate() + timedelta(days=5)).isoformat()
    return {"full_name": "Jane Smith", "job_title": "TA", "start_date": day, "accounts": ["E-mail"]}


def test_the_handler_hears_once_the_request_is_approved_or_declined(offered, catalogue, desk, leader):
    item = services.request_type_update(request_type=catalogue[NEW_STARTER], actor=desk, handler="test.record")
    assert item.handler == "test.record" and item.needs_approval
    first = services.request_log(school=item.school, logged_by=desk, request_type=item, answers=starter_answers())
    assert HEARD == [], "nothing to act on while it waits for approval"
    services.request_approve(service_request=first, actor=leader)
    second = services.request_log(school=item.school, logged_by=desk, request_type=item, answers=starter_answers())
    services.request_decline(service_request=second, actor=leader, comment="Not in the budget.")
    assert HEARD == [
        (first.ticket.reference, NEW_STARTER, "ready"),
        (second.ticket.reference, NEW_STARTER, "declined"),
    ]


def test_an_item_without_approval_is_ready_when_logged(offered, catalogue, desk, staff):
    item = services.request_type_update(request_type=catalogue[LOAN], actor=desk, handler="test.record")
    day = (timezone.localdate() + timedelta(days=1)).isoformat()
    logged = services.request_log(
        school=item.school, logged_by=staff, request_type=item,
        answers={"equipment": "Laptop", "quantity": 1, "from_date": day, "to_date": day},
    )  # fmt: skip
    assert HEARD == [(logged.ticket.reference, LOAN, "ready")]


def test_a_handler_that_refuses_leaves_no_request_behind(offered, catalogue, desk, staff):
    from servicedesk.models import ServiceRequest

    item = services.request_type_update(request_type=catalogue[LOAN], actor=desk, handler="test.refuse")
    day = (timezone.localdate() + timedelta(days=1)).isoformat()
    before = ServiceRequest.objects.count()
    with pytest.raises(ValidationError, match="refuses"):
        services.request_log(
            school=item.school, logged_by=staff, request_type=item,
            answers={"equipment": "Laptop", "quantity": 1, "from_date": day, "to_date": day},
        )  # fmt: skip
    assert ServiceRequest.objects.count() == before


def test_only_an_offered_handler_can_be_named(offered, catalogue, desk):
    with pytest.raises(ValidationError) as raised:
        services.request_type_update(request_type=catalogue[LOAN], actor=desk, handler="nobody.offers")
    assert "is not something an operations function here carries out" in str(raised.value)


def test_the_editor_offers_the_handlers_and_saves_the_choice(offered, catalogue, client_for, desk):
    from django.urls import reverse

    item = catalogue[LOAN]
    html = client_for(desk).get(reverse("catalogue:type_edit", args=[item.pk])).content.decode()
    assert "Carried out by" in html and "Record it" in html and "The service desk (fulfilment tasks)" in html
