"""Inventory from agents: the real FusionInventory agent, the GLPI JSON samples, bad payloads, matching.

The reference client is Debian's fusioninventory-agent: its inventory of this very machine is
generated once per module and posted as the agent posts it (zlib-compressed XML, HTTP basic auth).
The agent is also run against the live server, 401 challenge included.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import re
import subprocess
import zlib
from pathlib import Path

import pytest
from django.test import Client

from cmdb import services as cmdb_services
from cmdb.inventory import services
from cmdb.inventory.parsers import PayloadError, read_message
from cmdb.models import (
    COMPUTER_KINDS,
    ConfigurationItem,
    InventorySubmission,
    Kind,
    Port,
    SoftwareInstallation,
    SoftwareProduct,
)
from fits.models import Activity

pytestmark = pytest.mark.django_db

AGENT = Path("/usr/bin/fusioninventory-agent")
SHARED = Path(__file__).resolve().parents[3] / "shared" / "inventory-format"
KEY = "demo-agent-highfield"
# Categories the CMDB does not keep: leaving them out keeps the agent at well under a second.
SKIPPED_CATEGORIES = (
    "process,environment,local_user,local_group,printer,usb,input,sound,video,monitor,battery,modem,slot,lvm,"
    "license,user,controller"
)


# =============================================================================
# Fixtures and helpers
# =============================================================================


# Debian's agent keeps its state (device id, schedule) in /var/lib/fusioninventory-agent, writable by
# root only. The tests load its setup.pm and point `vardir` at a directory of their own: the runs
# are hermetic and need no root.
SETUP_SHIM = """package FitsAgentSetup;
require '{setup}';
$INC{{'setup.pm'}} = '{setup}';
$setup::setup{{vardir}} = $ENV{{FITS_AGENT_VARDIR}};
1;
"""


def agent(workdir: Path, *arguments: str) -> subprocess.CompletedProcess:
    """Run the real agent with its state in `workdir`."""
    if not AGENT.exists():
        pytest.skip("Debian's fusioninventory-agent is not installed (/usr/bin/fusioninventory-agent)")
    match = re.search(r"use lib ['\"]([^'\"]+)['\"]", AGENT.read_text(errors="replace"))
    setup = f"{match.group(1) if match else '/usr/share/fusioninventory/lib'}/setup.pm"
    (workdir / "FitsAgentSetup.pm").write_text(SETUP_SHIM.format(setup=setup))
    (workdir / "var").mkdir(exist_ok=True)
    return subprocess.run(
        ["perl", f"-I{workdir}", "-MFitsAgentSetup", str(AGENT), *arguments, "--logger=stderr",
         f"--no-category={SKIPPED_CATEGORIES}"],
        env={**os.environ, "FITS_AGENT_VARDIR": str(workdir / "var")},
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip


@pytest.fixture(scope="module")
def real_inventory(tmp_path_factory) -> bytes:
    """This machine's inventory, written by the real agent (`--local`), as it would send it."""
    workdir = tmp_path_factory.mktemp("agent")
    out = workdir / "out"
    out.mkdir()
    run = agent(workdir, "--local", str(out), "--tag", "highfield")
    assert run.returncode == 0, run.stderr
    (written,) = out.glob("*.ocs")
    return written.read_bytes()


@pytest.fixture
def keys(highfield, riverside):
    """The demo agent keys (seed_demo gives each school demo-agent-SLUG)."""
    cmdb_services.agent_key_rotate(school=highfield, actor=None, key=KEY)
    cmdb_services.agent_key_rotate(school=riverside, actor=None, key="demo-agent-riverside")


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def post(
    body: bytes, *, user: str = "highfield", key: str = KEY, compress: bool = True, content_type: str | None = None
):
    """POST to /inventory/ as the agent does: zlib-compressed, with basic auth."""
    data = zlib.compress(body) if compress else body
    if content_type is None:
        content_type = "application/x-compress-zlib" if compress else "application/xml"
    headers = {"HTTP_AUTHORIZATION": basic(user, key)} if user is not None else {}
    return Client().post("/inventory/", data=data, content_type=content_type, **headers)


def reply_of(response) -> bytes:
    content = response.content
    return zlib.decompress(content) if content[:1] == b"\x78" else content


def computers(school):
    return ConfigurationItem.objects.filter(school=school, kind__in=COMPUTER_KINDS)


