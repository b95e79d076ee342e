"""Monitoring's services: checks that say what is wrong, pause/resume/remove, the school's settings and its
SNMP credentials (the network manager's, secrets write-only)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from availability import services
from availability.models import Check, MonitoringSettings, SnmpCredential
from cmdb.services import ci_create
from fits.models import Activity

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
def file_server(highfield, tech):
    return ci_create(school=highfield, actor=tech, kind="server", name="FS01", management_address="10.0.0.5",
                     attributes={"role": "File and print server"})  # fmt: skip


@pytest.fixture
def laptop(highfield, tech):
    return ci_create(school=highfield, actor=tech, kind="laptop", name="Laptop 7")


def errors_of(excinfo) -> dict[str, list[str]]:
    return excinfo.value.message_dict


def test_a_new_check_runs_at_the_next_cycle_and_is_on_the_cis_timeline(file_server, tech):
    check = services.check_save(actor=tech, ci=file_server, kind="tcp", port=445, now=NOW)
    assert (check.status, check.next_run_at, check.name, check.school_id) == (
        Check.Status.ACTIVE, NOW, "TCP port", file_server.school_id)  # fmt: skip
    entry = Activity.objects.filter(object_id=file_server.pk, text__startswith="Monitoring").get()
    assert "10.0.0.5:445" in entry.text and not entry.public


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"kind": "tcp"}, "port", "needs the port"),
        ({"kind": "http", "target": "intranet.highfield.sch.uk"}, "target", "http:// or https://"),
        ({"kind": "ping", "interval_seconds": 10}, "interval_seconds", "30 seconds"),
        ({"kind": "ping", "interval_seconds": 90000}, "interval_seconds", "once a day"),
        ({"kind": "ping", "interval_seconds": 60, "timeout_seconds": 60}, "timeout_seconds", "shorter than"),
        ({"kind": "ping", "retries": 9}, "retries", "up to 5"),
        ({"kind": "dns", "target": "intranet", "dns_server": "10.0.0.1; rm"}, "dns_server", "address or a host name"),
    ],
)
def test_a_check_that_could_never_run_is_refused_saying_why(file_server, tech, values, field, words):
    with pytest.raises(ValidationError) as excinfo:
        services.check_save(actor=tech, ci=file_server, **values)
    assert words in " ".join(errors_of(excinfo)[field])
    assert not Check.objects.exists()


def test_a_dns_check_keeps_its_server_and_other_kinds_drop_it(file_server, tech):
    dns = services.check_save(actor=tech, ci=file_server, kind="dns", target="intranet", dns_server=" 10.0.0.5 ")
    assert dns.dns_server == "10.0.0.5"
    ping = services.check_save(actor=tech, ci=file_server, kind="ping", dns_server="10.0.0.5")
    assert ping.dns_server == ""


def test_a_ci_without_an_address_needs_a_target(laptop, tech):
    with pytest.raises(ValidationError) as excinfo:
        services.check_save(actor=tech, ci=laptop, kind="ping")
    assert "Laptop 7 has no management address" in errors_of(excinfo)["target"][0]
    check = services.check_save(actor=tech, ci=laptop, kind="ping", target="laptop7.highfield.local")
    assert check.target == "laptop7.highfield.local"


def test_snmp_checks_take_only_a_credential_of_the_cis_school(file_server, tech, netmgr, riverside, tech2, cast):
    theirs = services.credential_save(actor=cast["admin"], school=riverside, name="Riverside v2c", community="rv")
    with pytest.raises(ValidationError) as excinfo:
        services.check_save(actor=tech, ci=file_server, kind="snmp_storage", snmp_credential=theirs)
    assert "credential of Highfield" in errors_of(excinfo)["snmp_credential"][0]
    ours = services.credential_save(actor=netmgr, school=file_server.school, name="Switches", community="s3cret")
    check = services.check_save(actor=tech, ci=file_server, kind="snmp_storage", snmp_credential=ours)
    assert check.snmp_credential == ours
    # A ping check carries no credential, whatever it is sent.
    ping = services.check_save(actor=tech, ci=file_server, kind="ping", snmp_credential=ours)
    assert ping.snmp_credential is None


def test_only_the_schools_technicians_change_its_checks(file_server, tech2, staff, desk):
    for person in (tech2, staff, desk):
        with pytest.raises(PermissionDenied, match="FS01"):
            services.check_save(actor=person, ci=file_server, kind="ping")


def test_pause_resume_and_remove(file_server, tech):
    check = services.check_save(actor=tech, ci=file_server, kind="ping", now=NOW)
    check = services.check_pause(check=check, actor=tech)
    assert check.status == Check.Status.PAUSED
    with pytest.raises(ValidationError, match="not running"):
        services.check_pause(check=check, actor=tech)
    later = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    check = services.check_resume(check=check, actor=tech, now=later)
    assert (check.status, check.next_run_at) == (Check.Status.ACTIVE, later)
    services.check_delete(check=check, actor=tech)
    assert not Check.objects.exists()
    texts = list(Activity.objects.filter(object_id=file_server.pk, text__startswith="Monitoring").values_list(
        "text", flat=True))  # fmt: skip
    assert [t.rsplit(" ", 1)[-1] for t in texts] == ["added.", "paused.", "resumed.", "removed."]


def test_changing_a_check_records_what_changed_and_keeps_it_on_its_ci(file_server, tech, highfield):
    check = services.check_save(actor=tech, ci=file_server, kind="tcp", port=445)
    check = services.check_save(actor=tech, ci=file_server, check=check, kind="tcp", port=3389, name="RDP")
    assert (check.port, check.name) == (3389, "RDP")
    assert Activity.objects.filter(text__contains="changed (name, port)").exists()
    other = ci_create(school=highfield, actor=tech, kind="switch", name="SW1", management_address="10.0.0.2")
    with pytest.raises(ValidationError, match="stays on its CI"):
        services.check_save(actor=tech, ci=other, check=check, kind="ping")


def test_settings_are_the_network_managers(highfield, netmgr, tech):
    assert services.settings_for(highfield).failures_before_down == 3  # the defaults, before any are saved
    with pytest.raises(PermissionDenied, match="network manager of Highfield"):
        services.settings_save(actor=tech, school=highfield, queue="x")
    saved = services.settings_save(actor=netmgr, school=highfield, queue="monitoring.highfield",
                                   failures_before_down=2, raw_retention_days=7, alerts_enabled=False)  # fmt: skip
    assert (saved.queue, saved.failures_before_down, saved.raw_retention_days, saved.alerts_enabled) == (
        "monitoring.highfield", 2, 7, False)  # fmt: skip
    with pytest.raises(ValidationError) as excinfo:
        services.settings_save(actor=netmgr, school=highfield, queue="bad queue!", failures_before_down=0)
    assert set(errors_of(excinfo)) == {"queue", "failures_before_down"}
    assert MonitoringSettings.objects.count() == 1


def test_credentials_keep_their_secrets_when_changed_without_them(highfield, netmgr, tech):
    with pytest.raises(PermissionDenied):
        services.credential_save(actor=tech, school=highfield, name="v2", community="public")
    keys = {"auth_key": "fitsprobe-auth", "priv_key": "fitsprobe-priv"}
    v3 = services.credential_save(actor=netmgr, school=highfield, name="Switches v3", version="v3",
                                  username="fitsprobe", **keys)  # fmt: skip
    v3 = services.credential_save(actor=netmgr, school=highfield, credential=v3, name="Core v3", version="v3",
                                  username="fitsprobe")  # fmt: skip
    v3.refresh_from_db()
    assert (v3.name, v3.auth_key, v3.priv_key) == ("Core v3", "fitsprobe-auth", "fitsprobe-priv")
    with pytest.raises(ValidationError) as excinfo:
        services.credential_save(actor=netmgr, school=highfield, name="core V3", version="v3", username="u",
                                 auth_key="short")  # fmt: skip
    assert set(errors_of(excinfo)) == {"name", "auth_key"}
    with pytest.raises(ValidationError, match="community string"):
        services.credential_save(actor=netmgr, school=highfield, name="v2", community="")


def test_a_credential_in_use_is_not_removed(file_server, netmgr, tech):
    credential = services.credential_save(actor=netmgr, school=file_server.school, name="v2", community="c")
    check = services.check_save(actor=tech, ci=file_server, kind="snmp_uptime", snmp_credential=credential)
    with pytest.raises(ValidationError, match="1 check still uses “v2”"):
        services.credential_delete(credential=credential, actor=netmgr)
    services.check_delete(check=check, actor=tech)
    services.credential_delete(credential=credential, actor=netmgr)
    assert not SnmpCredential.objects.exists()
