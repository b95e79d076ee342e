"""Forms of the OM base: a function's policy and the allocation of one of its activities."""

from __future__ import annotations

from typing import Any

from django import forms

from fits import access
from fits.forms import ScopedForm
from fits.models import STAFF_ROLES, User
from fits.scoping import schools_visible_to
from om.models import ActivityAllocation

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def staff_of(school_ids: list[int]) -> Any:
    """The active support staff of those schools: the people an activity or a policy may be given to."""
    return (
        User.objects.filter(is_active=True, is_system_account=False)
        .filter(membership__school_id__in=school_ids, membership__role__in=STAFF_ROLES)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


class SchoolChoiceForm(ScopedForm):
    """A form at one of the schools where the user may allocate (hidden when there is only one)."""

    school = forms.ModelChoiceField(queryset=None, empty_label=None)

    def __init__(self, *args: Any, user: Any, school: Any = None, fixed_school: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        visible = schools_visible_to(user)
        allowed = [s.pk for s in visible if access.can_manage_operations.test(user, s)]
        if fixed_school is not None:
            del self.fields["school"]
            self.school_ids = [fixed_school.pk]
            return
        self.fields["school"].queryset = visible.filter(pk__in=allowed).order_by("name")
        self.school_ids = allowed
        if school is not None and school.pk in allowed:
            self.fields["school"].initial = school.pk
            self.school_ids = [school.pk]
        if len(allowed) <= 1:
            self.fields["school"].widget = forms.HiddenInput()
            if allowed:
                self.fields["school"].initial = allowed[0]

    def people(self) -> Any:
        return staff_of(self.school_ids)


class PolicyForm(SchoolChoiceForm):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 10}),
        label="Policy",
        help_text="What the school does and why: its scope, the standards it keeps, who decides.",
    )
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False, help_text="Who answers for it.")
    review_due = forms.DateField(required=False, widget=DATE, help_text="A year from now if empty.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = self.people()


class AllocationForm(SchoolChoiceForm):
    activity = forms.CharField(max_length=200, help_text="E.g. 'Check the overnight backups'.")
    frequency = forms.ChoiceField(choices=ActivityAllocation.Frequency.choices)
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False, help_text="Who carries it out.")
    deputy = forms.ModelChoiceField(queryset=User.objects.none(), required=False, help_text="Who stands in.")
    notes = forms.CharField(max_length=300, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = self.people()
        self.fields["deputy"].queryset = self.people()


class ReviewForm(forms.Form):
    note = forms.CharField(max_length=300, required=False)
