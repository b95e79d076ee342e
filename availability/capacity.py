"""Capacity Management: metrics from the checks' readings, thresholds, trends and forecasts.

CONTRACT (the engine calls these; the capacity helper writes the bodies):

    @dataclass(frozen=True)
    class Reading: one measured value of one series on one CI (see below).

    readings_from(check: Check, result: ProbeResult) -> list[Reading]
        What a check's result measured (SNMP storage rows -> disk/memory use; interfaces -> octet counters,
        speed and oper status; ping/tcp/http latency). Pure: no queries.

    store(*, school_id: int, readings: list[Reading], now: datetime) -> list[int]
        Upsert the Metric rows (one per CI and key), turn counters into rates (interface octets -> bit/s and
        utilisation %), bulk-insert MetricSamples; returns the ids of the metrics that got a sample. A fixed
        number of queries whatever the number of readings.

    evaluate(*, metric_ids: Collection[int], now: datetime) -> None
        Hold the metrics to their CapacityThresholds: over warning (or forecast to reach critical within the
        threshold's forecast_days) opens a CapacityAlert and raises a task (incidents.task_services.task_raise);
        over critical raises an incident; below warning clears the alert.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Reading:
    ci_id: int
    check_id: int | None
    kind: str  # availability.models.MetricKind
    key: str  # stable within the CI: "disk:/srv", "if:eth0", "latency:ping"
    label: str
    unit: str
    value: float | None = None  # a gauge (bytes used, ms); None when `counters` carry a rate's raw counters
    capacity: float | None = None  # the whole (bytes of the volume, bit/s of the link)
    counters: dict[str, Any] = field(default_factory=dict)  # raw counters of a rate series (octets in/out)


def readings_from(check, result) -> list[Reading]:
    raise NotImplementedError("availability.capacity.readings_from: being written (issue 7)")


def store(*, school_id: int, readings: list[Reading], now: datetime) -> list[int]:
    raise NotImplementedError("availability.capacity.store: being written (issue 7)")


def evaluate(*, metric_ids: Collection[int], now: datetime) -> None:
    raise NotImplementedError("availability.capacity.evaluate: being written (issue 7)")
