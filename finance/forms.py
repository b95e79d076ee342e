"""Forms of Financial Management. Choices are scoped to the person (fits.forms); the services check the rest (same
school, dates, amounts, plans that add up)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from cmdb.models import ConfigurationItem, Kind
from finance.models import (
    Category,
    Contract,
    ContractKind,
    FundingType,
    Method,
    PaymentFrequency,
    Stage,
    Supplier,
)
from finance.services import DEFAULT_LIFE_YEARS, RATE_ROLES
from fits.forms import ScopedForm
from fits.models import AuthorityRoleKind, Role, User

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MONEY = {"max_digits": 10, "decimal_places": 2}
ROLE_LABELS = dict(Role.choices) | dict(AuthorityRoleKind.choices)


class SettingsForm(forms.Form):
    """The school's finance settings, its depreciation defaults per kind of CI and its hourly rates per role."""

    funding_type = forms.ChoiceField(choices=FundingType.choices, label="Funding")
    pupils = forms.IntegerField(min_value=0, max_value=10000, label="Pupils on roll")
    alert_days = forms.IntegerField(
        min_value=1, max_value=365, initial=60, label="Alert this many days before a contract's notice date"
    )
    warranty_days = forms.IntegerField(
        min_value=1, max_value=730, initial=90, label="List warranties ending within (days)"
    )
    residual_percent = forms.DecimalField(
        min_value=0, max_value=100, initial=0, max_digits=5, decimal_places=2, label="Residual value of kit (% of cost)"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind in DEFAULT_LIFE_YEARS:
            self.fields[f"life_{kind}"] = forms.IntegerField(
                min_value=1, max_value=30, label=f"{Kind(kind).label}: useful life (years)"
            )
        for role in RATE_ROLES:
            self.fields[f"rate_{role}"] = forms.DecimalField(
                min_value=0,
                required=False,
                label=f"{ROLE_LABELS[role]}: £ an hour",
                help_text="Empty: the authority's rate, or the default.",
                **MONEY,
            )

    def life_fields(self):
        return [self[f"life_{kind}"] for kind in DEFAULT_LIFE_YEARS]

    def rate_fields(self):
        return [self[f"rate_{role}"] for role in RATE_ROLES]


class BudgetForm(ScopedForm):
    """One financial year's budget: an amount per category, and optionally its plan per month."""

    holder = forms.ModelChoiceField(queryset=User.objects.none(), required=False, label="Budget holder")
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args: Any, user: Any, holders=None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["holder"].queryset = holders if holders is not None else User.objects.none()
        for value, label in Category.choices:
            self.fields[f"amount_{value}"] = forms.DecimalField(min_value=0, initial=0, label=label, **MONEY)
            self.fields[f"plan_{value}"] = forms.CharField(
                required=False,
                label=f"{label}: plan by month",
                help_text="Twelve amounts separated by commas, first month first; empty: spread evenly.",
            )

    def rows(self):
        return [(self[f"amount_{value}"], self[f"plan_{value}"]) for value in Category.values]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for value in Category.values:
            text = (data.get(f"plan_{value}") or "").strip()
            if not text:
                data[f"plan_{value}"] = None
                continue
            parts = [part.strip().replace("£", "") for part in text.split(",")]
            try:
                data[f"plan_{value}"] = [Decimal(part or "0") for part in parts]
            except ArithmeticError:
                self.add_error(f"plan_{value}", "Give twelve amounts separated by commas.")
                continue
            if len(parts) != 12:
                self.add_error(f"plan_{value}", f"Give twelve amounts (one a month), not {len(parts)}.")
        return data


class SupplierForm(forms.Form):
    name = forms.CharField(max_length=150)
    contact = forms.CharField(max_length=150, required=False, label="Contact name")
    phone = forms.CharField(max_length=30, required=False)
    email = forms.EmailField(required=False, label="E-mail")
    account_number = forms.CharField(max_length=50, required=False, label="Our account number")
    notes = forms.CharField(max_length=300, required=False)


class ContractForm(ScopedForm):
    supplier = forms.ModelChoiceField(queryset=Supplier.objects.order_by("name"))
    title = forms.CharField(max_length=150, help_text="What it is for, e.g. Broadband and web filtering.")
    kind = forms.ChoiceField(choices=ContractKind.choices)
    reference = forms.CharField(max_length=60, required=False, label="Contract reference")
    starts_on = forms.DateField(widget=DATE, label="Start")
    ends_on = forms.DateField(widget=DATE, label="End")
    annual_cost = forms.DecimalField(min_value=0, label="Annual cost (£)", **MONEY)
    payment_frequency = forms.ChoiceField(choices=PaymentFrequency.choices, label="Paid")
    notice_days = forms.IntegerField(min_value=0, max_value=730, initial=90, label="Notice period (days)")
    auto_renew = forms.BooleanField(required=False, label="Renews automatically unless notice is given")
    cis = forms.ModelMultipleChoiceField(
        queryset=ConfigurationItem.objects.exclude(kind__in=("wall_socket",)).order_by("name"),
        required=False,
        label="Covered CIs",
    )
    owner = forms.ModelChoiceField(
        queryset=User.objects.order_by("username"), required=False, help_text="Who is told before the notice date."
    )
    documents = forms.CharField(max_length=300, required=False, help_text="Where the signed copy is kept.")

    def __init__(self, *args: Any, user: Any, school: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        if school is not None:
            self.fields["supplier"].queryset = self.fields["supplier"].queryset.of_school(school.pk)
            self.fields["cis"].queryset = self.fields["cis"].queryset.of_school(school.pk)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", "The end comes after the start.")
        return data


class RenewForm(forms.Form):
    ends_on = forms.DateField(widget=DATE, label="Renewed until")
    annual_cost = forms.DecimalField(min_value=0, required=False, label="New annual cost (£)", **MONEY)
    note = forms.CharField(max_length=300, required=False)


class CancelForm(forms.Form):
    note = forms.CharField(max_length=300, label="How and when notice was given")


class ExpenditureForm(ScopedForm):
    spent_on = forms.DateField(widget=DATE, label="Date")
    supplier = forms.ModelChoiceField(queryset=Supplier.objects.order_by("name"), required=False)
    item = forms.CharField(max_length=200)
    category = forms.ChoiceField(choices=Category.choices)
    amount = forms.DecimalField(label="Amount before VAT (£)", help_text="A credit note is negative.", **MONEY)
    vat = forms.DecimalField(min_value=0, initial=0, label="VAT (£)", **MONEY)
    stage = forms.ChoiceField(choices=Stage.choices, initial=Stage.PAID)
    ci = forms.ModelChoiceField(queryset=ConfigurationItem.objects.order_by("name"), required=False, label="CI")
    contract = forms.ModelChoiceField(
        queryset=Contract.objects.order_by("-starts_on"),
        required=False,
        help_text="An invoice of a contract is shown, not counted again.",
    )
    order_reference = forms.CharField(max_length=60, required=False)

    def __init__(self, *args: Any, user: Any, school: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        if school is not None:
            for name in ("supplier", "ci", "contract"):
                self.fields[name].queryset = self.fields[name].queryset.of_school(school.pk)


class ImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Columns: date, supplier, item, category, amount; optionally "
        "vat, stage, order_reference, ci, contract.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 2 * 1024 * 1024:
            raise forms.ValidationError("At most 2 MB at a time.")
        return upload


class CICostForm(forms.Form):
    method = forms.ChoiceField(choices=Method.choices)
    life_years = forms.IntegerField(min_value=1, max_value=30, label="Useful life (years)")
    rate_percent = forms.DecimalField(
        min_value=Decimal("0.01"),
        max_value=100,
        required=False,
        max_digits=5,
        decimal_places=2,
        label="Rate a year (%)",
        help_text="Reducing balance only.",
    )
    residual_value = forms.DecimalField(min_value=0, initial=0, label="Residual value (£)", **MONEY)
    replace_on = forms.DateField(
        widget=DATE, required=False, label="Expected replacement", help_text="Empty: purchase date + useful life."
    )
    notes = forms.CharField(max_length=300, required=False)
