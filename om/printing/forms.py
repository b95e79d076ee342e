"""Forms of the Print and Output Management pages (their choices scoped to what the user may see)."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone

from availability.models import SnmpCredential
from cmdb.models import ConfigurationItem, Kind
from fits.forms import ScopedForm, ScopedModelForm
from om.printing.models import CartridgeModel, MovementKind, Printer, PrintPolicy, PrintQueue


class PrinterAddForm(ScopedForm):
    ci = forms.ModelChoiceField(
        label="Printer", queryset=ConfigurationItem.objects.filter(kind=Kind.PRINTER, printer__isnull=True),
        help_text="A printer CI of the CMDB with its management address.",
    )  # fmt: skip
    snmp_credential = forms.ModelChoiceField(
        label="SNMP credential", queryset=SnmpCredential.objects.all(), required=False,
        help_text="Empty: the credential of the printer's SNMP check, else v2c “public”.",
    )  # fmt: skip
    multifunction = forms.BooleanField(label="Multifunction device (scans, copies)", required=False)

    def __init__(self, *args, school=None, **kwargs):
        super().__init__(*args, **kwargs)
        if school is not None:
            self.fields["ci"].queryset = self.fields["ci"].queryset.of_school(school.pk).order_by("name")
            self.fields["snmp_credential"].queryset = self.fields["snmp_credential"].queryset.of_school(school.pk)


class PrinterEditForm(ScopedModelForm):
    class Meta:
        model = Printer
        fields = ["snmp_credential", "colour", "multifunction", "reading_enabled"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["snmp_credential"].queryset = self.fields["snmp_credential"].queryset.of_school(
            self.instance.school_id
        )


class SupplyCartridgeForm(ScopedForm):
    cartridge = forms.ModelChoiceField(queryset=CartridgeModel.objects.all(), required=False,
                                       empty_label="Match by printer model and colour")  # fmt: skip


class QueueForm(ScopedModelForm):
    class Meta:
        model = PrintQueue
        fields = ["name", "server", "printer", "driver", "duplex", "colour", "deployed_to", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, school=None, **kwargs):
        super().__init__(*args, **kwargs)
        school_id = self.instance.school_id or getattr(school, "pk", None)
        self.fields["server"].queryset = (
            self.fields["server"].queryset.filter(kind=Kind.SERVER).of_school(school_id).order_by("name")
        )
        self.fields["printer"].queryset = (
            self.fields["printer"].queryset.of_school(school_id).select_related("ci").order_by("ci__name")
        )


class CartridgeForm(forms.ModelForm):
    class Meta:
        model = CartridgeModel
        fields = ["name", "part_number", "colour", "yield_pages", "unit_cost", "printer_models", "reorder_level",
                  "reorder_quantity"]  # fmt: skip


class MovementForm(ScopedForm):
    kind = forms.ChoiceField(choices=MovementKind.choices)
    quantity = forms.IntegerField(min_value=1, max_value=1000, initial=1)
    printer = forms.ModelChoiceField(queryset=Printer.objects.select_related("ci"), required=False,
                                     help_text="For a cartridge fitted by hand.")  # fmt: skip
    note = forms.CharField(max_length=300, required=False, help_text="Supplier's delivery note, or why written off.")


class PolicyForm(forms.ModelForm):
    class Meta:
        model = PrintPolicy
        fields = ["default_duplex", "colour_rule", "staff_quota_pages", "pupil_quota_pages", "low_supply_percent",
                  "lead_school_days", "retention_days"]  # fmt: skip


class UsageFilterForm(ScopedForm):
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="From")
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="To")
    printer = forms.ModelChoiceField(queryset=Printer.objects.select_related("ci"), required=False,
                                     empty_label="Every printer")  # fmt: skip

    def clean(self):
        data = super().clean()
        today = timezone.localdate()
        data["start"] = data.get("start") or today - timedelta(days=365)
        data["end"] = data.get("end") or today
        if data["start"] > data["end"]:
            raise forms.ValidationError("The start date is after the end date.")
        return data
