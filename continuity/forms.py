"""Forms of Service Continuity Management: a risk, a plan, its steps and contacts (formsets: add, edit, reorder,
remove on one page), a continuity test with its actions, a review, and a workflow move. Choices are scoped to the
person (fits.forms); the services check the rest (same school, levels, dates)."""

from __future__ import annotations

from typing import Any

from django import forms

from cmdb.models import ConfigurationItem, Kind
from continuity.models import (
    IMPACT_CHOICES,
    LIKELIHOOD_CHOICES,
    ContactKind,
    Risk,
    TestKind,
    TestOutcome,
    ThreatCategory,
)
from fits import access
from fits.forms import ScopedForm
from fits.models import STAFF_ROLES, User
from fits.scoping import schools_visible_to

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
LEVEL_EMPTY = [("", "—")]


def _staff(queryset):
    return queryset.filter(membership__role__in=STAFF_ROLES).distinct()


class SchoolChoiceMixin:
    """The school is chosen once, when the record is made: among those where the person keeps continuity records."""

    def setup_school(self, user: Any, school: Any, record: Any) -> None:
        if record is not None:
            del self.fields["school"]
            return
        allowed = [s.pk for s in schools_visible_to(user) if access.can_manage_continuity.test(user, s)]
        self.fields["school"].queryset = schools_visible_to(user).filter(pk__in=allowed).order_by("name")
        if school is not None and school.pk in allowed:
            self.fields["school"].initial = school.pk
        if len(allowed) == 1:
            self.fields["school"].widget = forms.HiddenInput()
            self.fields["school"].initial = allowed[0]


class RiskForm(SchoolChoiceMixin, ScopedForm):
    school = forms.ModelChoiceField(queryset=None, empty_label=None)
    title = forms.CharField(max_length=150, help_text="The risk in a few words, e.g. Server room floods.")
    category = forms.ChoiceField(choices=ThreatCategory.choices, label="Threat")
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Threat in detail",
        help_text="What could happen, and what makes it likelier.",
    )
    likelihood = forms.TypedChoiceField(choices=LIKELIHOOD_CHOICES, coerce=int)
    impact = forms.TypedChoiceField(choices=IMPACT_CHOICES, coerce=int)
    controls = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Countermeasures",
        help_text="What is done, or will be, to make it less likely or less bad.",
    )
    residual_likelihood = forms.TypedChoiceField(
        choices=LEVEL_EMPTY + LIKELIHOOD_CHOICES, coerce=int, empty_value=None, required=False
    )
    residual_impact = forms.TypedChoiceField(
        choices=LEVEL_EMPTY + IMPACT_CHOICES, coerce=int, empty_value=None, required=False
    )
    owner = forms.ModelChoiceField(queryset=User.objects.filter(is_active=True).order_by("username"), required=False)
    review_date = forms.DateField(widget=DATE)
    cis = forms.ModelMultipleChoiceField(
        queryset=ConfigurationItem.objects.order_by("kind", "name"),
        required=False,
        label="Affected CIs and services",
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    def __init__(self, *args: Any, user: Any, school: Any = None, risk: Risk | None = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.setup_school(user, school, risk)
        self.fields["owner"].queryset = _staff(self.fields["owner"].queryset)
        cis = self.fields["cis"].queryset.filter(
            kind__in=(Kind.SERVICE, Kind.SERVER, Kind.STORAGE, Kind.SWITCH, Kind.ROUTER, Kind.FIREWALL, Kind.SOFTWARE)
        )
        self.fields["cis"].queryset = cis if risk is None else cis.of_school(risk.school_id)


class PlanForm(SchoolChoiceMixin, ScopedForm):
    school = forms.ModelChoiceField(queryset=None, empty_label=None)
    service = forms.ModelChoiceField(
        queryset=ConfigurationItem.objects.filter(kind=Kind.SERVICE).order_by("name"),
        help_text="The ICT service (a CMDB service) this plan brings back.",
    )
    recovery_order = forms.IntegerField(
        min_value=1, max_value=99, initial=10, help_text="Which services come back first: 1 first, then 2..."
    )
    summary = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Scope and invocation",
        help_text="What the plan covers, and when to invoke it.",
    )
    rto_minutes = forms.IntegerField(
        min_value=1,
        label="Recovery time objective (minutes)",
        help_text="How soon the service must be back: 240 is 4 hours, 1440 a day.",
    )
    rpo_minutes = forms.IntegerField(
        min_value=0,
        label="Recovery point objective (minutes)",
        help_text="How much recent work may be lost: 1440 is yesterday's backup.",
    )
    standby = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label="Standby arrangements",
        help_text="e.g. a supplier-held standby server, a spare switch, a 4G router.",
    )
    assets = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Beyond the CMDB: buildings, data, licences, media, people.",
    )
    risks = forms.ModelMultipleChoiceField(
        queryset=Risk.objects.order_by("-score", "title"), required=False, help_text="The risks this plan answers."
    )
    owner = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("username"),
        required=False,
        label="Service continuity manager",
    )
    review_date = forms.DateField(widget=DATE)
    test_every_months = forms.IntegerField(min_value=1, max_value=36, initial=12, label="Test every (months)")

    def __init__(self, *args: Any, user: Any, school: Any = None, plan: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.setup_school(user, school, plan)
        self.fields["owner"].queryset = _staff(self.fields["owner"].queryset)
        if plan is not None:
            del self.fields["service"]
            self.fields["risks"].queryset = self.fields["risks"].queryset.of_school(plan.school_id)


class StepForm(ScopedForm):
    text = forms.CharField(max_length=300, label="What to do", required=False)
    who = forms.ModelChoiceField(queryset=User.objects.filter(is_active=True).order_by("username"), required=False)
    who_text = forms.CharField(max_length=120, required=False, label="Or who (outside)")
    minutes = forms.IntegerField(min_value=0, max_value=100000, required=False, label="Minutes")
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["who"].queryset = _staff(self.fields["who"].queryset)


class ContactForm(ScopedForm):
    kind = forms.ChoiceField(choices=ContactKind.choices)
    person = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("username"),
        required=False,
        label="Person (recovery team)",
    )
    name = forms.CharField(max_length=120, required=False, label="Name (outside)")
    organisation = forms.CharField(max_length=120, required=False)
    role = forms.CharField(max_length=120, required=False, label="Role in the plan")
    phone = forms.CharField(max_length=40, required=False)
    email = forms.EmailField(required=False)


