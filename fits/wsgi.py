"""WSGI entry point (gunicorn fits.wsgi)."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fits.settings")
os.environ["FITS_WEB_PROCESS"] = "1"  # web processes cancel over-long statements (DATABASE_STATEMENT_TIMEOUT)
application = get_wsgi_application()


def _settle() -> None:
    """Import every view now rather than on the first request, then take the objects that live as long as the
    process (modules, classes, URL patterns, templates' code: some 300,000) out of the garbage collector's sight:
    otherwise every full collection walks them all, tens of milliseconds on a request that happened to trigger it."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every app's views
    gc.collect()
    gc.freeze()


_settle()
