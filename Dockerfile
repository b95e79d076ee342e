# syntax=docker/dockerfile:1
# FITS Service Desk, production image. One image runs every role: gunicorn (the default command),
# the Celery worker and Celery beat (see docker-compose.yml). Settings come from the environment
# (README "Configuration"); nothing is read from a .env file inside the image.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    FITS_ENVIRONMENT=production \
    FITS_VAR_DIR=/var/lib/fits \
    MEDIA_ROOT=/var/lib/fits/media \
    STATIC_ROOT=/app/staticfiles \
    GUNICORN_CMD_ARGS="--worker-class gthread --workers 2 --threads 4 --timeout 60 --access-logfile - --worker-tmp-dir /dev/shm"

# A system user without a login shell; its home (and gunicorn's control socket) lives in /var/lib/fits.
RUN groupadd --system --gid 1000 fits \
 && useradd --system --uid 1000 --gid fits --home-dir /var/lib/fits --shell /usr/sbin/nologin fits

# Pango and fonts: WeasyPrint lays out the PDF reports (termly service report, consultancy-day pack).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-liberation \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, so a code change does not reinstall them. The project installs no package of
# its own (pyproject.toml: packages = []): the code runs from /app, which is on PYTHONPATH.
COPY pyproject.toml README.md ./
RUN pip install . && rm -rf build *.egg-info

COPY . .

# Static files are collected (hashed and compressed) into the image. The secret key and host are
# placeholders for this one step; the running container must be given real ones.
RUN SECRET_KEY=collectstatic-only-not-a-secret ALLOWED_HOSTS=localhost FITS_VAR_DIR=/tmp/fits-build \
    python manage.py collectstatic --no-input -v0 \
 && rm -rf /tmp/fits-build \
 && mkdir -p /var/lib/fits/media \
 && chown -R fits:fits /var/lib/fits

USER fits
EXPOSE 8000

# The sign-in page answering (the worker and beat services override or disable this in compose).
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 CMD ["python", "docker/healthcheck.py"]

# Tune with GUNICORN_CMD_ARGS (replace the whole value); the bind address stays here.
CMD ["gunicorn", "fits.wsgi", "--bind", "0.0.0.0:8000"]
