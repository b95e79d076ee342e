"""Forms of the workbench: a bulk action on the chosen tickets, and naming a saved filter."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from fits.forms import ScopedForm
from fits.models import User
from incidents.models import HoldReason, Impact, Incident, ResolutionCode, TicketKind, Urgency
from servicedesk.workbench import BULK_ACTIONS, BULK_LIMIT, technicians_for


class CappedTicketsField(forms.ModelMultipleChoiceField):
    """The ticked tickets: refused before any query when there are more than BULK_LIMIT of them."""

    def clean(self, value: Any) -> Any:
        if value and len(value) > BULK_LIMIT:
            raise ValidationError(f"Choose at most {BULK_LIMIT} tickets at once ({len(value)} chosen).")
        return super().clean(value)


class BulkActionForm(ScopedForm):
    """One action on the tickets ticked on the workbench; each action says what else it needs."""

    ticket = CappedTicketsField(
        queryset=Incident.objects.all(),
        error_messages={"required": "Choose at least one ticket: tick the boxes beside them, or press x."},
    )
    action = forms.ChoiceField(choices=list(BULK_ACTIONS.items()))
    assignee = forms.ModelChoiceField(queryset=User.objects.all(), required=False, label="Technician")
    hold_reason = forms.ChoiceField(choices=[("", "Why?"), *HoldReason.choices], required=False, label="Waiting for")
    resolution_code = forms.ChoiceField(
        choices=[("", "Resolution code"), *ResolutionCode.choices], required=False, label="Resolution code"
    )
    hold_note = forms.CharField(required=False, max_length=5000, label="What are they waiting for?")
    resolve_note = forms.CharField(required=False, max_length=5000, label="Resolution")
    text = forms.CharField(required=False, max_length=5000, label="Comment", widget=forms.Textarea(attrs={"rows": 2}))
    public = forms.BooleanField(required=False, label="Visible to the callers")
    into = forms.CharField(required=False, max_length=20, label="Merge into")
    impact = forms.TypedChoiceField(choices=[("", "Who is affected?"), *Impact.choices], coerce=int, required=False,
                                    empty_value=None, label="Impact")  # fmt: skip
    urgency = forms.TypedChoiceField(choices=[("", "How urgent?"), *Urgency.choices], coerce=int, required=False,
                                     empty_value=None, label="Urgency")  # fmt: skip

    def __init__(self, *args: Any, user: Any, school: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["assignee"].queryset = technicians_for(user, school.pk if school else None)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        action = data.get("action")
        needs = {
            "assign": ("assignee", "Choose the technician to assign them to."),
            "hold": ("hold_note", "Say what the tickets are waiting for."),
            "resolve": ("resolve_note", "Write the resolution: the fix or workaround, in plain words."),
            "comment": ("text", "Write the comment to add."),
        }
        if action in needs:
            field, message = needs[action]
            if not data.get(field) or (isinstance(data[field], str) and not data[field].strip()):
                self.add_error(field, message)
        if action == "hold" and not data.get("hold_reason"):
            self.add_error("hold_reason", "Choose what the tickets are waiting for.")
        if action == "resolve" and not data.get("resolution_code"):
            if any(ticket.kind != TicketKind.REQUEST for ticket in data.get("ticket") or []):
                self.add_error("resolution_code", "Choose a resolution code: how the incidents were resolved.")
        if action == "merge":
            data["into"] = self.ticket_to_keep(data.get("into", ""), data.get("ticket"))
        if action == "reprioritise":
            for field, question in (("impact", "who is affected"), ("urgency", "how urgent it is")):
                if data.get(field) is None:
                    self.add_error(field, f"Choose {question}: the priority follows from impact and urgency.")
        return data

    def ticket_to_keep(self, reference: str, chosen: Any) -> Incident | None:
        """The ticket a merge keeps, by its reference (INC-000123, or just 123), among those the user may see."""
        reference = reference.strip().upper()
        if not reference:
            self.add_error("into", "Give the reference of the ticket to keep, e.g. INC-000123.")
            return None
        tickets = Incident.objects.visible_to(self.user)
        if reference.isdigit():
            found = tickets.filter(reference__endswith=f"-{int(reference):06d}")
        else:
            found = tickets.filter(reference__iexact=reference)
        schools = {ticket.school_id for ticket in chosen or []}
        candidates = [ticket for ticket in found[:10] if not schools or ticket.school_id in schools]
        if not candidates:
            self.add_error("into", f"There is no ticket {reference} at the chosen tickets' school.")
            return None
        if len(candidates) > 1:
            refs = ", ".join(ticket.reference for ticket in candidates)
            self.add_error("into", f"{reference} could be {refs}: give the full reference.")
            return None
        return candidates[0]

    def params(self) -> dict[str, Any]:
        """The keyword arguments the action's service takes."""
        data, action = self.cleaned_data, self.cleaned_data["action"]
        if action == "assign":
            return {"assignee": data["assignee"]}
        if action == "hold":
            return {"note": data["hold_note"], "hold_reason": data["hold_reason"]}
        if action == "resolve":
            return {"note": data["resolve_note"], "resolution_code": data["resolution_code"]}
        if action == "comment":
            return {"text": data["text"], "public": data["public"]}
        if action == "merge":
            return {"into": data["into"]}
        if action == "reprioritise":
            return {"impact": data["impact"], "urgency": data["urgency"]}
        return {}


class SavedFilterForm(forms.Form):
    name = forms.CharField(max_length=60, label="Name")
    query = forms.CharField(max_length=2000, required=False, widget=forms.HiddenInput)


class SavedFilterMoveForm(forms.Form):
    position = forms.IntegerField(min_value=0, max_value=1000)
