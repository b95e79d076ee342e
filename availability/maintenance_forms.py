"""Forms of preventative maintenance: a schedule (what, to which devices, how often, who does it)."""

from __future__ import annotations

from typing import Any

from django import forms

from availability.models import Recurrence
from cmdb.models import LOGICAL_KINDS, ConfigurationItem, Kind, Location
from fits import access
from fits.forms import ScopedForm
from fits.models import TECHNICAL_ROLES, User
from fits.scoping import schools_visible_to
from incidents.models import SupportGroup

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DEVICE_KINDS = [(kind.value, kind.label) for kind in Kind if kind not in LOGICAL_KINDS]


class MaintenanceScheduleForm(ScopedForm):
    """A maintenance schedule. The school is chosen once, when it is created."""

    school = forms.ModelChoiceField(queryset=None, empty_label=None)
    title = forms.CharField(max_length=200, help_text="E.g. 'Clean projector filters' or 'Test the UPS battery'.")
    ci = forms.ModelChoiceField(
        queryset=ConfigurationItem.objects.order_by("name"),
        required=False,
        label="One device",
        help_text="The device to maintain; or leave it empty and choose a kind of device below.",
    )
    ci_kind = forms.ChoiceField(
        choices=[("", "—"), *DEVICE_KINDS],
        required=False,
        label="Every device of kind",
        help_text="Every live device of this kind: one tick box per device on the task.",
    )
    location = forms.ModelChoiceField(
        queryset=Location.objects.select_related("parent__parent").order_by("name"),
        required=False,
        label="Only in",
        help_text="Only the devices of that kind in this site, building or room.",
    )
    instructions = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    checklist = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="One step a line; each becomes a tick box on the task.",
    )
    recurrence = forms.ChoiceField(choices=Recurrence.choices, initial=Recurrence.HALF_TERMLY)
    every = forms.IntegerField(min_value=1, max_value=52, initial=1, help_text="Every 1, 2, 3... of the recurrence.")
    starts_on = forms.DateField(
        required=False,
        widget=DATE,
        label="Starting on",
        help_text="The first date it may fall on (today if empty). Half-termly and termly use the school's term dates.",
    )
    school_days_only = forms.BooleanField(
        required=False,
        initial=True,
        label="Due on school days only",
        help_text="A due date on a weekend, a bank holiday, a closure or in the holidays moves to the next open day.",
    )
    lead_days = forms.IntegerField(
        min_value=0, max_value=365, initial=7, label="Raise the task", help_text="Days before it is due."
    )
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), required=False, label="Assign to")
    group = forms.ModelChoiceField(queryset=SupportGroup.objects.order_by("name"), required=False, label="Group")

    def __init__(self, *args: Any, user: Any, school: Any = None, schedule: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        allowed = [s.pk for s in schools_visible_to(user) if access.can_manage_monitoring.test(user, s)]
        self.fields["school"].queryset = schools_visible_to(user).filter(pk__in=allowed).order_by("name")
        one_school = schedule.school_id if schedule is not None else None
        if schedule is not None:
            del self.fields["school"]
            self.fields["starts_on"].help_text = "Leave empty to keep the dates; a new date restarts the schedule."
        else:
            if school is not None and school.pk in allowed:
                self.fields["school"].initial = one_school = school.pk
            if len(allowed) <= 1:
                self.fields["school"].widget = forms.HiddenInput()
                if allowed:
                    self.fields["school"].initial = one_school = allowed[0]
        for name in ("ci", "location"):
            self.fields[name].queryset = self.fields[name].queryset.of_school(one_school)
        self.fields["assignee"].queryset = (
            User.objects.filter(is_active=True, is_system_account=False)
            .filter(membership__school_id__in=[one_school] if one_school else allowed)
            .filter(membership__role__in=TECHNICAL_ROLES)
            .distinct()
            .order_by("first_name", "last_name", "username")
        )
