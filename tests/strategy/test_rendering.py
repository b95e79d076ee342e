"""The sections' Markdown: a small subset, rendered after escaping, so no text can inject markup."""

from __future__ import annotations

import pytest

from fits.strategy import services
from fits.strategy.rendering import render_markdown

PAYLOADS = [
    "<script>alert('xss-1')</script>",
    "<img src=x onerror=\"alert('xss-2')\">",
    "[click](javascript:alert('xss-3'))",
    "<a href=\"javascript:alert('xss-4')\">x</a>",
    "**<svg onload=alert('xss-5')>**",
]


def test_markdown_subset():
    html = render_markdown("# Aims\nWe **will** do *this*.\n\n- one\n- two\n\n1. first\n2. second\n\n"
                           "[FITS](https://fitsed.org/a?b=1&c=2)")  # fmt: skip
    assert html == (
        "<h4>Aims</h4>\n<p>We <strong>will</strong> do <em>this</em>.</p>\n<ul><li>one</li><li>two</li></ul>\n"
        "<ol><li>first</li><li>second</li></ol>\n"
        '<p><a href="https://fitsed.org/a?b=1&amp;c=2" rel="noopener noreferrer">FITS</a></p>'
    )


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_markup_gets_through(payload):
    html = render_markdown(payload)
    assert "<script" not in html and "<img" not in html and "<svg" not in html
    assert '<a href="javascript' not in html and "<a href" not in html  # only http(s) and mailto links are made


@pytest.mark.django_db
def test_the_pages_show_the_payloads_inert(support, netmgr, client_for):
    services.strategy_section_edit(document=support, key="services", text="\n\n".join(PAYLOADS), actor=netmgr)
    page = client_for(netmgr).get(support.get_absolute_url()).content.decode()
    for active in ("<script>alert(", "<img src=x onerror", "<svg onload", 'href="javascript:'):
        assert active not in page
    assert "&lt;script&gt;alert(" in page
