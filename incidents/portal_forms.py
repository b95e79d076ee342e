"""Forms of the portal and the phone form, confirming and rating, safeguarding, attachments, the timetable."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from cmdb.models import ConfigurationItem, Location
from fits import attachments
from fits.forms import ScopedForm
from fits.models import User
from incidents import portal
from incidents.forms import IncidentLogForm
from incidents.models import Category, Channel, Impact, ResolutionCode, Satisfaction, TicketKind, Urgency, Weekday

# =============================================================================
# Files
# =============================================================================


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Up to five files, each checked by content (fits.attachments), every problem reported at once."""

    widget = MultipleFileInput

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", "Screenshots or documents")
        kwargs.setdefault(
            "help_text",
            f"Up to {attachments.MAX_FILES} files, {attachments.max_bytes() // (1024 * 1024)} MB each: "
            f"{attachments.ALLOWED_DESCRIPTION}.",
        )
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"accept": attachments.ACCEPT, "multiple": True})

    def clean(self, data: Any, initial: Any = None) -> list:
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if not files:
            if self.required:
                raise ValidationError("Choose a file to attach.")
            return []
        try:
            attachments.check_uploads(files)
        except ValidationError as error:
            raise ValidationError(error.messages) from None
        return files


class AttachForm(forms.Form):
    files = AttachmentsField(required=True, label="Add screenshots or documents")
    public = forms.BooleanField(required=False, initial=True, label="Visible to the caller")


# =============================================================================
# The portal: log an incident in plain words
# =============================================================================

SAFEGUARDING_HELP = (
    "Tick this if the fault touches a child's welfare or safety, for example something worrying seen on a "
    "pupil's screen or in a search history. Only the school's designated safeguarding leads, school leaders "
    "and the technician who works on it will see this ticket, and the safeguarding leads are told at once. "
    "If a child is in danger now, follow your school's safeguarding procedure straight away: do not wait "
    "for this ticket."
)

IMPACT_CHOICES = [
    (Impact.LOW, "One person: just me, or one pupil"),
    (Impact.MEDIUM, "A class, lesson or department: a room full of people"),
    (Impact.HIGH, "Whole school or a key service: everyone, or something everyone uses (Wi-Fi, e-mail, the MIS)"),
]
URGENCY_CHOICES = [
    (Urgency.HIGH, "Stops teaching or work now"),
    (Urgency.MEDIUM, "Work is affected but can go on"),
    (Urgency.LOW, "Can wait: no rush"),
]


class PickerMixin:
    """Room and device pickers: a radio from the htmx lookup, or, without JavaScript, what was typed."""

    def _setup_pickers(self, user: User) -> None:
        self.fields["location"] = forms.ModelChoiceField(
            queryset=Location.objects.none(), required=False, label="Room", widget=forms.RadioSelect
        )
        self.fields["location"].queryset = Location.objects.visible_to(user).select_related("parent__parent")
        self.fields["location_q"] = forms.CharField(
            label="Room or location",
            required=False,
            max_length=100,
            help_text="Type part of the room's name and pick it from the list.",
            widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "placeholder": "e.g. Classroom 4"}),
        )
        self.fields["ci"] = forms.ModelChoiceField(
            queryset=ConfigurationItem.objects.none(),
            required=False,
            label="Device or service",
            widget=forms.RadioSelect,
        )
        self.fields["ci"].queryset = portal.pickable_devices(user)
        self.fields["ci_q"] = forms.CharField(
            label="Device or service (optional)",
            required=False,
            max_length=100,
            help_text="Its name or the asset tag on its label, e.g. HF-PC-C4-01.",
            widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
        )

    def _clean_pickers(self, cleaned: dict[str, Any]) -> None:
        """No room picked but one typed: the location it names, or else the text kept as where exactly."""
        school = cleaned.get("school")
        typed = (cleaned.get("location_q") or "").strip()
        if cleaned.get("location") is None and typed and school is not None:
            found = portal.match_room(self.user, school, typed)
            if found is not None:
                cleaned["location"] = found
            else:
                room = (cleaned.get("room") or "").strip()
                cleaned["room"] = typed if not room or room == typed else f"{typed}: {room}"[:100]
        for name in ("location", "ci"):
            record = cleaned.get(name)
            if record is not None and school is not None and record.school_id != school.pk:
                self.add_error(name, f"{record} is not at {school}.")

    @property
    def picked_location(self) -> Location | None:
        value = self["location"].value()
        return (
            self.fields["location"].queryset.select_related("parent__parent").filter(pk=value).first()
            if str(value or "").isdigit()
            else None
        )

    @property
    def picked_ci(self) -> ConfigurationItem | None:
        value = self["ci"].value()
        return self.fields["ci"].queryset.filter(pk=value).first() if str(value or "").isdigit() else None


