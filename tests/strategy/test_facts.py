"""Live facts: the catalogue, ICT services, SLAs and OM policies reach the sections through the plug-in point, and
are frozen into a version when it is approved (the signed version shows what was signed)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from fits.strategy import facts as live_facts
from fits.strategy import services
from servicelevels import services as levels

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def rows_of(found: live_facts.Facts) -> list[list[str]]:
    return [list(row) for row in found.rows]


def test_every_app_declares_its_facts_on_its_appconfig():
    assert live_facts.providers() == {
        "processes": "fits.strategy.facts.processes_in_place",
        "services": "servicelevels.strategy.it_services",
        "slas": "servicelevels.strategy.slas",
        "catalogue": "servicedesk.strategy.catalogue",
        "om_policies": "om.strategy.policies",
        "technology": "cmdb.strategy.technology",
        "budget": "finance.strategy.budget",
    }


def test_the_live_catalogue_and_slas(highfield, catalogue):
    found = live_facts.collect(["services", "slas", "catalogue"], highfield)
    assert ["Curriculum network", "Learning", "School hours", "99 %", "Nobody named"] in rows_of(found["services"])
    slas = rows_of(found["slas"])
    assert len(slas) == 5 and slas[0][:5] == ["Highfield SLA", "P1 Critical", "All services", "30 min", "4 h"]
    assert ["Laptop loan", "4 h", "2 school days", "No approval", "Everyone"] in rows_of(found["catalogue"])
    assert all(f.as_of is not None and f.in_use for f in found.values())


def test_processes_in_place_come_from_the_installed_apps(highfield):
    rows = rows_of(live_facts.read("processes", highfield, today=TODAY))
    assert ["Incident Management", "FITS process", "In place"] in rows
    assert ["Storage Management", "FITS OM function", "In place"] in rows


def test_om_policies_say_which_function_has_none(highfield, netmgr):
    from om import services as om

    om.policy_save(school=highfield, function="storage", text="Back up nightly.", actor=netmgr, owner=netmgr)
    rows = {row[0]: row for row in rows_of(live_facts.read("om_policies", highfield, today=TODAY))}
    assert rows["Storage Management"][1:3] == ["In place", "Netmgr"]
    assert rows["Patch Management"][1] == "No policy yet"


def test_a_key_nobody_provides_and_a_failing_provider(highfield, monkeypatch):
    missing = live_facts.read("no-such-key", highfield, today=TODAY)
    assert not missing.in_use and "Nothing provides" in missing.empty
    monkeypatch.setitem(live_facts.providers(), "services", "fits.strategy.facts.no_such_function")
    broken = live_facts.read("services", highfield, today=TODAY)
    assert broken.in_use and broken.rows == [] and "could not be read" in broken.empty


def test_facts_are_frozen_at_approval(highfield, support, sign_all, catalogue, netmgr, client_for):
    client = client_for(netmgr)
    page = client.get(support.get_absolute_url()).content.decode()
    assert "Curriculum network" in page and "Laptop loan" in page and "live, as of" in page
    sign_all(support)
    version = services.in_force(support)
    assert version.facts_as_of == version.approved_at
    frozen = live_facts.frozen(version.facts)
    assert set(frozen) == {"services", "catalogue", "slas", "technology", "budget", "processes", "om_policies"}
    assert ["Curriculum network", "Learning", "School hours", "99 %", "Nobody named"] in frozen["services"].rows
    # The catalogue changes after sign-off: the approved version still shows what was signed...
    levels.it_service_update(service=catalogue["service"], actor=netmgr, name="Wireless network")
    for url in (support.get_absolute_url(), version.get_absolute_url()):
        page = client.get(url).content.decode()
        assert "Curriculum network" in page and "Wireless network" not in page and "frozen at approval" in page
    # ...and the next draft shows the catalogue as it is now.
    services.strategy_section_edit(document=support, key="technology", text="Two servers.", actor=netmgr)
    page = client.get(support.get_absolute_url()).content.decode()
    assert "Wireless network" in page and "Curriculum network" not in page and "live, as of" in page


def test_this_years_budget_by_category(highfield, netmgr):
    from finance import services as finance
    from finance.figures import year_figures

    year = year_figures([highfield], today=TODAY)[highfield.pk].year
    finance.budget_save(actor=netmgr, school=highfield, year=year, amounts={"hardware": "12000", "software": "3000"})
    found = live_facts.read("budget", highfield, today=TODAY)
    assert found.in_use and found.title.startswith("ICT budget")
    assert ["Hardware", "£12,000", "£0", "£0", "£12,000"] in rows_of(found)
    assert rows_of(found)[-1] == ["Total", "£15,000", "£0", "£0", "£15,000"]
