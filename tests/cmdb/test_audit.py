"""The CMDB audit: each data-quality check finds its problem, and only in the person's own schools."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cmdb import audit, services
from cmdb.models import ConfigurationItem, Kind, LifecycleStatus, Port
from fits.middleware import SESSION_KEY

pytestmark = pytest.mark.django_db


def make_problems(school, actor, prefix: str) -> dict[str, ConfigurationItem]:
    """At `school`: one item for each check to find, and look-alikes that are fine."""
    past, future = timezone.localdate() - timedelta(days=1), timezone.localdate() + timedelta(days=365)
    site = services.location_create(school=school, actor=actor, kind="site", name=f"{prefix} site")

    def ci(name, kind=Kind.DESKTOP, status=None, location=site, **fields):
        item = services.ci_create(school=school, actor=actor, kind=kind, name=f"{prefix}-{name}", location=location,
                                  **fields)  # fmt: skip
        for action in {LifecycleStatus.RETIRED: ["retire"], LifecycleStatus.IN_STOCK: ["stock"]}.get(status, []):
            item = services.ci_transition(ci=item, action=action, actor=actor, note="Audit test.")
        return item

    found = {
        "no_location": ci("nowhere", location=None),
        "past_warranty": ci("expired", warranty_end=past),
        "twin_a": ci("twin-a", serial=f"{prefix}-SN1"),
        "twin_b": ci("twin-b", kind=Kind.LAPTOP, serial=f"{prefix}-SN1", location=None),
        "switch": ci("switch", kind=Kind.SWITCH),
    }
    found["port"] = services.port_create(ci=found["switch"], actor=actor, name="gi1/0/1", cable_expected=True)
    # Fine: software has no place, a retired item's gaps are history, stock is not live, warranty in date,
    # blank serials are not duplicates, a cabled port and a port nobody expects a cable in.
    ci("mis", kind=Kind.SOFTWARE, location=None)
    ci("retired", status=LifecycleStatus.RETIRED, location=None, warranty_end=past)
    ci("spare", status=LifecycleStatus.IN_STOCK, warranty_end=past)
    ci("covered", warranty_end=future)
    ci("blank-1")
    ci("blank-2")
    pc = ci("pc")
    cabled = services.port_create(ci=found["switch"], actor=actor, name="gi1/0/2", cable_expected=True)
    services.cable_connect(a_port=cabled, b_port=services.port_create(ci=pc, actor=actor, name="eth0"), actor=actor)
    services.port_create(ci=found["switch"], actor=actor, name="gi1/0/3")
    retired_switch = ci("old-switch", kind=Kind.SWITCH, status=LifecycleStatus.RETIRED)
    services.port_create(ci=retired_switch, actor=actor, name="gi1/0/1", cable_expected=True)
    return found


@pytest.fixture
def problems(highfield, riverside, westfield, tech, tech2, outsider):
    found = {
        "highfield": make_problems(highfield, tech, "HF"),
        "riverside": make_problems(riverside, tech2, "RS"),
        "westfield": make_problems(westfield, outsider, "WF"),
    }
    # The same serial at two schools is two schools' business, not a duplicate.
    services.ci_create(school=riverside, actor=tech2, kind=Kind.DESKTOP, name="RS-other", serial="HF-SN1")
    return found


def findings_for(user, school_id=None) -> dict[str, audit.Finding]:
    items = ConfigurationItem.objects.visible_to(user).of_school(school_id)
    ports = Port.objects.visible_to(user).of_school(school_id)
    return {f.key: f for f in audit.run(items=items, ports=ports, today=timezone.localdate())}


def names(finding: audit.Finding) -> set[str]:
    return {(item.ci if isinstance(item, Port) else item).name for item in finding.items}


def test_each_check_finds_its_problem_and_nothing_else(problems, tech):
    found = findings_for(tech)
    assert names(found["no_location"]) == {"HF-nowhere", "HF-twin-b"}
    assert names(found["past_warranty"]) == {"HF-expired"}
    assert names(found["duplicate_serials"]) == {"HF-twin-a", "HF-twin-b"}
    assert found["duplicate_serials"].groups == 1
    assert [str(port) for port in found["ports_without_cable"].items] == ["HF-switch gi1/0/1"]
    assert {key: finding.count for key, finding in found.items()} == {
        "no_location": 2, "past_warranty": 1, "duplicate_serials": 2, "ports_without_cable": 1,
    }  # fmt: skip


def test_the_audit_reaches_only_the_persons_schools(problems, tech2, consultant, riverside):
    assert names(findings_for(tech2)["past_warranty"]) == {"RS-expired"}
    everything = findings_for(consultant)
    assert names(everything["past_warranty"]) == {"HF-expired", "RS-expired"}
    assert names(everything["duplicate_serials"]) == {"HF-twin-a", "HF-twin-b", "RS-twin-a", "RS-twin-b"}
    assert everything["duplicate_serials"].groups == 2
    assert names(findings_for(consultant, riverside.pk)["no_location"]) == {"RS-nowhere", "RS-twin-b", "RS-other"}


def test_counts_cover_everything_and_the_lists_stop_at_fifty(highfield, tech):
    for i in range(audit.SHOWN + 5):
        services.ci_create(school=highfield, actor=tech, kind=Kind.DESKTOP, name=f"PC-{i:03d}")
    finding = findings_for(tech)["no_location"]
    assert finding.count == audit.SHOWN + 5 and len(finding.items) == audit.SHOWN and finding.more == 5


def test_the_audit_page_links_each_item_and_shows_no_other_school(problems, client_for, tech):
    response = client_for(tech).get(reverse("cmdb:audit"))
    assert response.status_code == 200
    page = response.content.decode()
    for key in ("no_location", "past_warranty", "duplicate_serials", "ports_without_cable"):
        assert f'id="count-{key}"' in page
    assert f'href="{problems["highfield"]["past_warranty"].get_absolute_url()}"' in page
    assert f'href="{problems["highfield"]["switch"].get_absolute_url()}"' in page  # the port's item
    assert "HF-SN1" in page and "RS-" not in page and "WF-" not in page and "Riverside" not in page


def test_a_consultant_sees_each_school_named(problems, client_for, consultant):
    page = client_for(consultant).get(reverse("cmdb:audit")).content.decode()
    assert "RS-expired" in page and "HF-expired" in page and "Riverside Academy" in page and "WF-" not in page


def test_the_school_switcher_narrows_the_audit(problems, client_for, consultant, riverside):
    client = client_for(consultant)
    session = client.session
    session[SESSION_KEY] = riverside.pk
    session.save()
    page = client.get(reverse("cmdb:audit")).content.decode()
    assert "RS-expired" in page and "HF-" not in page


def test_the_audit_costs_the_same_queries_for_any_number_of_problems(highfield, tech, client_for):
    client = client_for(tech)
    url = reverse("cmdb:audit")
    make_problems(highfield, tech, "A")
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for i in range(10):
        make_problems(highfield, tech, f"B{i}")
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    print(f"\naudit: {len(small)} queries for 1 of each problem, {len(large)} for 11")
    assert len(small) == len(large)


def test_warranty_is_compared_with_today(highfield, tech):
    services.ci_create(school=highfield, actor=tech, kind=Kind.DESKTOP, name="PC", location=None,
                       warranty_end=date(2030, 1, 1))  # fmt: skip
    items = ConfigurationItem.objects.visible_to(tech)
    assert not audit.live_items_past_warranty(items, date(2030, 1, 1)).exists()
    assert audit.live_items_past_warranty(items, date(2030, 1, 2)).exists()
