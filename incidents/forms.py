"""Forms of Incident Management: the incident sheet, routing, actions and comments."""

from __future__ import annotations

from typing import Any

from django import forms

from cmdb.models import ConfigurationItem
from fits import access
from fits.forms import ScopedForm
from fits.models import User
from fits.scoping import people_visible_to, schools_visible_to
from incidents.models import Channel, HoldReason, Impact, Incident, ResolutionCode, SupportGroup, Urgency
from incidents.selectors import FormChoices, offer


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
    """A move's note, and the fields some moves need: why it waits (hold), how it was resolved, time spent.

    The service says which are required for which move; the page shows each move only its own fields.
    """

    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    hold_reason = forms.ChoiceField(choices=[("", "Choose…"), *HoldReason.choices], required=False)
    resolution_code = forms.ChoiceField(choices=[("", "Choose…"), *ResolutionCode.choices], required=False)
    minutes = forms.IntegerField(required=False, min_value=1, max_value=24 * 60, label="Time spent (minutes)")


class AssignForm(ScopedForm):
    """Route a ticket: to one of the school's own support groups, and to a person."""

    group = forms.ModelChoiceField(
        queryset=SupportGroup.objects.all(),
        required=False,
        empty_label="No group",
        label="Support group",
        help_text="The team whose queue it is in. The LEA support unit and suppliers: use Escalate.",
    )
    assignee = forms.ModelChoiceField(queryset=None, required=False, empty_label="Unassigned", label="Technician")
    note = forms.CharField(required=False, label="Note for the technician")

    def __init__(self, *args: Any, incident: Incident, choices: FormChoices | None = None, **kwargs: Any) -> None:
        """`choices`: the page's choice lists already read (selectors.form_choices), to draw the options from."""
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = User.objects.technicians_at(incident.school_id).order_by(
            "first_name", "last_name"
        )
        self.fields["assignee"].initial = incident.assignee_id
        groups = (
            self.fields["group"]
            .queryset.of_school(incident.school_id)
            .filter(kind=SupportGroup.Kind.SCHOOL, is_active=True)
        )
        self.fields["group"].queryset = groups
        self.fields["group"].initial = incident.group_id
        self.keeps_external_group = incident.group is not None and incident.group.is_external
        if choices is not None:
            offer(self.fields["assignee"], choices.technicians)
            offer(self.fields["group"], choices.school_groups())
            has_groups = bool(choices.school_groups())
        else:
            has_groups = groups.exists()
        if self.keeps_external_group or not has_groups:
            del self.fields["group"]  # escalated (take it back first), or the school has no teams


class CommentForm(forms.Form):
    text = forms.CharField(label="Comment", widget=forms.Textarea(attrs={"rows": 3}))
    public = forms.BooleanField(
        required=False, initial=True, label="Visible to the caller", help_text="Untick for an internal note."
    )
