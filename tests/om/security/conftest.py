"""Shared fixtures of the Security Administration tests: a security category at highfield and an incident in it."""

from __future__ import annotations

import pytest

from incidents import services as incidents
from om.security import services

SECRET = "Phishing e-mail opened by the bursar [sec-secret]"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what the services queue after commit (e-mails), as a real request would."""

    def run(operation, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return operation(*args, **kwargs)

    return run


@pytest.fixture
def security_category(highfield, netmgr):
    category = incidents.category_save(actor=netmgr, school=highfield, name="Security incident")
    return services.category_mark_security(category=category, actor=netmgr, is_security=True)


@pytest.fixture
def security_incident(highfield, netmgr, security_category, log_incident):
    """A security incident at highfield, logged and reported by the network manager, assigned to nobody."""
    return log_incident(highfield, by=netmgr, title=SECRET, category=security_category)
