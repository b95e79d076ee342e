"""ASGI entry point, for servers that speak ASGI."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fits.settings")
os.environ["FITS_WEB_PROCESS"] = "1"  # web processes cancel over-long statements (DATABASE_STATEMENT_TIMEOUT)
application = get_asgi_application()
