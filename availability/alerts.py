"""State and alerts: from checks' damped states to each CI's state, outages and their one incident.

CONTRACT (the engine calls this):

    evaluate(*, school_id: int, ci_ids: Collection[int], now: datetime) -> None

Called by availability.engine inside the batch's transaction, after the checks of `ci_ids` have their new
damped states saved. The policies, in the order evaluate applies them:

1. **A CI's own state** (`ci_state`), from its active checks' damped states (checks still unknown are left
   out): *down* when its reachability checks (ping) are all down, or, when it has no ping check with a
   result, when every check with a result is down; *degraded* when some check is down or degraded but it
   still answers; *unknown* when no check has a result yet (or it has no active check); *up* otherwise.
2. **Topology** (cmdb.topology): a CI whose checks fail while something it depends on (`depends_on`: its
   relationships and the cabling towards the core) is down or unreachable is *unreachable*, its `cause` the
   failed device furthest upstream (the root of the failure). When a CI goes down in its own right, the
   devices behind it (`impact`) that are down already become unreachable behind it, and the incidents they
   opened are resolved with a note pointing at its incident. When it recovers, the devices unreachable
   behind it are looked at again: up when their checks say so, else unknown until their next check.
3. **Outages**: entering down or unreachable opens an Outage (one open per CI, a DB constraint); leaving
   it ends it. A CI is **silenced** while a change affecting it, or a device it depends on, is in progress
   (or approved/scheduled with its planned window covering now), or while one of the school's maintenance
   windows is open: its outage is `planned`, with `silenced_by`, and opens no incident. If it is still down
   when the silence ends, the planned outage ends and an unplanned one opens, with its incident.
4. **Incidents**: one per outage of a CI down in its own right (no cause), not silenced, with the school's
   alerts enabled: logged by the system account on the monitoring channel, its priority from the CI's
   `importance`. While the outage lasts, an internal note at most once an hour; on recovery it is resolved,
   unless a person resolved or closed it already. The outage row is locked before an incident is opened,
   so a batch that runs twice never opens a second one.
5. **Services** (CIs of kind service): after device states change, each live service of the school whose
   dependencies changed is recomputed: *down* when something it depends on is down or unreachable (cause:
   the root of that failure; its outage is a row on the service with no incident of its own), else its own
   checks if it has any, else *degraded*/*up* from its dependencies, *unknown* when none is monitored.
   Services are walked from each service (few), not from each changed device (many on a first run).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from availability.models import Check, CheckKind, CIState, MonitoringSettings, Outage, State
from changes.models import MaintenanceWindow, RequestForChange
from changes.models import Status as ChangeStatus
from cmdb import topology
from cmdb.models import (
    INFRASTRUCTURE_KINDS,
    LOGICAL_KINDS,
    PASSIVE_KINDS,
    ConfigurationItem,
    Kind,
    LifecycleStatus,
    Port,
    Relationship,
)
from fits.models import School, User
from incidents.models import Channel, Impact, Incident, ResolutionCode, Urgency

FAILED = frozenset({State.DOWN, State.UNREACHABLE})
UPDATE_EVERY = timedelta(hours=1)  # an open incident hears from monitoring at most this often
REASON_LENGTH = CIState._meta.get_field("reason").max_length
MESSAGE_LENGTH = Outage._meta.get_field("message").max_length
LISTED = 10  # devices named in an incident's description; the rest are counted


def _clip(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _local(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%H:%M on %a %d %b}"


def _for(delta: timedelta) -> str:
    from servicelevels.sla import duration_words  # servicelevels may import availability: keep it lazy

    return duration_words(delta)


# =============================================================================
# A CI's own state, and its importance
# =============================================================================


@dataclass(frozen=True)
class Verdict:
    """What evaluate decides for one CI: its state, why, and the failed device behind it (if any)."""

    state: str
    reason: str
    cause_id: int | None = None


def _found(check: Check) -> str:
    message = f": {check.last_message}" if check.last_message else ""
    return f"{check.name} {State(check.state).label.lower()}{message}"


def ci_state(checks: Iterable[Check]) -> Verdict:
    """A CI's own state from its active checks' damped states (policy 1 of the module docstring)."""
    checks = list(checks)
    if not checks:
        return Verdict(State.UNKNOWN, "No active checks.")
    known = [c for c in checks if c.state != State.UNKNOWN]
    if not known:
        return Verdict(State.UNKNOWN, "Waiting for the first results of its checks.")
    reach = [c for c in known if c.kind == CheckKind.PING] or known
    if all(c.state == State.DOWN for c in reach):
        return Verdict(State.DOWN, _clip("; ".join(_found(c) for c in reach), REASON_LENGTH))
    bad = [c for c in known if c.state in (State.DOWN, State.DEGRADED)]
    if bad:
        return Verdict(State.DEGRADED, _clip("; ".join(_found(c) for c in bad), REASON_LENGTH))
    return Verdict(State.UP, f"{len(known)} check{'s' if len(known) > 1 else ''} up.")


@dataclass(frozen=True)
class Importance:
    """How much a CI's failure matters, and the impact and urgency of the incident it opens."""

    level: str  # high, medium or low
    impact: int
    urgency: int
    why: str


