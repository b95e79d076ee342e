"""Mixed load and soak against gunicorn: `make load` (issue 11: 40 users, 90 % reads) and `make soak` (issue 12:
30 minutes, error rate, memory growth and latency drift).

    python -m tests.perf.load --users 40 --minutes 2                # the mixed-load figure
    python -m tests.perf.load --users 40 --minutes 30 --soak        # the soak, with its pass/fail

It starts gunicorn as docker-compose does (fits.wsgi, gthread, --workers/--threads) on a free local port against
DATABASE_URL / REDIS_URL (a seeded demo or a seed_scale authority: see tests/perf/locustfile.py for who signs
in), drives it with locust headless, samples the resident memory of gunicorn's processes every 5 s, and writes
the figures to var/bench/load-<timestamp>.json (FITS_BENCH_DIR) and as a table. Exit 1 when --soak's criteria
(error rate < 0.1 %, memory growth < 10 %, the last tenth's p95 within 1.5x the second tenth's, the first being
the ramp-up) or the given targets fail.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.perf.bench import rss_mb

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def family(pid: int) -> list[int]:
    """gunicorn's master and its workers."""
    children = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid):
            children.append(int(status.parent.name))
    return [pid, *children]


class MemoryWatch(threading.Thread):
    def __init__(self, pid: int, every: float = 5.0) -> None:
        super().__init__(daemon=True)
        self.pid, self.every, self.samples = pid, every, []  # (seconds, total MB, largest worker MB)
        self.stopped = threading.Event()
        self.started_at = time.monotonic()

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            pids = family(self.pid)
            sizes = [rss_mb(p) for p in pids]
            workers = sizes[1:] or [0.0]
            self.samples.append((time.monotonic() - self.started_at, sum(sizes), max(workers)))


