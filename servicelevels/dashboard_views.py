"""The service-level dashboards: one school's "this term at a glance", and the authority's schools side by side.

- `/service-levels/dashboard/` for the school's support staff and leaders (and the LEA's consultants): the
  school comes from ?school=<slug>, else the school switcher, else the person's first school. ICT users are
  refused (403); a school the person cannot see answers like a missing one (404).
- `/service-levels/authority/` for the LEA's consultants (and administrators): every school of their authority
  with normalised figures, sortable, traffic-lighted against the targets, each school drilling down to its
  dashboard. Anyone else is refused (403).

Thin views: the numbers come from servicelevels.figures (SQL over the rollups), the periods from
servicelevels.periods; charts get their data through `json_script` (static/fits/js/dashboards.js draws them).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.utils import timezone
from django.views.generic import TemplateView

from fits import access
from fits.models import Authority, AuthorityRoleKind, School
from fits.scoping import schools_visible_to
from incidents.models import OPEN_STATUSES, Incident
from servicelevels import figures, periods
from servicelevels.models import ClockEvent
from servicelevels.rollups import figures_as_of

REFUSED_SCHOOL = "Service-level dashboards are for the school's support staff and leaders."
REFUSED_AUTHORITY = "The authority dashboard is for the LEA's consultants."
AUTHORITY_PAGE_SIZE = 100
RANKED = 30  # schools in the ranking chart: the furthest from the target


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def chosen_period(request, owner: School | Authority | None) -> periods.Period:
    """The period the picker asks for (?period=this-term|last-term|this-year|custom|<term key>&from=&to=)."""
    return periods.resolve(
        owner,
        request.GET.get("period", "this-term"),
        today=timezone.localdate(),
        starts=_date(request.GET.get("from")),
        ends=_date(request.GET.get("to")),
    )


def dashboard_school(request) -> School:
    """The school a dashboard is about: ?school=<slug>, else the switcher's, else the first the person may read."""
    user, slug = request.user, request.GET.get("school")
    readable = access.can_view_service_levels
    if slug:
        school = schools_visible_to(user).select_related("authority").filter(slug=slug).first()
        if school is None:
            raise Http404("No such school.")
    else:
        school = getattr(request, "school", None)
        if school is None or not readable.test(user, school):
            school = next(
                (s for s in schools_visible_to(user).select_related("authority").order_by("name")
                 if readable.test(user, s)),
                None,
            )  # fmt: skip
        if school is None:
            raise PermissionDenied(REFUSED_SCHOOL)
    if not readable.test(user, school):
        raise PermissionDenied(REFUSED_SCHOOL)
    return school


def authorities_for(user) -> list[Authority]:
    """The authorities whose dashboard `user` may read: their consultancies; every one for an administrator."""
    if not user.is_authenticated:
        return []
    if user.is_superuser:
        return list(Authority.objects.order_by("name"))
    return sorted(
        {role.authority for role in user.authority_roles if role.role == AuthorityRoleKind.CONSULTANT},
        key=lambda a: a.name,
    )


def period_choices(request, period: periods.Period) -> dict[str, Any]:
    chosen = request.GET.get("period", "this-term")
    return {
        "period": period,
        "period_choice": chosen if chosen in dict(periods.CHOICES) else "this-term",
        "period_choices": periods.CHOICES,
        "period_from": period.starts,
        "period_to": period.ends,
    }


