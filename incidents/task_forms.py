"""Forms of the task pages: the list's filters, raising or editing a task, and the small action forms."""

from __future__ import annotations

from typing import Any

from django import forms

from cmdb.models import ConfigurationItem, Location
from fits import access
from fits.forms import ScopedForm
from fits.models import TECHNICAL_ROLES, User
from fits.scoping import schools_visible_to
from incidents.models import SupportGroup, TaskOrigin, TaskStatus

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")

# The list's "show" choices: whose tasks.
SHOW_CHOICES = [("", "All tasks"), ("mine", "Mine"), ("unassigned", "Nobody's yet"), ("overdue", "Overdue")]
# "open" is the default: to do and in progress; "all" shows every status.
STATUS_CHOICES = [("open", "Open (to do or in progress)"), *TaskStatus.choices, ("all", "Any status")]


class TaskFilterForm(forms.Form):
    """The tasks list's filters: whose, which status, what raised them, and a search."""

    q = forms.CharField(label="Search", required=False)
    show = forms.ChoiceField(label="Show", choices=SHOW_CHOICES, required=False)
    status = forms.ChoiceField(label="Status", choices=STATUS_CHOICES, required=False)
    origin = forms.ChoiceField(label="Raised by", choices=[("", "Anything"), *TaskOrigin.choices], required=False)


def _technical_people(school_ids: list[int]):
    """The people who can be given a task at these schools (technicians and network managers)."""
    return (
        User.objects.filter(is_active=True, is_system_account=False)
        .filter(membership__school_id__in=school_ids, membership__role__in=TECHNICAL_ROLES)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


class TaskForm(ScopedForm):
    """Raise a task by hand (with its checklist), or change an open task's details."""

    school = forms.ModelChoiceField(queryset=None, empty_label=None)
    title = forms.CharField(max_length=200, help_text="What has to be done, e.g. 'Test the UPS battery in the hub'.")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    steps = forms.CharField(
        label="Checklist (one step a line)",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="Each line becomes a tick box on the task.",
    )
    due_on = forms.DateField(label="Due on", required=False, widget=DATE)
    ci = forms.ModelChoiceField(queryset=ConfigurationItem.objects.order_by("name"), required=False, label="Device")
    location = forms.ModelChoiceField(
        queryset=Location.objects.select_related("parent__parent").order_by("name"), required=False, label="Room"
    )
    group = forms.ModelChoiceField(queryset=SupportGroup.objects.order_by("name"), required=False, label="Group")
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), required=False, label="Assign to")

    def __init__(self, *args: Any, user: Any, school: Any = None, task: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        allowed = [s.pk for s in schools_visible_to(user) if access.can_work_task.test(user, s)]
        self.fields["school"].queryset = schools_visible_to(user).filter(pk__in=allowed).order_by("name")
        # The devices and rooms offered are the task's school's, or the chosen school's (the service checks too).
        one_school = task.school_id if task is not None else None
        if task is not None:
            for name in ("school", "steps", "group", "assignee"):
                del self.fields[name]
        else:
            if school is not None and school.pk in allowed:
                self.fields["school"].initial = one_school = school.pk
            if len(allowed) <= 1:
                self.fields["school"].widget = forms.HiddenInput()
                if allowed:
                    self.fields["school"].initial = one_school = allowed[0]
            self.fields["assignee"].queryset = _technical_people([one_school] if one_school else allowed)
        for name in ("ci", "location"):
            self.fields[name].queryset = self.fields[name].queryset.of_school(one_school)


class TaskAssignForm(ScopedForm):
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), required=False, label="Technician")
    group = forms.ModelChoiceField(queryset=SupportGroup.objects.order_by("name"), required=False, label="Group")

    def __init__(self, *args: Any, user: Any, task: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["assignee"].queryset = _technical_people([task.school_id])
        self.fields["assignee"].initial = task.assignee_id
        self.fields["group"].initial = task.group_id


class TaskNoteForm(forms.Form):
    """The outcome (complete), the reason (cancel, reopen) of a lifecycle move."""

    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class TaskStepForm(forms.Form):
    done = forms.BooleanField(required=False)
    note = forms.CharField(required=False, max_length=300)
