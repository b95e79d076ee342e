"""The Content-Security-Policy (README "Security"): scripts and styles only from our own files or with the response's
nonce, no 'unsafe-inline', no 'unsafe-eval', and nothing on the pages that the policy would block.

Three checks: every page of a walk over the site answers with the strict header, and its HTML carries no style=""
or on*="" attribute and no inline script or style without the nonce; a static check over every template and every
piece of Python that builds HTML; and, in a real browser, key pages of the demo raise no `securitypolicyviolation`
event and no console error (and their charts still draw).

Run: .venv/bin/pytest tests/security/test_csp.py -q -p no:xdist
"""

from __future__ import annotations

import io
import re
import tokenize
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.e2e.conftest import CHROMIUM, _async_unsafe_allowed, chromium, sign_in  # noqa: F401 (fixtures)

ROOT = Path(settings.BASE_DIR)
STRICT = {
    "default-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}
# HTML e-mail is read in mail clients, which drop <style> and honour only inline styles; it is never a page.
NOT_PAGES = {"templates/notifications/email.html"}

# Event handler attributes, named: a dict key such as "one" in Python must not count.
HANDLERS = (
    r"on(abort|blur|change|click|contextmenu|dblclick|drag\w*|drop|error|focus\w*|input|invalid|key\w+|load|"
    r"mouse\w+|pointer\w+|reset|resize|scroll|search|select|submit|toggle|touch\w+|unload|beforeunload|wheel)"
)
STYLE_ATTRIBUTE = re.compile(r"<[a-zA-Z][^<>]*?\sstyle\s*=", re.S)
EVENT_ATTRIBUTE = re.compile(r"<[a-zA-Z][^<>]*?\son[a-z]+\s*=", re.S)
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)([^>]*)>", re.I)
STYLE_ELEMENT = re.compile(r"<style\b([^>]*)>", re.I)
DATA_BLOCK = re.compile(r"""\btype=["']application/(ld\+)?json["']""")


def policy(response) -> dict[str, str]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"{response.request['PATH_INFO']} has no Content-Security-Policy header"
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


def assert_strict(path: str, directives: dict[str, str]) -> None:
    for name, value in STRICT.items():
        assert directives.get(name) == value, f"{path}: {name} is {directives.get(name)!r}, not {value!r}"
    for name in ("script-src", "style-src"):
        sources = directives[name].split()
        assert sources[0] == "'self'" and all(s.startswith("'nonce-") for s in sources[1:]), f"{path}: {name}"
    text = " ".join(directives.values())
    assert "unsafe-inline" not in text and "unsafe-eval" not in text, f"{path}: {text}"


def inline_problems(html: str, nonce: str | None) -> list[str]:
    """What a strict policy would block in `html`: style/on* attributes, inline scripts and styles without `nonce`."""
    problems = [f"style attribute: {m.group(0)[:120]}" for m in STYLE_ATTRIBUTE.finditer(html)]
    problems += [f"event handler: {m.group(0)[:120]}" for m in EVENT_ATTRIBUTE.finditer(html)]
    for pattern in (INLINE_SCRIPT, STYLE_ELEMENT):
        for match in pattern.finditer(html):
            attributes = match.group(1)
            if pattern is INLINE_SCRIPT and DATA_BLOCK.search(attributes):
                continue  # json_script: data, never run
            wanted = f'nonce="{nonce}"' if nonce is not None else "nonce="
            if wanted not in attributes.replace("{{ request.csp_nonce }}", str(nonce)):
                problems.append(f"no nonce: {match.group(0)[:120]}")
    return problems


# --- 1. A walk over the site ----------------------------------------------------------------------------------


def routes(resolver=None, prefix: str = "") -> list[str]:
    """Every address of the site that takes no parameter (list pages, forms, dashboards, API lists, the admin)."""
    found = []
    for entry in (resolver or get_resolver()).url_patterns:
        pattern = entry.pattern
        if pattern.regex.groups:
            continue
        text = str(pattern).lstrip("^").rstrip("$").replace("\\", "")
        if "<" in text or any(c in text for c in "()[]?*+|"):
            continue
        if isinstance(entry, URLResolver):
            found += routes(entry, prefix + text)
        elif isinstance(entry, URLPattern):
            found.append("/" + prefix + text)
    return sorted(set(found))


@pytest.fixture
def walk_world(cast, highfield, log_incident, netmgr):
    incident = log_incident(highfield, by=netmgr, title="Projector in B4 will not switch on")
    return {"incident": incident}


def signed_in(user) -> Client:
    client = Client(raise_request_exception=False)  # a refused admin page raises PermissionDenied: answer 403
    client.force_login(user)
    return client


def test_every_page_of_a_walk_has_the_strict_policy_and_nothing_it_would_block(cast, walk_world):
    paths = [p for p in routes() if p != "/accounts/logout/"] + [walk_world["incident"].get_absolute_url()]
    assert len(paths) > 100
    walked, pages = 0, 0
    for user in (cast["netmgr"], cast["admin"]):
        client = signed_in(user)
        for path in paths:
            if path.startswith("/admin/") != (user is cast["admin"]):
                continue
            response = client.get(path)
            walked += 1
            assert response.status_code < 500, (path, response.status_code)
            directives = policy(response)
            if path == "/api/redoc/":
                continue  # its own, relaxed policy: the next test
            assert_strict(path, directives)
            if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
                pages += 1
                nonce = next((s[7:-1] for s in directives["script-src"].split() if s.startswith("'nonce-")), None)
                html = response.content.decode()
                assert not inline_problems(html, nonce), (path, inline_problems(html, nonce))
    # Signed out: the sign-in page and a page that is not there.
    for path, status in (("/accounts/login/", 200), ("/no-such-page/", 404)):
        response = Client().get(path)
        assert response.status_code == status
        assert_strict(path, policy(response))
    assert walked > 150 and pages > 60, (walked, pages)


