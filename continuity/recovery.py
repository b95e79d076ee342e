"""Reading what a recovery plan needs from the other processes: the order in which the service's components come
back (the CMDB), its service level agreement (Service Level Management), and the figures the overview shows.

The CMDB's own walk (cmdb.topology.depends_on) finds everything a service relies on; this module only orders it,
so that whatever a component relies on is recovered before it (a server before the MIS that runs on it, the
firewall and router before the internet access that depends on them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from cmdb.models import ConfigurationItem, Relationship
from cmdb.topology import depends_on


@dataclass
class RecoveryItem:
    """One component to bring back: `stage` 1 first; items of one stage can be worked on side by side."""

    ci: ConfigurationItem
    stage: int
    how: str  # how the service reaches it: "runs on", "depends on", "is cabled to"
    via: ConfigurationItem | None
    needs: list[ConfigurationItem]  # what must be back before it (within this plan)


def recovery_order(service: ConfigurationItem) -> tuple[list[RecoveryItem], bool]:
    """Everything `service` relies on in the CMDB, in the order to recover it: what a component relies on comes
    before it, and the service itself is not in the list (it comes back last). Also says whether the CMDB walk was
    cut short (a chain deeper than cmdb.topology.MAX_DEPTH).

    Three queries beyond the CMDB walk's own: the relationships between the components found (cabling edges come
    from the walk itself)."""
    found = depends_on(service)
    items = {a.ci.pk: a for a in found.items}
    if not items:
        return [], found.truncated
    ids = set(items) | {service.pk}
    # who relies on whom, among what was found: source needs target
    needs: dict[int, set[int]] = {pk: set() for pk in ids}
    for affected in found.items:
        if affected.via is not None and affected.via.pk in needs:
            needs[affected.via.pk].add(affected.ci.pk)
    for source_id, target_id in Relationship.objects.filter(source_id__in=ids, target_id__in=ids).values_list(
        "source_id", "target_id"
    ):
        needs[source_id].add(target_id)

    stage: dict[int, int] = {}

    def stage_of(pk: int, path: frozenset[int]) -> int:
        """1 + the latest stage of what `pk` needs (a cycle in the CMDB is cut where it closes)."""
        if pk in stage:
            return stage[pk]
        before = [stage_of(other, path | {pk}) for other in needs[pk] if other not in path and other != pk]
        stage[pk] = 1 + max(before, default=0)
        return stage[pk]

    for pk in items:
        stage_of(pk, frozenset())
    ordered = sorted(items.values(), key=lambda a: (stage[a.ci.pk], a.ci.name.lower()))
    return [
        RecoveryItem(
            ci=a.ci,
            stage=stage[a.ci.pk],
            how=a.how,
            via=a.via,
            needs=sorted((items[n].ci for n in needs[a.ci.pk] if n in items), key=lambda ci: ci.name.lower()),
        )
        for a in ordered
    ], found.truncated


def agreements_for(service: ConfigurationItem) -> list[Any]:
    """The agreed SLAs covering the service: those naming its catalogue entry (servicelevels.ITService linked to the
    CMDB service), and the school's agreed SLAs that name no service (they cover them all). Two queries."""
    from servicelevels.models import Agreement

    agreed = Agreement.objects.filter(
        school_id=service.school_id, kind=Agreement.Kind.SLA, status=Agreement.Status.AGREED
    ).prefetch_related("services", "targets")
    named, general = [], []
    for agreement in agreed:
        services = list(agreement.services.all())
        if any(s.ci_id == service.pk for s in services):
            named.append(agreement)
        elif not services:
            general.append(agreement)
    return named or general


def catalogue_entry(service: ConfigurationItem) -> Any:
    """The service's entry in the ICT service catalogue (its owner, hours and availability target), if any."""
    from servicelevels.models import ITService

    return ITService.objects.filter(ci=service, is_active=True).select_related("owner").first()


def duration_text(minutes: int | None) -> str:
    """Minutes in words as a plan speaks: "45 min", "4 h", "1 h 30 min", "2 days", "1 day 4 h"."""
    if minutes is None:
        return ""
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    if hours:
        parts.append(f"{hours} h")
    if mins or not parts:
        parts.append(f"{mins} min")
    return " ".join(parts)


def total_minutes(steps: list[Any]) -> int:
    return sum(step.minutes or 0 for step in steps)


def overdue_first(plans: list[Any], today: date) -> list[Any]:
    """Plans with an overdue review or test first (most overdue first), then in recovery order."""

    def key(plan: Any) -> tuple:
        overdue = [d for d in (plan.review_date, plan.next_test_due()) if d < today]
        return (0, min(overdue)) if overdue and plan.status != "retired" else (1, date.max)

    return sorted(plans, key=lambda plan: (*key(plan), plan.recovery_order, plan.service.name.lower()))
