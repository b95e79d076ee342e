"""Who may do what: every object permission is a predicate here, checked by services.

Predicates take `(user, obj)` where `obj` carries a `school_id` (an incident, a school...).
Seeing a record at all is decided by `visible_to` (fits/scoping.py); these say what a person
who can see it may do with it. Pages draw their buttons through the same predicates, so the
UI never offers what a service would refuse.
"""

from __future__ import annotations

import functools
from typing import Any

import rules
from django.core.exceptions import PermissionDenied

from fits.models import STAFF_ROLES, TECHNICAL_ROLES, Authority, AuthorityRoleKind, Role, School


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
# Escalation to the LEA support unit or a supplier, and taking it back, is a technician's call (FITS).
can_escalate_incident = is_administrator | is_technician
# Merging duplicate calls and linking a call to a major incident is routing: the desk does it too.
can_merge_incident = can_route_incident
# Technicians and the network manager declare a major incident (many users, or a whole service down);
# the desk and they post its status updates, which go to everyone affected.
can_declare_major_incident = is_administrator | is_technician
can_update_major_incident = can_route_incident
# Time spent is logged by the technical staff who spent it.
can_log_incident_time = can_work_incident


@rules.predicate
def is_authority_staff(user, authority) -> bool:
    """A consultant or a member of the support unit of `authority` (an Authority or its pk)."""
    if not user.is_authenticated or authority is None:
        return False
    authority_id = getattr(authority, "pk", authority)
    return any(role.authority_id == authority_id for role in user.authority_roles)


# --- Service desk configuration: categories, support groups, the priority matrix --------
# Everyone with a support role at the school reads its configuration (obj: the school).
can_view_service_desk_config = is_administrator | is_school_staff
# A school's own categories and groups are kept by its network manager (obj: the school).
can_manage_service_desk_config = is_administrator | is_network_manager
# What an authority sets for all its schools (shared categories and groups, its priority matrix) is kept
# by its consultants and support unit (obj: the authority).
can_manage_authority_config = is_administrator | is_authority_staff


@rules.predicate
def can_manage_shared_config(user, row) -> bool:
    """Who may change a category or support group: its school's, its authority's keepers; shared by all: admin."""
    if row is None:
        return False
    if row.school_id is not None:
        return can_manage_service_desk_config.test(user, row.school)
    if row.authority_id is not None:
        return can_manage_authority_config.test(user, row.authority_id)
    return is_administrator.test(user)


@rules.predicate
def can_manage_change_config(user, row) -> bool:
    """Who keeps Change Management's configuration (boards and their meetings, standard change templates,
    freeze and maintenance windows): a school's network manager, an authority's consultants, an administrator
    (alone for what is shared by all). `row` may be unsaved, to ask before creating it."""
    if row is None or not user.is_authenticated:
        return False
    if is_administrator.test(user):
        return True
    if row.school_id is not None:
        return is_network_manager.test(user, row)
    if row.authority_id is not None:
        return is_authority_consultant.test(user, row.authority_id)
    return False


# --- The caller's side: attachments, safeguarding, the timetable (lesson impact) -----------
# Whoever may comment on a ticket may attach a screenshot or document to it.
can_attach_to_incident = can_comment_incident


@rules.predicate
def is_safeguarding_lead(user, obj) -> bool:
    """A designated safeguarding lead of the school (School.safeguarding_leads), or one of its leaders."""
    return user.is_authenticated and _school_id(obj) in user.safeguarding_school_ids


# Anyone at the school who can see a ticket may raise a safeguarding concern on it; only the leads
# (and leaders) may decide it is not one.
can_flag_safeguarding = is_administrator | is_reporter | is_school_staff
can_unflag_safeguarding = is_administrator | is_safeguarding_lead
# School leaders name the designated safeguarding leads (obj: the school).
can_manage_safeguarding = is_administrator | is_leader
# The timetable comes from the school's MIS: the office (desk), technicians and the network manager keep it.
can_view_timetable = is_administrator | is_school_staff
can_manage_timetable = is_administrator | is_desk | is_technician | is_network_manager

# --- Notifications: the network manager and the service desk word the school's e-mails (obj: the school).
can_edit_notification_templates = is_administrator | is_network_manager | is_desk

