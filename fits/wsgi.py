"""WSGI entry point (gunicorn fits.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fits.settings")
application = get_wsgi_application()
