"""Checks proposed for new CIs by their kind: a switch gets ping and SNMP, a server ping, its services and SNMP
storage, a printer SNMP; desktops nothing. Idempotent; accepted ones run at the next cycle."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from availability import services
from availability.models import Check
from cmdb.services import ci_create, software_install, software_product_create

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def proposed(ci) -> list[tuple[str, int | None]]:
    return sorted((c.kind, c.port) for c in Check.objects.filter(ci=ci, status=Check.Status.PROPOSED))


@pytest.fixture
def network(highfield, tech):
    def make(kind, name, address="10.0.0.9", **fields):
        return ci_create(school=highfield, actor=tech, kind=kind, name=name, management_address=address, **fields)

    return make


def test_each_kind_gets_the_checks_that_suit_it(highfield, network, tech):
    switch = network("switch", "Core switch")
    printer = network("printer", "Office printer")
    ap = network("access_point", "AP Hall")
    storage = network("storage", "NAS", attributes={"capacity_gb": 4000})
    desktop = network("desktop", "PC 1")
    no_address = network("switch", "Edge switch", address="")
    count = services.propose_checks(school=highfield, now=NOW)
    assert proposed(switch) == [("ping", None), ("snmp_interfaces", None), ("snmp_uptime", None)]
    assert proposed(printer) == [("ping", None), ("snmp_uptime", None)]
    assert proposed(ap) == [("ping", None)]
    assert proposed(storage) == [("ping", None), ("snmp_storage", None)]
    assert proposed(desktop) == proposed(no_address) == []
    assert count == 8


def test_a_server_gets_its_services_from_its_role_and_software(highfield, network, tech):
    files = network("server", "FS01", attributes={"role": "File server"})
    dc = network("server", "DC01", attributes={"role": "Domain controller"})
    web = network("server", "WEB01")
    product = software_product_create(school=highfield, actor=tech, name="Apache HTTP Server")
    software_install(ci=web, product=product, actor=tech, version="2.4")
    plain = network("server", "Spare")
    services.propose_checks(school=highfield, now=NOW)
    assert proposed(files) == [("ping", None), ("snmp_storage", None), ("tcp", 445)]
    assert proposed(dc) == [("ping", None), ("snmp_storage", None), ("tcp", 53), ("tcp", 389)]
    assert proposed(web) == [("ping", None), ("snmp_storage", None), ("tcp", 80), ("tcp", 443)]
    assert proposed(plain) == [("ping", None), ("snmp_storage", None)]
    names = set(Check.objects.filter(ci=files, kind="tcp").values_list("name", flat=True))
    assert names == {"File sharing (SMB)"}


def test_proposing_again_adds_nothing_and_a_dismissed_proposal_stays_dismissed(highfield, network, tech):
    switch = network("switch", "Core switch")
    assert services.propose_checks(school=highfield, now=NOW) == 3
    assert services.propose_checks(school=highfield, now=NOW) == 0
    ping = Check.objects.get(ci=switch, kind="ping")
    services.proposal_dismiss(check=ping, actor=tech)
    assert services.propose_checks(school=highfield, now=NOW) == 0  # the CI keeps checks: no new proposals
    assert proposed(switch) == [("snmp_interfaces", None), ("snmp_uptime", None)]
    assert services.propose_checks_all(now=NOW) == 0


def test_snmp_proposals_use_the_schools_credential(highfield, network, netmgr):
    credential = services.credential_save(actor=netmgr, school=highfield, name="Switches", community="s3cret")
    switch = network("switch", "Core switch")
    services.propose_checks(school=highfield, now=NOW)
    kinds = dict(Check.objects.filter(ci=switch).values_list("kind", "snmp_credential"))
    assert kinds == {"ping": None, "snmp_uptime": credential.pk, "snmp_interfaces": credential.pk}


def test_accepting_switches_a_proposal_on_for_the_next_cycle(highfield, network, tech, tech2):
    switch = network("switch", "Core switch")
    network("printer", "Office printer")
    services.propose_checks(school=highfield, now=NOW)
    ping = Check.objects.get(ci=switch, kind="ping")
    assert ping.next_run_at is None and not Check.objects.due(NOW).exists()
    with pytest.raises(PermissionDenied):
        services.proposal_accept(check=ping, actor=tech2)
    ping = services.proposal_accept(check=ping, actor=tech, now=NOW)
    assert (ping.status, ping.next_run_at) == (Check.Status.ACTIVE, NOW)
    assert list(Check.objects.due(NOW)) == [ping]
    with pytest.raises(ValidationError, match="already active"):
        services.proposal_accept(check=ping, actor=tech)
    with pytest.raises(ValidationError, match="not a proposal"):
        services.proposal_dismiss(check=ping, actor=tech)
    with pytest.raises(PermissionDenied):
        services.proposals_accept_all(school=highfield, actor=tech2)
    assert services.proposals_accept_all(school=highfield, actor=tech, now=NOW) == 4
    assert not Check.objects.filter(status=Check.Status.PROPOSED).exists()
    assert Check.objects.due(NOW).count() == 5
