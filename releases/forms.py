"""Forms of Release Management: planning a release, its rollout waves and outcomes, the software library."""

from __future__ import annotations

from typing import Any

from django import forms

from changes.models import RequestForChange
from cmdb.models import ConfigurationItem, Kind, Licence, Location
from fits import access
from fits.forms import ScopedForm
from fits.models import Authority, User
from fits.scoping import schools_visible_to
from releases.models import RECORDED_OUTCOMES, ItemKind, ReleaseKind, SoftwareLibraryItem, Status

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
TEXT = {"widget": forms.Textarea(attrs={"rows": 3}), "required": False}


class ReleaseFilterForm(forms.Form):
    """The list's filters: status, school, and a search in the reference and title."""

    q = forms.CharField(label="Search", required=False)
    status = forms.ChoiceField(choices=[("", "Any")] + Status.choices, required=False)
    school = forms.ModelChoiceField(queryset=None, required=False, empty_label="All my schools", to_field_name="slug")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools_visible_to(user).order_by("name")


class ReleaseForm(ScopedForm):
    """A release: what it bundles, its plans and dates. The school is chosen once, when it is planned."""

    school = forms.ModelChoiceField(queryset=None, empty_label=None)
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=ReleaseKind.choices, initial=ReleaseKind.MINOR)
    description = forms.CharField(**TEXT)
    manager = forms.ModelChoiceField(queryset=User.objects.all(), required=False, label="Release manager")
    changes = forms.ModelMultipleChoiceField(
        queryset=RequestForChange.objects.all(),
        required=False,
        label="Requests for change",
        help_text="The changes the release carries out; it rolls out once they are approved.",
    )
    items = forms.ModelMultipleChoiceField(
        queryset=SoftwareLibraryItem.objects.approved(),
        required=False,
        label="Software library items",
        help_text="Only approved (tested) versions from the definitive software library.",
    )
    build_plan = forms.CharField(label="Build procedure", **TEXT)
    test_plan = forms.CharField(label="Test plan (stability and acceptance tests)", **TEXT)
    rollout_plan = forms.CharField(**TEXT)
    installation_checklist = forms.CharField(label="Installation checklist (one check a line)", **TEXT)
    planned_start = forms.DateField(required=False, widget=DATE)
    planned_end = forms.DateField(required=False, widget=DATE)

    def __init__(self, *args: Any, user: Any, school: Any = None, release: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        allowed = [s.pk for s in schools_visible_to(user) if access.can_manage_release.test(user, s)]
        self.fields["school"].queryset = schools_visible_to(user).filter(pk__in=allowed)
        if release is not None:
            del self.fields["school"]
            # A withdrawn item already in the release stays listed, so saving the form does not drop it silently.
            self.fields["items"].queryset = (
                SoftwareLibraryItem.objects.visible_to(user).filter(
                    pk__in=[*release.items.values_list("pk", flat=True)]
                )
                | self.fields["items"].queryset
            )
        else:
            if school is not None and school.pk in allowed:
                self.fields["school"].initial = school.pk
            if len(allowed) <= 1:
                self.fields["school"].widget = forms.HiddenInput()
                if allowed:
                    self.fields["school"].initial = allowed[0]
        self.fields["changes"].queryset = self.fields["changes"].queryset.order_by("-created_at")
        self.fields["items"].queryset = self.fields["items"].queryset.distinct().order_by("name", "version")


class WaveForm(ScopedForm):
    """A rollout wave: the CIs named, or every device in a room (of one kind, if chosen)."""

    name = forms.CharField(max_length=150, label="Wave name")
    location = forms.ModelChoiceField(
        queryset=Location.objects.all(), required=False, label="Every device in", help_text="A room, block or site."
    )
    kind = forms.ChoiceField(choices=[("", "Computers")] + Kind.choices, required=False, label="Of kind")
    cis = forms.ModelMultipleChoiceField(
        queryset=ConfigurationItem.objects.all(), required=False, label="Or these configuration items"
    )
    planned_start = forms.DateTimeField(required=False, widget=DATETIME)
    planned_end = forms.DateTimeField(required=False, widget=DATETIME)

    def __init__(self, *args: Any, user: Any, release: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        if release is not None:
            self.fields["location"].queryset = self.fields["location"].queryset.of_school(release.school_id)
            self.fields["cis"].queryset = self.fields["cis"].queryset.of_school(release.school_id)
        self.fields["location"].queryset = self.fields["location"].queryset.select_related("parent").order_by("name")
        self.fields["cis"].queryset = self.fields["cis"].queryset.order_by("name")


class RolloutForm(forms.Form):
    """An outcome at some CIs (ticked, or one button a CI), or at every pending CI of a wave."""

    outcome = forms.ChoiceField(choices=RECORDED_OUTCOMES)
    targets = forms.TypedMultipleChoiceField(coerce=int, required=False)
    wave = forms.IntegerField(required=False)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The target ids are checked against the release by the service.
        self.fields["targets"].valid_value = lambda value: True


class TransitionForm(forms.Form):
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


class LibraryItemForm(ScopedForm):
    """Propose a version for the definitive software library: a school's own, or an authority's for its schools."""

    school = forms.ModelChoiceField(queryset=None, required=False, empty_label="(the authority's, for its schools)")
    authority = forms.ModelChoiceField(queryset=Authority.objects.none(), required=False)
    name = forms.CharField(max_length=200, help_text="As the CMDB names the product (Windows 11 Education).")
    publisher = forms.CharField(max_length=200, required=False)
    version = forms.CharField(max_length=100)
    kind = forms.ChoiceField(choices=ItemKind.choices)
    media_location = forms.CharField(max_length=255, required=False, label="Where the media is kept")
    checksum = forms.CharField(max_length=64, required=False, label="SHA-256 checksum")
    licence = forms.ModelChoiceField(queryset=Licence.objects.all(), required=False)
    licence_notes = forms.CharField(**TEXT)
    notes = forms.CharField(**TEXT)

    def __init__(self, *args: Any, user: Any, school: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        allowed = [s.pk for s in schools_visible_to(user) if access.can_manage_release.test(user, s)]
        self.fields["school"].queryset = schools_visible_to(user).filter(pk__in=allowed)
        if school is not None and school.pk in allowed:
            self.fields["school"].initial = school.pk
        elif len(allowed) == 1:
            self.fields["school"].initial = allowed[0]
        authorities = [role.authority_id for role in getattr(user, "authority_roles", [])]
        queryset = Authority.objects.all() if user.is_superuser else Authority.objects.filter(pk__in=authorities)
        self.fields["authority"].queryset = queryset
        if not queryset.exists():
            del self.fields["authority"]
        self.fields["licence"].queryset = self.fields["licence"].queryset.select_related("product")


class WithdrawForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


class LendForm(ScopedForm):
    borrowed_by = forms.ModelChoiceField(queryset=User.objects.all(), required=False, label="Borrowed by")
    note = forms.CharField(max_length=255, required=False)