_LEVELS = {
    "high": (Impact.HIGH, Urgency.HIGH),  # P1: the school's network, a key service
    "medium": (Impact.MEDIUM, Urgency.HIGH),  # P2: a part of the network, a server
    "low": (Impact.LOW, Urgency.MEDIUM),  # P4: one device
}
CORE_KINDS = frozenset({Kind.FIREWALL, Kind.ROUTER})
HOST_KINDS = frozenset({Kind.SERVER, Kind.STORAGE, Kind.SWITCH, Kind.ACCESS_POINT})


def _devices(walk: topology.Impact) -> list[ConfigurationItem]:
    """The real devices in a walk (not services, software or the patch panels and sockets between)."""
    return [a.ci for a in walk.items if a.ci.kind not in LOGICAL_KINDS and a.ci.kind not in PASSIVE_KINDS]


def importance(ci: ConfigurationItem, walk: topology.Impact | None = None) -> Importance:
    """How much `ci` matters, from what depends on it (`walk`: topology.impact(ci), walked when not given).

    High: a firewall or router (the school's way out), a device a service of high criticality depends on,
    a switch with other network devices behind it (a core switch), or 20 devices or more behind it.
    Medium: a server, storage, switch or access point, a device any service depends on, or 5 devices or
    more behind it. Low: anything else (one PC, one printer). High gives impact and urgency high (P1),
    medium impact medium and urgency high (P2), low impact low and urgency medium (P4).
    """
    walk = walk if walk is not None else topology.impact(ci)
    services = walk.services
    critical = [s for s in [ci, *services] if s.kind == Kind.SERVICE and s.attributes.get("criticality") == "high"]
    behind = _devices(walk)
    network_behind = [d for d in behind if d.kind in INFRASTRUCTURE_KINDS]
    if ci.kind in CORE_KINDS:
        level, why = "high", f"a {Kind(ci.kind).label.lower()}: the school's way out"
    elif critical:
        level, why = "high", f"high criticality: {', '.join(s.name for s in critical)}"
    elif ci.kind in INFRASTRUCTURE_KINDS and network_behind:
        level, why = "high", f"{len(network_behind)} network device(s) behind it"
    elif len(behind) >= 20:
        level, why = "high", f"{len(behind)} devices behind it"
    elif ci.kind in HOST_KINDS:
        level, why = "medium", f"a {Kind(ci.kind).label.lower()}"
    elif services:
        level, why = "medium", f"{', '.join(s.name for s in services)} depend on it"
    elif len(behind) >= 5:
        level, why = "medium", f"{len(behind)} devices behind it"
    else:
        level, why = "low", "one device, nothing depends on it"
    impact, urgency = _LEVELS[level]
    return Importance(level=level, impact=impact, urgency=urgency, why=why)


