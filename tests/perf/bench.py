"""A small benchmark runner: the PostgreSQL floor, timed scenarios, and a report in JSON and as a table.

Every figure is reported in absolute terms and as a multiple of the floor measured first on the same machine and
database (a primary-key select and a single-row insert through Django's connection), so a figure taken on a busy
shared machine can still be compared with one taken on a quiet one. The report goes to
`var/bench/<name>-<timestamp>.json` (FITS_BENCH_DIR to change) and is printed as a table.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def load() -> str:
    """The machine's load averages (other engineers' tests share it): recorded with every figure."""
    try:
        return Path("/proc/loadavg").read_text().split(" ", 3)[:3].__str__()
    except OSError:
        return str(os.getloadavg())


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory of a process in MB (Linux)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def timed(fn: Callable[[], Any], runs: int, *, warmup: int = 2) -> list[float]:
    """Wall time of `runs` calls of `fn`, in seconds, after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return samples


def queries_of(fn: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured.captured_queries)


@dataclass
class Figure:
    scenario: str
    measure: str  # e.g. "p95", "rows/s"
    value: float
    unit: str  # "ms", "rows/s", "MB", "s", "queries"
    target: str = ""
    met: bool | None = None
    floor_multiple: float | None = None
    load: str = ""
    note: str = ""


@dataclass
class Report:
    name: str
    meta: dict[str, Any] = field(default_factory=dict)
    floor: dict[str, float] = field(default_factory=dict)
    figures: list[Figure] = field(default_factory=list)

    # The floor -------------------------------------------------------------------------------------------------

    def measure_floor(self, runs: int = 300) -> dict[str, float]:
        """p50 of a primary-key select and of a committed single-row insert, in ms, through Django's connection."""
        from fits.models import School

        school_id = School.objects.values_list("pk", flat=True).first() or 1
        with connection.cursor() as cursor:

            def select():
                cursor.execute("SELECT id, name FROM fits_school WHERE id = %s", [school_id])
                cursor.fetchone()

            if connection.vendor == "postgresql":
                cursor.execute("CREATE TEMP TABLE IF NOT EXISTS bench_floor (id bigserial PRIMARY KEY, note text)")
            else:
                cursor.execute("CREATE TEMP TABLE IF NOT EXISTS bench_floor (id integer PRIMARY KEY, note text)")

            def insert():
                cursor.execute("INSERT INTO bench_floor (note) VALUES (%s)", ["x"])
                if not connection.get_autocommit():
                    return
                # In autocommit, each insert is its own committed transaction (the floor of a write).

            select_samples = timed(select, runs, warmup=20)
            insert_samples = timed(insert, runs, warmup=20)
        self.floor = {
            "pk_select_ms": statistics.median(select_samples) * 1000,
            "pk_select_p95_ms": percentile(select_samples, 0.95) * 1000,
            "insert_ms": statistics.median(insert_samples) * 1000,
            "insert_p95_ms": percentile(insert_samples, 0.95) * 1000,
            "autocommit": connection.get_autocommit(),
        }
        return self.floor

    # Figures ---------------------------------------------------------------------------------------------------

    def add(
        self,
        scenario: str,
        measure: str,
        value: float,
        unit: str,
        *,
        target: str = "",
        met: bool | None = None,
        per: str = "select",
        note: str = "",
    ) -> Figure:
        """Record a figure. Times in ms are also given as a multiple of the floor (`per`: "select" or "insert")."""
        multiple = None
        base = self.floor.get("insert_ms" if per == "insert" else "pk_select_ms")
        if unit == "ms" and base:
            multiple = value / base
        elif unit == "s" and base:
            multiple = value * 1000 / base
        figure = Figure(scenario, measure, value, unit, target, met, multiple, load(), note)
        self.figures.append(figure)
        return figure

    def add_timings(self, scenario: str, samples: list[float], *, target_ms: float | None = None, **extra) -> Figure:
        p95 = percentile(samples, 0.95) * 1000
        self.add(scenario, "p50", statistics.median(samples) * 1000, "ms", note=extra.pop("note", ""))
        target = f"p95 <= {target_ms:g} ms" if target_ms else ""
        met = None if target_ms is None else p95 <= target_ms
        return self.add(scenario, "p95", p95, "ms", target=target, met=met, **extra)

    # Output ----------------------------------------------------------------------------------------------------

    def table(self) -> str:
        lines = [
            f"{self.name} on {self.meta.get('database')} ({self.meta.get('vendor')}), load {load()}",
            f"floor: pk select {self.floor.get('pk_select_ms', 0):.3f} ms, "
            f"insert {self.floor.get('insert_ms', 0):.3f} ms",
            f"{'scenario':52} {'measure':10} {'value':>12} {'unit':8} {'x floor':>9}  {'target':28} met",
        ]
        for f in self.figures:
            multiple = f"{f.floor_multiple:,.0f}" if f.floor_multiple is not None else ""
            met = {True: "yes", False: "NO", None: ""}[f.met]
            lines.append(
                f"{f.scenario[:52]:52} {f.measure[:10]:10} {f.value:>12,.2f} {f.unit:8} {multiple:>9}  "
                f"{f.target[:28]:28} {met}"
            )
            if f.note:
                lines.append(f"{'':52}   {f.note}")
        return "\n".join(lines)

    def write(self) -> Path:
        folder = Path(os.environ.get("FITS_BENCH_DIR", Path(settings.BASE_DIR) / "var" / "bench"))
        folder.mkdir(parents=True, exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
        path = folder / f"{self.name}-{stamp}.json"
        data = {"name": self.name, "meta": self.meta, "floor": self.floor, "figures": [asdict(f) for f in self.figures]}
        path.write_text(json.dumps(data, indent=2, default=str))
        (folder / f"{self.name}-latest.json").write_text(json.dumps(data, indent=2, default=str))
        (folder / f"{self.name}-latest.txt").write_text(self.table() + "\n")
        return path


def machine() -> dict[str, Any]:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=settings.BASE_DIR, check=False
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "host": platform.node(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "commit": commit,
        "vendor": connection.vendor,
        "database": connection.settings_dict.get("NAME"),
        "load_at_start": load(),
    }
