"""WSGI entry point (gunicorn fits.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fits.settings")
os.environ["FITS_WEB_PROCESS"] = "1"  # web processes cancel over-long statements (DATABASE_STATEMENT_TIMEOUT)
application = get_wsgi_application()