# =============================================================================
# One evaluation
# =============================================================================


@dataclass
class _Evaluation:
    """What one call of evaluate knows and has done: the locked state rows, walks, silences, changes."""

    school_id: int
    now: datetime
    own: dict[int, Verdict] = field(default_factory=dict)  # this batch's CIs, from their checks
    checks: dict[int, list[Check]] = field(default_factory=dict)
    states: dict[int, CIState] = field(default_factory=dict)
    outages: dict[int, Outage | None] = field(default_factory=dict)
    changed: set[int] = field(default_factory=set)
    settled: set[int] = field(default_factory=set)
    batch: set[int] = field(default_factory=set)
    dirty: dict[int, CIState] = field(default_factory=dict)  # written together by flush()
    pending: list[Outage] = field(default_factory=list)
    started: datetime = field(default_factory=timezone.now)  # wall clock, for updated_at
    went_down: list[ConfigurationItem] = field(default_factory=list)  # down in their own right, newly
    recovered: set[int] = field(default_factory=set)
    touched: dict[int, tuple[ConfigurationItem, Outage]] = field(default_factory=dict)
    superseded: list[Outage] = field(default_factory=list)  # down outages that became unreachable
    _upstream: dict[int, topology.Impact] = field(default_factory=dict)
    _downstream: dict[int, topology.Impact] = field(default_factory=dict)
    _silences: list[tuple[str, set[int]]] | None = None
    _window: list[MaintenanceWindow] | None = None

    # --- Reading (what only some evaluations need is read when first needed) --------

    @cached_property
    def school(self) -> School:
        return School.objects.get(pk=self.school_id)

    @cached_property
    def system(self) -> User:
        return User.objects.system_account()

    @cached_property
    def alerts_enabled(self) -> bool:
        settings = MonitoringSettings.objects.filter(school_id=self.school_id).values_list("alerts_enabled", flat=True)
        return next(iter(settings), True)

    def upstream(self, ci: ConfigurationItem) -> topology.Impact:
        if ci.pk not in self._upstream:
            self._upstream[ci.pk] = topology.depends_on(ci) if self._may_link(ci) else topology.Impact(root=ci)
        return self._upstream[ci.pk]

    def downstream(self, ci: ConfigurationItem) -> topology.Impact:
        if ci.pk not in self._downstream:
            self._downstream[ci.pk] = topology.impact(ci) if self._may_link(ci) else topology.Impact(root=ci)
        return self._downstream[ci.pk]

    @cached_property
    def linked(self) -> set[int]:
        """Which of the batch's CIs have a relationship or a cabled port at all: the others need no walk
        (a first run over a thousand unlinked devices costs two queries here, not two per device)."""
        related = Relationship.objects.filter(Q(source_id__in=self.batch) | Q(target_id__in=self.batch))
        linked = {pk for pair in related.values_list("source_id", "target_id") for pk in pair}
        cabled = Port.objects.filter(ci_id__in=self.batch, connected_endpoint__isnull=False)
        return linked | set(cabled.values_list("ci_id", flat=True))

    def _may_link(self, ci: ConfigurationItem) -> bool:
        return ci.pk not in self.batch or ci.pk in self.linked

    def lock(self, ci_ids: Iterable[int]) -> None:
        """Lock (making when missing) the state rows and open outages of `ci_ids`, in one order."""
        wanted = sorted(set(ci_ids) - set(self.states))
        if not wanted:
            return
        CIState.objects.bulk_create(
            [CIState(ci_id=pk, school_id=self.school_id, state=State.UNKNOWN, since=self.now) for pk in wanted],
            ignore_conflicts=True,
        )
        for row in CIState.objects.select_for_update().filter(ci_id__in=wanted).order_by("ci_id"):
            self.states[row.ci_id] = row
        open_outages = Outage.objects.select_for_update().filter(ci_id__in=wanted, ended_at__isnull=True)
        found = {outage.ci_id: outage for outage in open_outages}
        self.outages.update({pk: found.get(pk) for pk in wanted})

    def failed_states(self, ci_ids: Collection[int]) -> dict[int, tuple[str, int | None]]:
        """(state, cause id) of those of `ci_ids` that are down or unreachable, this batch's own first."""
        if not ci_ids:
            return {}
        stored = CIState.objects.filter(ci_id__in=ci_ids, state__in=FAILED).values_list("ci_id", "state", "cause_id")
        failed = {pk: (state, cause) for pk, state, cause in stored}
        for pk in set(ci_ids) & self.settled:  # decided in this evaluation: our rows are the truth
            row = self.states[pk]
            if row.state in FAILED:
                failed[pk] = (row.state, row.cause_id)
            else:
                failed.pop(pk, None)
        for pk in set(ci_ids) & set(self.own) - self.settled:  # checked just now, not decided yet
            if self.own[pk].state == State.DOWN:
                failed.setdefault(pk, (State.DOWN, None))
            else:
                failed.pop(pk, None)
        return failed

    def failed_root(self, ci: ConfigurationItem) -> ConfigurationItem | None:
        """The failed device furthest upstream of `ci` (the root of the failure), if any has failed."""
        walk = self.upstream(ci)
        failed = self.failed_states([a.ci.pk for a in walk.items])
        if not failed:
            return None
        deepest = max((a for a in walk.items if a.ci.pk in failed), key=lambda a: a.depth)
        state, cause = failed[deepest.ci.pk]
        if state == State.UNREACHABLE and cause is not None:
            return next((a.ci for a in walk.items if a.ci.pk == cause), None) or ConfigurationItem.objects.get(pk=cause)
        return deepest.ci

    def silence(self, ci: ConfigurationItem) -> str:
        """What silences alerts for `ci` now: an open maintenance window, or a change on it or upstream."""
        if self._window is None:
            local = timezone.localtime(self.now)
            self._window = [
                w
                for w in MaintenanceWindow.objects.of_school(self.school_id).filter(weekday=local.weekday())
                if w.opens <= local.time() < w.closes
            ]
        if self._window:
            return f"Maintenance window {self._window[0]}"
        changes = self._changes_now()
        if not changes:
            return ""
        ids = {ci.pk} | {a.ci.pk for a in self.upstream(ci).items}
        return next((label for label, cis in changes if cis & ids), "")

    def _changes_now(self) -> list[tuple[str, set[int]]]:
        """The school's changes at work now: in progress, or approved/scheduled inside their planned window."""
        if self._silences is None:
            now = self.now
            at_work = Q(status=ChangeStatus.IN_PROGRESS) | Q(
                status__in=(ChangeStatus.APPROVED, ChangeStatus.SCHEDULED), planned_start__lte=now, planned_end__gt=now
            )
            rows = RequestForChange.objects.filter(school_id=self.school_id).filter(at_work)
            found: dict[str, set[int]] = {}
            for reference, status, ci_id in rows.values_list("reference", "status", "cis").order_by("pk"):
                found.setdefault(f"{reference} {ChangeStatus(status).label.lower()}", set()).add(ci_id)
            self._silences = list(found.items())
        return self._silences

    def checks_of(self, ci_id: int) -> list[Check]:
        if ci_id not in self.checks:
            self.checks[ci_id] = list(Check.objects.filter(ci_id=ci_id, status=Check.Status.ACTIVE))
        return self.checks[ci_id]

    # --- Writing ------------------------------------------------------------------

    def settle(self, ci: ConfigurationItem, verdict: Verdict) -> None:
        """Write `verdict` as `ci`'s state (its row locked already) and open, change or end its outage."""
        row, outage = self.states[ci.pk], self.outages.get(ci.pk)
        failing = verdict.state in FAILED
        # An alert gone out is not called back by a change that starts later: only new or planned outages look.
        silenced_by = self.silence(ci) if failing and (outage is None or outage.planned) else ""
        self._write_state(row, verdict, silenced_by)
        self.settled.add(ci.pk)
        if failing:
            self._hold_outage(ci, verdict, silenced_by)
        elif outage is not None:
            self._end_outage(
                outage, note=f"Recovered at {_local(self.now)}; down for {_for(self.now - outage.started_at)}."
            )
            self.outages[ci.pk] = None
            self.recovered.add(ci.pk)

    def _write_state(self, row: CIState, verdict: Verdict, silenced_by: str) -> None:
        new = row.state != verdict.state or not row.reason  # a row made by this evaluation has no reason yet
        if new:
            row.since = self.now
            self.changed.add(row.ci_id)
        if new or (row.reason, row.cause_id, row.silenced_by) != (verdict.reason, verdict.cause_id, silenced_by):
            row.state, row.reason, row.cause_id, row.silenced_by = (
                verdict.state,
                _clip(verdict.reason, REASON_LENGTH),
                verdict.cause_id,
                silenced_by,
            )
            row.updated_at = self.started
            self.dirty[row.ci_id] = row

    def flush(self) -> None:
        """Write the states and new outages decided so far, in bulk."""
        # Rows that changed alike (a first run: a thousand "1 check up.") are one UPDATE, not one each.
        alike: dict[tuple, list[int]] = {}
        for row in self.dirty.values():
            values = (row.state, row.since, row.reason, row.cause_id, row.silenced_by, row.updated_at)
            alike.setdefault(values, []).append(row.ci_id)
        for (state, since, reason, cause_id, silenced_by, updated_at), ids in alike.items():
            CIState.objects.filter(ci_id__in=ids).update(
                state=state,
                since=since,
                reason=reason,
                cause_id=cause_id,
                silenced_by=silenced_by,
                updated_at=updated_at,
            )
        self.dirty.clear()
        if self.pending:
            Outage.objects.bulk_create(self.pending, batch_size=500)
            self.pending.clear()

    def _hold_outage(self, ci: ConfigurationItem, verdict: Verdict, silenced_by: str) -> None:
        kind = Outage.Kind.DOWN if verdict.state == State.DOWN else Outage.Kind.UNREACHABLE
        outage = self.outages.get(ci.pk)
        if outage is not None and outage.planned and not silenced_by:
            self._end_outage(outage, note="")  # the silence is over: what follows counts, and alerts
            outage = None
        if outage is None:
            outage = Outage(
                school_id=ci.school_id,
                ci=ci,
                kind=kind,
                started_at=self.now,
                message=_clip(verdict.reason, MESSAGE_LENGTH),
                cause_id=verdict.cause_id,
                planned=bool(silenced_by),
                silenced_by=silenced_by,
            )
            self.pending.append(outage)
        elif (outage.kind, outage.cause_id) != (kind, verdict.cause_id):
            if outage.kind == Outage.Kind.DOWN and kind == Outage.Kind.UNREACHABLE and outage.incident_id:
                self.superseded.append(outage)
            outage.kind, outage.cause_id = kind, verdict.cause_id
            if outage.pk:  # else written by flush()
                outage.save(update_fields=["kind", "cause"])
        self.outages[ci.pk] = outage
        self.touched[ci.pk] = (ci, outage)

    def _end_outage(self, outage: Outage, *, note: str) -> None:
        outage.ended_at = self.now
        outage.save(update_fields=["ended_at"])
        self.touched.pop(outage.ci_id, None)
        if note and outage.incident_id:
            _resolve(outage.incident_id, actor=self.system, note=note, code=ResolutionCode.FIXED)