# --- Problems (FITS Problem Management): support staff investigate the causes of incidents.
can_work_problem = is_administrator | is_technician
can_view_problem = is_administrator | is_school_staff


# --- Changes (FITS Change Management): technicians raise and carry out changes; network managers approve.
@rules.predicate
def is_change_requester(user, change) -> bool:
    return user.is_authenticated and getattr(change, "requester_id", None) == user.pk


# Technicians and the network manager (and the LEA support unit) raise, schedule and implement changes
# (obj: the school or a change); every support role reads them.
can_raise_change = is_administrator | is_technician
can_view_change = is_administrator | is_school_staff
# Approving: the network manager (normal changes), a school leader (major ones), never a technician as such,
# and nobody approves their own change. Which approvals a change needs: changes/policy.py.
may_approve_changes = is_administrator | is_network_manager | is_leader
can_approve_change = ~is_change_requester & may_approve_changes
# A change advisory board's members vote (membership is checked by changes/policy.py); the LEA's consultants may
# sit on an authority's board. A technician's role alone never approves, nor does the requester.
can_vote_on_change = ~is_change_requester & (may_approve_changes | is_consultant)
# The post-implementation review and closure: the network manager or a leader.
can_review_change = is_administrator | is_network_manager | is_leader

# --- Releases (FITS Release Management): technicians and the network manager plan, build, test and roll out
# releases and propose versions for the definitive software library (obj: the school or a release); every support
# role reads them.
can_manage_release = is_administrator | is_technician
can_view_release = is_administrator | is_school_staff


# --- Availability and Capacity (FITS): every support role reads monitoring, capacity and maintenance; technicians
# and the network manager set up checks, thresholds and maintenance schedules; the network manager alone keeps the
# school's monitoring settings and SNMP credentials (obj: the school or a record).
can_view_monitoring = is_administrator | is_school_staff
can_manage_monitoring = is_administrator | is_technician
can_configure_monitoring = is_administrator | is_network_manager

# --- Tasks (planned work: preventative maintenance, routine operations, reviews): support staff read them,
# technicians and the network manager raise, work and complete them (obj: the school or a task).
can_view_task = is_administrator | is_school_staff
can_work_task = is_administrator | is_technician


# --- FITS OM (om/, om.sysadmin): support staff read each function's policy, activities, logbooks and run books;
# the network manager writes the policies and allocates the activities; technicians keep the server logbooks and
# write run books, which the network manager reviews (obj: the school or a record).
can_view_operations = is_administrator | is_school_staff
can_manage_operations = is_administrator | is_network_manager
can_keep_logbook = is_administrator | is_technician
can_review_run_book = is_administrator | is_network_manager

# --- Patch Management (om.patches): support staff read baselines, approvals and compliance; technicians and the
# network manager keep the school's baselines, groups and imports; approving an update for a group (WSUS-style) is
# the network manager's (obj: the school or a record). An authority's shared baselines: its consultants, support unit.
can_view_patches = is_administrator | is_school_staff
can_manage_patches = is_administrator | is_technician
can_approve_patches = is_administrator | is_network_manager


@rules.predicate
def can_manage_update(user, row) -> bool:
    """A baseline line: the school's technicians, or for an authority's shared line its staff (admin for all)."""
    if row is None or not user.is_authenticated:
        return False
    if row.school_id is not None:
        return can_manage_patches.test(user, row.school)
    if row.authority_id is not None:
        return is_administrator.test(user) or is_authority_staff.test(user, row.authority_id)
    return is_administrator.test(user)


# --- Security Administration (om.security): the breach log and who holds administrator rights are for the network
# manager, the school's leaders and administrators only; they log breaches, tell the ICO and sign off access reviews.
# The firewall and filtering register and antivirus states are support staff's reading; technicians and the network
# manager keep the register (obj: the school or a record).
can_view_security = is_administrator | is_network_manager | is_leader
can_manage_breaches = can_view_security
can_sign_off_access_review = is_administrator | is_network_manager | is_leader
can_view_security_register = is_administrator | is_school_staff
can_manage_firewall_rules = is_administrator | is_technician