class PortalLogForm(PickerMixin, IncidentLogForm):
    """The incident sheet in plain words: what is wrong, where, how much it matters, screenshots."""

    attachments = AttachmentsField()
    safeguarding = forms.BooleanField(
        required=False, label="This is a safeguarding concern", help_text=SAFEGUARDING_HELP
    )

    def __init__(self, *args: Any, user: Any, school: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, school=school, **kwargs)
        self._setup_pickers(user)
        self.fields["room"].label = "Where exactly (optional)"
        self.fields["room"].help_text = "e.g. the desk by the window, the board at the front."
        self.fields["impact"].choices = IMPACT_CHOICES
        self.fields["impact"].label = "How many people are affected?"
        self.fields["urgency"].choices = URGENCY_CHOICES
        self.fields["urgency"].label = "How much does it stop you?"
        if not self.is_bound and self.fields["school"].initial:
            chosen = self.fields["school"].queryset.filter(pk=self.fields["school"].initial).first()
            usual = portal.usual_room(user, chosen) if chosen else None
            if usual is not None:
                self.initial["location"] = usual.pk
                self.usual_room = usual
        self.order_fields(
            [
                "reporter",
                "channel",
                "school",
                "title",
                "description",
                "location_q",
                "location",
                "room",
                "ci_q",
                "ci",
                "impact",
                "urgency",
                "attachments",
                "safeguarding",
            ]
        )

    usual_room: Location | None = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self._clean_pickers(cleaned)
        return cleaned


# =============================================================================
# Phone and walk-up calls
# =============================================================================