# =============================================================================
# Incidents
# =============================================================================


def _resolve(incident_id: int, *, actor: User, note: str, code: str) -> bool:
    """Resolve the incident unless a person resolved or closed it already (then leave it be)."""
    from incidents.services import incident_transition

    incident = Incident.objects.get(pk=incident_id)
    if not any(t.name == "resolve" for t in Incident.WORKFLOW.allowed(incident.status)):
        return False
    incident_transition(incident=incident, action="resolve", actor=actor, note=note, resolution_code=code)
    return True


def _description(run: _Evaluation, ci: ConfigurationItem, outage: Outage, rank: Importance, after: str) -> str:
    walk = run.downstream(ci)
    address = f", {ci.management_address}" if ci.management_address else ""
    where = f" in {ci.location}" if ci.location_id else ""
    lines = [
        f"Monitoring found {ci} ({Kind(ci.kind).label.lower()}{address}){where} down at {_local(outage.started_at)}."
    ]
    if after:
        lines.append(after)
    lines += ["", "What its checks found:"]
    lines += [f"- {_found(c)} (since {_local(c.state_since)})" if c.state_since else f"- {_found(c)}"
              for c in run.checks_of(ci.pk)]  # fmt: skip
    devices = _devices(walk)
    affected = []
    if walk.rooms:
        affected.append("rooms: " + ", ".join(room.name for room in walk.rooms))
    if walk.services:
        affected.append("services: " + ", ".join(s.name for s in walk.services))
    if devices:
        named = ", ".join(d.name for d in devices[:LISTED])
        more = f" and {len(devices) - LISTED} more" if len(devices) > LISTED else ""
        affected.append(f"{len(devices)} device(s) behind it: {named}{more}")
    lines += ["", "Affected: " + ("; ".join(affected) if affected else "nothing else is recorded as relying on it.")]
    lines.append(f"Importance: {rank.level} ({rank.why}).")
    return "\n".join(lines)


