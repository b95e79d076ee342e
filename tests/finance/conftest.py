"""Shared fixtures of the Financial Management tests: highfield (maintained, April-March) and riverside (an
academy, September-August) with their finance settings."""

from __future__ import annotations

import pytest

from finance import services


@pytest.fixture
def maintained(highfield, netmgr):
    services.finance_settings_save(actor=netmgr, school=highfield, funding_type="maintained", pupils=200)
    return highfield


@pytest.fixture
def academy(riverside, admin_user):
    services.finance_settings_save(actor=admin_user, school=riverside, funding_type="academy", pupils=1000)
    return riverside


@pytest.fixture
def supplier(maintained, netmgr):
    return services.supplier_save(actor=netmgr, school=maintained, name="Insight UK", account_number="A-1")