class PhoneLogForm(PickerMixin, ScopedForm):
    """A call taken by phone or at the desk: caller, what is wrong, where, how much it matters, and
    "resolved at first contact" to log and resolve in one go."""

    school = forms.ModelChoiceField(queryset=None, empty_label=None)
    caller_q = forms.CharField(
        label="Caller",
        required=False,
        max_length=100,
        help_text="Type a name, e-mail or phone number and pick the person.",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "autofocus": True}),
    )
    reporter = forms.ModelChoiceField(queryset=User.objects.all(), required=False, widget=forms.RadioSelect)
    channel = forms.ChoiceField(
        choices=[(Channel.PHONE, "Phone"), (Channel.IN_PERSON, "In person")],
        initial=Channel.PHONE,
        widget=forms.RadioSelect,
        label="Taken by",
    )
    title = forms.CharField(
        label="Summary",
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "e.g. Classroom 4 board shows no picture"}),
    )
    description = forms.CharField(label="Details", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    category = forms.ModelChoiceField(queryset=Category.objects.all(), required=False, empty_label="Not sure yet")
    room = forms.CharField(label="Where exactly", max_length=100, required=False)
    impact = forms.TypedChoiceField(
        choices=Impact.choices, coerce=int, initial=Impact.LOW, label="Who is affected?", widget=forms.RadioSelect
    )
    urgency = forms.TypedChoiceField(
        choices=Urgency.choices, coerce=int, initial=Urgency.MEDIUM, label="How urgent?", widget=forms.RadioSelect
    )
    safeguarding = forms.BooleanField(required=False, label="Safeguarding concern", help_text=SAFEGUARDING_HELP)
    resolved = forms.BooleanField(
        required=False,
        label="Resolved at first contact",
        help_text="Fixed while the caller was here or on the line: it is logged and resolved in one go.",
    )
    resolution = forms.CharField(
        label="How it was resolved",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="In words the caller understands: they are asked to confirm it.",
    )
    resolution_code = forms.ChoiceField(
        choices=[("", "—")]
        + [
            (c.value, c.label)
            for c in ResolutionCode
            if c not in (ResolutionCode.DUPLICATE, ResolutionCode.FULFILLED, ResolutionCode.DECLINED)
        ],
        required=False,
        label="Resolution code",
    )

    def __init__(self, *args: Any, user: Any, school: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        from fits import access

        schools = portal.loggable_schools(user)
        allowed = [s.pk for s in schools if access.can_log_for_others.test(user, s)]
        self.fields["school"].queryset = schools.filter(pk__in=allowed)
        if school is not None and school.pk in allowed:
            self.fields["school"].initial = school.pk
        elif len(allowed) == 1:
            self.fields["school"].initial = allowed[0]
        if len(allowed) <= 1:
            self.fields["school"].widget = forms.HiddenInput()
        self.fields["reporter"].queryset = User.objects.filter(
            pk__in=self.fields["reporter"].queryset.values("pk"), membership__school__in=allowed
        ).distinct()
        categories = self.fields["category"].queryset.filter(is_active=True).exclude(applies_to=TicketKind.REQUEST)
        self.fields["category"].queryset = categories.select_related("parent").order_by("parent__name", "name")
        self._setup_pickers(user)
        self.fields["location_q"].label = "Room"
        self.has_schools = bool(allowed)
        # Resolving is technical work (Incident.WORKFLOW): the desk logs and routes, technicians also resolve.
        if not any(access.can_work_incident.test(user, s) for s in self.fields["school"].queryset):
            del self.fields["resolved"], self.fields["resolution"], self.fields["resolution_code"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        school = cleaned.get("school")
        if cleaned.get("reporter") is None and school is not None:
            cleaned["reporter"] = portal.match_caller(self.user, school, cleaned.get("caller_q") or "")
            if cleaned["reporter"] is None:
                self.add_error(
                    "caller_q",
                    "Choose the caller from the list (type a name, e-mail or phone number), "
                    "or type their exact username or e-mail.",
                )
        category = cleaned.get("category")
        if category is not None and school is not None and not category.applies_at(school):
            self.add_error("category", f"{category} is not a category at {school}.")
        if "resolved" not in self.fields:
            cleaned["resolution"], cleaned["resolution_code"] = "", ""
        elif cleaned.get("resolved"):
            if not (cleaned.get("resolution") or "").strip():
                self.add_error("resolution", "Say how it was resolved, in words the caller understands.")
            if not cleaned.get("resolution_code"):
                self.add_error("resolution_code", "Choose a resolution code.")
        else:
            cleaned["resolution"], cleaned["resolution_code"] = "", ""
        self._clean_pickers(cleaned)
        return cleaned

    @property
    def picked_reporter(self) -> User | None:
        value = self["reporter"].value()
        return self.fields["reporter"].queryset.filter(pk=value).first() if str(value or "").isdigit() else None


# =============================================================================
# The caller confirms, rates, reopens; safeguarding flag
# =============================================================================


class ConfirmForm(forms.Form):
    satisfaction = forms.TypedChoiceField(
        choices=Satisfaction.choices,
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
        label="How did we do? (optional)",
        error_messages={"invalid_choice": "Rate the service from 1 (very poor) to 5 (excellent)."},
    )
    comment = forms.CharField(
        required=False,
        label="Anything to add? (optional)",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReopenForm(forms.Form):
    note = forms.CharField(
        label="What is still wrong?",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say what is still wrong, so the technician knows where to start."},
    )


class SafeguardingForm(forms.Form):
    note = forms.CharField(required=False, label="Note (optional)", widget=forms.Textarea(attrs={"rows": 2}))
    confirm = forms.BooleanField(
        label="I understand: from now on only the safeguarding leads, school leaders, the caller and whoever "
        "works on it will see this ticket.",
        error_messages={"required": "Tick the box to confirm the safeguarding flag."},
    )


class UnflagForm(forms.Form):
    note = forms.CharField(
        label="Why is it not a safeguarding concern?",
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why it is not a safeguarding concern."},
    )


# =============================================================================
# The timetable
# =============================================================================


class LessonForm(ScopedForm):
    location = forms.ModelChoiceField(queryset=Location.objects.all(), label="Room", empty_label=None)
    weekday = forms.TypedChoiceField(choices=Weekday.choices, coerce=int, label="Day")
    starts = forms.TimeField(label="Starts", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    ends = forms.TimeField(label="Ends", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    name = forms.CharField(label="Class or group", max_length=100, help_text="e.g. 9X2 Computing.")
    teacher = forms.CharField(label="Teacher", max_length=100, required=False)

    def __init__(self, *args: Any, school: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = (
            self.fields["location"]
            .queryset.of_school(school.pk)
            .filter(kind=Location.Kind.ROOM)
            .select_related("parent__parent")
            .order_by("parent__name", "name")
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        starts, ends = cleaned.get("starts"), cleaned.get("ends")
        if starts and ends and ends <= starts:
            self.add_error("ends", "The lesson must end after it starts.")
        return cleaned


class TimetableImportForm(forms.Form):
    file = forms.FileField(
        label="Timetable export (CSV)",
        help_text="One row per lesson with the columns room, weekday, start, end, class, teacher. Rooms are matched "
        "by name, or by path (e.g. Main site / Junior block / Classroom 4) where two rooms share a name.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    replace = forms.BooleanField(
        required=False,
        initial=True,
        label="Replace the timetable of the rooms in the file",
        help_text="Untick to add the file's lessons to the ones already there.",
    )

    def clean_file(self):
        from incidents.timetable import MAX_BYTES

        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise ValidationError(f"The file is larger than {MAX_BYTES // 1024} KB: is it the timetable export?")
        return upload
