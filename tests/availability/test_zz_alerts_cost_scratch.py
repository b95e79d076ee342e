import time
from datetime import datetime
from zoneinfo import ZoneInfo
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from availability import alerts
from availability.models import Check, CheckKind, State, MonitoringSettings
from cmdb.models import ConfigurationItem, Kind

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/London"))

@pytest.mark.parametrize(("state", "n", "enabled"), [(State.UP, 1000, True), (State.DOWN, 1000, False), (State.DOWN, 100, True)])
def test_cost(highfield, state, n, enabled):
    MonitoringSettings.objects.create(school=highfield, alerts_enabled=enabled)
    cis = ConfigurationItem.objects.bulk_create([ConfigurationItem(school=highfield, kind=Kind.DESKTOP, name=f"PC{i}") for i in range(n)])
    Check.objects.bulk_create([Check(school=highfield, ci=ci, kind=CheckKind.PING, name="Ping", state=state) for ci in cis])
    ids = [ci.pk for ci in cis]
    for label, at in (("first", T0), ("steady", T0.replace(minute=5))):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as q:
            alerts.evaluate(school_id=highfield.pk, ci_ids=ids, now=at)
        print(f"RESULT {connection.vendor} {n} {state} alerts={enabled} {label}: {len(q)} queries {time.perf_counter()-started:.2f}s")