# --- Directory Services Administration (om.directory): support staff read the synchronised accounts, groups, OUs,
# sync runs, account requests and reports; technicians and the network manager run a sync, upload MIS intakes and
# import admin group members; the connection settings and their secrets are the network manager's (obj: the school
# or a record).
can_view_directory = is_administrator | is_school_staff
can_work_directory = is_administrator | is_technician
can_configure_directory = is_administrator | is_network_manager

# --- Print and Output Management (om.printing): support staff read printers, supplies, stock and usage; technicians
# and the network manager keep printers, queues and the stock; the network manager sets the print policy's figures
# (obj: the school or a record).
can_view_printing = is_administrator | is_school_staff
can_manage_printing = is_administrator | is_technician
can_set_print_policy = is_administrator | is_network_manager

# --- Storage Management (om.storage): support staff read storage, backup jobs and results, restore requests and
# restore tests; technicians and the network manager keep the jobs, record results and restore tests and work
# restores (obj: the school or a record). A backup result may also come from an API token of such a person.
can_view_storage = is_administrator | is_school_staff
can_manage_storage = is_administrator | is_technician
can_report_backup = can_manage_storage


@rules.predicate
def can_approve_library_item(user, item) -> bool:
    """Only tested versions go into the definitive software library: a school's item is approved (or withdrawn) by
    its network manager, an authority's by its consultants; one shared by all by an administrator."""
    if item is None:
        return False
    if is_administrator.test(user):
        return True
    if item.school_id is not None:
        return is_network_manager.test(user, item)
    return item.authority_id is not None and is_authority_consultant.test(user, item.authority_id)


# --- Knowledge (Service Desk) -------------------------------------------------
# The desk, technicians and the network manager write and publish articles; leaders and ICT users read.
can_write_articles = is_administrator | is_desk | is_technician | is_network_manager

# --- E-mail intake (Service Desk) ---------------------------------------------
# The support mailbox's settings hold the password of the school's mail: the network manager's.
can_manage_mailbox = is_administrator | is_network_manager
# The desk and technicians deal with inbound mail: accept a held message for someone, discard, retry.
# (Every support role may read the inbound log: InboundMessage.objects.visible_to is for staff only.)
can_triage_mail = is_administrator | is_desk | is_technician

# --- Service catalogue and requests (Service Desk) ----------------------------
# The desk, technicians and the network manager keep the school's catalogue (obj: the school or a request type).
can_manage_catalogue = is_administrator | is_desk | is_technician
# Support staff (leaders and consultants too) read the catalogue's settings; ICT users see what is on offer.
can_view_catalogue_settings = is_administrator | is_school_staff
# Items marked "support staff only" (a new starter account) are requested by staff, not by ICT users.
can_request_staff_items = is_administrator | is_school_staff
# Fulfilment tasks (create the account, deliver the laptop) are the desk's and the technicians' work.
can_fulfil_request = is_administrator | is_desk | is_technician
# The roles a request type may name as its approver (obj: the school): for menus and home pages.
may_approve_requests = is_administrator | is_leader | is_network_manager


@rules.predicate
def holds_approver_role(user, ticket) -> bool:
    """`user` holds, at the ticket's school, the role its request type names as approver."""
    if not user.is_authenticated:
        return False
    request_type = getattr(getattr(ticket, "service_request", None), "request_type", None)
    role = getattr(request_type, "approver", "")
    return bool(role) and role in user.roles_at(_school_id(ticket))


# A request awaiting approval is decided by the approver its type names, never by the requester themself.
can_approve_request = ~is_reporter & (is_administrator | holds_approver_role)


# --- The workbench (Service Desk) ---------------------------------------------
# The technicians' and the desk's list of queues: for support staff (obj: the school); ICT users have "My tickets".
can_use_workbench = is_administrator | is_school_staff


@rules.predicate
def is_owner(user, obj) -> bool:
    return user.is_authenticated and getattr(obj, "owner_id", None) == user.pk


# A saved filter is its owner's alone: nobody else renames, reorders or deletes it (not even an administrator).
can_manage_saved_filter = is_owner


# --- Service Level Management (FITS Service Level) ------------------------------
# Support staff, leaders and the LEA's consultants read the catalogue, agreements and traded services (obj: a school
# or a record of one); the school's network manager and leaders agree its service levels with its users.
can_view_service_levels = is_administrator | is_school_staff
can_manage_service_levels = is_administrator | is_network_manager | is_leader