def sample(name: str) -> Path:
    path = SHARED / name
    if not path.exists():
        pytest.skip(f"the shared inventory samples are not beside the checkout ({path})")
    return path


def glpi_json(name: str, **changes) -> dict:
    document = json.loads(sample(f"examples/{name}").read_text())
    document["tag"] = "highfield"
    document.update(changes)
    return document


def as_body(document: dict) -> bytes:
    return json.dumps(document).encode()


def fusion_xml(name: str) -> bytes:
    """A FusionInventory XML sample, tagged for highfield (the samples carry their authors' tags)."""
    text = sample(f"fusioninventory-xml/{name}").read_bytes()
    return re.sub(rb"(<KEYNAME>TAG</KEYNAME>\s*<KEYVALUE>)[^<]*(</KEYVALUE>)", rb"\1highfield\2", text)


def state(school) -> dict:
    """Everything an inventory could change at a school, to compare before and after."""
    return {
        "cis": sorted(
            computers(school).values_list("pk", "name", "kind", "serial", "uuid", "attributes", "updated_at")
        ),
        "ports": sorted(Port.objects.filter(school=school).values_list("pk", "ci_id", "name", "mac", "ip_address")),
        "installations": sorted(
            SoftwareInstallation.objects.filter(school=school).values_list("pk", "ci_id", "product_id", "version")
        ),
        "products": SoftwareProduct.objects.filter(school=school).count(),
        "history": ConfigurationItem.history.filter(school=school).count(),
        "timeline": Activity.objects.filter(school=school).count(),
    }


# =============================================================================
# The real FusionInventory agent
# =============================================================================


def test_a_real_agent_inventory_creates_one_computer_at_the_right_school(real_inventory, keys, highfield, riverside):
    message = read_message(real_inventory)
    inventory = message.inventory
    response = post(real_inventory)

    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/x-compress"
    assert b"<REPLY></REPLY>" in reply_of(response)
    (ci,) = computers(highfield)
    assert not computers(riverside).exists()
    assert ci.kind in (Kind.DESKTOP, Kind.SERVER, Kind.LAPTOP)
    assert ci.name == inventory.hostname
    assert ci.attributes["os"] == inventory.os and ci.attributes["os"]
    assert ci.attributes["hostname"] == inventory.hostname
    assert ci.last_inventory_at is not None
    installations = SoftwareInstallation.objects.filter(ci=ci)
    assert installations.count() == len(inventory.software) > 0
    assert set(installations.values_list("source", flat=True)) == {SoftwareInstallation.Source.INVENTORY}
    ports = Port.objects.filter(ci=ci)
    assert ports.count() >= 1 and all(port.mac for port in ports)
    assert set(ports.values_list("mac", flat=True)) == set(inventory.macs)
    submission = InventorySubmission.objects.get()
    assert submission.school == highfield and submission.ci == ci
    assert submission.outcome == InventorySubmission.Outcome.ACCEPTED
    assert submission.format == InventorySubmission.Format.FUSION_XML
    assert bytes(submission.payload) == real_inventory  # kept decompressed, as the agent wrote it
    assert submission.device_id == message.device_id
    assert submission.summary["result"] == "created"
    assert submission.summary["software"]["added"] == installations.count()


def test_posting_the_same_inventory_again_changes_nothing(real_inventory, keys, highfield):
    assert post(real_inventory).status_code == 200
    before = state(highfield)

    response = post(real_inventory)

    assert response.status_code == 200
    assert state(highfield) == before
    assert InventorySubmission.objects.count() == 2
    latest = InventorySubmission.objects.order_by("-pk").first()
    assert latest.outcome == InventorySubmission.Outcome.ACCEPTED
    assert latest.summary["result"] == "unchanged"
    assert latest.summary["software"]["added"] == latest.summary["software"]["removed"] == 0
    assert latest.summary["ports"]["added"] == latest.summary["ports"]["removed"] == []
    # Only the latest payload of a computer is kept; the first keeps its summary.
    first = InventorySubmission.objects.order_by("pk").first()
    assert bytes(first.payload) == b"" and first.summary["result"] == "created"
    assert bytes(latest.payload) == real_inventory


def test_the_prolog_is_answered_as_the_real_server_does(keys):
    prolog = (
        b"<REQUEST><DEVICEID>host-2026-11-23-17-03-23</DEVICEID><QUERY>PROLOG</QUERY><TOKEN>12345678</TOKEN></REQUEST>"
    )
    response = post(prolog)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-compress"
    assert b"<REPLY><PROLOG_FREQ>24</PROLOG_FREQ><RESPONSE>SEND</RESPONSE></REPLY>" in reply_of(response)
    assert not InventorySubmission.objects.exists()


