"""Forms of the work on a ticket beyond its lifecycle: escalation, time spent, merging, major incidents."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models
from django.utils import timezone

from fits.forms import ScopedForm
from incidents.models import OPEN_STATUSES, Category, Incident, SupportGroup
from incidents.selectors import FormChoices, offer
from servicelevels.models import ITService


class GroupChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, group: SupportGroup) -> str:
        return f"{group.name} ({group.get_kind_display()})"


class EscalateForm(ScopedForm):
    """Escalate to the LEA support unit or a supplier working for the ticket's school."""

    group = GroupChoiceField(queryset=SupportGroup.objects.all(), label="Escalate to", empty_label=None)
    supplier_reference = forms.CharField(
        max_length=60,
        required=False,
        label="Their call reference",
        help_text="If the supplier has already given you one; you can add it later.",
    )
    note = forms.CharField(
        required=False,
        label="What they need to know",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Sent to a supplier with the ticket's details; kept as an internal note.",
    )

    def __init__(self, *args: Any, incident: Incident, choices: FormChoices | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = (
            self.fields["group"]
            .queryset.of_school(incident.school_id)
            .filter(kind__in=[SupportGroup.Kind.AUTHORITY, SupportGroup.Kind.SUPPLIER], is_active=True)
            .exclude(pk=incident.group_id or 0)
            .order_by("kind", "name")
        )
        self.offers_groups = None  # unknown until read: the page asks the queryset
        if choices is not None:
            external = choices.external_groups(besides=incident.group_id)
            offer(self.fields["group"], external)
            self.offers_groups = bool(external)


class ServiceForm(ScopedForm):
    """Correct the ICT service a ticket counts against (its agreement and due times may change)."""

    service = forms.ModelChoiceField(
        queryset=ITService.objects.all(),
        required=False,
        label="ICT service",
        empty_label="No service",
        widget=forms.Select(attrs={"class": "form-select"}),
        help_text="The service the caller lost: its agreement sets the ticket's due times.",
    )

    def __init__(self, *args: Any, incident: Incident, choices: FormChoices | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = (
            self.fields["service"]
            .queryset.of_school(incident.school_id)
            .filter(models.Q(is_active=True) | models.Q(pk=incident.service_id or 0))
            .order_by("name")
        )
        if choices is not None:
            offer(self.fields["service"], choices.services)


class CategoryForm(ScopedForm):
    """Put the ticket in another category (the desk's routing work). A security category restricts who sees it."""

    category = forms.ModelChoiceField(
        queryset=Category.objects.all(),
        required=False,
        label="Category",
        empty_label="No category",
        widget=forms.Select(attrs={"class": "form-select"}),
        help_text="A category marked for security incidents makes the ticket a security incident: only the network "
        "manager, school leaders, whoever works it and the caller see it.",
    )

    def __init__(self, *args: Any, incident: Incident, choices: FormChoices | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        categories = self.fields["category"].queryset.of_school(incident.school_id)
        categories = categories.filter(models.Q(is_active=True) | models.Q(pk=incident.category_id or 0))
        categories = categories.filter(applies_to__in=("", incident.kind))
        self.fields["category"].queryset = categories.select_related("parent").order_by("parent__name", "name")
        self.fields["category"].label_from_instance = lambda category: (
            f"{category} (security)" if category.is_security else str(category)
        )
        if choices is not None:
            offer(self.fields["category"], choices.categories)


class TakeBackForm(forms.Form):
    note = forms.CharField(required=False, label="Why", widget=forms.Textarea(attrs={"rows": 2}))


class SupplierReferenceForm(forms.Form):
    supplier_reference = forms.CharField(max_length=60, required=False, label="Their call reference")


class TimeForm(forms.Form):
    """Time spent on the ticket, in minutes, on a day (today by default)."""

    minutes = forms.IntegerField(min_value=1, max_value=24 * 60, label="Minutes")
    worked_on = forms.DateField(
        required=False, label="Day", widget=forms.DateInput(attrs={"type": "date"}), help_text="Today if left empty."
    )
    note = forms.CharField(max_length=200, required=False, label="What you did")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["worked_on"].widget.attrs["max"] = timezone.localdate().isoformat()


class TicketByReference(forms.CharField):
    """A ticket of the same school, named by its reference (INC-000123), looked up among those the user sees."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 20)
        super().__init__(*args, **kwargs)
        self.widget.attrs.update(placeholder="INC-000123", autocomplete="off", spellcheck="false")


class _ReferenceForm(ScopedForm):
    """Base of the forms naming another ticket of the same school by its reference."""

    reference_field = "into"

    def __init__(self, *args: Any, incident: Incident, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.incident = incident

    def find(self, value: str) -> Incident:
        value = value.strip().upper()
        if value.isdigit():  # "123" for INC-000123
            value = f"{self.incident.reference.split('-')[0]}-{int(value):06d}"
        found = (
            Incident.objects.visible_to(self.user)
            .of_school(self.incident.school_id)
            .filter(reference__iexact=value)
            .select_related("reporter")
            .first()
        )
        if found is None:
            raise forms.ValidationError(f"There is no ticket {value} at {self.incident.school}.")
        return found


class MergeForm(_ReferenceForm):
    into = TicketByReference(
        label="Merge into", help_text="The reference of the ticket that stays; this one is closed as its duplicate."
    )
    note = forms.CharField(required=False, label="Note", widget=forms.Textarea(attrs={"rows": 2}))

    def clean_into(self) -> Incident:
        return self.find(self.cleaned_data["into"])


class LinkChildForm(_ReferenceForm):
    """On a major incident: link a call about the same outage."""

    child = TicketByReference(label="Link a call", help_text="The reference of a call about the same outage.")

    def clean_child(self) -> Incident:
        return self.find(self.cleaned_data["child"])


class LinkToMajorForm(ScopedForm):
    """On a call: choose the open major incident of the school it is part of."""

    major = forms.ModelChoiceField(queryset=Incident.objects.all(), label="Major incident", empty_label=None)

    def __init__(self, *args: Any, incident: Incident, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["major"].queryset = (
            self.fields["major"]
            .queryset.of_school(incident.school_id)
            .filter(is_major=True, status__in=OPEN_STATUSES)
            .exclude(pk=incident.pk)
            .order_by("-created_at")
        )


class MajorUpdateForm(forms.Form):
    text = forms.CharField(
        label="Status update",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Sent to everyone who reported it, and posted on each of their tickets.",
    )


class NoteForm(forms.Form):
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
