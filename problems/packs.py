"""Problem Management's section of the consultancy-day pack (servicelevels.packs): open problems and known errors.

Registered from ProblemsConfig.ready(), because Service Level Management may not import this app.
"""

from __future__ import annotations

from django.db.models import Count

from problems.models import Problem
from servicelevels.packs import SectionContent

SHOWN = 15


def open_problems_section(school, period, user) -> SectionContent:
    """The school's open problems (known errors first), as `user` may see them: two queries."""
    problems = (
        Problem.objects.visible_to(user)
        .of_school(school.pk)
        .open()
        .select_related("assignee", "change")
        .annotate(incident_count=Count("incidents", distinct=True))
        .order_by("-incident_count", "created_at")
    )
    total = problems.count()
    rows = [
        [
            problem.reference,
            problem.title,
            problem.get_status_display(),
            problem.incident_count,
            problem.created_at.date(),
            str(problem.assignee or "Unassigned"),
            problem.change.reference if problem.change else "",
        ]
        for problem in problems[:SHOWN]
    ]
    more = total - len(rows)
    return SectionContent(
        columns=["Problem", "Summary", "Status", "Incidents", "Logged", "Who", "Change"],
        rows=rows,
        empty="No open problems: nothing recurring is waiting for a permanent fix.",
        note=f"and {more} more open problem{'s' if more != 1 else ''} in the problem log." if more > 0 else "",
    )