def test_an_agent_without_credentials_is_challenged_as_the_real_agent_expects(real_inventory, keys):
    response = post(real_inventory, user=None)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="FITS inventory"'
    assert b"--user" in response.content
    assert not InventorySubmission.objects.exists() and not ConfigurationItem.objects.exists()


@pytest.mark.parametrize(
    ("user", "key", "message"),
    [
        ("highfield", "not-the-key", "Wrong agent key for highfield"),
        ("nowhere", KEY, "No school has the agent tag 'nowhere'"),
        ("riverside", KEY, "Wrong agent key for riverside"),  # riverside's agent with highfield's key
        ("highfield", "", "Wrong agent key for highfield"),
    ],
)
def test_a_wrong_tag_or_key_is_refused_with_a_clear_message(real_inventory, keys, user, key, message):
    response = post(real_inventory, user=user, key=key)

    assert response.status_code == 401
    assert message in response.content.decode()
    assert message in response.reason_phrase  # the agents log the status line
    assert response["WWW-Authenticate"] == 'Basic realm="FITS inventory"'
    assert not ConfigurationItem.objects.exists() and not InventorySubmission.objects.exists()


def test_an_inventory_tagged_for_another_school_is_refused_and_kept(real_inventory, keys, highfield, riverside):
    tagged = real_inventory.replace(b"<KEYVALUE>highfield</KEYVALUE>", b"<KEYVALUE>riverside</KEYVALUE>")
    assert tagged != real_inventory

    response = post(tagged)  # highfield's user and key, riverside's tag

    assert response.status_code == 403
    assert "tag 'riverside' is not its school 'highfield'" in reply_of(response).decode()
    assert not ConfigurationItem.objects.exists()
    (rejected,) = InventorySubmission.objects.all()
    assert rejected.school == highfield and rejected.outcome == InventorySubmission.Outcome.REJECTED
    assert bytes(rejected.payload) == tagged


@pytest.mark.django_db(transaction=True)
def test_the_real_agent_sends_its_inventory_to_the_live_server(live_server, highfield, riverside, tmp_path):
    """The whole protocol with the reference client: 401 challenge, PROLOG, then the INVENTORY."""
    cmdb_services.agent_key_rotate(school=highfield, actor=None, key=KEY)
    run = agent(
        tmp_path, "--server", f"{live_server.url}/inventory/", "--tasks=inventory", "--force", "--no-httpd",
        "--tag", "highfield", "--user", "highfield", "--password", KEY,
    )  # fmt: skip

    log = run.stdout + run.stderr
    assert run.returncode == 0, log
    assert "error" not in log.lower(), log
    (ci,) = computers(highfield)
    assert not computers(riverside).exists()
    assert SoftwareInstallation.objects.filter(ci=ci).count() > 0
    assert Port.objects.filter(ci=ci).exclude(mac="").exists()
    (submission,) = InventorySubmission.objects.all()
    assert submission.outcome == InventorySubmission.Outcome.ACCEPTED and submission.ci == ci


@pytest.mark.django_db(transaction=True)
def test_the_real_agent_with_a_wrong_key_is_refused_and_says_so(live_server, highfield, tmp_path):
    cmdb_services.agent_key_rotate(school=highfield, actor=None, key=KEY)
    run = agent(
        tmp_path, "--server", f"{live_server.url}/inventory/", "--tasks=inventory", "--force", "--no-httpd",
        "--tag", "highfield", "--user", "highfield", "--password", "stale-key",
    )  # fmt: skip

    assert "wrong credentials" in (run.stdout + run.stderr)
    assert not ConfigurationItem.objects.exists() and not InventorySubmission.objects.exists()


# =============================================================================
# The GLPI Agent JSON format
# =============================================================================