def test_only_redoc_relaxes_the_policy_and_only_for_its_styles_and_search_worker(client):
    directives = policy(client.get("/api/redoc/"))
    assert directives["style-src"] == "'self' 'unsafe-inline'"
    assert directives["worker-src"] == "'self' blob:"
    assert directives["script-src"].startswith("'self' 'nonce-") and "unsafe" not in directives["script-src"]
    for name, value in STRICT.items():
        assert directives[name] == value
    # Swagger UI keeps the strict policy: its inline style and start-up script carry the nonce.
    response = client.get("/api/docs/")
    assert_strict("/api/docs/", policy(response))
    nonce = policy(response)["script-src"].split()[1][7:-1]
    assert f'<script nonce="{nonce}">' in response.content.decode()
    assert not inline_problems(response.content.decode(), nonce)


# --- 2. Static: templates and the Python that builds HTML -----------------------------------------------------


def template_files() -> list[Path]:
    skip = {".venv", "node_modules", "var", "test-artifacts", ".git"}
    return sorted(
        path
        for path in ROOT.rglob("templates/**/*.html")
        if not skip.intersection(path.relative_to(ROOT).parts) and str(path.relative_to(ROOT)) not in NOT_PAGES
    )


def test_no_template_has_inline_styles_handlers_or_scripts_without_the_nonce():
    files = template_files()
    assert len(files) > 200
    problems = {}
    for path in files:
        text = re.sub(r"\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}|\{#.*?#\}", "", path.read_text(), flags=re.S)
        found = inline_problems(text, nonce=None)
        if found:
            problems[str(path.relative_to(ROOT))] = found
    assert not problems


def test_no_python_builds_html_with_inline_styles_or_handlers():
    """format_html, mark_safe, widgets, django-tables2 attrs and template tags: their string literals."""
    # scripts/ holds build tools (the icon sprite is an SVG file of its own, used through <use>), not pages.
    skip = {".venv", "node_modules", "var", "tests", "migrations", ".git", "test-artifacts", "scripts"}
    attribute = re.compile(rf"""(^|[\s<"'])(style|{HANDLERS})=\\?["']""")  # in a string: style="..." or onclick="..."
    attrs_key = re.compile(rf"""^["'](style|{HANDLERS})["']$""")  # a key of an attrs dict: {"style": ...}
    problems = []
    for path in ROOT.rglob("*.py"):
        if skip.intersection(path.relative_to(ROOT).parts):
            continue
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(path.read_text()).readline) if t.type != tokenize.NL]
        for token, following in zip(tokens, tokens[1:], strict=False):
            if token.type != tokenize.STRING:
                continue
            if attribute.search(token.string) or (attrs_key.match(token.string) and following.string == ":"):
                problems.append(f"{path.relative_to(ROOT)}:{token.start[0]}: {token.string[:80]}")
    assert not problems


# --- 3. In a real browser ----------------------------------------------------------------------------------------

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI + " " + e.sourceFile + ":" + e.lineNumber);
});
"""


@pytest.fixture
def demo_world(transactional_db, settings):
    """The whole demo, in the live server's database."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", stdout=StringIO())


@pytest.mark.e2e
@pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Debian chromium not found at {CHROMIUM}")
def test_key_pages_raise_no_policy_violation_or_console_error(demo_world, sign_in):  # noqa: F811 (the fixture)
    from changes.models import CABMeeting
    from incidents.models import Incident

    incident = Incident.objects.filter(school__slug="highfield").order_by("-pk").first()
    meeting = CABMeeting.objects.order_by("pk").first()
    pages = {
        "/": None,
        "/incidents/": None,
        incident.get_absolute_url(): None,
        "/cmdb/": None,
        "/service-levels/dashboard/": "chart",
        "/finance/": "chart",
        "/finance/budget/": None,
        "/continuity/risks/matrix/": None,
        f"/changes/meetings/{meeting.pk}/": None,
        "/om/printing/": None,
        "/api/docs/": "swagger",
    }
    page = sign_in("netmgr")
    page.context.add_init_script(RECORD_VIOLATIONS)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    for path, expect in pages.items():
        errors.clear()
        response = page.goto(path)
        assert response.status == 200, path
        assert "unsafe-inline" not in response.headers["content-security-policy"], path
        page.wait_for_load_state("networkidle")
        if expect == "chart":
            drawn = page.evaluate("window.Chart ? Object.keys(window.Chart.instances).length : 0")
            assert drawn > 0, f"{path}: no chart drawn"
        if expect == "swagger":
            page.wait_for_selector(".swagger-ui .opblock", timeout=15_000)
        else:
            assert page.evaluate("htmx.config.includeIndicatorStyles") is False, path
        assert page.evaluate("window.__cspViolations") == [], path
        assert errors == [], path
