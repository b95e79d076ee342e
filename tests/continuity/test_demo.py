"""The demo's continuity records at highfield: a register across the matrix, approved plans for the demo CMDB's
services with their recovery order, last term's walk-through with its actions as tasks, and the reminders."""

from __future__ import annotations

import pytest
from django.utils import timezone

from continuity import recovery
from continuity.models import ContinuityPlan, ContinuityTest, Risk
from incidents.models import Task


@pytest.fixture
def demo(seeded_demo, db):
    return seeded_demo


def test_the_demo_has_a_register_plans_a_test_and_reminders(demo):
    assert "Service continuity: 9 risks, 4 recovery plans, 1 continuity tests, 2 reminders." in demo
    risks = Risk.objects.filter(school__slug="highfield")
    assert {r.rating for r in risks} == {"medium", "high", "critical"} and len(risks) == 9
    assert len({(r.likelihood, r.impact) for r in risks}) >= 7  # spread across the matrix
    today = timezone.localdate()
    plans = {p.service.name: p for p in ContinuityPlan.objects.filter(school__slug="highfield")}
    assert set(plans) == {"Internet access", "File storage", "MIS", "E-mail"}
    assert plans["MIS"].review_overdue(today) and not plans["File storage"].review_overdue(today)
    order, _ = recovery.recovery_order(plans["File storage"].service)
    names = [item.ci.name for item in order]
    assert names.index("HF-CORE-01") < names.index("HF-SRV-01")
    (test,) = ContinuityTest.objects.filter(plan=plans["File storage"])
    assert test.outcome == "issues" and test.rto_met is False and test.actions.filter(task__isnull=False).count() == 2
    keys = set(Task.objects.filter(source_key__startswith="continuity-").values_list("source_key", flat=True))
    assert any(key.startswith(f"continuity-review:{plans['MIS'].pk}:") for key in keys)
    assert any(key.startswith("continuity-risk:") for key in keys)
