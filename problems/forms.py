"""Forms of Problem Management: the problem record, linking incidents, known errors, notes."""

from __future__ import annotations

from typing import Any

from django import forms

from changes.models import RequestForChange
from cmdb.models import ConfigurationItem
from fits import access
from fits.forms import ScopedForm
from fits.models import User
from fits.scoping import schools_visible_to
from incidents.models import Incident
from problems.models import Problem


class ProblemLogForm(ScopedForm):
    """The problem record: what the incidents have in common."""

    school = forms.ModelChoiceField(queryset=None, empty_label=None)
    title = forms.CharField(
        label="Summary",
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "e.g. Learning platform locks pupil accounts"}),
    )
    description = forms.CharField(
        label="Symptoms",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="What the incidents have in common, and since when.",
    )
    ci = forms.ModelChoiceField(queryset=ConfigurationItem.objects.all(), required=False, label="Device or service")

    def __init__(self, *args: Any, user: Any, school: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        workable = [s.pk for s in schools_visible_to(user) if access.can_work_problem.test(user, s)]
        self.fields["school"].queryset = schools_visible_to(user).filter(pk__in=workable)
        if school is not None and school.pk in workable:
            self.fields["school"].initial = school.pk
        if len(workable) <= 1:
            self.fields["school"].widget = forms.HiddenInput()
            if workable:
                self.fields["school"].initial = workable[0]


class TransitionForm(forms.Form):
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


class AssignForm(ScopedForm):
    assignee = forms.ModelChoiceField(queryset=None, required=False, empty_label="Unassigned", label="Technician")
    note = forms.CharField(required=False, label="Note for the technician")

    def __init__(self, *args: Any, problem: Problem, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = User.objects.technicians_at(problem.school_id).order_by(
            "first_name", "last_name"
        )
        self.fields["assignee"].initial = problem.assignee_id


class LinkIncidentForm(ScopedForm):
    """Pick an incident of the problem's school that shares its cause."""

    incident = forms.ModelChoiceField(queryset=Incident.objects.all(), label="Incident")

    def __init__(self, *args: Any, problem: Problem, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["incident"].queryset = (
            self.fields["incident"]
            .queryset.of_school(problem.school_id)
            .exclude(problems=problem)
            .order_by("-created_at")
        )


class UnlinkIncidentForm(ScopedForm):
    incident = forms.ModelChoiceField(queryset=Incident.objects.all())


class LinkChangeForm(ScopedForm):
    """Pick the request for change (of the problem's school) that carries the permanent fix; empty unlinks it."""

    change = forms.ModelChoiceField(
        queryset=RequestForChange.objects.all(),
        required=False,
        label="Request for change",
        empty_label="None (unlink)",
    )

    def __init__(self, *args: Any, problem: Problem, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["change"].queryset = (
            self.fields["change"].queryset.of_school(problem.school_id).order_by("-created_at")
        )


class KnownErrorForm(forms.Form):
    symptom = forms.CharField(max_length=200, help_text="What the user sees, in their words.")
    workaround = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), help_text="What to do meanwhile.")
    published = forms.BooleanField(required=False, initial=True, label="Offer it to technicians looking it up")


class CommentForm(forms.Form):
    text = forms.CharField(label="Investigation note", widget=forms.Textarea(attrs={"rows": 3}))


class DismissCandidateForm(forms.Form):
    note = forms.CharField(label="Why is this not a problem?", max_length=300)


class RaiseCandidateForm(forms.Form):
    title = forms.CharField(label="Summary of the problem", max_length=200, required=False)


class ProblemSettingsForm(forms.Form):
    recurring_incidents = forms.IntegerField(
        label="Incidents that suggest a problem", min_value=2, max_value=100,
        help_text="On the same device or service, or in the same category.",
    )  # fmt: skip
    recurring_days = forms.IntegerField(label="Within (days)", min_value=1, max_value=365)
    fix_bands = forms.CharField(
        label="Fix-time bands (days)",
        help_text="Upper bounds for the monthly graph, separated by commas, e.g. 7, 28, 90.",
    )

    def clean_fix_bands(self) -> list[int]:
        raw = [part.strip() for part in self.cleaned_data["fix_bands"].split(",") if part.strip()]
        try:
            bands = sorted({int(part) for part in raw})
        except ValueError:
            raise forms.ValidationError("Use whole numbers of days separated by commas, e.g. 7, 28, 90.") from None
        if not bands or bands[0] < 1 or len(bands) > 6:
            raise forms.ValidationError("Give between 1 and 6 bands, each at least 1 day.")
        return bands


class ReportMonthForm(forms.Form):
    month = forms.DateField(input_formats=["%Y-%m"], required=False, widget=forms.DateInput(attrs={"type": "month"}))
