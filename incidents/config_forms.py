"""Forms of the service desk's configuration: categories, support groups, an authority's priority matrix."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q

from fits import access
from fits.forms import ScopedForm
from fits.models import Authority, AuthorityRole, School, User
from fits.scoping import schools_visible_to
from incidents.models import PRIORITY_MATRIX, Category, Impact, Priority, SupportGroup, TicketKind, Urgency

# =============================================================================
# Where a new category or group belongs: a school, an authority (all its schools), or everyone
# =============================================================================


def owners_for(user: Any) -> list[tuple[str, str, School | None, Authority | None]]:
    """The owners `user` may add configuration for: (value, label, school, authority)."""
    owners: list[tuple[str, str, School | None, Authority | None]] = []
    schools = schools_visible_to(user).select_related("authority")
    for school in schools:
        if access.can_manage_service_desk_config.test(user, school):
            owners.append((f"school:{school.pk}", f"{school.name} only", school, None))
    authorities = {school.authority for school in schools if school.authority_id}
    for authority in sorted(authorities, key=lambda a: a.name):
        if access.can_manage_authority_config.test(user, authority):
            owners.append((f"authority:{authority.pk}", f"Every school of {authority.name}", None, authority))
    if user.is_superuser:
        owners.append(("all", "Every school", None, None))
    return owners


class OwnerField(forms.ChoiceField):
    """Chooses the owner of a new row; cleans to (school, authority)."""

    def __init__(self, *args: Any, owners: list, **kwargs: Any) -> None:
        self.owners = {value: (school, authority) for value, _, school, authority in owners}
        super().__init__(*args, choices=[(value, label) for value, label, _, _ in owners], **kwargs)

    def clean(self, value: Any) -> tuple[School | None, Authority | None]:
        value = super().clean(value)
        return self.owners[value]


def _add_owner(form: forms.Form, user: Any, initial_school: School | None) -> None:
    owners = owners_for(user)
    form.fields["owner"] = OwnerField(
        owners=owners, label="Applies at", help_text="A school's own, or shared with every school of the authority."
    )
    form.fields = {"owner": form.fields.pop("owner"), **form.fields}
    if initial_school is not None:
        form.fields["owner"].initial = f"school:{initial_school.pk}"


# =============================================================================
# Categories
# =============================================================================


class CategoryParentField(forms.ModelChoiceField):
    def label_from_instance(self, category: Category) -> str:
        return f"{category.name} ({category.scope_label})"


class CategoryForm(ScopedForm):
    """A category of the two-level tree: a top-level one (Hardware) or a subcategory (Hardware › Laptop)."""

    name = forms.CharField(max_length=80)
    parent = CategoryParentField(
        queryset=Category.objects.all(),
        required=False,
        empty_label="None: a top-level category",
        label="Under",
        help_text="Categories have two levels: Hardware › Laptop.",
    )
    applies_to = forms.ChoiceField(
        choices=[("", "Incidents and service requests"), *TicketKind.choices], required=False, label="For"
    )
    default_group = forms.ModelChoiceField(
        queryset=SupportGroup.objects.all(),
        required=False,
        empty_label="None",
        label="Default group",
        help_text="New tickets in this category go to this group's queue.",
    )
    is_active = forms.BooleanField(required=False, initial=True, label="In use", help_text="Untick to retire it.")

    def __init__(self, *args: Any, category: Category | None = None, school: School | None = None, **kwargs: Any):
        if category is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": category.name,
                    "parent": category.parent_id,
                    "applies_to": category.applies_to,
                    "default_group": category.default_group_id,
                    "is_active": category.is_active,
                },
            )
        super().__init__(*args, **kwargs)
        parents = self.fields["parent"].queryset.filter(parent__isnull=True, is_active=True)
        if category is not None:
            parents = parents.exclude(pk=category.pk)
        self.fields["parent"].queryset = parents.select_related("school", "authority").order_by("name")
        groups = self.fields["default_group"].queryset.filter(is_active=True)
        self.fields["default_group"].queryset = groups.order_by("name")
        if category is None:
            _add_owner(self, self.user, school)


# =============================================================================
# Support groups
# =============================================================================


def member_candidates(*, school: School | None, authority: Authority | None, user: Any):
    """People who may join a group of that owner: the school's technical staff, or the authority's unit."""
    if school is not None:
        return User.objects.technicians_at(school.pk)
    if authority is not None:
        return User.objects.filter(
            pk__in=AuthorityRole.objects.filter(authority=authority).values("user_id"), is_active=True
        )
    # A new group before its owner is chosen: everyone the user could add anywhere (the service checks).
    schools = [s.pk for s in schools_visible_to(user)]
    return User.objects.filter(
        Q(membership__school__in=schools, membership__role__in=["technician", "network_manager"])
        | Q(authorityrole__authority__schools__in=schools),
        is_active=True,
    ).distinct()


class MembersField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, person: User) -> str:
        return f"{person} ({person.job_title})" if person.job_title else str(person)


class SupportGroupForm(ScopedForm):
    """A team that works tickets: the school's ICT team, the LEA support unit, or a supplier."""

    name = forms.CharField(max_length=100)
    kind = forms.ChoiceField(choices=SupportGroup.Kind.choices, label="Kind")
    email = forms.EmailField(
        required=False, label="E-mail", help_text="A supplier is e-mailed the details of each ticket escalated to it."
    )
    phone = forms.CharField(max_length=30, required=False)
    notes = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Contract, hours, how to log a call with them.",
    )
    members = MembersField(
        queryset=User.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The LEA support unit is worked by everyone with the authority's support role, members or not.",
    )
    is_active = forms.BooleanField(required=False, initial=True, label="In use")

    def __init__(self, *args: Any, group: SupportGroup | None = None, school: School | None = None, **kwargs: Any):
        if group is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": group.name,
                    "kind": group.kind,
                    "email": group.email,
                    "phone": group.phone,
                    "notes": group.notes,
                    "members": [person.pk for person in group.members.all()],
                    "is_active": group.is_active,
                },
            )
        super().__init__(*args, **kwargs)
        owner_school = group.school if group else None
        owner_authority = group.authority if group else None
        candidates = member_candidates(school=owner_school, authority=owner_authority, user=self.user)
        self.fields["members"].queryset = (
            self.fields["members"].queryset.filter(pk__in=candidates.values("pk")).order_by("first_name", "last_name")
        )
        if group is None:
            _add_owner(self, self.user, school)