def test_a_glpi_agent_json_inventory_is_accepted_the_same_way(keys, highfield):
    document = glpi_json("computer_1.json")
    response = post(as_body(document), content_type="application/x-compress-zlib")

    assert response.status_code == 200, response.content
    assert json.loads(reply_of(response)) == {"status": "ok", "expiration": 24}
    (ci,) = computers(highfield)
    assert (ci.name, ci.kind, ci.serial, ci.manufacturer, ci.model_name) == (
        "glpixps", Kind.LAPTOP, "640HP72", "Dell Inc.", "XPS 13 9350"
    )  # fmt: skip
    assert ci.uuid == "4c4c4544-0034-3010-8048-b6c04f503732"
    assert ci.attributes == {
        "hostname": "glpixps",
        "os": "Fedora 31 (Workstation Edition)",
        "cpu": "Intel(R) Core(TM) i5-6200U CPU @ 2.30GHz",
        "memory_mb": 7800,
        "disk_gb": 256,
    }
    assert SoftwareInstallation.objects.filter(ci=ci).count() == len(document["content"]["softwares"])
    assert set(Port.objects.filter(ci=ci).values_list("name", "mac", "ip_address")) == {
        ("enp57s0u1u4", "00:e0:4c:68:01:db", "192.168.1.142"),
        ("wlp58s0", "44:85:00:2b:90:bc", "192.168.1.118"),
    }
    assert InventorySubmission.objects.get().format == InventorySubmission.Format.GLPI_JSON

    before = state(highfield)
    assert post(as_body(document), compress=False, content_type="application/json").status_code == 200
    assert state(highfield) == before


