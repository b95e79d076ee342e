"""Benchmark: impact analysis on a large school (issue 3: "2,000 CIs, deep chains ... one query per
level or a recursive query, not one per CI"). Run with `make bench`.

The network is built in bulk (a deterministic factory for deep CMDB data, STYLE.md 2.8): a core
switch, 20 edge switches of 100 PCs each, and a 30-deep chain of services relying on one another.
"""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cmdb.models import ConfigurationItem, Kind, Port, Relationship
from cmdb.topology import depends_on, impact

pytestmark = [pytest.mark.perf, pytest.mark.django_db]

EDGES, PCS_PER_EDGE, CHAIN = 20, 100, 30
BUDGET_SECONDS = 2.0


def build(school) -> ConfigurationItem:
    def items(kind, names):
        return ConfigurationItem.objects.bulk_create(
            [ConfigurationItem(school=school, kind=kind, name=name) for name in names]
        )

    core = items(Kind.SWITCH, ["CORE"])[0]
    edges = items(Kind.SWITCH, [f"EDGE-{e:02d}" for e in range(EDGES)])
    pcs = items(Kind.DESKTOP, [f"PC-{e:02d}-{p:03d}" for e in range(EDGES) for p in range(PCS_PER_EDGE)])
    services = items(Kind.SERVICE, [f"SERVICE-{i:02d}" for i in range(CHAIN)])

    def link(near_ci, near_name, far_ci, far_name, *, uplink_far=False):
        """Two cabled ends that know each other (what cable_connect stores)."""
        near, far = Port.objects.bulk_create(
            [
                Port(school=school, ci=near_ci, name=near_name),
                Port(school=school, ci=far_ci, name=far_name, is_uplink=uplink_far),
            ]
        )
        return near, far

    pairs = [link(core, f"gi{e}", edge, "uplink", uplink_far=True) for e, edge in enumerate(edges)]
    pairs += [link(edges[i // PCS_PER_EDGE], f"fa{i % PCS_PER_EDGE}", pc, "eth0") for i, pc in enumerate(pcs)]
    for near, far in pairs:
        near.connected_endpoint, far.connected_endpoint = far, near
    Port.objects.bulk_update([p for pair in pairs for p in pair], ["connected_endpoint"])
    # SERVICE-00 runs on PC-00-000; each next service depends on the one before: a 30-deep chain.
    chain = [Relationship(school=school, source=services[0], target=pcs[0], kind=Relationship.Kind.RUNS_ON)]
    chain += [Relationship(school=school, source=services[i], target=services[i - 1]) for i in range(1, CHAIN)]
    Relationship.objects.bulk_create(chain)
    return core


def test_impact_of_a_core_switch_on_two_thousand_items(highfield):
    core = build(highfield)
    total = ConfigurationItem.objects.count()
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        result = impact(core)
    elapsed = time.perf_counter() - started
    levels = max(a.depth for a in result.items)
    print(
        f"\nimpact of CORE over {total:,} CIs on {connection.vendor}: {len(result.items):,} affected, "
        f"{levels} levels, {len(queries)} queries, {elapsed * 1000:.0f} ms"
    )
    assert len(result.items) == EDGES + EDGES * PCS_PER_EDGE + CHAIN
    assert len(queries) <= 2 * (levels + 1) + 1
    assert elapsed < BUDGET_SECONDS

    last = ConfigurationItem.objects.get(name=f"SERVICE-{CHAIN - 1:02d}")
    started = time.perf_counter()
    upstream = depends_on(last)
    print(f"depends_on of the end of the chain: {len(upstream.items)} items in {time.perf_counter() - started:.3f} s")
    assert [a.ci.name for a in upstream.items][-3:] == ["PC-00-000", "EDGE-00", "CORE"]
