"""Forms of Incident Management: the incident sheet, routing, actions and comments."""

from __future__ import annotations

from typing import Any

from django import forms

from cmdb.models import ConfigurationItem
from fits import access
from fits.forms import ScopedForm
from fits.models import User
from fits.scoping import people_visible_to, schools_visible_to
from incidents.models import Channel, Impact, Incident, Urgency


class IncidentLogForm(ScopedForm):
    """The incident sheet: what the user expected, what happened, what they tried."""

    school = forms.ModelChoiceField(queryset=None, empty_label=None)
    reporter = forms.ModelChoiceField(
        queryset=None,
        label="Caller",
        required=False,
        empty_label="Myself (the person logging)",
        help_text="Who reported it.",
    )
    channel = forms.ChoiceField(
        choices=[c for c in Channel.choices if c[0] in ("phone", "in_person", "email", "portal")],
        initial=Channel.PHONE,
        label="Taken by",
    )
    title = forms.CharField(
        label="Summary",
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "e.g. Projector in Room 12 shows no picture"}),
    )
    description = forms.CharField(
        label="What happened?",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="What you expected, what happened instead, what you have tried, and when it last worked.",
    )
    room = forms.CharField(label="Room or location", max_length=100, required=False)
    ci = forms.ModelChoiceField(
        queryset=ConfigurationItem.objects.all(),
        required=False,
        label="Device or service",
        help_text="The configuration item at fault, if you know it.",
    )
    impact = forms.TypedChoiceField(
        choices=Impact.choices, coerce=int, initial=Impact.LOW, label="Who is affected?", widget=forms.RadioSelect
    )
    urgency = forms.TypedChoiceField(
        choices=Urgency.choices, coerce=int, initial=Urgency.MEDIUM, label="How urgent is it?", widget=forms.RadioSelect
    )

    def __init__(self, *args: Any, user: Any, school: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        loggable = [s.pk for s in schools_visible_to(user) if access.can_log_incident.test(user, s)]
        self.fields["school"].queryset = schools_visible_to(user).filter(pk__in=loggable)
        if school is not None and school.pk in loggable:
            self.fields["school"].initial = school.pk
        if len(loggable) <= 1:
            self.fields["school"].widget = forms.HiddenInput()
            if loggable:
                self.fields["school"].initial = loggable[0]
        if not self.fields["ci"].queryset.exists():  # the CMDB is for support staff
            del self.fields["ci"]
        self.for_others = any(access.can_log_for_others.test(user, s) for s in self.fields["school"].queryset)
        if self.for_others:
            self.fields["reporter"].queryset = people_visible_to(user).order_by("first_name", "last_name")
        else:
            del self.fields["reporter"], self.fields["channel"]


class TransitionForm(forms.Form):
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


class AssignForm(ScopedForm):
    assignee = forms.ModelChoiceField(queryset=None, required=False, empty_label="Unassigned", label="Technician")
    note = forms.CharField(required=False, label="Note for the technician")

    def __init__(self, *args: Any, incident: Incident, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = User.objects.technicians_at(incident.school_id).order_by(
            "first_name", "last_name"
        )
        self.fields["assignee"].initial = incident.assignee_id


class CommentForm(forms.Form):
    text = forms.CharField(label="Comment", widget=forms.Textarea(attrs={"rows": 3}))
    public = forms.BooleanField(
        required=False, initial=True, label="Visible to the caller", help_text="Untick for an internal note."
    )