class BaseScopedFormSet(forms.BaseFormSet):
    """A formset of scoped forms (each gets the user), its widgets styled for a compact table."""

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "user": self.user}

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        for field in form.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            elif not isinstance(widget, forms.HiddenInput):
                widget.attrs.setdefault("class", "form-control form-control-sm")
        return form


StepFormSet = forms.formset_factory(StepForm, formset=BaseScopedFormSet, extra=3, can_order=True, can_delete=True)
ContactFormSet = forms.formset_factory(ContactForm, formset=BaseScopedFormSet, extra=2, can_delete=True)


def ordered_rows(formset: forms.BaseFormSet, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """The formset's rows as the service takes them: deleted and blank rows dropped, in the order asked for."""
    rows = []
    for index, form in enumerate(formset.forms):
        data = form.cleaned_data
        if not data or data.get("DELETE") or not any(data.get(key) for key in keys):
            continue
        order = data.get("ORDER")
        rows.append(
            (
                (order if order is not None else 10_000 + index),
                index,
                {k: v for k, v in data.items() if k not in ("ORDER", "DELETE")},
            )
        )
    return [row for _, _, row in sorted(rows, key=lambda r: (r[0], r[1]))]


class ContinuityTestForm(ScopedForm):
    tested_on = forms.DateField(widget=DATE, label="Tested on")
    kind = forms.ChoiceField(choices=TestKind.choices)
    scenario = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What the test supposed had happened, e.g. the server room flooded.",
    )
    participants = forms.ModelMultipleChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("username"), required=False
    )
    others = forms.CharField(
        max_length=300,
        required=False,
        label="Other participants",
        help_text="From outside the school: the supplier's engineer...",
    )
    outcome = forms.ChoiceField(choices=TestOutcome.choices)
    findings = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    rto_achieved_minutes = forms.IntegerField(min_value=0, required=False, label="Recovery time achieved (minutes)")
    restores_tried = forms.IntegerField(min_value=0, required=False, label="Restores tried")
    restores_passed = forms.IntegerField(min_value=0, required=False, label="Restores that worked")

    def __init__(self, *args: Any, user: Any, plan: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        people = self.fields["participants"].queryset
        self.fields["participants"].queryset = people.filter(membership__school_id=plan.school_id).distinct()


class ActionForm(ScopedForm):
    text = forms.CharField(max_length=200, required=False, label="Action")
    owner = forms.ModelChoiceField(queryset=User.objects.filter(is_active=True).order_by("username"), required=False)
    due_on = forms.DateField(widget=DATE, required=False, label="Due")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["owner"].queryset = _staff(self.fields["owner"].queryset)


ActionFormSet = forms.formset_factory(ActionForm, formset=BaseScopedFormSet, extra=3)


class NoteForm(forms.Form):
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ReviewForm(forms.Form):
    next_review = forms.DateField(widget=DATE, label="Next review")
    note = forms.CharField(required=False, max_length=500)