def _open_incident(run: _Evaluation, ci: ConfigurationItem, outage: Outage) -> None:
    """The outage's one incident: the outage row is locked and looked at again before logging."""
    from incidents.services import incident_log

    locked = Outage.objects.select_for_update().get(pk=outage.pk)
    if locked.incident_id is not None or locked.ended_at is not None:
        outage.incident_id, outage.incident_updated_at = locked.incident_id, locked.incident_updated_at
        return
    silenced = Outage.objects.filter(ci=ci, ended_at=run.now, planned=True).first()
    after = ""
    if silenced is not None:
        began = _local(silenced.started_at)
        after = f"It went down at {began}, silenced ({silenced.silenced_by}); still down after the window."
    rank = importance(ci, run.downstream(ci))
    incident = incident_log(
        school=run.school,
        logged_by=run.system,
        reporter=run.system,
        channel=Channel.MONITORING,
        ci=ci,
        location=ci.location,
        title=f"{ci} is down",
        description=_description(run, ci, outage, rank, after),
        impact=rank.impact,
        urgency=rank.urgency,
    )
    outage.incident, outage.incident_updated_at = incident, run.now
    outage.save(update_fields=["incident", "incident_updated_at"])


def _still_down(run: _Evaluation, ci: ConfigurationItem, outage: Outage) -> None:
    """At most once an hour, an internal note on the open incident: still down, how long, the latest."""
    from incidents.services import incident_comment

    if outage.incident_updated_at and run.now - outage.incident_updated_at < UPDATE_EVERY:
        return
    incident = Incident.objects.get(pk=outage.incident_id)
    if not incident.is_open:
        return
    reason = run.states[ci.pk].reason
    lasted = _for(run.now - outage.started_at)
    text = f"Monitoring: {ci} is still down after {lasted} (since {_local(outage.started_at)}). Latest: {reason}"
    incident_comment(incident=incident, author=run.system, text=text, public=False)
    outage.incident_updated_at = run.now
    outage.save(update_fields=["incident_updated_at"])


