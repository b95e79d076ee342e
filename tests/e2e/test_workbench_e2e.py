"""The workbench in a real browser: a technician works the unassigned queue from the keyboard.

j/k move the cursor, x chooses tickets, ? shows the shortcuts, / searches, a assigns the chosen tickets
to oneself; the message says what was done, the counts follow, and a live update brings a new call in.

Run: .venv/bin/pytest tests/e2e/test_workbench_e2e.py -q -p no:xdist   (screenshots in test-artifacts/e2e/)
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import CHROMIUM

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"Debian chromium not found at {CHROMIUM} (apt-get install chromium); "
        "Playwright cannot download its own browsers here",
    ),
]


def rows(page):
    return page.locator("#wb-list tbody tr")


def count(page, queue: str):
    return page.locator(f"#wb-count-{queue}")


def test_a_technician_works_the_queue_from_the_keyboard(
    sign_in, screenshot, highfield, staff, desk, tech, log_incident
):
    from incidents import services
    from incidents.models import Incident

    for title in ("Projector in Room 12 shows no picture", "Printer in the office jams", "Laptop 7 will not charge"):
        log_incident(highfield, by=staff, title=title)
    services.incident_assign(
        incident=log_incident(highfield, by=staff, title="Already mine"), assignee=tech, actor=desk
    )

    page = sign_in("tech")
    page.get_by_role("navigation", name="FITS processes and functions").get_by_role("link", name="Workbench").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Workbench")
    expect(count(page, "mine")).to_contain_text("1")
    page.get_by_role("link", name=re.compile(r"^Unassigned")).click()
    expect(rows(page)).to_have_count(3)
    expect(count(page, "unassigned")).to_contain_text("3")

    # j / k move a visible cursor (the focused row), x chooses the row under it.
    page.keyboard.press("j")
    first, second = rows(page).nth(0), rows(page).nth(1)
    expect(first).to_have_class(re.compile(r"\bis-cursor\b"))
    expect(first).to_be_focused()
    page.keyboard.press("j")
    expect(second).to_have_class(re.compile(r"\bis-cursor\b"))
    expect(first).not_to_have_class(re.compile(r"\bis-cursor\b"))
    page.keyboard.press("k")
    expect(first).to_be_focused()
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("x")
    expect(first.get_by_role("checkbox")).to_be_checked()
    expect(second.get_by_role("checkbox")).to_be_checked()
    expect(rows(page).nth(2).get_by_role("checkbox")).not_to_be_checked()
    expect(page.locator("#wb-selected")).to_have_text("2 tickets chosen")

    # ? shows the shortcuts; Escape closes them. / goes to the search box.
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    screenshot(page, "workbench-01-shortcuts")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_hidden()
    page.keyboard.press("/")
    expect(page.get_by_label("Search tickets")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.get_by_label("Search tickets")).not_to_be_focused()
    screenshot(page, "workbench-02-two-chosen")

    # a: assign the chosen tickets to me.
    chosen = [first.get_attribute("data-id"), second.get_attribute("data-id")]
    page.keyboard.press("a")
    expect(page.locator(".messages")).to_contain_text("Assign to me: 2 done.")
    expect(rows(page)).to_have_count(1)
    expect(count(page, "unassigned")).to_contain_text("1")
    expect(count(page, "mine")).to_contain_text("3")
    assert {str(pk) for pk in Incident.objects.filter(assignee=tech).values_list("pk", flat=True)} >= set(chosen)
    screenshot(page, "workbench-03-assigned")

    # A new call arrives: the next live update brings it in (nothing is chosen, so the rows refresh themselves),
    # and the cursor stays on the ticket it was on.
    page.keyboard.press("j")
    under_cursor = rows(page).nth(0).get_attribute("data-id")
    log_incident(highfield, by=desk, reporter=staff, title="Wi-Fi down in the library", channel="phone")
    page.evaluate("htmx.ajax('GET', document.getElementById('wb-poll').getAttribute('hx-get'), "
                  "{source: '#wb-poll', swap: 'none'})")  # fmt: skip
    expect(rows(page)).to_have_count(2)
    expect(page.locator("#wb-list")).to_contain_text("Wi-Fi down in the library")
    expect(count(page, "unassigned")).to_contain_text("2")
    expect(page.locator("#wb-notice")).to_contain_text("List updated")
    expect(page.locator(f'#wb-list tr[data-id="{under_cursor}"]')).to_have_class(re.compile(r"\bis-cursor\b"))
    expect(page.locator(f'#wb-list tr[data-id="{under_cursor}"]')).to_be_focused()

    # With a ticket chosen, a change only offers a refresh: rows never move under the person choosing.
    page.keyboard.press("j")
    page.keyboard.press("x")
    log_incident(highfield, by=desk, reporter=staff, title="Visualiser upside down", channel="phone")
    page.evaluate("htmx.ajax('GET', document.getElementById('wb-poll').getAttribute('hx-get'), "
                  "{source: '#wb-poll', swap: 'none'})")  # fmt: skip
    expect(page.locator("#wb-notice")).to_contain_text("1 ticket has changed on this page")
    expect(rows(page)).to_have_count(2)
    expect(count(page, "unassigned")).to_contain_text("3")
    screenshot(page, "workbench-04-refresh-offered")
    page.get_by_role("link", name="Refresh").click()
    expect(rows(page)).to_have_count(3)