# =============================================================================
# The priority matrix
# =============================================================================


def cell_name(impact: int, urgency: int) -> str:
    return f"cell_{impact}_{urgency}"


class PriorityMatrixForm(forms.Form):
    """One priority per impact x urgency cell; the default of each cell is shown beside it."""

    def __init__(self, *args: Any, current: dict[tuple[int, int], int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for impact in Impact:
            for urgency in Urgency:
                self.fields[cell_name(impact, urgency)] = forms.TypedChoiceField(
                    choices=Priority.choices,
                    coerce=int,
                    initial=current[(impact.value, urgency.value)],
                    label=f"{impact.label} × {urgency.label}",
                )

    def cells(self) -> dict[tuple[int, int], int]:
        return {
            (impact.value, urgency.value): self.cleaned_data[cell_name(impact, urgency)]
            for impact in Impact
            for urgency in Urgency
        }

    def rows(self) -> list[dict[str, Any]]:
        """The grid for the template: a row per impact, a cell per urgency with its field and default."""
        return [
            {
                "impact": impact,
                "cells": [
                    {
                        "field": self[cell_name(impact, urgency)],
                        "default": Priority(PRIORITY_MATRIX[(impact, urgency)]),
                        "changed": int(self[cell_name(impact, urgency)].value() or 0)
                        != PRIORITY_MATRIX[(impact, urgency)],
                    }
                    for urgency in Urgency
                ],
            }
            for impact in Impact
        ]
