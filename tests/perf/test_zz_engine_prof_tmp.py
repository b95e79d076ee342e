from datetime import timedelta
import pytest
from django.db.models import QuerySet
from tests.perf import test_monitoring_bench as bench
from tests.availability.conftest import tcp_black_hole  # noqa
from tests.perf.test_monitoring_bench import listener_ports  # noqa

pytestmark = [pytest.mark.perf, pytest.mark.django_db]

def test_prof(highfield, settings, listener_ports, tcp_black_hole, monkeypatch):
    from availability.bulk import bulk_set
    monkeypatch.setattr(QuerySet, "bulk_update", lambda self, objs, fields, batch_size=None: bulk_set(self.model, list(objs), [f if f != "for_check" else "for_check" for f in fields]))
    settings.FITS_MONITORING_CONCURRENCY = 2000
    bench.build(highfield, listener_ports, bench.closed_ports(20), tcp_black_hole)
    w, c, _ = bench.timed_cycle(bench.T0)
    print("FIRST", w, c)
    import cProfile, pstats
    prof = cProfile.Profile(); prof.enable()
    w, c, _ = bench.timed_cycle(bench.T0 + timedelta(minutes=1))
    prof.disable()
    pstats.Stats(prof).sort_stats("cumulative").print_stats(r"availability|bulk_create|_fetch_all|execute_sql|run_many|__init__", 40)
    print("STEADY", w, c, 10000 / w, 10000 / c)
