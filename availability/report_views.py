"""The availability report (FITS Availability Management): how available the school's services and monitored CIs
were over a period, against the services' targets; on the page, or as CSV (?format=csv, streamed).

For the school's support staff and leaders (fits.access.can_view_monitoring); ICT users are refused (403). The
school is ?school=<slug>, else the one chosen in the school switcher, else every school of the person's where
they may see monitoring. The period comes from the picker the service-level dashboards use. Thin: the figures come from
availability.figures, a fixed number of queries whatever the number of CIs (one calendar per school).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.utils import timezone
from django.views.generic import TemplateView

from availability import figures
from availability.models import CIState
from cmdb.models import Kind
from cmdb.transfer import csv_cell
from fits import access
from fits.models import School
from fits.scoping import schools_visible_to
from servicelevels.dashboard_views import chosen_period, period_choices
from servicelevels.figures import _bounds as period_bounds
from servicelevels.models import ITService

REFUSED = "The availability report is for the school's support staff and leaders."
PAGE_SIZE = 50
CSV_COLUMNS = (
    "record",
    "school",
    "name",
    "kind",
    "hours",
    "target %",
    "availability %",
    "met",
    "downtime minutes",
    "outages",
    "measured minutes",
    "planned minutes",
    "measured from",
)


def report_schools(request) -> list[School]:
    """?school=<slug>, else the switcher's school, else every school where the person may see monitoring.

    A school the person cannot see answers 404 like a missing one; none they may read monitoring of: 403.
    """
    user, slug = request.user, request.GET.get("school")
    visible = schools_visible_to(user).select_related("authority")
    if slug:
        chosen = visible.filter(slug=slug).first()
        if chosen is None:
            raise Http404("No such school.")
    else:
        chosen = getattr(request, "school", None)
    candidates = [chosen] if chosen is not None else list(visible)
    schools = [school for school in candidates if access.can_view_monitoring.test(user, school)]
    if not schools:
        raise PermissionDenied(REFUSED)
    return sorted(schools, key=lambda school: school.name)


def _worst_first(row: dict[str, Any]) -> tuple:
    """Least available first; CIs monitoring has not measured yet last; then by name."""
    value = row["figures"]["availability"]
    return (value is None, value if value is not None else 0.0, -row["figures"]["downtime_minutes"], row["name"])


class AvailabilityReportView(LoginRequiredMixin, TemplateView):
    """Services against their targets, then monitored CIs worst first, over the chosen period."""

    template_name = "availability/report.html"

    def get(self, request, *args, **kwargs):
        if request.GET.get("format") == "csv":
            report = self.report()
            stem = f"availability-{report['slug']}-{report['period'].key}".replace("..", "-to-")
            response = StreamingHttpResponse(_csv_lines(report), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{stem}.csv"'
            return response
        return super().get(request, *args, **kwargs)

    def report(self) -> dict[str, Any]:
        request, user = self.request, self.request.user
        schools = report_schools(request)
        one = schools[0] if len(schools) == 1 else None
        period = chosen_period(request, one)
        since, until = period_bounds(period)
        now = timezone.now()
        names = {school.pk: school.name for school in schools}
        services = [
            service
            for service in ITService.objects.visible_to(user)
            .of_school(one.pk if one else None)
            .filter(is_active=True)
            .order_by("school__name", "name")
            if service.school_id in names  # a school where the person is only an ICT user is not reported
        ]
        service_figures = figures.services_availability(services, since, until, now=now, schools=schools)
        states = [
            state
            for state in CIState.objects.visible_to(user)
            .of_school(one.pk if one else None)
            .exclude(ci__kind=Kind.SERVICE)
            .select_related("ci")
            if state.school_id in names
        ]
        ci_figures = figures.ci_availability([s.ci_id for s in states], since, until, now=now, schools=schools)
        cis = sorted(
            (
                {
                    "ci": state.ci,
                    "name": state.ci.name,
                    "school": names.get(state.school_id, ""),
                    "state": state,
                    "figures": ci_figures[state.ci_id],
                }
                for state in states
            ),
            key=_worst_first,
        )
        return {
            "report_schools": schools,
            "school": one,
            "slug": one.slug if one else "all-schools",
            "period": period,
            "services": [
                {"service": s, "school": names.get(s.school_id, ""), "figures": service_figures[s.pk]} for s in services
            ],
            "cis": cis,
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        report = self.report()
        page = Paginator(report["cis"], PAGE_SIZE).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        query.pop("format", None)
        context.update(
            report,
            page_obj=page,
            is_paginated=page.has_other_pages(),
            ci_rows=page.object_list,
            query=query.urlencode(),
            below_target=sum(1 for row in report["services"] if row["figures"]["met"] is False),
            **period_choices(self.request, report["period"]),
        )
        return context


def _csv_lines(report: dict[str, Any]) -> Iterator[str]:
    """The report as CSV lines: the services, then the CIs worst first; text a spreadsheet would run stays inert."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([csv_cell(value) for value in values])
        return buffer.getvalue()

    def cells(row: dict[str, Any], target) -> list:
        found = row["figures"]
        return [
            found.get("hours", ""),
            target,
            found["availability"],
            found.get("met"),
            found["downtime_minutes"],
            found["outages"],
            found["measured_minutes"],
            found["planned_minutes"],
            found["measured_from"].isoformat() if found["measured_from"] else "",
        ]

    yield "\ufeff" + line(CSV_COLUMNS)  # the BOM: Excel then reads UTF-8
    for row in report["services"]:
        service = row["service"]
        yield line(["service", row["school"], service.name, "ICT service", *cells(row, row["figures"]["target"])])
    for row in report["cis"]:
        ci = row["ci"]
        yield line(["ci", row["school"], ci.name, ci.get_kind_display(), *cells(row, "")])
