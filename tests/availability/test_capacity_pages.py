"""Pages of Capacity Management: the capacity list (fullest first, trend, forecast, alert), one series' page
with its chart data, and the thresholds; who may see and change them."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from availability import capacity
from availability.capacity import Reading
from availability.models import CapacityThreshold, Check, CheckKind, Metric, MetricKind, MetricRollup, Period
from cmdb.services import ci_create

CAPACITY = reverse("availability:capacity")
THRESHOLDS = reverse("availability:threshold_list")


@pytest.fixture
def server(highfield, tech):
    return ci_create(school=highfield, actor=tech, kind="server", name="File server")


def measure(ci, percent: float, *, key: str = "disk:/srv", kind=MetricKind.DISK, now=None) -> Metric:
    check = Check.objects.filter(ci=ci).first() or Check.objects.create(
        school=ci.school, ci=ci, kind=CheckKind.SNMP_STORAGE, name="Storage"
    )
    reading = Reading(ci.pk, check.pk, kind, key, f"Volume {key}", "B", value=percent * 10, capacity=1000)
    [metric_id] = capacity.store(school_id=ci.school_id, readings=[reading], now=now or timezone.now())
    return Metric.objects.get(pk=metric_id)


def grow(metric: Metric, per_day: float, days: int = 20) -> None:
    """Daily rollups behind today's figure, growing `per_day` points a day."""
    today = timezone.localdate()
    MetricRollup.objects.bulk_create(
        MetricRollup(
            school_id=metric.school_id,
            metric=metric,
            period=Period.DAY,
            starts_at=timezone.make_aware(datetime.combine(today - timedelta(days=n), datetime.min.time())),
            samples=288,
            avg=0,
            min=0,
            max=0,
            percent_avg=metric.last_percent - per_day * n,
            percent_max=metric.last_percent - per_day * n + 1,
        )
        for n in range(1, days + 1)
    )


def test_the_capacity_page_lists_the_fullest_first_with_trend_forecast_and_alert(client_for, tech, server):
    quiet = measure(server, 20, key="disk:/home")
    filling = measure(server, 70, key="disk:/srv")
    grow(filling, per_day=0.5)  # 90 % in 40 days
    capacity.evaluate(metric_ids=[filling.pk, quiet.pk], now=timezone.now())
    response = client_for(tech).get(CAPACITY)
    assert response.status_code == 200
    page = response.content.decode()
    assert page.index("Volume disk:/srv") < page.index("Volume disk:/home")
    assert "Full in about 6 weeks" in page and "+3.5 points" in page
    assert "Forecast to fill" in page and "TSK-" in page
    assert reverse("availability:capacity_metric", args=[filling.pk]) in page

    only_memory = client_for(tech).get(CAPACITY, {"kind": MetricKind.MEMORY}).content.decode()
    assert "Volume disk:/srv" not in only_memory and "No measured disks" in only_memory


def test_the_capacity_page_takes_the_same_queries_for_a_few_series_or_many(client_for, tech, server):
    client = client_for(tech)
    for n in range(3):
        grow(measure(server, 50 + n, key=f"disk:/a{n}"), per_day=0.2)
    client.get(CAPACITY)  # warm the session and the caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(CAPACITY).status_code == 200
    for n in range(30):
        grow(measure(server, 10 + n, key=f"disk:/b{n}"), per_day=0.1, days=3)
    with CaptureQueriesContext(connection) as many:
        response = client.get(CAPACITY)
    assert response.status_code == 200 and len(response.context["metrics"]) == 25
    assert len(many) == len(few), [q["sql"] for q in many]


def test_the_metric_page_carries_the_chart_with_thresholds_and_forecast(client_for, tech, server):
    metric = measure(server, 60)
    grow(metric, per_day=1.0, days=29)
    response = client_for(tech).get(reverse("availability:capacity_metric", args=[metric.pk]))
    assert response.status_code == 200
    data = response.context["chart_data"]
    assert (data["warning"], data["critical"], data["unit"]) == (80.0, 90.0, "%")
    today = timezone.localdate()
    assert data["labels"][0] == (today - timedelta(days=29)).isoformat()
    assert data["labels"][-1] == (today + timedelta(days=30)).isoformat()  # the forecast day
    forecast = [(label, value) for label, value in zip(data["labels"], data["forecast"], strict=True) if value]
    assert forecast == [(today.isoformat(), 60.0), ((today + timedelta(days=30)).isoformat(), 90.0)]
    page = response.content.decode()
    assert 'id="capacity-chart-data"' in page and "availability/capacity_chart.js" in page
    assert json.loads(page.split('id="capacity-chart-data" type="application/json">')[1].split("</script>")[0])
    assert "Full in about 4 weeks" in page and "Built in" in page


