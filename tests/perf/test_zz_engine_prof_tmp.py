import cProfile, pstats, io
from datetime import timedelta
import pytest
from tests.perf import test_monitoring_bench as bench
from tests.availability.conftest import tcp_black_hole  # noqa
from tests.perf.test_monitoring_bench import listener_ports  # noqa

pytestmark = [pytest.mark.perf, pytest.mark.django_db]

def test_prof(highfield, settings, listener_ports, tcp_black_hole, monkeypatch):
    monkeypatch.setattr(bench, "CHECKS", 2000)
    monkeypatch.setattr(bench, "CIS", 100)
    monkeypatch.setattr(bench, "SHARES", {"listener": 1400, "closed": 400, "black_hole": 200})
    settings.FITS_MONITORING_CONCURRENCY = 1000
    bench.build(highfield, listener_ports, bench.closed_ports(20), tcp_black_hole)
    bench.timed_cycle(bench.T0)
    prof = cProfile.Profile()
    prof.enable()
    wall, cpu, runs = bench.timed_cycle(bench.T0 + timedelta(minutes=1))
    prof.disable()
    print("WALL", wall, "CPU", cpu)
    s = io.StringIO()
    pstats.Stats(prof, stream=s).sort_stats("cumulative").print_stats(45)
    print(s.getvalue())
