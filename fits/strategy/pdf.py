"""A strategy version as PDF (WeasyPrint), with its sign-off table: rendering never touches the network."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders

PDF_BASE_URL = "https://fits.invalid/"
STYLESHEET = "strategy/strategy-print.css"


def _static_only(url: str):
    """The site's own static file at `url`, read from disk; anything else is refused."""
    from weasyprint.urls import URLFetcherResponse

    path = urlsplit(url).path
    if url.startswith(PDF_BASE_URL) and path.startswith(settings.STATIC_URL):
        found = finders.find(path.removeprefix(settings.STATIC_URL))
        if found:
            mime = mimetypes.guess_type(found)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body=Path(found).read_bytes(), headers={"Content-Type": mime})
    raise ValueError(f"A strategy PDF fetches only the site's own static files, not {url}")


def render_pdf(html: str) -> bytes:
    from weasyprint import CSS, HTML
    from weasyprint.urls import URLFetcher

    class StaticFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            return _static_only(url)

    fetcher = StaticFetcher()
    css = CSS(filename=finders.find(STYLESHEET), url_fetcher=fetcher)
    return HTML(string=html, base_url=PDF_BASE_URL, url_fetcher=fetcher).write_pdf(stylesheets=[css])
