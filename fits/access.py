"""Who may do what: every object permission is a predicate here, checked by services.

Predicates take `(user, obj)` where `obj` carries a `school_id` (an incident, a school...).
Seeing a record at all is decided by `visible_to` (fits/scoping.py); these say what a person
who can see it may do with it. Pages draw their buttons through the same predicates, so the
UI never offers what a service would refuse.
"""

from __future__ import annotations

from typing import Any

import rules
from django.core.exceptions import PermissionDenied

from fits.models import STAFF_ROLES, TECHNICAL_ROLES, AuthorityRoleKind, Role, School


def _school_id(obj: Any) -> int | None:
    if obj is None:
        return None
    if isinstance(obj, School):
        return obj.pk
    return getattr(obj, "school_id", None)


def _has_role(*roles: str) -> rules.Predicate:
    wanted = frozenset(roles)

    @rules.predicate(name=f"has_role({','.join(sorted(wanted))})")
    def predicate(user, obj) -> bool:
        if not user.is_authenticated:
            return False
        return bool(user.roles_at(_school_id(obj)) & wanted)

    return predicate


@rules.predicate
def is_administrator(user) -> bool:
    return user.is_authenticated and user.is_superuser


@rules.predicate
def is_reporter(user, obj) -> bool:
    return getattr(obj, "reporter_id", None) == user.pk


is_member = _has_role(*Role.values, *AuthorityRoleKind.values)
is_school_staff = _has_role(*STAFF_ROLES)
is_desk = _has_role(Role.DESK)
is_technician = _has_role(*TECHNICAL_ROLES)
is_network_manager = _has_role(Role.NETWORK_MANAGER)
is_leader = _has_role(Role.SCHOOL_LEADER)
is_consultant = _has_role(AuthorityRoleKind.CONSULTANT)

# --- Schools -----------------------------------------------------------------
can_view_school = is_administrator | is_member
can_manage_school = is_administrator | is_network_manager

# --- Configuration Management (the CMDB) -------------------------------------
# Support staff read the CMDB (the desk read-only); technicians and the network manager keep it.
can_view_cmdb = is_administrator | is_school_staff
can_manage_cmdb = is_administrator | is_technician
# The agent key opens the school's inventory door: only the network manager sees and rotates it.
can_manage_agents = is_administrator | is_network_manager

# --- Incidents (FITS Incident Management) ------------------------------------
# Anyone with a role at the school may log an incident for themselves (obj: the school).
can_log_incident = is_administrator | _has_role(*Role.values, AuthorityRoleKind.SUPPORT)
# The desk logs calls taken by phone or in person for someone else (obj: the school).
can_log_for_others = is_administrator | is_desk | is_technician
# Routing: assign, set priority. The desk routes; technicians take and pass on.
can_route_incident = is_administrator | is_desk | is_technician
# Diagnosis and resolution are technical work.
can_work_incident = is_administrator | is_technician
# The caller confirms a resolution (close) or says it did not work (reopen); the desk may too.
can_close_incident = is_administrator | is_reporter | is_desk | is_technician
can_reopen_incident = can_close_incident
can_comment_incident = is_administrator | is_reporter | is_desk | is_technician | is_network_manager | is_leader
# Internal notes are for support staff, never the caller's view.
can_see_internal_notes = is_administrator | is_school_staff
# --- Problems (FITS Problem Management): support staff investigate the causes of incidents.
can_work_problem = is_administrator | is_technician
can_view_problem = is_administrator | is_school_staff

# --- Knowledge (Service Desk) -------------------------------------------------
# The desk, technicians and the network manager write and publish articles; leaders and ICT users read.
can_write_articles = is_administrator | is_desk | is_technician | is_network_manager


def require(predicate: rules.Predicate, user: Any, obj: Any = None, message: str | None = None) -> None:
    """Raise PermissionDenied unless `predicate(user, obj)` holds."""
    if not predicate.test(user, obj):
        raise PermissionDenied(message or "You do not have permission to do that.")


def here_or_anywhere(predicate: rules.Predicate) -> rules.Predicate:
    """`predicate` at the given school, or at any of the user's schools when none is chosen.

    For menus and home pages, where "all my schools" is a valid context.
    """

    @rules.predicate(name=f"here_or_anywhere({predicate.name})")
    def wrapped(user, school) -> bool:
        if not user.is_authenticated:
            return False
        if school is not None:
            return predicate.test(user, school)
        if user.is_superuser:
            return True
        from fits.models import School

        return any(predicate.test(user, School(pk=school_id)) for school_id in user.school_roles)

    return wrapped
