"""Forms of the service catalogue: the request form built from an item's questions, and the editor.

The request form is a Django form class made at run time from the item's `fields`; its widgets
suit each kind of question, and its answers are checked by the same service function the API
uses (servicedesk.services.request_answers_clean), so a page and the API give the same messages.
The editor is a plain form for the item's settings plus two formsets, one row per question and
one per fulfilment task, turned into the JSON lists the services check.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from fits import access
from fits.forms import ScopedForm
from fits.models import TECHNICAL_ROLES, Role, User
from fits.scoping import schools_visible_to
from incidents.models import Category, Channel, SupportGroup, TicketKind
from servicedesk import services
from servicedesk.handlers import handler_choices
from servicedesk.models import Approver, FieldType, RequestType

# A choice question with up to this many options shows them all as radio buttons; more, a drop-down.
RADIO_LIMIT = 6


# =============================================================================
# The request form, built from the item's questions
# =============================================================================


def question_field(question: dict[str, Any]) -> forms.Field:
    """The form field asking one question, with the widget that suits its type."""
    kind = question["type"]
    common = {
        "label": question["label"],
        "help_text": question.get("help", ""),
        "required": question.get("required", False),
        "error_messages": {"required": services.REQUIRED},
    }
    if kind == FieldType.TEXTAREA:
        limit = services.TEXT_LIMITS[kind]
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 4, "maxlength": limit}), strip=True, **common)
    if kind in (FieldType.TEXT, FieldType.EMAIL):
        widget = forms.EmailInput if kind == FieldType.EMAIL else forms.TextInput
        attrs = {"maxlength": services.TEXT_LIMITS[kind]}
        if kind == FieldType.EMAIL:
            attrs["autocomplete"] = "off"
        return forms.CharField(widget=widget(attrs=attrs), **common)
    if kind == FieldType.DATE:
        attrs = {"type": "date"}
        if question.get("not_before") == "today":
            attrs["min"] = timezone.localdate().isoformat()
        return forms.CharField(widget=forms.DateInput(attrs=attrs), **common)
    if kind == FieldType.NUMBER:
        attrs = {"step": "any", "inputmode": "decimal"}
        attrs.update({limit: question[limit] for limit in ("min", "max") if limit in question})
        return forms.CharField(widget=forms.NumberInput(attrs=attrs), **common)
    if kind == FieldType.YES_NO:
        return forms.ChoiceField(choices=[("yes", "Yes"), ("no", "No")], widget=forms.RadioSelect, **common)
    choices = [(choice, choice) for choice in question["choices"]]
    if question.get("multiple"):
        return forms.MultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple, **common)
    if len(choices) <= RADIO_LIMIT:
        return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
    return forms.ChoiceField(choices=[("", "Choose…"), *choices], **common)


class RequestForm(forms.Form):
    """The form of one catalogue item: one field per question, in the item's order.

    `answers` holds the checked answers once the form is valid. Errors of the service's checks
    (a date before another, a number out of range) are shown beside their question.
    """

    def __init__(self, *args: Any, request_type: RequestType, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request_type = request_type
        self.questions = [q for q in request_type.fields if isinstance(q, dict) and q.get("name")]
        for question in self.questions:
            self.fields[question["name"]] = question_field(question)
        self.answers: dict[str, Any] = {}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        answers = {q["name"]: cleaned.get(q["name"]) for q in self.questions if q["name"] not in self.errors}
        try:
            self.answers = services.request_answers_clean(request_type=self.request_type, answers=answers)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                if name in self.fields:
                    if name not in self.errors:
                        self.add_error(name, messages)
                else:
                    self.add_error(None, messages)
        return cleaned


class OnBehalfForm(ScopedForm):
    """For the desk and technicians: the request was made by phone, in person or by e-mail by someone else."""

    reporter = forms.ModelChoiceField(
        queryset=User.objects.all(),
        required=False,
        label="Requested by",
        empty_label="Me",
        help_text="Taking a request by phone or in person? Choose the person who asked: they are kept informed.",
    )
    channel = forms.ChoiceField(
        choices=[c for c in Channel.choices if c[0] in ("phone", "in_person", "email")],
        initial=Channel.PHONE,
        label="They asked by",
    )

    def __init__(self, *args: Any, user: Any, school: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, prefix="caller", **kwargs)
        people = User.objects.with_role_at(school.pk, frozenset(Role.values)).values("pk")
        self.fields["reporter"].queryset = self.fields["reporter"].queryset.filter(pk__in=people)


# =============================================================================
# The catalogue editor
# =============================================================================


class RequestTypeForm(ScopedForm):
    """A catalogue item's settings. `school` is offered only when adding an item and the person keeps
    the catalogue of several schools."""

    school = forms.ModelChoiceField(queryset=None, empty_label=None)
    name = forms.CharField(max_length=100, help_text="What users ask for, e.g. Borrow a laptop.")
    summary = forms.CharField(max_length=300, help_text="What they get, in one sentence. Shown on the catalogue card.")
    category = forms.ModelChoiceField(
        queryset=Category.objects.all(),
        required=False,
        empty_label="No category",
        help_text="Requests go to this category's support group, if it has one.",
    )
    staff_only = forms.BooleanField(
        required=False, label="Support staff only", help_text="Hidden from ICT users (e.g. a new starter account)."
    )
    needs_approval = forms.BooleanField(
        required=False, label="Needs approval", help_text="The request waits for the approver before work starts."
    )
    approver = forms.ChoiceField(
        choices=[("", "Nobody"), *Approver.choices],
        required=False,
        label="Who approves",
        help_text="Never the person who asked: someone else in that role decides.",
    )
    response_hours = forms.IntegerField(
        required=False, min_value=1, max_value=500, label="Respond within (school hours)"
    )
    fulfil_days = forms.IntegerField(required=False, min_value=1, max_value=365, label="Fulfil within (school days)")
    handler = forms.ChoiceField(
        required=False,
        label="Carried out by",
        help_text="An operations function that does the work itself once the request is approved (or needs no "
        "approval), e.g. Directory Services creating a starter's account.",
    )

    def __init__(self, *args: Any, school: Any = None, editing: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = handler_choices()
        if choices:
            self.fields["handler"].choices = [("", "The service desk (fulfilment tasks)"), *choices]
        else:
            del self.fields["handler"]
        schools = schools_visible_to(self.user)
        manageable = [s.pk for s in schools if access.can_manage_catalogue.test(self.user, s)]
        self.fields["school"].queryset = schools.filter(pk__in=manageable)
        if editing is not None:
            school = editing.school
            del self.fields["school"]
        elif school is None and len(manageable) == 1:
            school = self.fields["school"].queryset.first()
        if "school" in self.fields and school is not None and school.pk in manageable:
            self.fields["school"].initial = school.pk
            self.fields["school"].widget = forms.HiddenInput()
        categories = self.fields["category"].queryset.filter(is_active=True).exclude(applies_to=TicketKind.INCIDENT)
        if school is not None:
            categories = categories.of_school(school.pk)
        self.fields["category"].queryset = categories.select_related("parent")
        self.school = school

    @property
    def has_schools(self) -> bool:
        return "school" not in self.fields or self.fields["school"].queryset.exists()


DECIMAL = {"inputmode": "decimal"}


class QuestionForm(forms.Form):
    """One question of the item's form. A row left without a label is ignored."""

    label = forms.CharField(
        required=False, max_length=200, label="Question", help_text="As the user reads it, e.g. Which room?"
    )
    type = forms.ChoiceField(choices=FieldType.choices, initial=FieldType.TEXT, label="Answer")
    required = forms.BooleanField(required=False, label="Required")
    help = forms.CharField(required=False, max_length=300, label="Hint", help_text="Shown under the question.")
    choices = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Choices",
        help_text="For a choice: one per line.",
    )
    multiple = forms.BooleanField(required=False, label="More than one may be chosen (a checklist)")
    min = forms.CharField(required=False, label="Smallest number", widget=forms.TextInput(attrs=DECIMAL))
    max = forms.CharField(required=False, label="Largest number", widget=forms.TextInput(attrs=DECIMAL))
    not_before = forms.CharField(
        required=False,
        label="Not before",
        help_text="For a date: “today”, or the answer key of an earlier date question.",
    )
    name = forms.CharField(
        required=False,
        max_length=40,
        label="Answer key",
        help_text="For the API and reports; made from the question when left empty.",
    )

    def as_question(self) -> dict[str, Any]:
        """The question as the service reads it (only the settings that apply to its type)."""
        data = self.cleaned_data
        question = {
            "name": data["name"].strip(),
            "label": data["label"].strip(),
            "type": data["type"],
            "required": data["required"],
            "help": data["help"].strip(),
        }
        if data["type"] == FieldType.CHOICE:
            question.update(choices=data["choices"].splitlines(), multiple=data["multiple"])
        elif data["choices"].strip():
            question["choices"] = data["choices"].splitlines()
        for setting in ("min", "max", "not_before"):
            if data[setting].strip():
                question[setting] = data[setting].strip()
        return question


