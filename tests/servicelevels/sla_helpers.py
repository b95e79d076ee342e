"""Helpers of the SLA clock tests (test_sla*.py, test_breaches*.py): a frozen clock and agreements."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime
from unittest import mock

from django.utils import timezone

from servicelevels.models import Agreement, ServiceTarget


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@contextlib.contextmanager
def frozen(instant: datetime):
    """Make `django.utils.timezone.now()` (auto_now, history dates, services) return `instant`."""
    with mock.patch.object(timezone, "now", return_value=instant):
        yield instant


def agreed_sla(school, owner, *, targets=(), services=(), **fields) -> Agreement:
    """An agreed SLA for `school` with `targets` [(priority, response, resolution, service, kind)]."""
    values = {
        "kind": Agreement.Kind.SLA,
        "name": "Gold SLA",
        "starts": date(2025, 1, 1),
        "review_date": date(2027, 7, 1),
    }
    values.update(fields)
    agreement = Agreement.objects.create(school=school, owner=owner, status=Agreement.Status.AGREED, **values)
    agreement.services.set(services)
    for priority, response, resolution, *rest in targets:
        service = rest[0] if rest else None
        kind = rest[1] if len(rest) > 1 else ""
        ServiceTarget.objects.create(
            agreement=agreement,
            priority=priority,
            response_minutes=response,
            resolution_minutes=resolution,
            service=service,
            ticket_kind=kind,
        )
    return agreement
