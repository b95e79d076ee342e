"""State and alerts: from checks' damped states to each CI's state, outages and their one incident.

CONTRACT (the engine calls this; the alerts helper writes the body):

    evaluate(*, school_id: int, ci_ids: Collection[int], now: datetime) -> None

Called by availability.engine inside the batch's transaction, after the checks of `ci_ids` have their new
damped states saved. Recomputes each CI's CIState, opens/ends Outages (one open per CI), marks devices
behind a failed switch unreachable (cmdb.topology), silences CIs in a maintenance window or a change in
progress, opens one incident per outage (incidents.services.incident_log, channel MONITORING, the system
account), adds to it while it stays down and resolves it on recovery; then recomputes the services that
depend on them.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime


def evaluate(*, school_id: int, ci_ids: Collection[int], now: datetime) -> None:
    raise NotImplementedError("availability.alerts.evaluate: being written (issue 7)")
