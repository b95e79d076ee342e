"""The pages about inventory agents: settings with the agent command line, the key, what agents sent."""

from __future__ import annotations

import base64
import json
import zlib

import pytest
from django.test import Client

from cmdb import services as cmdb_services
from cmdb.inventory import services
from cmdb.models import AgentKey, InventorySubmission

pytestmark = pytest.mark.django_db

KEY = "demo-agent-highfield"


def computer(name: str, tag: str = "highfield") -> bytes:
    return json.dumps(
        {
            "deviceid": f"{name}-2026",
            "tag": tag,
            "content": {"hardware": {"name": name}, "softwares": [{"name": "vim"}]},
        }
    ).encode()


@pytest.fixture
def inventories(highfield, riverside):
    """An accepted and a refused inventory at highfield, an accepted one at riverside."""
    made = {
        "highfield": services.inventory_receive(school=highfield, body=computer("HF-PC-01")).submission,
        "highfield-bad": services.inventory_receive(school=highfield, body=b"<REQUEST><QUERY>").submission,
        "riverside": services.inventory_receive(school=riverside, body=computer("RS-PC-01", "riverside")).submission,
    }
    assert made["highfield-bad"].outcome == InventorySubmission.Outcome.REJECTED
    return made


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def agent_post(body: bytes, key: str):
    return Client().post(
        "/inventory/", data=zlib.compress(body), content_type="application/x-compress-zlib",
        HTTP_AUTHORIZATION=basic("highfield", key),
    )  # fmt: skip


# =============================================================================
# Settings
# =============================================================================


def test_the_settings_page_shows_the_exact_agent_command_lines(highfield, netmgr, client_for, settings):
    settings.FITS_BASE_URL = "https://desk.bolton.sch.uk"
    cmdb_services.agent_key_rotate(school=highfield, actor=None, key=KEY)

    content = client_for(netmgr).get("/inventory/settings/").content.decode()

    linux = (
        "fusioninventory-agent --server https://desk.bolton.sch.uk/inventory/ --tag highfield --user highfield "
        "--password KEY"
    )
    assert linux in content
    assert "SERVER=https://desk.bolton.sch.uk/inventory/ TAG=highfield USER=highfield PASSWORD=KEY" in content
    assert "/server=https://desk.bolton.sch.uk/inventory/ /tag=highfield /user=highfield /password=KEY" in content
    assert KEY not in content  # only a hash is kept: the key is never shown again
    assert "Rotate the key" in content


def test_a_technician_reads_the_settings_but_cannot_rotate(highfield, tech, client_for):
    cmdb_services.agent_key_rotate(school=highfield, actor=None, key=KEY)
    client = client_for(tech)

    page = client.get("/inventory/settings/")
    assert page.status_code == 200 and "Rotate the key" not in page.content.decode()

    response = client.post("/inventory/settings/highfield/rotate/")
    assert response.status_code == 302
    assert cmdb_services.agent_key_check(school=highfield, key=KEY)  # unchanged


def test_an_ict_user_cannot_see_the_settings(highfield, staff, client_for):
    response = client_for(staff).get("/inventory/settings/")
    assert response.status_code == 302 and response["Location"] == "/"
    response = client_for(staff).post("/inventory/settings/highfield/rotate/")
    assert response.status_code == 302
    assert not AgentKey.objects.exists()


def test_the_network_manager_rotates_the_key_and_sees_it_once(highfield, netmgr, client_for):
    cmdb_services.agent_key_rotate(school=highfield, actor=None, key=KEY)
    client = client_for(netmgr)

    response = client.post("/inventory/settings/highfield/rotate/")

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    new_key = response.context["new_key"]
    content = response.content.decode()
    assert len(new_key) >= 24 and new_key in content
    assert f"--tag highfield --user highfield --password {new_key}" in content
    assert AgentKey.objects.get(school=highfield).rotated_by == netmgr
    assert new_key not in client.get("/inventory/settings/").content.decode()  # shown once
    assert agent_post(computer("PC-9"), KEY).status_code == 401  # the old key is refused
    assert agent_post(computer("PC-9"), new_key).status_code == 200


def test_nobody_rotates_another_schools_key(highfield, riverside, netmgr, client_for):
    cmdb_services.agent_key_rotate(school=riverside, actor=None, key="demo-agent-riverside")
    response = client_for(netmgr).post("/inventory/settings/riverside/rotate/")
    assert response.status_code == 404
    assert cmdb_services.agent_key_check(school=riverside, key="demo-agent-riverside")


