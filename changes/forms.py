"""Forms of Change Management: raising a change, the risk questionnaire, votes, scheduling, the review."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q

from changes import policy
from changes.cab import owners_for
from changes.measures import MEASURES
from changes.models import ChangeKind, ChangeTemplate, Decision, ReviewOutcome, Risk, Status
from cmdb.models import ConfigurationItem
from fits import access
from fits.forms import ScopedForm
from fits.models import TECHNICAL_ROLES, User
from fits.scoping import schools_visible_to
from incidents.models import Incident

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ChangeFilterForm(forms.Form):
    """The list's filters: kind, status and risk (all optional)."""

    kind = forms.ChoiceField(choices=[("", "Any")] + ChangeKind.choices, required=False)
    status = forms.ChoiceField(choices=[("", "Any")] + Status.choices, required=False)
    risk = forms.ChoiceField(choices=[("", "Any")] + Risk.choices, required=False)
    # A figure of the measures card (changes.measures): e.g. measure=approved&month=2026-11.
    measure = forms.ChoiceField(choices=[("", "Any")] + list(MEASURES), required=False, widget=forms.HiddenInput)
    month = forms.RegexField(regex=r"^\d{4}-\d{2}$", required=False, widget=forms.HiddenInput)


class ChangeRaiseForm(ScopedForm):
    """A request for change: what, why, on which CIs, behind which incidents, when."""

    school = forms.ModelChoiceField(queryset=None, empty_label=None)
    kind = forms.ChoiceField(choices=ChangeKind.choices, initial=ChangeKind.NORMAL)
    template = forms.ModelChoiceField(
        queryset=ChangeTemplate.objects.filter(is_active=True),
        required=False,
        help_text="Standard changes only: the pre-approved change it follows.",
    )
    title = forms.CharField(label="Summary", max_length=200, required=False)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    cis = forms.ModelMultipleChoiceField(
        queryset=ConfigurationItem.objects.all(), required=False, label="Affected configuration items"
    )
    incidents = forms.ModelMultipleChoiceField(queryset=Incident.objects.all(), required=False)
    is_major = forms.BooleanField(required=False, label="Major change (a school leader approves it too)")
    implementation_plan = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    test_plan = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    backout_plan = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    planned_start = forms.DateTimeField(required=False, widget=DATETIME)
    planned_end = forms.DateTimeField(required=False, widget=DATETIME)
    implementer = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, help_text="Who will carry out the change (a technician)."
    )

    def __init__(self, *args: Any, user: Any, school: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        allowed = [s.pk for s in schools_visible_to(user) if access.can_raise_change.test(user, s)]
        self.fields["school"].queryset = schools_visible_to(user).filter(pk__in=allowed)
        if school is not None and school.pk in allowed:
            self.fields["school"].initial = school.pk
        if len(allowed) <= 1:
            self.fields["school"].widget = forms.HiddenInput()
            if allowed:
                self.fields["school"].initial = allowed[0]
        # The CIs and incidents offered are those the user sees (restrict_choices); the service checks the school.
        self.fields["cis"].queryset = self.fields["cis"].queryset.order_by("name")
        self.fields["incidents"].queryset = self.fields["incidents"].queryset.order_by("-created_at")
        # Those who may carry out changes at the schools offered (the service checks the one chosen).
        self.fields["implementer"].queryset = (
            User.objects.filter(is_active=True)
            .filter(
                Q(membership__school_id__in=allowed, membership__role__in=TECHNICAL_ROLES)
                | Q(authorityrole__authority__schools__in=allowed, authorityrole__role__in=TECHNICAL_ROLES)
            )
            .distinct()
            .order_by("first_name", "last_name", "username")
        )


class ChangeEditForm(ChangeRaiseForm):
    """Editing a draft: the raise form without what is fixed once raised (its school, kind and template)."""

    def __init__(self, *args: Any, user: Any, change: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, school=change.school, **kwargs)
        for name in ("school", "kind", "template"):
            del self.fields[name]
        self.fields["cis"].queryset = self.fields["cis"].queryset.of_school(change.school_id)
        self.fields["incidents"].queryset = self.fields["incidents"].queryset.of_school(change.school_id)
        self.fields["implementer"].queryset = User.objects.technicians_at(change.school_id).order_by(
            "first_name", "last_name", "username"
        )
        self.fields["title"].required = True
        self.fields["reason"].required = True


class RiskForm(forms.Form):
    """The risk questionnaire, one choice per question of changes.policy.QUESTIONS."""

    def __init__(self, *args: Any, initial_answers: dict | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for question in policy.QUESTIONS:
            self.fields[question.key] = forms.ChoiceField(
                label=question.text,
                choices=[(value, label) for value, (label, _points) in question.answers.items()],
                widget=forms.RadioSelect,
                initial=(initial_answers or {}).get(question.key),
            )


class VoteForm(forms.Form):
    decision = forms.ChoiceField(choices=Decision.choices)
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ScheduleForm(forms.Form):
    planned_start = forms.DateTimeField(required=False, widget=DATETIME)
    planned_end = forms.DateTimeField(required=False, widget=DATETIME)


class TransitionForm(forms.Form):
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ReviewForm(forms.Form):
    outcome = forms.ChoiceField(choices=ReviewOutcome.choices)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="What was learnt")
    cmdb_updated = forms.BooleanField(required=False, label="The CMDB records the change")


# =============================================================================
# Freeze and maintenance windows (changes/windows.py)
# =============================================================================


class OwnerField(forms.ChoiceField):
    """Whose board, template or window it is: a school's, an authority's, everyone's (changes.cab.owners_for);
    cleans to (school, authority)."""

    def __init__(self, *args: Any, owners: list, **kwargs: Any) -> None:
        self.owners = {value: (school, authority) for value, _, school, authority in owners}
        super().__init__(*args, choices=[(value, label) for value, label, _, _ in owners], **kwargs)

    def clean(self, value: Any) -> tuple[Any, Any]:
        return self.owners[super().clean(value)]


class WindowForm(forms.Form):
    """Base of the two window forms: a new window also says whose it is."""

    def __init__(self, *args: Any, user: Any, school: Any = None, window: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if window is None:
            self.fields["owner"] = OwnerField(
                owners=owners_for(user),
                label="Applies at",
                help_text="One school, or every school of the authority (exam seasons are often the LEA's).",
            )
            self.fields = {"owner": self.fields.pop("owner"), **self.fields}
            if school is not None:
                self.fields["owner"].initial = f"school:{school.pk}"


class FreezeWindowForm(WindowForm):
    name = forms.CharField(max_length=150, help_text="What people will see on the schedule: “Summer exams”.")
    kind = forms.ChoiceField(choices=(), initial="exams")
    starts = forms.DateField(label="First day", widget=forms.DateInput(attrs={"type": "date"}))
    ends = forms.DateField(label="Last day", widget=forms.DateInput(attrs={"type": "date"}), help_text="Inclusive.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from changes.models import FreezeWindow

        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = FreezeWindow.Kind.choices


class MaintenanceWindowForm(WindowForm):
    name = forms.CharField(max_length=150, required=False, help_text="Optional: “After school”.")
    weekday = forms.TypedChoiceField(choices=(), coerce=int, label="Day")
    opens = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    closes = forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from changes.models import MaintenanceWindow

        super().__init__(*args, **kwargs)
        self.fields["weekday"].choices = MaintenanceWindow.Weekday.choices


# =============================================================================
# Change advisory boards, their meetings, standard change templates (changes/cab.py, cab_views.py)
# =============================================================================


class PersonChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, person: Any) -> str:
        return f"{person} ({person.job_title})" if getattr(person, "job_title", "") else str(person)


def _add_cab_owner(form: forms.Form, user: Any, school: Any, help_text: str) -> None:
    form.fields["owner"] = OwnerField(owners=owners_for(user), label="Belongs to", help_text=help_text)
    form.fields = {"owner": form.fields.pop("owner"), **form.fields}
    if school is not None:
        form.fields["owner"].initial = f"school:{school.pk}"


def _in_scope(queryset: Any, row: Any) -> Any:
    """`queryset` of people narrowed to those with a role where `row` (a board or meeting) works."""
    from changes.cab import people_in_scope

    return queryset.filter(pk__in=people_in_scope(school=row.school, authority=row.authority).values("pk"))


class BoardForm(ScopedForm):
    """A change advisory board: its name, members (people with a role where it works) and quorum."""

    name = forms.CharField(max_length=150, help_text="“Highfield CAB”, “Bolton schools' CAB”.")
    members = PersonChoices(
        queryset=User.objects.filter(is_active=True),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="People with a role at the school or the authority. Technicians may sit on it but do not approve.",
    )
    quorum = forms.IntegerField(
        min_value=1, initial=2, help_text="How many members must approve a change; at most the number of members."
    )

    def __init__(self, *args: Any, user: Any, board: Any = None, school: Any = None, **kwargs: Any) -> None:
        if board is not None:
            kwargs.setdefault(
                "initial",
                {"name": board.name, "members": [p.pk for p in board.members.all()], "quorum": board.quorum},
            )
        super().__init__(*args, user=user, **kwargs)
        members = self.fields["members"].queryset
        if board is not None:
            members = _in_scope(members, board)
        else:
            _add_cab_owner(self, user, school, "A school's own board, or one for every school of the authority.")
        self.fields["members"].queryset = members.order_by("first_name", "last_name", "username")


class MeetingScheduleForm(ScopedForm):
    held_at = forms.DateTimeField(label="When", widget=DATETIME)
    chair = forms.ModelChoiceField(queryset=User.objects.filter(is_active=True), required=False, empty_label="No chair")

    def __init__(self, *args: Any, user: Any, board: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        chairs = _in_scope(self.fields["chair"].queryset, board)
        self.fields["chair"].queryset = chairs.order_by("first_name", "last_name", "username")


class MeetingRecordForm(ScopedForm):
    """The minutes of a meeting: who attended, what was discussed beyond the votes, whether it is over."""

    attendees = PersonChoices(
        queryset=User.objects.filter(is_active=True), widget=forms.CheckboxSelectMultiple, required=False
    )
    minutes = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), required=False)
    mark_held = forms.BooleanField(required=False, label="The meeting has been held: close its agenda")

    def __init__(self, *args: Any, user: Any, meeting: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"attendees": [p.pk for p in meeting.attendees.all()], "minutes": meeting.minutes})
        super().__init__(*args, user=user, **kwargs)
        people = _in_scope(self.fields["attendees"].queryset, meeting)
        self.fields["attendees"].queryset = people.order_by("first_name", "last_name", "username")
        if meeting.status == "held":
            del self.fields["mark_held"]


class MeetingVoteForm(forms.Form):
    """A member's own vote on one change of the meeting's agenda."""

    change = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=Decision.choices)
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


TEMPLATE_FORM_FIELDS = ("name", "description", "implementation_plan", "test_plan", "backout_plan", "duration_minutes")


class ChangeTemplateForm(ScopedForm):
    """A pre-approved standard change: what it is, its plans, how long it usually takes."""

    name = forms.CharField(max_length=150, help_text="“Add a user to a group”, “Replace a printer's toner”.")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    implementation_plan = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))
    test_plan = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    backout_plan = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    duration_minutes = forms.IntegerField(min_value=1, max_value=24 * 60, initial=30, label="Usual duration (minutes)")

    def __init__(self, *args: Any, user: Any, template: Any = None, school: Any = None, **kwargs: Any) -> None:
        if template is not None:
            kwargs.setdefault(
                "initial",
                {name: getattr(template, name) for name in TEMPLATE_FORM_FIELDS},
            )
        super().__init__(*args, user=user, **kwargs)
        if template is None:
            _add_cab_owner(self, user, school, "A school's own standard change, or one for every school of the LEA.")
