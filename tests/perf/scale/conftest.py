"""The authority-scale benchmarks run against a database prepared once by `seed_scale` when FITS_SCALE_DB names it.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres FITS_SCALE_DB=h_perf_500 make bench ARGS="-k scale -s"

The named database is used as it is: never created, migrated, flushed or dropped (the incident-create scenario adds
a few thousand tickets at its last four schools, and the compliance scenario records a run). Without FITS_SCALE_DB the
test database is created as usual and a small authority (FITS_SCALE_SCHOOLS schools, default 5) generated into it.
"""

from __future__ import annotations

import os

import pytest

if os.environ.get("FITS_SCALE_DB"):

    @pytest.fixture(scope="session")
    def django_db_setup(django_test_environment):
        from django.db import connections

        for alias in connections:
            connections[alias].close()
        connections["default"].settings_dict["NAME"] = os.environ["FITS_SCALE_DB"]
        yield
