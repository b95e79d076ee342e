"""The dashboards' figures over the API (read-only): one school's summary, and an authority's schools side by side.

- GET /api/service-levels/dashboard/?school=<slug>&period=this-term|last-term|this-year|custom|<term key>&from=&to=
- GET /api/service-levels/authority/?authority=<id>&period=...

The same figures as the pages (servicelevels.figures), scoped the same way: a school you cannot see is 404, a
school where you hold no support role is 403; the authority table is for the LEA's consultants (of their
authorities) and administrators.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, viewsets
from rest_framework.response import Response

from fits.api import SummarySchema
from fits.scoping import schools_visible_to
from servicelevels import figures
from servicelevels.dashboard_views import REFUSED_AUTHORITY, authorities_for, chosen_period, dashboard_school
from servicelevels.rollups import figures_as_of

PERIOD_PARAMETERS = [
    OpenApiParameter(
        "period",
        str,
        description='"this-term" (default), "last-term", "this-year", "custom" (with from and to), or a term '
        'key such as "2026-27-autumn".',
    ),
    OpenApiParameter("from", str, description="First day of a custom period (YYYY-MM-DD)."),
    OpenApiParameter("to", str, description="Last day of a custom period (YYYY-MM-DD), inclusive."),
]

PERIOD = inline_serializer(
    "DashboardPeriod",
    {
        "key": serializers.CharField(),
        "label": serializers.CharField(),
        "starts": serializers.DateField(),
        "ends": serializers.DateField(),
        "kind": serializers.CharField(help_text="term, holiday, year or custom"),
    },
)
SCHOOL = inline_serializer(
    "DashboardSchool", {"id": serializers.IntegerField(allow_null=True), "slug": serializers.CharField(),
                        "name": serializers.CharField()}
)  # fmt: skip
RATE = {"allow_null": True}


def _rates() -> dict[str, serializers.Field]:
    return {
        "pct_responded_in_time": serializers.FloatField(**RATE, help_text=figures.HELP["pct_responded_in_time"]),
        "pct_resolved_in_time": serializers.FloatField(**RATE, help_text=figures.HELP["pct_resolved_in_time"]),
        "pct_within_sla": serializers.FloatField(**RATE, help_text=figures.HELP["pct_within_sla"]),
        "pct_first_time_fix": serializers.FloatField(**RATE, help_text=figures.HELP["pct_first_time_fix"]),
        "pct_reopened": serializers.FloatField(**RATE, help_text=figures.HELP["pct_reopened"]),
        "mean_resolve_minutes": serializers.IntegerField(**RATE, help_text=figures.HELP["mean_resolve_minutes"]),
        "satisfaction_mean": serializers.FloatField(**RATE, help_text=figures.HELP["satisfaction_mean"]),
        "satisfaction_count": serializers.IntegerField(),
    }


SPLIT = {
    "logged": serializers.IntegerField(),
    "resolved": serializers.IntegerField(),
    "pct_within_sla": serializers.FloatField(**RATE),
    "pct_resolved_in_time": serializers.FloatField(**RATE),
}

SCHOOL_SUMMARY = inline_serializer(
    "ServiceLevelDashboard",
    {
        "school": SCHOOL,
        "period": PERIOD,
        "figures_as_of": serializers.DateTimeField(allow_null=True, help_text="When the rollups were last rebuilt."),
        "logged": serializers.IntegerField(),
        "responded": serializers.IntegerField(),
        "responded_in_time": serializers.IntegerField(),
        "resolved": serializers.IntegerField(),
        "resolved_in_time": serializers.IntegerField(),
        "first_contact_fixes": serializers.IntegerField(),
        "reopened": serializers.IntegerField(),
        "resolve_minutes": serializers.IntegerField(),
        **_rates(),
        "open_now": serializers.IntegerField(),
        "oldest_open_at": serializers.DateTimeField(allow_null=True),
        "oldest_open_days": serializers.FloatField(allow_null=True),
        "breaches": serializers.IntegerField(help_text=figures.HELP["breaches"]),
        "by_priority": inline_serializer(
            "DashboardByPriority",
            {"priority": serializers.IntegerField(), "label": serializers.CharField(), **SPLIT},
            many=True,
        ),
        "by_kind": inline_serializer(
            "DashboardByKind", {"kind": serializers.CharField(), "label": serializers.CharField(), **SPLIT}, many=True
        ),
        "by_service": inline_serializer(
            "DashboardByService",
            {"service_id": serializers.IntegerField(allow_null=True), "name": serializers.CharField(), **SPLIT},
            many=True,
        ),
        "availability": inline_serializer(
            "DashboardAvailability",
            {
                "service_id": serializers.IntegerField(),
                "name": serializers.CharField(),
                "target": serializers.FloatField(),
                "availability": serializers.FloatField(allow_null=True, help_text=figures.HELP["availability"]),
                "downtime_minutes": serializers.IntegerField(),
                "support_minutes": serializers.IntegerField(),
                "met": serializers.BooleanField(allow_null=True),
                "light": serializers.CharField(),
                "source": serializers.ChoiceField(
                    choices=["monitoring", "tickets"], help_text="Measured by monitoring, or from P1 tickets."
                ),
            },
            many=True,
        ),
        "targets": serializers.DictField(child=serializers.FloatField()),
        "lights": serializers.DictField(child=serializers.CharField(), help_text="green, amber, red or empty."),
    },
)

TABLE_ROW = {
    "school": SCHOOL,
    "logged": serializers.FloatField(allow_null=True),
    "resolved": serializers.FloatField(allow_null=True),
    "devices": serializers.FloatField(allow_null=True),
    "tickets_per_100_devices": serializers.FloatField(**RATE, help_text=figures.HELP["tickets_per_100_devices"]),
    **_rates(),
    "open_now": serializers.FloatField(allow_null=True),
    "oldest_open_days": serializers.FloatField(allow_null=True),
    "breaches": serializers.FloatField(allow_null=True),
    "lights": serializers.DictField(child=serializers.CharField()),
}
AUTHORITY_TABLE = inline_serializer(
    "ServiceLevelAuthorityTable",
    {
        "authority": inline_serializer(
            "DashboardAuthority", {"id": serializers.IntegerField(), "name": serializers.CharField()}
        ),
        "period": PERIOD,
        "figures_as_of": serializers.DateTimeField(allow_null=True),
        "rows": inline_serializer("AuthorityTableRow", TABLE_ROW, many=True),
        "totals": inline_serializer("AuthorityTableTotals", TABLE_ROW),
        "median": inline_serializer("AuthorityTableMedian", TABLE_ROW),
    },
)


class DashboardViewSet(viewsets.ViewSet):
    """One school's service-level figures for a period: what the leaders' dashboard shows."""

    schema = SummarySchema()  # `list` answers one object

    @extend_schema(
        parameters=[OpenApiParameter("school", str, description="A school's slug (default: your first)."),
                    *PERIOD_PARAMETERS],
        responses=SCHOOL_SUMMARY,
    )  # fmt: skip
    def list(self, request, format=None):
        try:
            school = dashboard_school(request)
        except Http404 as error:
            raise exceptions.NotFound(str(error)) from error
        except DjangoPermissionDenied as error:
            raise exceptions.PermissionDenied(str(error)) from error
        summary = figures.school_summary(school, chosen_period(request, school), now=timezone.now())
        return Response({**summary, "figures_as_of": figures_as_of()})


class AuthorityTableViewSet(viewsets.ViewSet):
    """An authority's schools side by side, normalised: what the consultants' dashboard shows."""

    schema = SummarySchema()  # `list` answers one object

    @extend_schema(
        parameters=[OpenApiParameter("authority", int, description="The authority's id (default: your first)."),
                    *PERIOD_PARAMETERS],
        responses=AUTHORITY_TABLE,
    )  # fmt: skip
    def list(self, request, format=None):
        authorities = authorities_for(request.user)
        if not authorities:
            raise exceptions.PermissionDenied(REFUSED_AUTHORITY)
        wanted = request.query_params.get("authority")
        authority = next((a for a in authorities if str(a.pk) == wanted), None)
        if wanted and authority is None:
            raise exceptions.NotFound("No such authority.")
        authority = authority or authorities[0]
        schools = schools_visible_to(request.user).filter(authority=authority).order_by("name")
        table = figures.authority_table(schools, chosen_period(request, authority), now=timezone.now())
        return Response(
            {"authority": {"id": authority.pk, "name": authority.name}, "figures_as_of": figures_as_of(), **table}
        )


routes = [
    ("service-levels/dashboard", DashboardViewSet, "service-level-dashboard"),
    ("service-levels/authority", AuthorityTableViewSet, "service-level-authority"),
]
