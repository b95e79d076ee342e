"""Forms of Systems Administration: a routine operation, a logbook entry, a run book and its procedures."""

from __future__ import annotations

from typing import Any

from django import forms

from availability.maintenance_forms import MaintenanceScheduleForm
from availability.models import Recurrence
from cmdb.models import ConfigurationItem, Kind
from fits import access
from fits.forms import ScopedForm
from fits.scoping import schools_visible_to
from om.forms import staff_of
from om.sysadmin.models import LogbookEntry
from servicelevels.models import ITService

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class RoutineForm(MaintenanceScheduleForm):
    """A routine operation: a maintenance schedule whose device is optional (check the backups)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["recurrence"].initial = Recurrence.DAILY
        self.fields["lead_days"].initial = 0
        self.fields["ci"].help_text = "The server or device it concerns, if one; leave empty for a general check."
        self.fields["title"].help_text = "E.g. 'Check the overnight backups' or 'Check free disk space'."


class LoadRoutinesForm(ScopedForm):
    owner = forms.ModelChoiceField(queryset=None, required=False)
    deputy = forms.ModelChoiceField(queryset=None, required=False)

    def __init__(self, *args: Any, user: Any, school_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        ids = [school_id] if school_id else [s.pk for s in schools_visible_to(user)]
        self.fields["owner"].queryset = staff_of(ids)
        self.fields["deputy"].queryset = staff_of(ids)


class LogbookEntryForm(forms.Form):
    kind = forms.ChoiceField(choices=LogbookEntry.Kind.choices, initial=LogbookEntry.Kind.NOTE)
    occurred_at = forms.DateTimeField(required=False, widget=DATETIME, label="When", help_text="Now if empty.")
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="What was done or found")


PROCEDURE_WIDGET = forms.Textarea(attrs={"rows": 5})


class ProceduresForm(forms.Form):
    start = forms.CharField(widget=PROCEDURE_WIDGET, required=False, label="Starting the service")
    stop = forms.CharField(widget=PROCEDURE_WIDGET, required=False, label="Stopping the service")
    restore = forms.CharField(widget=PROCEDURE_WIDGET, required=False, label="Restoring from backup")
    contacts = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, help_text="Suppliers, support lines, out of hours."
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class RunBookForm(ScopedForm, ProceduresForm):
    school = forms.ModelChoiceField(queryset=None, empty_label=None)
    title = forms.CharField(max_length=200, help_text="E.g. 'MIS server' or 'Backups'.")
    service = forms.ModelChoiceField(queryset=ITService.objects.order_by("name"), required=False, label="ICT service")
    ci = forms.ModelChoiceField(
        queryset=ConfigurationItem.objects.filter(kind=Kind.SERVICE).order_by("name"),
        required=False,
        label="CMDB service",
    )
    owner = forms.ModelChoiceField(queryset=None, required=False)

    field_order = ["school", "title", "service", "ci", "owner", "start", "stop", "restore", "contacts", "notes"]

    def __init__(self, *args: Any, user: Any, school: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        visible = schools_visible_to(user)
        allowed = [s.pk for s in visible if access.can_keep_logbook.test(user, s)]
        self.fields["school"].queryset = visible.filter(pk__in=allowed).order_by("name")
        ids = allowed
        if school is not None and school.pk in allowed:
            self.fields["school"].initial = school.pk
            ids = [school.pk]
        if len(allowed) <= 1:
            self.fields["school"].widget = forms.HiddenInput()
            if allowed:
                self.fields["school"].initial = allowed[0]
        if len(ids) == 1:  # one school chosen: only its services and CIs (the service refuses another's anyway)
            for name in ("service", "ci"):
                self.fields[name].queryset = self.fields[name].queryset.of_school(ids[0])
        self.fields["owner"].queryset = staff_of(ids)
