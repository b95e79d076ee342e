"""Browser tests: Playwright's sync API driving Debian's chromium against pytest-django's live server.

`playwright install` cannot download browsers here, so the tests use /usr/bin/chromium and skip,
with a reason, where it is missing. Screenshots go to test-artifacts/e2e/ (git-ignored).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
TIMEOUT_MS = 10_000


@pytest.fixture(scope="module")
def _async_unsafe_allowed() -> Iterator[None]:
    """Playwright's sync API runs an event loop in the test thread; the ORM refuses to run beside
    one unless told it is safe. It is here: the live server answers from its own thread. Module
    scope, so the rest of the suite runs with Django's check on again."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="module")
def chromium(_async_unsafe_allowed):
    """One headless chromium per test module; each person gets their own context (cookies).

    Named `chromium`, not `browser`, so it never collides with pytest-playwright's fixtures."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def screenshot() -> Callable:
    """screenshot(page, "name"): a full-page PNG under test-artifacts/e2e/, path returned."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def sign_in(chromium, live_server) -> Iterator[Callable]:
    """sign_in("staff") -> a page signed in through the login form, in a browser context of its own.

    The demo cast's password is their username (tests/conftest.py). `before_submit(page)` runs on the
    filled-in login page (for a screenshot). Contexts close when the test ends.
    """
    contexts = []

    def open_as(username: str, *, viewport: dict | None = None, before_submit: Callable | None = None):
        # Reduced motion: Bootstrap then opens menus and collapses without animating, so no waits.
        context = chromium.new_context(
            viewport=viewport or DESKTOP, base_url=live_server.url, locale="en-GB", reduced_motion="reduce"
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(username)
        if before_submit is not None:
            before_submit(page)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        return page

    yield open_as
    for context in contexts:
        context.close()
