"""Forms of Capacity Management: the capacity list's filters and a capacity threshold."""

from __future__ import annotations

from typing import Any

from django import forms

from availability.capacity import DEFAULT_FORECAST_DAYS, THRESHOLD_KINDS
from availability.models import MetricKind
from cmdb.models import ConfigurationItem
from fits import access
from fits.forms import ScopedForm
from fits.scoping import schools_visible_to

KIND_CHOICES = [(kind.value, kind.label) for kind in THRESHOLD_KINDS]


class CapacityFilterForm(forms.Form):
    """The capacity list's filters: the kind of series, the school, and a search in the CI's name."""

    q = forms.CharField(label="Search", required=False)
    kind = forms.ChoiceField(choices=[("", "Any")] + KIND_CHOICES, required=False)
    school = forms.ModelChoiceField(queryset=None, required=False, empty_label="All my schools", to_field_name="slug")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools_visible_to(user).order_by("name")


class ThresholdForm(ScopedForm):
    """The warning and critical levels of a kind of series, for the whole school or one measured CI."""

    school = forms.ModelChoiceField(queryset=None, empty_label=None)
    kind = forms.ChoiceField(choices=KIND_CHOICES, label="Series", initial=MetricKind.DISK)
    ci = forms.ModelChoiceField(
        queryset=ConfigurationItem.objects.all(),
        required=False,
        label="Configuration item",
        empty_label="Every CI of the school",
        help_text="Only CIs that monitoring measures are listed. A CI's own threshold wins over the school's.",
    )
    warning_percent = forms.FloatField(label="Warning at (%)", min_value=1, max_value=99, initial=80)
    critical_percent = forms.FloatField(label="Critical at (%)", min_value=1, max_value=100, initial=90)
    forecast_days = forms.IntegerField(
        label="Look ahead (days)",
        min_value=0,
        max_value=365,
        initial=DEFAULT_FORECAST_DAYS,
        help_text="Raise a task when the trend reaches the critical level within this many days (0: never).",
    )

    def __init__(self, *args: Any, user: Any, school: Any = None, threshold: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        allowed = [s.pk for s in schools_visible_to(user) if access.can_manage_monitoring.test(user, s)]
        self.fields["school"].queryset = schools_visible_to(user).filter(pk__in=allowed).order_by("name")
        measured = self.fields["ci"].queryset.filter(metrics__capacity__isnull=False)
        if threshold is not None:
            del self.fields["school"]
            measured = measured.of_school(threshold.school_id)
            if threshold.ci_id:
                measured = measured | self.fields["ci"].queryset.filter(pk=threshold.ci_id)
        else:
            if school is not None and school.pk in allowed:
                self.fields["school"].initial = school.pk
                measured = measured.of_school(school.pk)  # working in one school: its CIs only
            if len(allowed) <= 1:
                self.fields["school"].widget = forms.HiddenInput()
                if allowed:
                    self.fields["school"].initial = allowed[0]
        self.fields["ci"].queryset = measured.select_related("school").distinct().order_by("name")
