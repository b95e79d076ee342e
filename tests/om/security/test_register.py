"""The firewall and filtering rule register (reviews due become tasks, once), antivirus status from the real agent's
inventory, and the privileged accounts with their access reviews."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from cmdb.inventory.services import inventory_receive
from cmdb.services import ci_create
from incidents.models import Task, TaskOrigin
from om.security import services
from om.security.models import AccessReview, AccessReviewStatus, AntivirusStatus, FirewallRule, PrivilegedAccount
from tests.cmdb.test_inventory import agent

# =============================================================================
# Firewall rules
# =============================================================================


@pytest.fixture
def firewall(highfield, tech):
    return ci_create(school=highfield, actor=tech, kind="firewall", name="HF-FW-01")


def rule(firewall, actor, name="Allow MIS from the office", **values):
    values = {
        "source": "Office VLAN",
        "destination": "MIS server",
        "service": "tcp/443",
        "action": "allow",
        "purpose": "The office reaches the MIS.",
        **values,
    }
    return services.firewall_rule_save(actor=actor, firewall=firewall, name=name, **values)


def test_a_rule_needs_a_purpose_and_a_firewall(highfield, firewall, tech):
    with pytest.raises(ValidationError):
        rule(firewall, tech, purpose=" ")
    printer = ci_create(school=highfield, actor=tech, kind="printer", name="HF-PRN-01")
    with pytest.raises(ValidationError):
        rule(printer, tech)
    recorded = rule(firewall, tech)
    assert recorded.review_due > timezone.localdate()  # a year from now unless said otherwise


def test_the_desk_and_leaders_do_not_keep_the_register(firewall, desk, leader):
    for person in (desk, leader):
        with pytest.raises(PermissionDenied):
            rule(firewall, person)


def test_a_review_due_raises_one_task_however_often_it_runs(firewall, tech, netmgr):
    today = timezone.localdate()
    overdue = rule(firewall, tech, owner=tech, review_due=today - timedelta(days=3))
    rule(firewall, tech, name="Block social media for pupils", action="filter", review_due=today + timedelta(days=200))
    assert services.firewall_reviews_raise(today=today) == 1
    assert services.firewall_reviews_raise(today=today) == 0
    task = Task.objects.get(origin=TaskOrigin.REVIEW)
    assert task.assignee == tech and task.due_on == overdue.review_due and task.ci == firewall
    # Reviewing the rule completes its task and sets the next review.
    reviewed = services.firewall_rule_review(rule=overdue, actor=netmgr, note="Still used by the office.")
    task.refresh_from_db()
    assert task.status == "done" and reviewed.review_due > today and reviewed.last_reviewed_by == netmgr
    assert services.firewall_reviews_raise(today=today) == 0


def test_the_celery_task_raises_the_reviews(firewall, tech):
    from om.security.tasks import firewall_reviews_raise_task

    rule(firewall, tech, review_due=timezone.localdate())
    assert firewall_reviews_raise_task.delay().get() == 1


def test_the_register_pages(firewall, tech, client_for):
    client = client_for(tech)
    assert client.get(reverse("security:rule_create")).status_code == 200
    response = client.post(
        reverse("security:rule_create"),
        {
            "firewall": firewall.pk,
            "name": "Allow DNS",
            "source": "any",
            "destination": "DC01",
            "service": "udp/53",
            "action": "allow",
            "purpose": "Name resolution",
            "review_months": 12,
            "is_active": "on",
        },
    )
    created = FirewallRule.objects.get()
    assert response.status_code == 302 and created.service == "udp/53"
    assert "Allow DNS" in client.get(reverse("security:rule_list")).content.decode()
    assert "Name resolution" in client.get(created.get_absolute_url()).content.decode()
    client.post(reverse("security:rule_review", args=[created.pk]), {"note": "Checked."})
    created.refresh_from_db()
    assert created.last_reviewed_by == tech


def test_an_ict_user_never_reaches_the_register(firewall, tech, staff, client_for):
    rule(firewall, tech)
    assert client_for(staff).get(reverse("security:rule_list")).status_code == 404


# =============================================================================
# Antivirus from the real agent's inventory
# =============================================================================

ANTIVIRUS = (
    b"<ANTIVIRUS><ENABLED>1</ENABLED><NAME>Windows Defender</NAME><UPTODATE>0</UPTODATE>"
    b"<VERSION>4.18.2</VERSION></ANTIVIRUS>"
)


@pytest.fixture(scope="module")
def real_inventory(tmp_path_factory) -> bytes:
    """This machine's inventory, written by Debian's fusioninventory-agent (`--local`), as it would send it."""
    workdir = tmp_path_factory.mktemp("agent")
    out = workdir / "out"
    out.mkdir()
    run = agent(workdir, "--local", str(out), "--tag", "highfield")
    assert run.returncode == 0, run.stderr
    (written,) = out.glob("*.ocs")
    return written.read_bytes()


def test_the_real_agents_inventory_without_antivirus_shows_the_computer_unprotected(
    real_inventory, highfield, tech, client_for
):
    receipt = inventory_receive(school=highfield, body=real_inventory)
    assert receipt.submission.outcome == "accepted"
    assert services.antivirus_refresh() == 1
    status = AntivirusStatus.objects.get()
    assert status.ci == receipt.submission.ci and status.product == "" and not status.working
    page = client_for(tech).get(reverse("security:antivirus")).content.decode()
    assert receipt.submission.ci.name in page and "No antivirus" in page
    assert services.antivirus_refresh() == 0  # nothing new since


def test_an_antivirus_section_is_read_and_a_newer_inventory_updates_it(real_inventory, highfield, tech, client_for):
    inventory_receive(school=highfield, body=real_inventory)
    services.antivirus_refresh()
    with_av = re.sub(rb"<CONTENT>", b"<CONTENT>" + ANTIVIRUS, real_inventory, count=1)
    inventory_receive(school=highfield, body=with_av)
    assert services.antivirus_refresh() == 1
    status = AntivirusStatus.objects.get()
    assert (status.product, status.version, status.enabled, status.up_to_date) == (
        "Windows Defender",
        "4.18.2",
        True,
        False,
    )
    assert "Out of date" in client_for(tech).get(reverse("security:antivirus")).content.decode()
    up_to_date = with_av.replace(b"<UPTODATE>0</UPTODATE>", b"<UPTODATE>1</UPTODATE>")
    inventory_receive(school=highfield, body=up_to_date)
    services.antivirus_refresh()
    assert AntivirusStatus.objects.get().working
    page = client_for(tech).get(reverse("security:antivirus")).content.decode()
    assert "Windows Defender" not in page  # protected: not on the page of the unprotected
    assert "Windows Defender" in client_for(tech).get(reverse("security:antivirus") + "?all=1").content.decode()


def test_a_glpi_agent_json_antivirus_is_read(highfield):
    document = {
        "deviceid": "pc-7",
        "action": "inventory",
        "itemtype": "Computer",
        "content": {
            "hardware": {"name": "HF-PC-07"},
            "antivirus": [{"name": "Sophos", "enabled": True, "uptodate": True}],
        },
    }
    inventory_receive(school=highfield, body=json.dumps(document).encode())
    services.antivirus_refresh(school_id=highfield.pk)
    assert AntivirusStatus.objects.get().product == "Sophos"


# =============================================================================
# Privileged accounts and access reviews
# =============================================================================

CSV = b"""account,system,rights,holder,username,notes
HIGHFIELD\\admin.netmgr,HIGHFIELD domain,Domain Admins,,netmgr,
HIGHFIELD\\admin.old,HIGHFIELD domain,Domain Admins,Former technician,,Left in July
root,HF-FW-01,Administrator,Vendor support,,
"""


def test_accounts_are_imported_from_csv_and_reimported_as_updates(highfield, netmgr):
    assert services.privileged_accounts_import(school=highfield, actor=netmgr, data=CSV) == {"added": 3, "updated": 0}
    assert services.privileged_accounts_import(school=highfield, actor=netmgr, data=CSV) == {"added": 0, "updated": 3}
    account = PrivilegedAccount.objects.get(account="HIGHFIELD\\admin.netmgr")
    assert account.person == netmgr and account.source == "csv"


def test_a_bad_csv_names_the_line_and_imports_nothing(highfield, netmgr):
    with pytest.raises(ValidationError, match="Line 4"):
        services.privileged_accounts_import(school=highfield, actor=netmgr, data=CSV.replace(b"root,HF-FW-01", b",,"))
    assert not PrivilegedAccount.objects.exists()


def test_an_access_review_keeps_and_removes_with_notes_and_is_signed_off(highfield, netmgr, leader, tech):
    services.privileged_accounts_import(school=highfield, actor=netmgr, data=CSV)
    review = services.access_review_start(school=highfield, actor=netmgr)
    with pytest.raises(ValidationError):
        services.access_review_start(school=highfield, actor=netmgr)  # one at a time
    items = {item.account.account: item for item in review.items.select_related("account")}
    with pytest.raises(ValidationError):
        services.access_review_sign_off(review=review, actor=leader)  # undecided accounts
    with pytest.raises(ValidationError):
        services.access_review_decide(item=items["HIGHFIELD\\admin.old"], actor=leader, decision="remove")
    services.access_review_decide(item=items["HIGHFIELD\\admin.old"], actor=leader, decision="remove", note="Left")
    services.access_review_decide(item=items["HIGHFIELD\\admin.netmgr"], actor=leader, decision="keep")
    services.access_review_decide(item=items["root"], actor=leader, decision="keep", note="Vendor break-glass")
    with pytest.raises(PermissionDenied):
        services.access_review_sign_off(review=review, actor=tech)
    signed = services.access_review_sign_off(review=review, actor=leader)
    assert signed.status == AccessReviewStatus.SIGNED_OFF and signed.next_due > timezone.localdate()
    assert not PrivilegedAccount.objects.get(account="HIGHFIELD\\admin.old").is_active
    assert PrivilegedAccount.objects.filter(is_active=True).count() == 2


@pytest.mark.parametrize("viewer", ["tech", "desk", "staff", "consultant", "tech2"])
def test_who_holds_admin_rights_reaches_nobody_else(viewer, request, highfield, netmgr, client_for, api_for):
    services.privileged_accounts_import(school=highfield, actor=netmgr, data=CSV)
    review = services.access_review_start(school=highfield, actor=netmgr)
    user = request.getfixturevalue(viewer)
    listed = client_for(user).get(reverse("security:account_list"))
    assert listed.status_code in (200, 404) and "admin.old" not in listed.content.decode()
    assert client_for(user).get(review.get_absolute_url()).status_code == 404
    assert "admin.old" not in api_for(user).get("/api/security/privileged-accounts/").content.decode()
    assert "admin.old" not in api_for(user).get("/api/security/access-reviews/").content.decode()


def test_the_account_pages(highfield, netmgr, client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(netmgr)
    assert client.get(reverse("security:account_import")).status_code == 200
    client.post(
        reverse("security:account_import"),
        {"school": highfield.pk, "file": SimpleUploadedFile("admins.csv", CSV, "text/csv")},
    )
    assert "admin.old" in client.get(reverse("security:account_list")).content.decode()
    client.post(reverse("security:review_start"), {"school": highfield.pk})
    review = AccessReview.objects.get()
    item = review.items.first()
    client.post(reverse("security:review_decide", args=[item.pk]), {"decision": "keep", "note": ""})
    item.refresh_from_db()
    assert item.decision == "keep"
    assert "still to decide" in client.get(review.get_absolute_url()).content.decode()


def test_the_api_records_and_reviews_a_rule(firewall, tech, netmgr, tech2, api_for):
    payload = {"firewall": firewall.pk, "name": "Allow MIS", "purpose": "The office reaches the MIS.",
               "service": "tcp/443", "owner": tech.pk}  # fmt: skip
    created = api_for(tech).post("/api/security/firewall-rules/", payload, format="json")
    assert created.status_code == 201, created.content
    rule = created.json()
    assert rule["firewall"] == "HF-FW-01" and rule["review_due"]
    assert api_for(tech).post("/api/security/firewall-rules/", payload, format="json").status_code == 400
    theirs = api_for(tech2).post("/api/security/firewall-rules/", {**payload, "name": "Mine"}, format="json")
    assert theirs.status_code == 400 and "firewall" in theirs.json()["errors"][0]["attr"]
    reviewed = api_for(tech).post(f"/api/security/firewall-rules/{rule['id']}/review/", {"note": "Still needed."},
                                  format="json")  # fmt: skip
    assert reviewed.status_code == 200 and reviewed.json()["last_reviewed_by"] == str(tech)


def test_the_api_records_accounts_and_signs_a_review_off(highfield, netmgr, tech, api_for):
    client = api_for(netmgr)
    for name in ("admin.tbaxter", "admin.old"):
        made = client.post("/api/security/privileged-accounts/",
                           {"school": "highfield", "account": f"HIGHFIELD\\{name}", "system": "Active Directory",
                            "rights": "Domain Admins"}, format="json")  # fmt: skip
        assert made.status_code == 201, made.content
    assert api_for(tech).post("/api/security/privileged-accounts/",
                              {"school": "highfield", "account": "x", "system": "y"},
                              format="json").status_code == 403  # fmt: skip
    review = services.access_review_start(school=highfield, actor=netmgr)
    url = f"/api/security/access-reviews/{review.pk}/"
    assert len(client.get(url).json()["items"]) == 2
    items = {item.account.account: item.pk for item in review.items.select_related("account")}
    refused = client.post(url + "decide/", {"item": items["HIGHFIELD\\admin.old"], "decision": "remove"},
                          format="json")  # fmt: skip
    assert refused.status_code == 400 and "Say why the rights go" in refused.content.decode()
    for account, decision in (("HIGHFIELD\\admin.old", "remove"), ("HIGHFIELD\\admin.tbaxter", "keep")):
        response = client.post(url + "decide/", {"item": items[account], "decision": decision, "note": "Left."},
                               format="json")  # fmt: skip
        assert response.status_code == 200, response.content
    assert client.post(url + "decide/", {"item": 0, "decision": "keep"}, format="json").status_code == 400
    signed = client.post(url + "sign-off/", {}, format="json")
    assert signed.status_code == 200 and signed.json()["status"] == "signed_off"
    active = {
        a["account"] for a in client.get("/api/security/privileged-accounts/").json()["results"] if a["is_active"]
    }
    assert active == {"HIGHFIELD\\admin.tbaxter"}
