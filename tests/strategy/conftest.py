"""Strategies at highfield, made through the services, as the demo cast would make them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fits.strategy import services

ALL_FOUR = ("network_manager", "head", "ict_coordinator", "la_adviser")


@pytest.fixture
def support(highfield, netmgr):
    """Highfield's technical support strategy, version 1 in draft, with its first section written."""
    document = services.strategy_document_create(school=highfield, kind="support", actor=netmgr)
    services.strategy_section_edit(document=document, key="services", text="We support **five** services.",
                                   actor=netmgr)  # fmt: skip
    return document


@pytest.fixture
def sign_all(netmgr, leader, consultant):
    """sign_all(document): the four capacities sign its draft (the leader as head and as ICT co-ordinator)."""
    people = {"network_manager": netmgr, "head": leader, "ict_coordinator": leader, "la_adviser": consultant}

    def sign(document, capacities=ALL_FOUR):
        return [services.strategy_sign(document=document, capacity=c, actor=people[c]) for c in capacities]

    return sign


@pytest.fixture
def catalogue(highfield, netmgr, tech):
    """Highfield's live catalogue: an ICT service, an agreed SLA with the built-in targets, a catalogue item."""
    from servicedesk import services as desk
    from servicelevels import services as levels

    service = levels.it_service_create(school=highfield, actor=netmgr, name="Curriculum network")
    today = timezone.localdate()
    sla = levels.agreement_create(school=highfield, actor=netmgr, name="Highfield SLA", owner=netmgr, starts=today,
                                  review_date=today + timedelta(days=365))  # fmt: skip
    levels.agreement_copy_built_in_targets(agreement=sla, actor=netmgr)
    levels.agreement_transition(agreement=sla, action="agree", actor=netmgr)
    item = desk.request_type_create(school=highfield, actor=tech, name="Laptop loan", summary="A laptop for a week.",
                                    response_hours=4, fulfil_days=2)  # fmt: skip
    return {"service": service, "sla": sla, "item": item}
