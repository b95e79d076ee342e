"""Forms of Service Level Management: the catalogue, agreements and their targets, traded services, calendars.

Forms only read and check what was typed; the pages pass the cleaned data to servicelevels.services
(or servicelevels.calendars), which decide and save.
"""

from __future__ import annotations

import re
from datetime import time
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import fields_for_model

from fits import access
from fits.forms import ScopedForm, restrict_choices
from fits.models import Authority, School
from fits.scoping import people_visible_to, schools_visible_to
from incidents.models import Priority, SupportGroup, TicketKind
from servicelevels import services
from servicelevels.durations import duration_words, parse_duration
from servicelevels.models import (
    Agreement,
    Closure,
    ITService,
    SupportHours,
    SupportPackage,
    TermDate,
    WorkingHours,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: by field where it names one, else at the top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


class ModelFieldsForm(ScopedForm):
    """A plain form with some of a model's fields (labels, help, choices, validators), scoped to the user."""

    model: Any = None
    model_fields: tuple[str, ...] = ()
    widgets: dict[str, forms.Widget] = {}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        forms.Form.__init__(self, *args, **kwargs)
        declared = dict(self.fields)
        self.fields = {
            **fields_for_model(self.model, fields=self.model_fields, widgets=self.widgets),
            **declared,
        }
        self.order_fields(["school", "authority", *self.model_fields])
        self.user = user
        restrict_choices(self, user)


def _schools_where(user: Any, predicate) -> Any:
    schools = schools_visible_to(user)
    return schools.filter(pk__in=[school.pk for school in schools if predicate.test(user, school)])


# =============================================================================
# The catalogue
# =============================================================================


class ITServiceForm(ModelFieldsForm):
    model = ITService
    model_fields = services.SERVICE_FIELDS
    widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    school = forms.ModelChoiceField(queryset=School.objects.all(), empty_label=None)

    def __init__(self, *args: Any, user: Any, service: ITService | None = None, school: Any = None, **kwargs: Any):
        if service is not None:
            initial = {name: getattr(service, name) for name in services.SERVICE_FIELDS}
            initial.update(ci=service.ci_id, owner=service.owner_id)
            kwargs["initial"] = {**initial, **(kwargs.get("initial") or {})}
        super().__init__(*args, user=user, **kwargs)
        self.fields["ci"].queryset = self.fields["ci"].queryset.filter(kind="service").order_by("name")
        self.fields["ci"].help_text = "The service in the CMDB (a configuration item of the kind “ICT service”)."
        self.fields["owner"].queryset = people_visible_to(user).order_by("first_name", "last_name")
        if service is not None:
            del self.fields["school"]
            self.fields["ci"].queryset = self.fields["ci"].queryset.of_school(service.school_id)
        else:
            schools = _schools_where(user, access.can_manage_service_levels)
            self.fields["school"].queryset = schools
            if school is not None:
                self.fields["school"].initial = school.pk
            if schools.count() == 1:
                self.fields["school"].widget = forms.HiddenInput()
                self.fields["school"].initial = schools.first().pk


# =============================================================================
# Agreements
# =============================================================================


class AgreementForm(ModelFieldsForm):
    model = Agreement
    model_fields = (*services.AGREEMENT_FIELDS, "services")
    widgets = {
        "description": forms.Textarea(attrs={"rows": 3}),
        "starts": DATE,
        "ends": DATE,
        "review_date": DATE,
    }

    school = forms.ModelChoiceField(queryset=School.objects.all(), empty_label=None)

    def __init__(self, *args: Any, user: Any, agreement: Agreement | None = None, school: Any = None, **kwargs: Any):
        if agreement is not None:
            initial = {name: getattr(agreement, name) for name in services.AGREEMENT_FIELDS}
            initial.update(owner=agreement.owner_id, provider_group=agreement.provider_group_id)
            initial["services"] = [s.pk for s in agreement.services.all()]
            kwargs["initial"] = {**initial, **(kwargs.get("initial") or {})}
        super().__init__(*args, user=user, **kwargs)
        self.fields["owner"].queryset = people_visible_to(user).order_by("first_name", "last_name")
        self.fields["provider_group"].queryset = SupportGroup.objects.visible_to(user).order_by("name")
        self.fields["services"].queryset = ITService.objects.visible_to(user).filter(is_active=True).order_by("name")
        self.fields["services"].widget.attrs["size"] = 6
        if agreement is not None:
            del self.fields["school"]
            self.fields["services"].queryset = self.fields["services"].queryset.of_school(agreement.school_id)
            self.fields["provider_group"].queryset = self.fields["provider_group"].queryset.of_school(
                agreement.school_id
            )
        else:
            schools = _schools_where(user, access.can_manage_service_levels)
            self.fields["school"].queryset = schools
            self.fields["owner"].initial = user.pk
            if school is not None:
                self.fields["school"].initial = school.pk
            if schools.count() == 1:
                self.fields["school"].widget = forms.HiddenInput()
                self.fields["school"].initial = schools.first().pk


class TargetForm(forms.Form):
    """One target row: a priority (and optionally a service and ticket kind), respond and resolve within."""

    priority = forms.TypedChoiceField(choices=[("", "Choose…"), *Priority.choices], coerce=int)
    service = forms.ModelChoiceField(queryset=ITService.objects.none(), required=False, empty_label="All services")
    ticket_kind = forms.ChoiceField(choices=[("", "Incidents and requests"), *TicketKind.choices], required=False)
    response = forms.CharField(label="Respond within", max_length=30)
    resolution = forms.CharField(label="Resolve within", max_length=30)

    def __init__(self, *args: Any, hours: str = SupportHours.SCHOOL_HOURS, services_qs: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.hours = hours
        if services_qs is not None:
            self.fields["service"].queryset = services_qs

    def _duration(self, name: str) -> int:
        try:
            return parse_duration(self.cleaned_data[name], hours=self.hours)
        except ValueError as error:
            raise ValidationError(str(error)) from None

    def clean_response(self) -> int:
        return self._duration("response")

    def clean_resolution(self) -> int:
        return self._duration("resolution")


class BaseTargetFormSet(forms.BaseFormSet):
    def __init__(self, *args: Any, agreement: Agreement, user: Any, **kwargs: Any) -> None:
        self.agreement = agreement
        self.services_qs = ITService.objects.visible_to(user).of_school(agreement.school_id).order_by("name")
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {"hours": self.agreement.hours, "services_qs": self.services_qs}

    def rows(self) -> list[services.TargetRow]:
        return [
            services.TargetRow(
                priority=form.cleaned_data["priority"],
                service=form.cleaned_data.get("service"),
                ticket_kind=form.cleaned_data.get("ticket_kind", ""),
                response_minutes=form.cleaned_data["response"],
                resolution_minutes=form.cleaned_data["resolution"],
            )
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]


TargetFormSet = forms.formset_factory(TargetForm, formset=BaseTargetFormSet, extra=2, can_delete=True, max_num=60)


def target_initial(agreement: Agreement) -> list[dict[str, Any]]:
    return [
        {
            "priority": target.priority,
            "service": target.service_id,
            "ticket_kind": target.ticket_kind,
            "response": duration_words(target.response_minutes, hours=agreement.hours),
            "resolution": duration_words(target.resolution_minutes, hours=agreement.hours),
        }
        for target in agreement.targets.all()
    ]


class AgreementTransitionForm(forms.Form):
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    retire_others = forms.BooleanField(
        required=False, label="Retire the SLA it replaces", help_text="Only one agreed SLA covers a service at a time."
    )


class AgreementReviewForm(forms.Form):
    note = forms.CharField(label="What the review found and decided", widget=forms.Textarea(attrs={"rows": 3}))
    next_review = forms.DateField(label="Next review", widget=DATE)


# =============================================================================
# Traded services
# =============================================================================


class SupportPackageForm(ModelFieldsForm):
    """A package, with its targets per priority as durations ("30 min", "4 h", "2 d"), never raw JSON."""

    model = SupportPackage
    model_fields = tuple(name for name in services.PACKAGE_FIELDS if name != "targets")
    widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    authority = forms.ModelChoiceField(queryset=Authority.objects.none(), empty_label=None)

    def __init__(self, *args: Any, user: Any, package: SupportPackage | None = None, **kwargs: Any):
        if package is not None:
            initial = {name: getattr(package, name) for name in self.model_fields}
            for priority, value in (package.targets or {}).items():
                initial[f"p{priority}_response"] = duration_words(value.get("response"), hours=package.hours)
                initial[f"p{priority}_resolution"] = duration_words(value.get("resolution"), hours=package.hours)
            kwargs["initial"] = {**initial, **(kwargs.get("initial") or {})}
        super().__init__(*args, user=user, **kwargs)
        for priority in Priority:
            for part, label in (("response", "respond within"), ("resolution", "resolve within")):
                self.fields[f"p{priority.value}_{part}"] = forms.CharField(
                    label=f"{priority.label}: {label}", required=False, max_length=30
                )
        if package is not None:
            del self.fields["authority"]
        else:
            authorities = [
                authority
                for authority in Authority.objects.order_by("name")
                if access.can_manage_support_package.test(user, authority)
            ]
            self.fields["authority"].queryset = Authority.objects.filter(pk__in=[a.pk for a in authorities])
            if len(authorities) == 1:
                self.fields["authority"].widget = forms.HiddenInput()
                self.fields["authority"].initial = authorities[0].pk

    def priority_rows(self) -> list[tuple[Any, Any, Any]]:
        return [(p, self[f"p{p.value}_response"], self[f"p{p.value}_resolution"]) for p in Priority]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        hours = data.get("hours") or SupportHours.SCHOOL_HOURS
        targets = {}
        for priority in Priority:
            response = (data.get(f"p{priority.value}_response") or "").strip()
            resolution = (data.get(f"p{priority.value}_resolution") or "").strip()
            if not response and not resolution:
                continue
            try:
                targets[str(priority.value)] = {
                    "response": parse_duration(response, hours=hours),
                    "resolution": parse_duration(resolution, hours=hours),
                }
            except ValueError as error:
                self.add_error(f"p{priority.value}_response", f"{priority.label}: {error}")
        data["targets"] = targets
        return data

    def package_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in (*self.model_fields, "targets") if name != "name"}


class SubscriptionForm(ScopedForm):
    school = forms.ModelChoiceField(queryset=School.objects.all(), empty_label=None)
    package = forms.ModelChoiceField(queryset=SupportPackage.objects.none(), empty_label=None)
    starts = forms.DateField(widget=DATE)
    ends = forms.DateField(widget=DATE, help_text="The last day covered.")
    review_date = forms.DateField(widget=DATE, help_text="When to decide whether to renew, and at which level.")
    price = forms.DecimalField(
        max_digits=10, decimal_places=2, required=False, help_text="Empty: the package's annual price."
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["school"].queryset = _schools_where(user, access.can_manage_subscriptions)
        self.fields["package"].queryset = SupportPackage.objects.visible_to(user).filter(is_active=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("starts") and data.get("ends") and data["ends"] < data["starts"]:
            self.add_error("ends", "A subscription cannot end before it starts.")
        return data


class SubscriptionEditForm(forms.Form):
    starts = forms.DateField(widget=DATE)
    ends = forms.DateField(widget=DATE)
    review_date = forms.DateField(widget=DATE)
    price = forms.DecimalField(max_digits=10, decimal_places=2)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


# =============================================================================
# Calendars
# =============================================================================

_SPAN = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*[-–]\s*(\d{1,2})[:.](\d{2})\s*$")


def parse_spans(text: str) -> list[tuple[time, time]]:
    """ "08:00-12:00, 13:00-16:00" -> [(08:00, 12:00), (13:00, 16:00)]; empty: closed that day."""
    spans = []
    for part in filter(None, (piece.strip() for piece in re.split(r"[,;]", text or ""))):
        match = _SPAN.match(part)
        if not match:
            raise ValidationError(f"Cannot read {part!r}: write spans like 08:00-12:00, 13:00-16:00.")
        h1, m1, h2, m2 = (int(value) for value in match.groups())
        try:
            spans.append((time(h1, m1), time(h2, m2)))
        except ValueError:
            raise ValidationError(f"{part!r} is not a time of day.") from None
    return spans


class WorkingHoursForm(forms.Form):
    """One line per weekday: its spans of support, e.g. "08:00-12:00, 13:00-16:00"; empty: closed."""

    def __init__(self, *args: Any, calendar: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current: dict[int, list[str]] = {}
        if calendar is not None:
            for row in calendar.hours.all():
                current.setdefault(row.weekday, []).append(f"{row.opens:%H:%M}-{row.closes:%H:%M}")
        for day in WorkingHours.Weekday:
            self.fields[f"day_{day.value}"] = forms.CharField(
                label=day.label, required=False, initial=", ".join(current.get(day.value, []))
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        hours = {}
        for day in WorkingHours.Weekday:
            try:
                spans = parse_spans(data.get(f"day_{day.value}", ""))
            except ValidationError as error:
                self.add_error(f"day_{day.value}", error)
                continue
            if spans:
                hours[day.value] = spans
        data["hours"] = hours
        return data


class TermDateForm(forms.Form):
    name = forms.CharField(max_length=100, widget=forms.TextInput(attrs={"placeholder": "e.g. Autumn 1"}))
    starts = forms.DateField(widget=DATE)
    ends = forms.DateField(widget=DATE, help_text="The last day of the span.")
    provisional = forms.BooleanField(required=False, help_text="Not yet confirmed against the authority's dates.")

    @classmethod
    def for_term(cls, term: TermDate, data: Any = None) -> TermDateForm:
        initial = {"name": term.name, "starts": term.starts, "ends": term.ends, "provisional": term.provisional}
        return cls(data, initial=initial)


class ClosureForm(forms.Form):
    kind = forms.ChoiceField(choices=Closure.Kind.choices, initial=Closure.Kind.INSET)
    name = forms.CharField(max_length=100, widget=forms.TextInput(attrs={"placeholder": "e.g. INSET day"}))
    starts = forms.DateField(widget=DATE)
    ends = forms.DateField(widget=DATE, required=False, help_text="Empty for one day.")
    staff_working = forms.ChoiceField(
        label="Does support work?",
        choices=[("", "As its kind says (INSET: yes; closures: no)"), ("yes", "Yes: the clock runs"),
                 ("no", "No: the clock stops")],
        required=False,
    )  # fmt: skip

    def clean_staff_working(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.cleaned_data.get("staff_working") or "")

    @classmethod
    def for_closure(cls, closure: Closure, data: Any = None) -> ClosureForm:
        initial = {
            "kind": closure.kind,
            "name": closure.name,
            "starts": closure.starts,
            "ends": closure.ends,
            "staff_working": "yes" if closure.staff_working else "no",
        }
        return cls(data, initial=initial)
