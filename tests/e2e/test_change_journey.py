"""Change Management in a real browser (issue 6): a request for change from raising to the forward schedule.

As `tech`: raise a normal change on the core switch, answer the risk questionnaire, submit it; no approve
button is offered, and a vote posted anyway is refused. As `netmgr`: approve it. As `tech`: scheduling it inside
the exam freeze is refused with the freeze's name; scheduled beside the demo's firmware upgrade, the conflict is
flagged. A high-risk change goes to the Bolton schools CAB: one member's vote leaves it at 1 of the 2 needed,
the second approves it. Screenshots in test-artifacts/e2e/.

The world is the demo's Change Management (changes.demo.seed_changes: templates, the board, the freezes and
highfield's changes) over the cast and the demo's core switch, MIS server and MIS service.

Run: .venv/bin/pytest tests/e2e/test_change_journey.py -p no:cacheprovider
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import Resolver404, resolve
from django.utils import timezone
from playwright.sync_api import expect

from changes.demo import seed_changes
from changes.models import ChangeAdvisoryBoard, FreezeWindow, RequestForChange, Status
from tests.e2e.conftest import CHROMIUM

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"Debian chromium not found at {CHROMIUM} (apt-get install chromium); "
        "Playwright cannot download its own browsers here",
    ),
]

FIRMWARE = "Upgrade the core switch firmware to 17.12.4"  # the demo's scheduled change on HF-CORE-01
LOW_RISK = {
    "users_affected": "few",
    "service_criticality": "medium",
    "tested": "yes",
    "backout": "yes",
    "school_day": "no",
}
HIGH_RISK = {
    "users_affected": "school",
    "service_criticality": "high",
    "tested": "yes",
    "backout": "partial",
    "school_day": "no",
}


def routed(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def local(when) -> str:
    """A datetime as a datetime-local input wants it."""
    return timezone.localtime(when).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def change_world(transactional_db, cast, bolton, highfield, riverside, westfield):
    """The cast, the demo's core switch, MIS server and MIS service at highfield, and the demo's Change
    Management built on them (the board, the freezes, the standard changes, highfield's changes)."""
    from cmdb import services as cmdb

    core = cmdb.ci_create(school=highfield, actor=cast["netmgr"], kind="switch", name="HF-CORE-01")
    server = cmdb.ci_create(school=highfield, actor=cast["netmgr"], kind="server", name="HF-SRV-01")
    cmdb.relationship_add(source=server, target=core, actor=cast["netmgr"])
    mis = cmdb.ci_create(
        school=highfield,
        actor=cast["netmgr"],
        kind="service",
        name="MIS",
        attributes={"purpose": "management", "criticality": "high"},
    )
    cmdb.relationship_add(source=mis, target=server, actor=cast["netmgr"], kind="runs_on")
    seed_changes({"bolton": bolton}, {"highfield": highfield, "riverside": riverside}, cast)
    return {"core": core, "server": server}


def raise_change(page, *, title: str, reason: str, cis: list[str], answers: dict[str, str]) -> str:
    """Fill in the raise form, answer the questionnaire and submit for approval; returns the change's URL."""
    page.goto("/changes/new/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Raise a change")
    page.get_by_label("Kind").select_option("normal")
    page.get_by_label("Summary").fill(title)
    page.get_by_label("Reason").fill(reason)
    page.get_by_label("Affected configuration items").select_option(label=cis)
    page.get_by_label("Implementation plan").fill("Save the configuration to the file server, apply, reload.")
    page.get_by_label("Test plan").fill("Every edge switch and the MIS answer from the office.")
    page.get_by_label("Backout plan").fill("Restore the saved configuration and reload.")
    page.get_by_role("button", name="Raise change").click()
    expect(page.locator(".messages")).to_contain_text("raised as a draft")
    url = page.url
    form = page.locator("#risk-form")
    for question, answer in answers.items():
        form.locator(f"input[name='{question}'][value='{answer}']").check()
    form.get_by_role("button", name="Assess risk").click()
    expect(page.locator(".messages")).to_contain_text("Risk assessed")
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.get_by_label("Status")).to_contain_text("Awaiting approval")
    return url


def post_vote(page, url: str, decision: str, comment: str) -> None:
    """Post a vote as the page's user would with a hand-made form (for someone offered no vote form)."""
    page.evaluate(
        """([action, decision, comment]) => {
            const form = document.createElement("form");
            form.method = "post";
            form.action = action;
            const fields = {
                csrfmiddlewaretoken: document.querySelector("input[name=csrfmiddlewaretoken]").value,
                decision: decision,
                comment: comment,
            };
            for (const [name, value] of Object.entries(fields)) {
                const input = document.createElement("input");
                input.type = "hidden";
                input.name = name;
                input.value = value;
                form.appendChild(input);
            }
            document.body.appendChild(form);
            form.submit();
        }""",
        [url.rstrip("/") + "/vote/", decision, comment],
    )
    page.wait_for_load_state()


def vote(page, decision: str, comment: str = "") -> None:
    form = page.locator("#vote-form")
    if comment:
        form.get_by_label("Your comment").fill(comment)
    form.get_by_role("button", name=decision).click()
    expect(page.locator(".messages")).to_contain_text("Your decision is recorded")


