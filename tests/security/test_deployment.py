"""Deployment (README "Security"): `check --deploy` is clean with the production settings, and in production only
collected, hashed static files are served (WhiteNoise with the manifest, no finders)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import RequestFactory, override_settings

REPO = Path(settings.BASE_DIR)
# drf-spectacular's schema warnings are the API schema test's business (spectacular --fail-on-warn), not deployment's.
NOT_DEPLOYMENT = ("drf_spectacular.",)


def production_environment(tmp_path: Path) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if key not in {"DEBUG", "DATABASE_URL"}}
    environment.update(
        FITS_ENVIRONMENT="production",
        SECRET_KEY="x7Gq2-production-like-secret-key-for-the-deploy-check-0123456789abcdefABCDEF",
        ALLOWED_HOSTS="servicedesk.example.sch.uk",
        REDIS_URL=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0",
        STATIC_ROOT=str(tmp_path / "static"),
        MEDIA_ROOT=str(tmp_path / "media"),
        FITS_VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    return environment


def run_manage(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=production_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_check_deploy_is_clean_with_the_production_settings(tmp_path):
    result = run_manage(tmp_path, "check", "--deploy")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    issues = re.findall(r"\((\w+\.[EW]\d+)\)", output)
    assert [issue for issue in issues if not issue.startswith(NOT_DEPLOYMENT)] == [], output


def test_production_turns_on_the_transport_protections(tmp_path):
    code = (
        "from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.WHITENOISE_USE_FINDERS, s.STORAGES['staticfiles']['BACKEND'], s.FITS_REQUIRE_2FA, s.DEBUG)"
    )
    result = run_manage(tmp_path, "shell", "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-8:] == [
        "True",
        "31536000",
        "True",
        "True",
        "False",
        "whitenoise.storage.CompressedManifestStaticFilesStorage",
        "True",
        "False",
    ]


@pytest.fixture
def collected(tmp_path):
    """A STATIC_ROOT as collectstatic leaves it in production: hashed names and the manifest."""
    root = tmp_path / "static"
    (root / "fits").mkdir(parents=True)
    (root / "fits" / "fits.0123456789ab.css").write_text("body { color: #182433; }")
    (root / "staticfiles.json").write_text(
        '{"paths": {"fits/fits.css": "fits/fits.0123456789ab.css"}, "version": "1.1", "hash": "x"}'
    )
    return root


def whitenoise_in_production(root: Path):
    from whitenoise.middleware import WhiteNoiseMiddleware

    with override_settings(
        STATIC_ROOT=root,
        WHITENOISE_USE_FINDERS=False,
        WHITENOISE_AUTOREFRESH=False,
        DEBUG=False,
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
        },
    ):
        return WhiteNoiseMiddleware(lambda request: HttpResponse("not a static file", status=404))


def test_only_collected_files_are_served_in_production(collected):
    middleware = whitenoise_in_production(collected)
    get = RequestFactory().get
    served = middleware(get("/static/fits/fits.0123456789ab.css"))
    assert served.status_code == 200 and "immutable" in served["Cache-Control"]
    assert b"".join(served.streaming_content) == b"body { color: #182433; }"
    assert (REPO / "static" / "fits" / "fits.js").exists()  # in the source, but never collected here:
    assert middleware(get("/static/fits/fits.js")).status_code == 404
    assert middleware(get("/static/fits/fits.css")).status_code == 404  # only its hashed copy was collected
    for outside in ("/static/../fits/settings.py", "/static/%2e%2e/fits/settings.py", "/static/staticfiles.json/.."):
        assert middleware(get(outside)).status_code == 404, outside
    assert middleware(get("/static/../../manage.py")).status_code == 404
