"""Filters of requests for change (the API's list; the pages may use them too)."""

from __future__ import annotations

import django_filters
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_filters.widgets import BooleanWidget

from changes.models import (
    ApprovalRole,
    ChangeAdvisoryBoard,
    ChangeApproval,
    ChangeKind,
    ChangeTemplate,
    Decision,
    FreezeWindow,
    MaintenanceWindow,
    RequestForChange,
    Risk,
    Status,
)
from cmdb.models import ConfigurationItem
from fits.filters import FitsFilterSet, NaturalKeyMultipleChoiceFilter, visible_schools
from fits.models import AuthorityRoleKind, Role


def visible_items(request):
    """Choices for the CI filter: only the CMDB items the requesting user may see."""
    return ConfigurationItem.objects.visible_to(getattr(request, "user", None))


def awaiting_approval_by(queryset, user):
    """The changes in `queryset` that await a decision `user` may give now (changes.services._may_vote_as):
    a network manager's on a normal change of low or medium risk, a school leader's on a major one, a board
    member's on a high-risk one whose board has not reached its quorum; never on the user's own change, and
    not once they have voted in that capacity. One query, whatever the number of changes."""
    if user is None or not user.is_authenticated:
        return queryset.none()
    roles = user.school_roles

    def where(*wanted: str) -> Q:
        if user.is_superuser:
            return Q()
        return Q(school_id__in=[school for school, held in roles.items() if held & set(wanted)])

    votes = ChangeApproval.objects.visible_to(user).filter(change=OuterRef("pk"))
    cab_approvals = (
        votes.filter(role=ApprovalRole.CAB, decision=Decision.APPROVE)
        .order_by()
        .values("change")
        .annotate(n=Count("pk"))
        .values("n")
    )
    on_my_board = RequestForChange.objects.visible_to(user).filter(pk=OuterRef("pk"), cab__members=user)
    as_network_manager = (
        Q(kind=ChangeKind.NORMAL)
        & ~Q(risk=Risk.HIGH)
        & ~Exists(votes.filter(role=ApprovalRole.NETWORK_MANAGER))
        & where(Role.NETWORK_MANAGER)
    )
    as_leader = (
        Q(is_major=True)
        & ~Q(kind=ChangeKind.EMERGENCY)
        & ~Exists(votes.filter(role=ApprovalRole.LEADER))
        & where(Role.SCHOOL_LEADER)
    )
    as_board_member = (
        Q(kind=ChangeKind.NORMAL, risk=Risk.HIGH, cab__quorum__gt=F("cab_approvals"))
        & Exists(on_my_board)
        & ~Exists(votes.filter(role=ApprovalRole.CAB, approver=user))
        & where(Role.NETWORK_MANAGER, Role.SCHOOL_LEADER, AuthorityRoleKind.CONSULTANT)
    )
    return (
        queryset.filter(status=Status.SUBMITTED)
        .exclude(requester=user)
        .alias(cab_approvals=Coalesce(Subquery(cab_approvals), 0))
        .filter(as_network_manager | as_leader | as_board_member)
    )


class NullsLastOrderingFilter(django_filters.OrderingFilter):
    """Orders with the rows that have no value (an unplanned change) last, whichever way: SQLite and
    PostgreSQL disagree on where NULLs go by default."""

    def get_ordering_value(self, param):
        value = super().get_ordering_value(param)
        field = F(value.lstrip("-"))
        return field.desc(nulls_last=True) if value.startswith("-") else field.asc(nulls_last=True)


class ChangeFilterSet(FitsFilterSet):
    q = django_filters.CharFilter(method="search", label="Search (a reference, or words of the summary)")
    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    kind = django_filters.MultipleChoiceFilter(choices=ChangeKind.choices)
    risk = django_filters.MultipleChoiceFilter(choices=Risk.choices)
    school_id = django_filters.ModelMultipleChoiceFilter(field_name="school", queryset=visible_schools)
    school = NaturalKeyMultipleChoiceFilter(
        field_name="school__slug", to_field_name="slug", queryset=visible_schools, label="School (slug)"
    )
    ci = django_filters.ModelMultipleChoiceFilter(
        field_name="cis", queryset=visible_items, label="Changes to this configuration item (its id)"
    )
    planned_after = django_filters.IsoDateTimeFilter(
        field_name="planned_end", lookup_expr="gt", label="Planned to end after this time"
    )
    planned_before = django_filters.IsoDateTimeFilter(
        field_name="planned_start", lookup_expr="lt", label="Planned to start before this time"
    )
    awaiting_my_approval = django_filters.BooleanFilter(
        method="filter_awaiting", label="Only the changes awaiting a decision you may give", widget=BooleanWidget
    )
    ordering = NullsLastOrderingFilter(
        fields=(("planned_start", "planned_start"), ("created_at", "created_at"), ("reference", "reference"))
    )

    class Meta:
        model = RequestForChange
        fields = ["q", "status", "kind", "risk"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(reference__iexact=value) | Q(title__icontains=value))

    def filter_awaiting(self, queryset, name, value):
        if not value or self.request is None:
            return queryset
        return awaiting_approval_by(queryset, self.request.user)


# =============================================================================
# What changes are planned around: rows a school owns, its authority's and everyone's
# =============================================================================


class InForceFilterSet(FitsFilterSet):
    school = django_filters.ModelChoiceFilter(
        queryset=visible_schools, to_field_name="slug", method="filter_school", label="In force at this school (slug)"
    )

    def filter_school(self, queryset, name, value):
        return queryset.of_school(value.pk) if value else queryset


class ChangeTemplateFilterSet(InForceFilterSet):
    class Meta:
        model = ChangeTemplate
        fields = ["school"]


class FreezeWindowFilterSet(InForceFilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=FreezeWindow.Kind.choices)
    upcoming = django_filters.BooleanFilter(
        method="filter_upcoming", label="Only the ones not over yet", widget=BooleanWidget
    )

    class Meta:
        model = FreezeWindow
        fields = ["school", "kind", "upcoming"]

    def filter_upcoming(self, queryset, name, value):
        if value is None:
            return queryset
        today = timezone.localdate()
        return queryset.filter(ends__gte=today) if value else queryset.filter(ends__lt=today)


class MaintenanceWindowFilterSet(InForceFilterSet):
    weekday = django_filters.MultipleChoiceFilter(choices=MaintenanceWindow.Weekday.choices)

    class Meta:
        model = MaintenanceWindow
        fields = ["school", "weekday"]


class ChangeAdvisoryBoardFilterSet(InForceFilterSet):
    class Meta:
        model = ChangeAdvisoryBoard
        fields = ["school"]