def _alert(run: _Evaluation) -> None:
    """Open, update or hand over incidents for the outages this evaluation touched."""
    for ci, outage in list(run.touched.values()):
        own_fault = outage.kind == Outage.Kind.DOWN and outage.cause_id is None
        if not own_fault or outage.planned or not outage.is_open:
            continue
        if outage.incident_id is None and run.alerts_enabled:
            _open_incident(run, ci, outage)
        elif outage.incident_id is not None:
            _still_down(run, ci, outage)
    for outage in run.superseded:
        cause = Outage.objects.filter(ci_id=outage.cause_id, ended_at__isnull=True).select_related("ci", "incident")
        cause = cause.first()
        where = f"{cause.ci}, which is down" if cause else "a failed device upstream"
        see = f": see {cause.incident.reference}" if cause and cause.incident_id else ""
        note = f"{outage.ci} is unreachable behind {where}{see}. Its own checks failed because of that failure."
        _resolve(outage.incident_id, actor=run.system, note=note, code=ResolutionCode.NO_FAULT)


# =============================================================================
# Topology: what is behind a failure, and what comes back with a recovery
# =============================================================================


def _placed(run: _Evaluation, ci: ConfigurationItem, own: Verdict) -> Verdict:
    """`own` in the network: a failing CI behind a failed device is unreachable, not down (policy 2).
    A failed CI whose checks have no answer now (unknown) stays failed: nobody saw it recover."""
    row = run.states[ci.pk]
    if own.state == State.UNKNOWN and row.state in FAILED and row.reason:
        return Verdict(row.state, row.reason, row.cause_id)
    if own.state != State.DOWN:
        return own
    if row.state == State.DOWN and row.reason:
        return own  # down already in its own right: a later upstream failure converts it (_spread)
    if row.state == State.UNREACHABLE and row.cause_id and row.cause_id in run.failed_states([row.cause_id]):
        return Verdict(State.UNREACHABLE, row.reason, row.cause_id)
    root = run.failed_root(ci)
    if root is None:
        return own
    return Verdict(State.UNREACHABLE, f"Behind {root}, which is down. {own.reason}", root.pk)


