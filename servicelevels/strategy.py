"""Live facts for the school's strategies (fits/strategy/facts.py): its ICT services and its agreed SLAs' targets.

Declared on ServiceLevelsConfig.strategy_facts; called as provider(school, *, today); returns the
fields of fits.strategy.facts.Facts as a plain dict (an app may not import the core's sub-apps)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.urls import reverse

from fits.models import School
from servicelevels.durations import duration_words
from servicelevels.models import Agreement, ITService, ServiceTarget


def it_services(school: School, *, today: date) -> dict[str, Any]:
    """The school's ICT service catalogue: each active service, its purpose, hours of support and target."""
    services = ITService.objects.filter(school=school, is_active=True).select_related("owner").order_by("name")
    rows = [
        [s.name, s.get_purpose_display(), s.get_hours_display() + (", term time only" if s.term_time_only else ""),
         f"{s.availability_target.normalize():f} %", str(s.owner or "Nobody named")]
        for s in services
    ]  # fmt: skip
    return dict(
        title="ICT services",
        columns=["Service", "For", "Hours of support", "Availability target", "Owner"],
        rows=rows,
        link=reverse("servicelevels:service_list"),
        link_label="The ICT service catalogue",
        empty="No ICT service is in the catalogue yet.",
    )


def slas(school: School, *, today: date) -> dict[str, Any]:
    """The agreed service level agreements in force and their targets per priority (respond, resolve, clock)."""
    agreements = Agreement.objects.filter(
        school=school, kind=Agreement.Kind.SLA, status=Agreement.Status.AGREED, starts__lte=today
    ).exclude(ends__lt=today)
    targets = (
        ServiceTarget.objects.filter(agreement__in=agreements)
        .select_related("agreement", "service")
        .order_by("agreement__name", "priority", "service__name", "ticket_kind")
    )
    rows = []
    for target in targets:
        agreement = target.agreement
        clock = agreement.get_hours_display() + (", term time" if agreement.term_time_only else "")
        scope = target.service.name if target.service_id else "All services"
        if target.ticket_kind:
            scope += f" ({target.get_ticket_kind_display().lower()})"
        respond = duration_words(target.response_minutes, hours=agreement.hours)
        resolve = duration_words(target.resolution_minutes, hours=agreement.hours)
        rows.append([agreement.name, target.get_priority_display(), scope, respond, resolve, clock])
    return dict(
        title="Service level agreements: targets per priority",
        columns=["Agreement", "Priority", "Applies to", "Respond within", "Resolve within", "Clock"],
        rows=rows,
        link=reverse("servicelevels:agreement_list"),
        link_label="The agreements",
        note="Agreed SLAs in force; times are on the agreement's clock (school hours unless it says otherwise).",
        empty="No service level agreement is agreed yet: tickets run on the built-in targets.",
    )