@rules.predicate
def is_authority_consultant(user, authority) -> bool:
    """An LEA consultant of `authority` (an Authority or its pk)."""
    if not user.is_authenticated or authority is None:
        return False
    authority_id = getattr(authority, "pk", authority)
    return any(
        role.authority_id == authority_id and role.role == AuthorityRoleKind.CONSULTANT for role in user.authority_roles
    )


@rules.predicate
def can_manage_support_package(user, package) -> bool:
    """The LEA's traded services are kept by its consultants (obj: a package, or an authority); shared by all: admin."""
    if is_administrator.test(user):
        return True
    authority_id = package.pk if isinstance(package, Authority) else getattr(package, "authority_id", None)
    return authority_id is not None and is_authority_consultant.test(user, authority_id)


# Which school buys which package: the authority's consultants (obj: a school or a subscription).
can_manage_subscriptions = is_administrator | is_consultant

# The termly service report and the consultancy-day pack (obj: a school): its leaders and network manager, and
# the LEA's consultants.
can_view_service_reports = is_administrator | is_leader | is_network_manager | is_consultant

# --- Financial Management (finance): support staff, leaders and the LEA's consultants read the costs, contracts and
# budgets; the financial manager (the network manager or a school leader) keeps budgets, contracts, suppliers, CI
# costs and the school's finance settings; the desk, as financial administrator, records expenditure too; the
# reports for leaders and the LEA are for leaders, the network manager and consultants (obj: the school or a record).
can_view_finance = is_administrator | is_school_staff
can_manage_finance = is_administrator | is_network_manager | is_leader
can_record_expenditure = can_manage_finance | is_desk
can_view_finance_reports = is_administrator | is_leader | is_network_manager | is_consultant

# --- Service Continuity Management (continuity): support staff and the LEA's consultants read the risk register,
# recovery plans and their tests; the network manager (normally the service continuity manager) and the school's
# leaders keep them, and either approves a plan (obj: the school or a record). ICT users see none of it.
can_view_continuity = is_administrator | is_school_staff
can_manage_continuity = is_administrator | is_network_manager | is_leader
can_approve_continuity = is_administrator | is_network_manager | is_leader


# --- FITS maturity assessment (fits.assessment): support staff, leaders and the LEA's consultants read a school's
# self-assessment; its network manager and leaders answer it and mark it completed; the consultants add a comment and
# a moderated score per process (obj: the school or an assessment). ICT users see nothing of it.
can_view_assessment = is_administrator | is_school_staff
can_answer_assessment = is_administrator | is_network_manager | is_leader
can_moderate_assessment = is_administrator | is_consultant

# --- ICT strategy and technical support strategy (fits.strategy): support staff, leaders and the LEA's consultants
# read them; the network manager and the school's leaders write them (obj: the school or a record). A signature is
# personal: each capacity is signed by a person who holds it, never by an administrator as such (head teacher and
# ICT co-ordinator: a leader of the school; LA adviser: the authority's consultant; the school's network manager).
can_view_strategy = is_administrator | is_school_staff
can_manage_strategy = is_administrator | is_network_manager | is_leader
can_sign_strategy_as = {
    "head": is_leader,
    "la_adviser": is_consultant,
    "ict_coordinator": is_leader,
    "network_manager": is_network_manager,
}
may_sign_strategy = is_leader | is_consultant | is_network_manager


def require(predicate: rules.Predicate, user: Any, obj: Any = None, message: str | None = None) -> None:
    """Raise PermissionDenied unless `predicate(user, obj)` holds."""
    if not predicate.test(user, obj):
        raise PermissionDenied(message or "You do not have permission to do that.")


@functools.cache
def here_or_anywhere(predicate: rules.Predicate) -> rules.Predicate:
    """`predicate` at the given school, or at any of the user's schools when none is chosen.

    For menus and home pages, where "all my schools" is a valid context. Role predicates give the same answer at
    every school where the user holds the same roles, so one school per distinct set of roles is asked: a
    consultant over 500 schools costs one test, not 500. Made once per predicate (the menu asks for forty on
    every page, and making a predicate inspects its function).
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

        one_per_role_set = {roles: school_id for school_id, roles in user.school_roles.items()}
        return any(predicate.test(user, School(pk=school_id)) for school_id in one_per_role_set.values())

    return wrapped