def _spread(run: _Evaluation, ci: ConfigurationItem) -> None:
    """`ci` went down in its own right: what is behind it and failing is unreachable behind it now."""
    if run.states[ci.pk].state != State.DOWN:
        return  # made unreachable since, behind a failure further upstream that spreads instead
    behind = [a.ci for a in run.downstream(ci).items if a.ci.kind != Kind.SERVICE]
    failing = run.failed_states([d.pk for d in behind])
    victims = [d for d in behind if d.pk in failing and failing[d.pk] != (State.UNREACHABLE, ci.pk)]
    run.lock(d.pk for d in victims)
    for device in victims:
        if run.states[device.pk].state in FAILED:
            run.settle(device, Verdict(State.UNREACHABLE, f"Behind {ci}, which is down.", ci.pk))


def _release(run: _Evaluation, handled: set[int]) -> None:
    """Devices unreachable behind a CI that recovered: up if their checks say so, else unknown for now."""
    if not run.recovered:
        return
    rows = CIState.objects.filter(cause_id__in=run.recovered, state=State.UNREACHABLE).exclude(ci_id__in=handled)
    cis = {ci.pk: ci for ci in ConfigurationItem.objects.filter(pk__in=rows.values("ci_id"))}
    if not cis:
        return
    run.lock(cis)
    for check in Check.objects.filter(ci_id__in=cis, status=Check.Status.ACTIVE):
        run.checks.setdefault(check.ci_id, []).append(check)
    for pk, ci in cis.items():
        own = ci_state(run.checks.get(pk, []))
        verdict = _placed(run, ci, own) if own.state == State.DOWN else own
        if verdict.state == State.DOWN:
            verdict = Verdict(
                State.UNKNOWN, "What it was unreachable behind has recovered; waiting for its next check."
            )
        run.settle(ci, verdict)


# =============================================================================
# Services
# =============================================================================