def test_someone_with_several_schools_chooses_one(highfield, riverside, consultant, client_for):
    client = client_for(consultant)
    content = client.get("/inventory/settings/").content.decode()
    assert "Which school?" in content and "?school=riverside" in content and "?school=highfield" in content

    content = client.get("/inventory/settings/?school=riverside").content.decode()
    assert "--tag riverside --user riverside" in content and "Rotate the key" not in content


def test_the_settings_list_the_latest_inventories(inventories, tech, client_for):
    content = client_for(tech).get("/inventory/settings/").content.decode()
    assert "HF-PC-01" in content and "Rejected" in content
    assert "RS-PC-01" not in content


def test_the_menu_links_to_the_inventory_agents_for_support_staff(highfield, tech, staff, client_for):
    assert 'href="/inventory/settings/"' in client_for(tech).get("/").content.decode()
    assert 'href="/inventory/settings/"' not in client_for(staff).get("/").content.decode()


# =============================================================================
# What the agents sent
# =============================================================================


def test_the_list_shows_the_schools_inventories_and_filters_by_outcome(inventories, tech, client_for):
    client = client_for(tech)
    content = client.get("/inventory/submissions/").content.decode()
    assert "HF-PC-01" in content and "not XML" in content and "RS-PC-01" not in content

    content = client.get("/inventory/submissions/?outcome=rejected").content.decode()
    assert "not XML" in content and "HF-PC-01" not in content


def test_the_detail_shows_what_an_inventory_changed_or_why_it_was_refused(inventories, tech, client_for):
    client = client_for(tech)
    accepted = client.get(f"/inventory/submissions/{inventories['highfield'].pk}/").content.decode()
    assert "Recorded a new desktop computer" in accepted and "HF-PC-01" in accepted
    assert "1 reported: 1 added" in accepted

    refused = client.get(f"/inventory/submissions/{inventories['highfield-bad'].pk}/").content.decode()
    assert "Refused: nothing was saved" in refused and "not XML" in refused


def test_the_detail_of_an_update_lists_the_changes(highfield, tech, client_for):
    services.inventory_receive(school=highfield, body=computer("HF-PC-01"))
    document = json.loads(computer("HF-PC-01"))
    document["content"]["hardware"]["name"] = "HF-PC-99"
    document["content"]["softwares"] = [{"name": "emacs", "version": "29"}]
    update = services.inventory_receive(school=highfield, body=json.dumps(document).encode()).submission

    content = client_for(tech).get(f"/inventory/submissions/{update.pk}/").content.decode()

    assert "Updated" in content and "Recognised by its agent&#x27;s device id" in content
    assert '<th scope="row">Host name</th><td>HF-PC-01</td><td>HF-PC-99</td>' in content
    assert "1 reported: 1 added, 1 removed, 0 unchanged" in content and "emacs 29" in content
    listed = client_for(tech).get("/inventory/submissions/").content.decode()
    assert "host name HF-PC-01 → HF-PC-99" in listed


def test_the_payload_is_a_download_never_inline(inventories, tech, client_for):
    submission = inventories["highfield"]
    response = client_for(tech).get(f"/inventory/submissions/{submission.pk}/payload/")

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="inventory-{submission.pk}.json"'
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content == computer("HF-PC-01")


@pytest.mark.parametrize("page", ["", "payload/"])
def test_another_schools_inventories_answer_404(inventories, tech2, staff, client_for, page):
    for viewer, key in ((tech2, "highfield"), (tech2, "highfield-bad"), (staff, "highfield")):
        response = client_for(viewer).get(f"/inventory/submissions/{inventories[key].pk}/{page}")
        assert response.status_code == 404, (viewer, key)
    assert client_for(tech2).get(f"/inventory/submissions/{inventories['riverside'].pk}/{page}").status_code == 200


def test_another_schools_inventories_are_not_listed(inventories, tech2, client_for):
    content = client_for(tech2).get("/inventory/submissions/").content.decode()
    assert "RS-PC-01" in content and "HF-PC-01" not in content and "not XML" not in content
    content = client_for(tech2).get("/inventory/submissions/?school=highfield").content.decode()
    assert "HF-PC-01" not in content