class SchoolDashboardView(LoginRequiredMixin, TemplateView):
    """One school's service levels this term (or the period picked): for leaders, the network manager, the desk."""

    template_name = "servicelevels/dashboard_school.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request, user = self.request, self.request.user
        school = dashboard_school(request)
        period = chosen_period(request, school)
        now = timezone.now()
        summary = figures.school_summary(school, period, now=now)
        book = periods.TermBook(school)
        terms = book.previous_terms(6, before=min(period.ends, timezone.localdate()))
        trend = figures.school_trend(school, terms)
        visible = Incident.objects.visible_to(user).of_school(school.pk).filter(status__in=OPEN_STATUSES)
        breaches = list(
            ClockEvent.objects.visible_to(user)
            .of_school(school.pk)
            .filter(level=ClockEvent.Level.BREACH, incident__in=visible)
            .select_related("incident")
            .order_by("-reached_at")[:10]
        )
        schools = [s for s in schools_visible_to(user).order_by("name") if access.can_view_service_levels.test(user, s)]
        context.update(
            school=school,
            summary=summary,
            trend=trend,
            open_breaches=breaches,
            schools=schools if len(schools) > 1 else [],
            as_of=figures_as_of(),
            help=figures.HELP,
            is_consultant=access.is_consultant.test(user, school) or user.is_superuser,
            chart_data={
                "priority": {
                    "labels": [row["label"] for row in summary["by_priority"]],
                    "logged": [row["logged"] for row in summary["by_priority"]],
                    "resolved": [row["resolved"] for row in summary["by_priority"]],
                },
                "service": {
                    "labels": [row["name"] for row in summary["by_service"]],
                    "logged": [row["logged"] for row in summary["by_service"]],
                    "resolved": [row["resolved"] for row in summary["by_service"]],
                },
                "trend": {
                    "labels": [row["label"] for row in trend],
                    "logged": [row["logged"] for row in trend],
                    "pct_within_sla": [row["pct_within_sla"] for row in trend],
                    "satisfaction": [row["satisfaction_mean"] for row in trend],
                    "target": summary["targets"]["within_sla"],
                },
            },
            **period_choices(request, period),
        )
        return context


SORTS = {key for key, _ in figures.TABLE_COLUMNS} | {"name", "open_now", "devices"}


class AuthorityDashboardView(LoginRequiredMixin, TemplateView):
    """Every school of the consultant's authority side by side, normalised, with drill-down to each school."""

    template_name = "servicelevels/dashboard_authority.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request, user = self.request, self.request.user
        authorities = authorities_for(user)
        if not authorities:
            raise PermissionDenied(REFUSED_AUTHORITY)
        wanted = request.GET.get("authority")
        authority = next((a for a in authorities if str(a.pk) == wanted), authorities[0])
        period = chosen_period(request, authority)
        schools = list(schools_visible_to(user).filter(authority=authority).only("pk", "slug", "name", "authority_id"))
        table = figures.authority_table(schools, period)
        rows = table["rows"]
        sort, descending = request.GET.get("sort", "name"), request.GET.get("dir") == "desc"
        if sort not in SORTS:
            sort = "name"

        def value(row):
            return row["school"]["name"].lower() if sort == "name" else row[sort]

        # Schools with no figure for the column stay last whichever way it is sorted.
        rows = sorted((r for r in rows if value(r) is not None), key=value, reverse=descending) + [
            r for r in rows if value(r) is None
        ]
        page = Paginator(rows, AUTHORITY_PAGE_SIZE).get_page(request.GET.get("page"))
        ranked = sorted(
            (row for row in table["rows"] if row["pct_within_sla"] is not None), key=lambda row: row["pct_within_sla"]
        )[:RANKED]
        context.update(
            authority=authority,
            authorities=authorities if len(authorities) > 1 else [],
            table=table,
            page_obj=page,
            rows=page.object_list,
            columns=figures.TABLE_COLUMNS,
            sort=sort,
            descending=descending,
            as_of=figures_as_of(),
            help=figures.HELP,
            targets={
                "within_sla": figures.TARGET_WITHIN_SLA,
                "first_time_fix": figures.TARGET_FIRST_TIME_FIX,
                "reopen": figures.TARGET_REOPEN,
                "satisfaction": figures.TARGET_SATISFACTION,
            },
            chart_data={
                "ranking": {
                    "labels": [row["school"]["name"] for row in ranked],
                    "pct_within_sla": [row["pct_within_sla"] for row in ranked],
                    "target": figures.TARGET_WITHIN_SLA,
                }
            },
            **period_choices(request, period),
        )
        return context