def test_change_journey(change_world, sign_in, screenshot):
    # --- The technician raises a normal change on the core switch ------------------------------------
    tech = sign_in("tech")
    url = raise_change(
        tech,
        title="Replace the core switch's failing fan tray",
        reason="The core switch logs fan tray 2 failures; Cisco sent a replacement under the support contract.",
        cis=["HF-CORE-01"],
        answers=LOW_RISK,
    )
    change = RequestForChange.objects.get(title="Replace the core switch's failing fan tray")
    assert change.status == Status.SUBMITTED and [ci.name for ci in change.cis.all()] == ["HF-CORE-01"]
    expect(tech.locator("#approvals")).to_contain_text("Network manager")
    expect(tech.get_by_role("button", name="Approve")).to_have_count(0)
    expect(tech.locator("#vote-form")).to_have_count(0)
    screenshot(tech, "changes-01-tech-submitted")

    # He cannot approve it anyway: a vote posted by hand is refused, and says why.
    post_vote(tech, url, "approve", "")
    expect(tech.locator(".messages")).to_contain_text(f"You raised {change.reference}, so you cannot approve")
    expect(tech.get_by_label("Status")).to_contain_text("Awaiting approval")
    assert not change.approvals.exists()
    screenshot(tech, "changes-02-tech-vote-refused")

    # --- The network manager approves it -------------------------------------------------------------
    netmgr = sign_in("netmgr")
    netmgr.goto(url)
    vote(netmgr, "Approve", "Fine: after school, with the site team in.")
    expect(netmgr.get_by_label("Status")).to_contain_text("Approved")
    expect(netmgr.locator("#approvals")).to_contain_text("Fine: after school")
    screenshot(netmgr, "changes-03-netmgr-approved")

    # --- Scheduling it in the exam freeze is refused, naming the freeze ------------------------------
    exams = FreezeWindow.objects.get(name="GCSE and A-level exams")
    in_exams = timezone.make_aware(
        timezone.datetime.combine(exams.starts + timedelta(days=2), timezone.datetime.min.time())
    )
    in_exams += timedelta(hours=16)
    tech.goto(url)
    form = tech.locator("#schedule-form")
    form.get_by_label("Planned start").fill(local(in_exams))
    form.get_by_label("Planned end").fill(local(in_exams + timedelta(hours=1)))
    form.get_by_role("button", name="Schedule").click()
    messages = tech.locator(".messages")
    expect(messages).to_contain_text("freeze window “GCSE and A-level exams”")
    expect(messages).to_contain_text(f"{change.reference} cannot run then")
    expect(tech.get_by_label("Status")).to_contain_text("Approved")
    screenshot(tech, "changes-04-freeze-refused")

    # Beside the demo's firmware upgrade on the same switch, it is scheduled and the conflict flagged.
    firmware = RequestForChange.objects.get(title=FIRMWARE)
    start = firmware.planned_start + timedelta(minutes=30)
    form = tech.locator("#schedule-form")
    form.get_by_label("Planned start").fill(local(start))
    form.get_by_label("Planned end").fill(local(start + timedelta(hours=1)))
    form.get_by_role("button", name="Schedule").click()
    expect(tech.locator(".messages")).to_contain_text(f"{change.reference} is scheduled")
    expect(tech.get_by_label("Status")).to_contain_text("Scheduled")
    conflicts = tech.locator("#conflicts")
    expect(conflicts).to_contain_text(firmware.reference)
    expect(conflicts).to_contain_text("HF-CORE-01")
    screenshot(tech, "changes-05-scheduled-with-conflict")

    # --- A high-risk change waits for the board's quorum ---------------------------------------------
    url = raise_change(
        tech,
        title="Move the MIS database to the new server disks",
        reason="The MIS server's disks report reallocated sectors; the new SSDs are fitted alongside.",
        cis=["HF-SRV-01", "MIS"],
        answers=HIGH_RISK,
    )
    risky = RequestForChange.objects.get(title="Move the MIS database to the new server disks")
    board = ChangeAdvisoryBoard.objects.get(name="Bolton schools CAB")
    assert risky.risk == "high" and risky.cab == board
    expect(tech.locator("#approvals")).to_contain_text("Bolton schools CAB, quorum 2")

    netmgr.goto(url)
    vote(netmgr, "Approve", "The backup restore was tested on Monday.")
    expect(netmgr.get_by_label("Status")).to_contain_text("Awaiting approval")
    expect(netmgr.locator("#approvals")).to_contain_text("CAB member")
    # A board member's vote is one of the two the quorum needs: voting again does not make it two.
    post_vote(netmgr, url, "approve", "Again, to reach the quorum.")
    expect(netmgr.locator(".messages")).to_contain_text(f"You have already voted on {risky.reference}")
    expect(netmgr.get_by_label("Status")).to_contain_text("Awaiting approval")
    board_page = f"/changes/boards/{board.pk}/"
    if routed(board_page):
        netmgr.goto(board_page)
        item = netmgr.locator("#agenda .agenda-item", has_text=risky.reference)
        expect(item).to_have_count(1)
        expect(item.locator(".tally")).to_have_text("1 of 2 needed")
        screenshot(netmgr, "changes-06-board-agenda-1-of-2")
    else:
        screenshot(netmgr, "changes-06-cab-1-of-2")
    risky.refresh_from_db()
    assert risky.status == Status.SUBMITTED and risky.approvals.count() == 1

    leader = sign_in("leader")
    leader.goto(url)
    vote(leader, "Approve", "Agreed, in half-term only.")
    expect(leader.get_by_label("Status")).to_contain_text("Approved")
    votes = leader.locator("#approvals .vote")
    expect(votes).to_have_count(2)
    expect(leader.locator("#approvals")).to_contain_text(re.compile("Agreed, in half-term only"))
    screenshot(leader, "changes-07-cab-quorum-approved")
    risky.refresh_from_db()
    assert risky.status == Status.APPROVED
