"""The portal and the phone form in a real browser (Debian chromium), as the users walk them.

`staff` logs a fault through the portal, picking the room and the device from the CMDB and attaching
a screenshot; `desk` takes a phone call for `staff` from the keyboard; `tech` takes the portal ticket
and resolves it; `staff` reopens it from "My tickets", `tech` resolves it again, and `staff` confirms
it with a rating.

Run: .venv/bin/pytest tests/e2e/test_portal_e2e.py -q -p no:xdist   (screenshots in test-artifacts/e2e/)
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import CHROMIUM
from tests.incidents.portal_world import PNG

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"Debian chromium not found at {CHROMIUM} (apt-get install chromium); "
        "Playwright cannot download its own browsers here",
    ),
]

SUMMARY = "Classroom 4 PC will not start"
CALL = "Office printer prints blank pages"


def header(page):
    return page.locator(".page-header")


def resolve(page, note: str) -> None:
    page.get_by_role("button", name=re.compile(r"^Resolve")).first.click()
    form = page.locator("#action-resolve")
    form.get_by_label("Outcome").select_option("fixed")
    form.get_by_label("Resolution").fill(note)
    form.get_by_role("button", name="Resolve", exact=True).click()
    expect(header(page)).to_contain_text("Resolved")


def test_portal_phone_and_the_callers_side(sign_in, screenshot, highfield, staff, desk, tech, settings, tmp_path):
    from cmdb import services as cmdb
    from fits.models import Attachment
    from incidents.models import Channel, Incident, Status

    settings.MEDIA_ROOT = tmp_path / "media"
    site = cmdb.location_create(school=highfield, actor=tech, kind="site", name="Main site")
    junior = cmdb.location_create(school=highfield, actor=tech, kind="building", name="Junior block", parent=site)
    room = cmdb.location_create(school=highfield, actor=tech, kind="room", name="Classroom 4", parent=junior)
    cmdb.location_create(school=highfield, actor=tech, kind="room", name="ICT suite", parent=junior)
    pc = cmdb.ci_create(school=highfield, actor=tech, kind="desktop", name="HF-PC-C4-01", location=room)

    # --- staff logs it through the portal: room, device, screenshot ------------------------------
    page = sign_in("staff")
    page.get_by_role("link", name="Log a new incident").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log an incident")
    page.get_by_label("Summary").fill(SUMMARY)
    page.get_by_label("What happened?").fill("The power light blinks orange and nothing comes up.")
    page.get_by_label("Room or location").fill("classroom")
    page.get_by_role("radio", name=re.compile(r"^Classroom 4")).check()
    page.get_by_role("radio", name=re.compile(r"^HF-PC-C4-01")).check()  # the room's devices came up
    page.get_by_label("Where exactly (optional)").fill("the teacher's desk")
    page.get_by_label("One person: just me").check()
    page.get_by_label("Stops teaching or work now").check()
    page.get_by_label("Screenshots or documents").set_input_files(
        {"name": "blinking-light.png", "mimeType": "image/png", "buffer": PNG}
    )
    screenshot(page, "portal-01-log-form")
    page.get_by_role("button", name="Log incident").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(SUMMARY)
    logged = Incident.objects.get(title=SUMMARY)
    assert (logged.location, logged.ci, logged.room, logged.channel) == (room, pc, "the teacher's desk", Channel.PORTAL)
    expect(page.locator("#incident-room")).to_contain_text("Classroom 4")
    expect(page.locator("#attachments")).to_contain_text("blinking-light.png")
    assert Attachment.objects.get(object_id=logged.pk).media_type == "image/png"
    screenshot(page, "portal-02-logged")

    # --- desk takes a phone call for staff, from the keyboard ------------------------------------
    call = sign_in("desk")
    call.goto("/incidents/phone/")
    expect(call.get_by_role("heading", level=1)).to_have_text("Take a call")
    call.keyboard.type("staff")  # the caller box has the focus
    caller = call.get_by_role("radio", name=re.compile(r"^Staff"))
    expect(caller).to_be_visible()
    caller.check()
    expect(call.locator("#caller-options")).to_contain_text("1 open ticket")
    call.get_by_label("Summary").fill(CALL)
    call.get_by_label("A class, lesson or department").check()
    expect(call.locator("#priority-value")).to_have_text("P3 Medium")  # the priority follows as it is chosen
    screenshot(call, "portal-03-phone-form")
    call.get_by_label("Summary").press("Control+Enter")
    expect(call.locator("#last-call")).to_contain_text(CALL)
    phoned = Incident.objects.get(title=CALL)
    assert (phoned.reporter, phoned.logged_by, phoned.channel) == (staff, desk, Channel.PHONE)
    screenshot(call, "portal-04-call-logged")

    # --- tech takes the portal ticket and resolves it --------------------------------------------
    bench = sign_in("tech")
    bench.goto(logged.get_absolute_url())
    expect(bench.locator("#ci-impact")).to_contain_text("If HF-PC-C4-01 is down")
    bench.get_by_role("button", name="Take and start").click()
    expect(header(bench)).to_contain_text("In progress")
    resolve(bench, "Reseated the memory: it starts again.")

    # --- staff reopens it from My tickets ---------------------------------------------------------
    page.goto("/incidents/mine/")
    ticket = page.locator(f"#ticket-{logged.pk}")
    ticket.get_by_label("Not fixed? What is still wrong?").fill("It started once, then the light went orange again.")
    ticket.get_by_role("button", name="Reopen").click()
    expect(header(page)).to_contain_text("Reopened")
    screenshot(page, "portal-05-reopened")

    # --- tech resolves it again; staff confirms with a rating -----------------------------------
    bench.reload()
    resolve(bench, "Replaced the power supply.")
    page.goto(logged.get_absolute_url())
    card = page.locator("#confirm-card")
    expect(card).to_contain_text("Is it fixed?")
    card.locator(".rating-option", has_text="Good").click()
    card.get_by_label("Anything to add? (optional)").fill("Quick and friendly, thank you.")
    screenshot(page, "portal-06-confirm")
    card.get_by_role("button", name="Confirm and close").click()
    expect(header(page)).to_contain_text("Closed")
    expect(page.locator("#satisfaction")).to_contain_text("4 out of 5")
    screenshot(page, "portal-07-closed")

    logged.refresh_from_db()
    assert (logged.status, logged.satisfaction, logged.satisfaction_comment) == (
        Status.CLOSED,
        4,
        "Quick and friendly, thank you.",
    )