def test_a_series_without_history_or_capacity_still_has_a_page(client_for, tech, server, highfield):
    latency = Metric.objects.create(
        school=highfield, ci=server, kind=MetricKind.LATENCY, key="latency:ping", label="Ping response time", unit="ms"
    )
    response = client_for(tech).get(reverse("availability:capacity_metric", args=[latency.pk]))
    assert response.status_code == 200
    assert "No daily figures yet" in response.content.decode() and "forecast" not in response.context["chart_data"]


def test_capacity_is_for_support_staff_of_the_school(client_for, staff, outsider, desk, server):
    metric = measure(server, 50)
    metric_url = reverse("availability:capacity_metric", args=[metric.pk])
    for url in (CAPACITY, metric_url, THRESHOLDS):
        assert client_for(staff).get(url).status_code == 404  # an ICT user: not there
    assert client_for(outsider).get(metric_url).status_code == 404  # another school's series
    assert "File server" not in client_for(outsider).get(CAPACITY).content.decode()
    assert client_for(desk).get(metric_url).status_code == 200  # the desk reads monitoring


def test_a_technician_adds_changes_and_removes_a_threshold(client_for, tech, server, highfield):
    measure(server, 50)
    client = client_for(tech)
    assert client.get(reverse("availability:threshold_create")).status_code == 200
    response = client.post(
        reverse("availability:threshold_create"),
        {
            "school": highfield.pk,
            "kind": MetricKind.DISK,
            "ci": server.pk,
            "warning_percent": 60,
            "critical_percent": 75,
            "forecast_days": 28,
        },
    )
    assert response.status_code == 302 and response["Location"] == THRESHOLDS
    threshold = CapacityThreshold.objects.get()
    assert (threshold.ci, threshold.warning_percent, threshold.forecast_days) == (server, 60, 28)
    assert "File server" in client.get(THRESHOLDS).content.decode()

    edit = reverse("availability:threshold_update", args=[threshold.pk])
    response = client.post(
        edit,
        {"kind": MetricKind.DISK, "ci": server.pk, "warning_percent": 90, "critical_percent": 80, "forecast_days": 1},
    )
    assert response.status_code == 200 and "must be above the warning level" in response.content.decode()
    client.post(
        edit,
        {"kind": MetricKind.DISK, "ci": server.pk, "warning_percent": 65, "critical_percent": 80, "forecast_days": 1},
    )
    threshold.refresh_from_db()
    assert (threshold.warning_percent, threshold.critical_percent) == (65, 80)

    delete = reverse("availability:threshold_delete", args=[threshold.pk])
    assert "Remove the threshold" in client.get(delete).content.decode()
    assert client.post(delete).status_code == 302
    assert not CapacityThreshold.objects.exists()


def test_the_desk_reads_thresholds_but_cannot_change_them(client_for, tech, desk, tech2, highfield):
    threshold = capacity.threshold_save(
        actor=tech, school=highfield, kind=MetricKind.DISK, warning_percent=70, critical_percent=85
    )
    client = client_for(desk)
    response = client.get(reverse("availability:threshold_update", args=[threshold.pk]))
    assert response.status_code == 200 and "technicians change its capacity thresholds" in response.content.decode()
    client.post(
        reverse("availability:threshold_update", args=[threshold.pk]),
        {"kind": MetricKind.DISK, "warning_percent": 10, "critical_percent": 20, "forecast_days": 1},
    )
    client.post(reverse("availability:threshold_delete", args=[threshold.pk]))
    threshold.refresh_from_db()
    assert threshold.warning_percent == 70
    response = client.get(reverse("availability:threshold_create"))
    assert response.status_code == 302 and response["Location"] == THRESHOLDS
    # Another school's technician: the threshold is not there at all.
    assert client_for(tech2).get(reverse("availability:threshold_update", args=[threshold.pk])).status_code == 404
    assert client_for(tech2).post(reverse("availability:threshold_delete", args=[threshold.pk])).status_code == 404