def test_the_glpi_agent_contact_gets_the_inventory_task(keys):
    contact = {
        "action": "contact",
        "deviceid": "pc-1-2026-11-23-10-00-00",
        "name": "GLPI-Agent",
        "version": "1.7",
        "installed-tasks": ["inventory"],
        "enabled-tasks": ["inventory"],
        "tag": "highfield",
    }
    response = post(as_body(contact), compress=False, content_type="application/json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    answer = json.loads(response.content)
    assert answer["status"] == "ok" and answer["tasks"]["inventory"]["server"] == "glpi"
    assert not InventorySubmission.objects.exists()


def test_every_glpi_computer_sample_is_accepted_and_an_update_updates(keys, highfield):
    for name in ("computer_1.json", "computer_2.json", "computer_3.json", "phone_1.json"):
        response = post(as_body(glpi_json(name)))
        assert response.status_code == 200, (name, response.content)
    assert computers(highfield).count() == 4
    laptop = computers(highfield).get(name="LF014")
    before = SoftwareInstallation.objects.filter(ci=laptop).count()
    assert computers(highfield).get(name="Mi9TPro-TéléphoneM").kind == Kind.TABLET

    response = post(as_body(glpi_json("computer_3_updated.json")))

    assert response.status_code == 200
    assert computers(highfield).count() == 4
    latest = InventorySubmission.objects.order_by("-pk").first()
    assert latest.ci == laptop and latest.summary["result"] == "updated" and latest.summary["matched_by"] == "uuid"
    software = latest.summary["software"]
    assert software["added"] > 0 and software["removed"] > 0
    assert SoftwareInstallation.objects.filter(ci=laptop).count() == before + software["added"] - software["removed"]
    assert {"wlp2s0"} <= set(latest.summary["ports"]["updated"])


def test_partial_glpi_inventories_update_only_what_they_carry(keys, highfield):
    assert post(as_body(glpi_json("computer_1.json"))).status_code == 200
    (ci,) = computers(highfield)
    ports = sorted(Port.objects.filter(ci=ci).values_list("pk", "mac"))
    installations = SoftwareInstallation.objects.filter(ci=ci).count()

    for name in ("computer_1_partial_batteries.json", "computer_1_partial_cpu.json", "computer_1_partial_volumes.json"):
        assert post(as_body(glpi_json(name))).status_code == 200, name

    assert computers(highfield).count() == 1
    assert sorted(Port.objects.filter(ci=ci).values_list("pk", "mac")) == ports
    assert SoftwareInstallation.objects.filter(ci=ci).count() == installations
    ci.refresh_from_db()
    assert ci.attributes["os"] == "Fedora 31 (Workstation Edition)"  # not blanked by a partial without it
    assert ci.attributes["disk_gb"] == 256  # storages are not in the volumes partial: kept


def test_network_equipment_and_printers_are_refused_as_not_handled(keys):
    for name in ("networkequipment_3.json", "printer_1.json"):
        response = post(as_body(glpi_json(name)))
        assert response.status_code == 400
        assert "action netinventory: not handled" in json.loads(reply_of(response))["message"]
    assert not ConfigurationItem.objects.exists()
    assert InventorySubmission.objects.filter(outcome=InventorySubmission.Outcome.REJECTED).count() == 2


# =============================================================================
# The FusionInventory XML samples
# =============================================================================

COMPUTER_SAMPLES = ["1.xml", "2.xml", "3.xml", "4.xml", "12.xml", "13.xml", "14.xml", "18.xml"]
NETWORK_SAMPLES = ["5.xml", "5-good.xml", "6.xml", "7.xml", "8.xml", "9.xml", "10.xml", "11.xml", "15.xml"]


def test_the_fusioninventory_computer_samples_are_accepted(keys, highfield):
    for name in COMPUTER_SAMPLES:
        response = post(fusion_xml(name))
        assert response.status_code == 200, (name, response.content)
    # 2.xml and 12.xml are one HP laptop; 13, 14 and 18.xml one Android phone, before and after an update.
    names = sorted(computers(highfield).values_list("name", "kind"))
    assert names == [
        ("LF014", Kind.LAPTOP),
        ("MacBook-de-teclib", Kind.DESKTOP),
        ("android-5a30d8711bbadc9d", Kind.TABLET),
        ("iMac de Marie", Kind.DESKTOP),
        ("pc-arg-23", Kind.LAPTOP),
    ]
    windows = computers(highfield).get(name="pc-arg-23")
    assert windows.attributes["os"] == "Microsoft Windows 8.1 Professionnel 6.3.9600"
    assert Port.objects.filter(ci=windows).count() >= 2  # two adapters of the same model, both kept
    mac = computers(highfield).get(name="MacBook-de-teclib")
    assert Port.objects.filter(ci=mac, mac="00:17:f2:d1:14:32").exists()  # macOS marks even en0 virtual
    assert not Port.objects.filter(speed_mbps__gt=1_000_000).exists()  # macOS's "9223372036854.78" is unknown


def test_network_discovery_and_snmp_samples_are_refused_with_the_reason(keys):
    for name in NETWORK_SAMPLES:
        response = post(fusion_xml(name))
        assert response.status_code == 400, name
        assert "not handled here" in reply_of(response).decode(), name
        assert "REQUEST/QUERY" in response.reason_phrase
    assert not ConfigurationItem.objects.exists()
    assert InventorySubmission.objects.filter(outcome=InventorySubmission.Outcome.REJECTED).count() == len(
        NETWORK_SAMPLES
    )


# =============================================================================
# Malformed payloads: refused with what and where, kept, nothing saved
# =============================================================================

MINIMAL_JSON = {
    "deviceid": "pc-1",
    "action": "inventory",
    "tag": "highfield",
    "content": {"hardware": {"name": "PC-1"}},
}

MALFORMED = {
    "not XML": (
        zlib.compress(b"<REQUEST>\n<QUERY>INVENTORY</QUERY>\n<CONTENT><HARDWARE>\n</REQUEST>"),
        "not XML: mismatched tag: line 4, column 3",
    ),
    "truncated zlib": (zlib.compress(b"<REQUEST>" + b"<X/>" * 200 + b"</REQUEST>")[:-10], "truncated zlib data"),
    "garbage": (b"hello there", "neither XML nor JSON"),
    "empty": (b"", "empty request"),
    "no HARDWARE": (
        zlib.compress(b"<REQUEST><QUERY>INVENTORY</QUERY><DEVICEID>x</DEVICEID><CONTENT><BIOS/></CONTENT></REQUEST>"),
        "REQUEST/CONTENT/HARDWARE: missing",
    ),
    "no QUERY": (zlib.compress(b"<REQUEST><DEVICEID>x</DEVICEID></REQUEST>"), "REQUEST/QUERY: missing"),
    "not JSON": (b'{"deviceid": "pc-1",\n  "content": {,}}', "not JSON: Expecting property name enclosed in double"),
    "JSON without content": (json.dumps({"deviceid": "pc-1", "action": "inventory"}).encode(), "content: missing"),
    "JSON without deviceid": (json.dumps({"content": {"hardware": {"name": "x"}}}).encode(), "deviceid: missing"),
    "JSON without hardware": (
        json.dumps({"deviceid": "pc-1", "content": {"bios": {"ssn": "X1"}}}).encode(),
        "content.hardware: missing",
    ),
    "JSON software without a name": (
        json.dumps(
            {**MINIMAL_JSON, "content": {"hardware": {"name": "PC-1"}, "softwares": [{"name": "a"}, {"version": "1"}]}}
        ).encode(),
        "content.softwares[1].name: missing",
    ),
    "JSON networks not a list": (
        json.dumps({**MINIMAL_JSON, "content": {"hardware": {"name": "PC-1"}, "networks": {"mac": "x"}}}).encode(),
        "content.networks: must be a list",
    ),
    "JSON memory not a number": (
        json.dumps({**MINIMAL_JSON, "content": {"hardware": {"name": "PC-1", "memory": "lots"}}}).encode(),
        "content.hardware.memory: must be a number, not 'lots'",
    ),
    "XML with an entity": (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e "x">]><REQUEST><QUERY>INVENTORY</QUERY></REQUEST>',
        "DTDs and entities are refused",
    ),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_payload_is_refused_with_a_clear_message_and_kept(case, keys, highfield):
    body, message = MALFORMED[case]
    before = state(highfield)

    response = post(body, compress=False, content_type="application/x-compress-zlib")

    assert response.status_code == 400
    assert message in reply_of(response).decode()
    assert message[:60] in response.reason_phrase
    assert state(highfield) == before
    (rejected,) = InventorySubmission.objects.all()
    assert rejected.outcome == InventorySubmission.Outcome.REJECTED and rejected.school == highfield
    assert message in rejected.error
    try:
        received = zlib.decompress(body)  # kept decompressed when it could be
    except zlib.error:
        received = body
    assert bytes(rejected.payload) == received


def test_text_a_database_cannot_hold_is_cleaned(keys, highfield):
    document = {
        "deviceid": "pc-\u0000nul",
        "content": {"hardware": {"name": "PC\u0000-1"}, "softwares": [{"name": "vim\ud800", "version": "9\u0000"}]},
    }
    response = post(json.dumps(document).encode())

    assert response.status_code == 200, response.content
    (ci,) = computers(highfield)
    assert ci.name == "PC-1"
    assert SoftwareProduct.objects.get().name == "vim?"
    assert InventorySubmission.objects.get().device_id == "pc-nul"


def test_nothing_is_half_saved_when_an_inventory_fails_midway(real_inventory, keys, highfield, monkeypatch):
    def fail(ci, reported):
        raise PayloadError("content.softwares: the CMDB could not store them")

    monkeypatch.setattr(services, "_sync_software", fail)
    before = state(highfield)

    response = post(real_inventory)

    assert response.status_code == 400
    assert state(highfield) == before  # no computer, no ports, no products, no history
    assert not Port.objects.exists() and not SoftwareProduct.objects.exists()
    (rejected,) = InventorySubmission.objects.all()
    assert rejected.outcome == InventorySubmission.Outcome.REJECTED and bytes(rejected.payload) == real_inventory


def test_a_get_is_told_where_to_look():
    response = Client().get("/inventory/")
    assert response.status_code == 405 and response["Allow"] == "POST"


# =============================================================================
# Matching: a machine that reports twice is one configuration item
# =============================================================================


def ingest(school, document: dict) -> InventorySubmission:
    receipt = services.inventory_receive(school=school, body=as_body(document), content_type="application/json")
    assert not receipt.error, receipt.error
    return receipt.submission


def reported(**hardware) -> dict:
    """computer_1.json with its identity changed: hostname, uuid, serial, macs."""
    document = copy.deepcopy(glpi_json("computer_1.json"))
    content = document["content"]
    if "hostname" in hardware:
        content["hardware"]["name"] = hardware["hostname"]
    if "uuid" in hardware:
        content["hardware"]["uuid"] = hardware["uuid"]
    if "serial" in hardware:
        content["bios"]["ssn"] = hardware["serial"]
    if "macs" in hardware:
        content["networks"] = [
            {"description": f"eth{i}", "mac": mac, "type": "ethernet", "virtualdev": False}
            for i, mac in enumerate(hardware["macs"])
        ]
    return document


def test_a_changed_hostname_updates_the_same_computer(highfield):
    first = ingest(highfield, reported())
    second = ingest(highfield, reported(hostname="glpixps-renamed"))

    assert computers(highfield).count() == 1
    ci = computers(highfield).get()
    assert second.ci == first.ci == ci
    assert ci.name == "glpixps-renamed" and ci.attributes["hostname"] == "glpixps-renamed"
    assert second.summary["result"] == "updated"
    assert {change["field"] for change in second.summary["changes"]} == {"name", "hostname"}
    assert ci.history.first().history_user is None  # the agent, not a person
    assert Activity.objects.filter(object_id=ci.pk, kind=Activity.Kind.FIELD, actor=None).exists()


def test_a_name_given_by_hand_is_kept_when_the_hostname_changes(highfield, netmgr):
    ci = ingest(highfield, reported()).ci
    cmdb_services.ci_update(ci=ci, actor=netmgr, name="Head's laptop")

    ingest(highfield, reported(hostname="glpixps-2"))

    ci.refresh_from_db()
    assert ci.name == "Head's laptop" and ci.attributes["hostname"] == "glpixps-2"


@pytest.mark.parametrize(
    ("second", "matched_by"),
    [
        ({"serial": "OTHER", "macs": ["02:00:00:00:00:99"]}, "uuid"),
        ({"uuid": "", "macs": ["02:00:00:00:00:99"]}, "serial"),
        ({"uuid": "", "serial": "To Be Filled By O.E.M."}, "mac"),
    ],
)
def test_matching_by_uuid_then_serial_then_mac(highfield, second, matched_by):
    first = ingest(highfield, reported(hostname="pc-a", macs=["02:00:00:00:00:01"]))

    again = ingest(highfield, reported(hostname="pc-b", macs=second.get("macs", ["02:00:00:00:00:01"]), **{
        key: value for key, value in second.items() if key != "macs"
    }))  # fmt: skip

    assert again.ci == first.ci
    assert again.summary["matched_by"] == matched_by
    assert computers(highfield).count() == 1


def test_a_machine_known_only_by_its_agent_is_matched_by_its_device_id(highfield):
    bare = {"deviceid": "kiosk-2026", "content": {"hardware": {"name": "KIOSK"}}}
    first = ingest(highfield, bare)
    again = ingest(highfield, {**bare, "content": {"hardware": {"name": "KIOSK-2"}}})

    assert again.ci == first.ci and again.summary["matched_by"] == "device id"
    assert computers(highfield).count() == 1


def test_another_machine_is_another_computer(highfield):
    ingest(highfield, reported())
    ingest(highfield, reported(hostname="pc-b", uuid="11111111-2222-3333-4444-555555555555", serial="S2",
                               macs=["02:00:00:00:00:02"]))  # fmt: skip
    assert computers(highfield).count() == 2


def test_the_same_machine_at_two_schools_is_two_records(highfield, riverside):
    ingest(highfield, reported())
    ingest(riverside, {**reported(), "tag": "riverside"})
    assert computers(highfield).count() == computers(riverside).count() == 1
    assert SoftwareProduct.objects.filter(school=riverside).exists()


def test_what_people_recorded_by_hand_is_kept(highfield, netmgr):
    ci = ingest(highfield, reported()).ci
    cmdb_services.ci_update(ci=ci, actor=netmgr, kind=Kind.DESKTOP)  # they know better than the chassis
    socket = cmdb_services.ci_create(school=highfield, actor=netmgr, kind=Kind.WALL_SOCKET, name="C1-01")
    socket_port = cmdb_services.port_create(ci=socket, actor=netmgr, name="front")
    cabled = Port.objects.get(ci=ci, name="enp57s0u1u4")
    cmdb_services.cable_connect(a_port=socket_port, b_port=cabled, actor=netmgr)
    product = SoftwareProduct.objects.create(school=highfield, name="SIMS", publisher="Capita")
    SoftwareInstallation.objects.create(school=highfield, ci=ci, product=product, version="7")

    again = ingest(highfield, reported(macs=["02:00:00:00:00:77"]))  # matched by UUID, the old ports gone

    ci.refresh_from_db()
    assert again.ci == ci and ci.kind == Kind.DESKTOP
    assert Port.objects.filter(pk=cabled.pk).exists()  # it has a cable: kept
    assert not Port.objects.filter(ci=ci, name="wlp58s0").exists()  # no cable, no longer reported: gone
    assert again.summary["ports"]["removed"] == ["wlp58s0"]
    assert SoftwareInstallation.objects.filter(ci=ci, product=product).exists()  # by hand: kept


def test_software_no_longer_reported_is_removed(highfield):
    document = reported()
    ingest(highfield, document)
    document["content"]["softwares"] = document["content"]["softwares"][:2]

    submission = ingest(highfield, document)

    assert SoftwareInstallation.objects.filter(ci=submission.ci).count() == 2
    assert submission.summary["software"]["removed"] == len(reported()["content"]["softwares"]) - 2
