"""Capacity Management (availability.capacity): readings from a real snmpd, rates from counters, thresholds,
the least-squares forecast, and alerts that become one task, then one incident, then clear."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from availability import capacity, snmp
from availability.capacity import Reading
from availability.models import (
    CapacityAlert,
    CapacityThreshold,
    Check,
    CheckKind,
    Metric,
    MetricKind,
    MetricRollup,
    MetricSample,
    Period,
)
from availability.probes import ProbeResult
from cmdb.services import ci_create
from fits.models import Activity
from incidents.models import Channel, Incident, Task, TaskOrigin, TaskStatus

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
TODAY = NOW.date()


@pytest.fixture
def server(highfield, tech):
    return ci_create(school=highfield, actor=tech, kind="server", name="File server")


@pytest.fixture
def storage_check(server):
    return Check.objects.create(school=server.school, ci=server, kind=CheckKind.SNMP_STORAGE, name="Storage")


@pytest.fixture
def agent(snmp_agent):
    host, port = snmp_agent
    return snmp.SnmpClient(host, port, community="public", timeout=1, retries=1)


def disk(check, used: float, size: float = 100.0, key: str = "disk:/srv") -> Reading:
    return Reading(check.ci_id, check.pk, MetricKind.DISK, key, f"Disk {key[5:]}", "B", value=used, capacity=size)


def store_disk(check, percent: float, now=NOW, key: str = "disk:/srv") -> Metric:
    [metric_id] = capacity.store(school_id=check.school_id, readings=[disk(check, percent, key=key)], now=now)
    return Metric.objects.get(pk=metric_id)


def daily_history(metric: Metric, percents_by_days_ago: dict[int, float]) -> None:
    """Daily rollups as availability.rollups writes them: local midnight, per cent of capacity."""
    rows = []
    for days_ago, percent in percents_by_days_ago.items():
        day = TODAY - timedelta(days=days_ago)
        starts = timezone.make_aware(datetime.combine(day, time.min))
        rows.append(
            MetricRollup(
                school_id=metric.school_id,
                metric=metric,
                period=Period.DAY,
                starts_at=starts,
                samples=288,
                avg=percent,
                min=percent,
                max=percent,
                percent_avg=percent,
                percent_max=percent,
            )
        )
    MetricRollup.objects.bulk_create(rows)


# --- Readings ---------------------------------------------------------------------------------------------


def test_storage_rows_of_the_real_agent_become_disk_and_memory_readings(agent, storage_check):
    rows = asyncio.run(snmp.storage(agent))
    result = ProbeResult("up", 3.0, "storage read", {"storage": rows})
    readings = capacity.readings_from(storage_check, result)
    by_key = {reading.key: reading for reading in readings}
    root = next(row for row in rows if row["name"] == "/")
    assert by_key["disk:/"].kind == MetricKind.DISK
    assert by_key["disk:/"].value == root["used_bytes"] and by_key["disk:/"].capacity == root["size_bytes"]
    memory = next(row for row in rows if row["type"] == "ram")
    assert by_key["memory"].kind == MetricKind.MEMORY and by_key["memory"].capacity == memory["size_bytes"]
    # Virtual memory, buffers and empty mounts are not capacity series.
    assert all(r.kind in (MetricKind.DISK, MetricKind.MEMORY) and r.capacity > 0 for r in readings)
    assert not any("Virtual" in r.label for r in readings)

    ids = capacity.store(school_id=storage_check.school_id, readings=readings, now=NOW)
    root_metric = Metric.objects.get(ci=storage_check.ci, key="disk:/")
    assert root_metric.pk in ids and root_metric.capacity == root["size_bytes"]
    assert root_metric.last_percent == pytest.approx(root["used_pct"], abs=0.1)


def test_interfaces_of_the_real_agent_carry_counters_and_speed(agent, server):
    check = Check.objects.create(school=server.school, ci=server, kind=CheckKind.SNMP_INTERFACES, name="Ports")
    rows = asyncio.run(snmp.interfaces(agent))
    loopback = next(row for row in rows if row["name"] == "lo")
    assert loopback["speed_bps"] == 10_000_000  # Linux reports lo as 10 Mbit/s
    readings = capacity.readings_from(check, ProbeResult("up", 2.0, "", {"interfaces": rows}))
    lo = next(r for r in readings if r.key == "if:lo")
    assert lo.kind == MetricKind.INTERFACE and lo.capacity == 10_000_000 and lo.value is None
    assert set(lo.counters) == {"in", "out"}
    assert all(row["oper_status"] == "up" for row in rows if f"if:{row['name']}" in {r.key for r in readings})


def test_a_dead_agent_or_target_measures_nothing(server, storage_check):
    assert capacity.readings_from(storage_check, ProbeResult("down", None, "no reply")) == []
    ping = Check(school=server.school, ci=server, kind=CheckKind.PING, name="Ping")
    assert capacity.readings_from(ping, ProbeResult("down", None, "no reply")) == []
    [latency] = capacity.readings_from(ping, ProbeResult("up", 1.5, "answered"))
    assert (latency.kind, latency.key, latency.value, latency.capacity) == (
        MetricKind.LATENCY,
        "latency:ping",
        1.5,
        None,
    )


# --- Storing ----------------------------------------------------------------------------------------------


def interface_reading(check, octets_in: int, octets_out: int, speed=100_000_000) -> Reading:
    return Reading(
        check.ci_id,
        check.pk,
        MetricKind.INTERFACE,
        "if:eth0",
        "Interface eth0 traffic",
        "bit/s",
        capacity=speed,
        counters={"in": octets_in, "out": octets_out},
    )


def test_rates_come_from_counters_and_a_reset_skips_the_sample(server):
    check = Check.objects.create(school=server.school, ci=server, kind=CheckKind.SNMP_INTERFACES, name="Ports")
    school_id = server.school_id
    assert capacity.store(school_id=school_id, readings=[interface_reading(check, 1_000, 5_000)], now=NOW) == []
    metric = Metric.objects.get(ci=server, key="if:eth0")
    assert metric.counters["in"] == 1_000 and metric.last_value is None  # one reading is no rate yet

    # 60 s later: 7.5 MB in (the busier way) -> 1,000,000 bit/s of a 100 Mbit/s link = 1 %.
    later = NOW + timedelta(seconds=60)
    ids = capacity.store(school_id=school_id, readings=[interface_reading(check, 7_501_000, 65_000)], now=later)
    metric.refresh_from_db()
    assert ids == [metric.pk]
    assert metric.last_value == pytest.approx(1_000_000) and metric.last_percent == pytest.approx(1.0)
    sample = MetricSample.objects.get(metric=metric)
    assert (sample.at, sample.value, sample.percent) == (later, pytest.approx(1_000_000), pytest.approx(1.0))

    # The device restarted: counters went back to small numbers. No sample, but the new counters are kept.
    again = later + timedelta(seconds=60)
    assert capacity.store(school_id=school_id, readings=[interface_reading(check, 300, 400)], now=again) == []
    metric.refresh_from_db()
    assert metric.counters["in"] == 300 and MetricSample.objects.filter(metric=metric).count() == 1
    ids = capacity.store(
        school_id=school_id, readings=[interface_reading(check, 300 + 750_000, 400)], now=again + timedelta(seconds=60)
    )
    assert ids == [metric.pk] and MetricSample.objects.filter(metric=metric).count() == 2


def test_store_takes_a_fixed_number_of_queries(storage_check):
    def readings(count, used):
        return [disk(storage_check, used, key=f"disk:/vol{n}") for n in range(count)]

    school_id = storage_check.school_id
    with CaptureQueriesContext(connection) as few:
        capacity.store(school_id=school_id, readings=readings(2, 10), now=NOW)
    with CaptureQueriesContext(connection) as many:
        capacity.store(school_id=school_id, readings=readings(2, 10) + readings(60, 11)[2:], now=NOW)
    assert len(many) == len(few)  # both made new metrics: read, insert, read back, update, samples
    with CaptureQueriesContext(connection) as known:
        ids = capacity.store(school_id=school_id, readings=readings(60, 12), now=NOW + timedelta(minutes=5))
    assert len(ids) == 60 and len(known) <= len(few) - 2
    assert Metric.objects.filter(ci=storage_check.ci).count() == 60
    assert Metric.objects.get(ci=storage_check.ci, key="disk:/vol7").last_percent == 12.0


# --- Thresholds -------------------------------------------------------------------------------------------


def test_the_cis_threshold_wins_over_the_schools_over_the_built_in_one(highfield, tech, server, storage_check):
    metric = store_disk(storage_check, 50)
    latency = Metric.objects.create(school=highfield, ci=server, kind=MetricKind.LATENCY, key="latency:ping", label="x")
    limits = capacity.limits_for([metric, latency])
    assert (limits[metric.pk].warning_percent, limits[metric.pk].critical_percent) == (80, 90)
    assert limits[metric.pk].source == "default" and limits[latency.pk] is None

    capacity.threshold_save(
        actor=tech, school=highfield, kind=MetricKind.DISK, warning_percent=70, critical_percent=85, forecast_days=30
    )
    assert capacity.limits_for([metric])[metric.pk].source == "school"
    own = capacity.threshold_save(
        actor=tech, school=highfield, kind=MetricKind.DISK, ci=server, warning_percent=60, critical_percent=75
    )
    found = capacity.limits_for([metric])[metric.pk]
    assert (found.warning_percent, found.critical_percent, found.source) == (60, 75, "ci")
    capacity.threshold_delete(actor=tech, threshold=own)
    assert capacity.limits_for([metric])[metric.pk].source == "school"


def test_threshold_services_check_who_and_what(highfield, riverside, tech, staff, desk, server):
    for person in (staff, desk):
        with pytest.raises(PermissionDenied):
            capacity.threshold_save(
                actor=person, school=highfield, kind=MetricKind.DISK, warning_percent=70, critical_percent=85
            )
    with pytest.raises(ValidationError, match="must be above the warning"):
        capacity.threshold_save(
            actor=tech, school=highfield, kind=MetricKind.DISK, warning_percent=90, critical_percent=80
        )
    with pytest.raises(ValidationError, match="series with a capacity"):
        capacity.threshold_save(
            actor=tech, school=highfield, kind=MetricKind.LATENCY, warning_percent=50, critical_percent=80
        )
    with pytest.raises(PermissionDenied):  # tech works at highfield, not riverside
        capacity.threshold_save(
            actor=tech, school=riverside, kind=MetricKind.DISK, warning_percent=70, critical_percent=85
        )
    capacity.threshold_save(actor=tech, school=highfield, kind=MetricKind.DISK, warning_percent=70, critical_percent=85)
    with pytest.raises(ValidationError, match="already has a disk use threshold for every CI"):
        capacity.threshold_save(
            actor=tech, school=highfield, kind=MetricKind.DISK, warning_percent=75, critical_percent=85
        )
    threshold = CapacityThreshold.objects.get(school=highfield)
    with pytest.raises(PermissionDenied):
        capacity.threshold_delete(actor=staff, threshold=threshold)


# --- Forecast ---------------------------------------------------------------------------------------------


def test_a_disk_growing_one_point_a_day_from_60_reaches_90_in_30_days(storage_check):
    metric = store_disk(storage_check, 60)  # today's sample
    daily_history(metric, {days_ago: 60 - days_ago for days_ago in range(1, 30)})
    assert capacity.forecast(metric, NOW) == TODAY + timedelta(days=30)
    trend = capacity.trends([metric], NOW)[metric.pk]
    assert trend.per_day == pytest.approx(1.0) and trend.per_week == pytest.approx(7.0) and trend.points == 30
    assert capacity.forecast_words(TODAY + timedelta(days=30), TODAY) == "full in about 4 weeks"


def test_no_forecast_when_flat_falling_or_too_little_data(storage_check):
    flat = store_disk(storage_check, 50, key="disk:/flat")
    daily_history(flat, dict.fromkeys(range(1, 20), 50.0))
    falling = store_disk(storage_check, 40, key="disk:/falling")
    daily_history(falling, {d: 40 + d for d in range(1, 20)})
    young = store_disk(storage_check, 70, key="disk:/young")
    daily_history(young, {1: 60})  # two days: too little to call a trend
    for metric in (flat, falling, young):
        assert capacity.forecast(metric, NOW) is None
    # Rollups older than the 30 days are not part of the line.
    old = store_disk(storage_check, 50, key="disk:/old")
    daily_history(old, {40: 10, 41: 9, 42: 8})
    assert capacity.trends([old], NOW)[old.pk].points == 1


def test_forecast_words():
    words = capacity.forecast_words
    assert words(None, TODAY) == ""
    assert words(TODAY, TODAY) == "full now"
    assert words(TODAY + timedelta(days=1), TODAY) == "full tomorrow"
    assert words(TODAY + timedelta(days=9), TODAY) == "full in about 9 days"
    assert words(TODAY + timedelta(days=42), TODAY) == "full in about 6 weeks"
    assert words(TODAY + timedelta(days=120), TODAY) == "full in about 4 months"
    assert words(TODAY + timedelta(days=800), TODAY) == "full in about 2 years"
    assert words(TODAY + timedelta(days=20), TODAY, MetricKind.INTERFACE) == "saturated in about 3 weeks"


# --- Alerts, tasks and incidents --------------------------------------------------------------------------


def test_a_warning_raises_one_task_however_often_evaluate_runs(storage_check):
    for minutes in range(0, 30, 5):
        metric = store_disk(storage_check, 84, now=NOW + timedelta(minutes=minutes))
        capacity.evaluate(metric_ids=[metric.pk], now=NOW + timedelta(minutes=minutes))
    alert = CapacityAlert.objects.get(metric=metric)
    assert alert.level == CapacityAlert.Level.WARNING and alert.cleared_at is None and alert.percent == 84
    assert "over its warning level of 80 %" in alert.message
    task = Task.objects.get()
    assert alert.task == task and task.origin == TaskOrigin.CAPACITY and task.ci == storage_check.ci
    assert task.source_key == f"capacity:{alert.pk}" and task.steps.count() >= 3
    assert "Disk /srv on File server" in task.title
    assert not Incident.objects.exists()


def test_critical_raises_one_incident_and_clearing_leaves_the_task_with_a_note(storage_check):
    metric = store_disk(storage_check, 85)
    capacity.evaluate(metric_ids=[metric.pk], now=NOW)
    for minutes in (5, 10, 15):
        metric = store_disk(storage_check, 93, now=NOW + timedelta(minutes=minutes))
        capacity.evaluate(metric_ids=[metric.pk], now=NOW + timedelta(minutes=minutes))
    alert = CapacityAlert.objects.get(metric=metric)
    assert alert.level == CapacityAlert.Level.CRITICAL
    incident = Incident.objects.get()
    assert alert.incident == incident and incident.channel == Channel.MONITORING and incident.ci == storage_check.ci
    assert incident.logged_by.is_system_account and "93 %" in incident.title
    assert Task.objects.count() == 1

    later = NOW + timedelta(hours=1)
    metric = store_disk(storage_check, 60, now=later)
    capacity.evaluate(metric_ids=[metric.pk], now=later)
    alert.refresh_from_db()
    assert alert.cleared_at == later and "back under its warning level" in alert.message
    task = Task.objects.get()
    assert task.status == TaskStatus.OPEN  # a person closes it
    note = Activity.objects.filter(object_id=task.pk, kind=Activity.Kind.COMMENT).get()
    assert "back under its warning level" in note.text

    # Over warning again: a new alert, and a new task for it.
    again = later + timedelta(hours=1)
    metric = store_disk(storage_check, 82, now=again)
    capacity.evaluate(metric_ids=[metric.pk], now=again)
    assert CapacityAlert.objects.filter(metric=metric, cleared_at__isnull=True).count() == 1
    assert Task.objects.count() == 2 and Incident.objects.count() == 1


def test_a_forecast_to_fill_within_the_look_ahead_raises_a_task_before_the_warning(storage_check):
    metric = store_disk(storage_check, 70)
    daily_history(metric, {days_ago: 70 - days_ago * 0.5 for days_ago in range(1, 20)})  # 90 % in 40 days
    capacity.evaluate(metric_ids=[metric.pk], now=NOW)
    alert = CapacityAlert.objects.get(metric=metric)
    assert alert.level == CapacityAlert.Level.FORECAST and alert.forecast_full_on == TODAY + timedelta(days=40)
    assert "full in about 6 weeks" in alert.message and alert.task is not None
    assert alert.task.due_on == TODAY + timedelta(days=14)


def test_under_the_levels_and_steady_nothing_happens(storage_check, server, highfield):
    metric = store_disk(storage_check, 40)
    latency = Metric.objects.create(
        school=highfield, ci=server, kind=MetricKind.LATENCY, key="latency:ping", label="Ping", last_value=900
    )
    capacity.evaluate(metric_ids=[metric.pk, latency.pk], now=NOW)
    assert not CapacityAlert.objects.exists() and not Task.objects.exists()


def test_evaluate_takes_the_same_few_queries_for_2_metrics_or_20(storage_check):
    ids = [store_disk(storage_check, 30 + n, key=f"disk:/v{n}").pk for n in range(20)]
    with CaptureQueriesContext(connection) as few:
        capacity.evaluate(metric_ids=ids[:2], now=NOW)
    with CaptureQueriesContext(connection) as many:
        capacity.evaluate(metric_ids=ids, now=NOW)
    # metrics, thresholds, rollups, today's samples, open alerts (and a savepoint's two)
    assert len(few) == len(many) <= 7, [q["sql"] for q in many]


# --- End to end: the engine's batch feeds capacity ------------------------------------------------------


def test_the_engines_batch_turns_the_real_agents_rows_into_metrics_and_rates(snmp_agent, server):
    from availability import engine
    from availability.models import SnmpCredential

    host, port = snmp_agent
    credential = SnmpCredential.objects.create(school=server.school, name="Rack", community="public", port=port)
    for kind, name in ((CheckKind.SNMP_STORAGE, "Storage"), (CheckKind.SNMP_INTERFACES, "Ports")):
        Check.objects.create(
            school=server.school,
            ci=server,
            kind=kind,
            name=name,
            target=host,
            snmp_credential=credential,
            timeout_seconds=1,
        )
    engine.run_once(run_all=True, now=NOW)
    root = Metric.objects.get(ci=server, key="disk:/")
    assert root.kind == MetricKind.DISK and root.capacity > 0 and 0 <= root.last_percent <= 100
    assert MetricSample.objects.filter(metric=root, at=NOW).exists()
    lo = Metric.objects.get(ci=server, key="if:lo")
    assert lo.capacity == 10_000_000 and lo.last_value is None and lo.counters["in"] >= 0  # no rate from one reading

    engine.run_once(run_all=True, now=NOW + timedelta(minutes=5))
    lo.refresh_from_db()
    assert lo.last_value is not None and lo.last_value >= 0 and lo.last_percent is not None
    assert MetricSample.objects.filter(metric=lo).count() == 1


def test_a_school_that_switched_monitoring_incidents_off_gets_the_task_only(storage_check):
    from availability.models import MonitoringSettings

    MonitoringSettings.objects.create(school=storage_check.school, alerts_enabled=False)
    metric = store_disk(storage_check, 97)
    capacity.evaluate(metric_ids=[metric.pk], now=NOW)
    alert = CapacityAlert.objects.get(metric=metric)
    assert alert.level == CapacityAlert.Level.CRITICAL and alert.task is not None and alert.incident is None
    assert not Incident.objects.exists()
