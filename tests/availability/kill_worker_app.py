"""The Celery app for tests/availability/test_worker_kill.py's worker subprocesses.

It is the product's app (fits.celery) with a short Redis visibility timeout and frequent sweeps, so a message
whose worker was killed goes back on its queue within seconds instead of an hour; the unacked bookkeeping keys
are the test's own, so these sweeps never touch anyone else's messages on the same Redis database.
"""

from __future__ import annotations

import os

from fits.celery import app

_KEYS = os.environ.get("FITS_KILL_TEST_KEYS", "fits-kill-test")
app.conf.broker_transport_options = {
    "visibility_timeout": float(os.environ.get("FITS_KILL_TEST_VISIBILITY", "3")),
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
    "unacked_key": f"{_KEYS}:unacked",
    "unacked_index_key": f"{_KEYS}:unacked_index",
    "unacked_mutex_key": f"{_KEYS}:unacked_mutex",
    "unacked_mutex_expire": 5,
}
app.conf.worker_enable_remote_control = False
