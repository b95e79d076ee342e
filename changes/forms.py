"""Forms of Change Management: raising a change, the risk questionnaire, votes, scheduling, the review."""

from __future__ import annotations

from typing import Any

from django import forms

from changes import policy
from changes.models import ChangeKind, ChangeTemplate, Decision, ReviewOutcome, Risk, Status
from cmdb.models import ConfigurationItem
from fits import access
from fits.forms import ScopedForm
from fits.scoping import schools_visible_to
from incidents.models import Incident

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ChangeFilterForm(forms.Form):
    """The list's filters: kind, status and risk (all optional)."""

    kind = forms.ChoiceField(choices=[("", "Any")] + ChangeKind.choices, required=False)
    status = forms.ChoiceField(choices=[("", "Any")] + Status.choices, required=False)
    risk = forms.ChoiceField(choices=[("", "Any")] + Risk.choices, required=False)


class ChangeRaiseForm(ScopedForm):
    """A request for change: what, why, on which CIs, behind which incidents, when."""

    school = forms.ModelChoiceField(queryset=None, empty_label=None)
    kind = forms.ChoiceField(choices=ChangeKind.choices, initial=ChangeKind.NORMAL)
    template = forms.ModelChoiceField(
        queryset=ChangeTemplate.objects.filter(is_active=True),
        required=False,
        help_text="Standard changes only: the pre-approved change it follows.",
    )
    title = forms.CharField(label="Summary", max_length=200, required=False)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    cis = forms.ModelMultipleChoiceField(
        queryset=ConfigurationItem.objects.all(), required=False, label="Affected configuration items"
    )
    incidents = forms.ModelMultipleChoiceField(queryset=Incident.objects.all(), required=False)
    is_major = forms.BooleanField(required=False, label="Major change (a school leader approves it too)")
    implementation_plan = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    test_plan = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    backout_plan = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    planned_start = forms.DateTimeField(required=False, widget=DATETIME)
    planned_end = forms.DateTimeField(required=False, widget=DATETIME)

    def __init__(self, *args: Any, user: Any, school: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        allowed = [s.pk for s in schools_visible_to(user) if access.can_raise_change.test(user, s)]
        self.fields["school"].queryset = schools_visible_to(user).filter(pk__in=allowed)
        if school is not None and school.pk in allowed:
            self.fields["school"].initial = school.pk
        if len(allowed) <= 1:
            self.fields["school"].widget = forms.HiddenInput()
            if allowed:
                self.fields["school"].initial = allowed[0]
        # The CIs and incidents offered are those the user sees (restrict_choices); the service checks the school.
        self.fields["cis"].queryset = self.fields["cis"].queryset.order_by("name")
        self.fields["incidents"].queryset = self.fields["incidents"].queryset.order_by("-created_at")


class RiskForm(forms.Form):
    """The risk questionnaire, one choice per question of changes.policy.QUESTIONS."""

    def __init__(self, *args: Any, initial_answers: dict | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for question in policy.QUESTIONS:
            self.fields[question.key] = forms.ChoiceField(
                label=question.text,
                choices=[(value, label) for value, (label, _points) in question.answers.items()],
                widget=forms.RadioSelect,
                initial=(initial_answers or {}).get(question.key),
            )


class VoteForm(forms.Form):
    decision = forms.ChoiceField(choices=Decision.choices)
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ScheduleForm(forms.Form):
    planned_start = forms.DateTimeField(required=False, widget=DATETIME)
    planned_end = forms.DateTimeField(required=False, widget=DATETIME)


class TransitionForm(forms.Form):
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ReviewForm(forms.Form):
    outcome = forms.ChoiceField(choices=ReviewOutcome.choices)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="What was learnt")
    cmdb_updated = forms.BooleanField(required=False, label="The CMDB records the change")
