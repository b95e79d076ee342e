"""The single point of contact: a home page for each persona (DESIGN.md 1)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from fits.models import AuthorityRoleKind, Role
from fits.scoping import schools_visible_to
from incidents.models import Incident, Priority, Status

# Which home page a person gets when they hold several roles: the broadest view wins.
PERSONA_ORDER = [
    Role.NETWORK_MANAGER,
    Role.SCHOOL_LEADER,
    AuthorityRoleKind.CONSULTANT,
    Role.TECHNICIAN,
    AuthorityRoleKind.SUPPORT,
    Role.DESK,
    Role.ICT_USER,
]
PERSONA_TEMPLATES = {
    Role.NETWORK_MANAGER: "glance",
    Role.SCHOOL_LEADER: "glance",
    AuthorityRoleKind.CONSULTANT: "authority",
    Role.TECHNICIAN: "technician",
    AuthorityRoleKind.SUPPORT: "technician",
    Role.DESK: "desk",
    Role.ICT_USER: "user",
}
LIST_LENGTH = 10


def persona(user, school) -> str:
    """The home page to show: from the roles at the chosen school, or across all of them."""
    if user.is_superuser:
        return "glance" if school is not None else "authority"
    if school is not None:
        roles = user.roles_at(school.pk)
    else:
        roles = frozenset().union(*user.school_roles.values()) if user.school_roles else frozenset()
        if AuthorityRoleKind.CONSULTANT in roles:
            return "authority"
    for role in PERSONA_ORDER:
        if role in roles:
            template = PERSONA_TEMPLATES[role]
            # A consultant who picked one school sees that school at a glance.
            return "glance" if template == "authority" and school is not None else template
    return "none"


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user, school = request.user, request.school
    kind = persona(user, school)
    incidents = Incident.objects.visible_to(user).of_school(school.pk if school else None)
    week_ago = timezone.now() - timedelta(days=7)
    context = {"persona": kind, "since": week_ago}

    if kind == "user":
        mine = incidents.filter(reporter=user).for_list()
        context.update(
            open_incidents=mine.open().order_by("priority", "-created_at")[:LIST_LENGTH],
            awaiting=mine.filter(status=Status.RESOLVED).order_by("-resolved_at")[:LIST_LENGTH],
            recent=mine.filter(status=Status.CLOSED).order_by("-closed_at")[:5],
        )
    elif kind == "desk":
        today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        context.update(
            todays_calls=incidents.filter(created_at__gte=today).for_list().order_by("-created_at")[:LIST_LENGTH],
            unrouted=incidents.unassigned().for_list().order_by("priority", "created_at")[:LIST_LENGTH],
            awaiting=incidents.filter(status=Status.RESOLVED).for_list().order_by("resolved_at")[:LIST_LENGTH],
            figures=incidents.glance(since=today),
        )
    elif kind == "technician":
        context.update(
            my_queue=incidents.open().filter(assignee=user).for_list().order_by("priority", "created_at")[:LIST_LENGTH],
            unassigned=incidents.unassigned().for_list().order_by("priority", "created_at")[:LIST_LENGTH],
            figures=incidents.glance(since=week_ago),
            mine_open=incidents.open().filter(assignee=user).count(),
        )
    elif kind == "glance":
        by_priority = incidents.open().count_by("priority")
        by_status = incidents.open().count_by("status")
        context.update(
            figures=incidents.glance(since=week_ago),
            by_priority=[(p.label, by_priority.get(p.value, 0), p.value) for p in Priority],
            by_status=[(label, by_status.get(value, 0)) for value, label in Status.choices if value in by_status],
            oldest=incidents.open().for_list().order_by("created_at")[:5],
        )
    elif kind == "authority":
        figures = incidents.glance_by_school(since=week_ago)
        schools = schools_visible_to(user).select_related("authority").order_by("authority__name", "name")
        empty = dict.fromkeys(("open", "urgent", "unassigned", "awaiting", "logged", "resolved"), 0)
        context.update(
            schools=[(s, figures.get(s.pk, empty)) for s in schools],
            totals=incidents.glance(since=week_ago),
        )
    return render(request, f"servicedesk/home_{kind}.html", context)
