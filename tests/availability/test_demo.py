"""The demo's monitoring (availability.demo, run by seed_demo): settings and a credential per school, proposals for
the demo network, highfield's active checks on the machine running the demo, and labelled seeded history;
seeding twice adds nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from availability import demo
from availability.models import Check, CheckResult, MonitoringSettings, Outage, ResultRollup, SnmpCredential
from fits.models import School, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(seeded_demo, db) -> str:
    return seeded_demo


def test_every_school_is_set_up_with_proposals_for_its_network(seeded):
    assert "Monitoring: 3 schools set up" in seeded
    for school in School.objects.filter(slug__in=["highfield", "riverside", "westfield"]):
        assert MonitoringSettings.objects.filter(school=school).count() == 1
        assert SnmpCredential.objects.filter(school=school).count() == 1
        proposed = Check.objects.filter(school=school, status=Check.Status.PROPOSED)
        kinds = set(proposed.values_list("ci__kind", flat=True))
        assert {"switch", "router", "firewall"} <= kinds and "desktop" not in kinds, school


def test_highfields_active_checks_point_at_this_machine(seeded):
    active = Check.objects.filter(school__slug="highfield", status=Check.Status.ACTIVE)
    targets = {(c.ci.name, c.kind, c.target, c.port) for c in active}
    assert ("HF-SRV-01", "http", demo.DEMO_WEB, None) in targets
    assert ("HF-SRV-02", "tcp", "127.0.0.1", demo.CLOSED_PORT) in targets  # the honest red
    assert all(c.next_run_at is not None for c in active)
    assert not Check.objects.filter(school__slug__in=["riverside", "westfield"], status=Check.Status.ACTIVE).exists()


def test_seeded_history_is_labelled_and_shows_on_the_pages(seeded, client_for):
    web = Check.objects.get(school__slug="highfield", kind="http")
    assert ResultRollup.objects.filter(for_check=web, period="hour").count() == 48
    assert ResultRollup.objects.filter(for_check=web, period="day").count() == 30
    assert set(CheckResult.objects.filter(for_check=web).values_list("message", flat=True)) == {
        f"{demo.SEEDED}: up"}  # fmt: skip
    outage = Outage.objects.get(ci=web.ci)
    assert outage.message.startswith(demo.SEEDED) and outage.ended_at is not None
    red = Check.objects.get(school__slug="highfield", kind="tcp", port=demo.CLOSED_PORT)
    assert not red.results.exists() and not red.rollups.exists()  # what it shows comes from its runs
    client = client_for(User.objects.get(username="tech"))
    html = client.get(web.get_absolute_url()).content.decode()
    assert 'id="check-chart-data"' in html
    tab = client.get(f"{web.ci.get_absolute_url()}?tab=monitoring").content.decode()
    assert "Availability this month" in tab and "FITS web page" in tab


def test_seeding_again_adds_nothing(seeded):
    before = (Check.objects.count(), ResultRollup.objects.count(), Outage.objects.count(),
              SnmpCredential.objects.count(), MonitoringSettings.objects.count())  # fmt: skip
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "Monitoring: already set up." in out.getvalue()
    after = (Check.objects.count(), ResultRollup.objects.count(), Outage.objects.count(),
             SnmpCredential.objects.count(), MonitoringSettings.objects.count())  # fmt: skip
    assert before == after


def test_the_demo_checks_tell_the_truth_about_this_machine(seeded):
    """One real run of highfield's checks (as `monitor --once`): localhost resolves; the port nothing listens on
    is refused, honestly red; the demo's web page answers only if something serves port 8000 here."""
    import socket

    from availability import engine

    school = School.objects.get(slug="highfield")
    found = {check.name: result for check, result in engine.run_once(school=school, run_all=True)}
    assert found["localhost resolves"].state == "up"
    assert found["Backup agent port (nothing listens: red)"].state == "down"
    with socket.socket() as probe:
        serving = probe.connect_ex(("127.0.0.1", 8000)) == 0
    web = found["FITS web page (this demo, port 8000)"]
    if not serving:  # nothing on port 8000 while the tests run (make run is not up): never green
        assert web.state != "up" and web.message, web.message
