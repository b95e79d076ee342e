"""The incident journey in a real browser, as the users walk it (DESIGN.md 1 and 5).

A member of staff logs an incident through the portal; the technician finds it in the queue, takes
it, comments and resolves it; the member of staff reads the resolution and confirms and closes it.
Then every persona of the demo cast signs in and lands on their own home page, and the pages a
phone user needs fit a 375 px screen without sideways scrolling.

Run: .venv/bin/pytest tests/e2e -q -p no:xdist   (screenshots in test-artifacts/e2e/)
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import CHROMIUM, PHONE

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"Debian chromium not found at {CHROMIUM} (apt-get install chromium); "
        "Playwright cannot download its own browsers here",
    ),
]

SUMMARY = "Interactive whiteboard in Room 12 has no picture"
DESCRIPTION = "The board shows 'no signal' since this morning. I tried another HDMI cable."
ROOM = "Room 12"
COMMENT = "On my way with a spare HDMI switch."
RESOLUTION = "The HDMI switch behind the board had failed; replaced it and the picture is back."


def header(page):
    """The page header: the h1, its pretitle and the status and priority badges beside it."""
    return page.locator(".page-header")


def test_incident_journey_from_logging_to_closing(
    sign_in, screenshot, highfield, riverside, staff, tech, tech2, log_incident
):
    from incidents import services
    from incidents.models import Incident, Status

    # Other incidents in the queue, so that the technician's filter has something to filter out.
    taken = log_incident(highfield, by=staff, title="Printer in the office out of toner")
    services.incident_assign(incident=taken, assignee=tech, actor=tech, note="")
    log_incident(riverside, by=tech2, title="Riverside projector bulb blown")

    # --- The member of staff logs it ----------------------------------------------------------
    page = sign_in("staff", before_submit=lambda p: screenshot(p, "journey-01-sign-in"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello Staff")
    screenshot(page, "journey-02-staff-home")

    page.get_by_role("link", name="Log a new incident").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log an incident")
    page.get_by_label("Summary").fill(SUMMARY)
    page.get_by_label("What happened?").fill(DESCRIPTION)
    page.get_by_label("Room or location").fill(ROOM)
    page.get_by_label("A class, lesson or department").check()  # impact
    page.get_by_label("Stops teaching or work now").check()  # urgency
    screenshot(page, "journey-03-log-form")
    page.get_by_role("button", name="Log incident").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(SUMMARY)
    logged = Incident.objects.get(title=SUMMARY)
    reference = logged.reference
    assert re.fullmatch(r"INC-\d{6}", reference)
    expect(page.locator(".messages")).to_contain_text(f"{reference} logged")
    expect(header(page)).to_contain_text(reference)
    expect(header(page)).to_contain_text("New")
    expect(page.locator("#description")).to_contain_text(DESCRIPTION)
    expect(page.locator(".incident-sheet").first).to_contain_text(ROOM)
    screenshot(page, "journey-04-logged")

    # --- The technician finds it in the queue, takes it, comments and resolves it --------------
    bench = sign_in("tech")
    expect(bench.get_by_role("heading", level=1)).to_have_text("My queue")
    processes = bench.get_by_role("navigation", name="FITS processes and functions")
    processes.get_by_role("link", name="Incidents", exact=True).click()
    expect(bench.get_by_role("heading", level=1)).to_have_text("Incidents")
    queue = bench.locator("table")
    expect(queue).to_contain_text("Printer in the office out of toner")
    expect(queue).not_to_contain_text("Riverside projector")  # another school's: never shown

    bench.get_by_label("State").select_option("open")
    bench.get_by_label("Unassigned only").check()
    bench.get_by_role("button", name="Filter").click()
    expect(queue).to_contain_text(reference)
    expect(queue).not_to_contain_text("Printer in the office out of toner")  # assigned: filtered out

    bench.get_by_role("columnheader", name="Logged").get_by_role("link").click()  # sort by date logged
    bench.wait_for_url(re.compile(r"sort="))
    expect(bench.get_by_label("Unassigned only")).to_be_checked()  # sorting keeps the filter
    expect(queue.locator("tbody tr")).to_have_count(1)
    screenshot(bench, "journey-05-tech-queue")

    queue.get_by_role("link", name=reference).click()
    expect(bench.get_by_role("heading", level=1)).to_have_text(SUMMARY)
    bench.get_by_role("button", name="Take and start").click()
    expect(header(bench)).to_contain_text("In progress")
    expect(bench.locator("#assignee")).to_have_text(str(tech))
    screenshot(bench, "journey-06-taken")

    bench.get_by_label("Add a comment").fill(COMMENT)
    bench.get_by_role("button", name="Add comment").click()
    expect(bench.get_by_role("list", name="Timeline")).to_contain_text(COMMENT)

    bench.get_by_role("button", name=re.compile(r"^Resolve")).first.click()  # opens the resolution note
    resolve_form = bench.locator("#action-resolve")
    resolve_form.get_by_label("Outcome").select_option("fixed")
    resolve_form.get_by_label("Resolution").fill(RESOLUTION)
    resolve_form.get_by_role("button", name="Resolve", exact=True).click()
    expect(header(bench)).to_contain_text("Resolved")
    expect(bench.locator("#resolution")).to_contain_text(RESOLUTION)
    screenshot(bench, "journey-07-resolved")

    # --- The member of staff reads the resolution, confirms and closes it ----------------------
    page = sign_in("staff")
    confirm = page.get_by_role("region", name="Is it fixed? Please confirm")
    expect(confirm).to_contain_text(reference)
    screenshot(page, "journey-08-staff-asked-to-confirm")
    confirm.get_by_role("link", name=re.compile(reference)).click()
    expect(page.locator("#resolution")).to_contain_text(RESOLUTION)
    expect(page.get_by_role("list", name="Timeline")).to_contain_text(COMMENT)
    page.get_by_role("button", name="Confirm and close").click()
    expect(header(page)).to_contain_text("Closed")
    expect(page.locator("#resolution")).to_contain_text(RESOLUTION)
    screenshot(page, "journey-09-closed")

    # ... and signs out from the account menu.
    page.get_by_role("button", name=re.compile(r"^Your account")).click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()

    logged.refresh_from_db()
    assert logged.status == Status.CLOSED
    assert logged.assignee == tech
    assert logged.resolution == RESOLUTION


# Where each person of the demo cast lands: (h1, a line that says whose page it is).
HOMES = {
    "staff": ("Hello Staff", "My incidents"),
    "desk": ("Today's calls", "Service desk"),
    "tech": ("My queue", "Technician"),
    "tech2": ("My queue", "Technician"),
    "outsider": ("My queue", "Technician"),
    "netmgr": ("Highfield Primary School", "The school at a glance"),
    "leader": ("Highfield Primary School", "The school at a glance"),
    "consultant": ("Schools side by side", "Authority overview"),
    "admin": ("Schools side by side", "Authority overview"),
}
SCHOOL_OF = {"tech2": "Riverside Academy", "outsider": "Westfield High School"}


def test_each_persona_lands_on_their_own_home_page(sign_in, screenshot, cast):
    for username, (title, pretitle) in HOMES.items():
        page = sign_in(username)
        heading = page.get_by_role("heading", level=1)
        expect(heading).to_have_count(1)
        expect(heading).to_have_text(title)
        expect(page.locator(".page-header")).to_contain_text(pretitle, ignore_case=True)
        expect(page.locator("#current-user")).to_have_text(str(cast[username]))
        if username in SCHOOL_OF:
            expect(page.get_by_role("banner")).to_contain_text(SCHOOL_OF[username])
        screenshot(page, f"home-{username}")
        page.context.close()


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_phone_width_pages_fit_without_sideways_scrolling(
    sign_in, screenshot, highfield, staff, desk, tech, log_incident
):
    log_incident(highfield, by=staff, title="A rather long summary of a fault, as people write them on a phone")

    page = sign_in("staff", viewport=PHONE)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello Staff")
    screenshot(page, "phone-staff-home")
    assert no_sideways_scroll(page), "the home page scrolls sideways at 375 px"

    # The menu collapses behind the toggler, and opens.
    menu = page.get_by_role("navigation", name="FITS processes and functions")
    expect(menu).to_be_hidden()
    page.get_by_role("button", name="Show or hide the menu").click()
    expect(menu.get_by_role("link", name="Incidents", exact=True)).to_be_visible()
    screenshot(page, "phone-staff-menu")
    page.get_by_role("button", name="Show or hide the menu").click()
    expect(menu).to_be_hidden()

    page.get_by_role("link", name="Log a new incident").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log an incident")
    screenshot(page, "phone-staff-incident-form")
    assert no_sideways_scroll(page), "the incident form scrolls sideways at 375 px"

    # Errors show beside the fields, and the page still fits.
    page.get_by_role("button", name="Log incident").click()
    expect(page.locator(".invalid-feedback").first).to_be_visible()
    screenshot(page, "phone-staff-incident-form-errors")
    assert no_sideways_scroll(page), "the incident form with errors scrolls sideways at 375 px"

    page = sign_in("desk", viewport=PHONE)
    expect(page.get_by_role("heading", level=1)).to_have_text("Today's calls")
    screenshot(page, "phone-desk-home")
    assert no_sideways_scroll(page), "the desk's home scrolls sideways at 375 px"
    page.goto("/incidents/new/")
    screenshot(page, "phone-desk-incident-form")
    assert no_sideways_scroll(page), "the desk's call form scrolls sideways at 375 px"

    # The queue's table scrolls inside its card, not the page.
    page = sign_in("tech", viewport=PHONE)
    page.goto("/incidents/")
    expect(page.locator("table")).to_be_visible()
    screenshot(page, "phone-tech-queue")
    assert no_sideways_scroll(page), "the incident queue scrolls sideways at 375 px"