def _service_verdict(run: _Evaluation, service: ConfigurationItem) -> Verdict:
    """A service's state from what it depends on, then its own checks (policy 5)."""
    walk = run.upstream(service)
    deps = {a.ci.pk: a.ci for a in walk.items}
    rows = {r.ci_id: r for r in CIState.objects.filter(ci_id__in=deps)}
    for item in walk.items:  # nearest first
        row = rows.get(item.ci.pk)
        if row is not None and row.state in FAILED:
            root_id = row.cause_id or row.ci_id
            root = deps.get(root_id) or ConfigurationItem.objects.get(pk=root_id)
            how = "down" if root_id == row.ci_id else f"unreachable behind {root}"
            return Verdict(State.DOWN, f"It depends on {item.ci}, which is {how}.", root.pk)
    checks = run.checks_of(service.pk)
    if checks:
        own = ci_state(checks)
        if own.state != State.UNKNOWN:
            return own
    degraded = [deps[pk].name for pk, row in rows.items() if row.state == State.DEGRADED]
    if degraded:
        return Verdict(State.DEGRADED, _clip(f"{', '.join(degraded)} degraded.", REASON_LENGTH))
    if any(row.state == State.UP for row in rows.values()):
        return Verdict(State.UP, "Everything it depends on that is monitored is up.")
    return Verdict(State.UNKNOWN, "Nothing it depends on is monitored.")


def _refresh_services(run: _Evaluation, batch_services: set[int]) -> None:
    """Recompute the school's live services whose dependencies changed state (and those in the batch)."""
    if not run.changed and not batch_services:
        return
    services = ConfigurationItem.objects.filter(
        school_id=run.school_id, kind=Kind.SERVICE, status=LifecycleStatus.LIVE
    ).order_by("pk")
    for service in services:
        deps = {a.ci.pk for a in run.upstream(service).items}
        if service.pk not in batch_services and not deps & run.changed:
            continue
        run.lock([service.pk])
        run.settle(service, _service_verdict(run, service))


# =============================================================================
# The entry point
# =============================================================================


def evaluate(*, school_id: int, ci_ids: Collection[int], now: datetime) -> None:
    """Recompute the states of `ci_ids` (their checks just ran) and all that follows (module docstring)."""
    ci_ids = set(ci_ids)
    if ci_ids:
        with transaction.atomic():  # the engine's batch transaction; a savepoint inside it
            _evaluate(_Evaluation(school_id=school_id, now=now), ci_ids)


def _load(run: _Evaluation, ci_ids: set[int]) -> dict[int, ConfigurationItem]:
    """The batch's CIs (of this school only), their active checks, and their locked state rows."""
    cis = {ci.pk: ci for ci in ConfigurationItem.objects.filter(pk__in=ci_ids, school_id=run.school_id)}
    run.batch, run.checks = set(cis), {pk: [] for pk in cis}
    for check in Check.objects.filter(ci_id__in=cis, status=Check.Status.ACTIVE).order_by("ci_id", "kind", "name"):
        run.checks[check.ci_id].append(check)
    run.lock(cis)
    return cis


def _evaluate(run: _Evaluation, ci_ids: set[int]) -> None:
    cis = _load(run, ci_ids)
    devices = [ci for ci in cis.values() if ci.kind != Kind.SERVICE]
    run.own = {ci.pk: ci_state(run.checks[ci.pk]) for ci in devices}
    for ci in devices:
        was = run.states[ci.pk].state
        verdict = _placed(run, ci, run.own[ci.pk])
        run.settle(ci, verdict)
        if verdict.state == State.DOWN and was != State.DOWN:
            run.went_down.append(ci)
    run.flush()
    for ci in run.went_down:
        _spread(run, ci)
    run.flush()
    _release(run, handled={ci.pk for ci in devices})
    run.flush()
    _refresh_services(run, {ci.pk for ci in cis.values() if ci.kind == Kind.SERVICE})
    run.flush()
    _alert(run)
