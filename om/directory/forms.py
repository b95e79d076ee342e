"""Forms of Directory Services Administration: the connection settings (passwords write-only), sync now, the MIS
upload."""

from __future__ import annotations

from typing import Any

from django import forms

from fits import access, attachments
from fits.forms import ScopedForm
from fits.scoping import schools_visible_to
from om.directory.models import DirectoryKind, DirectorySettings, IntakeUpload, Security
from om.directory.services import role_map_text

MAX_UPLOAD = 2 * 1024 * 1024


def _schools(user: Any, predicate) -> Any:
    schools = schools_visible_to(user)
    return schools.filter(pk__in=[s.pk for s in schools if predicate.test(user, s)]).order_by("name")


class SettingsForm(ScopedForm):
    """A school's directory connection. Passwords are write-only: left empty, the stored ones are kept."""

    school = forms.ModelChoiceField(queryset=None, empty_label=None)
    kind = forms.ChoiceField(choices=DirectoryKind.choices)
    server_uris = forms.CharField(
        label="Servers", max_length=500, help_text="LDAP URIs separated by spaces, tried in order."
    )
    security = forms.ChoiceField(choices=Security.choices, initial=Security.START_TLS)
    ca_certificate = forms.CharField(
        label="CA certificate (PEM)", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    verify_certificate = forms.BooleanField(required=False, initial=True)
    bind_dn = forms.CharField(label="Bind account", max_length=300)
    bind_password = forms.CharField(max_length=200, required=False, widget=forms.PasswordInput(render_value=False))
    base_dn = forms.CharField(label="Base DN", max_length=300)
    user_base_dn = forms.CharField(label="Users under", max_length=300, required=False)
    group_base_dn = forms.CharField(label="Groups under", max_length=300, required=False)
    computer_base_dn = forms.CharField(label="Computers under", max_length=300, required=False)
    user_filter = forms.CharField(max_length=500, required=False)
    group_filter = forms.CharField(max_length=500, required=False)
    computer_filter = forms.CharField(max_length=500, required=False)
    username_attribute = forms.CharField(max_length=50, required=False)
    new_account_classes = forms.CharField(label="Object classes of new accounts", max_length=300, required=False)
    timeout_seconds = forms.IntegerField(min_value=1, max_value=120, initial=10)
    sync_enabled = forms.BooleanField(label="Synchronise every hour", required=False, initial=True)
    write_enabled = forms.BooleanField(label="Carry out starters and leavers in the directory", required=False)
    write_bind_dn = forms.CharField(label="Write account", max_length=300, required=False)
    write_bind_password = forms.CharField(
        max_length=200, required=False, widget=forms.PasswordInput(render_value=False)
    )
    starter_ou = forms.CharField(label="New staff accounts in", max_length=300, required=False)
    pupil_ou = forms.CharField(
        label="New pupils in", max_length=300, required=False, help_text="{year} is replaced by the year group."
    )
    leavers_ou = forms.CharField(label="Move leavers to", max_length=300, required=False)
    signin_enabled = forms.BooleanField(label="Sign-in with directory accounts", required=False)
    upn_suffix = forms.CharField(
        label="Sign-in domain",
        max_length=100,
        required=False,
        help_text="People sign in as user@this domain (or SCHOOL\\user).",
    )
    role_map = forms.CharField(
        label="Groups and roles",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One a line: Domain Admins = network manager. A person gets every role "
        "their groups map to; in no mapped group, sign-in is refused.",
    )

    def __init__(self, *args: Any, user: Any, config: DirectorySettings | None = None, **kwargs: Any) -> None:
        if config is not None and not kwargs.get("initial"):
            kwargs["initial"] = {name: getattr(config, name) for name in self.base_fields if hasattr(config, name)}
            kwargs["initial"]["school"] = config.school_id
            kwargs["initial"]["role_map"] = role_map_text(config.role_map)
            for secret in ("bind_password", "write_bind_password"):
                kwargs["initial"].pop(secret, None)
        super().__init__(*args, user=user, **kwargs)
        self.fields["school"].queryset = _schools(user, access.can_configure_directory)
        if config is not None:
            self.fields["school"].disabled = True
            for name in ("bind_password", "write_bind_password"):
                if getattr(config, name):
                    self.fields[name].help_text = "Stored (never shown). Leave empty to keep it; type to replace it."


class SyncForm(ScopedForm):
    school = forms.ModelChoiceField(queryset=None)
    full = forms.BooleanField(required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["school"].queryset = _schools(user, access.can_work_directory)


class IntakeForm(ScopedForm):
    school = forms.ModelChoiceField(queryset=None, empty_label=None)
    kind = forms.ChoiceField(choices=IntakeUpload.Kind.choices, label="What the file holds")
    file = forms.FileField(help_text="CSV exported from the MIS, with a header row.")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["school"].queryset = _schools(user, access.can_work_directory)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError("The file is larger than 2 MB: split it.")
        if not upload.name.lower().endswith((".csv", ".txt")):
            raise forms.ValidationError("Upload the MIS export as a .csv file.")
        return attachments.check_import(upload)  # by its content too (README "Security")
