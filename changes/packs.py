"""Change Management's section of the consultancy-day pack (servicelevels.packs): the changes planned, and the
FITS measures (raised, approved, rejected, succeeded, failed) month by month over the pack's period.

Registered from ChangesConfig.ready(), because Service Level Management may not import this app.
"""

from __future__ import annotations

from django.utils import timezone

from changes.measures import MEASURES, monthly_figures, months_between
from changes.models import PLANNED_STATUSES, RequestForChange
from servicelevels.packs import SectionContent

SHOWN = 15


def changes_section(school, period, user) -> SectionContent:
    """The school's approved, scheduled and running changes (soonest first), and the measures of each month
    of `period`, as `user` may see them: three queries."""
    changes = RequestForChange.objects.visible_to(user).of_school(school.pk)
    planned = changes.filter(status__in=PLANNED_STATUSES).select_related("implementer").order_by("planned_start", "pk")
    total = planned.count()
    rows = [
        [
            change.reference,
            change.title,
            change.get_kind_display(),
            change.get_risk_display() or "Not assessed",
            change.get_status_display(),
            timezone.localtime(change.planned_start).strftime("%d %b %Y %H:%M") if change.planned_start else "",
            str(change.implementer or ""),
        ]
        for change in planned[:SHOWN]
    ]
    figures = monthly_figures(changes, months_between(period.starts, period.ends))
    measures = [
        {"month": row.month.label, **{name: getattr(row, name) for name, _label in MEASURES}} for row in figures
    ]
    totals = {name: sum(row[name] for row in measures) for name, _label in MEASURES}
    said = ", ".join(f"{totals[name]} {label.lower()}" for name, label in MEASURES)
    note = f"RFCs in {period.label}: {said}."
    more = total - len(rows)
    if more > 0:
        note = f"and {more} more planned change{'s' if more != 1 else ''} on the forward schedule. " + note
    return SectionContent(
        columns=["Change", "Summary", "Kind", "Risk", "Status", "Planned", "Implementer"],
        rows=rows,
        empty=f"No changes planned. RFCs in {period.label}: {said}.",
        note=note,
        extra={"measures": measures, "totals": totals},
    )