def wait_until_up(port: int, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn stopped with {process.returncode} before it answered")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("gunicorn did not answer within 120 s")


def read_stats(prefix: Path) -> tuple[dict, list[dict]]:
    with open(f"{prefix}_stats.csv") as stream:
        rows = list(csv.DictReader(stream))
    total = next(row for row in rows if row["Name"] == "Aggregated")
    with open(f"{prefix}_stats_history.csv") as stream:
        history = [row for row in csv.DictReader(stream) if row["Name"] == "Aggregated"]
    return {"total": total, "rows": rows}, history


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--minutes", type=float, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (docker-compose: 2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (docker-compose: 4)")
    parser.add_argument("--soak", action="store_true", help="judge the run as a soak (issue 12)")
    parser.add_argument(
        "--think",
        default=None,
        help="seconds between one person's requests, MIN,MAX (default 0,0.1: the 40 people keep the server busy, "
        "as the throughput target means; 0.5,1.5 for --soak: people at work)",
    )
    parser.add_argument("--target-rps", type=float, default=250.0)
    parser.add_argument("--target-p95-ms", type=float, default=150.0)
    options = parser.parse_args()

    port = free_port()
    out_dir = Path(os.environ.get("FITS_BENCH_DIR", ROOT / "var" / "bench"))
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    prefix = out_dir / f"load-{stamp}"
    env = {
        **os.environ,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "FITS_REQUIRE_2FA": "false",
        "SECURE_COOKIES": "false",
        "BEHIND_TLS_PROXY": "false",
        "AXES_FAILURE_LIMIT": "1000",
        "FITS_LOAD_THINK": options.think or ("0.5,1.5" if options.soak else "0,0.1"),
    }
    web = subprocess.Popen(
        [str(BIN / "gunicorn"), "fits.wsgi:application", "--bind", f"127.0.0.1:{port}", "--worker-class", "gthread",
         "--workers", str(options.workers), "--threads", str(options.threads), "--access-logfile", "-",
         "--log-level", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(f"{prefix}-gunicorn.log", "w"),
    )  # fmt: skip
    try:
        wait_until_up(port, web)
        watch = MemoryWatch(web.pid)
        watch.start()
        seconds = int(options.minutes * 60)
        locust = subprocess.run(
            [str(BIN / "locust"), "-f", str(ROOT / "tests" / "perf" / "locustfile.py"), "--headless",
             "-u", str(options.users), "-r", str(max(1, options.users // 5)), "-t", f"{seconds}s",
             "--host", f"http://127.0.0.1:{port}", "--csv", str(prefix), "--csv-full-history", "--only-summary",
             "--stop-timeout", "10"],
            cwd=ROOT, env=env, capture_output=True, text=True,
        )  # fmt: skip
        watch.stopped.set()
        watch.join()
    finally:
        web.send_signal(signal.SIGTERM)
        try:
            web.wait(30)
        except subprocess.TimeoutExpired:
            web.kill()
    if locust.returncode not in (0, 1):  # 1: some requests failed, which the figures say
        print(locust.stderr[-3000:], file=sys.stderr)
        return 2

    stats, history = read_stats(prefix)
    total = stats["total"]
    requests, failures = int(total["Request Count"]), int(total["Failure Count"])
    rps, p95 = float(total["Requests/s"]), float(total["95%"])
    tenth = max(1, len(history) // 10)
    # The first tenth is the ramp-up (people signing in): the drift is judged from the second tenth on.
    steady = [row for row in history if float(row["Requests/s"] or 0) > 0][tenth:]
    first = sorted(float(r["95%"]) for r in steady[:tenth] if r["95%"] not in ("N/A", ""))
    last = sorted(float(r["95%"]) for r in steady[-tenth:] if r["95%"] not in ("N/A", ""))
    warm = [s for s in watch.samples if s[0] >= 30] or watch.samples
    memory_start = warm[0][1] if warm else 0.0
    memory_end = watch.samples[-1][1] if watch.samples else 0.0
    growth = (memory_end - memory_start) / memory_start * 100 if memory_start else 0.0
    worker_peak = max((s[2] for s in watch.samples), default=0.0)
    error_rate = failures / requests * 100 if requests else 100.0
    figures = {
        "users": options.users,
        "minutes": options.minutes,
        "workers": options.workers,
        "threads": options.threads,
        "requests": requests,
        "failures": failures,
        "error_rate_percent": round(error_rate, 3),
        "requests_per_second": round(rps, 1),
        "p50_ms": float(total["50%"]),
        "p95_ms": p95,
        "p99_ms": float(total["99%"]),
        "p95_second_tenth_ms": first[len(first) // 2] if first else None,
        "p95_last_tenth_ms": last[len(last) // 2] if last else None,
        "memory_all_processes_mb": round(memory_end, 1),
        "memory_growth_after_warm_up_percent": round(growth, 1),
        "largest_worker_mb": round(worker_peak, 1),
        "load": Path("/proc/loadavg").read_text().split()[:3],
        "per_request": {
            row["Name"]: {
                "count": int(row["Request Count"]), "p95_ms": row["95%"], "failures": int(row["Failure Count"])
            }
            for row in stats["rows"] if row["Name"] != "Aggregated"
        },
    }  # fmt: skip
    if options.soak:  # a soak judges staying power: errors, memory, drift (the throughput is `make load`'s)
        checks = {
            "error rate < 0.1 %": error_rate < 0.1,
            "memory growth < 10 %": growth < 10,
            "latency steady (last tenth's p95 <= 1.5x the second tenth's)": bool(
                first and last and last[len(last) // 2] <= 1.5 * first[len(first) // 2]
            ),
            "web worker <= 250 MB": worker_peak <= 250,
        }
    else:
        checks = {
            f">= {options.target_rps:g} requests/s": rps >= options.target_rps,
            f"p95 <= {options.target_p95_ms:g} ms": p95 <= options.target_p95_ms,
            "0 errors": failures == 0,
        }
    figures["checks"] = checks
    figures["think_seconds"] = env["FITS_LOAD_THINK"]
    Path(f"{prefix}.json").write_text(json.dumps(figures, indent=1))
    print(f"\n{'soak' if options.soak else 'mixed load'}: {options.users} users for {options.minutes:g} min "
          f"(think {env['FITS_LOAD_THINK']} s), "
          f"gunicorn {options.workers}x{options.threads}")  # fmt: skip
    for name in ("requests", "failures", "error_rate_percent", "requests_per_second", "p50_ms", "p95_ms", "p99_ms",
                 "p95_second_tenth_ms", "p95_last_tenth_ms", "memory_all_processes_mb",
                 "memory_growth_after_warm_up_percent", "largest_worker_mb"):  # fmt: skip
        print(f"  {name:<38} {figures[name]}")
    for name, ok in checks.items():
        print(f"  {'met   ' if ok else 'MISSED'} {name}")
    print(f"  figures: {prefix}.json")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