class TaskForm(ScopedForm):
    """One fulfilment task each request starts with."""

    title = forms.CharField(required=False, max_length=200, label="Task", help_text="e.g. Create the account.")
    group = forms.ModelChoiceField(
        queryset=SupportGroup.objects.all(), required=False, label="Support group", empty_label="Whoever takes it"
    )

    def __init__(self, *args: Any, school: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        groups = self.fields["group"].queryset.filter(is_active=True)
        self.fields["group"].queryset = groups.of_school(school.pk) if school is not None else groups


def style_fields(form: forms.BaseForm) -> None:
    """Tabler's classes on the widgets of a row the editor lays out by hand (not through crispy)."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.HiddenInput):
            continue
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs["class"] = css


class OrderedFormSet(forms.BaseFormSet):
    """Rows keep the order they are shown in; the editor's script moves them and renumbers ORDER."""

    ordering_widget = forms.HiddenInput

    def add_fields(self, form: forms.BaseForm, index: int | None) -> None:
        super().add_fields(form, index)
        style_fields(form)


QuestionFormSet = forms.formset_factory(
    QuestionForm, formset=OrderedFormSet, extra=1, can_delete=True, can_order=True, max_num=services.MAX_QUESTIONS
)
TaskFormSet = forms.formset_factory(
    TaskForm, formset=OrderedFormSet, extra=1, can_delete=True, can_order=True, max_num=services.MAX_TASKS
)


def kept_rows(formset: forms.BaseFormSet, filled: str) -> list[forms.Form]:
    """The rows to keep, in their order: not deleted, and with `filled` (the label, the title) given."""
    rows = formset.ordered_forms if formset.can_order else formset.forms
    return [
        form
        for form in rows
        if form.is_valid() and not form.cleaned_data.get("DELETE") and (form.cleaned_data.get(filled) or "").strip()
    ]


def questions_of(formset: forms.BaseFormSet) -> tuple[list[dict[str, Any]], list[forms.Form]]:
    """The questions the editor's rows describe, and the row of each (to show errors beside it)."""
    rows = kept_rows(formset, "label")
    return [row.as_question() for row in rows], rows


def tasks_of(formset: forms.BaseFormSet) -> list[dict[str, Any]]:
    return [
        {"title": row.cleaned_data["title"].strip(), "group": getattr(row.cleaned_data["group"], "pk", None)}
        for row in kept_rows(formset, "title")
    ]


def question_initial(fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The editor's rows for an item's questions."""
    return [
        {
            "label": q.get("label", ""),
            "type": q.get("type", FieldType.TEXT),
            "required": q.get("required", False),
            "help": q.get("help", ""),
            "choices": "\n".join(q.get("choices", [])),
            "multiple": q.get("multiple", False),
            "min": "" if q.get("min") is None else str(q["min"]),
            "max": "" if q.get("max") is None else str(q["max"]),
            "not_before": q.get("not_before", ""),
            "name": q.get("name", ""),
            "ORDER": position,
        }
        for position, q in enumerate(fields, start=1)
    ]


def task_initial(tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"title": t.get("title", ""), "group": t.get("group"), "ORDER": position}
        for position, t in enumerate(tasks, start=1)
    ]


def attach_question_errors(error: ValidationError, rows: list[forms.Form]) -> list[str]:
    """Put the service's errors about the questions beside each question; returns those about none."""
    others = []
    for item in error.error_dict.get("fields", []):
        number = (item.params or {}).get("question")
        if number and 0 < number <= len(rows):
            rows[number - 1].add_error(None, item.messages[0])
        else:
            others += item.messages
    return others


# =============================================================================
# Work on a request: decide, tasks
# =============================================================================


class DecisionForm(forms.Form):
    comment = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class TaskNoteForm(forms.Form):
    note = forms.CharField(required=False, max_length=300)


NOT_A_FULFILLER = {"invalid_choice": "Choose someone who works requests at this school."}


class TaskAddForm(ScopedForm):
    title = forms.CharField(max_length=200, label="New task", error_messages={"required": "Say what needs doing."})
    assignee = forms.ModelChoiceField(
        queryset=User.objects.all(), required=False, empty_label="Nobody yet", error_messages=NOT_A_FULFILLER
    )

    def __init__(self, *args: Any, ticket: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = fulfillers(self.fields["assignee"].queryset, ticket)


class TaskAssignForm(ScopedForm):
    assignee = forms.ModelChoiceField(
        queryset=User.objects.all(), required=False, empty_label="Nobody", error_messages=NOT_A_FULFILLER
    )

    def __init__(self, *args: Any, ticket: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = fulfillers(self.fields["assignee"].queryset, ticket)


FULFILLING_ROLES = frozenset({Role.DESK}) | TECHNICAL_ROLES


def fulfillers(people: Any, ticket: Any) -> Any:
    """Who can take a fulfilment task at the ticket's school: its desk, technicians and network manager."""
    return people.filter(pk__in=User.objects.with_role_at(ticket.school_id, FULFILLING_ROLES).values("pk"))
